// Package controllers wires Berth's controllers: the one list of them.
package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/controllers/capacityprovider"
	"github.com/berth-dev/berth/controllers/cluster"
	"github.com/berth-dev/berth/controllers/metricalarm"
	"github.com/berth-dev/berth/controllers/revision"
	"github.com/berth-dev/berth/controllers/scalabletarget"
	"github.com/berth-dev/berth/controllers/service"
	"github.com/berth-dev/berth/controllers/stoppedtask"
	"github.com/berth-dev/berth/controllers/task"
	"github.com/berth-dev/berth/controllers/taskdefinition"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/hooks"
	"github.com/berth-dev/berth/internal/kubeversion"
	"github.com/berth-dev/berth/internal/localcp/kwoknode"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/provision"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/translate"
)

// DefaultMaxConcurrentReconciles is how many reconciles of one controller
// run at once. A reconcile mostly waits on the API server (a Service edit:
// the Deployment's apply, the status patch, an Event), so the workers, not
// the CPU, bounded how fast edits were carried out under load: 4 workers
// let 20 edits a second queue up to 5 s (M4 p99), 16 kept it at 2 s on 2
// cores (docs/benchmarks.md).
const DefaultMaxConcurrentReconciles = 16

// Config is the operator's configuration.
type Config struct {
	// Account is the region and account ID of the ARNs Berth reports.
	Account names.Account
	// MaxConcurrentReconciles per controller (default
	// DefaultMaxConcurrentReconciles).
	MaxConcurrentReconciles int
	// SkipNameValidation lets tests run several managers in one process.
	SkipNameValidation bool
	// StoppedTaskTTL is how long STOPPED Tasks, and the service tasks the
	// scheduler stopped, stay with their logs (default 1 h; negative:
	// kept).
	StoppedTaskTTL time.Duration
	// StoppedTasksPerService is how many stopped tasks of one service are
	// kept at most, the most recent (default 100).
	StoppedTasksPerService int
	// RetentionClock is the clock of the stopped service tasks' retention
	// (nil: the real one); tests advance one.
	RetentionClock clock.PassiveClock
	// KubernetesMinor is the API server's minor version; 0: ask the
	// server.
	KubernetesMinor int
	// SchedulerProfiles: the cluster's kube-scheduler runs Berth's profiles
	// for the binpack and random placement strategies.
	SchedulerProfiles bool
	// CostInterval is how often the cost of Fargate tasks is accrued
	// (default 1 min).
	CostInterval time.Duration
	// DeploymentMinute is how long one of ECS's minutes lasts in the bake
	// times, step intervals and hook timeouts of BLUE_GREEN, LINEAR and
	// CANARY deployments (default 1 min); tests shorten it.
	DeploymentMinute time.Duration
	// Controllers are which controllers run (empty: all of them).
	Controllers Selection
}

