package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The types in this file mirror Application Auto Scaling's API model
// (application-autoscaling-service-2.json) for ECS services: member names are
// the model's, in lower camel case as Kubernetes wants them (RoleARN →
// roleARN, ResourceId → resourceId), with the model's types. One
// ScalableTarget holds RegisterScalableTarget's input, the target's
// PutScalingPolicy inputs (scalingPolicies) and its PutScheduledAction inputs
// (scheduledActions), as CloudFormation's AWS::ApplicationAutoScaling::
// ScalableTarget holds its ScheduledActions. docs/autoscaling.md explains
// the layout.

// ScalableDimension is what a scalable target scales.
// +kubebuilder:validation:Enum=`ecs:service:DesiredCount`
type ScalableDimension string

// ScalableDimensionECSServiceDesiredCount is the task count of an ECS service.
const ScalableDimensionECSServiceDesiredCount ScalableDimension = "ecs:service:DesiredCount"

// ServiceNamespaceECS is the only service namespace Berth scales.
const ServiceNamespaceECS = "ecs"

// PolicyType is a scaling policy's type.
// +kubebuilder:validation:Enum=TargetTrackingScaling;StepScaling;PredictiveScaling
type PolicyType string

// Policy types.
const (
	PolicyTypeTargetTracking PolicyType = "TargetTrackingScaling"
	PolicyTypeStep           PolicyType = "StepScaling"
	// PolicyTypePredictive is in the model; Berth refuses it at admission.
	PolicyTypePredictive PolicyType = "PredictiveScaling"
)

// PredefinedMetricType is a target tracking policy's predefined metric, as
// far as it applies to ECS services.
// +kubebuilder:validation:Enum=ECSServiceAverageCPUUtilization;ECSServiceAverageMemoryUtilization;ALBRequestCountPerTarget
type PredefinedMetricType string

// Predefined metrics of ECS services.
const (
	MetricECSServiceAverageCPUUtilization    PredefinedMetricType = "ECSServiceAverageCPUUtilization"
	MetricECSServiceAverageMemoryUtilization PredefinedMetricType = "ECSServiceAverageMemoryUtilization"
	MetricALBRequestCountPerTarget           PredefinedMetricType = "ALBRequestCountPerTarget"
)

// MetricStatistic is a CloudWatch statistic.
// +kubebuilder:validation:Enum=Average;Minimum;Maximum;SampleCount;Sum
type MetricStatistic string

// Statistics.
const (
	StatisticAverage     MetricStatistic = "Average"
	StatisticMinimum     MetricStatistic = "Minimum"
	StatisticMaximum     MetricStatistic = "Maximum"
	StatisticSampleCount MetricStatistic = "SampleCount"
	StatisticSum         MetricStatistic = "Sum"
)

// AdjustmentType says how a step adjustment's scalingAdjustment is read.
// +kubebuilder:validation:Enum=ChangeInCapacity;PercentChangeInCapacity;ExactCapacity
type AdjustmentType string

// Adjustment types.
const (
	AdjustmentChangeInCapacity        AdjustmentType = "ChangeInCapacity"
	AdjustmentPercentChangeInCapacity AdjustmentType = "PercentChangeInCapacity"
	AdjustmentExactCapacity           AdjustmentType = "ExactCapacity"
)

// MetricAggregationType is how a step scaling policy aggregates its metric.
// +kubebuilder:validation:Enum=Average;Minimum;Maximum
type MetricAggregationType string

// ComparisonOperator compares an alarm's statistic with its threshold.
// +kubebuilder:validation:Enum=GreaterThanOrEqualToThreshold;GreaterThanThreshold;LessThanThreshold;LessThanOrEqualToThreshold
type ComparisonOperator string

// Comparison operators.
const (
	GreaterThanOrEqualToThreshold ComparisonOperator = "GreaterThanOrEqualToThreshold"
	GreaterThanThreshold          ComparisonOperator = "GreaterThanThreshold"
	LessThanThreshold             ComparisonOperator = "LessThanThreshold"
	LessThanOrEqualToThreshold    ComparisonOperator = "LessThanOrEqualToThreshold"
)

