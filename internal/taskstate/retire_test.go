package taskstate

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/translate"
)

// Retire takes a service task out of its service and keeps what ECS shows
// of its stop; the helpers read it back.
func TestRetire(t *testing.T) {
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	rs := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-abc", UID: "rs", Controller: ptr.To(true)}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-abc-1",
		Labels:          map[string]string{ecsv1alpha1.LabelService: "web", ecsv1alpha1.LabelCluster: "default"},
		OwnerReferences: []metav1.OwnerReference{rs}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	if Retired(pod) || Stopping(pod) || ServiceOf(pod) != "web" {
		t.Fatalf("a running task: retired %v, stopping %v, service %q", Retired(pod), Stopping(pod), ServiceOf(pod))
	}
	svc := metav1.OwnerReference{APIVersion: "ecs.berth.dev/v1alpha1", Kind: "Service", Name: "web", UID: "svc", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
	st := &State{Containers: []Container{{Info: translate.ContainerInfo{Name: "app", Essential: true}, ExitCode: ptr.To[int32](3)}, {Info: translate.ContainerInfo{Name: "envoy", Essential: true}}}}
	out := Retire(pod, svc, st, Verdict{Stop: true, StopCode: ecsv1alpha1.StopCodeEssentialContainerExited, Reason: "Essential container in task exited"}, now)

	if pod.Labels[ecsv1alpha1.LabelService] != "web" || len(pod.OwnerReferences) != 1 || pod.OwnerReferences[0].UID != "rs" {
		t.Errorf("Retire changed its input: %v %v", pod.Labels, pod.OwnerReferences)
	}
	if !Retired(out) || !Stopping(out) || ServiceOf(out) != "web" || out.Labels[ecsv1alpha1.LabelService] != "" {
		t.Errorf("retired: labels %v", out.Labels)
	}
	if len(out.OwnerReferences) != 1 || out.OwnerReferences[0].UID != "svc" || out.OwnerReferences[0].Controller != nil || out.OwnerReferences[0].BlockOwnerDeletion != nil {
		t.Errorf("owners %+v: want the Service alone, not as controller", out.OwnerReferences)
	}
	if !RetiredFrom(out, "svc") || RetiredFrom(out, "another-service-of-that-name") || RetiredFrom(pod, "svc") {
		t.Error("RetiredFrom does not tell the Service by UID")
	}
	if at, ok := StoppedAt(out); !ok || !at.Equal(now) {
		t.Errorf("StoppedAt = %v, %v; want %v", at, ok, now)
	}
	if codes := KeptExitCodes(out); len(codes) != 1 || codes["app"] != 3 {
		t.Errorf("KeptExitCodes = %v; want app 3 only", codes)
	}
	if d := out.Spec.ActiveDeadlineSeconds; d == nil || *d != 1 {
		t.Errorf("deadline %v; want 1 s", d)
	}

	// A finished pod gets no deadline (its containers have stopped); a
	// code recorded before (a Spot interruption) stays.
	done := pod.DeepCopy()
	done.Status.Phase = corev1.PodFailed
	done.Annotations = map[string]string{ecsv1alpha1.AnnotationStopCode: string(ecsv1alpha1.StopCodeSpotInterruption)}
	out = Retire(done, svc, nil, Verdict{Stop: true, StopCode: ecsv1alpha1.StopCodeEssentialContainerExited}, now)
	if out.Spec.ActiveDeadlineSeconds != nil || out.Annotations[ecsv1alpha1.AnnotationStopCode] != string(ecsv1alpha1.StopCodeSpotInterruption) || KeptExitCodes(out) != nil {
		t.Errorf("finished: deadline %v, annotations %v", out.Spec.ActiveDeadlineSeconds, out.Annotations)
	}
}
