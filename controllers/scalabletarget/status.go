package scalabletarget

import (
	"fmt"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/compat"
	"github.com/berth-dev/berth/internal/conditions"
)

// problem is why a target cannot act on its service.
type problem struct {
	reason, message string
	// stalled: the user must change something; otherwise Berth waits for
	// the Service to appear.
	stalled bool
}

// maxMessage bounds a condition message.
const maxMessage = 1024

func setUnknown(st *ecsv1alpha1.ScalableTarget, err error) {
	conditions.SetUnknown(&st.Status.Conditions, st.Generation, ecsv1alpha1.ConditionReady, ecsv1alpha1.ReasonInternalError, truncate(err.Error()))
}

func setProblem(st *ecsv1alpha1.ScalableTarget, p *problem) {
	st.Status.ObservedGeneration = st.Generation
	if !p.stalled {
		conditions.Waiting(&st.Status.Conditions, st.Generation, truncate(p.message))
		return
	}
	conditions.Summarize(&st.Status.Conditions, st.Generation, conditions.Stalled, p.reason, truncate(p.message))
}

// setSupported reports the members of the spec Berth approximates or does
// not support (status.fieldNotes and the FullySupported condition), so that
// none is dropped silently: a function of the spec alone, set before any
// status write. It does not affect Ready. status.notes, which listed the
// approximations before fieldNotes, is no longer written: cleared.
func setSupported(st *ecsv1alpha1.ScalableTarget) {
	notes := compat.Bound(compat.ScalableTargetNotes(&st.Spec))
	st.Status.FieldNotes = notes
	st.Status.Notes = nil
	compat.SetCondition(&st.Status.Conditions, st.Generation, notes, "scalable target", "docs/compatibility/register-scalable-target.md")
}

// setStatus computes the target's status after a reconcile: the range and
// desired count, and the conditions.
func setStatus(s *scope) {
	st := s.st
	st.Status.ObservedGeneration = st.Generation
	st.Status.DesiredCount = ptrTo(s.desired)
	state, reason, msg := summary(s)
	conditions.Summarize(&st.Status.Conditions, st.Generation, state, reason, truncate(msg))
}

func summary(s *scope) (conditions.State, string, string) {
	if len(s.invalid) > 0 {
		return conditions.Stalled, ecsv1alpha1.ReasonInvalidParameter, s.invalid.ToAggregate().Error()
	}
	if s.hpa != nil {
		for _, t := range []autoscalingv2.HorizontalPodAutoscalerConditionType{autoscalingv2.AbleToScale, autoscalingv2.ScalingActive} {
			for _, c := range s.hpa.Status.Conditions {
				if c.Type == t && c.Status == corev1.ConditionFalse {
					return conditions.Progressing, ecsv1alpha1.ReasonScalingInactive,
						withBlocked(s, fmt.Sprintf("HorizontalPodAutoscaler %s: %s: %s", s.hpa.Name, c.Reason, c.Message))
				}
			}
		}
	}
	if s.metricsErr != nil {
		return conditions.Progressing, ecsv1alpha1.ReasonScalingInactive, withBlocked(s, "step scaling alarms have no data: "+s.metricsErr.Error())
	}
	return conditions.Ready, ecsv1alpha1.ReasonSucceeded, withBlocked(s, describe(s))
}

// withBlocked adds to a message why dynamic scaling is held back.
func withBlocked(s *scope, msg string) string {
	parts := []string{msg}
	in, out := blocked(s.st, s.svc)
	for _, b := range []string{out, in} {
		if b != "" {
			parts = append(parts, b)
		}
	}
	if s.st.Spec.SuspendedState != nil && s.st.Spec.SuspendedState.ScheduledScalingSuspended {
		parts = append(parts, "scheduled scaling is suspended")
	}
	return strings.Join(parts, "; ")
}

// describe summarises a target in force.
func describe(s *scope) string {
	st := s.st
	tt, step := 0, 0
	for _, p := range st.Spec.ScalingPolicies {
		switch p.PolicyType {
		case ecsv1alpha1.PolicyTypeTargetTracking:
			tt++
		case ecsv1alpha1.PolicyTypeStep:
			step++
		}
	}
	parts := []string{fmt.Sprintf("%s scales between %d and %d tasks (desired %d)", st.Spec.ResourceID, s.rng.Min, s.rng.Max, s.desired)}
	if tt > 0 {
		parts = append(parts, fmt.Sprintf("%d target tracking %s (HorizontalPodAutoscaler %s)", tt, plural(tt, "policy", "policies"), st.Name))
	}
	if step > 0 {
		parts = append(parts, fmt.Sprintf("%d step scaling %s", step, plural(step, "policy", "policies")))
	}
	if n := len(st.Spec.ScheduledActions); n > 0 {
		parts = append(parts, fmt.Sprintf("%d scheduled %s", n, plural(n, "action", "actions")))
	}
	return strings.Join(parts, "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func truncate(s string) string {
	if len(s) > maxMessage {
		return s[:maxMessage-3] + "..."
	}
	return s
}
