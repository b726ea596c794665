package autoscaling

import (
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Notes lists how Berth approximates the members of a scalable target it
// cannot honour exactly, each with its field path (status.notes;
// docs/autoscaling.md has the detail).
func Notes(st *ecsv1alpha1.ScalableTarget) []string {
	var notes []string
	add := func(p *field.Path, format string, args ...any) {
		notes = append(notes, p.String()+": "+fmt.Sprintf(format, args...))
	}
	spec := field.NewPath("spec")
	if st.Spec.RoleARN != "" {
		add(spec.Child("roleARN"), "stored; Berth scales with its own RBAC")
	}
	hasTT := false
	for i := range st.Spec.ScalingPolicies {
		p := &st.Spec.ScalingPolicies[i]
		pp := spec.Child("scalingPolicies").Index(i)
		if c := p.TargetTrackingScalingPolicyConfiguration; c != nil {
			hasTT = true
			cp := pp.Child("targetTrackingScalingPolicyConfiguration")
			ttNotes(c, cp, add)
		}
		if c := p.StepScalingPolicyConfiguration; c != nil && c.MetricAggregationType != "" {
			add(pp.Child("stepScalingPolicyConfiguration", "metricAggregationType"), "stored; each alarm's statistic aggregates the tasks")
		}
	}
	if hasTT && st.Spec.MinCapacity == 0 {
		add(spec.Child("minCapacity"), "0: the HorizontalPodAutoscaler keeps at least 1 task; at a desired count of 0 it does not scale (there is no metric without tasks)")
	}
	return notes
}

func ttNotes(c *ecsv1alpha1.TargetTrackingScalingPolicyConfiguration, cp *field.Path, add func(*field.Path, string, ...any)) {
	if c.ScaleOutCooldown != nil {
		add(cp.Child("scaleOutCooldown"), "approximated: the HorizontalPodAutoscaler counts tasks that are not ready yet towards the next scale-out, so only a larger need adds tasks, without a timer")
	}
	pm := c.PredefinedMetricSpecification
	utilization := pm != nil && pm.PredefinedMetricType != ecsv1alpha1.MetricALBRequestCountPerTarget
	if cm := c.CustomizedMetricSpecification; cm != nil {
		utilization = cm.Namespace == "AWS/ECS" && (cm.MetricName == "CPUUtilization" || cm.MetricName == "MemoryUtilization")
		if cm.Statistic != "" && cm.Statistic != ecsv1alpha1.StatisticAverage {
			add(cp.Child("customizedMetricSpecification", "statistic"), "%s is read as Average: the metrics APIs give one value", cm.Statistic)
		}
		if cm.Unit != "" {
			add(cp.Child("customizedMetricSpecification", "unit"), "stored; the metric is read in the unit its source serves")
		}
	}
	if utilization && c.TargetValue != math.Round(c.TargetValue) {
		add(cp.Child("targetValue"), "%g is rounded to %d%%: the HorizontalPodAutoscaler's utilization target is a whole percent", c.TargetValue, int32(max(1, math.Round(c.TargetValue))))
	}
}
