package taskstate

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const containersAnnotation = `{"app":{"name":"app","essential":true,"healthCheck":true,"interval":5,"retries":2},"log":{"name":"log","essential":false},"envoy":{"name":"envoy","essential":true}}`

func servicePod(app, log corev1.ContainerState, appReady bool, envoy corev1.ContainerStatus) *corev1.Pod {
	started := metav1.NewTime(now.Add(-time.Minute))
	envoy.Name = "envoy"
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-abc", UID: "0000-1111", Annotations: map[string]string{ecsv1alpha1.AnnotationContainers: containersAnnotation},
			Labels: map[string]string{ecsv1alpha1.LabelService: "web"}},
		Spec: corev1.PodSpec{NodeName: "n", InitContainers: []corev1.Container{{Name: "envoy", RestartPolicy: ptrPolicy(corev1.ContainerRestartPolicyAlways)}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &started,
			InitContainerStatuses: []corev1.ContainerStatus{envoy},
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "app", State: app, Ready: appReady}, {Name: "log", State: log, Ready: true},
			}},
	}
}

func ptrPolicy(p corev1.ContainerRestartPolicy) *corev1.ContainerRestartPolicy { return &p }

func running(ago time.Duration) corev1.ContainerState {
	return corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now.Add(-ago))}}
}

func exited(code int32) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}
}

func TestJudge(t *testing.T) {
	healthyEnvoy := corev1.ContainerStatus{State: running(time.Minute), Ready: true, Started: new(true)}
	cases := []struct {
		name    string
		pod     *corev1.Pod
		grace   time.Duration
		stop    bool
		code    ecsv1alpha1.TaskStopCode
		reason  string
		recheck time.Duration
	}{
		{name: "healthy", pod: servicePod(running(time.Minute), running(time.Minute), true, healthyEnvoy)},
		{name: "non-essential exit is left alone", pod: servicePod(running(time.Minute), exited(1), true, healthyEnvoy)},
		{name: "essential exit", pod: servicePod(exited(2), running(time.Minute), false, healthyEnvoy), stop: true,
			code: ecsv1alpha1.StopCodeEssentialContainerExited, reason: "Essential container in task exited (container app, exit code 2)"},
		{name: "essential sidecar restarted by the kubelet", pod: servicePod(running(time.Minute), running(time.Minute), true, corev1.ContainerStatus{
			State: running(time.Second), RestartCount: 1, LastTerminationState: exited(137)}), stop: true,
			code: ecsv1alpha1.StopCodeEssentialContainerExited, reason: "Essential container in task exited (container envoy, exit code 137)"},
		{name: "not ready within interval × retries: not yet", pod: servicePod(running(4*time.Second), running(time.Minute), false, healthyEnvoy),
			recheck: 6 * time.Second},
		{name: "unhealthy", pod: servicePod(running(time.Minute), running(time.Minute), false, healthyEnvoy), stop: true,
			code: ecsv1alpha1.StopCodeServiceSchedulerInitiated, reason: "Task failed container health checks (container app)"},
		{name: "image that cannot be pulled", pod: servicePod(corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "not found"}},
			running(time.Minute), false, healthyEnvoy), stop: true,
			code: ecsv1alpha1.StopCodeTaskFailedToStart, reason: `CannotPullContainerError: pull image "": not found`},
		{name: "failed pod", pod: func() *corev1.Pod {
			p := servicePod(running(time.Minute), running(time.Minute), true, healthyEnvoy)
			p.Status.Phase, p.Status.Reason = corev1.PodFailed, "Evicted"
			return p
		}(), stop: true, code: ecsv1alpha1.StopCodeEssentialContainerExited, reason: "Task failed: Evicted"},
		{name: "unhealthy within the grace period", pod: servicePod(running(time.Minute), running(time.Minute), false, healthyEnvoy),
			grace: 90 * time.Second, recheck: 30 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Judge(c.pod, c.grace, now)
			if err != nil {
				t.Fatal(err)
			}
			if v.Stop != c.stop || v.StopCode != c.code || v.Reason != c.reason || v.Recheck != c.recheck {
				t.Errorf("Judge = %+v, want stop %v %s %q recheck %v", v, c.stop, c.code, c.reason, c.recheck)
			}
		})
	}
}
