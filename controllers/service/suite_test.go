package service

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/fieldowners"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/testenv"
	"github.com/berth-dev/berth/internal/testutil"
	"github.com/berth-dev/berth/internal/translate"
)

// The reconciler is called directly against envtest's API server (see
// internal/testenv): apply, reconcile, expect. envtest runs no
// kube-controller-manager and no kubelet: the tests create the
// Deployment's pods and write its status as they would.

var (
	env      *testenv.Envtest
	features translate.Features
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, _ := filepath.Abs("../..")
	var err error
	env, err = testenv.Start(root, testenv.WithGatewayAPI())
	defer env.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	minor, err := testutil.ServerMinor(env.Config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	features = translate.Features{KubernetesMinor: minor}
	return m.Run()
}

type harness struct {
	t      *testing.T
	g      Gomega
	ns     string
	clock  *clocktesting.FakePassiveClock
	writes *testenv.Writes
	events *testenv.Recorder
	r      *Reconciler
	pods   int
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, g: NewWithT(t), ns: env.Namespace(t), writes: &testenv.Writes{}, events: &testenv.Recorder{},
		clock: clocktesting.NewFakePassiveClock(time.Now())}
	h.r = &Reconciler{Client: h.writes.Client(env.Cached), Recorder: h.events, Clock: h.clock,
		Config: translate.Config{Account: names.DefaultAccount, Features: features}, APIReader: env.Direct}
	env.World(t, h.ns)
	return h
}

func (h *harness) reconcile(name string) ctrl.Result {
	h.t.Helper()
	env.Settle(h.g, h.ns,
		func() client.ObjectList { return &ecsv1alpha1.ServiceList{} },
		func() client.ObjectList { return &ecsv1alpha1.TaskDefinitionRevisionList{} },
		func() client.ObjectList { return &ecsv1alpha1.ClusterList{} },
		func() client.ObjectList { return &appsv1.DeploymentList{} },
		func() client.ObjectList { return &corev1.PodList{} })
	res, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: h.ns, Name: name}})
	h.g.Expect(err).NotTo(HaveOccurred())
	return res
}

func (h *harness) get(o client.Object) error {
	return env.Direct.Get(context.Background(), client.ObjectKeyFromObject(o), o)
}

func (h *harness) service(name, family string, desired int32) *ecsv1alpha1.Service {
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	svc.Spec.TaskDefinition, svc.Spec.DesiredCount, svc.Spec.LaunchType = family, ptr.To(desired), ecsv1alpha1.LaunchTypeFargate
	h.g.Expect(env.Direct.Create(context.Background(), svc)).To(Succeed())
	return svc
}

// steadyService creates Service name (task definition family name) with
// desired tasks and reconciles it to steady state: its Deployment applied,
// every task RUNNING and available, the status written.
func (h *harness) steadyService(name string, desired int32) *ecsv1alpha1.Service {
	h.t.Helper()
	svc := h.service(name, name, desired)
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.run(name, desired)
	h.reconcile(svc.Name)
	return svc
}

// run does what the Deployment controller, the scheduler and the kubelet
// would: it brings the Deployment's pods to its replicas, all RUNNING and
// ready, and reports available of them available.
func (h *harness) run(name string, available int32) {
	h.t.Helper()
	ctx := context.Background()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	h.g.Expect(h.get(d)).To(Succeed())
	var pods corev1.PodList
	h.g.Expect(env.Direct.List(ctx, &pods, client.InNamespace(h.ns), client.MatchingLabels(d.Spec.Selector.MatchLabels))).To(Succeed())
	for range int(*d.Spec.Replicas) - len(pods.Items) {
		h.runningPod(d, d.Spec.Template.Labels)
	}
	n := *d.Spec.Replicas
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: available}
	h.g.Expect(env.Direct.Status().Update(ctx, d)).To(Succeed())
	h.clock.SetTime(time.Now().Add(5 * time.Second)) // past the "has started" event's grouping
}

