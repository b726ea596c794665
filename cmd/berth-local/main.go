// Command berth-local is `make run`: it starts a local Kubernetes control
// plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
// kwok's simulated nodes), installs Berth's CRDs and RBAC, creates a
// Fargate-style and an EC2-style node pool, runs Berth under its own
// ServiceAccount, applies config/samples, and waits for Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/localrun"
	"github.com/berth-dev/berth/internal/operator"
)

func main() {
	samples := flag.Bool("samples", true, "apply config/samples once Berth runs")
	namespace := flag.String("namespace", "default", "namespace the samples go to")
	zapOpts := zap.Options{Development: true, Level: zapcore.InfoLevel}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	if err := run(*samples, *namespace); err != nil {
		fmt.Fprintln(os.Stderr, "berth-local:", err)
		os.Exit(1)
	}
}

func run(applySamples bool, ns string) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	fmt.Println("Starting the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)...")
	start := time.Now()
	cp, err := localcp.Start(ctx, localcp.Options{})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("Stopping every process of the local control plane...")
		if err := cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop:", err)
		}
	}()
	saCfg, err := localrun.Bootstrap(ctx, cp)
	if err != nil {
		return err
	}
	fmt.Printf("Control plane ready in %s; node pools: fargate (3 nodes), ec2 (3 nodes).\n", time.Since(start).Round(time.Second))

	mgr, err := operator.New(ctx, saCfg, operator.Options{HealthProbeAddress: "0", MetricsBindAddress: "0"})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- mgr.Start(ctx) }()

	if applySamples {
		admin, err := client.New(cp.AdminConfig(), client.Options{Scheme: operator.Scheme()})
		if err != nil {
			return err
		}
		if err := localrun.ApplySamples(ctx, admin, ns); err != nil {
			return err
		}
		fmt.Println("Applied config/samples.")
	}
	kubeconfig := cp.KubeconfigPath()
	if root, err := localrun.Root(); err == nil {
		link := filepath.Join(root, "bin", "local.kubeconfig")
		_ = os.Remove(link)
		if err := os.Symlink(kubeconfig, link); err == nil {
			kubeconfig = link
		}
	}
	fmt.Printf(`
Berth is running as ServiceAccount %s/%s against the local control plane.
In another shell:

  export KUBECONFIG=%s
  kubectl get ecs                       # clusters, task definitions, revisions, services, tasks
  kubectl get nodes -L ecs.berth.dev/capacity-provider
  kubectl get pods -o wide              # the services' tasks on kwok nodes
  kubectl edit taskdefinition web       # change the image: revision 2, and service web rolls to it

Logs of the control plane: %s/logs. Press Ctrl-C to stop everything.
`, localrun.Namespace, localrun.ServiceAccount, kubeconfig, cp.Dir())
	select {
	case <-ctx.Done():
		<-errc
		return nil
	case err := <-errc:
		return err
	}
}
