package localrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/ecsmetrics"
	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/operator"
)

// statusInterval is how often the status line is computed.
const statusInterval = 2 * time.Second

// RunOptions configure Run.
type RunOptions struct {
	// Out receives what a person reads: progress, what to do next, then a
	// status line and the operator's errors.
	Out io.Writer
	// Log configures the operator's log (Info and up in development mode
	// when zero), written to <working dir>/logs/berth.log.
	Log zap.Options
	// Samples applies config/samples once Berth runs.
	Samples bool
	// Namespace is where namespaced samples go.
	Namespace string
	// OnReady is called once everything runs (tests use it).
	OnReady func(*localcp.ControlPlane)
}

// Run is `make run`: it starts the local control plane, bootstraps it, runs
// Berth as its own ServiceAccount, applies the samples, prints what to do
// next and a status line, and blocks until ctx is done. Then it stops the
// operator and every process it started, and removes their working
// directory. The operator logs to a file in that directory (Run sets
// controller-runtime's and klog's loggers); its errors, and a
// control-plane process that exits, are printed on Out too. Being
// interrupted (ctx done) while starting is not an error.
func Run(ctx context.Context, o RunOptions) (err error) {
	o.defaults()
	con := newConsole(o.Out)
	dir, logFile, err := prepareDir()
	if err != nil {
		return err
	}
	keepLogs := false
	defer func() { err = errors.Join(err, cleanUp(dir, logFile, keepLogs && (err != nil || con.Troubled()), con)) }()
	setOperatorLogger(o.Log, logFile, con)

	con.Printf("Starting the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, metrics-server)...")
	cp, saCfg, err := start(ctx, dir, con)
	if errors.Is(err, localcp.ErrBinariesMissing) {
		return fmt.Errorf("%w (make run builds them first)", err)
	}
	keepLogs = true // the control plane's logs say why it failed
	if err != nil {
		return startFailed(ctx, err, con)
	}
	defer func() {
		con.Printf("Stopping every process of the local control plane...")
		err = errors.Join(err, cp.Stop())
	}()
	return runOperator(ctx, cp, saCfg, o, con, logFile.Name())
}

// startFailed is err, or nil when ctx is done (Ctrl-C): being interrupted
// while starting is not a failure.
func startFailed(ctx context.Context, err error, con *console) error {
	if ctx.Err() == nil {
		return err
	}
	con.Printf("Interrupted while starting.")
	return nil
}

func (o *RunOptions) defaults() {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.Log.Level == nil && !o.Log.Development {
		o.Log.Development, o.Log.Level = true, zapcore.InfoLevel
	}
}

// prepareDir creates the working directory and the operator's log file in
// its logs folder, next to the control plane's logs.
func prepareDir() (string, *os.File, error) {
	dir, err := os.MkdirTemp("", "berth-local-")
	if err != nil {
		return "", nil, fmt.Errorf("create working dir: %w", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "logs"), 0o700); err != nil {
		return "", nil, errors.Join(fmt.Errorf("create log dir: %w", err), os.RemoveAll(dir))
	}
	f, err := os.Create(filepath.Join(dir, "logs", "berth.log"))
	if err != nil {
		return "", nil, errors.Join(fmt.Errorf("create operator log: %w", err), os.RemoveAll(dir))
	}
	return dir, f, nil
}

