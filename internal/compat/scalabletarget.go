package compat

import (
	"fmt"
	"math"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// The inputs a ScalableTarget's spec holds: RegisterScalableTarget's at its
// root, PutScalingPolicy's in scalingPolicies and PutScheduledAction's in
// scheduledActions (docs/autoscaling.md explains the layout).

// RegisterScalableTarget is how Berth honours each member of
// RegisterScalableTarget's input, a ScalableTarget's spec.
var RegisterScalableTarget = Table{
	"serviceNamespace":  E("ecs (the default): Berth scales ECS services; other namespaces are refused at admission"),
	"resourceId":        E("service/<cluster>/<service>: the Service of the target's namespace with that cluster and service name; it cannot change (register a new target)"),
	"scalableDimension": E("ecs:service:DesiredCount (the default): the Service's desiredCount, through its scale subresource"),
	"minCapacity":       E("the fewest tasks scaling leaves: HorizontalPodAutoscaler minReplicas, and the floor of step policies and scheduled actions; 0 with target tracking is reported"),
	"maxCapacity":       E("the most tasks scaling starts: HorizontalPodAutoscaler maxReplicas, and the ceiling of step policies and scheduled actions"),
	"roleARN":           A("not needed: Berth scales the Service with its own permissions (RBAC); the role is stored and shown"),
	"suspendedState":    E("see its members"),
	"suspendedState.dynamicScalingInSuspended":  E("the HorizontalPodAutoscaler's scale-down is Disabled; step policies do not scale in"),
	"suspendedState.dynamicScalingOutSuspended": E("the HorizontalPodAutoscaler's scale-up is Disabled; step policies do not scale out"),
	"suspendedState.scheduledScalingSuspended":  E("scheduled actions that fall due are skipped, not run later"),
	"tags": U("not in the spec: a ScalableTarget has no tags (use its labels); the Application Auto Scaling endpoint refuses them"),
}

// identity is the entry of a policy's or action's member that names its
// scalable target.
func identity(member string) Member {
	return E("not in the policy or action: the ScalableTarget's own spec." + member)
}

// PutScalingPolicy is how Berth honours each member of PutScalingPolicy's
// input, an element of a ScalableTarget's scalingPolicies (beside Berth's
// own alarms, the CloudWatch alarms of a step policy).
var PutScalingPolicy = Table{
	"serviceNamespace":  identity("serviceNamespace"),
	"resourceId":        identity("resourceId"),
	"scalableDimension": identity("scalableDimension"),
	"policyName":        E("the policy's name, unique within the target"),
	"policyType": E("TargetTrackingScaling: a metric of the target's HorizontalPodAutoscaler; StepScaling: run by Berth on the policy's alarms; " +
		"PredictiveScaling is refused at admission"),

	"targetTrackingScalingPolicyConfiguration": E("a metric of the target's HorizontalPodAutoscaler on the Service's scale subresource; " +
		"with several policies it follows the one that asks for the most tasks, as AAS does"),
	"targetTrackingScalingPolicyConfiguration.targetValue": E("the HPA metric's target: Utilization for the ECS utilization metrics (a whole percent; a fraction is reported), " +
		"AverageValue for ALBRequestCountPerTarget, Value for other customized metrics"),
	"targetTrackingScalingPolicyConfiguration.disableScaleIn": E("the HorizontalPodAutoscaler's scale-down is Disabled"),
	"targetTrackingScalingPolicyConfiguration.scaleInCooldown": E("the HorizontalPodAutoscaler's scale-down stabilization window: tasks are removed once the metric has asked for fewer " +
		"over the whole window (default 300; 0–3600 s, the HPA's limit)"),
	"targetTrackingScalingPolicyConfiguration.scaleOutCooldown": A("the HorizontalPodAutoscaler scales out without a timer, but counts tasks that are not ready yet at zero use, " +
		"so that only a larger need adds tasks (AAS's rule that capacity added by a scale-out counts towards the next)"),
	"targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification": E("see predefinedMetricType"),
	"targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType": E("ECSServiceAverageCPUUtilization and ECSServiceAverageMemoryUtilization: " +
		"an HPA Resource metric (use over the pods' requests, which are the task's reservation); ALBRequestCountPerTarget is reported; other types are refused at admission"),
	"targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.resourceLabel": E("names the target group, which must be one of the Service's loadBalancers"),
	"targetTrackingScalingPolicyConfiguration.customizedMetricSpecification": E("AWS/ECS CPUUtilization and MemoryUtilization are read as the predefined metrics; " +
		"other metrics are reported"),
	"targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.metricName":         E("the metric's name"),
	"targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.namespace":          E("the metric's namespace (AWS/ECS: see customizedMetricSpecification)"),
	"targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.dimensions":         E("the external metric's label selector"),
	"targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.dimensions[].name":  E("a label name"),
	"targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.dimensions[].value": E("its value"),
	"targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.statistic":          E("Average; other statistics are reported"),
	"targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.unit":               U("stored without effect: the metric is read in the unit its source serves"),
	"targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.metrics": U("refused at admission (CEL): metric math is not implemented; " +
		"use metricName, namespace, dimensions and statistic"),

	"stepScalingPolicyConfiguration": E("run by Berth while one of the policy's alarms is in ALARM, once per datapoint, as AAS re-runs it (docs/autoscaling.md)"),
	"stepScalingPolicyConfiguration.adjustmentType": E("ChangeInCapacity, PercentChangeInCapacity (AAS's rounding: a change between −1 and 1 is ±1, others are truncated) " +
		"or ExactCapacity"),
	"stepScalingPolicyConfiguration.minAdjustmentMagnitude": E("the fewest tasks a PercentChangeInCapacity step adds or removes"),
	"stepScalingPolicyConfiguration.cooldown": E("default 300: a scale-out within it adds only what a larger step asks beyond the last scale-out; " +
		"a scale-in waits for the policy's last scale-in's"),
	"stepScalingPolicyConfiguration.metricAggregationType": A("stored; the step is chosen from each alarm's own statistic, which aggregates the tasks"),
	"stepScalingPolicyConfiguration.stepAdjustments": E("the steps, by how far the alarm's statistic breaches its threshold; " +
		"intervals that overlap or leave a gap are Stalled with the field path"),
	"stepScalingPolicyConfiguration.stepAdjustments[].metricIntervalLowerBound": E("the interval's lower bound (inclusive above the threshold); unset is negative infinity"),
	"stepScalingPolicyConfiguration.stepAdjustments[].metricIntervalUpperBound": E("the interval's upper bound (inclusive below the threshold); unset is positive infinity"),
	"stepScalingPolicyConfiguration.stepAdjustments[].scalingAdjustment":        E("tasks to add or remove, a percentage, or the count, by adjustmentType"),

	"predictiveScalingPolicyConfiguration": U("PredictiveScaling is not implemented: the policy type is refused at admission, and the member is not in the ScalableTarget's schema"),
}

// PutScheduledAction is how Berth honours each member of
// PutScheduledAction's input, an element of a ScalableTarget's
// scheduledActions.
var PutScheduledAction = Table{
	"serviceNamespace":    identity("serviceNamespace"),
	"resourceId":          identity("resourceId"),
	"scalableDimension":   identity("scalableDimension"),
	"scheduledActionName": E("the action's name, unique within the target"),
	"schedule": E("at(), rate() and AAS's six-field cron() with ? L W #, run by Berth (internal/schedule); " +
		"one that does not parse is Stalled with the field path"),
	"timezone":  E("the IANA time zone of at() and cron() (default UTC)"),
	"startTime": E("the action does not run before it; rate() counts from it"),
	"endTime":   E("the action does not run after it"),
	"scalableTargetAction": E("sets the capacity range in force (status.minCapacity and maxCapacity), bringing desiredCount inside it; " +
		"a new spec range replaces it, as RegisterScalableTarget does"),
	"scalableTargetAction.minCapacity": E("the new minimum (unset: the current one)"),
	"scalableTargetAction.maxCapacity": E("the new maximum (unset: the current one)"),
}

func init() {
	for _, m := range predictiveMembers {
		PutScalingPolicy["predictiveScalingPolicyConfiguration."+m] = U("see predictiveScalingPolicyConfiguration")
	}
	for _, m := range metricMathMembers {
		PutScalingPolicy["targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.metrics[]."+m] = U("see metrics")
	}
}

// metricMathMembers are the members of a metric math query, refused with
// customizedMetricSpecification.metrics.
var metricMathMembers = []string{
	"expression", "id", "label", "returnData",
	"metricStat", "metricStat.stat", "metricStat.unit",
	"metricStat.metric", "metricStat.metric.metricName", "metricStat.metric.namespace",
	"metricStat.metric.dimensions", "metricStat.metric.dimensions[].name", "metricStat.metric.dimensions[].value",
}

// predictiveMembers are the members below
// predictiveScalingPolicyConfiguration, refused with it.
var predictiveMembers = []string{
	"maxCapacityBreachBehavior",
	"maxCapacityBuffer",
	"metricSpecifications",
	"metricSpecifications[].customizedCapacityMetricSpecification",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].expression",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].id",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].label",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].metricStat",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].metricStat.metric",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].metricStat.metric.dimensions",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].metricStat.metric.dimensions[].name",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].metricStat.metric.dimensions[].value",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].metricStat.metric.metricName",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].metricStat.metric.namespace",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].metricStat.stat",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].metricStat.unit",
	"metricSpecifications[].customizedCapacityMetricSpecification.metricDataQueries[].returnData",
	"metricSpecifications[].customizedLoadMetricSpecification",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].expression",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].id",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].label",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].metricStat",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].metricStat.metric",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].metricStat.metric.dimensions",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].metricStat.metric.dimensions[].name",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].metricStat.metric.dimensions[].value",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].metricStat.metric.metricName",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].metricStat.metric.namespace",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].metricStat.stat",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].metricStat.unit",
	"metricSpecifications[].customizedLoadMetricSpecification.metricDataQueries[].returnData",
	"metricSpecifications[].customizedScalingMetricSpecification",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].expression",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].id",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].label",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].metricStat",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].metricStat.metric",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].metricStat.metric.dimensions",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].metricStat.metric.dimensions[].name",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].metricStat.metric.dimensions[].value",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].metricStat.metric.metricName",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].metricStat.metric.namespace",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].metricStat.stat",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].metricStat.unit",
	"metricSpecifications[].customizedScalingMetricSpecification.metricDataQueries[].returnData",
	"metricSpecifications[].predefinedLoadMetricSpecification",
	"metricSpecifications[].predefinedLoadMetricSpecification.predefinedMetricType",
	"metricSpecifications[].predefinedLoadMetricSpecification.resourceLabel",
	"metricSpecifications[].predefinedMetricPairSpecification",
	"metricSpecifications[].predefinedMetricPairSpecification.predefinedMetricType",
	"metricSpecifications[].predefinedMetricPairSpecification.resourceLabel",
	"metricSpecifications[].predefinedScalingMetricSpecification",
	"metricSpecifications[].predefinedScalingMetricSpecification.predefinedMetricType",
	"metricSpecifications[].predefinedScalingMetricSpecification.resourceLabel",
	"metricSpecifications[].targetValue",
	"mode",
	"schedulingBufferTime",
}

