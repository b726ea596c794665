package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/bench"
)

// auditEntry is what the tests read of an audit event: the benchmark's.
type auditEntry = bench.AuditEvent

// auditSize is the audit log's size now: readAudit(from) reads what
// follows.
func auditSize(t *testing.T) int64 {
	t.Helper()
	st, err := os.Stat(cp.AuditLogPath())
	if os.IsNotExist(err) {
		return 0
	}
	Expect(err).NotTo(HaveOccurred())
	return st.Size()
}

// operatorWrites reads the operator's writes logged from offset on, once
// the batch writer has caught up with a marker request.
func operatorWrites(t *testing.T, from int64) []auditEntry {
	t.Helper()
	sa, err := client.New(saCfg, client.Options{Scheme: admin.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	marker := fmt.Sprintf("audit-marker-%d", time.Now().UnixNano())
	_ = sa.Get(context.Background(), key(marker), &ecsv1alpha1.TaskDefinition{})
	var entries []auditEntry
	Eventually(func(g Gomega) {
		entries = nil
		f, err := os.Open(cp.AuditLogPath())
		g.Expect(err).NotTo(HaveOccurred())
		defer func() { _ = f.Close() }()
		_, err = f.Seek(from, 0)
		g.Expect(err).NotTo(HaveOccurred())
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 16<<20), 16<<20)
		seen := false
		for sc.Scan() {
			var e auditEntry
			if json.Unmarshal(sc.Bytes(), &e) != nil || e.User.Username != operatorUser {
				continue
			}
			if e.ObjectRef != nil && e.ObjectRef.Name == marker {
				seen = true
			}
			if slices.Contains([]string{"create", "update", "patch", "delete", "deletecollection"}, e.Verb) {
				entries = append(entries, e)
			}
		}
		g.Expect(seen).To(BeTrue(), "the audit log has caught up")
	}).WithTimeout(30 * time.Second).Should(Succeed())
	return entries
}

