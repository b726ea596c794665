package task

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func startedTask() *ecsv1alpha1.Task {
	t := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Name: "t", Generation: 1}}
	t.Status.LastStatus = ecsv1alpha1.TaskPending
	t.Status.Containers = []ecsv1alpha1.ContainerStatus{
		{Name: "App_Main", Essential: ptr.To(true), LastStatus: ecsv1alpha1.TaskPending},
		{Name: "sidecar", Essential: ptr.To(false), LastStatus: ecsv1alpha1.TaskPending},
	}
	return t
}

func running() corev1.ContainerState {
	return corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
}

func waiting(reason, msg string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
}

func exited(code int32) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: "Error"}}
}

func pod(phase corev1.PodPhase, app, sidecar corev1.ContainerState) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "t"},
		Spec:       corev1.PodSpec{NodeName: "node-1"},
		Status: corev1.PodStatus{Phase: phase, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "app-main", State: app}, {Name: "sidecar", State: sidecar},
		}},
	}
}

func TestObserve(t *testing.T) {
	cases := []struct {
		name     string
		pod      *corev1.Pod
		last     ecsv1alpha1.TaskStatusValue
		stopCode ecsv1alpha1.TaskStopCode
		reason   string
		exit     *int32
		ready    bool
	}{
		{name: "not scheduled", pod: func() *corev1.Pod {
			p := pod(corev1.PodPending, corev1.ContainerState{}, corev1.ContainerState{})
			p.Spec.NodeName = ""
			return p
		}(), last: ecsv1alpha1.TaskProvisioning},
		{name: "image cannot be pulled", pod: pod(corev1.PodPending, waiting("ImagePullBackOff", "Back-off pulling image"), corev1.ContainerState{}),
			last: ecsv1alpha1.TaskStopped, stopCode: ecsv1alpha1.StopCodeTaskFailedToStart, reason: `CannotPullContainerError: pull image "": Back-off pulling image`},
		{name: "secret missing", pod: pod(corev1.PodPending, waiting("CreateContainerConfigError", `secret "db" not found`), corev1.ContainerState{}),
			last: ecsv1alpha1.TaskStopped, stopCode: ecsv1alpha1.StopCodeTaskFailedToStart,
			reason: `ResourceInitializationError: unable to pull secrets or registry auth: secret "db" not found`},
		{name: "scheduled, not started", pod: pod(corev1.PodPending, corev1.ContainerState{}, corev1.ContainerState{}), last: ecsv1alpha1.TaskPending},
		{name: "all containers running", pod: pod(corev1.PodRunning, running(), running()), last: ecsv1alpha1.TaskRunning, ready: true},
		{name: "non-essential exit keeps the task running", pod: pod(corev1.PodRunning, running(), exited(1)), last: ecsv1alpha1.TaskRunning, ready: true},
		{name: "essential exit stops the task", pod: pod(corev1.PodRunning, exited(137), running()), last: ecsv1alpha1.TaskStopped,
			stopCode: ecsv1alpha1.StopCodeEssentialContainerExited, exit: ptr.To[int32](137)},
		{name: "pod failed", pod: pod(corev1.PodFailed, exited(3), exited(0)), last: ecsv1alpha1.TaskStopped,
			stopCode: ecsv1alpha1.StopCodeEssentialContainerExited, exit: ptr.To[int32](3)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			task := startedTask()
			observe(task, c.pod, now)
			st := task.Status
			if st.LastStatus != c.last {
				t.Fatalf("lastStatus = %s, want %s", st.LastStatus, c.last)
			}
			if st.StopCode != c.stopCode {
				t.Errorf("stopCode = %q, want %q", st.StopCode, c.stopCode)
			}
			want := c.reason
			if want == "" {
				want = StoppedReasonEssentialExited
			}
			if c.last == ecsv1alpha1.TaskStopped {
				if st.StoppedReason != want || st.DesiredStatus != ecsv1alpha1.TaskStopped || st.StoppedAt == nil {
					t.Errorf("stopped status incomplete: %+v", st)
				}
			}
			if c.exit != nil && (st.Containers[0].ExitCode == nil || *st.Containers[0].ExitCode != *c.exit) {
				t.Errorf("exit code of App_Main = %v, want %d", st.Containers[0].ExitCode, *c.exit)
			}
			if got := conditions.IsTrue(st.Conditions, ecsv1alpha1.ConditionReady); got != c.ready {
				t.Errorf("Ready = %v, want %v", got, c.ready)
			}
			if c.last == ecsv1alpha1.TaskRunning && (st.StartedAt == nil || !st.StartedAt.Time.Equal(now)) {
				t.Errorf("startedAt = %v", st.StartedAt)
			}
		})
	}
}

