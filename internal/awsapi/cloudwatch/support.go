package cloudwatch

import (
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/awsapi/support"
)

// Level is how far Berth serves an operation (internal/awsapi/support).
type Level = support.Level

// Support is one operation's level and what is missing or why.
type Support support.Support

// Levels of support.
const (
	Served      = support.Served
	Partial     = support.Partial
	Unsupported = support.Unsupported
)

// served are the operations Berth serves; SupportOf says why the others
// are not. docs/metrics.md's CloudWatch table is generated from SupportOf.
var served = map[string]Support{
	"ListMetrics":         {Partial, "the metrics ECS publishes (AWS/ECS, ECS/ContainerInsights) of the caller's namespace; OwningAccount and IncludeLinkedAccounts are ignored"},
	"GetMetricStatistics": {Partial, "Statistics over the last hour, in periods that are multiples of 60 s; no ExtendedStatistics (percentiles)"},
	"GetMetricData":       {Partial, "MetricStat queries (no metric math Expression), ScanBy, MaxDatapoints and NextToken; no percentiles; LabelOptions ignored"},
	"PutMetricAlarm": {Partial, "a MetricAlarm object in the caller's namespace, on a metric Berth publishes (refused otherwise); " +
		"no metric math, percentiles, anomaly detection or PromQL; actions are stored, not run (docs/alarms.md)"},
	"DescribeAlarms":          {Served, "metric alarms (Berth has no composite alarms): AlarmNames, AlarmNamePrefix, StateValue, ActionPrefix, MaxRecords and NextToken"},
	"DescribeAlarmsForMetric": {Served, "the caller's alarms on the metric, by namespace, name, dimensions, statistic, period and unit"},
	"DeleteAlarms":            {Served, "deletes the MetricAlarm objects; if any alarm does not exist, none is deleted"},
	"SetAlarmState":           {Served, "through the alarm's ecs.berth.dev/set-alarm-state annotations: the operator applies the state within a reconcile, and it holds until the next evaluation"},
}

// SupportOf says whether Berth serves op.
func SupportOf(op string) Support {
	if s, ok := served[op]; ok {
		return s
	}
	has := func(words ...string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(op, w) })
	}
	switch {
	case has("PutMetricData"):
		return Support{Unsupported, "custom metrics are not kept: Berth serves the metrics ECS publishes"}
	case has("MetricWidgetImage"):
		return Support{Unsupported, "graphs are not drawn"}
	case has("Alarm"):
		return Support{Unsupported, "composite alarms, alarm history, mute rules and contributors are not implemented, and Berth runs no alarm actions to enable: it evaluates metric alarms (docs/alarms.md)"}
	case has("Dashboard"):
		return Support{Unsupported, "dashboards are not implemented"}
	case has("Tag", "Untag"):
		return Support{Unsupported, "tags are not served: an alarm's tags are stored in its MetricAlarm's spec (use the object's labels); dashboards and the other resources that take tags are not implemented"}
	}
	return Support{Unsupported, "a CloudWatch feature Berth does not implement"}
}
