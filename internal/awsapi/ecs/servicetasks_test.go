package ecs

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
)

// A task the scheduler stopped and Berth keeps is STOPPING while its
// containers stop, then STOPPED at the last container's end, with the
// stop's code and reason and the exit code that stopped it (not the
// SIGTERM of the stop).
func TestStoppedServiceTask(t *testing.T) {
	at := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Labels: map[string]string{ecsv1alpha1.LabelStoppedService: "web"},
		Annotations: map[string]string{
			ecsv1alpha1.AnnotationStopCode:      string(ecsv1alpha1.StopCodeEssentialContainerExited),
			ecsv1alpha1.AnnotationStoppedReason: "Essential container in task exited (container app, exit code 3)",
			ecsv1alpha1.AnnotationStoppedAt:     at.Format(time.RFC3339),
			ecsv1alpha1.AnnotationExitCodes:     `{"app":3}`,
		}}}
	containers := func() []ecswire.Container {
		return []ecswire.Container{{Name: "app", LastStatus: "RUNNING"}, {Name: "envoy", LastStatus: "RUNNING"}}
	}

	stopping := ecswire.Task{Containers: containers()}
	stopped(&stopping, pod)
	if stopping.LastStatus != "STOPPING" || stopping.DesiredStatus != "STOPPED" || stopping.StoppedAt != nil {
		t.Errorf("stopping: lastStatus %s, desiredStatus %s, stoppedAt %v; want STOPPING, STOPPED, none", stopping.LastStatus, stopping.DesiredStatus, stopping.StoppedAt)
	}
	if stopping.StopCode != ecswire.TaskStopCode(ecsv1alpha1.StopCodeEssentialContainerExited) || stopping.StoppedReason == "" {
		t.Errorf("stop code %q reason %q", stopping.StopCode, stopping.StoppedReason)
	}

	end := at.Add(2 * time.Second)
	pod.Status.Phase = corev1.PodFailed
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{
		{Name: "app", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, FinishedAt: metav1.NewTime(at)}}},
		{Name: "envoy", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 143, FinishedAt: metav1.NewTime(end)}}},
	}
	done := ecswire.Task{Containers: containers()}
	stopped(&done, pod)
	if done.LastStatus != "STOPPED" || done.StoppedAt == nil || !done.StoppedAt.Equal(end) {
		t.Errorf("stopped: lastStatus %s, stoppedAt %v; want STOPPED at %v", done.LastStatus, done.StoppedAt, end)
	}
	if c := done.Containers[0]; c.ExitCode == nil || *c.ExitCode != 3 || c.LastStatus != "STOPPED" {
		t.Errorf("app: %+v; want STOPPED with exit code 3", c)
	}
	if c := done.Containers[1]; c.ExitCode != nil || c.LastStatus != "STOPPED" {
		t.Errorf("envoy: %+v; want STOPPED, its exit code left to the pod's status", c)
	}
}
