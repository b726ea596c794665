package task

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/compat"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
)

// StoppedReasonEssentialExited is ECS's stoppedReason for an essential
// container's exit.
const StoppedReasonEssentialExited = "Essential container in task exited"

func setProblem(task *ecsv1alpha1.Task, p *resolve.Problem) {
	gen := task.Generation
	if p.Condition != ecsv1alpha1.ConditionReady {
		conditions.Set(&task.Status.Conditions, gen, p.Condition, false, p.Reason, p.Message)
	}
	if p.Waiting() {
		conditions.Waiting(&task.Status.Conditions, gen, p.Message)
	} else {
		conditions.Summarize(&task.Status.Conditions, gen, conditions.Stalled, p.Reason, p.Message)
	}
	task.Status.ObservedGeneration = gen
}

// setSupported reports the members of the spec Berth approximates or does
// not support (status.fieldNotes and the FullySupported condition), so that
// none is dropped silently: a function of the spec alone. It does not
// affect Ready.
func setSupported(task *ecsv1alpha1.Task) {
	notes := compat.Bound(compat.TaskNotes(&task.Spec))
	task.Status.FieldNotes = notes
	compat.SetCondition(&task.Status.Conditions, task.Generation, notes, "task", "docs/compatibility/run-task.md")
}

// setStarted records what the task was started with.
func setStarted(task *ecsv1alpha1.Task, rev *ecsv1alpha1.TaskDefinitionRevision, p translate.Placement, cfg translate.Config) {
	st := &task.Status
	cluster := names.ClusterName(task.Spec.Cluster)
	st.ClusterArn = cfg.Account.ClusterArn(cluster)
	st.TaskArn = cfg.Account.TaskArn(cluster, names.TaskID(string(task.UID)))
	st.TaskDefinitionArn = cfg.Account.TaskDefinitionArn(rev.Spec.Family, rev.Spec.Revision)
	st.LaunchType = p.LaunchType
	if len(p.Providers) == 1 {
		st.CapacityProviderName = translate.ProviderName(p.Providers[0])
	}
	st.PodName = translate.PodName(task)
	st.DesiredStatus = ecsv1alpha1.TaskRunning
	st.Group = task.Spec.Group
	if st.Group == "" {
		st.Group = "family:" + rev.Spec.Family
	}
	st.StartedBy = task.Spec.StartedBy
	t := task.CreationTimestamp
	st.CreatedAt = &t
	st.Containers = nil
	for _, c := range rev.Spec.ContainerDefinitions {
		st.Containers = append(st.Containers, ecsv1alpha1.ContainerStatus{
			Name: c.Name, Image: c.Image, LastStatus: ecsv1alpha1.TaskPending,
			Essential: ptr.To(c.Essential == nil || *c.Essential),
		})
	}
	for _, cond := range []string{ecsv1alpha1.ConditionClusterResolved, ecsv1alpha1.ConditionTaskDefinitionResolved, ecsv1alpha1.ConditionCapacityProviderReady} {
		conditions.Set(&st.Conditions, task.Generation, cond, true, ecsv1alpha1.ReasonSucceeded, "Resolved")
	}
}

// infos are the task's containers as the pod's annotation describes them,
// or, for a pod without it (started by an earlier Berth), as the status
// recorded them.
func infos(task *ecsv1alpha1.Task, pod *corev1.Pod) map[string]translate.ContainerInfo {
	if in, err := taskstate.Infos(pod); err == nil && in != nil {
		return in
	}
	res := map[string]translate.ContainerInfo{}
	for _, c := range task.Status.Containers {
		res[names.Container(c.Name)] = translate.ContainerInfo{Name: c.Name, Essential: ptr.Deref(c.Essential, true)}
	}
	return res
}

