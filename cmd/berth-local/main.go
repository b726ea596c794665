// Command berth-local is `make run`: it starts a local Kubernetes control
// plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
// kwok's simulated nodes), installs Berth's CRDs and RBAC, creates a
// Fargate-style and an EC2-style node pool, runs Berth under its own
// ServiceAccount, applies config/samples, and waits for Ctrl-C. The
// operator logs to a file; the terminal shows what to do next and a status
// line.
//
// Ctrl-C stops everything and exits with status 0; a second Ctrl-C quits at
// once (the kernel kills the control plane's processes with it).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"go.uber.org/zap/zapcore"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/internal/localrun"
)

func main() {
	o := localrun.RunOptions{Out: os.Stdout, Log: zap.Options{Development: true, Level: zapcore.InfoLevel}}
	flag.BoolVar(&o.Samples, "samples", true, "apply config/samples once Berth runs")
	flag.StringVar(&o.Namespace, "namespace", "default", "namespace the samples go to")
	o.Log.BindFlags(flag.CommandLine)
	flag.Parse()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go stopOnSignals(sigs, cancel)
	if err := localrun.Run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "berth-local:", err)
		os.Exit(1)
	}
}

// stopOnSignals cancels on the first SIGINT or SIGTERM, and exits at once on
// the second one.
func stopOnSignals(sigs <-chan os.Signal, cancel context.CancelFunc) {
	<-sigs
	cancel()
	<-sigs
	fmt.Fprintf(os.Stderr, "\nberth-local: interrupted again: quitting now; the control plane's processes die with it, and its working directory stays (%s)\n",
		filepath.Join(os.TempDir(), "berth-local-*"))
	os.Exit(130)
}