// TreatMissingData is how an alarm treats periods without data.
// +kubebuilder:validation:Enum=missing;notBreaching;breaching;ignore
type TreatMissingData string

// Missing-data treatments (CloudWatch's).
const (
	TreatMissingDataMissing      TreatMissingData = "missing"
	TreatMissingDataNotBreaching TreatMissingData = "notBreaching"
	TreatMissingDataBreaching    TreatMissingData = "breaching"
	TreatMissingDataIgnore       TreatMissingData = "ignore"
)

// AlarmState is a CloudWatch alarm state.
type AlarmState string

// Alarm states.
const (
	AlarmStateOK               AlarmState = "OK"
	AlarmStateAlarm            AlarmState = "ALARM"
	AlarmStateInsufficientData AlarmState = "INSUFFICIENT_DATA"
)

// ScalingActivityStatusCode is a scaling activity's outcome.
type ScalingActivityStatusCode string

// Scaling activity status codes (the model's).
const (
	ActivitySuccessful  ScalingActivityStatusCode = "Successful"
	ActivityFailed      ScalingActivityStatusCode = "Failed"
	ActivityUnfulfilled ScalingActivityStatusCode = "Unfulfilled"
)

// SuspendedState suspends scaling activities of a scalable target.
type SuspendedState struct {
	// dynamicScalingInSuspended: scale-in by target tracking and step
	// scaling policies is suspended.
	// +optional
	DynamicScalingInSuspended bool `json:"dynamicScalingInSuspended,omitempty"`
	// dynamicScalingOutSuspended: scale-out by target tracking and step
	// scaling policies is suspended.
	// +optional
	DynamicScalingOutSuspended bool `json:"dynamicScalingOutSuspended,omitempty"`
	// scheduledScalingSuspended: scheduled actions do not run.
	// +optional
	ScheduledScalingSuspended bool `json:"scheduledScalingSuspended,omitempty"`
}

// PredefinedMetricSpecification is a predefined metric of a target
// tracking policy.
// +kubebuilder:validation:XValidation:rule=`self.predefinedMetricType == 'ALBRequestCountPerTarget' ? has(self.resourceLabel) : !has(self.resourceLabel)`,message="resourceLabel is required for the ALBRequestCountPerTarget metric type and invalid for the other metric types",fieldPath=".resourceLabel"
type PredefinedMetricSpecification struct {
	// predefinedMetricType: ECSServiceAverageCPUUtilization,
	// ECSServiceAverageMemoryUtilization or ALBRequestCountPerTarget.
	// +required
	PredefinedMetricType PredefinedMetricType `json:"predefinedMetricType"`
	// resourceLabel: for ALBRequestCountPerTarget,
	// app/<load-balancer-name>/<id>/targetgroup/<target-group-name>/<id>;
	// the target group names one of the service's loadBalancers.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1023
	// +kubebuilder:validation:Pattern=`^app/[^/]+/[^/]+/targetgroup/[^/]+/[^/]+$`
	ResourceLabel string `json:"resourceLabel,omitempty"`
}

// MetricDimension is a CloudWatch metric dimension.
type MetricDimension struct {
	// name: the dimension's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`
	// value: the dimension's value.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Value string `json:"value"`
}

// CustomizedMetricSpecification is a metric of the user's choosing for a
// target tracking policy. Berth reads it from the Kubernetes external
// metrics API (docs/autoscaling.md); metric math (metrics) is refused.
// +kubebuilder:validation:XValidation:rule=`!has(self.metrics)`,message="metric math (metrics) is not supported by Berth: use metricName, namespace, dimensions and statistic",fieldPath=".metrics"
type CustomizedMetricSpecification struct {
	// metricName: the metric's name; the external metric's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	MetricName string `json:"metricName"`
	// namespace: the metric's namespace. AWS/ECS with CPUUtilization or
	// MemoryUtilization is read as the predefined metric of the same name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Namespace string `json:"namespace"`
	// dimensions: the metric's dimensions; they become the external
	// metric's label selector.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=30
	Dimensions []MetricDimension `json:"dimensions,omitempty"`
	// statistic: the statistic of the metric. Only Average is honoured
	// for external metrics (the external metrics API has no statistics).
	// +optional
	Statistic MetricStatistic `json:"statistic,omitempty"`
	// unit: the metric's unit; stored, not used.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Unit string `json:"unit,omitempty"`
	// metrics: metric math queries; refused.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:Type=object
	// +kubebuilder:validation:items:XPreserveUnknownFields
	Metrics []runtime.RawExtension `json:"metrics,omitempty"`
}

