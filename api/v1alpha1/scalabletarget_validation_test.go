package v1alpha1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const cpuPolicy = `
scalingPolicies:
- policyName: cpu50
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: 50
    predefinedMetricSpecification: {predefinedMetricType: ECSServiceAverageCPUUtilization}
    scaleInCooldown: 60
    scaleOutCooldown: 60`

const stepPolicy = `
scalingPolicies:
- policyName: out
  policyType: StepScaling
  stepScalingPolicyConfiguration:
    adjustmentType: ChangeInCapacity
    cooldown: 60
    stepAdjustments:
    - {metricIntervalLowerBound: 0, metricIntervalUpperBound: 20, scalingAdjustment: 1}
    - {metricIntervalLowerBound: 20, scalingAdjustment: 3}
  alarms:
  - alarmName: cpu-high
    namespace: AWS/ECS
    metricName: CPUUtilization
    dimensions: [{name: ClusterName, value: default}, {name: ServiceName, value: web}]
    statistic: Average
    period: 60
    evaluationPeriods: 3
    datapointsToAlarm: 2
    threshold: 70
    comparisonOperator: GreaterThanOrEqualToThreshold`

const target = `
resourceId: service/default/web
scalableDimension: ecs:service:DesiredCount
minCapacity: 1
maxCapacity: 10`