// runningPod creates a task of Deployment d, with labels, bound to a node,
// RUNNING and ready.
func (h *harness) runningPod(d *appsv1.Deployment, labels map[string]string) {
	h.t.Helper()
	ctx := context.Background()
	h.pods++
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: fmt.Sprintf("%s-%d", d.Name, h.pods),
		Labels: labels, Annotations: d.Spec.Template.Annotations}, Spec: *d.Spec.Template.Spec.DeepCopy()}
	h.g.Expect(env.Direct.Create(ctx, pod)).To(Succeed())
	h.g.Expect(env.Direct.SubResource("binding").Create(ctx, pod, &corev1.Binding{Target: corev1.ObjectReference{Kind: "Node", Name: "node-1"}})).To(Succeed())
	h.g.Expect(h.get(pod)).To(Succeed())
	pod.Status.Phase = corev1.PodRunning
	pod.Status.StartTime = ptr.To(metav1.Now())
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	for _, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, Ready: true,
			Started: ptr.To(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}})
	}
	h.g.Expect(env.Direct.Status().Update(ctx, pod)).To(Succeed())
}

// A Service whose task definition does not exist yet waits for it
// (Reconciling, DependencyNotReady, with ECS's words), says so in one
// Normal event, looks again after a backoff, and runs once a revision
// appears.
func TestServiceWaitsForItsTaskDefinition(t *testing.T) {
	h := newHarness(t)
	svc := h.service("api", "api", 1)
	res := h.reconcile(svc.Name) // the finalizer, and the status
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Finalizers).To(ContainElement(FinalizerDrain))
	h.g.Expect(res.RequeueAfter).To(Equal(conditions.MinBackoff))
	h.g.Expect(h.get(svc)).To(Succeed())
	rec := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionReconciling)
	h.g.Expect(rec).NotTo(BeNil())
	h.g.Expect(rec.Reason).To(Equal(ecsv1alpha1.ReasonDependencyNotReady))
	h.g.Expect(rec.Message).To(Equal("Unable to describe task definition api: no ACTIVE revision of family api in namespace " + h.ns))
	h.g.Expect(meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(BeNil())
	h.g.Expect(svc.Status.ObservedGeneration).To(Equal(svc.Generation))
	h.g.Expect(h.events.Take()).To(ConsistOf(testenv.Event{Kind: "Service", Name: "api", Type: corev1.EventTypeNormal,
		Reason: ecsv1alpha1.ReasonDependencyNotReady, Note: "Waiting: " + rec.Message}))
	h.reconcile(svc.Name)
	h.g.Expect(h.events.Take()).To(BeEmpty(), "said once")
	h.g.Expect(h.get(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "api"}})).To(Satisfy(apierrors.IsNotFound))

	env.Revision(t, h.ns, "api", 1, "public.ecr.aws/example/api:1")
	h.reconcile(svc.Name)
	h.g.Expect(h.get(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "api"}})).To(Succeed())
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionReconciling).Reason).To(Equal(ecsv1alpha1.ReasonRolloutInProgress))
}

// Ready is ECS's services-stable: a scale-out is Ready as soon as running
// == desired, before the new task has been healthy long enough to be
// available; the deployment stays COMPLETED. A reconcile with nothing new
// writes nothing.
func TestScaleOutIsReadyAtOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	svc := h.steadyService("web", 2)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "%+v", svc.Status.Conditions)
	h.g.Expect(svc.Status.Deployments).To(HaveLen(1))
	h.g.Expect(svc.Status.Deployments[0].RolloutState).To(Equal(ecsv1alpha1.RolloutCompleted))

	svc.Spec.DesiredCount = ptr.To[int32](3)
	h.g.Expect(env.Direct.Update(ctx, svc)).To(Succeed())
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeFalse(), "2 of 3 running")
	h.run("web", 2) // the third task runs; not yet available (minReadySeconds)
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.RunningCount).To(Equal(ptr.To[int32](3)))
	h.g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "%+v", svc.Status.Conditions)
	h.g.Expect(svc.Status.Deployments[0].RolloutState).To(Equal(ecsv1alpha1.RolloutCompleted))
	h.g.Expect(svc.Status.Events[0].Message).To(MatchRegexp(`^service web has started 1 tasks: \(task [0-9a-f]+\)\.$`))
	h.writes.Take()
	h.reconcile(svc.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty())
}