// TargetTrackingScalingPolicyConfiguration is a target tracking policy:
// keep the metric at targetValue.
// +kubebuilder:validation:XValidation:rule=`has(self.predefinedMetricSpecification) != has(self.customizedMetricSpecification)`,message="Specify either predefinedMetricSpecification or customizedMetricSpecification, but not both"
// +kubebuilder:validation:XValidation:rule=`!has(self.scaleOutCooldown) || self.scaleOutCooldown >= 0`,message="scaleOutCooldown must not be negative",fieldPath=".scaleOutCooldown"
// +kubebuilder:validation:XValidation:rule=`!has(self.scaleInCooldown) || (self.scaleInCooldown >= 0 && self.scaleInCooldown <= 3600)`,message="scaleInCooldown must be between 0 and 3600 seconds",fieldPath=".scaleInCooldown"
// +kubebuilder:validation:XValidation:rule=`self.targetValue > 0.0`,message="targetValue must be greater than 0",fieldPath=".targetValue"
type TargetTrackingScalingPolicyConfiguration struct {
	// targetValue: the value the metric is kept at: a percentage for the
	// utilization metrics, requests per target per minute for
	// ALBRequestCountPerTarget.
	// +required
	TargetValue float64 `json:"targetValue"`
	// predefinedMetricSpecification: a predefined metric.
	// +optional
	PredefinedMetricSpecification *PredefinedMetricSpecification `json:"predefinedMetricSpecification,omitempty"`
	// customizedMetricSpecification: a metric of the user's choosing.
	// +optional
	CustomizedMetricSpecification *CustomizedMetricSpecification `json:"customizedMetricSpecification,omitempty"`
	// scaleOutCooldown: seconds to wait for a scale-out to take effect
	// (default 300). Berth approximates it (docs/autoscaling.md).
	// +optional
	ScaleOutCooldown *int32 `json:"scaleOutCooldown,omitempty"`
	// scaleInCooldown: seconds after a scale-in before another (default
	// 300): the HPA's scale-down stabilization window.
	// +optional
	ScaleInCooldown *int32 `json:"scaleInCooldown,omitempty"`
	// disableScaleIn: the policy never removes tasks.
	// +optional
	DisableScaleIn bool `json:"disableScaleIn,omitempty"`
}

// StepAdjustment is one step of a step scaling policy: the adjustment to
// make when the metric minus the alarm threshold lies in
// [metricIntervalLowerBound, metricIntervalUpperBound).
// +kubebuilder:validation:XValidation:rule=`!has(self.metricIntervalLowerBound) || !has(self.metricIntervalUpperBound) || self.metricIntervalUpperBound > self.metricIntervalLowerBound`,message="The upper bound must be greater than the lower bound",fieldPath=".metricIntervalUpperBound"
type StepAdjustment struct {
	// metricIntervalLowerBound: the lower bound of the difference between
	// the metric and the alarm threshold; unset is negative infinity.
	// +optional
	MetricIntervalLowerBound *float64 `json:"metricIntervalLowerBound,omitempty"`
	// metricIntervalUpperBound: the upper bound; unset is positive infinity.
	// +optional
	MetricIntervalUpperBound *float64 `json:"metricIntervalUpperBound,omitempty"`
	// scalingAdjustment: tasks to add (negative: remove), a percentage, or
	// the exact count, by the policy's adjustmentType.
	// +required
	ScalingAdjustment int32 `json:"scalingAdjustment"`
}