// leaderOf waits until one of the processes is elected and returns it and
// the time it was.
func leaderOf(t *testing.T, d time.Duration, procs ...*proc) (*proc, time.Time) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		for _, p := range procs {
			if at, ok := electedAt(p); ok {
				return p, at
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no leader within %s", d)
	return nil, time.Time{}
}

// TestLeaderLoss (R1) runs two replicas with leader election, SIGKILLs the
// leader during a burst of Service creations and a rollout, and measures
// how long until the standby acts; then checks that every Service
// converged with exactly one of each child, and counts the writes the
// crash cost. Then it stops the new leader with SIGTERM (a rolling update
// of the operator) and measures the hand-over.
func TestLeaderLoss(t *testing.T) {
	RegisterTestingT(t)
	ensureBase(t)
	ctx := context.Background()
	burst, rolled := leaderLossBurst, leaderLossRollout
	createTaskDefinition(t, "r1-roll", "public.ecr.aws/example/app:1")

	a := startOperator(t, "r1-a", procOptions{leaderElect: true})
	b := startOperator(t, "r1-b", procOptions{leaderElect: true})
	leader, _ := leaderOf(t, time.Minute, a, b)
	standby := map[*proc]*proc{a: b, b: a}[leader]
	waitForLine(t, standby, markSynced, time.Minute)

	// The services the rollout will roll, steady first.
	for i := range rolled {
		createService(t, fmt.Sprintf("r1-roll-%d", i), "r1-roll", 1)
	}
	Eventually(func(g Gomega) { g.Expect(readyServices(g, "r1-roll-")).To(Equal(rolled)) }).WithTimeout(timeout).Should(Succeed())
	from := auditSize(t)

	// The burst: creations from 8 clients; halfway, the rollout starts
	// and the leader dies.
	fast := rest.CopyConfig(cp.AdminConfig())
	fast.QPS, fast.Burst = -1, 0 // a burst, not client-go's 5 per second
	users, err := client.New(fast, client.Options{Scheme: admin.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	names := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for name := range names {
				if err := users.Create(ctx, newService(name, "app", 1)); err != nil {
					t.Errorf("create %s: %v", name, err)
				}
			}
		})
	}
	var killedAt time.Time
	inFlight := 0
	for i := range burst {
		names <- fmt.Sprintf("r1-burst-%d", i)
		if i == burst/2 {
			updateTaskDefinitionImage(t, "r1-roll", "public.ecr.aws/example/app:2")
			var list ecsv1alpha1.ServiceList
			Expect(admin.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			for _, s := range list.Items {
				if strings.HasPrefix(s.Name, "r1-burst-") && !meta.IsStatusConditionTrue(s.Status.Conditions, ecsv1alpha1.ConditionReady) {
					inFlight++
				}
			}
			killedAt = time.Now()
			leader.kill(t)
		}
	}
	close(names)
	wg.Wait()

	next, electedAt := leaderOf(t, time.Minute, standby)
	Expect(next).To(Equal(standby))

	// Every Service converges: ready, one Deployment, one ReplicaSet with
	// replicas, one pod each, of the right revision; no orphans.
	start := time.Now()
	Eventually(func(g Gomega) { checkFleet(g, burst, rolled) }).WithTimeout(5 * time.Minute).WithPolling(time.Second).Should(Succeed())
	converged := time.Since(start)
	Consistently(func(g Gomega) { checkFleet(g, burst, rolled) }).WithTimeout(3 * time.Second).WithPolling(time.Second).Should(Succeed())

	writes := operatorWrites(t, from)
	var firstByNext time.Time
	// Writes per burst Service (its status, its Deployment; Events
	// aside), to compare with the median Service's.
	perService := map[string]int{}
	for _, e := range writes {
		if e.UserAgent == userAgentPrefix+next.name && e.RequestReceived.After(killedAt) && firstByNext.IsZero() {
			firstByNext = e.RequestReceived
		}
		if e.ObjectRef != nil && e.ObjectRef.Resource != "events" && strings.HasPrefix(e.ObjectRef.Name, "r1-burst-") {
			perService[strings.TrimSuffix(e.ObjectRef.Name, "/status")]++
		}
	}
	Expect(firstByNext).NotTo(BeZero(), "the new leader wrote nothing")
	// The median Service's writes, over the burst; the extra writes of
	// those created before the kill (the killed leader's in-flight work)
	// above it.
	counts := make([]int, 0, len(perService))
	for _, n := range perService {
		counts = append(counts, n)
	}
	slices.Sort(counts)
	median := counts[len(counts)/2]
	extra := 0
	for i := 0; i <= burst/2; i++ {
		extra += max(0, perService[fmt.Sprintf("r1-burst-%d", i)]-median)
	}
	figure(t, "R1-writes", "writes per burst Service (status and Deployment): median %d, max %d; the Services in flight at the kill wrote %d above the median in all, for %d of them",
		median, counts[len(counts)-1], extra, inFlight)
	Expect(extra).To(BeNumerically("<=", inFlight), "extra writes per in-flight Service ≤ 1")
	figure(t, "R1-kill", "leader %s SIGKILLed with %d Services in flight; %s elected %.1f s later, first write %.1f s after the kill; all %d Services converged %.1f s after the election; %d operator writes in all",
		leader.name, inFlight, next.name, electedAt.Sub(killedAt).Seconds(), firstByNext.Sub(killedAt).Seconds(), burst+rolled, converged.Seconds(), len(writes))
	// client-go's leader election: a standby counts the lease duration
	// from when it observed the last renewal (its poll, every retry period
	// plus up to 120 % jitter, so up to 4.4 s after the kill), and takes
	// over at its first poll after that (up to 4.4 s more): at most
	// 15 + 4.4 + 4.4 = 23.8 s, plus 2 s for a loaded 2-core machine.
	Expect(electedAt.Sub(killedAt)).To(BeNumerically("<=", testLease.LeaseDuration+2*testLease.RetryPeriod*22/10+2*time.Second))
	Expect(firstByNext.Sub(killedAt)).To(BeNumerically("<=", 30*time.Second))

	// A graceful hand-over: the killed replica comes back as the standby,
	// and the leader is stopped as a rolling update stops it.
	back := startOperator(t, leader.name, procOptions{leaderElect: true})
	waitForLine(t, back, markSynced, time.Minute)
	stoppedAt := time.Now()
	next.stop(t)
	_, handedAt := leaderOf(t, time.Minute, back)
	figure(t, "R1-graceful", "graceful hand-over (SIGTERM, Lease released): %s elected %.1f s after the signal", back.name, handedAt.Sub(stoppedAt).Seconds())
	// The Lease is released once the old leader's controllers stopped;
	// the standby's next poll (4.4 s at most) takes it.
	Expect(handedAt.Sub(stoppedAt)).To(BeNumerically("<=", testLease.RetryPeriod*22/10+8*time.Second))
	Consistently(func(g Gomega) { checkFleet(g, burst, rolled) }).WithTimeout(3 * time.Second).WithPolling(time.Second).Should(Succeed())
}

// readyServices counts the Ready Services named with prefix.
func readyServices(g Gomega, prefix string) int {
	var list ecsv1alpha1.ServiceList
	g.Expect(admin.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	n := 0
	for _, s := range list.Items {
		if strings.HasPrefix(s.Name, prefix) && meta.IsStatusConditionTrue(s.Status.Conditions, ecsv1alpha1.ConditionReady) {
			n++
		}
	}
	return n
}

// checkFleet checks R1's Services: the burst's on revision 1, the
// rollout's on 2.
func checkFleet(g Gomega, burst, rolled int) {
	checkServices(g, "r1-", burst+rolled, func(name string) string {
		if strings.HasPrefix(name, "r1-roll-") {
			return "2"
		}
		return "1"
	})
}

// checkServices checks the n Services named with prefix: each Ready with
// one COMPLETED PRIMARY deployment, one Deployment, one ReplicaSet with
// replicas, one pod of revision(name), and no Deployment, ReplicaSet or
// pod of a Service that does not exist.
func checkServices(g Gomega, prefix string, n int, revision func(string) string) {
	ctx := context.Background()
	var services ecsv1alpha1.ServiceList
	g.Expect(admin.List(ctx, &services, client.InNamespace(ns))).To(Succeed())
	want := map[string]string{} // service → revision
	for _, s := range services.Items {
		if !strings.HasPrefix(s.Name, prefix) {
			continue
		}
		want[s.Name] = revision(s.Name)
		g.Expect(meta.IsStatusConditionTrue(s.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "service %s", s.Name)
		g.Expect(s.Status.Deployments).To(HaveLen(1), "service %s", s.Name)
		g.Expect(s.Status.Deployments[0].RolloutState).To(Equal(ecsv1alpha1.RolloutCompleted), "service %s", s.Name)
		g.Expect(s.Status.RunningCount).To(Equal(ptr.To[int32](1)), "service %s", s.Name)
	}
	g.Expect(want).To(HaveLen(n))
	var deployments appsv1.DeploymentList
	g.Expect(admin.List(ctx, &deployments, client.InNamespace(ns))).To(Succeed())
	perService := map[string]int{}
	for _, d := range deployments.Items {
		if svc := d.Labels[ecsv1alpha1.LabelService]; strings.HasPrefix(svc, prefix) {
			perService[svc]++
		}
	}
	for svc := range want {
		g.Expect(perService[svc]).To(Equal(1), "Deployments of %s", svc)
	}
	g.Expect(perService).To(HaveLen(len(want)), "Deployments of Services that do not exist")
	var sets appsv1.ReplicaSetList
	g.Expect(admin.List(ctx, &sets, client.InNamespace(ns))).To(Succeed())
	clear(perService)
	for _, rs := range sets.Items {
		if svc := rs.Labels[ecsv1alpha1.LabelService]; strings.HasPrefix(svc, prefix) && ptr.Deref(rs.Spec.Replicas, 0) > 0 {
			perService[svc]++
		}
	}
	for svc := range want {
		g.Expect(perService[svc]).To(Equal(1), "ReplicaSets with replicas of %s", svc)
	}
	var pods corev1.PodList
	g.Expect(admin.List(ctx, &pods, client.InNamespace(ns))).To(Succeed())
	clear(perService)
	for _, p := range pods.Items {
		svc := p.Labels[ecsv1alpha1.LabelService]
		if !strings.HasPrefix(svc, prefix) {
			continue
		}
		g.Expect(want).To(HaveKey(svc), "pod %s of a Service that does not exist", p.Name)
		g.Expect(p.Labels[ecsv1alpha1.LabelRevision]).To(Equal(want[svc]), "pod %s", p.Name)
		g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning), "pod %s", p.Name)
		perService[svc]++
	}
	for svc := range want {
		g.Expect(perService[svc]).To(Equal(1), "pods of %s", svc)
	}
}
