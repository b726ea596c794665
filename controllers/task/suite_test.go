package task

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
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/testenv"
	"github.com/berth-dev/berth/internal/testutil"
	"github.com/berth-dev/berth/internal/translate"
)

// The reconciler is called directly against envtest's API server (see
// internal/testenv): apply, reconcile, expect. envtest runs no kubelet:
// the tests write the pod's status as kwok would.

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
	env, err = testenv.Start(root)
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
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, g: NewWithT(t), ns: env.Namespace(t), writes: &testenv.Writes{}, events: &testenv.Recorder{},
		clock: clocktesting.NewFakePassiveClock(time.Now())}
	h.r = &Reconciler{Client: h.writes.Client(env.Cached), Recorder: h.events, Clock: h.clock,
		Config: translate.Config{Account: names.DefaultAccount, Features: features}}
	return h
}

func (h *harness) reconcile(name string) ctrl.Result {
	h.t.Helper()
	env.Settle(h.g, h.ns,
		func() client.ObjectList { return &ecsv1alpha1.TaskList{} },
		func() client.ObjectList { return &ecsv1alpha1.ClusterList{} },
		func() client.ObjectList { return &ecsv1alpha1.TaskDefinitionRevisionList{} },
		func() client.ObjectList { return &corev1.PodList{} })
	res, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: h.ns, Name: name}})
	h.g.Expect(err).NotTo(HaveOccurred())
	return res
}

func (h *harness) get(o client.Object) error {
	return env.Direct.Get(context.Background(), client.ObjectKeyFromObject(o), o)
}

func (h *harness) task(name, cluster string) *ecsv1alpha1.Task {
	task := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	task.Spec.Cluster, task.Spec.TaskDefinition, task.Spec.LaunchType = cluster, "web", ecsv1alpha1.LaunchTypeFargate
	h.g.Expect(env.Direct.Create(context.Background(), task)).To(Succeed())
	return task
}

func kstatusOf(g Gomega, o runtime.Object) status.Status {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	g.Expect(err).NotTo(HaveOccurred())
	res, err := status.Compute(&unstructured.Unstructured{Object: m})
	g.Expect(err).NotTo(HaveOccurred())
	return res.Status
}

// setContainer writes the pod's status as the kubelet (kwok) would: the
// task's one container in state, the pod in phase.
func (h *harness) setContainer(pod *corev1.Pod, phase corev1.PodPhase, state corev1.ContainerState) {
	h.t.Helper()
	h.g.Expect(h.get(pod)).To(Succeed())
	if pod.Spec.NodeName == "" {
		// The scheduler's binding.
		h.g.Expect(env.Direct.SubResource("binding").Create(context.Background(), pod,
			&corev1.Binding{Target: corev1.ObjectReference{Kind: "Node", Name: "node-1"}})).To(Succeed())
		h.g.Expect(h.get(pod)).To(Succeed())
	}
	pod.Status.Phase = phase
	pod.Status.StartTime = &metav1.Time{Time: h.clock.Now()}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: pod.Spec.Containers[0].Name, Image: pod.Spec.Containers[0].Image, State: state,
		Ready: state.Running != nil, Started: ptrBool(state.Running != nil)}}
	h.g.Expect(env.Direct.Status().Update(context.Background(), pod)).To(Succeed())
}

func ptrBool(b bool) *bool { return &b }

// A task whose cluster does not exist yet waits for it (Reconciling,
// DependencyNotReady, with ECS's ClusterNotFoundException in
// ClusterResolved), looks again after a backoff, and starts its pod once
// the cluster appears.
func TestTaskWaitsForItsCluster(t *testing.T) {
	h := newHarness(t)
	env.World(t, h.ns)
	task := h.task("early", "late")
	res := h.reconcile(task.Name)
	h.g.Expect(res.RequeueAfter).To(Equal(conditions.MinBackoff))
	h.g.Expect(h.get(task)).To(Succeed())
	rec := meta.FindStatusCondition(task.Status.Conditions, ecsv1alpha1.ConditionReconciling)
	h.g.Expect(rec).NotTo(BeNil())
	h.g.Expect(rec.Reason).To(Equal(ecsv1alpha1.ReasonDependencyNotReady))
	h.g.Expect(rec.Message).To(Equal("ClusterNotFoundException: Cluster not found: no Cluster \"late\" in namespace " + h.ns))
	h.g.Expect(meta.FindStatusCondition(task.Status.Conditions, ecsv1alpha1.ConditionClusterResolved).Reason).To(Equal(ecsv1alpha1.ReasonClusterNotFound))
	h.g.Expect(kstatusOf(h.g, task)).To(Equal(status.InProgressStatus))
	h.g.Expect(task.Status.ObservedGeneration).To(Equal(task.Generation))
	h.g.Expect(h.get(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: translate.PodName(task)}})).To(Satisfy(apierrors.IsNotFound))

	cl := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "late"}}
	cl.Spec.CapacityProviders = []string{"FARGATE"}
	h.g.Expect(env.Direct.Create(context.Background(), cl)).To(Succeed())
	h.reconcile(task.Name)
	h.g.Expect(h.get(task)).To(Succeed())
	h.g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskProvisioning), "started, not placed yet")
	h.g.Expect(h.get(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: translate.PodName(task)}})).To(Succeed())
}