// Kubernetes Events are written for what a user acts on: a new Service's
// tasks starting, its steady state and its first deployment completing
// are in status.events only; the start and the end of a deployment that
// replaces it are Events.
func TestEventsAreWhatAUserActsOn(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	svc := h.steadyService("web", 2)
	h.g.Expect(h.get(svc)).To(Succeed())
	var messages []string
	for _, e := range svc.Status.Events {
		messages = append(messages, e.Message)
	}
	h.g.Expect(messages).To(ContainElements(MatchRegexp(`^service web has started 2 tasks: `), "service web has reached a steady state."),
		"status.events keeps every message")
	h.g.Expect(h.events.Take()).To(BeEmpty(), "a new Service's first deployment: its creation, and Ready")

	env.Revision(t, h.ns, "web", 2, "public.ecr.aws/example/web:2")
	svc.Spec.TaskDefinition = "web:2"
	h.g.Expect(env.Direct.Update(ctx, svc)).To(Succeed())
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(h.events.Take()).To(ConsistOf(testenv.Event{Kind: "Service", Name: "web", Type: corev1.EventTypeNormal, Reason: ecsv1alpha1.ReasonDeploymentStarted,
		Note: fmt.Sprintf("ECS deployment %s started: task definition %s, 2 desired tasks", svc.Status.Deployments[0].ID, svc.Status.Deployments[0].TaskDefinition)}))
	h.reconcile(svc.Name)
	h.g.Expect(h.events.Take()).To(BeEmpty(), "said once")

	// The deployment that replaced the first one completes: an Event.
	h.g.Expect(env.Direct.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(h.ns), client.GracePeriodSeconds(0))).To(Succeed())
	h.run("web", 2)
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.g.Expect(h.events.Take()).To(ContainElement(HaveField("Reason", "DeploymentCompleted")))
}

// While a deployment is in progress, a change of task counts alone is
// written at most a second late (with the next change, or when the second
// is up); Ready is written at once.
func TestCountChangesAreCoalesced(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	svc := h.service("web", "web", 2)
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web"}}
	h.g.Expect(h.get(d)).To(Succeed())
	pending := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web-pending", Labels: d.Spec.Template.Labels,
		Annotations: d.Spec.Template.Annotations}, Spec: *d.Spec.Template.Spec.DeepCopy()}
	h.g.Expect(env.Direct.Create(ctx, pending)).To(Succeed())
	h.writes.Take()
	res := h.reconcile(svc.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty(), "1 task PENDING, counts alone: the first change that waits")
	h.g.Expect(res.RequeueAfter).To(And(BeNumerically(">", 0), BeNumerically("<=", coalesceWindow)))
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.PendingCount).To(Equal(ptr.To[int32](0)), "not written yet")

	h.clock.SetTime(h.clock.Now().Add(coalesceWindow))
	written := h.clock.Now()
	h.reconcile(svc.Name)
	h.g.Expect(h.writes.Take()).To(Equal([]string{"patch status *v1alpha1.Service web"}), "written when the second is up")
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.PendingCount).To(Equal(ptr.To[int32](1)))

	// Both tasks RUNNING: Ready, written at once (within the second).
	h.g.Expect(env.Direct.Delete(ctx, pending)).To(Succeed())
	h.run("web", 2)
	h.clock.SetTime(written.Add(coalesceWindow / 2))
	h.reconcile(svc.Name)
	h.g.Expect(h.writes.Take()).To(ContainElement("patch status *v1alpha1.Service web"))
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "%+v", svc.Status.Conditions)
}

