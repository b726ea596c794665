package localcp

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	// pollInterval is how often readiness conditions are checked.
	pollInterval = 200 * time.Millisecond
	// probeTimeout bounds a single readiness probe.
	probeTimeout = 5 * time.Second
	// kubeconfigContext names the cluster, user and context of the kubeconfig.
	kubeconfigContext = "berth-local"
)

// boot writes the configuration, starts every process and waits until the
// control plane is usable. It is called again, with new ports, if a port
// was taken by someone else in between.
func (c *ControlPlane) boot(ctx context.Context, binDir string, o Options) error {
	if err := c.configure(); err != nil {
		return err
	}
	if err := c.writeAuditPolicy(o.AuditPolicy); err != nil {
		return err
	}
	var out *lockedWriter
	if o.Out != nil {
		out = &lockedWriter{w: o.Out}
	}
	start := func(name string, args, env []string) error {
		p, err := startProcess(name, filepath.Join(binDir, name), args, env, c.layout.logDir, out)
		if err != nil {
			return err
		}
		c.procsMu.Lock()
		c.procs = append(c.procs, p)
		c.procsMu.Unlock()
		return nil
	}
	l := &c.layout
	if err := start("etcd", etcdArgs(l), nil); err != nil {
		return err
	}
	if err := start("kube-apiserver", apiserverArgs(l, o), nil); err != nil {
		return err
	}
	if err := c.waitFor(ctx, "kube-apiserver /readyz", c.apiserverReady); err != nil {
		return err
	}
	gatewayCRDs := c.applyGatewayAPI(ctx)
	kArgs, kEnv, err := kwokArgs(l.dir, l.kubeconfig, l.ports.kwok, o.ExtraKwokStages, !o.NoMetrics)
	if err != nil {
		return err
	}
	if err := start("kube-controller-manager", controllerManagerArgs(l, o.Profile), nil); err != nil {
		return err
	}
	if err := os.WriteFile(schedulerConfigPath(l), schedulerConfig(l, o.Profile), 0o600); err != nil {
		return err
	}
	if err := start("kube-scheduler", schedulerArgs(l), nil); err != nil {
		return err
	}
	if err := c.startKwok(ctx, start, kArgs, kEnv); err != nil {
		return err
	}
	if err := c.startMetrics(ctx, o, start); err != nil {
		return err
	}
	return c.waitUsable(ctx, o, gatewayCRDs)
}

// startKwok installs kwok's CRDs, starts kwok and waits until it serves.
func (c *ControlPlane) startKwok(ctx context.Context, start func(name string, args, env []string) error, args, env []string) error {
	if err := c.installKwokCRDs(ctx); err != nil {
		return err
	}
	if err := start("kwok", args, env); err != nil {
		return err
	}
	return c.waitFor(ctx, "kwok /healthz", c.kwokHealthy)
}

// startMetrics starts metrics-server and registers it as the metrics.k8s.io
// API, unless the options leave metrics out.
func (c *ControlPlane) startMetrics(ctx context.Context, o Options, start func(name string, args, env []string) error) error {
	if o.NoMetrics {
		return nil
	}
	if err := start(metricsServerName, metricsServerArgs(&c.layout), nil); err != nil {
		return err
	}
	return c.registerMetricsAPI(ctx)
}

// waitUsable waits for the default ServiceAccount (kube-controller-manager
// works), for the Gateway API CRDs (applied in the background) to be
// established and, with metrics, for kube-apiserver to reach
// metrics-server.
func (c *ControlPlane) waitUsable(ctx context.Context, o Options, gatewayCRDs <-chan crdsApplied) error {
	if err := c.waitFor(ctx, "the default ServiceAccount", c.defaultServiceAccountExists); err != nil {
		return err
	}
	if err := c.waitGatewayAPI(ctx, gatewayCRDs); err != nil {
		return err
	}
	if o.NoMetrics {
		return nil
	}
	return c.waitFor(ctx, "the metrics.k8s.io APIService to be available", c.metricsAPIAvailable)
}