// ScalableTargetLayout is a ScalableTarget's spec: RegisterScalableTarget's
// input, with PutScalingPolicy's in scalingPolicies and PutScheduledAction's
// in scheduledActions.
var ScalableTargetLayout = Layout{
	Root: RegisterScalableTarget,
	Nested: map[string]Table{
		"scalingPolicies[]":  PutScalingPolicy,
		"scheduledActions[]": PutScheduledAction,
	},
}

// ScalableTargetNotes are the notes of a ScalableTarget's spec: the members
// whose fidelity depends on their value, then every other member set that
// is not exact.
func ScalableTargetNotes(spec *ecsv1alpha1.ScalableTargetSpec) []Note {
	var own []Note
	hasTT := false
	for i := range spec.ScalingPolicies {
		if c := spec.ScalingPolicies[i].TargetTrackingScalingPolicyConfiguration; c != nil {
			hasTT = true
			own = append(own, targetTrackingNotes(c, fmt.Sprintf("scalingPolicies[%d].targetTrackingScalingPolicyConfiguration", i))...)
		}
	}
	if hasTT && spec.MinCapacity == 0 {
		own = append(own, Note{Path: "minCapacity", Level: Approximated,
			Message: "0: the HorizontalPodAutoscaler keeps at least 1 task; at a desired count of 0 it does not scale (there is no metric without tasks)"})
	}
	return ScalableTargetLayout.Report(spec, own)
}