// A task the scheduler stops (its essential container exited) is kept for
// its logs, not deleted: out of the Service's selector (so its ReplicaSet
// replaces it and nothing counts it), owned by the Service alone, its
// containers stopped by the pod's deadline, with the stop's code, reason,
// time and exit codes on it. The next reconcile does not see it.
func TestStoppedTaskIsRetired(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	svc := h.service("web", "web", 1)
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.run("web", 1)
	h.reconcile(svc.Name)

	var pods corev1.PodList
	h.g.Expect(env.Direct.List(ctx, &pods, client.InNamespace(h.ns))).To(Succeed())
	h.g.Expect(pods.Items).To(HaveLen(1))
	pod := &pods.Items[0]
	pod.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}}
	pod.Status.ContainerStatuses[0].Ready = false
	h.g.Expect(env.Direct.Status().Update(ctx, pod)).To(Succeed())
	h.reconcile(svc.Name)

	h.g.Expect(h.get(pod)).To(Succeed())
	h.g.Expect(pod.DeletionTimestamp).To(BeNil())
	h.g.Expect(pod.Labels).NotTo(HaveKey(ecsv1alpha1.LabelService))
	h.g.Expect(pod.Labels).To(HaveKeyWithValue(ecsv1alpha1.LabelStoppedService, "web"))
	h.g.Expect(pod.OwnerReferences).To(HaveLen(1))
	h.g.Expect(pod.OwnerReferences[0].UID).To(Equal(svc.UID))
	h.g.Expect(pod.OwnerReferences[0].Controller).To(BeNil())
	h.g.Expect(pod.Spec.ActiveDeadlineSeconds).To(Equal(ptr.To[int64](1)))
	h.g.Expect(pod.Annotations).To(HaveKeyWithValue(ecsv1alpha1.AnnotationStopCode, string(ecsv1alpha1.StopCodeEssentialContainerExited)))
	h.g.Expect(pod.Annotations[ecsv1alpha1.AnnotationStoppedReason]).To(ContainSubstring("exit code 3"))
	h.g.Expect(pod.Annotations).To(HaveKeyWithValue(ecsv1alpha1.AnnotationStoppedAt, h.clock.Now().UTC().Format(time.RFC3339)))
	h.g.Expect(pod.Annotations).To(HaveKeyWithValue(ecsv1alpha1.AnnotationExitCodes, `{"app":3}`))
	h.g.Expect(h.events.Take()).To(ContainElement(HaveField("Reason", "TaskStopped")))

	h.writes.Take()
	h.reconcile(svc.Name)
	for _, w := range h.writes.Take() {
		h.g.Expect(w).NotTo(ContainSubstring("pods"), "the retired task is not stopped again")
	}
}

