package autoscaling

import (
	"fmt"
	"math"
	"sort"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
)

// DefaultCooldown is Application Auto Scaling's cooldown for ECS services
// when a policy gives none, in seconds.
const DefaultCooldown = 300

// Cooldown returns a step policy's cooldown.
func Cooldown(cfg *ecsv1alpha1.StepScalingPolicyConfiguration) time.Duration {
	if cfg == nil || cfg.Cooldown == nil {
		return DefaultCooldown * time.Second
	}
	return time.Duration(*cfg.Cooldown) * time.Second
}

// ValidateSteps checks what admission rules cannot: a step policy's
// intervals neither overlap nor leave a gap. ECS's own rule.
func ValidateSteps(steps []ecsv1alpha1.StepAdjustment) error {
	type iv struct{ lo, hi float64 }
	ivs := make([]iv, len(steps))
	for i, s := range steps {
		ivs[i] = iv{math.Inf(-1), math.Inf(1)}
		if s.MetricIntervalLowerBound != nil {
			ivs[i].lo = *s.MetricIntervalLowerBound
		}
		if s.MetricIntervalUpperBound != nil {
			ivs[i].hi = *s.MetricIntervalUpperBound
		}
	}
	sort.SliceStable(ivs, func(a, b int) bool { return ivs[a].lo < ivs[b].lo })
	for i := 1; i < len(ivs); i++ {
		switch {
		case ivs[i].lo < ivs[i-1].hi:
			return fmt.Errorf("step adjustments overlap: [%s, %s) and [%s, %s)", bound(ivs[i-1].lo), bound(ivs[i-1].hi), bound(ivs[i].lo), bound(ivs[i].hi))
		case ivs[i].lo > ivs[i-1].hi:
			return fmt.Errorf("step adjustments leave a gap between %s and %s", bound(ivs[i-1].hi), bound(ivs[i].lo))
		}
	}
	return nil
}

func bound(v float64) string {
	switch {
	case math.IsInf(v, -1):
		return "-infinity"
	case math.IsInf(v, 1):
		return "+infinity"
	}
	return alarms.FormatNumber(v)
}

// Step returns the step adjustment whose interval holds breach (the metric
// minus the alarm threshold), and false when none does. For an alarm on a
// metric above its threshold (above) the lower bound is inclusive and the
// upper exclusive; for one below it the other way round, as Application
// Auto Scaling defines them.
func Step(steps []ecsv1alpha1.StepAdjustment, breach float64, above bool) (ecsv1alpha1.StepAdjustment, bool) {
	for _, s := range steps {
		lo, hi := s.MetricIntervalLowerBound, s.MetricIntervalUpperBound
		var in bool
		if above {
			in = (lo == nil || breach >= *lo) && (hi == nil || breach < *hi)
		} else {
			in = (lo == nil || breach > *lo) && (hi == nil || breach <= *hi)
		}
		if in {
			return s, true
		}
	}
	return ecsv1alpha1.StepAdjustment{}, false
}

// Adjust applies one step to a capacity: ChangeInCapacity adds,
// ExactCapacity sets, PercentChangeInCapacity adds a percentage rounded as
// Application Auto Scaling rounds it (a change between -1 and 1 becomes -1
// or 1, other changes are truncated towards zero) and at least
// minAdjustmentMagnitude tasks.
func Adjust(cfg *ecsv1alpha1.StepScalingPolicyConfiguration, adjustment, capacity int32) int32 {
	switch cfg.AdjustmentType {
	case ecsv1alpha1.AdjustmentExactCapacity:
		return adjustment
	case ecsv1alpha1.AdjustmentPercentChangeInCapacity:
		change := float64(capacity) * float64(adjustment) / 100
		var n int32
		switch {
		case change > 0 && change < 1:
			n = 1
		case change < 0 && change > -1:
			n = -1
		default:
			n = int32(math.Trunc(change))
		}
		if m := cfg.MinAdjustmentMagnitude; m != nil && n != 0 && abs32(n) < *m {
			n = *m * sign32(n)
		}
		return capacity + n
	default:
		return capacity + adjustment
	}
}

func abs32(n int32) int32 {
	if n < 0 {
		return -n
	}
	return n
}

func sign32(n int32) int32 {
	if n < 0 {
		return -1
	}
	return 1
}

// StepInput is what a step scaling decision needs.
type StepInput struct {
	Policy *ecsv1alpha1.ScalingPolicy
	Status ecsv1alpha1.ScalingPolicyStatus
	Breach float64
	// Above: the alarm fires on a metric above its threshold (Greater*).
	Above   bool
	Current int32
	Range   Range
	// ScaleInBlocked says why the service may not scale in now (dynamic
	// scale-in suspended, a deployment in progress); "" when it may.
	ScaleInBlocked string
	// ScaleOutBlocked says why it may not scale out now.
	ScaleOutBlocked string
	Now             time.Time
}

// StepDecision is the outcome of running a step scaling policy.
type StepDecision struct {
	// Desired is the new desired count; equal to the current one when
	// nothing changes.
	Desired int32
	// Reason says why nothing changed, when nothing did.
	Reason string
	// Status is the policy's status after the decision.
	Status ecsv1alpha1.ScalingPolicyStatus
}

// RunStep runs a step scaling policy whose alarm is in ALARM with the given
// breach. Cooldowns follow Application Auto Scaling: during a scale-out
// cooldown the tasks the last scale-out added count towards the next one
// (so only a larger step adds more); a scale-in waits for the cooldown of
// the policy's last scale-in.
func RunStep(in StepInput) StepDecision {
	cfg := in.Policy.StepScalingPolicyConfiguration
	d := StepDecision{Desired: in.Current, Status: in.Status}
	step, ok := Step(cfg.StepAdjustments, in.Breach, in.Above)
	if !ok {
		d.Reason = fmt.Sprintf("no step adjustment covers a breach of %s", alarms.FormatNumber(in.Breach))
		return d
	}
	cool := Cooldown(cfg)
	target := in.Range.Clamp(Adjust(cfg, step.ScalingAdjustment, in.Current))
	switch {
	case target > in.Current:
		if in.ScaleOutBlocked != "" {
			d.Reason = in.ScaleOutBlocked
			return d
		}
		base := in.Current
		if t := in.Status.LastScaleOutTime; t != nil && in.Now.Before(t.Add(cool)) && in.Status.LastScaleOutFrom != nil {
			base = *in.Status.LastScaleOutFrom
			target = in.Range.Clamp(Adjust(cfg, step.ScalingAdjustment, base))
			if target <= in.Current {
				d.Reason = fmt.Sprintf("the scale-out cooldown of %s has not expired and the step adds no more than the last scale-out", cool)
				return d
			}
		}
		d.Desired = target
		d.Status.LastScaleOutTime = timePtr(in.Now)
		d.Status.LastScaleOutFrom = &base
	case target < in.Current:
		if in.ScaleInBlocked != "" {
			d.Reason = in.ScaleInBlocked
			return d
		}
		if t := in.Status.LastScaleInTime; t != nil && in.Now.Before(t.Add(cool)) {
			d.Reason = fmt.Sprintf("the scale-in cooldown of %s has not expired", cool)
			return d
		}
		d.Desired = target
		d.Status.LastScaleInTime = timePtr(in.Now)
	default:
		d.Reason = in.Range.AtLimit(in.Current, step.ScalingAdjustment)
	}
	return d
}
