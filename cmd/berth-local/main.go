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
	"syscall"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/internal/localrun"
)

func main() {
	o := localrun.RunOptions{Out: os.Stdout}
	flag.BoolVar(&o.Samples, "samples", true, "apply config/samples once Berth runs")
	flag.StringVar(&o.Namespace, "namespace", "default", "namespace the samples go to")
	zapOpts := zap.Options{Development: true, Level: zapcore.InfoLevel}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := localrun.Run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "berth-local:", err)
		os.Exit(1)
	}
}