// TestValidationScalableTarget: Application Auto Scaling's own checks, at
// admission, with the field path and a message an ECS user recognises.
func TestValidationScalableTarget(t *testing.T) {
	runCreateCases(t, "st", []createCase{
		{name: "valid target tracking", kind: "ScalableTarget", spec: target + cpuPolicy},
		{name: "valid step scaling", kind: "ScalableTarget", spec: target + stepPolicy},
		{name: "valid scheduled actions", kind: "ScalableTarget", spec: target + `
scheduledActions:
- scheduledActionName: weekday-mornings
  schedule: cron(30 6 ? * MON-FRI *)
  timezone: Europe/Paris
  scalableTargetAction: {minCapacity: 4}
- scheduledActionName: every-5-minutes
  schedule: rate(5 minutes)
  startTime: "2026-12-01T00:00:00Z"
  endTime: "2026-12-31T00:00:00Z"
  scalableTargetAction: {minCapacity: 1, maxCapacity: 3}
- scheduledActionName: launch
  schedule: at(2026-12-24T18:00:00)
  scalableTargetAction: {maxCapacity: 20}`},
		{name: "max below min", kind: "ScalableTarget", spec: `
resourceId: service/default/web
minCapacity: 5
maxCapacity: 2`, want: []cause{
			{"spec.maxCapacity", rule("Maximum capacity cannot be less than minimum capacity")},
		}},
		{name: "negative capacity", kind: "ScalableTarget", spec: `
resourceId: service/default/web
minCapacity: -1
maxCapacity: 2`, want: []cause{
			{"spec.minCapacity", invalidValue("-1", "spec.minCapacity in body should be greater than or equal to 0")},
		}},
		{name: "not an ECS service resource", kind: "ScalableTarget", spec: `
resourceId: table/my-table
minCapacity: 1
maxCapacity: 2`, want: []cause{
			{"spec.resourceId", rule("resourceId must be service/<cluster-name>/<service-name>: Berth scales the desired count of ECS services")},
		}},
		{name: "another dimension", kind: "ScalableTarget", spec: `
resourceId: service/default/web
scalableDimension: dynamodb:table:ReadCapacityUnits
minCapacity: 1
maxCapacity: 2`, want: []cause{
			{"spec.scalableDimension", `Unsupported value: "dynamodb:table:ReadCapacityUnits": supported values: "ecs:service:DesiredCount"`},
			rulesSkipped,
		}},
		{name: "unknown metric type", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: reads
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: 70
    predefinedMetricSpecification: {predefinedMetricType: DynamoDBReadCapacityUtilization}`, want: []cause{
			{"spec.scalingPolicies[0].targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType",
				`Unsupported value: "DynamoDBReadCapacityUtilization": supported values: "ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization", "ALBRequestCountPerTarget"`},
			rulesSkipped,
		}},
		{name: "cooldown out of range", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: cpu
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: 50
    predefinedMetricSpecification: {predefinedMetricType: ECSServiceAverageCPUUtilization}
    scaleInCooldown: 7200
    scaleOutCooldown: -5`, want: []cause{
			{"spec.scalingPolicies[0].targetTrackingScalingPolicyConfiguration.scaleInCooldown", rule("scaleInCooldown must be between 0 and 3600 seconds")},
			{"spec.scalingPolicies[0].targetTrackingScalingPolicyConfiguration.scaleOutCooldown", rule("scaleOutCooldown must not be negative")},
		}},
		{name: "step cooldown out of range", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: out
  policyType: StepScaling
  stepScalingPolicyConfiguration:
    adjustmentType: ChangeInCapacity
    cooldown: -1
    stepAdjustments: [{metricIntervalLowerBound: 0, scalingAdjustment: 1}]
  alarms:
  - {alarmName: high, namespace: AWS/ECS, metricName: CPUUtilization, statistic: Average, period: 60, evaluationPeriods: 1, threshold: 70, comparisonOperator: GreaterThanThreshold}`, want: []cause{
			{"spec.scalingPolicies[0].stepScalingPolicyConfiguration.cooldown", rule("cooldown must be between 0 and 86400 seconds")},
		}},
		{name: "target value 0", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: cpu
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: 0
    predefinedMetricSpecification: {predefinedMetricType: ECSServiceAverageCPUUtilization}`, want: []cause{
			{"spec.scalingPolicies[0].targetTrackingScalingPolicyConfiguration.targetValue", rule("targetValue must be greater than 0")},
		}},
		{name: "both metric specifications", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: cpu
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: 50
    predefinedMetricSpecification: {predefinedMetricType: ECSServiceAverageCPUUtilization}
    customizedMetricSpecification: {metricName: CPUUtilization, namespace: AWS/ECS}`, want: []cause{
			{"spec.scalingPolicies[0].targetTrackingScalingPolicyConfiguration", rule("Specify either predefinedMetricSpecification or customizedMetricSpecification, but not both")},
		}},
		{name: "ALB metric without resource label", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: requests
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: 1000
    predefinedMetricSpecification: {predefinedMetricType: ALBRequestCountPerTarget}`, want: []cause{
			{"spec.scalingPolicies[0].targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.resourceLabel",
				rule("resourceLabel is required for the ALBRequestCountPerTarget metric type and invalid for the other metric types")},
		}},
		{name: "metric math", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: math
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: 100
    customizedMetricSpecification:
      metricName: backlog
      namespace: MyApp
      metrics: [{id: m1, expression: "m2 / m3"}]`, want: []cause{
			{"spec.scalingPolicies[0].targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.metrics",
				rule("metric math (metrics) is not supported by Berth: use metricName, namespace, dimensions and statistic")},
		}},
		{name: "predictive scaling", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: predict
  policyType: PredictiveScaling`, want: []cause{
			{"spec.scalingPolicies[0].policyType", rule("PredictiveScaling policies are not supported by Berth")},
		}},
		{name: "target tracking without its configuration", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: cpu
  policyType: TargetTrackingScaling`, want: []cause{
			{"spec.scalingPolicies[0]", rule("A TargetTrackingScaling policy needs targetTrackingScalingPolicyConfiguration, and neither stepScalingPolicyConfiguration nor alarms")},
		}},
		{name: "step scaling without an alarm", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: out
  policyType: StepScaling
  stepScalingPolicyConfiguration:
    adjustmentType: ChangeInCapacity
    stepAdjustments: [{metricIntervalLowerBound: 0, scalingAdjustment: 1}]`, want: []cause{
			{"spec.scalingPolicies[0]", rule("A StepScaling policy needs stepScalingPolicyConfiguration and at least one alarm, and no targetTrackingScalingPolicyConfiguration")},
		}},
		{name: "step bounds", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: out
  policyType: StepScaling
  stepScalingPolicyConfiguration:
    adjustmentType: ExactCapacity
    minAdjustmentMagnitude: 2
    stepAdjustments:
    - {metricIntervalLowerBound: 10, metricIntervalUpperBound: 5, scalingAdjustment: -1}
    - {metricIntervalUpperBound: 0, scalingAdjustment: 1}
    - {metricIntervalUpperBound: 3, scalingAdjustment: 1}
  alarms:
  - {alarmName: high, namespace: AWS/ECS, metricName: CPUUtilization, statistic: Average, period: 45, evaluationPeriods: 2, datapointsToAlarm: 3, threshold: 70, comparisonOperator: GreaterThanThreshold}
  - {alarmName: zero, namespace: AWS/ECS, metricName: CPUUtilization, statistic: Average, period: 0, evaluationPeriods: 1, threshold: 70, comparisonOperator: GreaterThanThreshold}`, want: []cause{
			{"spec.scalingPolicies[0].alarms[1].period", rule("period must be 10, 20, 30 or a multiple of 60 seconds")},
			{"spec.scalingPolicies[0].stepScalingPolicyConfiguration.stepAdjustments[0].metricIntervalUpperBound", rule("The upper bound must be greater than the lower bound")},
			{"spec.scalingPolicies[0].stepScalingPolicyConfiguration.minAdjustmentMagnitude", rule("minAdjustmentMagnitude is only valid with the PercentChangeInCapacity adjustment type")},
			{"spec.scalingPolicies[0].stepScalingPolicyConfiguration.stepAdjustments", rule("For exact capacity, you must specify a non-negative scalingAdjustment")},
			{"spec.scalingPolicies[0].stepScalingPolicyConfiguration.stepAdjustments", rule("Only one step adjustment can have an unbounded (null) lower bound")},
			{"spec.scalingPolicies[0].alarms[0].period", rule("period must be 10, 20, 30 or a multiple of 60 seconds")},
			{"spec.scalingPolicies[0].alarms[0].datapointsToAlarm", rule("datapointsToAlarm must be less than or equal to evaluationPeriods")},
		}},
		{name: "two unbounded upper bounds", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: out
  policyType: StepScaling
  stepScalingPolicyConfiguration:
    adjustmentType: ChangeInCapacity
    stepAdjustments:
    - {metricIntervalLowerBound: 0, scalingAdjustment: 1}
    - {metricIntervalLowerBound: 10, scalingAdjustment: 2}
  alarms:
  - {alarmName: high, namespace: AWS/ECS, metricName: CPUUtilization, statistic: Average, period: 3600, evaluationPeriods: 25, threshold: 70, comparisonOperator: GreaterThanThreshold}`, want: []cause{
			{"spec.scalingPolicies[0].stepScalingPolicyConfiguration.stepAdjustments", rule("Only one step adjustment can have an unbounded (null) upper bound")},
			{"spec.scalingPolicies[0].alarms[0].evaluationPeriods", rule("period times evaluationPeriods must not exceed one day (86400 seconds)")},
		}},
		{name: "alarm on another metric", kind: "ScalableTarget", spec: target + `
scalingPolicies:
- policyName: out
  policyType: StepScaling
  stepScalingPolicyConfiguration:
    adjustmentType: ChangeInCapacity
    stepAdjustments: [{metricIntervalLowerBound: 0, scalingAdjustment: 1}]
  alarms:
  - {alarmName: q, namespace: AWS/SQS, metricName: ApproximateNumberOfMessagesVisible, statistic: Average, period: 60, evaluationPeriods: 1, threshold: 100, comparisonOperator: GreaterThanThreshold}`, want: []cause{
			{"spec.scalingPolicies[0].alarms[0].namespace", `Unsupported value: "AWS/SQS": supported values: "AWS/ECS"`},
			{"spec.scalingPolicies[0].alarms[0].metricName", `Unsupported value: "ApproximateNumberOfMessagesVisible": supported values: "CPUUtilization", "MemoryUtilization"`},
			rulesSkipped,
		}},
		{name: "scheduled action range and schedule", kind: "ScalableTarget", spec: target + `
scheduledActions:
- scheduledActionName: bad
  schedule: every day at 9
  startTime: "2026-12-31T00:00:00Z"
  endTime: "2026-12-01T00:00:00Z"
  scalableTargetAction: {minCapacity: 5, maxCapacity: 2}
- scheduledActionName: empty
  schedule: cron(0 9 * * ? *)
  scalableTargetAction: {}
- scheduledActionName: five-field-cron
  schedule: cron(0 9 * * ?)
  scalableTargetAction: {minCapacity: 1}`, want: []cause{
			{"spec.scheduledActions[0].schedule", rule("schedule must be at(yyyy-mm-ddThh:mm:ss), rate(value unit) with unit minute(s), hour(s) or day(s), or cron(Minutes Hours Day-of-month Month Day-of-week Year)")},
			{"spec.scheduledActions[0].endTime", rule("endTime must be after startTime")},
			{"spec.scheduledActions[0].scalableTargetAction.maxCapacity", rule("Maximum capacity cannot be less than minimum capacity")},
			{"spec.scheduledActions[1].scalableTargetAction", rule("Specify minCapacity, maxCapacity or both")},
			{"spec.scheduledActions[2].schedule", rule("schedule must be at(yyyy-mm-ddThh:mm:ss), rate(value unit) with unit minute(s), hour(s) or day(s), or cron(Minutes Hours Day-of-month Month Day-of-week Year)")},
		}},
		{name: "duplicate policy names", kind: "ScalableTarget", spec: target + cpuPolicy + `
- policyName: cpu50
  policyType: TargetTrackingScaling
  targetTrackingScalingPolicyConfiguration:
    targetValue: 60
    predefinedMetricSpecification: {predefinedMetricType: ECSServiceAverageMemoryUtilization}`, want: []cause{
			{"spec.scalingPolicies[1]", `Duplicate value: {"policyName":"cpu50"}`},
		}},
	})
}

