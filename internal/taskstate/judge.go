package taskstate

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Verdict is why ECS's service scheduler stops a task, or not.
type Verdict struct {
	// Stop is true when the task must be stopped and replaced.
	Stop bool
	// StopCode and Reason are ECS's stopCode and stoppedReason.
	StopCode ecsv1alpha1.TaskStopCode
	Reason   string
	// Recheck is when to look again when time alone can change it.
	Recheck time.Duration
}

// Judge decides, purely, whether ECS's service scheduler would stop the
// task a pod runs: it failed to start (an image that cannot be pulled, a
// secret that cannot be read), its pod failed, an essential container
// exited, or an essential container failed its health checks after grace
// (the Service's healthCheckGracePeriodSeconds) since the task started.
func Judge(pod *corev1.Pod, grace time.Duration, now time.Time) (Verdict, error) {
	st, err := Read(pod, now)
	if err != nil {
		return Verdict{}, err
	}
	return Decide(pod, st, grace, now), nil
}

// Read observes a pod's task once, reading its containers from the pod's
// annotation; nil when the pod carries none.
func Read(pod *corev1.Pod, now time.Time) (*State, error) {
	infos, err := Infos(pod)
	if err != nil || infos == nil {
		return nil, err
	}
	st := Observe(pod, infos, now)
	return &st, nil
}

// Decide is Judge on a task already observed (st from Read, maybe nil).
func Decide(pod *corev1.Pod, st *State, grace time.Duration, now time.Time) Verdict {
	if pod.Status.Phase == corev1.PodFailed {
		reason := "Task failed"
		if pod.Status.Reason != "" {
			reason = fmt.Sprintf("Task failed: %s", pod.Status.Reason)
		}
		return Verdict{Stop: true, StopCode: ecsv1alpha1.StopCodeEssentialContainerExited, Reason: reason}
	}
	if st == nil {
		return Verdict{}
	}
	switch {
	case st.StartFailure != "":
		return Verdict{Stop: true, StopCode: ecsv1alpha1.StopCodeTaskFailedToStart, Reason: st.StartFailure}
	case st.EssentialExited != nil:
		c := st.EssentialExited
		reason := "Essential container in task exited"
		if c.ExitCode != nil {
			reason = fmt.Sprintf("Essential container in task exited (container %s, exit code %d)", c.Info.Name, *c.ExitCode)
		}
		return Verdict{Stop: true, StopCode: ecsv1alpha1.StopCodeEssentialContainerExited, Reason: reason}
	case st.Unhealthy != nil && pod.Status.StartTime != nil && now.Before(pod.Status.StartTime.Add(grace)):
		return Verdict{Recheck: pod.Status.StartTime.Add(grace).Sub(now)}
	case st.Unhealthy != nil:
		return Verdict{Stop: true, StopCode: ecsv1alpha1.StopCodeServiceSchedulerInitiated,
			Reason: fmt.Sprintf("Task failed container health checks (container %s)", st.Unhealthy.Info.Name)}
	}
	return Verdict{Recheck: st.Recheck}
}

// Running tells whether a task (st from Read, maybe nil) is RUNNING:
// every essential container started; without the containers annotation,
// when its pod runs.
func Running(pod *corev1.Pod, st *State) bool {
	if st == nil {
		return pod.Status.Phase == corev1.PodRunning && pod.DeletionTimestamp.IsZero()
	}
	return st.LastStatus == ecsv1alpha1.TaskRunning
}
