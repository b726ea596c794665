package scalabletarget

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/testenv"
)

// The reconciler is called directly (Karpenter style) against a real API
// server started by envtest, with the CRDs of config/crd/bases. It reads
// through an informer cache with Berth's field indexes, as in the operator.
// envtest has no kube-controller-manager: no Service controller, no HPA
// controller and no metrics run, so the tests write the Service's status
// and the HPA's status themselves, and inject the task usage, the clock,
// the activity IDs and an event recorder.

var (
	cfg    *rest.Config
	direct client.Client    // reads straight from the API server
	cached client.WithWatch // the reconciler's client (wrapped per test to log writes)
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, _ := filepath.Abs("../..")
	env, err := testenv.Start(root)
	defer env.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg, direct, cached = env.Config, env.Direct, env.Cached
	return m.Run()
}

// fakeMetrics is the MetricsReader: it returns the task usage the test
// sets, as metrics-server and the pods would show it.
type fakeMetrics struct {
	mu    sync.Mutex
	tasks []alarms.TaskUsage
}

var _ MetricsReader = &fakeMetrics{}

// set gives n tasks each reserving `reserved` millicores of CPU and using
// `used`: the service's CPUUtilization Average is used/reserved.
func (m *fakeMetrics) set(n int, used, reserved int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tasks = nil
	for range n {
		m.tasks = append(m.tasks, alarms.TaskUsage{CPUUsed: used, CPUReserved: reserved, MemoryUsed: 64 << 20, MemoryReserved: 512 << 20})
	}
}

func (m *fakeMetrics) TaskUsage(context.Context, *ecsv1alpha1.Service) ([]alarms.TaskUsage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]alarms.TaskUsage(nil), m.tasks...), nil
}

// recorded is an event the reconciler emitted.
type recorded struct {
	Kind, Name, Type, Reason, Note string
}

// fakeRecorder records events.
type fakeRecorder struct {
	mu     sync.Mutex
	events []recorded
}

var _ recorder.EventRecorder = &fakeRecorder{}

func (r *fakeRecorder) Eventf(regarding, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := regarding.(client.Object)
	kind := fmt.Sprintf("%T", o)
	switch o.(type) {
	case *ecsv1alpha1.ScalableTarget:
		kind = "ScalableTarget"
	case *ecsv1alpha1.Service:
		kind = "Service"
	}
	r.events = append(r.events, recorded{Kind: kind, Name: o.GetName(), Type: eventtype, Reason: reason, Note: fmt.Sprintf(note, args...)})
}

func (r *fakeRecorder) AnnotatedEventf(regarding, related runtime.Object, _ map[string]string, eventtype, reason, action, note string, args ...any) {
	r.Eventf(regarding, related, eventtype, reason, action, note, args...)
}

// take returns the events recorded since the last call.
func (r *fakeRecorder) take() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// harness is one test case's reconciler and its injected parts. A case
// keeps one Reconciler for all its reconciles: the alarms' datapoints
// live in it, as in the operator's memory.
type harness struct {
	t       *testing.T
	g       Gomega
	ns      string
	clock   *clocktesting.FakePassiveClock
	metrics *fakeMetrics
	events  *fakeRecorder
	r       *Reconciler

	mu     sync.Mutex
	writes []string // the reconciler's API writes, since the last takeWrites
}

func newHarness(t *testing.T, now time.Time) *harness {
	t.Helper()
	h := &harness{t: t, g: NewWithT(t), clock: clocktesting.NewFakePassiveClock(now), metrics: &fakeMetrics{}, events: &fakeRecorder{}}
	h.ns = namespace(t)
	ids := 0
	h.r = &Reconciler{
		Client:   interceptor.NewClient(cached, h.logWrites()),
		Recorder: h.events,
		Clock:    h.clock,
		Metrics:  h.metrics,
		NewID:    func() string { ids++; return fmt.Sprintf("activity-%d", ids) },
	}
	return h
}

// logWrites records each write the reconciler makes, so that a test can
// check that a reconcile with nothing to do writes nothing.
func (h *harness) logWrites() interceptor.Funcs {
	log := func(verb string, o any) {
		h.mu.Lock()
		defer h.mu.Unlock()
		name := ""
		if co, ok := o.(client.Object); ok {
			name = co.GetName()
		}
		h.writes = append(h.writes, fmt.Sprintf("%s %T %s", verb, o, name))
	}
	return interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			log("create", obj)
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			log("update", obj)
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			log("patch", obj)
			return c.Patch(ctx, obj, p, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			log("apply", obj)
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			log("delete", obj)
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			log("update "+sub, obj)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
			log("patch "+sub, obj)
			return c.SubResource(sub).Patch(ctx, obj, p, opts...)
		},
	}
}

func (h *harness) takeWrites() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.writes
	h.writes = nil
	return out
}

// advance moves the injected clock.
func (h *harness) advance(d time.Duration) { h.clock.SetTime(h.clock.Now().Add(d)) }

