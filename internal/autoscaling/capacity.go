package autoscaling

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Range is the capacity range in force: scaling keeps desiredCount within
// [Min, Max].
type Range struct{ Min, Max int32 }

// Clamp returns n within the range.
func (r Range) Clamp(n int32) int32 {
	if n < r.Min {
		return r.Min
	}
	if n > r.Max {
		return r.Max
	}
	return n
}

// AtLimit explains why an adjustment left n unchanged.
func (r Range) AtLimit(n, adjustment int32) string {
	switch {
	case adjustment > 0 && n >= r.Max:
		return fmt.Sprintf("already at the maximum capacity (%d)", r.Max)
	case adjustment < 0 && n <= r.Min:
		return fmt.Sprintf("already at the minimum capacity (%d)", r.Min)
	}
	return fmt.Sprintf("already at the desired capacity (%d)", n)
}

// InForce returns the range in force: the spec's, unless a scheduled action
// set one since the spec's range was registered (status.registeredCapacity).
// Registering another range replaces it, as RegisterScalableTarget does;
// other spec edits (policies, suspension) keep it.
func InForce(st *ecsv1alpha1.ScalableTarget) Range {
	r := Range{Min: st.Spec.MinCapacity, Max: st.Spec.MaxCapacity}
	s := st.Status
	if Registered(st) && s.MinCapacity != nil && s.MaxCapacity != nil {
		r = Range{Min: *s.MinCapacity, Max: *s.MaxCapacity}
	}
	return r
}

// Registered says whether the range in force belongs to the spec's
// current minCapacity and maxCapacity.
func Registered(st *ecsv1alpha1.ScalableTarget) bool {
	rc := st.Status.RegisteredCapacity
	return rc != nil && rc.MinCapacity != nil && rc.MaxCapacity != nil &&
		*rc.MinCapacity == st.Spec.MinCapacity && *rc.MaxCapacity == st.Spec.MaxCapacity
}

// Register records the spec's range as the one the range in force belongs
// to.
func Register(st *ecsv1alpha1.ScalableTarget) {
	mn, mx := st.Spec.MinCapacity, st.Spec.MaxCapacity
	st.Status.RegisteredCapacity = &ecsv1alpha1.ScalableTargetAction{MinCapacity: &mn, MaxCapacity: &mx}
}

// Apply sets the range a scheduled action asks for: the members it gives,
// the range in force for the others. It fails, as Application Auto Scaling
// does, when the result has a minimum above its maximum; it then returns
// the range asked for, which the failed activity describes.
func (r Range) Apply(a ecsv1alpha1.ScalableTargetAction) (Range, error) {
	n := r
	if a.MinCapacity != nil {
		n.Min = *a.MinCapacity
	}
	if a.MaxCapacity != nil {
		n.Max = *a.MaxCapacity
	}
	if n.Min > n.Max {
		return n, fmt.Errorf("minimum capacity %d cannot be greater than maximum capacity %d", n.Min, n.Max)
	}
	return n, nil
}

// Describe is how Application Auto Scaling words a range change.
func (r Range) Describe(old Range) string {
	switch {
	case r.Min != old.Min && r.Max != old.Max:
		return fmt.Sprintf("Setting min capacity to %d and max capacity to %d", r.Min, r.Max)
	case r.Min != old.Min:
		return fmt.Sprintf("Setting min capacity to %d", r.Min)
	case r.Max != old.Max:
		return fmt.Sprintf("Setting max capacity to %d", r.Max)
	}
	return fmt.Sprintf("Setting min capacity to %d and max capacity to %d", r.Min, r.Max)
}

// ClampCause is the cause of a desired-count change that a new range forces.
func (r Range) ClampCause(desired int32) string {
	if desired < r.Min {
		return fmt.Sprintf("minimum capacity was set to %d", r.Min)
	}
	return fmt.Sprintf("maximum capacity was set to %d", r.Max)
}

func timePtr(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}
