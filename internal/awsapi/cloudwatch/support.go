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
		return Support{Unsupported, "alarms are not implemented"}
	case has("Dashboard"):
		return Support{Unsupported, "dashboards are not implemented"}
	case has("Tag", "Untag"):
		return Support{Unsupported, "alarms, dashboards and the other resources that take tags are not implemented"}
	}
	return Support{Unsupported, "a CloudWatch feature Berth does not implement"}
}
