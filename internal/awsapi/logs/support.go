package logs

import (
	"context"
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/awsapi/logswire"
	"github.com/berth-dev/berth/internal/awsapi/support"
	"github.com/berth-dev/berth/internal/logs/pattern"
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
// are not. docs/logs.md's table is generated from SupportOf.
var served = map[string]Support{
	"DescribeLogGroups":  {Partial, "the awslogs groups of the namespace's task definitions and tasks; logGroupClass STANDARD, no retention, storedBytes 0; accountIdentifiers are ignored"},
	"ListLogGroups":      {Partial, "as DescribeLogGroups; dataSources and fieldIndexNames are ignored"},
	"DescribeLogStreams": {Served, "one stream per container of each task whose pod exists (prefix/container/task-id): a task Berth stops keeps its pod, and its streams, for --stopped-task-ttl"},
	"GetLogEvents":       {Served, "the container's log with the kubelet's timestamps; tokens page forward and backward"},
	"FilterLogEvents":    {Served, "CloudWatch's filter pattern syntax (internal/logs/pattern); events interleaved in time order; unmask is ignored (no data protection)"},
	"TestMetricFilter":   {Partial, "matches; extractedValues are not filled in"},
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
	case has("Query", "Queries"):
		return Support{Unsupported, "CloudWatch Logs Insights queries are not implemented: use FilterLogEvents"}
	case op == "StartLiveTail":
		return Support{Unsupported, "an event stream: poll FilterLogEvents (or GetLogEvents with its forward token)"}
	case has("Delivery", "Deliveries", "Destination", "SubscriptionFilter", "Integration", "ExportTask", "ImportTask"):
		return Support{Unsupported, "the logs stay where Kubernetes keeps them: route them with a cluster log agent (docs/logs.md)"}
	case has("Anomal", "Transformer", "DataProtection", "IndexPolic", "FieldIndex", "LookupTable", "KmsKey", "AccountPolic", "ResourcePolic", "BearerToken", "MetricFilter", "ConfigurationTemplates", "LogFields", "LogGroupFields", "LogObject", "LogRecord", "AggregateLogGroup"):
		return Support{Unsupported, "a CloudWatch Logs feature Berth does not implement"}
	}
	return Support{Unsupported, "groups and streams follow task definitions and tasks, and events are the pods' output: they are not created, changed, tagged or deleted through this API"}
}

func (h *handlers) listLogGroups(ctx context.Context, in *logswire.ListLogGroupsRequest) (*logswire.ListLogGroupsResponse, error) {
	out, err := h.describeLogGroups(ctx, &logswire.DescribeLogGroupsRequest{LogGroupNamePattern: in.LogGroupNamePattern, NextToken: in.NextToken, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	res := &logswire.ListLogGroupsResponse{LogGroups: []logswire.LogGroupSummary{}, NextToken: out.NextToken}
	for _, g := range out.LogGroups {
		if in.LogGroupClass != "" && in.LogGroupClass != g.LogGroupClass {
			continue
		}
		res.LogGroups = append(res.LogGroups, logswire.LogGroupSummary{LogGroupName: g.LogGroupName, LogGroupArn: g.LogGroupArn, LogGroupClass: g.LogGroupClass})
	}
	return res, nil
}

func testMetricFilter(_ context.Context, in *logswire.TestMetricFilterRequest) (*logswire.TestMetricFilterResponse, error) {
	if len(in.LogEventMessages) == 0 || len(in.LogEventMessages) > 50 {
		return nil, fail(InvalidParameterException, "logEventMessages must have between 1 and 50 items.")
	}
	p, err := pattern.Parse(in.FilterPattern)
	if err != nil {
		return nil, fail(InvalidParameterException, "%v", err)
	}
	out := &logswire.TestMetricFilterResponse{Matches: []logswire.MetricFilterMatchRecord{}}
	for i, m := range in.LogEventMessages {
		if p.Match(m) {
			n := int64(i + 1)
			out.Matches = append(out.Matches, logswire.MetricFilterMatchRecord{EventNumber: &n, EventMessage: m, ExtractedValues: map[string]string{}})
		}
	}
	return out, nil
}
