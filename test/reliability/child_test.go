package reliability

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/localrun"
	"github.com/berth-dev/berth/internal/operator"
)

// An operator process is this test binary again, told by the environment
// to run Berth's manager instead of the tests: the same build (with the
// race detector under make test), killed with real signals.
const (
	envRole       = "BERTH_RELIABILITY_ROLE" // "operator"
	envKubeconfig = "BERTH_RELIABILITY_KUBECONFIG"
	envName       = "BERTH_RELIABILITY_NAME"
	envLeader     = "BERTH_RELIABILITY_LEADER_ELECT"
	// envCrashAfter makes the process SIGKILL itself right after the
	// response to its N-th write (create, update, patch or delete; Lease
	// renewals not counted) since it was armed with SIGUSR1: a crash
	// between two writes, at a point the test chooses.
	envCrashAfter = "BERTH_RELIABILITY_CRASH_AFTER"
)

// Lines an operator process prints for the test to read.
const (
	markElected = "BERTH-RELIABILITY elected"
	markArmed   = "BERTH-RELIABILITY armed"
	markSynced  = "BERTH-RELIABILITY synced"
	markCrash   = "BERTH-RELIABILITY crash"
)

// userAgentPrefix names each process in the audit log.
const userAgentPrefix = "berth-reliability/"

// testLease is the leader election's timing in these tests: Berth's
// default (operator.DefaultLease), so that R1 measures what users get.
var testLease = operator.DefaultLease

// deploymentMinute is one of ECS's minutes here (bake times, hook timeouts).
const deploymentMinute = 5 * time.Second

func runChild() int {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.InfoLevel)))
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv(envKubeconfig))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	name := os.Getenv(envName)
	cfg.UserAgent = userAgentPrefix + name
	if n, _ := strconv.Atoi(os.Getenv(envCrashAfter)); n > 0 {
		cfg.Wrap(crashAfter(int64(n)))
	}
	ctx := ctrl.SetupSignalHandler()
	mgr, err := operator.New(ctx, cfg, operator.Options{
		Controllers: controllers.Config{SchedulerProfiles: true, CostInterval: time.Hour, DeploymentMinute: deploymentMinute},
		// Both replicas on one machine: no listeners.
		MetricsBindAddress: "0", HealthProbeAddress: "0",
		LeaderElection: os.Getenv(envLeader) != "", LeaderElectionNS: localrun.Namespace, Lease: testLease,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "new manager:", err)
		return 1
	}
	go func() {
		if mgr.GetCache().WaitForCacheSync(ctx) {
			fmt.Fprintln(os.Stderr, markSynced)
		}
	}()
	go func() {
		select {
		case <-mgr.Elected():
			fmt.Fprintf(os.Stderr, "%s %d\n", markElected, time.Now().UnixMilli())
		case <-ctx.Done():
		}
	}()
	if err := mgr.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "manager stopped:", err)
		return 1
	}
	return 0
}

// crashAfter wraps a transport so that the process kills itself after the
// n-th write it completes once SIGUSR1 armed it.
func crashAfter(n int64) func(http.RoundTripper) http.RoundTripper {
	var armed atomic.Bool
	var count atomic.Int64
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		<-usr1
		armed.Store(true)
		fmt.Fprintln(os.Stderr, markArmed)
	}()
	return func(rt http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(req)
			if armed.Load() && isWrite(req) && count.Add(1) == n {
				code := 0
				if resp != nil {
					code = resp.StatusCode
				}
				fmt.Fprintf(os.Stderr, "%s after write %d: %s %s -> %d\n", markCrash, n, req.Method, req.URL.Path, code)
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // never returns: the process is gone
			}
			return resp, err
		})
	}
}

// isWrite tells whether a request counts toward the crash point: a write
// of an object, not a Lease renewal nor an Event (Events are sent in the
// background, at moments that vary from run to run).
func isWrite(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return !strings.HasPrefix(req.URL.Path, "/apis/coordination.k8s.io/") && !strings.HasPrefix(req.URL.Path, "/apis/events.k8s.io/") &&
		!strings.Contains(req.URL.Path, "/events")
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// proc is an operator process.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	// from is where this run's lines start in log (appended to across
	// restarts).
	from int64
	done chan struct{}
	err  error
}

type procOptions struct {
	leaderElect bool
	crashAfter  int
	// unmanaged: the caller stops the process (no cleanup of the test's).
	unmanaged bool
}

// startOperator starts an operator process named name (its log is
// <logDir>/<name>.log, appended to across restarts). The test stops it at
// its end if it still runs.
func startOperator(t *testing.T, name string, o procOptions) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(logDir, name+".log")
	logf, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envRole+"=operator", envKubeconfig+"="+operatorKubeconfig, envName+"="+name)
	if o.leaderElect {
		cmd.Env = append(cmd.Env, envLeader+"=1")
	}
	if o.crashAfter > 0 {
		cmd.Env = append(cmd.Env, envCrashAfter+"="+strconv.Itoa(o.crashAfter))
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	_, _ = fmt.Fprintf(logf, "=== %s: start %s\n", time.Now().Format(time.RFC3339Nano), name)
	from, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: path, from: from, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logf.Close()
		close(p.done)
	}()
	if !o.unmanaged {
		t.Cleanup(func() {
			p.stop(t)
			if t.Failed() {
				t.Logf("=== %s's log, last lines\n%s", name, tail(path, 60))
			}
		})
	}
	return p
}

// exited tells whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to d for the process to end.
func (p *proc) wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	if !p.wait(30 * time.Second) {
		t.Fatalf("%s did not die of SIGKILL", p.name)
	}
}

// stop sends SIGTERM and waits (SIGKILL after 30 s).
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if !p.wait(30 * time.Second) {
		t.Errorf("%s did not stop within 30s of SIGTERM", p.name)
		p.kill(t)
	}
}

// arm starts the count of writes after which the process crashes.
func (p *proc) arm(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatalf("arm %s: %v", p.name, err)
	}
	waitForLine(t, p, markArmed, 10*time.Second)
}

// waitForLine waits until the process's log holds a line starting with
// prefix and returns it.
func waitForLine(t *testing.T, p *proc, prefix string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if line := findLine(p.log, p.from, prefix); line != "" {
			return line
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q in its log within %s", p.name, prefix, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// findLine is the last line of the file at path, from offset on, starting
// with prefix.
func findLine(path string, offset int64, prefix string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	last := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			last = sc.Text()
		}
	}
	return last
}

// electedAt is when the process became the leader, if it did.
func electedAt(p *proc) (time.Time, bool) {
	line := findLine(p.log, p.from, markElected)
	if line == "" {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, markElected)), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

func tail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// errNoCrash says a flow made fewer writes than the crash point.
var errNoCrash = errors.New("the flow ended before the crash point")

// awaitCrash waits for the armed process to kill itself and returns the
// write it crashed after, or errNoCrash when it is still running after
// quiet (the flow made fewer writes: the process is then stopped).
func awaitCrash(t *testing.T, p *proc, quiet time.Duration) (string, error) {
	t.Helper()
	if !p.wait(quiet) {
		p.stop(t)
		return "", errNoCrash
	}
	line := findLine(p.log, p.from, markCrash)
	if line == "" {
		return "", fmt.Errorf("%s exited without crashing on purpose: %w", p.name, p.err)
	}
	return strings.TrimPrefix(line, markCrash+" "), nil
}