// cleanUp removes the working directory, but keeps its logs when Run
// failed or reported a problem, and says where they are.
func cleanUp(dir string, logFile *os.File, keep bool, con *console) error {
	err := logFile.Close()
	if !keep {
		return errors.Join(err, os.RemoveAll(dir))
	}
	entries, rerr := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "logs" {
			rerr = errors.Join(rerr, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	con.Printf("The logs are kept in %s.", filepath.Join(dir, "logs"))
	return errors.Join(err, rerr)
}

// start starts the control plane in dir and bootstraps it (Bootstrap),
// returning the operator's rest.Config; on failure, it stops what it
// started.
func start(ctx context.Context, dir string, con *console) (*localcp.ControlPlane, *rest.Config, error) {
	began := time.Now()
	cp, err := localcp.Start(ctx, localcp.Options{Dir: dir})
	if err != nil {
		return nil, nil, err
	}
	saCfg, err := Bootstrap(ctx, cp)
	if err != nil {
		return nil, nil, errors.Join(err, cp.Stop())
	}
	con.Printf("Control plane ready in %s; node pool ec2 (3 nodes); Fargate tasks get a node each.", time.Since(began).Round(time.Second))
	return cp, saCfg, nil
}

// runOperator runs Berth as its own ServiceAccount, applies the samples,
// prints what to do next and keeps the status line current until ctx is
// done or the operator stops.
func runOperator(ctx context.Context, cp *localcp.ControlPlane, saCfg *rest.Config, o RunOptions, con *console, logPath string) (err error) {
	mgrCtx, stopMgr := context.WithCancel(ctx)
	defer stopMgr()
	// The local kube-scheduler runs Berth's placement profiles.
	// The endpoint serves the ECS metrics the operator samples.
	metrics := ecsmetrics.NewStore(ecsmetrics.Retention, ecsmetrics.DefaultInterval)
	mgr, err := operator.New(mgrCtx, saCfg, operator.Options{Controllers: controllers.Config{SchedulerProfiles: true}, MetricsStore: metrics})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- mgr.Start(mgrCtx) }()
	defer func() {
		stopMgr()
		if merr := <-errc; merr != nil && err == nil { // watch reports an early stop itself
			err = fmt.Errorf("operator: %w", merr)
		}
	}()
	admin, err := client.New(cp.AdminConfig(), client.Options{Scheme: operator.Scheme()})
	if err != nil {
		return err
	}
	if o.Samples {
		if err := ApplySamples(ctx, admin, o.Namespace); err != nil {
			return startFailed(ctx, err, con)
		}
		con.Printf("Applied config/samples.")
		if err := simulateLogs(mgrCtx, admin, cp.Dir(), o.Namespace); err != nil {
			return startFailed(ctx, err, con)
		}
	}
	apiAddr, apiSecret, apiErr, err := startAPI(mgrCtx, cp.AdminConfig(), admin, o.Namespace, metrics, logf.Log.WithName("api"))
	if err != nil {
		return startFailed(ctx, err, con)
	}
	defer func() {
		stopMgr() // the endpoint stops with the manager's context
		if aerr := <-apiErr; aerr != nil && err == nil {
			err = fmt.Errorf("ECS API endpoint: %w", aerr)
		}
	}()
	printNextSteps(con, cp, logPath, APIEnv(apiAddr, apiSecret))
	if o.OnReady != nil {
		o.OnReady(cp)
	}
	return watch(ctx, admin, cp, con, errc)
}

func printNextSteps(con *console, cp *localcp.ControlPlane, logPath, apiEnv string) {
	kubeconfig := cp.KubeconfigPath()
	if root, err := Root(); err == nil {
		link := filepath.Join(root, "bin", "local.kubeconfig")
		_ = os.Remove(link)
		if err := os.Symlink(kubeconfig, link); err == nil {
			kubeconfig = link
		}
	}
	con.Printf(`
Berth is running as ServiceAccount %s/%s against the local control plane.
In another shell:

  export KUBECONFIG=%s
  kubectl get ecs                       # clusters, task definitions, revisions, services, tasks
  kubectl get nodes -L ecs.berth.dev/capacity-provider
  kubectl get pods -o wide              # the services' tasks on kwok nodes
  kubectl edit taskdefinition web       # change the image: revision 2, and service web rolls to it
  kubectl annotate pods -l ecs.berth.dev/service=web kwok.x-k8s.io/usage-cpu=400m --overwrite
  kubectl get scalabletarget,hpa -w     # target tracking on CPU scales web out, and back in later

The ECS API (the AWS CLI, boto3, the SDKs) in another shell:

%s
  aws ecs list-clusters
  aws ecs describe-services --cluster default --services web
  aws ecs update-service --cluster default --service web --desired-count 3
  aws ecs wait services-stable --cluster default --services web
  aws logs describe-log-streams --log-group-name /ecs/web
  aws logs filter-log-events --log-group-name /ecs/web --filter-pattern '{ $.level = "error" }'

Logs: Berth's in %s, the control plane's next to it (removed when it stops, unless a problem was reported).
Press Ctrl-C to stop everything.
`, Namespace, ServiceAccount, kubeconfig, indent(apiEnv, "  "), logPath)
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