// Another field manager's edit of a Service's Deployment spec is undone
// on the next reconcile (R4 of docs/reliability.md): a kubectl edit's image
// and extra environment variable, a kubectl rollout restart's annotation,
// a kubectl scale. A label someone adds stays. Then a reconcile writes
// nothing.
func TestEditOfTheDeploymentIsReverted(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	svc := h.steadyService("web", 2)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web"}}
	h.g.Expect(h.get(d)).To(Succeed())
	image, generation := d.Spec.Template.Spec.Containers[0].Image, d.Generation

	c := &d.Spec.Template.Spec.Containers[0]
	c.Image = "public.ecr.aws/example/intruder:6"
	c.Env = append(c.Env, corev1.EnvVar{Name: "INTRUDER", Value: "1"})
	d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] = "2026-12-05T07:00:00Z"
	d.Labels["team"] = "payments"
	h.g.Expect(env.Direct.Update(ctx, d, client.FieldOwner("kubectl-edit"))).To(Succeed())
	h.g.Expect(env.Direct.SubResource("scale").Update(ctx, d, client.WithSubResourceBody(&autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 5}}),
		client.FieldOwner("kubectl-scale"))).To(Succeed())
	h.events.Take()
	h.writes.Take()
	h.reconcile(svc.Name)
	h.g.Expect(h.writes.Take()).To(HaveExactElements("patch *v1.Deployment web", "apply *v1.DeploymentApplyConfiguration "),
		"the fields taken back, then applied")
	h.g.Expect(h.events.Take()).To(ContainElement(testenv.Event{Kind: "Service", Name: "web", Type: corev1.EventTypeNormal,
		Reason: ecsv1alpha1.ReasonEditReverted, Note: "Deployment web was edited by kubectl-edit, kubectl-scale: Berth owns its spec and applied its own again"}))

	h.g.Expect(h.get(d)).To(Succeed())
	c = &d.Spec.Template.Spec.Containers[0]
	h.g.Expect(c.Image).To(Equal(image))
	h.g.Expect(c.Env).NotTo(ContainElement(HaveField("Name", "INTRUDER")), "the extra variable is removed, not kept")
	h.g.Expect(d.Spec.Template.Annotations).NotTo(HaveKey("kubectl.kubernetes.io/restartedAt"))
	h.g.Expect(d.Spec.Replicas).To(Equal(ptr.To[int32](2)))
	h.g.Expect(d.Labels).To(HaveKeyWithValue("team", "payments"), "a label is not Berth's")
	h.g.Expect(d.Generation).To(BeNumerically(">", generation))
	var managers []string
	for _, e := range d.ManagedFields {
		managers = append(managers, e.Manager+"/"+e.Subresource)
	}
	h.g.Expect(managers).NotTo(ContainElement("kubectl-scale/scale"))
	h.g.Expect(fieldowners.Foreign(d, FieldOwner)).To(BeEmpty(), "no other manager owns part of spec")

	h.run("web", 2)
	h.reconcile(svc.Name)
	h.writes.Take()
	h.reconcile(svc.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty(), "steady: nothing written")

	// An annotation of the Deployment moves its generation (as the
	// Deployment controller's revision annotation does after each
	// rollout) but is not an edit of its spec: nothing written, no Event.
	h.g.Expect(h.get(d)).To(Succeed())
	generation = d.Generation
	h.g.Expect(env.Direct.Patch(ctx, d, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"example.com/owner":"alice"}}}`)),
		client.FieldOwner("kubectl-annotate"))).To(Succeed())
	h.g.Expect(d.Generation).To(BeNumerically(">", generation), "the API server moves a Deployment's generation with its annotations")
	h.events.Take()
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty(), "an annotation someone added: nothing written")
	h.g.Expect(h.events.Take()).To(BeEmpty())

	// A removal leaves no field manager behind (kubectl set env FOO-, a
	// JSON patch "remove"): the generation Berth's last write left tells.
	h.g.Expect(h.get(d)).To(Succeed())
	removed := ""
	for k := range d.Spec.Template.Annotations {
		if k != ecsv1alpha1.AnnotationTemplateHash && (removed == "" || k < removed) {
			removed = k
		}
	}
	h.g.Expect(removed).NotTo(BeEmpty(), "a template annotation of Berth's: %v", d.Spec.Template.Annotations)
	value := d.Spec.Template.Annotations[removed]
	h.g.Expect(env.Direct.Patch(ctx, d, client.RawPatch(types.JSONPatchType,
		[]byte(`[{"op":"remove","path":"/spec/template/metadata/annotations/`+strings.NewReplacer("~", "~0", "/", "~1").Replace(removed)+`"}]`)),
		client.FieldOwner("kubectl-patch"))).To(Succeed())
	h.g.Expect(d.Spec.Template.Annotations).NotTo(HaveKey(removed))
	h.g.Expect(fieldowners.Foreign(d, FieldOwner)).To(BeEmpty(), "a removal leaves no owner")
	h.events.Take()
	h.reconcile(svc.Name)
	h.g.Expect(h.get(d)).To(Succeed())
	h.g.Expect(d.Spec.Template.Annotations).To(HaveKeyWithValue(removed, value))
	h.g.Expect(h.events.Take()).To(ContainElement(HaveField("Note", "Deployment web was edited by someone else (a change that left no field manager): Berth owns its spec and applied its own again")))

	// An operator stopped between taking the fields back and applying: its
	// successor (nothing remembered) applies, as the applied-hash
	// annotation went with the first write.
	h.g.Expect(h.get(d)).To(Succeed())
	d.Spec.Template.Spec.Containers[0].Env = append(d.Spec.Template.Spec.Containers[0].Env, corev1.EnvVar{Name: "INTRUDER", Value: "2"})
	h.g.Expect(env.Direct.Update(ctx, d, client.FieldOwner("kubectl-edit"))).To(Succeed())
	wrote, err := fieldowners.Reclaim(ctx, env.Direct, env.Direct, d, FieldOwner, AnnotationAppliedHash)
	h.g.Expect(err).NotTo(HaveOccurred())
	h.g.Expect(wrote).To(BeTrue())
	h.g.Expect(d.Annotations).NotTo(HaveKey(AnnotationAppliedHash))
	h.r = &Reconciler{Client: h.r.Client, Recorder: h.r.Recorder, Clock: h.r.Clock, Config: h.r.Config, APIReader: h.r.APIReader}
	h.reconcile(svc.Name)
	h.g.Expect(h.get(d)).To(Succeed())
	h.g.Expect(d.Spec.Template.Spec.Containers[0].Env).NotTo(ContainElement(HaveField("Name", "INTRUDER")))
	h.g.Expect(d.Annotations).To(HaveKey(AnnotationAppliedHash))
}