// Setup registers the field indexes and every controller with mgr.
func Setup(ctx context.Context, mgr ctrl.Manager, cfg Config) error {
	if err := cfg.Controllers.Validate(); err != nil {
		return err
	}
	if err := setupIndexes(ctx, mgr, cfg.Controllers); err != nil {
		return err
	}
	if cfg.Account == (names.Account{}) {
		cfg.Account = names.DefaultAccount
	}
	conc := cfg.MaxConcurrentReconciles
	if conc <= 0 {
		conc = DefaultMaxConcurrentReconciles
	}
	opts := controller.Options{MaxConcurrentReconciles: conc, SkipNameValidation: &cfg.SkipNameValidation}
	minor := cfg.KubernetesMinor
	if minor == 0 {
		var err error
		if minor, err = kubeversion.Minor(mgr.GetConfig()); err != nil {
			return err
		}
	}
	if minor < translate.OldestTestedMinor {
		mgr.GetLogger().Info("Warning: the cluster's Kubernetes is older than the oldest one Berth is tested on; a task's cpu and memory are then no pod-wide cap",
			"kubernetesMinor", minor, "oldestTestedMinor", translate.OldestTestedMinor)
	}
	gatewayAPI, err := kubeversion.ServesHTTPRoute(ctx, mgr.GetConfig())
	if err != nil {
		return err
	}
	features := translate.Features{KubernetesMinor: minor, SchedulerProfiles: cfg.SchedulerProfiles, GatewayAPI: gatewayAPI}
	tcfg := translate.Config{Account: cfg.Account, Features: features}
	c := mgr.GetClient()
	clk := clock.RealClock{}
	var retentionClock clock.PassiveClock = clk
	if cfg.RetentionClock != nil {
		retentionClock = cfg.RetentionClock
	}
	reconcilers := []struct {
		name string
		r    interface{ SetupWithManager(ctrl.Manager) error }
	}{
		{NameTaskDefinition, &taskdefinition.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-taskdefinition"), Clock: clk, Account: cfg.Account, Options: opts, Features: features}},
		{NameRevision, &revision.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-revision"), Account: cfg.Account, Options: opts}},
		{NameService, &service.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-service"), Clock: clk, Config: tcfg, Options: opts,
			Minute: cfg.DeploymentMinute, Hooks: hooks.Runner{Client: c, Reader: mgr.GetAPIReader(), Account: cfg.Account}, APIReader: mgr.GetAPIReader()}},
		{NameTask, &task.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-task"), Clock: clk, Config: tcfg, Options: opts, StoppedTaskTTL: cfg.StoppedTaskTTL,
			APIReader: mgr.GetAPIReader()}},
		{NameStoppedTask, &stoppedtask.Reconciler{Client: c, Clock: retentionClock, TTL: cfg.StoppedTaskTTL, MaxPerService: cfg.StoppedTasksPerService, Options: opts}},
		{NameCluster, &cluster.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-cluster"), Clock: clk, Account: cfg.Account, Options: opts}},
		{NameScalableTarget, &scalabletarget.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-scalabletarget"), Clock: clk, Options: opts,
			Metrics: alarms.ResourceMetrics{Pods: c, Metrics: mgr.GetAPIReader()}}},
		{NameMetricAlarm, &metricalarm.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-metricalarm"), Clock: clk, Account: cfg.Account, Options: opts,
			Metrics: alarms.ResourceMetrics{Pods: c, Metrics: mgr.GetAPIReader()}}},
		{NameCapacityProvider, &capacityprovider.Reconciler{Client: c, Recorder: mgr.GetEventRecorder("berth-capacityprovider"), Clock: clk, Account: cfg.Account, Options: opts, CostInterval: cfg.CostInterval, APIReader: mgr.GetAPIReader(),
			Provisioners: map[ecsv1alpha1.NodeProvisioner]provision.Provisioner{ecsv1alpha1.NodeProvisionerKwok: kwoknode.Provisioner{Client: c}}}},
	}
	for _, r := range reconcilers {
		if !cfg.Controllers.Enabled(r.name) {
			continue
		}
		if err := r.r.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("set up %T: %w", r.r, err)
		}
	}
	return nil
}

// setupIndexes registers the field indexes the selected controllers read.
// An index makes the cache watch its kind: a process that runs only the
// cluster-wide controllers (which read pods and nodes) indexes pods only,
// and does not hold the fleet's Services and Tasks.
func setupIndexes(ctx context.Context, mgr ctrl.Manager, sel Selection) error {
	wide := sel.OnlyClusterWide()
	if err := resolve.SetupIndexesOf(ctx, mgr.GetFieldIndexer(), func(o client.Object) bool {
		_, pod := o.(*corev1.Pod)
		return pod || !wide
	}); err != nil {
		return err
	}
	// (Not in resolve.SetupIndexes: hooks' own tests use resolve.)
	if sel.Enabled(NameService) {
		if err := resolve.SetupServiceIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
			return err
		}
		if err := mgr.GetFieldIndexer().IndexField(ctx, &ecsv1alpha1.Service{}, hooks.IndexCronJobs, hooks.CronJobsOf); err != nil {
			return fmt.Errorf("index Services by %s: %w", hooks.IndexCronJobs, err)
		}
	}
	return nil
}
