// Package awsapi serves AWS APIs (ECS, Application Auto Scaling, CloudWatch
// Logs, CloudWatch) in their AWS JSON protocol (1.1 or 1.0), and those whose
// model has it in Smithy RPC v2 CBOR too, over Berth's Kubernetes objects:
// it authenticates SigV4-signed requests, maps the access key to a
// Kubernetes identity and namespace, and runs each operation as that
// identity (impersonation), so that Kubernetes RBAC decides what a key may
// do. It keeps no state of its own.
package awsapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/awsapi/awscbor"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/names"
)

// MaxBody is the largest request body accepted. ECS's largest inputs
// (RegisterTaskDefinition) are bounded at 64 KiB of container definitions;
// 1 MiB leaves room and bounds memory.
const MaxBody = 1 << 20

// API is one AWS service served by the endpoint.
type API struct {
	// TargetPrefix is the X-Amz-Target prefix, e.g. AmazonEC2ContainerServiceV20141113;
	// it is also the service shape's name, the {serviceName} of RPC v2 CBOR
	// paths (botocore builds them from the model's targetPrefix).
	TargetPrefix string
	// SigningName is the SigV4 service name, e.g. ecs.
	SigningName string
	// JSONVersion is the version of the API's AWS JSON protocol, "1.0" or
	// "1.1" ("": 1.1), which its answers' Content-Type names.
	JSONVersion string
	// RPCv2CBOR serves the API in Smithy RPC v2 CBOR too: POST
	// /service/<TargetPrefix>/operation/<Operation>.
	RPCv2CBOR bool
	// QueryErrors are, for a service that is awsQueryCompatible, the
	// x-amzn-query-error header of an error type (the generated
	// QueryErrors): clients take the AWS Query error code from it.
	QueryErrors map[string]string
	// Handler decodes and calls an operation (the generated Handlers.Handler).
	Handler func(op string, decode func(any) error) (call func(context.Context) (any, error), served, known bool)
	// Unsupported is the error of an operation of the model that is not served.
	Unsupported func(op string) *awsjson.Error
}

// Caller is who makes a request: the Kubernetes identity its access key maps
// to, the namespace that plays its AWS account, and a client that acts as
// that identity.
type Caller struct {
	Identity
	Client client.Client
	// Kube is the same identity's clientset, for what client.Client does
	// not read (a pod's log).
	Kube    kubernetes.Interface
	Account names.Account
}

type callerKey struct{}

// CallerFrom returns the request's caller.
func CallerFrom(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey{}).(*Caller)
	return c
}

// WithCaller returns ctx carrying c (for tests of handlers).
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// Authenticator turns a request into its caller.
type Authenticator interface {
	// service is the SigV4 signing name the request's credential scope
	// must name ("" for a target no API serves).
	Authenticate(ctx context.Context, r *http.Request, body []byte, service string) (*Caller, *awsjson.Error)
}