// observe derives the task's status from its pod, and says how long until
// it should be looked at again when time alone can change it.
func observe(task *ecsv1alpha1.Task, pod *corev1.Pod, now time.Time) time.Duration {
	st := &task.Status
	if code := pod.Annotations[ecsv1alpha1.AnnotationStopCode]; code != "" && st.StopCode == "" {
		// Stopped by something else than the task's controller (a Spot
		// interruption): its code and reason, the pod being deleted.
		st.StopCode = ecsv1alpha1.TaskStopCode(code)
		st.StoppedReason = pod.Annotations[ecsv1alpha1.AnnotationStoppedReason]
		st.DesiredStatus = ecsv1alpha1.TaskStopped
	}
	state := taskstate.Observe(pod, infos(task, pod), now)
	setContainers(task, state)
	st.HealthStatus = state.Health
	gen := task.Generation
	st.ObservedGeneration = gen
	switch {
	case state.EssentialExited != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		stop(task, ecsv1alpha1.StopCodeEssentialContainerExited, StoppedReasonEssentialExited, now)
		return 0
	case state.StartFailure != "":
		stop(task, ecsv1alpha1.StopCodeTaskFailedToStart, state.StartFailure, now)
		return 0
	}
	st.LastStatus = state.LastStatus
	if st.DesiredStatus == ecsv1alpha1.TaskStopped {
		// StopTask: the pod is being stopped.
		st.LastStatus = ecsv1alpha1.TaskStopping
	}
	if st.LastStatus == ecsv1alpha1.TaskRunning {
		if st.StartedAt == nil {
			t := metav1.NewTime(now)
			if pod.Status.StartTime != nil {
				t = *pod.Status.StartTime
			}
			st.StartedAt = &t
		}
		conditions.Summarize(&st.Conditions, gen, conditions.Ready, ecsv1alpha1.ReasonTaskRunning, "The task is RUNNING")
		return state.Recheck
	}
	return shortest(state.Recheck, setPending(task, pod, now))
}

// setContainers copies the containers' observed state into the status.
func setContainers(task *ecsv1alpha1.Task, state taskstate.State) {
	taskID := names.TaskID(string(task.UID))
	byName := map[string]taskstate.Container{}
	for _, c := range state.Containers {
		byName[c.Info.Name] = c
	}
	for i := range task.Status.Containers {
		c := &task.Status.Containers[i]
		o, ok := byName[c.Name]
		if !ok {
			continue
		}
		c.LastStatus, c.HealthStatus = o.LastStatus, o.Health
		if o.ExitCode != nil {
			c.ExitCode = ptr.To(*o.ExitCode)
		}
		if o.Reason != "" {
			c.Reason = o.Reason
		}
		if o.Info.LogGroup != "" {
			c.LogGroup = o.Info.LogGroup
			c.LogStream = translate.LogStreamName(o.Info.LogStreamPrefix, c.Name, taskID)
		}
	}
}

// setPending reports a task on its way to RUNNING, or one the scheduler
// cannot place; it returns when to look again.
func setPending(task *ecsv1alpha1.Task, pod *corev1.Pod, now time.Time) time.Duration {
	st := &task.Status
	msg, wait := unplaced(pod, now)
	if msg != "" {
		conditions.Summarize(&st.Conditions, task.Generation, conditions.Progressing, ReasonPlacementFailed,
			fmt.Sprintf("The task is %s: unable to place the task because no container instance met all of its requirements. Reason: %s", st.LastStatus, msg))
		return 0
	}
	conditions.Summarize(&st.Conditions, task.Generation, conditions.Progressing, ecsv1alpha1.ReasonTaskPending,
		fmt.Sprintf("The task is %s (pod %s is %s)", st.LastStatus, pod.Name, phaseOf(pod)))
	return wait
}

func phaseOf(pod *corev1.Pod) string {
	if pod.Status.Phase == "" {
		return string(corev1.PodPending)
	}
	return string(pod.Status.Phase)
}