// StepScalingPolicyConfiguration is a step scaling policy: adjust capacity
// by steps when an alarm fires.
// +kubebuilder:validation:XValidation:rule=`!has(self.minAdjustmentMagnitude) || self.adjustmentType == 'PercentChangeInCapacity'`,message="minAdjustmentMagnitude is only valid with the PercentChangeInCapacity adjustment type",fieldPath=".minAdjustmentMagnitude"
// +kubebuilder:validation:XValidation:rule=`self.adjustmentType != 'ExactCapacity' || self.stepAdjustments.all(s, s.scalingAdjustment >= 0)`,message="For exact capacity, you must specify a non-negative scalingAdjustment",fieldPath=".stepAdjustments"
// +kubebuilder:validation:XValidation:rule=`self.stepAdjustments.filter(s, !has(s.metricIntervalLowerBound)).size() <= 1`,message="Only one step adjustment can have an unbounded (null) lower bound",fieldPath=".stepAdjustments"
// +kubebuilder:validation:XValidation:rule=`self.stepAdjustments.filter(s, !has(s.metricIntervalUpperBound)).size() <= 1`,message="Only one step adjustment can have an unbounded (null) upper bound",fieldPath=".stepAdjustments"
// +kubebuilder:validation:XValidation:rule=`!has(self.cooldown) || (self.cooldown >= 0 && self.cooldown <= 86400)`,message="cooldown must be between 0 and 86400 seconds",fieldPath=".cooldown"
type StepScalingPolicyConfiguration struct {
	// adjustmentType: ChangeInCapacity, PercentChangeInCapacity or
	// ExactCapacity.
	// +required
	AdjustmentType AdjustmentType `json:"adjustmentType"`
	// stepAdjustments: the steps, by how far the metric breaches the alarm
	// threshold. Their intervals must not overlap nor leave gaps.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=20
	StepAdjustments []StepAdjustment `json:"stepAdjustments"`
	// minAdjustmentMagnitude: the fewest tasks a PercentChangeInCapacity
	// step adds or removes.
	// +optional
	// +kubebuilder:validation:Minimum=1
	MinAdjustmentMagnitude *int32 `json:"minAdjustmentMagnitude,omitempty"`
	// cooldown: seconds to wait for a scaling activity to take effect
	// (default 300).
	// +optional
	Cooldown *int32 `json:"cooldown,omitempty"`
	// metricAggregationType: Average (default), Minimum or Maximum. Berth
	// evaluates the alarm's own statistic; this member is stored.
	// +optional
	MetricAggregationType MetricAggregationType `json:"metricAggregationType,omitempty"`
}

// StepPolicyAlarm is a step scaling policy's inline alarm. Its Go name was
// MetricAlarm until the MetricAlarm kind took the name; the doc comment
// below is the CRD's description, kept word for word so that the
// ScalableTarget schema does not change. Berth evaluates it with the
// evaluator MetricAlarm objects use (internal/alarms).

