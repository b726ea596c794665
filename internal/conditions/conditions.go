// Package conditions sets kstatus-compatible conditions: a Ready summary,
// Reconciling and Stalled present only while True, and domain conditions,
// each stamped with the generation it was computed from.
package conditions

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Set sets one condition. LastTransitionTime moves only when the status flips.
func Set(conds *[]metav1.Condition, gen int64, condType string, status bool, reason, message string) {
	s := metav1.ConditionFalse
	if status {
		s = metav1.ConditionTrue
	}
	meta.SetStatusCondition(conds, metav1.Condition{Type: condType, Status: s, Reason: reason, Message: message, ObservedGeneration: gen})
}

// SetUnknown sets a condition to Unknown: an input could not be read.
func SetUnknown(conds *[]metav1.Condition, gen int64, condType, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{Type: condType, Status: metav1.ConditionUnknown, Reason: reason, Message: message, ObservedGeneration: gen})
}

// State is the kstatus summary of an object.
type State int

// Summary states.
const (
	// Ready: the object is what was asked for.
	Ready State = iota
	// Progressing: Berth is making progress (Reconciling=True).
	Progressing
	// Stalled: Berth cannot progress without a change (Stalled=True).
	Stalled
)

// Summarize sets Ready and the kstatus abnormal-true conditions.
func Summarize(conds *[]metav1.Condition, gen int64, state State, reason, message string) {
	Set(conds, gen, ecsv1alpha1.ConditionReady, state == Ready, reason, message) // False for every other state
	if state == Progressing {
		Set(conds, gen, ecsv1alpha1.ConditionReconciling, true, reason, message)
	} else {
		meta.RemoveStatusCondition(conds, ecsv1alpha1.ConditionReconciling)
	}
	if state == Stalled {
		Set(conds, gen, ecsv1alpha1.ConditionStalled, true, reason, message)
	} else {
		meta.RemoveStatusCondition(conds, ecsv1alpha1.ConditionStalled)
	}
}

// Waiting summarizes an object that waits for another that may still
// appear (a dependency): in progress (Ready=False, Reconciling=True with
// reason DependencyNotReady), never Stalled, since GitOps tools stop
// waiting on Stalled and objects applied together appear in any order.
func Waiting(conds *[]metav1.Condition, gen int64, message string) {
	Summarize(conds, gen, Progressing, ecsv1alpha1.ReasonDependencyNotReady, message)
}

// Backoff bounds how often an object waiting for a dependency looks again
// without an event (the dependency's own watch event is what normally
// wakes it): as long as it has waited already (cond's last transition),
// between MinBackoff and MaxBackoff.
func Backoff(cond *metav1.Condition, now time.Time) time.Duration {
	wait := MinBackoff
	if cond != nil {
		wait = max(now.Sub(cond.LastTransitionTime.Time), MinBackoff)
	}
	return min(wait, MaxBackoff)
}

// Bounds of Backoff.
const (
	MinBackoff = 5 * time.Second
	MaxBackoff = 5 * time.Minute
)

// IsTrue reports whether a condition is present and True.
func IsTrue(conds []metav1.Condition, condType string) bool {
	return meta.IsStatusConditionTrue(conds, condType)
}
