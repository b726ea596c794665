package awsapi_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/aas"
	"github.com/berth-dev/berth/internal/awsapi/aaswire"
	"github.com/berth-dev/berth/internal/awsapi/cloudwatch"
	"github.com/berth-dev/berth/internal/awsapi/cwwire"
	"github.com/berth-dev/berth/internal/awsapi/ecs"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/awsapi/logs"
	"github.com/berth-dev/berth/internal/awsapi/logswire"
)

// everyAPI is the endpoint's four APIs over an empty (fake) cluster, every
// request authenticated: the fuzzer reaches decoding and the handlers.
func everyAPI() (*awsapi.Server, [][]string) {
	s := &awsapi.Server{
		APIs: []awsapi.API{
			ecs.API(ecs.New(ecs.Options{Wait: 10 * time.Millisecond, Poll: time.Millisecond})),
			aas.API(aas.New()),
			logs.API(logs.New(logs.Options{})),
			cloudwatch.API(cloudwatch.New(cloudwatch.Options{})),
		},
		Auth: &anyone{},
	}
	return s, [][]string{ecswire.Operations, aaswire.Operations, logswire.Operations, cwwire.Operations}
}

// FuzzServe sends the endpoint requests of any operation of its APIs, in
// AWS JSON or RPC v2 CBOR, gzipped or not, with any body: it never panics,
// never answers 500 for what is the client's mistake, and always answers
// with a request ID. The seeds are every operation with an empty, a
// malformed and a wrongly typed body.
func FuzzServe(f *testing.F) {
	s, ops := everyAPI()
	for a, names := range ops {
		for _, op := range names {
			for _, body := range []string{`{}`, `{`, `{"cluster": 7, "maxResults": "x", "nextToken": {}}`, `[]`, ``} {
				f.Add(uint8(a), op, []byte(body), false, false)
			}
			f.Add(uint8(a), op, []byte{0xbf, 0xff}, true, false) // an empty CBOR map
			f.Add(uint8(a), op, []byte(`{}`), false, true)
		}
	}
	f.Add(uint8(0), "../../etc/passwd", []byte(`{}`), true, false)
	f.Add(uint8(0), "RegisterTaskDefinition", []byte(`{"family":"`+strings.Repeat("a", 300)+`","containerDefinitions":[{"name":"a","image":"b","memory":-1}]}`), false, false)
	f.Add(uint8(0), "RegisterTaskDefinition", bytes.Repeat([]byte("["), 100_000), false, false)
	f.Fuzz(func(t *testing.T, api uint8, op string, body []byte, rpcv2, gzipped bool) {
		a := &s.APIs[int(api)%len(s.APIs)]
		if rpcv2 && !a.RPCv2CBOR {
			rpcv2 = false
		}
		header := map[string]string{}
		path := "/"
		if rpcv2 {
			path = "/service/" + a.TargetPrefix + "/operation/" + op
			for k, v := range cborHeaders {
				header[k] = v
			}
		} else {
			header["X-Amz-Target"] = a.TargetPrefix + "." + op
			header["Content-Type"] = "application/x-amz-json-1.1"
		}
		if gzipped {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write(body)
			_ = zw.Close()
			body = b.Bytes()
			header["Content-Encoding"] = "gzip"
		}
		got := post(s, path, header, body)
		if got.status >= 500 {
			t.Errorf("%s %q (%d bytes): %d %s", a.TargetPrefix, op, len(body), got.status, got.body)
		}
		if got.header.Get("X-Amzn-RequestId") == "" {
			t.Errorf("%s %q: no request ID", a.TargetPrefix, op)
		}
	})
}

// TestBodyLimits: a body over MaxBody is refused before it is read further,
// and so is one that only a gzip bomb makes that large.
func TestBodyLimits(t *testing.T) {
	s, _ := everyAPI()
	big := bytes.Repeat([]byte(" "), awsapi.MaxBody+1)
	header := map[string]string{"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters", "Content-Type": "application/x-amz-json-1.1"}
	if got := post(s, "/", header, big); got.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body of MaxBody+1 bytes: %d %s", got.status, got.body)
	}
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, _ = zw.Write(big)
	_ = zw.Close()
	header["Content-Encoding"] = "gzip"
	if got := post(s, "/", header, bomb.Bytes()); got.status != http.StatusRequestEntityTooLarge {
		t.Errorf("%d gzipped bytes that inflate past MaxBody: %d %s", bomb.Len(), got.status, got.body)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code < 400 || w.Code >= 500 {
		t.Errorf("GET: %d", w.Code)
	}
}
