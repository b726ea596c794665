package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The types in this file mirror CloudWatch's API model
// (models/cloudwatch/service-2.json): a MetricAlarm's spec is
// PutMetricAlarm's input (PutMetricAlarmInput) with its members in lower
// camel case (AlarmName → alarmName, OKActions → okActions), and its status
// is what DescribeAlarms shows of the alarm (MetricAlarm's state members).
// docs/alarms.md explains what Berth evaluates and what it approximates.

// AlarmComparisonOperator is every comparison operator of PutMetricAlarm,
// the anomaly detection ones included (which Berth refuses with CloudWatch's
// message, since it evaluates no anomaly detection model).
// +kubebuilder:validation:Enum=GreaterThanOrEqualToThreshold;GreaterThanThreshold;LessThanThreshold;LessThanOrEqualToThreshold;LessThanLowerOrGreaterThanUpperThreshold;LessThanLowerThreshold;GreaterThanUpperThreshold
type AlarmComparisonOperator string

// The anomaly detection operators (the static ones are ComparisonOperator's
// values).
const (
	LessThanLowerOrGreaterThanUpperThreshold AlarmComparisonOperator = "LessThanLowerOrGreaterThanUpperThreshold"
	LessThanLowerThreshold                   AlarmComparisonOperator = "LessThanLowerThreshold"
	GreaterThanUpperThreshold                AlarmComparisonOperator = "GreaterThanUpperThreshold"
)

// StandardUnit is a CloudWatch unit.
// +kubebuilder:validation:Enum=Seconds;Microseconds;Milliseconds;Bytes;Kilobytes;Megabytes;Gigabytes;Terabytes;Bits;Kilobits;Megabits;Gigabits;Terabits;Percent;Count;`Bytes/Second`;`Kilobytes/Second`;`Megabytes/Second`;`Gigabytes/Second`;`Terabytes/Second`;`Bits/Second`;`Kilobits/Second`;`Megabits/Second`;`Gigabits/Second`;`Terabits/Second`;`Count/Second`;None
type StandardUnit string

// AlarmMetric is a metric: its namespace, name and dimensions.
type AlarmMetric struct {
	// namespace: the metric's namespace (AWS/ECS or ECS/ContainerInsights
	// for the metrics Berth publishes).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[^:].*$`
	Namespace string `json:"namespace,omitempty"`
	// metricName: the metric's name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	MetricName string `json:"metricName,omitempty"`
	// dimensions: the metric's dimensions.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=30
	Dimensions []MetricDimension `json:"dimensions,omitempty"`
}

// AlarmMetricStat is a metric with the period and statistic an alarm
// evaluates it with.
// +kubebuilder:validation:XValidation:rule=`self.period in [10, 20, 30] || self.period % 60 == 0`,message="Period must be 10, 20, 30 or a multiple of 60",fieldPath=".period"
// +kubebuilder:validation:XValidation:rule=`self.stat in ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']`,message="Berth evaluates the statistics SampleCount, Average, Sum, Minimum and Maximum: extended statistics (percentiles, trimmed means) are not supported",fieldPath=".stat"
type AlarmMetricStat struct {
	// metric: the metric.
	// +required
	Metric AlarmMetric `json:"metric"`
	// period: seconds per datapoint: 10, 20, 30 or a multiple of 60.
	// +required
	// +kubebuilder:validation:Minimum=1
	Period int32 `json:"period"`
	// stat: the statistic: SampleCount, Average, Sum, Minimum or Maximum.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	Stat string `json:"stat"`
	// unit: only datapoints in this unit count (a metric Berth publishes
	// has one unit).
	// +optional
	Unit StandardUnit `json:"unit,omitempty"`
}

