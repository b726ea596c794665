package taskstate

import (
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// A service task that ECS's scheduler stops stays visible for the
// stopped-task retention, its logs and exit codes with it: ECS keeps a
// stopped task about an hour and its awslogs streams for as long as the
// group keeps them. Berth keeps the pod instead of deleting it (its logs
// live on its node while it exists), taken out of its workload so that it
// no longer counts: Retire relabels it out of the ReplicaSet's (and the
// Kubernetes Services') selector, hands its ownership from the ReplicaSet
// to the ECS Service (whose deletion takes it), and stops its containers
// with the pod's own deadline (spec.activeDeadlineSeconds, which the
// kubelet enforces: SIGTERM, the grace period, then the pod is Failed).
// The ReplicaSet starts the replacement at once. docs/logs.md says why.

// Retired tells whether pod is a service task its scheduler stopped and
// Berth keeps.
func Retired(pod *corev1.Pod) bool {
	return pod.Labels[ecsv1alpha1.LabelStoppedService] != ""
}

// RetiredFrom tells whether pod is a task that the Service with uid
// stopped and keeps (a Service deleted and created again under the same
// name does not inherit the first one's stopped tasks).
func RetiredFrom(pod *corev1.Pod, uid types.UID) bool {
	if !Retired(pod) {
		return false
	}
	for _, o := range pod.OwnerReferences {
		if o.UID == uid {
			return true
		}
	}
	return false
}

// ServiceOf is the Service object's name of a service task, running or
// retired ("" for another pod).
func ServiceOf(pod *corev1.Pod) string {
	if s := pod.Labels[ecsv1alpha1.LabelService]; s != "" {
		return s
	}
	return pod.Labels[ecsv1alpha1.LabelStoppedService]
}

// StoppedAt is when Berth stopped a retired pod (false: not retired, or
// no time recorded).
func StoppedAt(pod *corev1.Pod) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, pod.Annotations[ecsv1alpha1.AnnotationStoppedAt])
	return t, err == nil && Retired(pod)
}

// KeptExitCodes are the exit codes a retired pod's containers had when it
// was stopped, by ECS container name (nil: none recorded). The kubelet's
// own afterwards are those of the stop (143 for SIGTERM): ECS reports the
// exit that stopped the task.
func KeptExitCodes(pod *corev1.Pod) map[string]int32 {
	raw := pod.Annotations[ecsv1alpha1.AnnotationExitCodes]
	if raw == "" {
		return nil
	}
	var codes map[string]int32
	if json.Unmarshal([]byte(raw), &codes) != nil {
		return nil
	}
	return codes
}

// Retire returns pod as a retired task of the Service owner: the labels,
// annotations (stop code and reason, when, exit codes), the ownership and
// the deadline changed; the caller patches it (with the pod's
// resourceVersion as a precondition). st is the pod's observed state (nil:
// none) for the exit codes.
func Retire(pod *corev1.Pod, owner metav1.OwnerReference, st *State, v Verdict, now time.Time) *corev1.Pod {
	out := pod.DeepCopy()
	svc := out.Labels[ecsv1alpha1.LabelService]
	delete(out.Labels, ecsv1alpha1.LabelService)
	out.Labels[ecsv1alpha1.LabelStoppedService] = svc
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	if out.Annotations[ecsv1alpha1.AnnotationStopCode] == "" {
		out.Annotations[ecsv1alpha1.AnnotationStopCode] = string(v.StopCode)
		out.Annotations[ecsv1alpha1.AnnotationStoppedReason] = v.Reason
	}
	out.Annotations[ecsv1alpha1.AnnotationStoppedAt] = now.UTC().Format(time.RFC3339)
	if st != nil {
		codes := map[string]int32{}
		for _, c := range st.Containers {
			if c.ExitCode != nil {
				codes[c.Info.Name] = *c.ExitCode
			}
		}
		if len(codes) > 0 {
			raw, _ := json.Marshal(codes) // sorted keys: deterministic
			out.Annotations[ecsv1alpha1.AnnotationExitCodes] = string(raw)
		}
	}
	// The ReplicaSet lets go of it (it would release it anyway once the
	// labels no longer match); the Service keeps it, not as its controller.
	owner.Controller, owner.BlockOwnerDeletion = nil, nil
	out.OwnerReferences = []metav1.OwnerReference{owner}
	if !Finished(out) && (out.Spec.ActiveDeadlineSeconds == nil || *out.Spec.ActiveDeadlineSeconds > 1) {
		// The kubelet may only shorten a deadline; 1 s after the start
		// has passed already: the containers stop now.
		out.Spec.ActiveDeadlineSeconds = ptr.To[int64](1)
	}
	return out
}

// Stopping tells whether the task a pod runs is being stopped or was:
// its pod is being deleted, retired, or has a deadline (Berth sets one to
// stop a task's containers and keep its pod). Such a task is not RUNNING,
// though its containers may run a while longer (their stop timeout).
func Stopping(pod *corev1.Pod) bool {
	return !pod.DeletionTimestamp.IsZero() || Retired(pod) || pod.Spec.ActiveDeadlineSeconds != nil
}

// Finished tells whether the pod's containers have all stopped for good.
func Finished(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}