func TestStopWithoutPod(t *testing.T) {
	task := startedTask()
	task.Status.LastStatus = ecsv1alpha1.TaskRunning
	stopWithoutPod(task, now)
	if task.Status.LastStatus != ecsv1alpha1.TaskStopped || task.Status.StopCode != ecsv1alpha1.StopCodeUserInitiated {
		t.Fatalf("got %+v", task.Status)
	}
	for _, c := range task.Status.Containers {
		if c.LastStatus != ecsv1alpha1.TaskStopped {
			t.Errorf("container %s is %s", c.Name, c.LastStatus)
		}
	}
}

func TestStopTaskKeepsUserInitiated(t *testing.T) {
	task := startedTask()
	task.Spec.DesiredStatus = ecsv1alpha1.DesiredTaskStatus(ecsv1alpha1.TaskStopped)
	task.Spec.StopReason = "Scaling down"
	setStopping(task, now)
	if task.Status.LastStatus != ecsv1alpha1.TaskStopping || task.Status.StoppingAt == nil {
		t.Fatalf("not STOPPING: %+v", task.Status)
	}
	// While the pod still runs, the task is STOPPING, and not Ready.
	observe(task, pod(corev1.PodRunning, running(), running()), now)
	if task.Status.LastStatus != ecsv1alpha1.TaskStopping || conditions.IsTrue(task.Status.Conditions, ecsv1alpha1.ConditionReady) {
		t.Fatalf("a running pod of a stopping task: %s, Ready %v", task.Status.LastStatus, conditions.IsTrue(task.Status.Conditions, ecsv1alpha1.ConditionReady))
	}
	// SIGTERM makes the essential container exit: the task stays
	// UserInitiated, with the user's reason and the exit code.
	observe(task, pod(corev1.PodRunning, exited(143), running()), now)
	st := task.Status
	if st.LastStatus != ecsv1alpha1.TaskStopped || st.StopCode != ecsv1alpha1.StopCodeUserInitiated || st.StoppedReason != "Scaling down" {
		t.Fatalf("got %s %s %q", st.LastStatus, st.StopCode, st.StoppedReason)
	}
	if st.Containers[0].ExitCode == nil || *st.Containers[0].ExitCode != 143 {
		t.Errorf("exit code %v", st.Containers[0].ExitCode)
	}
}

func TestHealthStatus(t *testing.T) {
	task := startedTask()
	p := pod(corev1.PodRunning, running(), running())
	p.Annotations = map[string]string{ecsv1alpha1.AnnotationContainers: `{"app-main":{"name":"App_Main","essential":true,"healthCheck":true,"startPeriod":10,"interval":5,"retries":2},"sidecar":{"name":"sidecar","essential":false}}`}
	p.Status.ContainerStatuses[0].State.Running.StartedAt = metav1.NewTime(now.Add(-15 * time.Second))
	if recheck := observe(task, p, now); recheck != 5*time.Second || task.Status.HealthStatus != ecsv1alpha1.HealthUnknown {
		t.Fatalf("in the start period: %s, recheck %v; want UNKNOWN, 5s", task.Status.HealthStatus, recheck)
	}
	observe(task, p, now.Add(5*time.Second))
	if task.Status.HealthStatus != ecsv1alpha1.HealthUnhealthy || task.Status.Containers[0].HealthStatus != ecsv1alpha1.HealthUnhealthy {
		t.Fatalf("after startPeriod + interval × retries: %s", task.Status.HealthStatus)
	}
	if task.Status.LastStatus != ecsv1alpha1.TaskRunning {
		t.Errorf("an unhealthy standalone task keeps running, as in ECS: %s", task.Status.LastStatus)
	}
	p.Status.ContainerStatuses[0].Ready = true
	observe(task, p, now.Add(5*time.Second))
	if task.Status.HealthStatus != ecsv1alpha1.HealthHealthy {
		t.Errorf("ready: %s, want HEALTHY", task.Status.HealthStatus)
	}
}

// A task the scheduler cannot place says so, with the scheduler's reason,
// once it has waited placementGrace (capacity may be on its way).
func TestUnplaced(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	pod := &corev1.Pod{}
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. ", LastTransitionTime: metav1.NewTime(now.Add(-4 * time.Second))}}
	if msg, wait := unplaced(pod, now); msg != "" || wait != 6*time.Second {
		t.Errorf("within the grace: %q, %v", msg, wait)
	}
	if msg, _ := unplaced(pod, now.Add(time.Minute)); msg != "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector." {
		t.Errorf("after the grace: %q", msg)
	}
	pod.Spec.NodeName = "n1"
	if msg, wait := unplaced(pod, now.Add(time.Minute)); msg != "" || wait != 0 {
		t.Errorf("placed: %q, %v", msg, wait)
	}
}