// writeAuditPolicy writes kube-apiserver's audit policy, if there is one,
// and removes the audit log of an earlier boot.
func (c *ControlPlane) writeAuditPolicy(policy []byte) error {
	if len(policy) == 0 {
		return nil
	}
	if err := os.WriteFile(filepath.Join(c.layout.dir, "audit-policy.yaml"), policy, 0o600); err != nil {
		return fmt.Errorf("write audit policy: %w", err)
	}
	if err := os.Remove(c.AuditLogPath()); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove old audit log: %w", err)
	}
	return nil
}

// configure prepares the working directory for a fresh boot: new ports, an
// empty etcd, certificates, the admin token and the admin kubeconfig.
func (c *ControlPlane) configure() error {
	l := &c.layout
	if err := os.RemoveAll(filepath.Join(l.dir, "etcd")); err != nil {
		return fmt.Errorf("remove old etcd data: %w", err)
	}
	if err := os.MkdirAll(l.logDir, 0o700); err != nil {
		return fmt.Errorf("create log dir: %w", err)
	}
	var err error
	if l.ports, err = allocatePorts(); err != nil {
		return err
	}
	if l.pki, err = writePKI(filepath.Join(l.dir, "pki")); err != nil {
		return err
	}
	token, err := randomToken()
	if err != nil {
		return err
	}
	if err := writeTokenFile(l.tokenFile, token); err != nil {
		return err
	}
	c.admin = &rest.Config{
		Host:            l.apiserverURL(),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: l.pki.caPEM},
	}
	if err := writeKubeconfig(l.kubeconfig, c.admin); err != nil {
		return err
	}
	internal := rest.CopyConfig(c.admin)
	internal.QPS, internal.Burst = 100, 200 // node pools can be large
	if c.client, err = kubernetes.NewForConfig(internal); err != nil {
		return fmt.Errorf("create admin client: %w", err)
	}
	if c.dynamic, err = dynamic.NewForConfig(internal); err != nil {
		return fmt.Errorf("create admin dynamic client: %w", err)
	}
	return nil
}

// writeKubeconfig writes a kubeconfig file for cfg's server, CA and token.
func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[kubeconfigContext] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos[kubeconfigContext] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts[kubeconfigContext] = &clientcmdapi.Context{
		Cluster:   kubeconfigContext,
		AuthInfo:  kubeconfigContext,
		Namespace: metav1.NamespaceDefault,
	}
	kc.CurrentContext = kubeconfigContext
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}

// waitFor polls cond until it succeeds, a process exits or ctx ends.
func (c *ControlPlane) waitFor(ctx context.Context, what string, cond func(context.Context) error) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if err := c.checkProcesses(); err != nil {
			return err
		}
		probeCtx, cancel := context.WithTimeout(ctx, probeTimeout)
		lastErr := cond(probeCtx)
		cancel()
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w (last error: %w)", what, ctx.Err(), lastErr)
		case <-tick.C:
		}
	}
}

// checkProcesses returns an error if any process has exited.
func (c *ControlPlane) checkProcesses() error {
	c.procsMu.Lock()
	defer c.procsMu.Unlock()
	for _, p := range c.procs {
		if p.exited() {
			return p.exitError()
		}
	}
	return nil
}

// apiserverReady checks /readyz with the admin token, verifying TLS.
func (c *ControlPlane) apiserverReady(ctx context.Context) error {
	_, err := c.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	return err
}

// kwokHealthy checks kwok's /healthz, served once its controllers run.
func (c *ControlPlane) kwokHealthy(ctx context.Context) error {
	url := "http://" + loopbackAddr(c.layout.ports.kwok) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// No proxy, no connection reuse: one short probe to a loopback port.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("kwok /healthz: %s", resp.Status)
	}
	return nil
}

// defaultServiceAccountExists proves that kube-controller-manager works.
func (c *ControlPlane) defaultServiceAccountExists(ctx context.Context) error {
	_, err := c.client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
	return err
}
