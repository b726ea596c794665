// Package localcp starts and stops a real, local Kubernetes control plane:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, which
// simulates nodes and the pods running on them, and metrics-server, which
// serves metrics.k8s.io from kwok's simulated usage (a pod's annotations
// kwok.x-k8s.io/usage-cpu and kwok.x-k8s.io/usage-memory), so that
// HorizontalPodAutoscalers work. The Gateway API's GatewayClass, Gateway,
// HTTPRoute and ReferenceGrant kinds are installed (internal/gatewayapi),
// with no Gateway controller. It needs no container runtime; the
// binaries are built from the Go module proxy by `make k8s-bin`
// (hack/build-k8s.sh).
//
// Every process listens on 127.0.0.1 only, on ephemeral ports, runs in its
// own process group, is killed by the kernel if the parent dies, and logs to
// <Dir>/logs/<name>.log.
//
// It backs the end-to-end tests and `make run`.
package localcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// K8sVersion is the Kubernetes version of the binaries this package expects.
const K8sVersion = "1.37.2"

// BinDirEnv is the environment variable naming the binary folder when
// Options.BinDir is empty.
const BinDirEnv = "BERTH_K8S_BIN"

const (
	// startTimeout bounds Start; it usually takes 10-20 seconds.
	startTimeout = 3 * time.Minute
	// maxStartAttempts is how often Start tries again when another process
	// took one of the chosen ports before a component could bind it.
	maxStartAttempts = 3
)

// ErrBinariesMissing is returned by Start when a control-plane binary cannot
// be found; `make k8s-bin` builds them.
var ErrBinariesMissing = errors.New("control-plane binaries missing: run `make k8s-bin`")

// Options configure Start. The zero value is valid.
type Options struct {
	// BinDir holds etcd, kube-apiserver, kube-controller-manager,
	// kube-scheduler, kwok and metrics-server. Empty means $BERTH_K8S_BIN,
	// else <module root>/bin/k8s/<K8sVersion>, the module root being the
	// nearest folder with a go.mod above the working directory.
	BinDir string
	// Dir is the working directory (certificates, kubeconfig, etcd data,
	// logs). Empty means a new temporary directory, removed by Stop. A given
	// Dir is kept, but its etcd data is wiped: every Start begins with an
	// empty cluster.
	Dir string
	// Out, when not nil, also receives the output of every process, each
	// line prefixed by "[<name>] ". The logs are always written to
	// <Dir>/logs/<name>.log as well.
	Out io.Writer
	// ExtraKwokStages is multi-document YAML of kwok objects (usually Stage)
	// added to the built-in stages in kwok's --config.
	ExtraKwokStages []byte
	// Profile sets the components' rate limits: ProfileDefault (the zero
	// value) keeps Kubernetes' stock limits; ProfileUnthrottled lifts them
	// as kwok's benchmark does (kwokctl --disable-qps-limits).
	Profile Profile
	// NoMetrics leaves metrics-server and kwok's simulated resource usage
	// out: no metrics.k8s.io, and no usage computed for every pod every 10
	// seconds. Benchmarks that measure the operator use it.
	NoMetrics bool
	// AuditPolicy, when not empty, is a kube-apiserver audit Policy (YAML);
	// the events it selects are written as JSON lines to AuditLogPath().
	AuditPolicy []byte
}

// Profile names a set of control-plane rate limits.
type Profile string

const (
	// ProfileDefault is Kubernetes' stock limits: kube-controller-manager
	// clients at 20 QPS (burst 30) each, kube-scheduler at 50 (burst 100),
	// kube-apiserver with API priority and fairness.
	ProfileDefault Profile = ""
	// ProfileUnthrottled is kwokctl's --disable-qps-limits: the controller
	// manager and the scheduler at 5000 QPS (burst 10000), kube-apiserver
	// without in-flight limits and without priority and fairness.
	ProfileUnthrottled Profile = "unthrottled"
)

// ControlPlane is a running local control plane. Stop releases it.
type ControlPlane struct {
	layout  layout
	ownsDir bool
	admin   *rest.Config
	client  kubernetes.Interface
	dynamic dynamic.Interface
	procs   []*process
	// procsMu guards procs against Restart.
	procsMu sync.Mutex

	stopOnce sync.Once
	stopErr  error
}

// Start starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// kwok and metrics-server, and returns once kube-apiserver is ready, kwok is
// serving, the controller manager has created the default ServiceAccount,
// the Gateway API CRDs are established and kube-apiserver reaches
// metrics-server (the metrics.k8s.io APIService is Available), which takes
// 10-20 seconds (at most 3 minutes). A pod's metrics appear 10-40 seconds
// after it runs. ctx bounds only the start:
// the processes run until Stop. On failure Start stops whatever it started; an
// error from a process that exited early quotes the end of its log.
func Start(ctx context.Context, o Options) (_ *ControlPlane, err error) {
	binDir, err := resolveBinDir(o.BinDir)
	if err != nil {
		return nil, err
	}
	if err := checkBinaries(binDir); err != nil {
		return nil, err
	}
	c := &ControlPlane{}
	if err := c.prepareDir(o.Dir); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err = c.boot(ctx, binDir, o)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errPortInUse) || attempt == maxStartAttempts {
			return nil, fmt.Errorf("start local control plane in %s: %w", c.layout.dir, err)
		}
		if err := c.stopProcesses(); err != nil {
			return nil, fmt.Errorf("restart local control plane after a port clash: %w", err)
		}
	}
}