// MetricAlarm is a CloudWatch alarm (PutMetricAlarm's members) that runs a
// step scaling policy while it is in the ALARM state. Berth evaluates it
// itself on the service's CPU or memory utilization, read from the
// Kubernetes resource metrics API.
// +kubebuilder:validation:XValidation:rule=`self.period in [10, 20, 30] || (self.period >= 60 && self.period % 60 == 0 && self.period <= 86400)`,message="period must be 10, 20, 30 or a multiple of 60 seconds",fieldPath=".period"
// +kubebuilder:validation:XValidation:rule=`!has(self.datapointsToAlarm) || self.datapointsToAlarm <= self.evaluationPeriods`,message="datapointsToAlarm must be less than or equal to evaluationPeriods",fieldPath=".datapointsToAlarm"
// +kubebuilder:validation:XValidation:rule=`self.period * self.evaluationPeriods <= 86400`,message="period times evaluationPeriods must not exceed one day (86400 seconds)",fieldPath=".evaluationPeriods"
type StepPolicyAlarm struct {
	// alarmName: the alarm's name, unique within the policy.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	AlarmName string `json:"alarmName"`
	// namespace: AWS/ECS.
	// +required
	// +kubebuilder:validation:Enum=`AWS/ECS`
	Namespace string `json:"namespace"`
	// metricName: CPUUtilization or MemoryUtilization of the service.
	// +required
	// +kubebuilder:validation:Enum=CPUUtilization;MemoryUtilization
	MetricName string `json:"metricName"`
	// dimensions: ClusterName and ServiceName; when given they must name
	// the scalable target's service.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=2
	Dimensions []MetricDimension `json:"dimensions,omitempty"`
	// statistic: Average (total use over total reservation), Minimum or
	// Maximum (over the tasks), SampleCount (tasks reporting) or Sum (of
	// the tasks' utilizations).
	// +required
	Statistic MetricStatistic `json:"statistic"`
	// period: seconds per datapoint: 10, 20, 30 or a multiple of 60.
	// +required
	Period int32 `json:"period"`
	// evaluationPeriods: the datapoints the alarm looks at.
	// +required
	// +kubebuilder:validation:Minimum=1
	EvaluationPeriods int32 `json:"evaluationPeriods"`
	// datapointsToAlarm: how many of them must breach (default
	// evaluationPeriods).
	// +optional
	// +kubebuilder:validation:Minimum=1
	DatapointsToAlarm *int32 `json:"datapointsToAlarm,omitempty"`
	// threshold: the value the statistic is compared with.
	// +required
	Threshold float64 `json:"threshold"`
	// comparisonOperator: how the statistic is compared with the threshold.
	// +required
	ComparisonOperator ComparisonOperator `json:"comparisonOperator"`
	// treatMissingData: missing (default), notBreaching, breaching or
	// ignore.
	// +optional
	TreatMissingData TreatMissingData `json:"treatMissingData,omitempty"`
}

// ScalingPolicy is PutScalingPolicy's input without the scalable target's
// identity (the policy's ScalableTarget supplies it), plus the alarms that
// run a step scaling policy.
// +kubebuilder:validation:XValidation:rule=`self.policyType != 'PredictiveScaling'`,message="PredictiveScaling policies are not supported by Berth",fieldPath=".policyType"
// +kubebuilder:validation:XValidation:rule=`self.policyType != 'TargetTrackingScaling' || (has(self.targetTrackingScalingPolicyConfiguration) && !has(self.stepScalingPolicyConfiguration) && !has(self.alarms))`,message="A TargetTrackingScaling policy needs targetTrackingScalingPolicyConfiguration, and neither stepScalingPolicyConfiguration nor alarms"
// +kubebuilder:validation:XValidation:rule=`self.policyType != 'StepScaling' || (has(self.stepScalingPolicyConfiguration) && !has(self.targetTrackingScalingPolicyConfiguration) && has(self.alarms) && size(self.alarms) > 0)`,message="A StepScaling policy needs stepScalingPolicyConfiguration and at least one alarm, and no targetTrackingScalingPolicyConfiguration"
type ScalingPolicy struct {
	// policyName: the policy's name, unique within the scalable target.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[\x20-\x7e]+$`
	PolicyName string `json:"policyName"`
	// policyType: TargetTrackingScaling or StepScaling.
	// +required
	PolicyType PolicyType `json:"policyType"`
	// targetTrackingScalingPolicyConfiguration: for TargetTrackingScaling.
	// +optional
	TargetTrackingScalingPolicyConfiguration *TargetTrackingScalingPolicyConfiguration `json:"targetTrackingScalingPolicyConfiguration,omitempty"`
	// stepScalingPolicyConfiguration: for StepScaling.
	// +optional
	StepScalingPolicyConfiguration *StepScalingPolicyConfiguration `json:"stepScalingPolicyConfiguration,omitempty"`
	// alarms: for StepScaling, the CloudWatch alarms whose ALARM state runs
	// the policy (Berth: in AWS they are separate resources whose
	// AlarmActions name the policy).
	// +optional
	// +listType=map
	// +listMapKey=alarmName
	// +kubebuilder:validation:MaxItems=5
	Alarms []StepPolicyAlarm `json:"alarms,omitempty"`
}

