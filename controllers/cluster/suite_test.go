package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/testenv"
)

// The reconciler is called directly against envtest's API server (see
// internal/testenv): apply, reconcile, expect.

var env *testenv.Envtest

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

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

type harness struct {
	t      *testing.T
	g      Gomega
	ns     string
	writes *testenv.Writes
	events *testenv.Recorder
	r      *Reconciler
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, g: NewWithT(t), ns: env.Namespace(t), writes: &testenv.Writes{}, events: &testenv.Recorder{}}
	h.r = &Reconciler{Client: h.writes.Client(env.Cached), Recorder: h.events, Account: names.DefaultAccount,
		Clock: clocktesting.NewFakePassiveClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))}
	return h
}

func (h *harness) reconcile(name string) ctrl.Result {
	h.t.Helper()
	env.Settle(h.g, h.ns,
		func() client.ObjectList { return &ecsv1alpha1.ClusterList{} },
		func() client.ObjectList { return &ecsv1alpha1.ServiceList{} },
		func() client.ObjectList { return &ecsv1alpha1.TaskList{} },
		func() client.ObjectList { return &corev1.PodList{} })
	env.Settle(h.g, "", func() client.ObjectList { return &ecsv1alpha1.CapacityProviderList{} })
	res, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: h.ns, Name: name}})
	h.g.Expect(err).NotTo(HaveOccurred())
	return res
}

func (h *harness) get(o client.Object) error {
	return env.Direct.Get(context.Background(), client.ObjectKeyFromObject(o), o)
}

func (h *harness) cluster(providers ...string) *ecsv1alpha1.Cluster {
	cl := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "prod"}}
	cl.Spec.ClusterName = "prod"
	cl.Spec.CapacityProviders = providers
	h.g.Expect(env.Direct.Create(context.Background(), cl)).To(Succeed())
	return cl
}

// A capacity provider the cluster names that does not exist yet is waited
// for (Reconciling, DependencyNotReady), never Stalled; once it exists the
// cluster is Ready, and a reconcile with nothing new writes nothing.
func TestClusterWaitsForItsCapacityProvider(t *testing.T) {
	h := newHarness(t)
	pool := "pool-" + h.ns
	cl := h.cluster(pool)
	h.reconcile(cl.Name) // the finalizer, and the status
	h.g.Expect(h.get(cl)).To(Succeed())
	h.g.Expect(cl.Finalizers).To(ContainElement(FinalizerInUse))
	rec := meta.FindStatusCondition(cl.Status.Conditions, ecsv1alpha1.ConditionReconciling)
	h.g.Expect(rec).NotTo(BeNil())
	h.g.Expect(rec.Reason).To(Equal(ecsv1alpha1.ReasonDependencyNotReady))
	h.g.Expect(rec.Message).To(HavePrefix("The specified capacity provider does not exist: " + pool))
	h.g.Expect(meta.FindStatusCondition(cl.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(BeNil())
	h.g.Expect(cl.Status.ObservedGeneration).To(Equal(cl.Generation))

	cp := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: pool}}
	cp.Spec.Type = ecsv1alpha1.CapacityProviderEC2AutoScaling
	h.g.Expect(env.Direct.Create(context.Background(), cp)).To(Succeed())
	t.Cleanup(func() { _ = env.Direct.Delete(context.Background(), cp) })
	h.reconcile(cl.Name)
	h.g.Expect(h.get(cl)).To(Succeed())
	h.g.Expect(meta.IsStatusConditionTrue(cl.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "%+v", cl.Status.Conditions)
	h.writes.Take()
	h.reconcile(cl.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty())
}

// A deleted cluster stays while a DRAINING service and its tasks exist
// (ClusterContainsServicesException, then ClusterContainsTasksException),
// saying why once each, and goes when the last task is gone.
func TestDeletedClusterWaitsForDrainingServices(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cl := h.cluster()
	h.reconcile(cl.Name)
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web", Finalizers: []string{"ecs.berth.dev/drain"}}}
	svc.Spec.Cluster, svc.Spec.TaskDefinition, svc.Spec.DesiredCount = "prod", "web", ptr.To[int32](1)
	h.g.Expect(env.Direct.Create(ctx, svc)).To(Succeed())
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web-1", Finalizers: []string{"e2e.berth.dev/hold"},
		Labels: map[string]string{ecsv1alpha1.LabelCluster: "prod", ecsv1alpha1.LabelService: "web"}}}
	pod.Spec.Containers = []corev1.Container{{Name: "app", Image: "app:1"}}
	h.g.Expect(env.Direct.Create(ctx, pod)).To(Succeed())
	h.g.Expect(env.Direct.Delete(ctx, svc)).To(Succeed()) // DRAINING: held by its finalizer
	h.g.Expect(env.Direct.Delete(ctx, cl)).To(Succeed())

	deleting := func(reason, message string) {
		h.t.Helper()
		h.reconcile(cl.Name)
		h.g.Expect(h.get(cl)).To(Succeed())
		c := meta.FindStatusCondition(cl.Status.Conditions, ConditionDeleting)
		h.g.Expect(c).NotTo(BeNil())
		h.g.Expect(c.Reason).To(Equal(reason))
		h.g.Expect(c.Message).To(Equal(message))
		h.g.Expect(meta.FindStatusCondition(cl.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(BeNil())
		h.g.Expect(h.events.Take()).To(ConsistOf(testenv.Event{Kind: "Cluster", Name: "prod", Type: corev1.EventTypeWarning, Reason: reason, Note: message}))
	}
	deleting(ReasonClusterContainsServices, "ClusterContainsServicesException: The Cluster cannot be deleted while Services are DRAINING (1); it goes once their tasks have stopped")
	h.reconcile(cl.Name)
	h.g.Expect(h.events.Take()).To(BeEmpty(), "said once")

	h.g.Expect(h.get(svc)).To(Succeed())
	svc.Finalizers = nil
	h.g.Expect(env.Direct.Update(ctx, svc)).To(Succeed())
	h.g.Expect(env.Direct.Delete(ctx, pod)).To(Succeed()) // stopping, held
	deleting(ReasonClusterContainsTasks, "ClusterContainsTasksException: The Cluster cannot be deleted while Tasks are active (1); stop them first")

	h.g.Expect(h.get(pod)).To(Succeed())
	pod.Finalizers = nil
	h.g.Expect(env.Direct.Update(ctx, pod)).To(Succeed())
	h.reconcile(cl.Name)
	h.g.Expect(h.get(cl)).To(Satisfy(apierrors.IsNotFound))
}
