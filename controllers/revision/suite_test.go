package revision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/testenv"
)

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
	h.r = &Reconciler{Client: h.writes.Client(env.Cached), Recorder: h.events, Account: names.DefaultAccount}
	return h
}

func (h *harness) reconcile(name string) {
	h.t.Helper()
	env.Settle(h.g, h.ns,
		func() client.ObjectList { return &ecsv1alpha1.TaskDefinitionRevisionList{} },
		func() client.ObjectList { return &ecsv1alpha1.ServiceList{} },
		func() client.ObjectList { return &ecsv1alpha1.TaskList{} },
		func() client.ObjectList { return &corev1.PodList{} })
	_, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: h.ns, Name: name}})
	h.g.Expect(err).NotTo(HaveOccurred())
}

// revision creates web-<n> of family web, as the TaskDefinition
// controller registers it (here without the finalizer, as an earlier
// Berth did).
func (h *harness) revision(n int32) *ecsv1alpha1.TaskDefinitionRevision {
	rev := &ecsv1alpha1.TaskDefinitionRevision{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: names.Revision("web", n),
		Labels: map[string]string{ecsv1alpha1.LabelTaskDefinition: "web", ecsv1alpha1.LabelRevision: fmt.Sprint(n)}}}
	rev.Spec.Family, rev.Spec.Revision = "web", n
	rev.Spec.ContainerDefinitions = []ecsv1alpha1.ContainerDefinition{{Name: "app", Image: "app:1", Memory: ptr32(64)}}
	h.g.Expect(env.Direct.Create(context.Background(), rev)).To(Succeed())
	return rev
}

func ptr32(v int32) *int32 { return &v }

func (h *harness) get(o client.Object) error {
	return env.Direct.Get(context.Background(), client.ObjectKeyFromObject(o), o)
}

// A revision gets the finalizer once; deleted while a Service's deployment
// runs it, it stays DELETE_IN_PROGRESS, saying so once (an event), and
// writes nothing more while nothing changes; it goes once the deployment
// no longer names it.
func TestDeletedRevisionStaysWhileAServiceRunsIt(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	rev := h.revision(3)
	h.reconcile(rev.Name)
	h.g.Expect(h.writes.Take()).To(Equal([]string{"patch *v1alpha1.TaskDefinitionRevision web-3"}))
	h.g.Expect(h.get(rev)).To(Succeed())
	h.g.Expect(controllerutil.ContainsFinalizer(rev, ecsv1alpha1.FinalizerRevisionInUse)).To(BeTrue())
	h.reconcile(rev.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty(), "a revision that has the finalizer is left alone")

	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "api"}}
	svc.Spec.TaskDefinition, svc.Spec.DesiredCount = "web", ptr32(1)
	h.g.Expect(env.Direct.Create(ctx, svc)).To(Succeed())
	svc.Status.Deployments = []ecsv1alpha1.ServiceDeployment{{ID: "ecs-svc/1", Status: ecsv1alpha1.DeploymentPrimary,
		TaskDefinition: names.DefaultAccount.TaskDefinitionArn("web", 3), RolloutState: ecsv1alpha1.RolloutCompleted,
		CreatedAt: metav1.Now(), UpdatedAt: metav1.Now()}}
	h.g.Expect(env.Direct.Status().Update(ctx, svc)).To(Succeed())

	h.g.Expect(env.Direct.Delete(ctx, rev)).To(Succeed())
	h.reconcile(rev.Name)
	h.g.Expect(h.get(rev)).To(Succeed())
	h.g.Expect(rev.Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionDeleteInProgress))
	c := meta.FindStatusCondition(rev.Status.Conditions, ecsv1alpha1.ConditionReconciling)
	h.g.Expect(c).NotTo(BeNil())
	h.g.Expect(c.Reason).To(Equal(ReasonInUse))
	h.g.Expect(c.Message).To(Equal("TaskDefinition web:3 is DELETE_IN_PROGRESS: in use by Service api (deployment ecs-svc/1, PRIMARY); it is deleted once nothing uses it"))
	h.g.Expect(h.events.Take()).To(HaveLen(1))
	h.writes.Take()
	h.reconcile(rev.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty())
	h.g.Expect(h.events.Take()).To(BeEmpty(), "said once")

	h.g.Expect(h.get(svc)).To(Succeed())
	svc.Status.Deployments[0].TaskDefinition = names.DefaultAccount.TaskDefinitionArn("web", 4)
	h.g.Expect(env.Direct.Status().Update(ctx, svc)).To(Succeed())
	h.reconcile(rev.Name)
	h.g.Expect(h.get(rev)).To(Satisfy(apierrors.IsNotFound))
}

// Tasks use a revision through their pods (a stopping one included) and,
// until STOPPED, through their status.
func TestDeletedRevisionStaysWhileTasksRunIt(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	rev := h.revision(1)
	h.reconcile(rev.Name)

	task := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "once"}}
	task.Spec.TaskDefinition = "web:1"
	h.g.Expect(env.Direct.Create(ctx, task)).To(Succeed())
	task.Status.TaskDefinitionArn = names.DefaultAccount.TaskDefinitionArn("web", 1)
	task.Status.LastStatus = ecsv1alpha1.TaskRunning
	h.g.Expect(env.Direct.Status().Update(ctx, task)).To(Succeed())
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "once", Finalizers: []string{"e2e.berth.dev/hold"},
		Labels: map[string]string{ecsv1alpha1.LabelTaskDefinition: "web", ecsv1alpha1.LabelRevision: "1"}}}
	pod.Spec.Containers = []corev1.Container{{Name: "app", Image: "app:1"}}
	h.g.Expect(env.Direct.Create(ctx, pod)).To(Succeed())

	h.g.Expect(env.Direct.Delete(ctx, rev)).To(Succeed())
	h.reconcile(rev.Name)
	h.g.Expect(h.get(rev)).To(Succeed())
	h.g.Expect(meta.FindStatusCondition(rev.Status.Conditions, ecsv1alpha1.ConditionReconciling).Message).To(ContainSubstring("in use by Task once, 1 tasks (pods)"))

	task.Status.LastStatus = ecsv1alpha1.TaskStopped
	h.g.Expect(env.Direct.Status().Update(ctx, task)).To(Succeed())
	h.g.Expect(env.Direct.Delete(ctx, pod)).To(Succeed())
	h.reconcile(rev.Name)
	h.g.Expect(h.get(rev)).To(Succeed(), "the stopping pod still runs the revision")
	h.g.Expect(meta.FindStatusCondition(rev.Status.Conditions, ecsv1alpha1.ConditionReconciling).Message).To(ContainSubstring("in use by 1 tasks (pods)"))

	h.g.Expect(h.get(pod)).To(Succeed())
	pod.Finalizers = nil
	h.g.Expect(env.Direct.Update(ctx, pod)).To(Succeed())
	h.reconcile(rev.Name)
	h.g.Expect(h.get(rev)).To(Satisfy(apierrors.IsNotFound))
}