// ScalableTargetAction is the capacity range a scheduled action sets.
// +kubebuilder:validation:XValidation:rule=`has(self.minCapacity) || has(self.maxCapacity)`,message="Specify minCapacity, maxCapacity or both"
// +kubebuilder:validation:XValidation:rule=`!has(self.minCapacity) || !has(self.maxCapacity) || self.minCapacity <= self.maxCapacity`,message="Maximum capacity cannot be less than minimum capacity",fieldPath=".maxCapacity"
type ScalableTargetAction struct {
	// minCapacity: the new minimum capacity.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MinCapacity *int32 `json:"minCapacity,omitempty"`
	// maxCapacity: the new maximum capacity.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxCapacity *int32 `json:"maxCapacity,omitempty"`
}

// ScheduledAction is PutScheduledAction's input without the scalable
// target's identity.
// +kubebuilder:validation:XValidation:rule=`self.schedule.matches('^at\\(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\)$') || self.schedule.matches('^rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)$') || self.schedule.matches('^cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)$')`,message="schedule must be at(yyyy-mm-ddThh:mm:ss), rate(value unit) with unit minute(s), hour(s) or day(s), or cron(Minutes Hours Day-of-month Month Day-of-week Year)",fieldPath=".schedule"
// +kubebuilder:validation:XValidation:rule=`!has(self.startTime) || !has(self.endTime) || self.startTime < self.endTime`,message="endTime must be after startTime",fieldPath=".endTime"
type ScheduledAction struct {
	// scheduledActionName: the action's name, unique within the scalable
	// target.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[^\x00-\x1f\x7f:/|]+$`
	ScheduledActionName string `json:"scheduledActionName"`
	// schedule: at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields):
	// six fields, Minutes Hours Day-of-month Month Day-of-week Year.
	// +required
	// +kubebuilder:validation:MaxLength=1600
	Schedule string `json:"schedule"`
	// timezone: the IANA time zone of at() and cron() (default UTC).
	// +optional
	// +kubebuilder:validation:MaxLength=1600
	Timezone string `json:"timezone,omitempty"`
	// startTime: the action does not run before it.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// endTime: the action does not run after it.
	// +optional
	EndTime *metav1.Time `json:"endTime,omitempty"`
	// scalableTargetAction: the minimum and maximum capacity to set.
	// +required
	ScalableTargetAction ScalableTargetAction `json:"scalableTargetAction"`
}

// ScalableTargetSpec is RegisterScalableTarget's input for an ECS service,
// with the target's scaling policies and scheduled actions.
// +kubebuilder:validation:XValidation:rule=`self.minCapacity <= self.maxCapacity`,message="Maximum capacity cannot be less than minimum capacity",fieldPath=".maxCapacity"
// +kubebuilder:validation:XValidation:rule=`self.resourceId.matches('^service/[a-zA-Z0-9_-]{1,255}/[a-zA-Z0-9_-]{1,255}$')`,message="resourceId must be service/<cluster-name>/<service-name>: Berth scales the desired count of ECS services",fieldPath=".resourceId"
// +kubebuilder:validation:XValidation:rule=`self.resourceId == oldSelf.resourceId`,message="resourceId cannot be changed: register a new scalable target",fieldPath=".resourceId"
type ScalableTargetSpec struct {
	// serviceNamespace: ecs (default).
	// +optional
	// +kubebuilder:validation:Enum=ecs
	ServiceNamespace string `json:"serviceNamespace,omitempty"`
	// resourceId: service/<cluster>/<service>: the ECS service, in this
	// namespace, whose desiredCount is scaled.
	// +required
	// +kubebuilder:validation:MaxLength=1600
	ResourceID string `json:"resourceId"`
	// scalableDimension: ecs:service:DesiredCount (default).
	// +optional
	ScalableDimension ScalableDimension `json:"scalableDimension,omitempty"`
	// minCapacity: the fewest tasks scaling leaves.
	// +required
	// +kubebuilder:validation:Minimum=0
	MinCapacity int32 `json:"minCapacity"`
	// maxCapacity: the most tasks scaling starts.
	// +required
	// +kubebuilder:validation:Minimum=0
	MaxCapacity int32 `json:"maxCapacity"`
	// suspendedState: which scaling activities are suspended.
	// +optional
	SuspendedState *SuspendedState `json:"suspendedState,omitempty"`
	// roleARN: stored; Berth scales with its own RBAC, so it has no effect.
	// +optional
	// +kubebuilder:validation:MaxLength=1600
	RoleARN string `json:"roleARN,omitempty"`
	// scalingPolicies: the target's scaling policies (PutScalingPolicy).
	// +optional
	// +listType=map
	// +listMapKey=policyName
	// +kubebuilder:validation:MaxItems=50
	ScalingPolicies []ScalingPolicy `json:"scalingPolicies,omitempty"`
	// scheduledActions: the target's scheduled actions (PutScheduledAction).
	// +optional
	// +listType=map
	// +listMapKey=scheduledActionName
	// +kubebuilder:validation:MaxItems=200
	ScheduledActions []ScheduledAction `json:"scheduledActions,omitempty"`
}

