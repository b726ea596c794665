package localrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/operator"
)

// RunOptions configure Run.
type RunOptions struct {
	// Out receives what a person reads: progress and what to do next.
	Out io.Writer
	// Samples applies config/samples once Berth runs.
	Samples bool
	// Namespace is where namespaced samples go.
	Namespace string
	// OnReady is called once everything runs (tests use it).
	OnReady func(*localcp.ControlPlane)
}

// Run is `make run`: it starts the local control plane, bootstraps it, runs
// Berth as its own ServiceAccount, applies the samples, prints what to do
// next, and blocks until ctx is done. Then it stops the operator and every
// process it started, and removes their temporary directory.
func Run(ctx context.Context, o RunOptions) (err error) {
	o.defaults()
	fmt.Fprintln(o.Out, "Starting the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, metrics-server)...")
	start := time.Now()
	cp, err := localcp.Start(ctx, localcp.Options{})
	if errors.Is(err, localcp.ErrBinariesMissing) {
		return fmt.Errorf("%w (make run builds them first)", err)
	}
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(o.Out, "Stopping every process of the local control plane...")
		if serr := cp.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	saCfg, err := Bootstrap(ctx, cp)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "Control plane ready in %s; node pool ec2 (3 nodes); Fargate tasks get a node each.\n", time.Since(start).Round(time.Second))

	mgrCtx, stopMgr := context.WithCancel(ctx)
	defer stopMgr()
	// The local kube-scheduler runs Berth's placement profiles.
	mgr, err := operator.New(mgrCtx, saCfg, operator.Options{Controllers: controllers.Config{SchedulerProfiles: true}})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- mgr.Start(mgrCtx) }()
	defer func() {
		stopMgr()
		if merr := <-errc; merr != nil && err == nil {
			err = merr
		}
	}()

	if o.Samples {
		if err := applySamplesAsAdmin(ctx, cp, o); err != nil {
			return err
		}
	}
	printNextSteps(o.Out, cp)
	if o.OnReady != nil {
		o.OnReady(cp)
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		errc <- err // for the deferred wait
		return fmt.Errorf("operator stopped: %w", err)
	}
}

func (o *RunOptions) defaults() {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
}

func applySamplesAsAdmin(ctx context.Context, cp *localcp.ControlPlane, o RunOptions) error {
	admin, err := client.New(cp.AdminConfig(), client.Options{Scheme: operator.Scheme()})
	if err != nil {
		return err
	}
	if err := ApplySamples(ctx, admin, o.Namespace); err != nil {
		return err
	}
	fmt.Fprintln(o.Out, "Applied config/samples.")
	return nil
}

func printNextSteps(out io.Writer, cp *localcp.ControlPlane) {
	kubeconfig := cp.KubeconfigPath()
	if root, err := Root(); err == nil {
		link := filepath.Join(root, "bin", "local.kubeconfig")
		_ = os.Remove(link)
		if err := os.Symlink(kubeconfig, link); err == nil {
			kubeconfig = link
		}
	}
	fmt.Fprintf(out, `
Berth is running as ServiceAccount %s/%s against the local control plane.
In another shell:

  export KUBECONFIG=%s
  kubectl get ecs                       # clusters, task definitions, revisions, services, tasks
  kubectl get nodes -L ecs.berth.dev/capacity-provider
  kubectl get pods -o wide              # the services' tasks on kwok nodes
  kubectl edit taskdefinition web       # change the image: revision 2, and service web rolls to it
  kubectl annotate pods -l ecs.berth.dev/service=web kwok.x-k8s.io/usage-cpu=400m --overwrite
  kubectl get scalabletarget,hpa -w     # target tracking on CPU scales web out, and back in later

Logs of the control plane: %s/logs. Press Ctrl-C to stop everything.
`, Namespace, ServiceAccount, kubeconfig, cp.Dir())
}
