// Package awsapi serves AWS JSON 1.1 APIs (ECS, Application Auto Scaling)
// over Berth's Kubernetes objects: it authenticates SigV4-signed requests,
// maps the access key to a Kubernetes identity and namespace, and runs each
// operation as that identity (impersonation), so that Kubernetes RBAC decides
// what a key may do. It keeps no state of its own.
package awsapi

import (
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

	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/names"
)

// MaxBody is the largest request body accepted. ECS's largest inputs
// (RegisterTaskDefinition) are bounded at 64 KiB of container definitions;
// 1 MiB leaves room and bounds memory.
const MaxBody = 1 << 20

// API is one AWS JSON service served by the endpoint.
type API struct {
	// TargetPrefix is the X-Amz-Target prefix, e.g. AmazonEC2ContainerServiceV20141113.
	TargetPrefix string
	// SigningName is the SigV4 service name, e.g. ecs.
	SigningName string
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
	op, res, err := s.serve(r)
	if err != nil {
		e := awsjson.AsError(err)
		if e.Status >= 500 {
			s.Log.Error(err, "Request failed", "operation", op, "requestId", reqID)
		}
		w.Header().Set("Content-Type", awsjson.ContentType)
		w.Header().Set("X-Amzn-ErrorType", e.Type)
		w.WriteHeader(e.Status)
		_, _ = w.Write(e.Body())
		return
	}
	body, merr := json.Marshal(res)
	if merr != nil {
		s.Log.Error(merr, "Encoding a response failed", "operation", op)
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", awsjson.ContentType)
	_, _ = w.Write(body)
}

func (s *Server) serve(r *http.Request) (string, any, error) {
	if r.Method != http.MethodPost {
		return "", nil, &awsjson.Error{Type: awsjson.UnknownOperation, Message: "AWS JSON services take POST requests", Status: http.StatusMethodNotAllowed}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return "", nil, awsjson.Errorf(awsjson.Serialization, "reading the request body: %v", err)
	}
	if len(body) > MaxBody {
		return "", nil, &awsjson.Error{Type: awsjson.RequestEntityTooLarge, Message: fmt.Sprintf("Request body must be at most %d bytes", MaxBody), Status: http.StatusRequestEntityTooLarge}
	}
	target := r.Header.Get("X-Amz-Target")
	prefix, op, _ := strings.Cut(target, ".")
	var api *API
	service := ""
	for i := range s.APIs {
		if s.APIs[i].TargetPrefix == prefix {
			api = &s.APIs[i]
			service = api.SigningName
		}
	}
	// Authenticated first: an unauthenticated client learns nothing.
	caller, aerr := s.Auth.Authenticate(r.Context(), r, body, service)
	if aerr != nil {
		return "", nil, aerr
	}
	if api == nil {
		return op, nil, awsjson.Errorf(awsjson.UnknownOperation, "The operation %q is not an operation this endpoint serves (X-Amz-Target %q)", op, target)
	}
	decode := func(v any) error {
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
	call, served, known := api.Handler(op, decode)
	if !known {
		return op, nil, awsjson.Errorf(awsjson.UnknownOperation, "The operation %q is not an operation of %s", op, prefix)
	}
	if !served {
		return op, nil, api.Unsupported(op)
	}
	ctx := WithCaller(r.Context(), caller)
	res, err := call(ctx)
	if err != nil {
		return op, nil, fromKubernetes(err)
	}
	return op, res, nil
}
