// Command manager runs Berth's controllers against the cluster in the
// current kubeconfig (or in-cluster configuration). `manager import` turns
// ECS task definition JSON into TaskDefinition manifests; `manager api`
// serves the ECS API over the same objects (its own Deployment); `manager
// logs service/NAME` prints a service's tasks' output, as aws logs tail.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/controllers/stoppedtask"
	"github.com/berth-dev/berth/internal/ecsmetrics"
	"github.com/berth-dev/berth/internal/importer"
	"github.com/berth-dev/berth/internal/logs/tail"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/operator"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "import" {
		os.Exit(importer.Main(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "logs" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := tail.Main(ctx, os.Args[2:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	if len(os.Args) > 1 && os.Args[1] == "api" {
		os.Exit(api(os.Args[2:]))
	}
	var o operator.Options
	acct := names.DefaultAccount
	flag.StringVar(&o.MetricsBindAddress, "metrics-bind-address", ":8080", "address of the metrics endpoint; 0 disables it")
	flag.StringVar(&o.HealthProbeAddress, "health-probe-bind-address", ":8081", "address of the health probes; 0 disables them")
	flag.BoolVar(&o.LeaderElection, "leader-elect", false, "elect a leader, so that several replicas can run")
	o.Lease = operator.DefaultLease
	flag.DurationVar(&o.Lease.LeaseDuration, "leader-elect-lease-duration", o.Lease.LeaseDuration, "how long a standby waits after the leader's last renewal before it takes over (docs/reliability.md)")
	flag.DurationVar(&o.Lease.RenewDeadline, "leader-elect-renew-deadline", o.Lease.RenewDeadline, "how long the leader keeps trying to renew its lease before it gives leadership up and exits; less than the lease duration")
	flag.DurationVar(&o.Lease.RetryPeriod, "leader-elect-retry-period", o.Lease.RetryPeriod, "how often the leader renews and standbys try to acquire the lease")
	flag.StringVar(&acct.Region, "region", acct.Region, "region shown in the ARNs Berth reports")
	flag.StringVar(&acct.AccountID, "account-id", acct.AccountID, "account ID shown in the ARNs Berth reports")
	flag.IntVar(&o.Controllers.MaxConcurrentReconciles, "max-concurrent-reconciles", controllers.DefaultMaxConcurrentReconciles, "reconciles run at once per controller")
	flag.BoolVar(&o.Controllers.SchedulerProfiles, "scheduler-profiles", false, "the cluster's kube-scheduler runs Berth's profiles berth-binpack-cpu, berth-binpack-memory and berth-random (docs/capacity.md), so that the binpack and random placement strategies are applied")
	sampleInterval := flag.Duration("metrics-sample-interval", ecsmetrics.DefaultInterval, "how often the ECS metrics CloudWatch serves (CPUUtilization, MemoryUtilization, task counts) are sampled; ECS publishes every minute (docs/metrics.md)")
	flag.IntVar(&o.Controllers.StoppedTasksPerService, "stopped-tasks-per-service", stoppedtask.DefaultMaxPerService, "how many stopped tasks of one service are kept with their logs at most, the most recently stopped (a service whose tasks crash as they start would otherwise keep thousands)")
	flag.DurationVar(&o.Controllers.StoppedTaskTTL, "stopped-task-ttl", time.Hour, "how long STOPPED Tasks, and service tasks the scheduler stopped, stay visible with their logs before they are deleted (ECS keeps them about an hour); negative keeps them")
	zapOpts := zap.Options{}
	flag.DurationVar(&o.Controllers.DeploymentMinute, "deployment-minute", time.Minute, "how long one of ECS's minutes lasts in the bake times, step intervals and hook timeouts of BLUE_GREEN, LINEAR and CANARY deployments; shorter for trying a pipeline out (docs/services.md)")
	flag.StringVar(&o.LeaderElectionID, "leader-elect-id", "", "the Lease the replicas elect their leader with (default: berth.ecs.berth.dev, or one of its own for each choice of --namespaces and --controllers)")
	namespaces := flag.String("namespaces", "", "comma-separated namespaces this operator alone watches and acts in, one shard of a fleet split by namespace (default: every namespace); needs --controllers=*,-capacityprovider, the capacity providers' controller running in one operator without --namespaces")
	selection := flag.String("controllers", "*", "comma-separated controllers to run, as kube-controller-manager's flag: '*' all of them, 'name' that one, '-name' not that one; names: "+strings.Join(controllers.Names, ", "))
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	sel, err := controllers.ParseSelection(*selection)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	o.Controllers.Controllers = sel
	if *namespaces != "" {
		for _, ns := range strings.Split(*namespaces, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				o.Namespaces = append(o.Namespaces, ns)
			}
		}
	}
	o.Controllers.Account = acct
	o.MetricsStore = ecsmetrics.NewStore(ecsmetrics.Retention, *sampleInterval)
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")

	ctx := ctrl.SetupSignalHandler()
	mgr, err := operator.New(ctx, ctrl.GetConfigOrDie(), o)
	if err != nil {
		log.Error(err, "Failed to create the manager")
		os.Exit(1)
	}
	log.Info("Starting manager")
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "Manager stopped with an error")
		os.Exit(1)
	}
}
