// Package endpoint assembles Berth's AWS API endpoint (`berth api`): the
// ECS API over Berth's objects, authenticated by access key Secrets and
// authorised by Kubernetes RBAC through impersonation.
package endpoint

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/aas"
	"github.com/berth-dev/berth/internal/awsapi/cloudwatch"
	"github.com/berth-dev/berth/internal/awsapi/ecs"
	"github.com/berth-dev/berth/internal/awsapi/logs"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/operator"
	"github.com/berth-dev/berth/internal/translate"
)

// Options configure the endpoint.
type Options struct {
	// Addr is the listen address, e.g. ":8443".
	Addr string
	// KeyNamespace holds the access key Secrets.
	KeyNamespace string
	// Account is the default region and account ID of ARNs.
	Account names.Account
	// TLSCertFile and TLSKeyFile serve HTTPS; without them the endpoint
	// serves plain HTTP (put it behind TLS, or use it on loopback).
	TLSCertFile, TLSKeyFile string
	// InsecureHTTP allows plain HTTP on an address that is not loopback.
	InsecureHTTP bool
	// AnyKey accepts any credentials, acting as AnyKeyIdentity: local
	// development only, on a loopback address only.
	AnyKey         bool
	AnyKeyIdentity awsapi.Identity
	// Features are the cluster's features (RegisterTaskDefinition's checks).
	Features translate.Features
	// Wait bounds how long an operation waits for the operator (0: 20 s).
	Wait time.Duration
	// LogSource is where CloudWatch Logs' events come from (nil: the pods'
	// logs, logs.PodLogs).
	LogSource logs.Source
	// MetricSource holds the ECS metrics CloudWatch serves: the operator's
	// ecsmetrics.Store when the endpoint runs in its process (nil: none are
	// kept, ListMetrics answers an empty list).
	MetricSource cloudwatch.Source
	Log          logr.Logger
}

// Endpoint is a built endpoint: Handler serves requests once the key cache
// has started (Start).
type Endpoint struct {
	Handler http.Handler
	cache   cache.Cache
	o       Options
}

// The endpoint's own permissions: it reads access key Secrets (in its own
// namespace berth-system only, a Role) and namespaces (account IDs), and
// impersonates the identities keys map to. Everything a call does, it does
// as the caller.
// +kubebuilder:rbac:groups=core,resources=secrets,verbs=get;list;watch,namespace=berth-system
// +kubebuilder:rbac:groups=core,resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=core,resources=users;groups;serviceaccounts,verbs=impersonate
// The CloudWatch metrics: manager api samples them itself (cmd/api.go).
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services;clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=metrics.k8s.io,resources=pods,verbs=get;list

// New builds the endpoint against the cluster of cfg.
func New(cfg *rest.Config, o Options) (*Endpoint, error) {
	scheme := operator.Scheme()
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, hc)
	if err != nil {
		return nil, err
	}
	c, err := cache.New(cfg, cache.Options{
		Scheme: scheme, Mapper: mapper, HTTPClient: hc,
		DefaultNamespaces: map[string]cache.Config{o.KeyNamespace: {}},
		ByObject: map[client.Object]cache.ByObject{
			// Only access key Secrets, only in the key namespace.
			&corev1.Secret{}: {Field: fields.OneTermEqualSelector("type", string(awsapi.SecretTypeAccessKey))},
		},
	})
	if err != nil {
		return nil, err
	}
	if err := c.IndexField(context.Background(), &corev1.Secret{}, awsapi.IndexAccessKeyID, awsapi.IndexSecret); err != nil {
		return nil, err
	}
	auth := &awsapi.SigV4{
		Keys: awsapi.SecretKeys(c, o.KeyNamespace), Config: cfg, Scheme: scheme, Mapper: mapper,
		Namespaces: c, Account: o.Account, AnyKey: o.AnyKey, Fallback: awsapi.Key{Identity: o.AnyKeyIdentity},
	}
	srv := &awsapi.Server{
		APIs: []awsapi.API{
			ecs.API(ecs.New(ecs.Options{Features: o.Features, Wait: o.Wait})),
			aas.API(aas.New()),
			logs.API(logs.New(logs.Options{Source: o.LogSource})),
			cloudwatch.API(cloudwatch.New(cloudwatch.Options{Metrics: o.MetricSource})),
		},
		Auth: auth, Log: o.Log,
	}
	return &Endpoint{Handler: srv, cache: c, o: o}, nil
}

// Start starts the key cache and waits for it.
func (e *Endpoint) Start(ctx context.Context) error {
	go func() { _ = e.cache.Start(ctx) }()
	if !e.cache.WaitForCacheSync(ctx) {
		return errors.New("the access key cache did not sync")
	}
	// Namespaces (account IDs) come through the same cache.
	if _, err := e.cache.GetInformer(ctx, &corev1.Namespace{}); err != nil {
		return err
	}
	return nil
}

// timeouts bound how long a client may take to send a request: a slow
// or stalled client (slowloris) holds a connection at most that long.
type timeouts struct{ header, request, idle time.Duration }

// serverTimeouts: 10 s for the headers, a minute for the whole request
// (the body is at most awsapi.MaxBody), 2 minutes idle between requests.
var serverTimeouts = timeouts{header: 10 * time.Second, request: time.Minute, idle: 2 * time.Minute}

func httpServer(h http.Handler, t timeouts) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.header, ReadTimeout: t.request, IdleTimeout: t.idle}
}

// Serve starts the endpoint and serves until ctx ends. ready, if not nil,
// is called with the address once it listens.
func (e *Endpoint) Serve(ctx context.Context, ready func(addr string)) error {
	if err := e.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", e.o.Addr)
	if err != nil {
		return err
	}
	loopback := false
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		loopback = a.IP.IsLoopback()
	}
	if e.o.AnyKey && !loopback {
		_ = ln.Close()
		return fmt.Errorf("accepting any credentials is allowed on a loopback address only, not %s", ln.Addr())
	}
	if e.o.TLSCertFile == "" && !loopback && !e.o.InsecureHTTP {
		_ = ln.Close()
		return fmt.Errorf("plain HTTP on %s, which is not loopback: give --tls-cert-file and --tls-private-key-file (or --insecure-http behind a TLS proxy)", ln.Addr())
	}
	hs := httpServer(e.Handler, serverTimeouts)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if e.o.AnyKey {
		e.o.Log.Info("WARNING: the AWS API endpoint accepts ANY credentials and acts as " + e.o.AnyKeyIdentity.Username + " in namespace " + e.o.AnyKeyIdentity.Namespace + " (--any-key): for local development only")
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	if e.o.TLSCertFile != "" {
		err = hs.ServeTLS(ln, e.o.TLSCertFile, e.o.TLSKeyFile)
	} else {
		err = hs.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve the AWS API endpoint: %w", err)
}
