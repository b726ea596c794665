// Package testenv starts the real API server (envtest) reconciler tests run
// against, with Berth's CRDs and field indexes.
package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/gatewayapi"
	"github.com/berth-dev/berth/internal/resolve"
)

// Envtest is a real kube-apiserver (envtest) with Berth's CRDs, and the
// clients reconciler tests use: Direct reads straight from the API server,
// Cached reads through an informer cache with Berth's field indexes, as in
// the operator.
type Envtest struct {
	Config *rest.Config
	Direct client.Client
	Cached client.WithWatch
	stop   func()
}

// Option changes what Start installs.
type Option func(*envtest.Environment) error

// WithGatewayAPI also installs the Gateway API CRDs the local control plane
// has (GatewayClass, Gateway, HTTPRoute, ReferenceGrant; internal/gatewayapi),
// for the suites that apply HTTPRoutes; the others do without them, and
// start as fast as before. The clients' scheme knows the Gateway API's v1
// types either way.
func WithGatewayAPI() Option {
	return func(env *envtest.Environment) error {
		crds, err := gatewayapi.CRDs()
		env.CRDs = append(env.CRDs, crds...)
		return err
	}
}

// Start starts etcd and kube-apiserver from KUBEBUILDER_ASSETS (else
// <root>/bin/k8s/1.37.2), installs config/crd/bases (and what the options
// add) and starts the cache. root is the module root. Stop it with Stop,
// also after an error.
func Start(root string, opts ...Option) (*Envtest, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s", "1.37.2")
	}
	env := &envtest.Environment{
		CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}, ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	for _, o := range opts {
		if err := o(env); err != nil {
			return &Envtest{stop: func() {}}, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Stop also after a failed Start: it may fail after etcd and
	// kube-apiserver started (a CRD that does not install).
	e := &Envtest{stop: func() { cancel(); _ = env.Stop() }}
	var err error
	if e.Config, err = env.Start(); err != nil {
		return e, fmt.Errorf("envtest (run `make k8s-bin` first): %w", err)
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = ecsv1alpha1.AddToScheme(scheme)
	_ = gatewayv1.Install(scheme)
	c, err := cache.New(e.Config, cache.Options{Scheme: scheme})
	if err == nil {
		err = resolve.SetupIndexes(ctx, c)
	}
	if err != nil {
		return e, err
	}
	go func() { _ = c.Start(ctx) }()
	c.WaitForCacheSync(ctx)
	if e.Direct, err = client.New(e.Config, client.Options{Scheme: scheme}); err != nil {
		return e, err
	}
	e.Cached, err = client.NewWithWatch(e.Config, client.Options{Scheme: scheme, Cache: &client.CacheOptions{Reader: c}})
	return e, err
}

// Stop stops the cache, kube-apiserver and etcd.
func (e *Envtest) Stop() { e.stop() }