// AuditLogPath is the kube-apiserver audit log (JSON lines), written when
// Options.AuditPolicy was set.
func (c *ControlPlane) AuditLogPath() string {
	return filepath.Join(c.layout.dir, "audit.log")
}

// AdminConfig returns a new rest.Config for an administrator (group
// system:masters, authenticated by a static token). Admin requests bypass
// RBAC and API priority and fairness: run the code under test with
// ServiceAccountConfig instead.
func (c *ControlPlane) AdminConfig() *rest.Config {
	return rest.CopyConfig(c.admin)
}

// KubeconfigPath returns the admin kubeconfig file, usable with kubectl.
func (c *ControlPlane) KubeconfigPath() string {
	return c.layout.kubeconfig
}

// Dir returns the working directory.
func (c *ControlPlane) Dir() string {
	return c.layout.dir
}

// Stop stops every process by its PID (SIGTERM, then SIGKILL after 10
// seconds), waits for them to exit and removes the working directory if
// Start created it. It is safe to call more than once; later calls return
// the first call's result.
func (c *ControlPlane) Stop() error {
	c.stopOnce.Do(func() {
		err := c.stopProcesses()
		if c.ownsDir {
			if rmErr := os.RemoveAll(c.layout.dir); rmErr != nil {
				err = errors.Join(err, fmt.Errorf("remove %s: %w", c.layout.dir, rmErr))
			}
		}
		c.stopErr = err
	})
	return c.stopErr
}

// stopProcesses stops the processes in the reverse order of their start,
// so that clients go before kube-apiserver, and kube-apiserver before etcd.
func (c *ControlPlane) stopProcesses() error {
	var errs []error
	c.procsMu.Lock()
	defer c.procsMu.Unlock()
	for i := len(c.procs) - 1; i >= 0; i-- {
		errs = append(errs, c.procs[i].stop(stopGrace))
	}
	c.procs = nil
	return errors.Join(errs...)
}

// prepareDir creates the working directory, or a temporary one if dir is
// empty, and removes leftovers of an earlier run from it.
func (c *ControlPlane) prepareDir(dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "berth-localcp-")
		if err != nil {
			return fmt.Errorf("create working dir: %w", err)
		}
		dir, c.ownsDir = tmp, true
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create working dir: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("resolve working dir: %w", err)
	}
	c.layout = layout{
		dir:        abs,
		logDir:     filepath.Join(abs, "logs"),
		kubeconfig: filepath.Join(abs, "kubeconfig"),
		tokenFile:  filepath.Join(abs, "tokens.csv"),
	}
	return nil
}

// resolveBinDir applies the BinDir defaults described on Options.
func resolveBinDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if env := os.Getenv(BinDirEnv); env != "" {
		return env, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "bin", "k8s", K8sVersion), nil
}

// moduleRoot returns the nearest folder above the working directory that
// holds a go.mod file.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find module root: no go.mod above the working directory; set Options.BinDir or $%s", BinDirEnv)
		}
		dir = parent
	}
}

// binaryNames lists the executables Start runs.
func binaryNames() []string {
	return []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", metricsServerName}
}

// checkBinaries verifies that every executable is present in dir.
func checkBinaries(dir string) error {
	var missing []string
	for _, name := range binaryNames() {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w (%s not found in %s)", ErrBinariesMissing, strings.Join(missing, ", "), dir)
	}
	return nil
}

// Exited returns the components that have exited, with why (the end of
// their logs): while the control plane runs, none should.
func (c *ControlPlane) Exited() map[string]error {
	c.procsMu.Lock()
	defer c.procsMu.Unlock()
	res := map[string]error{}
	for _, p := range c.procs {
		if p.exited() {
			res[p.name] = p.exitError()
		}
	}
	return res
}

// Restart stops the component name (SIGTERM, then SIGKILL after the
// grace Stop gives) and starts it again with the same arguments and data,
// as a host restarts a crashed or upgraded component; it returns once
// kube-apiserver is ready again. For the reliability suite: kube-apiserver
// or etcd restarting under the operator.
func (c *ControlPlane) Restart(ctx context.Context, name string) error {
	c.procsMu.Lock()
	i := slices.IndexFunc(c.procs, func(p *process) bool { return p.name == name })
	if i < 0 {
		c.procsMu.Unlock()
		return fmt.Errorf("no component %q", name)
	}
	p := c.procs[i]
	if err := p.stop(stopGrace); err != nil {
		c.procsMu.Unlock()
		return err
	}
	np, err := startProcess(p.name, p.bin, p.args, p.env, p.logDir, p.output)
	if err == nil {
		c.procs[i] = np
	}
	c.procsMu.Unlock()
	if err != nil {
		return err
	}
	return c.waitFor(ctx, "kube-apiserver ready after restarting "+name, c.apiserverReady)
}

// PIDs returns the process ID of every component started, by name (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kwok,
// metrics-server): for measuring their CPU time, and for checking that Stop
// leaves none behind.
func (c *ControlPlane) PIDs() map[string]int {
	c.procsMu.Lock()
	defer c.procsMu.Unlock()
	res := make(map[string]int, len(c.procs))
	for _, p := range c.procs {
		res[p.name] = p.pid()
	}
	return res
}
