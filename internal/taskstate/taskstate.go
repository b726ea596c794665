// Package taskstate reads an ECS task's state from its pod, as ECS would
// report it: the lifecycle status, each container's status, exit code and
// health, whether an essential container exited, whether the task failed
// to start, and the task's health. It is pure: no client, and the time is
// given.
package taskstate

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/translate"
)

// Container is one container of the task.
type Container struct {
	// Pod is the Kubernetes container name, Info what the task
	// definition says of it.
	Pod  string
	Info translate.ContainerInfo
	// LastStatus is PENDING, RUNNING or STOPPED.
	LastStatus ecsv1alpha1.TaskStatusValue
	// ExitCode is set once the container stopped (or, for a sidecar the
	// kubelet restarted, its last exit).
	ExitCode *int32
	// Reason is why it is waiting or stopped.
	Reason string
	// Health is the container's healthStatus.
	Health ecsv1alpha1.HealthStatus
}

// State is the task as its pod shows it.
type State struct {
	// LastStatus is the task's lifecycle status (never STOPPED: stopping is
	// the caller's decision).
	LastStatus ecsv1alpha1.TaskStatusValue
	// Containers, by ECS name.
	Containers []Container
	// EssentialExited is the essential container that exited, if any.
	EssentialExited *Container
	// StartFailure is ECS's stoppedReason when the task cannot start
	// (CannotPullContainerError, ResourceInitializationError), or "".
	StartFailure string
	// Health is the task's healthStatus; Unhealthy the essential container
	// that makes it UNHEALTHY.
	Health    ecsv1alpha1.HealthStatus
	Unhealthy *Container
	// Recheck is how long until the health may change without the pod
	// changing (0: no need).
	Recheck time.Duration
}

// Infos reads what the task definition says of a pod's containers, from
// the annotation the translation wrote (nil when the pod has none).
func Infos(pod *corev1.Pod) (map[string]translate.ContainerInfo, error) {
	raw, ok := pod.Annotations[ecsv1alpha1.AnnotationContainers]
	if !ok {
		return nil, nil
	}
	infos, err := translate.DecodeContainers(raw)
	if err != nil {
		return nil, fmt.Errorf("pod %s: annotation %s: %w", pod.Name, ecsv1alpha1.AnnotationContainers, err)
	}
	return infos, nil
}

// Observe reads the state of a task from its pod at now; infos are the
// pod's containers as Infos returns them.
func Observe(pod *corev1.Pod, infos map[string]translate.ContainerInfo, now time.Time) State {
	statuses := map[string]corev1.ContainerStatus{}
	for _, cs := range pod.Status.InitContainerStatuses {
		statuses[cs.Name] = cs
	}
	for _, cs := range pod.Status.ContainerStatuses {
		statuses[cs.Name] = cs
	}
	st := State{Health: ecsv1alpha1.HealthUnknown}
	keys := make([]string, 0, len(infos))
	for k := range infos {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return infos[keys[i]].Name < infos[keys[j]].Name })
	allStarted := true
	for _, k := range keys {
		c := st.container(pod, k, infos[k], statuses, now)
		if c.LastStatus == ecsv1alpha1.TaskPending {
			allStarted = false
		}
		st.Containers = append(st.Containers, c)
	}
	st.Health = st.taskHealth()
	st.LastStatus = lifecycle(pod, allStarted)
	return st
}

// container reads one container, and notes a start failure, an essential
// exit or an unhealthy essential container.
func (st *State) container(pod *corev1.Pod, k string, info translate.ContainerInfo, statuses map[string]corev1.ContainerStatus, now time.Time) Container {
	c := Container{Pod: k, Info: info, LastStatus: ecsv1alpha1.TaskPending, Health: ecsv1alpha1.HealthUnknown}
	cs, seen := statuses[k]
	if !seen {
		return c
	}
	readContainer(&c, cs, isSidecar(pod, k))
	if msg := startFailure(cs); msg != "" && st.StartFailure == "" {
		st.StartFailure = msg
	}
	if info.HealthCheck && cs.State.Running != nil {
		c.Health, st.Recheck = health(info, cs, now, st.Recheck)
	}
	if !info.Essential {
		return c
	}
	if c.LastStatus == ecsv1alpha1.TaskStopped && st.EssentialExited == nil {
		cc := c
		st.EssentialExited = &cc
	}
	if c.Health == ecsv1alpha1.HealthUnhealthy && st.Unhealthy == nil {
		cc := c
		st.Unhealthy = &cc
	}
	return c
}