// AlarmMetricDataQuery is one query of an alarm's metrics (a
// MetricDataQuery). Berth evaluates metricStat queries; metric math and
// Metrics Insights expressions are refused.
// +kubebuilder:validation:XValidation:rule=`has(self.metricStat) && !has(self.expression)`,message="Berth evaluates metrics queries that are a metricStat: metric math and Metrics Insights expressions are not supported",fieldPath=".expression"
type AlarmMetricDataQuery struct {
	// id: the query's identifier: a lowercase letter, then letters, digits
	// and underscores.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-z][a-zA-Z0-9_]*$`
	ID string `json:"id"`
	// metricStat: the metric, period and statistic.
	// +optional
	MetricStat *AlarmMetricStat `json:"metricStat,omitempty"`
	// expression: a metric math expression; refused.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Expression string `json:"expression,omitempty"`
	// label: a name for the query's data; stored.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Label string `json:"label,omitempty"`
	// returnData: whether the alarm watches this query (default true);
	// exactly one query returns data.
	// +optional
	ReturnData *bool `json:"returnData,omitempty"`
	// period: the period of an expression; stored (metricStat has its own).
	// +optional
	// +kubebuilder:validation:Minimum=1
	Period *int32 `json:"period,omitempty"`
	// accountId: the account the metric belongs to; stored (Berth's
	// metrics are the alarm's namespace's).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	AccountID string `json:"accountId,omitempty"`
}

// AlarmPromQLCriteria is a PromQL alarm's query; Berth refuses it.
type AlarmPromQLCriteria struct {
	// query: the PromQL query.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=10000
	Query string `json:"query"`
	// pendingPeriod: seconds a contributor breaches before ALARM.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	PendingPeriod *int32 `json:"pendingPeriod,omitempty"`
	// recoveryPeriod: seconds a contributor does not breach before OK.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	RecoveryPeriod *int32 `json:"recoveryPeriod,omitempty"`
}

// AlarmEvaluationCriteria is a PromQL alarm's criteria; Berth refuses it.
type AlarmEvaluationCriteria struct {
	// promQLCriteria: the PromQL query and its periods.
	// +optional
	PromQLCriteria *AlarmPromQLCriteria `json:"promQLCriteria,omitempty"`
}

