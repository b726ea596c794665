// Package operator builds Berth's controller manager: the scheme, a cache
// narrowed to the objects Berth needs, and every controller.
package operator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/controllers/sampler"
	"github.com/berth-dev/berth/controllers/service"
	"github.com/berth-dev/berth/internal/ecsmetrics"
	"github.com/berth-dev/berth/internal/fieldowners"
	"github.com/berth-dev/berth/internal/hooks"
)

// Options configure the manager.
type Options struct {
	Controllers        controllers.Config
	MetricsBindAddress string // "0" disables the metrics server
	HealthProbeAddress string // "0" disables the probes
	LeaderElection     bool
	LeaderElectionNS   string
	LeaderElectionID   string
	// Lease is the leader election's timing (zero: DefaultLease).
	Lease Lease
	// ExtraMetricsHandlers are served next to /metrics (benchmarks add a
	// memory probe there).
	ExtraMetricsHandlers map[string]http.Handler
	// MetricsStore keeps the ECS metrics the sampler records (nil: a new
	// one sampling every minute, kept an hour); give one to serve it from
	// an endpoint in the same process.
	MetricsStore *ecsmetrics.Store
	// Namespaces, when set, are the only namespaces this operator watches
	// and acts in: one shard of a fleet split by namespace. The
	// cluster-wide controllers (controllers.ClusterWide) then must be
	// disabled in Controllers.Controllers, and run by one operator that
	// watches every namespace.
	Namespaces []string
}

// Lease is the timing of leader election: a leader that cannot renew its
// Lease within RenewDeadline gives leadership up (and the process exits, to
// be restarted); a standby takes over LeaseDuration after the leader's last
// renewal, trying every RetryPeriod. A leader that stops (SIGTERM) releases
// its Lease, so that a standby takes over within RetryPeriod.
type Lease struct {
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// DefaultLease is controller-runtime's and Kubernetes' own controllers'
// timing, chosen on purpose (docs/reliability.md, R1 and R3). A standby
// polls every RetryPeriod plus up to 120 % jitter (client-go), and counts
// LeaseDuration from when it observed the last renewal: a crashed leader is
// replaced within 15 + 4.4 + 4.4 ≈ 24 s, a released Lease taken within
// 4.4 s. A leader cut off from the API server stops acting after
// RenewDeadline = 10 s, before a standby may take over at 15 s, so that two
// leaders never act at once; renewing every 2 s costs one write per 2 s.
var DefaultLease = Lease{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}

// Scheme holds the Kubernetes types and Berth's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := ecsv1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	// HTTPRoutes, where the cluster serves Gateway API.
	if err := gatewayv1.Install(s); err != nil {
		panic(err)
	}
	return s
}

// withoutDefaultRateLimit returns cfg, or a copy without a client-side
// rate limit when cfg sets none (QPS 0, which client-go would turn into 5
// requests per second).
func withoutDefaultRateLimit(cfg *rest.Config) *rest.Config {
	if cfg.QPS != 0 || cfg.RateLimiter != nil {
		return cfg
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	return cfg
}

// New builds the manager with every controller registered.
func New(ctx context.Context, cfg *rest.Config, o Options) (ctrl.Manager, error) {
	mgr, err := NewManager(cfg, o)
	if err != nil {
		return nil, err
	}
	if err := controllers.Setup(ctx, mgr, o.Controllers); err != nil {
		return nil, err
	}
	if !o.Controllers.Controllers.Enabled(controllers.NameSampler) {
		return mgr, nil
	}
	store := o.MetricsStore
	if store == nil {
		store = ecsmetrics.NewStore(ecsmetrics.Retention, ecsmetrics.DefaultInterval)
	}
	if err := mgr.Add(&sampler.Sampler{
		Reader: mgr.GetClient(), Usage: sampler.ResourceMetrics(mgr.GetAPIReader()), Store: store,
		Gauges: sampler.RegisteredGauges(), Clock: clock.RealClock{}, Log: mgr.GetLogger().WithName("sampler"),
	}); err != nil {
		return nil, fmt.Errorf("add the metrics sampler: %w", err)
	}
	return mgr, nil
}

// NewManager builds the manager without controllers: the client, the cache
// narrowed to what Berth needs, metrics, probes and leader election. A
// rest.Config without a rate limit (QPS 0, as a hand-built or
// service-account config has) gets none, as ctrl.GetConfig gives: client-go
// would otherwise cap the operator at 5 requests per second, and kube-apiserver's
// priority and fairness is what protects the server.
func NewManager(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	if err := checkShard(o); err != nil {
		return nil, err
	}
	cfg = withoutDefaultRateLimit(cfg)
	// The pods of Berth's tasks (standalone and services') are cached, with
	// only what the controllers read: metadata, status, the node and the
	// sidecars (see slimPod). Caching whole pods cost about 55 MiB per
	// 10,000 service tasks (benchmark M5).
	berthPods := labels.SelectorFromSet(labels.Set{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue})
	poolNode, err := labels.NewRequirement(ecsv1alpha1.LabelCapacityProvider, selection.Exists, nil)
	if err != nil {
		return nil, err
	}
	hookJob, err := labels.NewRequirement(hooks.LabelService, selection.Exists, nil)
	if err != nil {
		return nil, err
	}
	if o.MetricsBindAddress == "" {
		o.MetricsBindAddress = "0"
	}
	if o.HealthProbeAddress == "" {
		o.HealthProbeAddress = "0"
	}
	if o.LeaderElectionID == "" {
		o.LeaderElectionID = LeaderElectionID(o)
	}
	lease := o.Lease
	if lease == (Lease{}) {
		lease = DefaultLease
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  Scheme(),
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsBindAddress, ExtraHandlers: o.ExtraMetricsHandlers},
		HealthProbeBindAddress:  o.HealthProbeAddress,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        o.LeaderElectionID,
		LeaderElectionNamespace: o.LeaderElectionNS,
		// A stopping leader hands over at once: every runnable has stopped
		// when the Lease is released (the manager waits for them first).
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &lease.LeaseDuration,
		RenewDeadline:                 &lease.RenewDeadline,
		RetryPeriod:                   &lease.RetryPeriod,
		Cache: cache.Options{
			DefaultNamespaces: namespaces(o.Namespaces),
			// Only the pods and Kubernetes Services of Berth's tasks and
			// services and the nodes of capacity-provider pools are cached; managedFields are not needed
			// but for the marks below.
			DefaultTransform: cache.TransformStripManagedFields(),
			ByObject: map[client.Object]cache.ByObject{
				&corev1.Pod{}:     {Label: berthPods, Transform: slimPod},
				&corev1.Service{}: {Label: berthPods},
				&corev1.Node{}:    {Label: labels.NewSelector().Add(*poolNode)},
				// Of managedFields, a Service's Deployments and DaemonSets keep
				// a mark of each edit of their spec by someone else, which
				// Berth reverts (fieldowners).
				&appsv1.Deployment{}: {Transform: fieldowners.Summarize(service.FieldOwner, berthPods)},
				&appsv1.DaemonSet{}:  {Transform: fieldowners.Summarize(service.FieldOwner, berthPods)},
				// Only the Jobs of lifecycle hooks.
				&batchv1.Job{}: {Label: labels.NewSelector().Add(*hookJob)},
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("new manager: %w", err)
	}
	if o.HealthProbeAddress != "0" {
		if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
			return nil, err
		}
		if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
			return nil, err
		}
	}
	return mgr, nil
}

