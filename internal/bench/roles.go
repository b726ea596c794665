package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/operator"
)

// The benchmark runs the operator, and the bare manager it is compared
// with, as child processes of its own binary, so that each one's memory is
// its own. These environment variables tell a child what to be.
const (
	envRole        = "BERTH_BENCH_ROLE" // RoleOperator or RoleBare
	envKubeconfig  = "BERTH_BENCH_KUBECONFIG"
	envMetricsAddr = "BERTH_BENCH_METRICS_ADDR"
	envConcurrency = "BERTH_BENCH_CONCURRENCY"
	envNamespaces  = "BERTH_BENCH_NAMESPACES"  // comma-separated; empty: all
	envControllers = "BERTH_BENCH_CONTROLLERS" // --controllers; empty: all
)

// Roles of a child process.
const (
	// RoleOperator runs Berth's manager with every controller.
	RoleOperator = "operator"
	// RoleBare runs a manager with the same cache, informers and watches
	// and a reconcile that does nothing: the floor Berth's memory is
	// compared with (M3).
	RoleBare = "bare"
)

// memoryPath is the child's memory probe, served next to /metrics: it
// collects garbage, returns freed memory to the OS and reports MemoryProbe.
const memoryPath = "/debug/berth-memory"

// MemoryProbe is what memoryPath reports, in bytes.
type MemoryProbe struct {
	// Go is go_memory_classes total − heap released − heap unused − heap
	// free, after a collection.
	Go        uint64 `json:"go"`
	HeapInuse uint64 `json:"heapInuse"`
}

// RunRoleIfChild runs the child role named by the environment and exits;
// it returns at once in any other process. Call it first in main (and in
// TestMain).
func RunRoleIfChild() {
	role := os.Getenv(envRole)
	if role == "" {
		return
	}
	if err := runRole(role); err != nil {
		fmt.Fprintf(os.Stderr, "bench %s: %v\n", role, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runRole(role string) error {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv(envKubeconfig))
	if err != nil {
		return err
	}
	// The latency of each request, by verb (M4's diagnostics).
	crmetrics.RegisterRESTClientMetrics(crmetrics.MetricRequestLatency)
	conc, _ := strconv.Atoi(os.Getenv(envConcurrency))
	sel, err := controllers.ParseSelection(os.Getenv(envControllers))
	if err != nil {
		return err
	}
	var namespaces []string
	if ns := os.Getenv(envNamespaces); ns != "" {
		namespaces = strings.Split(ns, ",")
	}
	o := operator.Options{
		MetricsBindAddress: os.Getenv(envMetricsAddr),
		// Fargate cost is accrued once a minute, a write driven by the
		// clock rather than by a change: hourly here, so that M1 compares
		// the same work as the baseline and M2 counts what a resync
		// writes, not where the minute falls (docs/benchmarks.md).
		Controllers: controllers.Config{MaxConcurrentReconciles: conc, CostInterval: time.Hour, Controllers: sel},
		Namespaces:  namespaces,
		ExtraMetricsHandlers: map[string]http.Handler{
			memoryPath:             http.HandlerFunc(serveMemory),
			"/debug/pprof/profile": http.HandlerFunc(pprof.Profile),
			"/debug/pprof/heap":    pprof.Handler("heap"),
		},
	}
	ctx := ctrl.SetupSignalHandler()
	var mgr ctrl.Manager
	switch role {
	case RoleOperator:
		mgr, err = operator.New(ctx, cfg, o)
	case RoleBare:
		mgr, err = bareManager(cfg, o)
	default:
		return fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// bareManager is operator.NewManager with a no-op controller per Berth
// controller, watching the same kinds the same way.
func bareManager(cfg *rest.Config, o operator.Options) (ctrl.Manager, error) {
	mgr, err := operator.NewManager(cfg, o)
	if err != nil {
		return nil, err
	}
	noop := reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) { return reconcile.Result{}, nil })
	none := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request { return nil })
	type watch struct {
		name  string
		for_  client.Object
		owns  []client.Object
		other []client.Object
	}
	for _, w := range []watch{
		{"taskdefinition", &ecsv1alpha1.TaskDefinition{}, []client.Object{&ecsv1alpha1.TaskDefinitionRevision{}}, nil},
		{"service", &ecsv1alpha1.Service{}, []client.Object{&appsv1.Deployment{}},
			[]client.Object{&ecsv1alpha1.TaskDefinitionRevision{}, &ecsv1alpha1.Cluster{}, &ecsv1alpha1.CapacityProvider{}}},
		{"task", &ecsv1alpha1.Task{}, []client.Object{&corev1.Pod{}},
			[]client.Object{&ecsv1alpha1.TaskDefinitionRevision{}, &ecsv1alpha1.Cluster{}, &ecsv1alpha1.CapacityProvider{}}},
		{"cluster", &ecsv1alpha1.Cluster{}, nil, []client.Object{&ecsv1alpha1.CapacityProvider{}}},
		{"capacityprovider", &ecsv1alpha1.CapacityProvider{}, nil, []client.Object{&corev1.Node{}}},
	} {
		b := ctrl.NewControllerManagedBy(mgr).Named(w.name).For(w.for_)
		for _, o := range w.owns {
			b = b.Owns(o)
		}
		for _, o := range w.other {
			b = b.Watches(o, none)
		}
		if err := b.Complete(noop); err != nil {
			return nil, err
		}
	}
	return mgr, nil
}

func serveMemory(w http.ResponseWriter, _ *http.Request) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	samples := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(samples)
	v := func(i int) uint64 { return samples[i].Value.Uint64() }
	p := MemoryProbe{Go: v(0) - v(1) - v(2) - v(3), HeapInuse: ms.HeapInuse}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(p)
}