// targetTrackingNotes are the value-dependent notes of a target tracking
// policy's configuration at path.
func targetTrackingNotes(c *ecsv1alpha1.TargetTrackingScalingPolicyConfiguration, path string) []Note {
	var own []Note
	utilization := false
	if pm := c.PredefinedMetricSpecification; pm != nil {
		utilization = pm.PredefinedMetricType != ecsv1alpha1.MetricALBRequestCountPerTarget
		if !utilization {
			own = append(own, Note{Path: path + ".predefinedMetricSpecification.predefinedMetricType", Level: Approximated,
				Message: "ALBRequestCountPerTarget: an HPA Object metric requests_per_minute on the target group's Kubernetes Service, " +
					"which a custom metrics adapter must serve (docs/autoscaling.md); no ALB counts the requests"})
		}
	}
	if cm := c.CustomizedMetricSpecification; cm != nil {
		cp := path + ".customizedMetricSpecification"
		utilization = cm.Namespace == "AWS/ECS" && (cm.MetricName == "CPUUtilization" || cm.MetricName == "MemoryUtilization")
		if !utilization {
			own = append(own, Note{Path: cp, Level: Approximated,
				Message: fmt.Sprintf("%s %s is read from the Kubernetes external metrics API, as metric %q selected by the dimensions as labels "+
					"(an adapter must serve it; the namespace is not part of the name), not from CloudWatch", cm.Namespace, cm.MetricName, cm.MetricName)})
		}
		if cm.Statistic != "" && cm.Statistic != ecsv1alpha1.StatisticAverage {
			own = append(own, Note{Path: cp + ".statistic", Level: Approximated,
				Message: fmt.Sprintf("%s is read as Average: the metrics APIs give one value", cm.Statistic)})
		}
	}
	if utilization && c.TargetValue != math.Round(c.TargetValue) {
		own = append(own, Note{Path: path + ".targetValue", Level: Approximated,
			Message: fmt.Sprintf("%g is rounded to %d%%: the HorizontalPodAutoscaler's utilization target is a whole percent", c.TargetValue, int32(max(1, math.Round(c.TargetValue))))})
	}
	return own
}
