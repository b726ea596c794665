package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Child is an operator or bare-manager process.
type Child struct {
	Role       string
	spec       childSpec
	cmd        *exec.Cmd
	metricsURL string
	done       chan error
	http       *http.Client
}

// childSpec is what a child process is.
type childSpec struct {
	role string
	// name names its log file (default: role).
	name        string
	concurrency int
	// namespaces and controllers make an operator one shard of a fleet
	// (operator.Options.Namespaces, --controllers); empty: all.
	namespaces  []string
	controllers string
}

// startChild starts this binary again as role, authenticated by the
// kubeconfig, and waits until its metrics endpoint answers.
func startChild(ctx context.Context, role, kubeconfig, logDir string, concurrency int) (*Child, error) {
	return startChildSpec(ctx, childSpec{role: role, concurrency: concurrency}, kubeconfig, logDir)
}

// startChildSpec starts the child spec describes.
func startChildSpec(ctx context.Context, spec childSpec, kubeconfig, logDir string) (*Child, error) {
	role := spec.role
	name := spec.name
	if name == "" {
		name = role
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	_ = l.Close()
	logf, err := os.OpenFile(filepath.Join(logDir, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(),
		envRole+"="+role, envKubeconfig+"="+kubeconfig, envMetricsAddr+"="+addr,
		envConcurrency+"="+strconv.Itoa(spec.concurrency),
		envNamespaces+"="+strings.Join(spec.namespaces, ","), envControllers+"="+spec.controllers)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	_, _ = fmt.Fprintf(logf, "metrics and pprof of this %s: %s\n", role, "http://"+addr)
	c := &Child{Role: name, spec: spec, cmd: cmd, metricsURL: "http://" + addr, done: make(chan error, 1), http: &http.Client{Timeout: 30 * time.Second}}
	go func() { c.done <- cmd.Wait(); _ = logf.Close() }()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := c.Metrics(ctx); err == nil {
			return c, nil
		}
		select {
		case err := <-c.done:
			return nil, fmt.Errorf("%s exited at start (log: %s): %w", role, logf.Name(), err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = c.Stop()
			return nil, fmt.Errorf("%s: metrics endpoint did not answer within a minute", role)
		}
	}
}

// Metrics scrapes the child's /metrics.
func (c *Child) Metrics(ctx context.Context) (Metrics, error) {
	return scrape(ctx, c.http, c.metricsURL+"/metrics")
}

// Memory collects garbage in the child and returns its memory.
func (c *Child) Memory(ctx context.Context) (Memory, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.metricsURL+memoryPath, nil)
	if err != nil {
		return Memory{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Memory{}, fmt.Errorf("memory probe: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	var p MemoryProbe
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return Memory{}, fmt.Errorf("memory probe: %w", err)
	}
	rss, hwm, err := procMemory(c.cmd.Process.Pid)
	if err != nil {
		return Memory{}, err
	}
	return Memory{GoMiB: mib(p.Go), HeapInuseMiB: mib(p.HeapInuse), RSSMiB: rss, PeakRSSMiB: hwm}, nil
}

func mib(b uint64) float64 { return round3(float64(b) / (1 << 20)) }

// procMemory reads VmRSS and VmHWM (MiB) from /proc/<pid>/status.
func procMemory(pid int) (rss, hwm float64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = round3(kb / 1024)
		case "VmHWM:":
			hwm = round3(kb / 1024)
		}
	}
	return rss, hwm, nil
}

// Stop sends SIGTERM and waits (SIGKILL after 30 s).
func (c *Child) Stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("%s: %w", c.Role, err)
		}
		return err
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within 30s and was killed: %w", c.Role, <-c.done)
	}
}

// cpuSeconds is the user+system CPU time of pid so far.
func cpuSeconds(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields start after it.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100