// MetricAlarmSpec is PutMetricAlarm's input. The rules below are
// CloudWatch's own, with its messages where it has one; docs/alarms.md
// lists them.
// +kubebuilder:validation:XValidation:rule=`!has(self.evaluationCriteria)`,message="Berth does not evaluate PromQL alarms: give metricName or metrics instead of evaluationCriteria",fieldPath=".evaluationCriteria"
// +kubebuilder:validation:XValidation:rule=`!has(self.evaluationInterval)`,message="evaluationInterval is for PromQL alarms (evaluationCriteria), which Berth does not evaluate: a metric alarm is evaluated once per period",fieldPath=".evaluationInterval"
// +kubebuilder:validation:XValidation:rule=`has(self.evaluationPeriods)`,message="The parameter EvaluationPeriods is required.",fieldPath=".evaluationPeriods"
// +kubebuilder:validation:XValidation:rule=`has(self.comparisonOperator)`,message="The parameter ComparisonOperator is required.",fieldPath=".comparisonOperator"
// +kubebuilder:validation:XValidation:rule=`has(self.metricName) || has(self.metrics)`,message="MetricName must not be null",fieldPath=".metricName"
// +kubebuilder:validation:XValidation:rule=`!has(self.metrics) || !has(self.metricName)`,message="MetricName should not be set if list of Metrics is set.",fieldPath=".metricName"
// +kubebuilder:validation:XValidation:rule=`!has(self.metrics) || !has(self.statistic)`,message="Statistic should not be set if list of Metrics is set.",fieldPath=".statistic"
// +kubebuilder:validation:XValidation:rule=`!has(self.metrics) || !(has(self.namespace) || has(self.dimensions) || has(self.period) || has(self.unit) || has(self.extendedStatistic))`,message="Namespace, Dimensions, Period, Unit and ExtendedStatistic should not be set if list of Metrics is set.",fieldPath=".metrics"
// +kubebuilder:validation:XValidation:rule=`!has(self.metrics) || self.metrics.filter(q, !has(q.returnData) || q.returnData).size() == 1`,message="Exactly one element of the metrics list should return data.",fieldPath=".metrics"
// +kubebuilder:validation:XValidation:rule=`!has(self.metricName) || has(self.metrics) || has(self.namespace)`,message="Namespace must not be null",fieldPath=".namespace"
// +kubebuilder:validation:XValidation:rule=`!has(self.metricName) || has(self.metrics) || has(self.period)`,message="Period must not be null",fieldPath=".period"
// +kubebuilder:validation:XValidation:rule=`!has(self.metricName) || has(self.metrics) || has(self.statistic) || has(self.extendedStatistic)`,message="Statistic or ExtendedStatistic must be specified",fieldPath=".statistic"
// +kubebuilder:validation:XValidation:rule=`!has(self.statistic) || !has(self.extendedStatistic)`,message="Statistic and ExtendedStatistic cannot both be specified",fieldPath=".extendedStatistic"
// +kubebuilder:validation:XValidation:rule=`!has(self.extendedStatistic)`,message="Berth evaluates the statistics SampleCount, Average, Sum, Minimum and Maximum: extended statistics (percentiles, trimmed means) are not supported",fieldPath=".extendedStatistic"
// +kubebuilder:validation:XValidation:rule=`!has(self.evaluateLowSampleCountPercentile) || has(self.extendedStatistic)`,message="evaluateLowSampleCountPercentile applies to percentile statistics (extendedStatistic) only",fieldPath=".evaluateLowSampleCountPercentile"
// +kubebuilder:validation:XValidation:rule=`!has(self.period) || self.period in [10, 20, 30] || self.period % 60 == 0`,message="Period must be 10, 20, 30 or a multiple of 60",fieldPath=".period"
// +kubebuilder:validation:XValidation:rule=`!has(self.evaluationPeriods) || ((!has(self.period) || self.period * self.evaluationPeriods <= 86400) && (!has(self.metrics) || self.metrics.all(q, !has(q.metricStat) || q.metricStat.period * self.evaluationPeriods <= 86400)))`,message="Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)",fieldPath=".evaluationPeriods"
// +kubebuilder:validation:XValidation:rule=`!has(self.datapointsToAlarm) || !has(self.evaluationPeriods) || self.datapointsToAlarm <= self.evaluationPeriods`,message="DatapointsToAlarm must be less than or equal to EvaluationPeriods",fieldPath=".datapointsToAlarm"
// +kubebuilder:validation:XValidation:rule=`!has(self.comparisonOperator) || !(self.comparisonOperator in ['LessThanLowerOrGreaterThanUpperThreshold', 'LessThanLowerThreshold', 'GreaterThanUpperThreshold']) || has(self.thresholdMetricId)`,message="ComparisonOperators for ranges require ThresholdMetricId to be set",fieldPath=".comparisonOperator"
// +kubebuilder:validation:XValidation:rule=`!has(self.thresholdMetricId) || (has(self.metrics) && self.metrics.exists_one(q, q.id == self.thresholdMetricId))`,message="Metrics list must contain exactly one metric matching the ThresholdMetricId parameter",fieldPath=".thresholdMetricId"
// +kubebuilder:validation:XValidation:rule=`!has(self.thresholdMetricId)`,message="Berth does not evaluate anomaly detection models: thresholdMetricId (an ANOMALY_DETECTION_BAND) is not supported; give a threshold",fieldPath=".thresholdMetricId"
// +kubebuilder:validation:XValidation:rule=`has(self.threshold) || has(self.thresholdMetricId) || has(self.evaluationCriteria)`,message="Threshold must not be null",fieldPath=".threshold"
type MetricAlarmSpec struct {
	// alarmName: the alarm's name, unique in the namespace (the account);
	// default metadata.name. Other objects (a Service's
	// deploymentConfiguration.alarms) name the alarm by it.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[^\x00-\x1f\x7f]+$`
	AlarmName string `json:"alarmName,omitempty"`
	// alarmDescription: the alarm's description.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	AlarmDescription string `json:"alarmDescription,omitempty"`
	// actionsEnabled: whether the actions run on state changes (default
	// true). Stored: Berth runs no alarm actions.
	// +optional
	ActionsEnabled *bool `json:"actionsEnabled,omitempty"`
	// okActions: ARNs to notify on a change to OK. Stored: Berth runs no SNS,
	// Lambda, Auto Scaling or EC2 actions (status.fieldNotes says so).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=1024
	OKActions []string `json:"okActions,omitempty"`
	// alarmActions: ARNs to notify on a change to ALARM. Stored, as
	// okActions.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=1024
	AlarmActions []string `json:"alarmActions,omitempty"`
	// insufficientDataActions: ARNs to notify on a change to
	// INSUFFICIENT_DATA. Stored, as okActions.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=1024
	InsufficientDataActions []string `json:"insufficientDataActions,omitempty"`
	// metricName: the metric's name, e.g. CPUUtilization (AWS/ECS) or
	// RunningTaskCount (ECS/ContainerInsights).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	MetricName string `json:"metricName,omitempty"`
	// namespace: the metric's namespace: AWS/ECS or ECS/ContainerInsights.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[^:].*$`
	Namespace string `json:"namespace,omitempty"`
	// statistic: SampleCount, Average, Sum, Minimum or Maximum.
	// +optional
	Statistic MetricStatistic `json:"statistic,omitempty"`
	// extendedStatistic: a percentile (p90) or other extended statistic;
	// refused.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ExtendedStatistic string `json:"extendedStatistic,omitempty"`
	// dimensions: the metric's dimensions: ClusterName and ServiceName (a
	// service's metric) or ClusterName alone (the cluster's).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=30
	Dimensions []MetricDimension `json:"dimensions,omitempty"`
	// period: seconds per datapoint: 10, 20, 30 or a multiple of 60.
	// +optional
	// +kubebuilder:validation:Minimum=1
	Period *int32 `json:"period,omitempty"`
	// unit: only datapoints in this unit count (a metric Berth publishes
	// has one unit).
	// +optional
	Unit StandardUnit `json:"unit,omitempty"`
	// evaluationPeriods: the datapoints the alarm looks at (the N of "M out
	// of N"). Required (the model leaves it optional for PromQL alarms,
	// which Berth refuses).
	// +optional
	// +kubebuilder:validation:Minimum=1
	EvaluationPeriods *int32 `json:"evaluationPeriods,omitempty"`
	// datapointsToAlarm: how many of them must breach (the M; default
	// evaluationPeriods).
	// +optional
	// +kubebuilder:validation:Minimum=1
	DatapointsToAlarm *int32 `json:"datapointsToAlarm,omitempty"`
	// threshold: the value the statistic is compared with.
	// +optional
	Threshold *float64 `json:"threshold,omitempty"`
	// comparisonOperator: how the statistic is compared with the threshold.
	// Required (as evaluationPeriods). The anomaly detection operators are
	// refused.
	// +optional
	ComparisonOperator AlarmComparisonOperator `json:"comparisonOperator,omitempty"`
	// treatMissingData: missing (default), notBreaching, breaching or
	// ignore.
	// +optional
	TreatMissingData TreatMissingData `json:"treatMissingData,omitempty"`
	// evaluateLowSampleCountPercentile: evaluate or ignore, for percentile
	// alarms only (which Berth refuses).
	// +optional
	// +kubebuilder:validation:Enum=evaluate;ignore
	EvaluateLowSampleCountPercentile string `json:"evaluateLowSampleCountPercentile,omitempty"`
	// metrics: the alarm's metric as a list of queries, one of which
	// returns data. Berth evaluates a metricStat query (the others are
	// ignored, as CloudWatch ignores queries no expression uses); metric
	// math is refused.
	// +optional
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:MaxItems=20
	Metrics []AlarmMetricDataQuery `json:"metrics,omitempty"`
	// tags: the alarm's tags. Stored (ListTagsForResource is not served).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`
	// thresholdMetricId: the ANOMALY_DETECTION_BAND query of an anomaly
	// detection alarm; refused.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	ThresholdMetricID string `json:"thresholdMetricId,omitempty"`
	// evaluationCriteria: a PromQL alarm's criteria; refused.
	// +optional
	EvaluationCriteria *AlarmEvaluationCriteria `json:"evaluationCriteria,omitempty"`
	// evaluationInterval: a PromQL alarm's evaluation frequency; refused.
	// +optional
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:validation:Maximum=3600
	EvaluationInterval *int32 `json:"evaluationInterval,omitempty"`
}