// Server is the HTTP handler of the endpoint.
type Server struct {
	APIs []API
	Auth Authenticator
	Log  logr.Logger
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := string(uuid.NewUUID())
	w.Header().Set("X-Amzn-RequestId", reqID)
	// Smithy RPC v2 CBOR names the operation in the path; AWS JSON posts to
	// / and names it in X-Amz-Target.
	_, _, rpcv2 := awscbor.Path(r.URL.Path)
	if rpcv2 {
		w.Header().Set(awscbor.ProtocolHeader, awscbor.Protocol)
	}
	api, op, res, err := s.serve(r, rpcv2)
	contentType := awsjson.ContentType
	if api != nil && api.JSONVersion != "" {
		contentType = "application/x-amz-json-" + api.JSONVersion
	}
	if rpcv2 {
		contentType = awscbor.ContentType
	}
	if err != nil {
		e := awsjson.AsError(err)
		if e.Status >= 500 {
			s.Log.Error(err, "Request failed", "operation", op, "requestId", reqID)
		}
		w.Header().Set("Content-Type", contentType)
		if q := api.queryError(e.Type); q != "" {
			w.Header().Set("X-Amzn-Query-Error", q)
		}
		body := e.Body()
		if rpcv2 {
			// The type is in the body only (RPC v2 CBOR: no X-Amzn-ErrorType).
			body = awscbor.ErrorBody(e)
		} else {
			w.Header().Set("X-Amzn-ErrorType", e.Type)
		}
		w.WriteHeader(e.Status)
		_, _ = w.Write(body)
		return
	}
	var body []byte
	var merr error
	switch _, unit := res.(*struct{}); {
	case rpcv2 && unit:
		// An operation without output answers without a body (nor its
		// Content-Type) in RPC v2 CBOR.
		w.WriteHeader(http.StatusOK)
		return
	case rpcv2:
		body, merr = awscbor.Marshal(res)
	default:
		body, merr = json.Marshal(res)
	}
	if merr != nil {
		s.Log.Error(merr, "Encoding a response failed", "operation", op)
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(body)
}

// queryError is the x-amzn-query-error header of an error of type typ, ""
// for none.
func (a *API) queryError(typ string) string {
	if a == nil {
		return ""
	}
	return a.QueryErrors[typ]
}

// serve reads, authenticates, decodes and runs a request; api is the API it
// names (nil if none).
func (s *Server) serve(r *http.Request, rpcv2 bool) (*API, string, any, error) {
	if r.Method != http.MethodPost {
		return nil, "", nil, &awsjson.Error{Type: awsjson.UnknownOperation, Message: "AWS services take POST requests", Status: http.StatusMethodNotAllowed}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, "", nil, awsjson.Errorf(awsjson.Serialization, "reading the request body: %v", err)
	}
	if len(body) > MaxBody {
		return nil, "", nil, &awsjson.Error{Type: awsjson.RequestEntityTooLarge, Message: fmt.Sprintf("Request body must be at most %d bytes", MaxBody), Status: http.StatusRequestEntityTooLarge}
	}
	api, op := s.route(r, rpcv2)
	service := ""
	if api != nil {
		service = api.SigningName
	}
	// Authenticated first: an unauthenticated client learns nothing.
	caller, aerr := s.Auth.Authenticate(r.Context(), r, body, service)
	if aerr != nil {
		return api, "", nil, aerr
	}
	if err := checkRequest(r, api, op, rpcv2); err != nil {
		return api, op, nil, err
	}
	if body, err = decompress(r, body); err != nil {
		return api, op, nil, err
	}
	call, served, known := api.Handler(op, decoder(body, rpcv2))
	if !known {
		e := awsjson.Errorf(awsjson.UnknownOperation, "The operation %q is not an operation of %s", op, api.TargetPrefix)
		if rpcv2 {
			e.Status = http.StatusNotFound
		}
		return api, op, nil, e
	}
	if !served {
		return api, op, nil, api.Unsupported(op)
	}
	ctx := WithCaller(r.Context(), caller)
	res, err := call(ctx)
	if err != nil {
		return api, op, nil, fromKubernetes(err)
	}
	return api, op, res, nil
}

// route finds the API and operation a request names: in its path (RPC v2
// CBOR) or its X-Amz-Target (AWS JSON); api is nil for none.
func (s *Server) route(r *http.Request, rpcv2 bool) (api *API, op string) {
	if rpcv2 {
		svc, op, _ := awscbor.Path(r.URL.Path)
		for i := range s.APIs {
			if s.APIs[i].RPCv2CBOR && awscbor.ServiceIs(svc, s.APIs[i].TargetPrefix) {
				api = &s.APIs[i]
			}
		}
		return api, op
	}
	prefix, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	for i := range s.APIs {
		if s.APIs[i].TargetPrefix == prefix {
			api = &s.APIs[i]
		}
	}
	return api, op
}

// checkRequest refuses, once the caller is known, a request for no API, and
// an RPC v2 CBOR request without its Smithy-Protocol header or with an
// X-Amz-Target (the protocol says a server must).
func checkRequest(r *http.Request, api *API, op string, rpcv2 bool) *awsjson.Error {
	switch {
	case api == nil && rpcv2:
		return &awsjson.Error{Type: awsjson.UnknownOperation, Status: http.StatusNotFound,
			Message: fmt.Sprintf("The operation %q is not an operation this endpoint serves in RPC v2 CBOR (%s)", op, r.URL.Path)}
	case api == nil:
		return awsjson.Errorf(awsjson.UnknownOperation, "The operation %q is not an operation this endpoint serves (X-Amz-Target %q)", op, r.Header.Get("X-Amz-Target"))
	case !rpcv2:
		return nil
	case r.Header.Get(awscbor.ProtocolHeader) != awscbor.Protocol:
		return awsjson.Errorf(awsjson.Serialization, "An RPC v2 CBOR request has the header %s: %s, not %q", awscbor.ProtocolHeader, awscbor.Protocol, r.Header.Get(awscbor.ProtocolHeader))
	case r.Header.Get("X-Amz-Target") != "" || r.Header.Get("X-Amzn-Target") != "":
		return awsjson.Errorf(awsjson.Serialization, "An RPC v2 CBOR request has no X-Amz-Target header")
	}
	return nil
}

// decoder decodes body into an operation's input.
func decoder(body []byte, rpcv2 bool) func(any) error {
	if rpcv2 {
		return func(v any) error { return awscbor.Unmarshal(body, v) }
	}
	return func(v any) error {
		if len(strings.TrimSpace(string(body))) == 0 {
			return nil
		}
		if err := json.Unmarshal(body, v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return awsjson.Errorf(awsjson.Serialization, "Unexpected value for %s: expected %s, got JSON %s", te.Field, te.Type, te.Value)
			}
			return awsjson.Errorf(awsjson.Serialization, "The request body is not valid JSON: %v", err)
		}
		return nil
	}
}

// decompress undoes a request's Content-Encoding: gzip (the SDKs compress
// the operations whose model says requestcompression, CloudWatch's
// PutMetricData, once they are large). The signature is over the body as
// sent; the decompressed body is bounded by MaxBody too. Other encodings
// are left as they were before (ignored).
func decompress(r *http.Request, body []byte) ([]byte, error) {
	gz := false
	for _, e := range strings.Split(r.Header.Get("Content-Encoding"), ",") {
		gz = gz || strings.EqualFold(strings.TrimSpace(e), "gzip")
	}
	if !gz {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(zr, MaxBody+1))
	}
	if err != nil {
		return nil, awsjson.Errorf(awsjson.Serialization, "The request body is not valid gzip: %v", err)
	}
	if len(body) > MaxBody {
		return nil, &awsjson.Error{Type: awsjson.RequestEntityTooLarge, Message: fmt.Sprintf("Request body must be at most %d bytes decompressed", MaxBody), Status: http.StatusRequestEntityTooLarge}
	}
	return body, nil
}