// AlarmStatus is an alarm's state, as DescribeAlarms shows it.
type AlarmStatus struct {
	// alarmName: the alarm.
	// +required
	// +kubebuilder:validation:MaxLength=255
	AlarmName string `json:"alarmName"`
	// stateValue: OK, ALARM or INSUFFICIENT_DATA.
	// +required
	StateValue AlarmState `json:"stateValue"`
	// stateReason: why, in CloudWatch's words, with the datapoints.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	StateReason string `json:"stateReason,omitempty"`
	// stateUpdatedTimestamp: when the state last changed.
	// +optional
	StateUpdatedTimestamp *metav1.Time `json:"stateUpdatedTimestamp,omitempty"`
}

// ScalingPolicyStatus is what Berth keeps of a scaling policy.
type ScalingPolicyStatus struct {
	// policyName: the policy.
	// +required
	// +kubebuilder:validation:MaxLength=256
	PolicyName string `json:"policyName"`
	// alarms: the states of a step scaling policy's alarms.
	// +optional
	// +listType=map
	// +listMapKey=alarmName
	// +kubebuilder:validation:MaxItems=5
	Alarms []AlarmStatus `json:"alarms,omitempty"`
	// lastScaleOutTime: when the policy last added tasks (its cooldown
	// starts there).
	// +optional
	LastScaleOutTime *metav1.Time `json:"lastScaleOutTime,omitempty"`
	// lastScaleOutFrom: the desired count before that scale-out: during the
	// cooldown, the tasks it added count towards the next scale-out.
	// +optional
	LastScaleOutFrom *int32 `json:"lastScaleOutFrom,omitempty"`
	// lastScaleInTime: when the policy last removed tasks.
	// +optional
	LastScaleInTime *metav1.Time `json:"lastScaleInTime,omitempty"`
}

// ScheduledActionStatus is what Berth keeps of a scheduled action.
type ScheduledActionStatus struct {
	// scheduledActionName: the action.
	// +required
	// +kubebuilder:validation:MaxLength=256
	ScheduledActionName string `json:"scheduledActionName"`
	// schedule: the schedule and time zone the times below belong to; a
	// new schedule starts afresh.
	// +optional
	// +kubebuilder:validation:MaxLength=3300
	Schedule string `json:"schedule,omitempty"`
	// since: when Berth first saw this schedule; rate() counts from it
	// when there is no startTime.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
	// lastRunTime: when the action last ran.
	// +optional
	LastRunTime *metav1.Time `json:"lastRunTime,omitempty"`
	// nextRunTime: when it runs next; unset when it never will.
	// +optional
	NextRunTime *metav1.Time `json:"nextRunTime,omitempty"`
}

// ScalingActivity is a scaling activity, as DescribeScalingActivities
// shows it.
type ScalingActivity struct {
	// activityId: the activity's identifier.
	// +required
	// +kubebuilder:validation:MaxLength=64
	ActivityID string `json:"activityId"`
	// description: what was done, e.g. "Setting desired count to 6.".
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description"`
	// cause: why, e.g. "monitor alarm ... in state ALARM triggered policy
	// cpu50".
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Cause string `json:"cause"`
	// startTime: when it started.
	// +required
	StartTime metav1.Time `json:"startTime"`
	// endTime: when it ended.
	// +optional
	EndTime *metav1.Time `json:"endTime,omitempty"`
	// statusCode: Successful, Failed or Unfulfilled.
	// +required
	StatusCode ScalingActivityStatusCode `json:"statusCode"`
	// statusMessage: the outcome in words.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	StatusMessage string `json:"statusMessage,omitempty"`
}

