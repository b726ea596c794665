package metricalarm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/testenv"
)

// The reconciler is called directly (Karpenter style) against a real API
// server started by envtest, reading through an informer cache with
// Berth's field indexes, as in the operator. envtest runs no Service
// controller and no metrics-server: the tests write the Services' status
// and inject the tasks' use, the clock and an event recorder.

var env *testenv.Envtest

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	root, _ := filepath.Abs("../..")
	var err error
	env, err = testenv.Start(root)
	defer env.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// fakeUsage is the tasks' use as metrics-server and the pods would show
// it: every task of every service reserves 1 vCPU and uses cpu millicores.
type fakeUsage struct {
	mu    sync.Mutex
	tasks int
	cpu   int64
	err   error
	reads int
}

func (f *fakeUsage) set(tasks int, cpu int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tasks, f.cpu, f.err = tasks, cpu, nil
}

func (f *fakeUsage) TaskUsage(context.Context, *ecsv1alpha1.Service) ([]alarms.TaskUsage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.err != nil {
		return nil, f.err
	}
	out := make([]alarms.TaskUsage, f.tasks)
	for i := range out {
		out[i] = alarms.TaskUsage{CPUUsed: f.cpu, CPUReserved: 1000, MemoryUsed: 256 << 20, MemoryReserved: 512 << 20}
	}
	return out, nil
}

// harness is one test's reconciler and its injected parts; a test keeps
// one Reconciler for all its reconciles (the datapoints live in it).
type harness struct {
	t      *testing.T
	g      Gomega
	ns     string
	clock  *clocktesting.FakePassiveClock
	usage  *fakeUsage
	events *testenv.Recorder
	writes *testenv.Writes
	r      *Reconciler
}

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, g: NewWithT(t), ns: env.Namespace(t), clock: clocktesting.NewFakePassiveClock(t0),
		usage: &fakeUsage{}, events: &testenv.Recorder{}, writes: &testenv.Writes{}}
	h.r = &Reconciler{Client: h.writes.Client(env.Cached), Recorder: h.events, Clock: h.clock, Account: names.DefaultAccount, Metrics: h.usage}
	return h
}

// reconcile calls Reconcile once the cache has caught up, expects no
// error, and checks the status kstatus reads: observedGeneration current.
func (h *harness) reconcile(a *ecsv1alpha1.MetricAlarm) ctrl.Result {
	h.t.Helper()
	env.Settle(h.g, h.ns, func() client.ObjectList { return &ecsv1alpha1.MetricAlarmList{} }, func() client.ObjectList { return &ecsv1alpha1.ServiceList{} })
	res, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(a)})
	h.g.Expect(err).NotTo(HaveOccurred())
	h.get(a)
	h.g.Expect(a.Status.ObservedGeneration).To(Equal(a.Generation))
	return res
}

func (h *harness) get(o client.Object) {
	h.t.Helper()
	h.g.Expect(env.Direct.Get(context.Background(), client.ObjectKeyFromObject(o), o)).To(Succeed())
}

func (h *harness) advance(d time.Duration) { h.clock.SetTime(h.clock.Now().Add(d)) }

// service creates a Service web in cluster default with 2 running tasks
// of 3 desired, as the Service controller would write its status.
func (h *harness) service(name string) *ecsv1alpha1.Service {
	h.t.Helper()
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	svc.Spec.TaskDefinition, svc.Spec.DesiredCount = "web", ptr.To[int32](3)
	h.g.Expect(env.Direct.Create(context.Background(), svc)).To(Succeed())
	svc.Status.DesiredCount, svc.Status.RunningCount, svc.Status.PendingCount = ptr.To[int32](3), ptr.To[int32](2), ptr.To[int32](1)
	h.g.Expect(env.Direct.Status().Update(context.Background(), svc)).To(Succeed())
	return svc
}

// cpuAlarm is an alarm on service web's CPUUtilization Average above
// threshold, 2 of 2 one-minute datapoints.
func (h *harness) cpuAlarm(name string, threshold float64, change ...func(*ecsv1alpha1.MetricAlarm)) *ecsv1alpha1.MetricAlarm {
	h.t.Helper()
	a := &ecsv1alpha1.MetricAlarm{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	a.Spec = ecsv1alpha1.MetricAlarmSpec{
		Namespace: "AWS/ECS", MetricName: "CPUUtilization", Statistic: ecsv1alpha1.StatisticAverage,
		Dimensions: []ecsv1alpha1.MetricDimension{{Name: "ClusterName", Value: "default"}, {Name: "ServiceName", Value: "web"}},
		Period:     ptr.To[int32](60), EvaluationPeriods: ptr.To[int32](2), Threshold: ptr.To(threshold),
		ComparisonOperator: ecsv1alpha1.AlarmComparisonOperator(ecsv1alpha1.GreaterThanThreshold),
	}
	for _, c := range change {
		c(a)
	}
	h.g.Expect(env.Direct.Create(context.Background(), a)).To(Succeed())
	return a
}

// annotate sets annotations on an alarm, as kubectl annotate does.
func (h *harness) annotate(a *ecsv1alpha1.MetricAlarm, kv map[string]string) {
	h.t.Helper()
	h.get(a)
	orig := a.DeepCopy()
	if a.Annotations == nil {
		a.Annotations = map[string]string{}
	}
	for k, v := range kv {
		a.Annotations[k] = v
	}
	h.g.Expect(env.Direct.Patch(context.Background(), a, client.MergeFrom(orig))).To(Succeed())
}

func condition(a *ecsv1alpha1.MetricAlarm, typ string) metav1.Condition {
	for _, c := range a.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}

func kstatusOf(g Gomega, o runtime.Object) status.Status {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	g.Expect(err).NotTo(HaveOccurred())
	res, err := status.Compute(&unstructured.Unstructured{Object: m})
	g.Expect(err).NotTo(HaveOccurred())
	return res.Status
}

func at(t time.Time) *metav1.Time { return ptr.To(metav1.NewTime(t)) }
