package awsapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fxamacker/cbor/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/cloudwatch"
	"github.com/berth-dev/berth/internal/awsapi/cwwire"
	"github.com/berth-dev/berth/internal/operator"
)

// anyone authenticates every request and records the signing name asked.
type anyone struct{ services []string }

func (a *anyone) Authenticate(_ context.Context, _ *http.Request, _ []byte, service string) (*awsapi.Caller, *awsjson.Error) {
	a.services = append(a.services, service)
	// ListMetrics asks, as the caller, whether it may list its namespace's
	// Services: an empty namespace it may.
	return &awsapi.Caller{Identity: awsapi.Identity{Namespace: "default"}, Client: fake.NewClientBuilder().WithScheme(operator.Scheme()).Build()}, nil
}

type answer struct {
	status int
	header http.Header
	body   []byte
	// fields is the CBOR body decoded (nil if none or not CBOR).
	fields map[string]any
}

func cloudWatchServer() (*awsapi.Server, *anyone) {
	h := cloudwatch.New(cloudwatch.Options{})
	// An operation without output, to see its answer has no body.
	h.DeleteAlarms = func(context.Context, *cwwire.DeleteAlarmsInput) (*struct{}, error) { return &struct{}{}, nil }
	auth := &anyone{}
	return &awsapi.Server{APIs: []awsapi.API{cloudwatch.API(h)}, Auth: auth}, auth
}