// MetricAlarmStatus is what DescribeAlarms shows of the alarm's state,
// plus conditions.
type MetricAlarmStatus struct {
	// conditions: Ready (the alarm is evaluated: its stateValue, ALARM
	// included, is its value and not a failure), Reconciling while it waits
	// for its first datapoint or for its metric's service, Stalled when the
	// spec must change, and FullySupported (False lists, in fieldNotes, the
	// members Berth stores without effect).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// observedGeneration: the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// alarmName: the alarm's name (spec.alarmName, else metadata.name).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	AlarmName string `json:"alarmName,omitempty"`
	// alarmArn: arn:aws:cloudwatch:<region>:<account>:alarm:<alarmName>.
	// +optional
	// +kubebuilder:validation:MaxLength=1600
	AlarmArn string `json:"alarmArn,omitempty"`
	// alarmConfigurationUpdatedTimestamp: when Berth first saw the spec's
	// current generation.
	// +optional
	AlarmConfigurationUpdatedTimestamp *metav1.Time `json:"alarmConfigurationUpdatedTimestamp,omitempty"`
	// stateValue: OK, ALARM or INSUFFICIENT_DATA.
	// +optional
	StateValue AlarmState `json:"stateValue,omitempty"`
	// stateReason: why, in CloudWatch's words ("Threshold Crossed: ...").
	// +optional
	// +kubebuilder:validation:MaxLength=1023
	StateReason string `json:"stateReason,omitempty"`
	// stateReasonData: the evaluation behind the state, as CloudWatch's
	// JSON (version, queryDate, statistic, period, recentDatapoints,
	// threshold, evaluatedDatapoints).
	// +optional
	// +kubebuilder:validation:MaxLength=4000
	StateReasonData string `json:"stateReasonData,omitempty"`
	// stateUpdatedTimestamp: when the state (value or reason) was last set.
	// +optional
	StateUpdatedTimestamp *metav1.Time `json:"stateUpdatedTimestamp,omitempty"`
	// stateTransitionedTimestamp: when stateValue last changed.
	// +optional
	StateTransitionedTimestamp *metav1.Time `json:"stateTransitionedTimestamp,omitempty"`
	// setAlarmState: a fingerprint of the ecs.berth.dev/set-alarm-state
	// annotations (SetAlarmState's declarative form) Berth last applied:
	// each distinct state, reason and time is applied once.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	SetAlarmState string `json:"setAlarmState,omitempty"`
	// fieldNotes: the members of the spec that Berth stores without effect
	// or approximates, so that none is dropped silently; summed up in the
	// FullySupported condition.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	FieldNotes []FieldNote `json:"fieldNotes,omitempty"`
}

// MetricAlarm is a CloudWatch metric alarm on a metric Berth publishes (a
// service's or cluster's CPU and memory utilization, its task counts),
// evaluated by Berth once per period. A Service's
// deploymentConfiguration.alarms names it by its alarmName.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=alarm;cwalarm,categories=ecs
// +kubebuilder:printcolumn:name="Alarm",type=string,JSONPath=`.status.alarmName`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.stateValue`
// +kubebuilder:printcolumn:name="Metric",type=string,JSONPath=`.spec.metricName`
// +kubebuilder:printcolumn:name="Threshold",type=number,JSONPath=`.spec.threshold`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.stateReason`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
type MetricAlarm struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec: PutMetricAlarm's input.
	// +required
	Spec MetricAlarmSpec `json:"spec"`

	// status: the alarm's state as DescribeAlarms shows it.
	// +optional
	Status MetricAlarmStatus `json:"status,omitempty"`
}

// MetricAlarmList is a list of MetricAlarms.
//
// +kubebuilder:object:root=true
type MetricAlarmList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []MetricAlarm `json:"items"`
}
