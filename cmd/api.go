package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/controllers/sampler"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/endpoint"
	"github.com/berth-dev/berth/internal/ecsmetrics"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/operator"
)

// api runs `manager api`: the AWS API endpoint, stateless, any number of
// replicas.
func api(args []string) int {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	o := endpoint.Options{Account: names.DefaultAccount}
	fs.StringVar(&o.Addr, "bind-address", ":8443", "address the endpoint listens on")
	fs.StringVar(&o.KeyNamespace, "key-namespace", envOr("POD_NAMESPACE", "berth-system"), "namespace of the access key Secrets (type "+string(awsapi.SecretTypeAccessKey)+")")
	fs.StringVar(&o.Account.Region, "region", o.Account.Region, "region shown in ARNs")
	fs.StringVar(&o.Account.AccountID, "account-id", o.Account.AccountID, "account ID shown in ARNs, unless the namespace's "+awsapi.AnnotationAccountID+" annotation says otherwise")
	fs.StringVar(&o.TLSCertFile, "tls-cert-file", "", "serve HTTPS with this certificate (PEM)")
	fs.StringVar(&o.TLSKeyFile, "tls-private-key-file", "", "the certificate's private key (PEM)")
	fs.BoolVar(&o.InsecureHTTP, "insecure-http", false, "serve plain HTTP on an address that is not loopback (behind a TLS-terminating proxy)")
	fs.DurationVar(&o.Wait, "operation-wait", 20*time.Second, "how long an operation waits for the operator's answer (the revision RegisterTaskDefinition returns)")
	sampleInterval := fs.Duration("metrics-sample-interval", ecsmetrics.DefaultInterval, "how often the ECS metrics CloudWatch serves are sampled (docs/metrics.md); every replica samples for itself")
	anyKey := fs.String("insecure-any-key", "", "DEVELOPMENT ONLY, loopback addresses only: accept any credentials, acting as user@namespace (e.g. dev@default)")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("api")
	o.Log = log
	if *anyKey != "" {
		user, ns, ok := strings.Cut(*anyKey, "@")
		if !ok || user == "" || ns == "" {
			fmt.Fprintln(os.Stderr, "--insecure-any-key takes user@namespace")
			return 2
		}
		o.AnyKey, o.AnyKeyIdentity = true, awsapi.Identity{Username: user, Namespace: ns}
	}
	cfg := ctrl.GetConfigOrDie()
	ctx, cancel := context.WithCancel(ctrl.SetupSignalHandler())
	defer cancel()
	// The CloudWatch metrics: this process samples them into its own store
	// (the operator's is in another process), from a cache of the objects
	// the sampler reads.
	store := ecsmetrics.NewStore(ecsmetrics.Retention, *sampleInterval)
	o.MetricSource = store
	mgr, err := operator.NewManager(cfg, operator.Options{MetricsBindAddress: "0", HealthProbeAddress: "0"})
	if err == nil {
		err = mgr.Add(&sampler.Sampler{Reader: mgr.GetClient(), Usage: sampler.ResourceMetrics(mgr.GetAPIReader()), Store: store,
			Clock: clock.RealClock{}, Log: log.WithName("sampler")})
	}
	if err != nil {
		log.Error(err, "Failed to build the metrics sampler")
		return 1
	}
	ep, err := endpoint.New(cfg, o)
	if err != nil {
		log.Error(err, "Failed to build the endpoint")
		return 1
	}
	sampling := make(chan error, 1)
	go func() {
		sampling <- mgr.Start(ctx)
		cancel() // the endpoint does not outlive its metrics
	}()
	err = ep.Serve(ctx, func(addr string) { log.Info("Serving the ECS API", "address", addr) })
	cancel()
	if serr := <-sampling; serr != nil && err == nil {
		err = fmt.Errorf("metrics sampler: %w", serr)
	}
	if err != nil {
		log.Error(err, "The endpoint stopped with an error")
		return 1
	}
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
