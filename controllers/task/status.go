package task

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/resolve"
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
	conditions.Summarize(&task.Status.Conditions, gen, conditions.Stalled, p.Reason, p.Message)
	task.Status.ObservedGeneration = gen
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

// observe derives the task's status from its pod.
func observe(task *ecsv1alpha1.Task, pod *corev1.Pod, now time.Time) {
	st := &task.Status
	byName := map[string]corev1.ContainerStatus{}
	for _, cs := range pod.Status.ContainerStatuses {
		byName[cs.Name] = cs
	}
	essentialExited := false
	for i := range st.Containers {
		c := &st.Containers[i]
		cs, ok := byName[names.Container(c.Name)]
		if !ok {
			continue
		}
		switch {
		case cs.State.Terminated != nil:
			c.LastStatus = ecsv1alpha1.TaskStopped
			c.ExitCode = ptr.To(cs.State.Terminated.ExitCode)
			c.Reason = cs.State.Terminated.Reason
			if ptr.Deref(c.Essential, true) {
				essentialExited = true
			}
		case cs.State.Running != nil:
			c.LastStatus = ecsv1alpha1.TaskRunning
		case cs.State.Waiting != nil:
			c.LastStatus = ecsv1alpha1.TaskPending
			c.Reason = cs.State.Waiting.Reason
		}
	}
	gen := task.Generation
	switch {
	case essentialExited || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		stop(task, ecsv1alpha1.StopCodeEssentialContainerExited, StoppedReasonEssentialExited, now)
	case pod.Status.Phase == corev1.PodRunning && allStarted(st.Containers):
		st.LastStatus = ecsv1alpha1.TaskRunning
		if st.StartedAt == nil {
			t := metav1.NewTime(now)
			if pod.Status.StartTime != nil {
				t = *pod.Status.StartTime
			}
			st.StartedAt = &t
		}
		conditions.Summarize(&st.Conditions, gen, conditions.Ready, ecsv1alpha1.ReasonTaskRunning, "The task is RUNNING")
	default:
		st.LastStatus = ecsv1alpha1.TaskPending
		conditions.Summarize(&st.Conditions, gen, conditions.Progressing, ecsv1alpha1.ReasonTaskPending,
			fmt.Sprintf("The task is PENDING (pod %s is %s)", pod.Name, phaseOf(pod)))
	}
	st.ObservedGeneration = gen
}

func phaseOf(pod *corev1.Pod) string {
	if pod.Status.Phase == "" {
		return string(corev1.PodPending)
	}
	return string(pod.Status.Phase)
}

func allStarted(cs []ecsv1alpha1.ContainerStatus) bool {
	for _, c := range cs {
		if c.LastStatus != ecsv1alpha1.TaskRunning && c.LastStatus != ecsv1alpha1.TaskStopped {
			return false
		}
	}
	return true
}

func stop(task *ecsv1alpha1.Task, code ecsv1alpha1.TaskStopCode, reason string, now time.Time) {
	st := &task.Status
	st.LastStatus = ecsv1alpha1.TaskStopped
	st.DesiredStatus = ecsv1alpha1.TaskStopped
	st.StopCode = code
	st.StoppedReason = reason
	if st.StoppedAt == nil {
		t := metav1.NewTime(now)
		st.StoppedAt = &t
	}
	for i := range st.Containers {
		if st.Containers[i].LastStatus != ecsv1alpha1.TaskStopped {
			st.Containers[i].LastStatus = ecsv1alpha1.TaskStopped
		}
	}
	conditions.Summarize(&st.Conditions, task.Generation, conditions.Finished, ecsv1alpha1.ReasonTaskStopped,
		fmt.Sprintf("The task is STOPPED (%s: %s)", code, reason))
	st.ObservedGeneration = task.Generation
}

// stopWithoutPod: the pod is gone (deleted by someone, evicted): the task
// is STOPPED.
func stopWithoutPod(task *ecsv1alpha1.Task, now time.Time) {
	stop(task, ecsv1alpha1.StopCodeUserInitiated, "Task stopped: its pod was deleted", now)
}