func namespace(t *testing.T) string {
	t.Helper()
	ns := fmt.Sprintf("t%d", time.Now().UnixNano())
	NewWithT(t).Expect(direct.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	return ns
}

// reconcile calls Reconcile once the cache has caught up with every
// object of the namespace the reconciler reads (its own status writes and
// desired count changes included), and expects no error.
func (h *harness) reconcile(st *ecsv1alpha1.ScalableTarget) ctrl.Result {
	h.t.Helper()
	h.settle()
	res, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(st)})
	h.g.Expect(err).NotTo(HaveOccurred())
	return res
}

// settle waits until the cache holds the same versions of the namespace's
// ScalableTargets, Services and HPAs as the API server.
func (h *harness) settle() {
	h.t.Helper()
	versions := func(c client.Reader, list client.ObjectList) map[string]string {
		h.g.Expect(c.List(context.Background(), list, client.InNamespace(h.ns))).To(Succeed())
		out := map[string]string{}
		items, _ := metaItems(list)
		for _, o := range items {
			out[o.GetName()] = o.GetResourceVersion()
		}
		return out
	}
	for _, newList := range []func() client.ObjectList{
		func() client.ObjectList { return &ecsv1alpha1.ScalableTargetList{} },
		func() client.ObjectList { return &ecsv1alpha1.ServiceList{} },
		func() client.ObjectList { return &autoscalingv2.HorizontalPodAutoscalerList{} },
	} {
		want := versions(direct, newList())
		h.g.Eventually(func() map[string]string { return versions(cached, newList()) }).Should(Equal(want))
	}
}

func metaItems(list client.ObjectList) ([]client.Object, error) {
	var out []client.Object
	switch l := list.(type) {
	case *ecsv1alpha1.ScalableTargetList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *ecsv1alpha1.ServiceList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *autoscalingv2.HorizontalPodAutoscalerList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	default:
		return nil, fmt.Errorf("unexpected list %T", list)
	}
	return out, nil
}

// get reads an object straight from the API server.
func (h *harness) get(o client.Object) {
	h.t.Helper()
	h.g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(o), o)).To(Succeed())
}

// desiredCount is the Service's spec.desiredCount, as the API server has it.
func (h *harness) desiredCount(svc *ecsv1alpha1.Service) int32 {
	h.t.Helper()
	cur := &ecsv1alpha1.Service{}
	h.g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(svc), cur)).To(Succeed())
	h.g.Expect(cur.Spec.DesiredCount).NotTo(BeNil())
	return *cur.Spec.DesiredCount
}

// createService creates a REPLICA Service in cluster default with a
// status as Berth's Service controller would write it, its one PRIMARY
// deployment in the given rollout state.
func (h *harness) createService(name string, desired int32, rollout ecsv1alpha1.RolloutState) *ecsv1alpha1.Service {
	h.t.Helper()
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	svc.Spec.TaskDefinition = "web"
	svc.Spec.DesiredCount = &desired
	h.g.Expect(direct.Create(context.Background(), svc)).To(Succeed())
	h.setRollout(svc, rollout)
	return svc
}

// setRollout writes the Service's status (its status subresource) with
// one PRIMARY deployment in the given rollout state.
func (h *harness) setRollout(svc *ecsv1alpha1.Service, rollout ecsv1alpha1.RolloutState) {
	h.t.Helper()
	h.get(svc)
	now := metav1.NewTime(h.clock.Now())
	svc.Status.ServiceName = svc.Name
	svc.Status.Status = ecsv1alpha1.ServiceActive
	svc.Status.Deployments = []ecsv1alpha1.ServiceDeployment{{
		ID: "ecs-svc/1234567890123456789", Status: ecsv1alpha1.DeploymentPrimary,
		TaskDefinition: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", TemplateHash: "abc",
		DesiredCount: *svc.Spec.DesiredCount, RolloutState: rollout, CreatedAt: now, UpdatedAt: now,
	}}
	h.g.Expect(direct.Status().Update(context.Background(), svc)).To(Succeed())
}

// scaleService sets the Service's desiredCount through its scale
// subresource, as the HPA controller does.
func (h *harness) scaleService(svc *ecsv1alpha1.Service, n int32) {
	h.t.Helper()
	sc := &autoscalingv1.Scale{}
	h.g.Expect(direct.SubResource("scale").Get(context.Background(), svc, sc)).To(Succeed())
	sc.Spec.Replicas = n
	h.g.Expect(direct.SubResource("scale").Update(context.Background(), svc, client.WithSubResourceBody(sc))).To(Succeed())
}

// newTarget is a ScalableTarget for service/default/<service>.
func newTarget(ns, name, service string, minCap, maxCap int32) *ecsv1alpha1.ScalableTarget {
	st := &ecsv1alpha1.ScalableTarget{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	st.Spec.ResourceID = "service/default/" + service
	st.Spec.MinCapacity, st.Spec.MaxCapacity = minCap, maxCap
	return st
}

func (h *harness) create(o client.Object) {
	h.t.Helper()
	h.g.Expect(direct.Create(context.Background(), o)).To(Succeed())
}

// update changes a ScalableTarget's spec (a new generation).
func (h *harness) update(st *ecsv1alpha1.ScalableTarget, change func(*ecsv1alpha1.ScalableTarget)) {
	h.t.Helper()
	h.get(st)
	change(st)
	h.g.Expect(direct.Update(context.Background(), st)).To(Succeed())
}
