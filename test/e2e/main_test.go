// Package e2e runs Berth end to end on the local control plane: a real
// kube-apiserver, etcd, kube-controller-manager and kube-scheduler, with kwok
// simulating nodes and pods, and the operator running as its own
// ServiceAccount under the generated RBAC.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/localrun"
	"github.com/berth-dev/berth/internal/operator"
)

// ns is where the samples and test objects live.
const ns = "e2e"

// logTail is how many lines of the operator's log a failure shows.
const logTail = 150

// operatorLog keeps the last logTail lines of the operator's log, and
// copies its errors to stderr.
var operatorLog = &ringLog{}

type ringLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *ringLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line == "" {
			continue
		}
		if strings.Contains(line, `"level":"error"`) {
			_, _ = os.Stderr.WriteString(line)
		}
		l.lines = append(l.lines, line)
		if len(l.lines) > logTail {
			l.lines = l.lines[len(l.lines)-logTail:]
		}
	}
	return len(p), nil
}

func (l *ringLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "")
}

var (
	cp     *localcp.ControlPlane
	admin  client.Client
	saCfg  *rest.Config
	writes = &writeCounter{}
)

// writeCounter counts the operator's mutating API requests.
type writeCounter struct {
	n    atomic.Int64
	last atomic.Value // string
}

func (w *writeCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		switch {
		case req.Method == http.MethodGet || req.Method == http.MethodHead || req.Method == http.MethodOptions:
		case costAccrual(req):
			// Timed, once a minute while Fargate tasks run (every 3 s
			// here): not a write a restart causes.
		default:
			w.n.Add(1)
			last := req.Method + " " + req.URL.Path
			if req.GetBody != nil {
				if body, err := req.GetBody(); err == nil {
					b, _ := io.ReadAll(io.LimitReader(body, 2048))
					_ = body.Close()
					last += " " + string(b)
				}
			}
			w.last.Store(last)
		}
		return rt.RoundTrip(req)
	})
}

// costAccrual tells whether a request is the periodic cost accrual of a
// capacity provider, or its sum in a cluster: a status patch that changes
// status.cost only.
func costAccrual(req *http.Request) bool {
	if req.Method != http.MethodPatch || !strings.HasPrefix(req.URL.Path, "/apis/ecs.berth.dev/v1alpha1/") ||
		!strings.HasSuffix(req.URL.Path, "/status") || req.GetBody == nil {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	defer func() { _ = body.Close() }()
	var patch struct {
		Status map[string]json.RawMessage `json:"status"`
	}
	if err := json.NewDecoder(body).Decode(&patch); err != nil {
		return false
	}
	_, cost := patch.Status["cost"]
	return cost && len(patch.Status) == 1
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// runningManager is an operator instance the tests can stop.
type runningManager struct {
	cancel context.CancelFunc
	done   chan error
}

func (m *runningManager) stop() error {
	m.cancel()
	select {
	case err := <-m.done:
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("manager did not stop within 30s")
	}
}

// retention is the clock of the stopped service tasks' retention: the real
// time plus an offset a test moves forward ("5 minutes later") without
// waiting. The tests run one at a time.
var retention = &offsetClock{}

type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *offsetClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// advance moves the clock forward by d.
func (c *offsetClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// startManager runs a fresh operator as its ServiceAccount, counting its writes.
func startManager() (*runningManager, error) {
	cfg := rest.CopyConfig(saCfg)
	cfg.Wrap(writes.wrap)
	ctx, cancel := context.WithCancel(context.Background())
	mgr, err := operator.New(ctx, cfg, operator.Options{Controllers: controllers.Config{SkipNameValidation: true, CostInterval: 3 * time.Second, SchedulerProfiles: true, RetentionClock: retention, DeploymentMinute: deploymentMinute}, MetricsStore: metricStore})
	if err != nil {
		cancel()
		return nil, err
	}
	m := &runningManager{cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(ctx) }()
	return m, nil
}

var manager *runningManager

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	level := zapcore.InfoLevel
	if os.Getenv("E2E_VERBOSE") != "" {
		level = zapcore.DebugLevel
	}
	// The operator's log is kept (its tail explains a failure); its errors
	// also go to stderr as they happen.
	ctrl.SetLogger(zap.New(zap.WriteTo(operatorLog), zap.Level(level)))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var err error
	cp, err = localcp.Start(ctx, localcp.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local control plane:", err)
		return 1
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop local control plane:", err)
		}
	}()
	if saCfg, err = localrun.Bootstrap(ctx, cp); err != nil {
		fmt.Fprintln(os.Stderr, "bootstrap:", err)
		return 1
	}
	if admin, err = client.New(cp.AdminConfig(), client.Options{Scheme: operator.Scheme()}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if manager, err = startManager(); err != nil {
		fmt.Fprintln(os.Stderr, "start manager:", err)
		return 1
	}
	if err := localrun.ApplySamples(ctx, admin, ns); err != nil {
		fmt.Fprintln(os.Stderr, "apply samples:", err)
		return 1
	}
	code := m.Run()
	if err := manager.stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if code != 0 {
		fmt.Fprint(os.Stderr, namespaceDump(ns))
		fmt.Fprintln(os.Stderr, "control plane logs were in", cp.Dir()+"/logs")
		fmt.Fprintf(os.Stderr, "=== the operator's log, last %d lines\n%s", logTail, operatorLog.tail())
	}
	return code
}
