package awsapi

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/berth-dev/berth/internal/awsapi/awsjson"
)

// MaxClockSkew is how far a request's X-Amz-Date may be from the server's
// clock, as AWS allows.
const MaxClockSkew = 15 * time.Minute

// signature is a parsed SigV4 Authorization header.
type signature struct {
	accessKeyID   string
	date          string // yyyymmdd of the credential scope
	region        string
	service       string
	signedHeaders []string
	signature     string
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request,
// SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (signature, *awsjson.Error) {
	var s signature
	if h == "" {
		return s, &awsjson.Error{Type: awsjson.MissingAuthToken, Message: "Missing Authentication Token", Status: http.StatusForbidden}
	}
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(h, algo) {
		return s, &awsjson.Error{Type: awsjson.IncompleteSignature, Message: "Authorization header requires the AWS4-HMAC-SHA256 algorithm", Status: http.StatusBadRequest}
	}
	for _, part := range strings.Split(h[len(algo):], ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return s, &awsjson.Error{Type: awsjson.IncompleteSignature, Message: "Credential should be scoped to a valid region, not '" + v + "'", Status: http.StatusBadRequest}
			}
			s.accessKeyID, s.date, s.region, s.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			s.signedHeaders = strings.Split(v, ";")
		case "Signature":
			s.signature = v
		}
	}
	if s.accessKeyID == "" || len(s.signedHeaders) == 0 || s.signature == "" {
		return s, &awsjson.Error{Type: awsjson.IncompleteSignature, Message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters", Status: http.StatusBadRequest}
	}
	return s, nil
}

// mustSign are the headers a request must sign: in AWS JSON the operation
// (x-amz-target) is in a header, so a signature without it could be
// replayed as another operation with the same body. Smithy RPC v2 CBOR
// names the operation in the path, which every signature covers, and has
// no X-Amz-Target (mustSignPath).
var (
	mustSign     = []string{"host", "x-amz-date", "x-amz-target"}
	mustSignPath = []string{"host", "x-amz-date"}
)

// verify checks r's SigV4 signature with the secret key. body is r's body,
// already read. The canonical request is rebuilt from the headers the client
// signed, by the AWS SDK's own signer.
func verify(ctx context.Context, r *http.Request, body []byte, sig signature, secret string, now time.Time) *awsjson.Error {
	must := mustSign
	if r.Header.Get("X-Amz-Target") == "" {
		// Without a target there is no header to replay with: RPC v2
		// CBOR's operation is in the signed path, and an AWS JSON request
		// without one names no operation.
		must = mustSignPath
	}
	for _, h := range must {
		if !slices.Contains(sig.signedHeaders, h) {
			return &awsjson.Error{Type: awsjson.IncompleteSignature, Status: http.StatusBadRequest,
				Message: "SignedHeaders must include " + strings.Join(must, ", ")}
		}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return &awsjson.Error{Type: awsjson.IncompleteSignature, Message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header", Status: http.StatusBadRequest}
	}
	if d := now.Sub(t); d > MaxClockSkew || d < -MaxClockSkew {
		return &awsjson.Error{Type: awsjson.InvalidSignature, Status: http.StatusBadRequest, Message: "Signature expired: " + amzDate + " is now earlier than " +
			now.Add(-MaxClockSkew).UTC().Format("20060102T150405Z") + " (" + now.UTC().Format("20060102T150405Z") + " - 15 min.)"}
	}
	if sig.date != t.UTC().Format("20060102") {
		return &awsjson.Error{Type: awsjson.InvalidSignature, Message: "Credential should be scoped to a valid date: " + sig.date, Status: http.StatusForbidden}
	}
	c, err := signedCopy(ctx, r, body, sig)
	if err != nil {
		return &awsjson.Error{Type: awsjson.InvalidSignature, Message: err.Error(), Status: http.StatusBadRequest}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: sig.accessKeyID, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(ctx, creds, c, hex.EncodeToString(sum[:]), sig.service, sig.region, t); err != nil {
		return &awsjson.Error{Type: awsjson.InvalidSignature, Message: err.Error(), Status: http.StatusBadRequest}
	}
	want, perr := parseAuthorization(c.Header.Get("Authorization"))
	if perr != nil || !hmac.Equal([]byte(want.signature), []byte(sig.signature)) || strings.Join(want.signedHeaders, ";") != strings.Join(sig.signedHeaders, ";") {
		return &awsjson.Error{Type: awsjson.InvalidSignature, Status: http.StatusForbidden,
			Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	return nil
}

// signedCopy is r with only the headers the client signed.
func signedCopy(ctx context.Context, r *http.Request, body []byte, sig signature) (*http.Request, error) {
	c, err := http.NewRequestWithContext(ctx, r.Method, r.URL.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	c.URL.Path, c.URL.RawPath = r.URL.Path, r.URL.RawPath
	c.Host = r.Host
	c.Header = http.Header{}
	c.ContentLength = 0
	for _, h := range sig.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			c.ContentLength = r.ContentLength
		default:
			if vs := r.Header.Values(h); len(vs) > 0 {
				c.Header[http.CanonicalHeaderKey(h)] = vs
			}
		}
	}
	return c, nil
}