// ScalableTargetStatus is what DescribeScalableTargets,
// DescribeScalingPolicies, DescribeScheduledActions and
// DescribeScalingActivities show for the target, plus conditions.
type ScalableTargetStatus struct {
	// conditions: Ready (the service resolves and every policy and action
	// is in force), Reconciling and Stalled while true.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// observedGeneration: the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// minCapacity: the minimum capacity in force: spec.minCapacity, or
	// what a scheduled action set since the spec last changed.
	// +optional
	MinCapacity *int32 `json:"minCapacity,omitempty"`
	// maxCapacity: the maximum capacity in force.
	// +optional
	MaxCapacity *int32 `json:"maxCapacity,omitempty"`
	// registeredCapacity: the spec's minCapacity and maxCapacity when the
	// range in force was set: registering a new range (a spec with other
	// capacities) replaces what scheduled actions set; other spec edits
	// keep it.
	// +optional
	RegisteredCapacity *ScalableTargetAction `json:"registeredCapacity,omitempty"`
	// desiredCount: the service's desired count as last seen.
	// +optional
	DesiredCount *int32 `json:"desiredCount,omitempty"`
	// horizontalPodAutoscaler: the HPA that carries the target tracking
	// policies, when there are any.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	HorizontalPodAutoscaler string `json:"horizontalPodAutoscaler,omitempty"`
	// lastHPAScaleTime: the HPA scale Berth last recorded as an activity.
	// +optional
	LastHPAScaleTime *metav1.Time `json:"lastHPAScaleTime,omitempty"`
	// scalingPolicies: per policy, the alarm states and cooldowns.
	// +optional
	// +listType=map
	// +listMapKey=policyName
	// +kubebuilder:validation:MaxItems=50
	ScalingPolicies []ScalingPolicyStatus `json:"scalingPolicies,omitempty"`
	// scheduledActions: per action, its last and next run.
	// +optional
	// +listType=map
	// +listMapKey=scheduledActionName
	// +kubebuilder:validation:MaxItems=200
	ScheduledActions []ScheduledActionStatus `json:"scheduledActions,omitempty"`
	// scalingActivities: the latest scaling activities, newest first, at
	// most 20.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	ScalingActivities []ScalingActivity `json:"scalingActivities,omitempty"`
	// notes: how Berth approximates members it cannot honour exactly.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=512
	Notes []string `json:"notes,omitempty"`

	// fieldNotes: the members of the spec that Berth approximates or does
	// not support (docs/compatibility/register-scalable-target.md,
	// put-scaling-policy.md, put-scheduled-action.md), so that none is
	// dropped silently; summed up in the FullySupported condition.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	FieldNotes []FieldNote `json:"fieldNotes,omitempty"`
}

// ScalableTarget is an Application Auto Scaling scalable target for an ECS
// service's desiredCount, with its scaling policies and scheduled actions.
// Target tracking policies become a HorizontalPodAutoscaler on the
// Service's scale subresource; Berth runs step scaling and scheduled
// actions itself.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=st;scalabletarget,categories=ecs
// +kubebuilder:printcolumn:name="Resource",type=string,JSONPath=`.spec.resourceId`
// +kubebuilder:printcolumn:name="Min",type=integer,JSONPath=`.status.minCapacity`
// +kubebuilder:printcolumn:name="Max",type=integer,JSONPath=`.status.maxCapacity`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.desiredCount`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Activity",type=string,JSONPath=`.status.scalingActivities[0].description`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
type ScalableTarget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec: RegisterScalableTarget's input, with policies and actions.
	// +required
	Spec ScalableTargetSpec `json:"spec"`

	// status: the target as Application Auto Scaling describes it.
	// +optional
	Status ScalableTargetStatus `json:"status,omitempty"`
}

// ScalableTargetList is a list of ScalableTargets.
//
// +kubebuilder:object:root=true
type ScalableTargetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScalableTarget `json:"items"`
}
