// Package cloudwatch serves the Amazon CloudWatch API (metrics and alarms)
// on the endpoint, in the protocols its clients speak: Smithy RPC v2 CBOR
// (the Go SDK v2 and the other SDKs that prefer it) and AWS JSON 1.0
// (botocore, so boto3 and the AWS CLI, which rank json before CBOR). The
// protocols are the endpoint's (internal/awsapi); this package holds the
// operations: ListMetrics, GetMetricStatistics and GetMetricData over the
// metrics ECS publishes (AWS/ECS's CPUUtilization and MemoryUtilization,
// ECS/ContainerInsights' counts), which the operator samples into an
// ecsmetrics.Store (Source); PutMetricAlarm, DescribeAlarms,
// DescribeAlarmsForMetric, DeleteAlarms and SetAlarmState over MetricAlarm
// objects, which the operator evaluates (docs/alarms.md); the others
// answer InvalidAction with the reason (SupportOf).
package cloudwatch

import (
	"slices"

	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/cwwire"
)

// Error types: the model's exceptions, by shape name (the AWS Query codes
// clients see come from cwwire.QueryErrors), and AWS Query's InvalidAction.
const (
	InvalidParameterValueException = "InvalidParameterValueException"
	InvalidNextToken               = "InvalidNextToken"
	// InvalidAction is the AWS Query common error of an action the
	// service does not have: the answer of an operation Berth does not
	// serve.
	InvalidAction = "InvalidAction"
)

// API is the CloudWatch API on the endpoint.
func API(h *cwwire.Handlers) awsapi.API {
	return awsapi.API{
		TargetPrefix: cwwire.TargetPrefix,
		SigningName:  cwwire.SigningName,
		JSONVersion:  cwwire.JSONVersion,
		RPCv2CBOR:    slices.Contains(cwwire.Protocols, "smithy-rpc-v2-cbor"),
		QueryErrors:  cwwire.QueryErrors,
		Handler:      h.Handler,
		Unsupported: func(op string) *awsjson.Error {
			return awsjson.Errorf(InvalidAction, "Berth does not serve %s: %s (docs/metrics.md)", op, SupportOf(op).Note)
		},
	}
}

// Options configure the handlers.
type Options struct {
	// Metrics are the recorded series (nil: none are kept, every list is
	// empty).
	Metrics Source
}

// New returns the CloudWatch handlers.
func New(o Options) *cwwire.Handlers {
	h := &handlers{src: o.Metrics}
	return &cwwire.Handlers{
		ListMetrics:             h.listMetrics,
		GetMetricStatistics:     h.getMetricStatistics,
		GetMetricData:           h.getMetricData,
		PutMetricAlarm:          h.putMetricAlarm,
		DescribeAlarms:          h.describeAlarms,
		DescribeAlarmsForMetric: h.describeAlarmsForMetric,
		DeleteAlarms:            h.deleteAlarms,
		SetAlarmState:           h.setAlarmState,
	}
}

func fail(typ, format string, args ...any) *awsjson.Error {
	return awsjson.Errorf(typ, format, args...)
}