// checkShard refuses an operator that watches some namespaces only and
// runs a controller that must see them all.
func checkShard(o Options) error {
	if len(o.Namespaces) == 0 {
		return nil
	}
	for _, name := range controllers.ClusterWide {
		if o.Controllers.Controllers.Enabled(name) {
			return fmt.Errorf("--namespaces %s: the %s controller acts on what every namespace shares and needs them all; "+
				"disable it here (--controllers=*,-%s) and run it in one operator without --namespaces", strings.Join(o.Namespaces, ","), name, name)
		}
	}
	return nil
}

// LeaderElectionID is the Lease the replicas of one operator share: the
// same for every replica given the same namespaces and controllers, and
// another for each shard, so that shards do not wait for each other.
func LeaderElectionID(o Options) string {
	const id = "berth.ecs.berth.dev"
	if len(o.Namespaces) == 0 && o.Controllers.Controllers.All() {
		return id
	}
	ns, sel := slices.Clone(o.Namespaces), slices.Clone(o.Controllers.Controllers)
	slices.Sort(ns)
	slices.Sort(sel)
	sum := sha256.Sum256([]byte(strings.Join(ns, ",") + "/" + strings.Join(sel, ",")))
	return "berth-" + hex.EncodeToString(sum[:5]) + "." + id
}

// namespaces is the cache's namespaces (nil: every one).
func namespaces(names []string) map[string]cache.Config {
	if len(names) == 0 {
		return nil
	}
	m := make(map[string]cache.Config, len(names))
	for _, n := range names {
		m[n] = cache.Config{}
	}
	return m
}

// slimPod keeps of a cached pod what Berth's controllers read: metadata
// without managedFields, the status, the node, which init containers are
// sidecars, and what capacity providers place by (node selector and node
// affinity, resource requests). The containers' specs (commands, environment, probes) are
// dropped: the controllers never read them, and they are most of a pod's
// size. Pods are written with server-side apply, never from the cache.
func slimPod(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	pod.ManagedFields = nil
	spec := corev1.PodSpec{NodeName: pod.Spec.NodeName, NodeSelector: pod.Spec.NodeSelector, Resources: pod.Spec.Resources,
		ActiveDeadlineSeconds: pod.Spec.ActiveDeadlineSeconds} // a task being stopped (taskstate.Stopping)
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		spec.Affinity = &corev1.Affinity{NodeAffinity: a.NodeAffinity}
	}
	for _, c := range pod.Spec.InitContainers {
		spec.InitContainers = append(spec.InitContainers, corev1.Container{Name: c.Name, RestartPolicy: c.RestartPolicy,
			Resources: corev1.ResourceRequirements{Requests: c.Resources.Requests}})
	}
	for _, c := range pod.Spec.Containers {
		spec.Containers = append(spec.Containers, corev1.Container{Name: c.Name, Resources: corev1.ResourceRequirements{Requests: c.Resources.Requests}})
	}
	pod.Spec = spec
	return pod, nil
}
