//go:build reliability

package reliability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// supervised is an operator process restarted whenever it exits, as the
// kubelet restarts a container.
type supervised struct {
	mu       sync.Mutex
	cur      *proc
	restarts int
	stopping bool
}

func supervise(t *testing.T, name string, o procOptions) *supervised {
	o.unmanaged = true // stopped here, not by each process's cleanup
	s := &supervised{cur: startOperator(t, name, o)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			s.mu.Lock()
			p := s.cur
			s.mu.Unlock()
			<-p.done
			s.mu.Lock()
			if s.stopping {
				s.mu.Unlock()
				return
			}
			s.restarts++
			s.cur = startOperator(t, name, o)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		s.mu.Lock()
		s.stopping = true
		p := s.cur
		s.mu.Unlock()
		p.stop(t)
		<-done
		if t.Failed() {
			t.Logf("=== %s's log, last lines\n%s", name, tail(p.log, 60))
		}
	})
	return s
}

func (s *supervised) restarted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

// TestAPIServerStall (R3) freezes kube-apiserver (SIGSTOP) for 5, 15 and
// 90 s while a rollout is in progress, with two supervised replicas: no
// panic; a leader that cannot renew its Lease within RenewDeadline gives
// leadership up (and its process exits, to be restarted); every Service
// converges within 60 s of the API server's return.
func TestAPIServerStall(t *testing.T) {
	RegisterTestingT(t)
	ensureBase(t)
	a := supervise(t, "r3-a", procOptions{leaderElect: true})
	b := supervise(t, "r3-b", procOptions{leaderElect: true})
	apiserver := cp.PIDs()["kube-apiserver"]
	Expect(apiserver).NotTo(BeZero())
	const services = 10
	for _, stall := range []time.Duration{5 * time.Second, 15 * time.Second, 90 * time.Second} {
		prefix := fmt.Sprintf("r3-%d-", int(stall.Seconds()))
		family := strings.TrimSuffix(prefix, "-")
		createTaskDefinition(t, family, "public.ecr.aws/example/app:1")
		for i := range services {
			createService(t, fmt.Sprintf("%s%d", prefix, i), family, 1)
		}
		Eventually(func(g Gomega) { checkServices(g, prefix, services, func(string) string { return "1" }) }).
			WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
		before := a.restarted() + b.restarted()

		updateTaskDefinitionImage(t, family, "public.ecr.aws/example/app:2")
		Expect(syscall.Kill(apiserver, syscall.SIGSTOP)).To(Succeed())
		time.Sleep(stall) // the scenario: the API server does not answer
		Expect(syscall.Kill(apiserver, syscall.SIGCONT)).To(Succeed())
		resumed := time.Now()
		Eventually(func(g Gomega) { checkServices(g, prefix, services, func(string) string { return "2" }) }).
			WithTimeout(60 * time.Second).WithPolling(time.Second).Should(Succeed())
		restarts := a.restarted() + b.restarted() - before
		figure(t, fmt.Sprintf("R3-%ds", int(stall.Seconds())), "kube-apiserver stopped %s during a rollout of %d Services: converged %.1f s after it resumed; operator restarts (leadership given up): %d",
			stall, services, time.Since(resumed).Seconds(), restarts)
		if stall > testLease.RenewDeadline+testLease.RetryPeriod {
			Expect(restarts).To(BeNumerically(">=", 1), "the leader gave leadership up")
		}
	}
	// kube-apiserver, then etcd, restarted during a rollout.
	for _, component := range []string{"kube-apiserver", "etcd"} {
		prefix := "r3-" + component + "-"
		family := strings.TrimSuffix(prefix, "-")
		createTaskDefinition(t, family, "public.ecr.aws/example/app:1")
		for i := range services {
			createService(t, fmt.Sprintf("%s%d", prefix, i), family, 1)
		}
		Eventually(func(g Gomega) { checkServices(g, prefix, services, func(string) string { return "1" }) }).
			WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
		updateTaskDefinitionImage(t, family, "public.ecr.aws/example/app:2")
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		Expect(cp.Restart(ctx, component)).To(Succeed())
		cancel()
		back := time.Now()
		Eventually(func(g Gomega) { checkServices(g, prefix, services, func(string) string { return "2" }) }).
			WithTimeout(60 * time.Second).WithPolling(time.Second).Should(Succeed())
		figure(t, "R3-restart-"+component, "%s restarted during a rollout of %d Services (down %.1f s): converged %.1f s after it was back",
			component, services, back.Sub(start).Seconds(), time.Since(back).Seconds())
	}
	logs, err := filepath.Glob(filepath.Join(logDir, "r3-*.log"))
	Expect(err).NotTo(HaveOccurred())
	for _, f := range logs {
		raw, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(raw)).NotTo(ContainSubstring("panic:"), "%s", f)
		Expect(string(raw)).NotTo(ContainSubstring("DATA RACE"), "%s", f)
	}
}