func stop(task *ecsv1alpha1.Task, code ecsv1alpha1.TaskStopCode, reason string, now time.Time) {
	st := &task.Status
	st.LastStatus = ecsv1alpha1.TaskStopped
	st.DesiredStatus = ecsv1alpha1.TaskStopped
	if st.StopCode == "" {
		// The first reason wins: a task the user stopped stays
		// UserInitiated although its containers then exit.
		st.StopCode = code
		st.StoppedReason = reason
	}
	if st.StoppedAt == nil {
		t := metav1.NewTime(now)
		st.StoppedAt = &t
	}
	for i := range st.Containers {
		if st.Containers[i].LastStatus != ecsv1alpha1.TaskStopped {
			st.Containers[i].LastStatus = ecsv1alpha1.TaskStopped
		}
	}
	// STOPPED is final. As for a Job, kstatus, Flux and Argo CD must see
	// an end: Current (Ready) when the task did what it was for, Failed
	// (Stalled) when it failed; a new task is the only way on.
	msg := fmt.Sprintf("The task is STOPPED (%s: %s)", st.StopCode, st.StoppedReason)
	state := conditions.Ready
	if failed, detail := Failed(task); failed {
		state = conditions.Stalled
		if detail != "" {
			msg += "; " + detail
		}
	}
	conditions.Summarize(&st.Conditions, task.Generation, state, ecsv1alpha1.ReasonTaskStopped, msg)
	st.ObservedGeneration = task.Generation
}

// Failed tells whether a STOPPED task failed, with the detail its stop
// code and reason do not give. It did not when it ended as asked: stopped
// by the user (StopTask, UserInitiated), or with every essential container
// exited 0 (and at least one essential container). Anything else (a
// failed start, a non-zero or unknown exit code, a Spot interruption) is a
// failure.
func Failed(task *ecsv1alpha1.Task) (bool, string) {
	st := &task.Status
	switch st.StopCode {
	case ecsv1alpha1.StopCodeUserInitiated:
		return false, ""
	case ecsv1alpha1.StopCodeEssentialContainerExited:
	default:
		return true, ""
	}
	essential := 0
	for _, c := range st.Containers {
		if !ptr.Deref(c.Essential, true) {
			continue
		}
		essential++
		if c.ExitCode == nil {
			return true, fmt.Sprintf("essential container %s exit code: none", c.Name)
		}
		if *c.ExitCode != 0 {
			return true, fmt.Sprintf("essential container %s exit code: %d", c.Name, *c.ExitCode)
		}
	}
	if essential == 0 {
		return true, "no essential container"
	}
	return false, ""
}

// stopWithoutPod: the pod is gone. The task is STOPPED: as the user asked
// (StopTask), or because someone or something deleted the pod.
func stopWithoutPod(task *ecsv1alpha1.Task, now time.Time) {
	if task.Status.StopCode != "" {
		stop(task, task.Status.StopCode, task.Status.StoppedReason, now)
		return
	}
	stop(task, ecsv1alpha1.StopCodeUserInitiated, "Task stopped: its pod was deleted", now)
}

// DefaultStopReason is ECS's stoppedReason of a StopTask without a reason.
const DefaultStopReason = "Task stopped by user"

// setStopping records a StopTask: the task is stopping (DEACTIVATING, then
// STOPPING while the containers get their stopTimeout).
func setStopping(task *ecsv1alpha1.Task, now time.Time) {
	st := &task.Status
	if st.StopCode == "" {
		st.StopCode = ecsv1alpha1.StopCodeUserInitiated
		st.StoppedReason = task.Spec.StopReason
		if st.StoppedReason == "" {
			st.StoppedReason = DefaultStopReason
		}
	}
	st.DesiredStatus = ecsv1alpha1.TaskStopped
	if st.LastStatus != ecsv1alpha1.TaskStopped {
		st.LastStatus = ecsv1alpha1.TaskStopping
	}
	if st.StoppingAt == nil {
		t := metav1.NewTime(now)
		st.StoppingAt = &t
	}
}

// ReasonPlacementFailed: no node meets the task's requirements (yet).
const ReasonPlacementFailed = "PlacementFailed"

// placementGrace is how long a task may wait for the scheduler (and for
// capacity being provisioned, such as a Fargate node) before it is
// reported as impossible to place.
const placementGrace = 10 * time.Second

// unplaced is the scheduler's reason when it has not been able to place
// the task's pod for placementGrace, or how long until it may be.
func unplaced(pod *corev1.Pod, now time.Time) (string, time.Duration) {
	if pod.Spec.NodeName != "" {
		return "", 0
	}
	c := taskstate.Unschedulable(pod)
	if c == nil {
		return "", 0
	}
	if wait := c.LastTransitionTime.Add(placementGrace).Sub(now); wait > 0 {
		return "", wait
	}
	return strings.TrimSpace(c.Message), 0
}
