package taskdefinition

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/podsecurity"
	"github.com/berth-dev/berth/internal/translate"
	"github.com/berth-dev/berth/internal/watch"
)

// Pod Security: every spec's pods are evaluated with Kubernetes's Pod
// Security admission checks. status.podSecurity records the level they
// meet, and a spec whose pods the namespace's enforced level would forbid
// is not registered (Stalled, PodSecurityViolation), instead of failing
// pod by pod once a Service or Task runs it (docs/podsecurity.md).

// +kubebuilder:rbac:groups=core,resources=namespaces,verbs=get;list;watch

// ReasonPodSecurityViolation: the namespace's enforced Pod Security level
// forbids the spec's pods.
const ReasonPodSecurityViolation = ecsv1alpha1.ReasonPodSecurityViolation

// taskPod is a pod of the current spec, as a Service's is translated (on
// default capacity, as the fidelity report is: the placement changes no
// field Pod Security reads); nil when the spec does not translate.
type taskPod struct {
	meta *metav1.ObjectMeta
	spec *corev1.PodSpec
}

func translatePod(td *ecsv1alpha1.TaskDefinition, f translate.Features) *taskPod {
	pt, err := translate.TranslatePodWith(&td.Spec.RegisterTaskDefinitionInput, translate.Placement{}, translate.ServiceTask, f)
	if err != nil {
		return nil // the fidelity report refuses the spec with the reason
	}
	podMeta, spec, err := podsecurity.Pod(pt.Annotations, pt.Spec)
	if err != nil {
		return nil
	}
	return &taskPod{meta: podMeta, spec: spec}
}

// setPodSecurity records the level the pods of the current spec meet
// (none when there are no pods).
func setPodSecurity(td *ecsv1alpha1.TaskDefinition, pod *taskPod) {
	if pod == nil {
		td.Status.PodSecurity = nil
		return
	}
	res := podsecurity.Evaluate(pod.meta, pod.spec)
	ps := &ecsv1alpha1.PodSecurity{Level: ecsv1alpha1.PodSecurityLevel(res.Level)}
	for _, r := range res.Reasons {
		if len(ps.Reasons) == 32 {
			break
		}
		ps.Reasons = append(ps.Reasons, truncate(r, 2048))
	}
	td.Status.PodSecurity = ps
}

// podSecurityViolation is why the namespace's enforced Pod Security level
// forbids the pods, in Pod Security admission's words; "" when it does not.
func podSecurityViolation(ns string, labels map[string]string, pod *taskPod) string {
	if pod == nil {
		return ""
	}
	lv, labelErr := podsecurity.Enforced(labels)
	if lv.Level == api.LevelPrivileged {
		return ""
	}
	v := podsecurity.Violation(lv, pod.meta, pod.spec)
	if v == "" {
		return ""
	}
	msg := fmt.Sprintf("pods of this task definition would be forbidden in namespace %s: %s", ns, v)
	if labelErr != nil {
		msg += fmt.Sprintf(" (the namespace's labels cannot be read: %v; Pod Security admission enforces %s in their place)", labelErr, lv)
	}
	return msg + fmt.Sprintf("; not registered: change the task definition, or the namespace's %s label", api.EnforceLevelLabel)
}

// refusedByPodSecurity tells whether the namespace's enforced level forbids
// the pods of the spec about to be registered; if so the TaskDefinition is
// Stalled with the reason. The namespace's labels are read from a
// metadata-only cache.
func (r *Reconciler) refusedByPodSecurity(ctx context.Context, td *ecsv1alpha1.TaskDefinition, pod *taskPod) (bool, error) {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := r.Client.Get(ctx, client.ObjectKey{Name: td.Namespace}, ns); err != nil {
		return false, fmt.Errorf("get Namespace %s: %w", td.Namespace, err)
	}
	msg := podSecurityViolation(td.Namespace, ns.Labels, pod)
	if msg == "" {
		return false, nil
	}
	if prev := meta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ConditionStalled); prev == nil ||
		prev.Reason != ReasonPodSecurityViolation || prev.Message != msg {
		r.Recorder.Eventf(td, nil, corev1.EventTypeWarning, ReasonPodSecurityViolation, "Register", "%s", msg)
	}
	setStalled(td, ReasonPodSecurityViolation, msg)
	return true, nil
}

// registerIfAdmitted registers revision n unless the namespace's enforced
// Pod Security level forbids its pods: then it returns nil, and the
// TaskDefinition is Stalled with the reason.
func (r *Reconciler) registerIfAdmitted(ctx context.Context, td *ecsv1alpha1.TaskDefinition, n int32, hash string, pod *taskPod) (*ecsv1alpha1.TaskDefinitionRevision, error) {
	if refused, err := r.refusedByPodSecurity(ctx, td, pod); err != nil || refused {
		return nil, err
	}
	return r.register(ctx, td, n, hash)
}

// inNamespace wakes the TaskDefinitions of a namespace whose enforced Pod
// Security level changed: one refused may register now.
func (r *Reconciler) inNamespace(ctx context.Context, o client.Object) []ctrl.Request {
	var list ecsv1alpha1.TaskDefinitionList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetName())); err != nil {
		return nil
	}
	return watch.Requests(list.Items, nil)
}

// enforceChanged passes namespace updates that change the enforce or
// enforce-version label. A namespace's creation concerns no
// TaskDefinition yet, and its deletion deletes them.
func enforceChanged() predicate.Funcs {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			if e.ObjectOld == nil || e.ObjectNew == nil {
				return false
			}
			old, cur := e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels()
			for _, k := range []string{api.EnforceLevelLabel, api.EnforceVersionLabel} {
				o, hadOld := old[k]
				n, hasNew := cur[k]
				if o != n || hadOld != hasNew {
					return true
				}
			}
			return false
		},
	}
}