func post(s http.Handler, path string, header map[string]string, body []byte) answer {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	a := answer{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	if w.Header().Get("Content-Type") == "application/cbor" {
		_ = cbor.Unmarshal(a.body, &a.fields)
	}
	return a
}

// botocore's and the Go SDK's headers (botocore/serialize.py,
// RpcV2CBORSerializer._serialize_headers).
var cborHeaders = map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor", "X-Amzn-Query-Mode": "true"}

const listMetrics = "/service/GraniteServiceVersion20100801/operation/ListMetrics"

func TestRPCv2CBOR(t *testing.T) {
	g := NewWithT(t)
	s, auth := cloudWatchServer()

	a := post(s, listMetrics, cborHeaders, []byte{0xa0})
	g.Expect(a.status).To(Equal(http.StatusOK), string(a.body))
	g.Expect(a.header.Get("Smithy-Protocol")).To(Equal("rpc-v2-cbor"))
	g.Expect(a.header.Get("Content-Type")).To(Equal("application/cbor"))
	g.Expect(a.header.Get("X-Amzn-RequestId")).NotTo(BeEmpty())
	g.Expect(a.body).To(Equal([]byte("\xa1gMetrics\x80")), "no metrics: the empty list, as AWS sends it")
	g.Expect(auth.services).To(Equal([]string{"monitoring"}))

	// A prefix, an absolute service shape ID, no body.
	a = post(s, "/v1/service/com.amazonaws.cloudwatch.GraniteServiceVersion20100801/operation/ListMetrics", cborHeaders, nil)
	g.Expect(a.status).To(Equal(http.StatusOK), string(a.body))

	// gzip (requestcompression): {"Namespace": "App"}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write([]byte("\xa1\x69Namespace\x63App"))
	_ = zw.Close()
	gz := map[string]string{"Content-Encoding": "gzip"}
	for k, v := range cborHeaders {
		gz[k] = v
	}
	a = post(s, listMetrics, gz, z.Bytes())
	g.Expect(a.status).To(Equal(http.StatusOK), string(a.body))
	a = post(s, listMetrics, gz, []byte("\xa0"))
	g.Expect(a.status).To(Equal(http.StatusBadRequest))
	g.Expect(a.fields).To(HaveKeyWithValue("__type", "SerializationException"))

	// An operation without output: no body, no Content-Type.
	a = post(s, "/service/GraniteServiceVersion20100801/operation/DeleteAlarms", cborHeaders, []byte("\xa1\x6aAlarmNames\x81\x61a"))
	g.Expect(a.status).To(Equal(http.StatusOK))
	g.Expect(a.body).To(BeEmpty())
	g.Expect(a.header.Get("Content-Type")).To(BeEmpty())
}

func TestRPCv2CBORErrors(t *testing.T) {
	g := NewWithT(t)
	s, _ := cloudWatchServer()
	for _, c := range []struct {
		name   string
		path   string
		header map[string]string
		body   string
		status int
		typ    string
		query  string
	}{
		{"not served", "/service/GraniteServiceVersion20100801/operation/ListDashboards", cborHeaders, "a0", 400, cloudwatch.InvalidAction, ""},
		{"a modeled error takes its AWS Query code along", listMetrics, cborHeaders, "a16e526563656e746c7941637469766563503144", 400, "InvalidParameterValueException", "InvalidParameterValue;Sender"},
		{"unknown operation", "/service/GraniteServiceVersion20100801/operation/Nope", cborHeaders, "a0", 404, awsjson.UnknownOperation, ""},
		{"unknown service", "/service/Logs_20140328/operation/GetLogEvents", cborHeaders, "a0", 404, awsjson.UnknownOperation, ""},
		{"malformed CBOR", listMetrics, cborHeaders, "a1", 400, awsjson.Serialization, ""},
		{"a wrong type", listMetrics, cborHeaders, "a1694e616d6573706163650c", 400, awsjson.Serialization, ""},
		{"no Smithy-Protocol", listMetrics, map[string]string{"Content-Type": "application/cbor"}, "a0", 400, awsjson.Serialization, ""},
		{"an X-Amz-Target", listMetrics, map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"}, "a0", 400, awsjson.Serialization, ""},
	} {
		body, _ := hex.DecodeString(c.body)
		a := post(s, c.path, c.header, body)
		g.Expect(a.status).To(Equal(c.status), c.name)
		g.Expect(a.header.Get("Smithy-Protocol")).To(Equal("rpc-v2-cbor"), c.name)
		g.Expect(a.header.Get("Content-Type")).To(Equal("application/cbor"), c.name)
		g.Expect(a.header.Get("X-Amzn-ErrorType")).To(BeEmpty(), c.name)
		g.Expect(a.header.Get("X-Amzn-Query-Error")).To(Equal(c.query), c.name)
		g.Expect(a.fields).To(HaveKeyWithValue("__type", c.typ), c.name)
		g.Expect(a.fields).To(HaveKeyWithValue("message", Not(BeEmpty())), c.name)
	}
}

// TestAWSJSON10: the same API in AWS JSON 1.0, which botocore picks.
func TestAWSJSON10(t *testing.T) {
	g := NewWithT(t)
	s, auth := cloudWatchServer()
	json10 := map[string]string{"X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics", "Content-Type": "application/x-amz-json-1.0", "X-Amzn-Query-Mode": "true"}
	a := post(s, "/", json10, []byte(`{}`))
	g.Expect(a.status).To(Equal(http.StatusOK), string(a.body))
	g.Expect(a.header.Get("Content-Type")).To(Equal("application/x-amz-json-1.0"))
	g.Expect(a.header.Get("Smithy-Protocol")).To(BeEmpty())
	g.Expect(string(a.body)).To(Equal(`{"Metrics":[]}`))
	g.Expect(auth.services).To(Equal([]string{"monitoring"}))

	a = post(s, "/", json10, []byte(`{"RecentlyActive": "P1D"}`))
	g.Expect(a.status).To(Equal(http.StatusBadRequest))
	g.Expect(a.header.Get("Content-Type")).To(Equal("application/x-amz-json-1.0"))
	g.Expect(a.header.Get("X-Amzn-Query-Error")).To(Equal("InvalidParameterValue;Sender"))
	g.Expect(string(a.body)).To(ContainSubstring(`"__type":"InvalidParameterValueException"`))

	// A target no API has stays AWS JSON 1.1.
	a = post(s, "/", map[string]string{"X-Amz-Target": "Nope.ListMetrics"}, []byte(`{}`))
	g.Expect(a.status).To(Equal(http.StatusBadRequest))
	g.Expect(a.header.Get("Content-Type")).To(Equal(awsjson.ContentType))
}