// A STOPPED task is final: Ready (kstatus Current) when its essential
// container exited 0, Stalled (kstatus Failed) with the exit code when it
// exited 1, as for a Job.
func TestStoppedTaskIsFinal(t *testing.T) {
	h := newHarness(t)
	env.World(t, h.ns)
	for _, tc := range []struct {
		name    string
		exit    int32
		kstatus status.Status
		message string
	}{
		{"ok", 0, status.CurrentStatus, "The task is STOPPED (EssentialContainerExited: Essential container in task exited)"},
		{"fails", 1, status.FailedStatus, "The task is STOPPED (EssentialContainerExited: Essential container in task exited); essential container app exit code: 1"},
	} {
		task := h.task(tc.name, "")
		h.reconcile(task.Name)
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: translate.PodName(task)}}
		h.setContainer(pod, corev1.PodRunning, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})
		h.reconcile(task.Name)
		h.g.Expect(h.get(task)).To(Succeed())
		h.g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskRunning))
		h.g.Expect(kstatusOf(h.g, task)).To(Equal(status.CurrentStatus))

		phase := corev1.PodSucceeded
		if tc.exit != 0 {
			phase = corev1.PodFailed
		}
		h.setContainer(pod, phase, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: tc.exit}})
		h.reconcile(task.Name)
		h.g.Expect(h.get(task)).To(Succeed())
		h.g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskStopped), tc.name)
		h.g.Expect(kstatusOf(h.g, task)).To(Equal(tc.kstatus), tc.name)
		h.g.Expect(meta.FindStatusCondition(task.Status.Conditions, ecsv1alpha1.ConditionReady).Message).To(Equal(tc.message))
		h.writes.Take()
		h.reconcile(task.Name)
		h.g.Expect(h.writes.Take()).To(BeEmpty(), "%s: a reconcile with nothing new writes nothing", tc.name)
	}
}

// A pod the cache does not show yet (created a moment ago) is not a pod
// that was deleted: the task is not stopped on the cache's word.
func TestPodMissingFromTheCacheIsNotStopped(t *testing.T) {
	h := newHarness(t)
	env.World(t, h.ns)
	task := h.task("lagging", "")
	h.reconcile(task.Name)
	h.g.Expect(h.get(task)).To(Succeed())
	h.g.Expect(task.Status.PodName).NotTo(BeEmpty())

	lagging := interceptor.NewClient(env.Cached, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*corev1.Pod); ok {
				return apierrors.NewNotFound(corev1.Resource("pods"), key.Name)
			}
			return c.Get(ctx, key, obj, opts...)
		},
	})
	h.r.Client, h.r.APIReader = lagging, env.Direct
	h.reconcile(task.Name)
	h.g.Expect(h.get(task)).To(Succeed())
	h.g.Expect(task.Status.LastStatus).NotTo(Equal(ecsv1alpha1.TaskStopped))

	h.r.APIReader = nil // the cache's word alone: the positive control
	h.reconcile(task.Name)
	h.g.Expect(h.get(task)).To(Succeed())
	h.g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskStopped))
}

// StopTask stops a running task's pod and keeps it, its logs with it, for
// the task's retention: the pod's deadline (1 s, passed) makes the kubelet
// stop the containers, and the task is STOPPED once the pod has failed. A
// task stopped before a node ran it has no log: its pod is deleted.
func TestStopTaskKeepsItsPod(t *testing.T) {
	h := newHarness(t)
	env.World(t, h.ns)
	task := h.task("kept", "")
	h.reconcile(task.Name)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: translate.PodName(task)}}
	h.setContainer(pod, corev1.PodRunning, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})
	h.reconcile(task.Name)
	stopTask := func(task *ecsv1alpha1.Task) {
		h.g.Expect(h.get(task)).To(Succeed())
		base := task.DeepCopy()
		task.Spec.DesiredStatus = ecsv1alpha1.DesiredTaskStatus(ecsv1alpha1.TaskStopped)
		h.g.Expect(env.Direct.Patch(context.Background(), task, client.MergeFrom(base))).To(Succeed())
		h.reconcile(task.Name)
	}
	stopTask(task)
	h.g.Expect(h.get(pod)).To(Succeed())
	h.g.Expect(pod.DeletionTimestamp).To(BeNil())
	h.g.Expect(pod.Spec.ActiveDeadlineSeconds).To(Equal(ptr.To[int64](1)))
	h.g.Expect(h.get(task)).To(Succeed())
	h.g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskStopping))

	// The kubelet: the deadline passed, SIGTERM, the pod failed.
	h.setContainer(pod, corev1.PodFailed, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 143, Reason: "Error"}})
	h.reconcile(task.Name)
	h.g.Expect(h.get(task)).To(Succeed())
	h.g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskStopped))
	h.g.Expect(task.Status.StopCode).To(Equal(ecsv1alpha1.StopCodeUserInitiated))
	h.g.Expect(task.Status.Containers[0].ExitCode).To(Equal(ptr.To[int32](143)))
	h.writes.Take()
	h.reconcile(task.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty(), "a stopped task's kept pod is left alone")
	h.g.Expect(h.get(pod)).To(Succeed())

	unplaced := h.task("unplaced", "")
	h.reconcile(unplaced.Name)
	stopTask(unplaced)
	h.g.Expect(h.get(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: translate.PodName(unplaced)}})).To(Satisfy(apierrors.IsNotFound))
}