// TestValidationScalableTargetImmutableResource: a target's resource is its
// identity.
func TestValidationScalableTargetImmutableResource(t *testing.T) {
	c, _ := testEnv(t)
	ctx := testContext(t)
	st := &ScalableTarget{ObjectMeta: metav1.ObjectMeta{Name: "st-immutable", Namespace: validationNamespace},
		Spec: ScalableTargetSpec{ResourceID: "service/default/web", MinCapacity: 1, MaxCapacity: 4}}
	if err := c.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	deleteAfter(t, c, st)
	moved := st.DeepCopy()
	moved.Spec.ResourceID = "service/default/api"
	expectCauses(t, c.Update(ctx, moved), cause{"spec.resourceId", rule("resourceId cannot be changed: register a new scalable target")})
	grown := st.DeepCopy()
	grown.Spec.MaxCapacity = 8
	if err := c.Update(ctx, grown); err != nil {
		t.Errorf("changing the capacity must be allowed: %v", err)
	}
}

// TestValidationScalableTargetStatus: the registered capacity the
// controller writes obeys the scheduled actions' rules too.
func TestValidationScalableTargetStatus(t *testing.T) {
	c, _ := testEnv(t)
	ctx := testContext(t)
	st := &ScalableTarget{ObjectMeta: metav1.ObjectMeta{Name: "st-status", Namespace: validationNamespace},
		Spec: ScalableTargetSpec{ResourceID: "service/default/web", MinCapacity: 1, MaxCapacity: 4}}
	if err := c.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	deleteAfter(t, c, st)
	empty := st.DeepCopy()
	empty.Status.RegisteredCapacity = &ScalableTargetAction{}
	expectCauses(t, c.Status().Update(ctx, empty), cause{"status.registeredCapacity", rule("Specify minCapacity, maxCapacity or both")})
	inverted := st.DeepCopy()
	inverted.Status.RegisteredCapacity = &ScalableTargetAction{MinCapacity: ptr.To[int32](5), MaxCapacity: ptr.To[int32](2)}
	expectCauses(t, c.Status().Update(ctx, inverted), cause{"status.registeredCapacity.maxCapacity", rule("Maximum capacity cannot be less than minimum capacity")})
	registered := st.DeepCopy()
	registered.Status.RegisteredCapacity = &ScalableTargetAction{MinCapacity: ptr.To[int32](1), MaxCapacity: ptr.To[int32](4)}
	if err := c.Status().Update(ctx, registered); err != nil {
		t.Errorf("a valid registered capacity must be allowed: %v", err)
	}
}