// taskHealth: HEALTHY when every essential container with a health check
// is healthy, UNHEALTHY when one is not, UNKNOWN otherwise.
func (st *State) taskHealth() ecsv1alpha1.HealthStatus {
	if st.Unhealthy != nil {
		return ecsv1alpha1.HealthUnhealthy
	}
	checked := false
	for _, c := range st.Containers {
		if !c.Info.Essential || !c.Info.HealthCheck {
			continue
		}
		checked = true
		if c.Health != ecsv1alpha1.HealthHealthy {
			return ecsv1alpha1.HealthUnknown
		}
	}
	if checked {
		return ecsv1alpha1.HealthHealthy
	}
	return ecsv1alpha1.HealthUnknown
}

func isSidecar(pod *corev1.Pod, name string) bool {
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			return true
		}
	}
	return false
}

// readContainer: a sidecar the kubelet restarted after an exit counts as
// stopped for ECS (an essential one stops the task).
func readContainer(c *Container, cs corev1.ContainerStatus, sidecar bool) {
	switch {
	case cs.State.Terminated != nil:
		c.LastStatus = ecsv1alpha1.TaskStopped
		code := cs.State.Terminated.ExitCode
		c.ExitCode = &code
		c.Reason = cs.State.Terminated.Reason
	case sidecar && cs.RestartCount > 0 && cs.LastTerminationState.Terminated != nil:
		c.LastStatus = ecsv1alpha1.TaskStopped
		code := cs.LastTerminationState.Terminated.ExitCode
		c.ExitCode = &code
		c.Reason = cs.LastTerminationState.Terminated.Reason
	case cs.State.Running != nil:
		c.LastStatus = ecsv1alpha1.TaskRunning
	case cs.State.Waiting != nil:
		c.Reason = cs.State.Waiting.Reason
	}
}

// startFailure words a container that cannot start as ECS's stoppedReason.
func startFailure(cs corev1.ContainerStatus) string {
	w := cs.State.Waiting
	if w == nil {
		return ""
	}
	switch w.Reason {
	case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull":
		return fmt.Sprintf("CannotPullContainerError: pull image %q: %s", cs.Image, w.Message)
	case "CreateContainerConfigError":
		// A missing Secret or ConfigMap (secrets, environmentFiles).
		return "ResourceInitializationError: unable to pull secrets or registry auth: " + w.Message
	}
	return ""
}

// health is ECS's container health from the readiness probe the health
// check became: ready is HEALTHY; not ready is UNHEALTHY once the start
// period and retries × interval have passed since the container started
// (the kubelet marks a container not ready only after retries failures),
// and UNKNOWN before.
func health(info translate.ContainerInfo, cs corev1.ContainerStatus, now time.Time, recheck time.Duration) (ecsv1alpha1.HealthStatus, time.Duration) {
	if cs.Ready {
		return ecsv1alpha1.HealthHealthy, recheck
	}
	started := cs.State.Running.StartedAt.Time
	grace := time.Duration(info.StartPeriod+max(info.Interval, 1)*max(info.Retries, 1)) * time.Second
	if wait := started.Add(grace).Sub(now); wait > 0 {
		if recheck == 0 || wait < recheck {
			recheck = wait
		}
		return ecsv1alpha1.HealthUnknown, recheck
	}
	return ecsv1alpha1.HealthUnhealthy, recheck
}

// lifecycle maps the pod onto ECS's task lifecycle.
func lifecycle(pod *corev1.Pod, allStarted bool) ecsv1alpha1.TaskStatusValue {
	switch {
	case !pod.DeletionTimestamp.IsZero():
		return ecsv1alpha1.TaskStopping
	case pod.Spec.NodeName == "" && !podScheduled(pod):
		return ecsv1alpha1.TaskProvisioning
	case pod.Status.Phase == corev1.PodRunning && allStarted:
		return ecsv1alpha1.TaskRunning
	case initializing(pod):
		return ecsv1alpha1.TaskActivating
	default:
		return ecsv1alpha1.TaskPending
	}
}

func podScheduled(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// initializing: some init container or sidecar is running (dependencies
// are starting), or the pod runs but not every container has started.
func initializing(pod *corev1.Pod) bool {
	for _, cs := range pod.Status.InitContainerStatuses {
		if cs.State.Running != nil {
			return true
		}
	}
	return pod.Status.Phase == corev1.PodRunning
}

// TaskID is the ECS task ID of a pod (its UID without dashes).
func TaskID(pod *corev1.Pod) string { return names.TaskID(string(pod.UID)) }

// Ready tells whether a pod is Ready (its task healthy).
func Ready(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Unschedulable is the condition of a pod the scheduler could not place
// (nil: none).
func Unschedulable(pod *corev1.Pod) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		c := &pod.Status.Conditions[i]
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return c
		}
	}
	return nil
}
