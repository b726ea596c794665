// Package cloudwatch serves the Amazon CloudWatch API (metrics and alarms)
// on the endpoint, in the protocols its clients speak: Smithy RPC v2 CBOR
// (the Go SDK v2 and the other SDKs that prefer it) and AWS JSON 1.0
// (botocore, so boto3 and the AWS CLI, which rank json before CBOR). The
// protocols are the endpoint's (internal/awsapi); this package holds the
// operations. None serves real metrics yet: ListMetrics answers an empty
// list, so that clients and the plumbing can be checked end to end, and the
// others answer InvalidAction with the reason (SupportOf).
package cloudwatch

import (
	"context"
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
			return awsjson.Errorf(InvalidAction, "Berth does not serve %s: %s (docs/logs.md)", op, SupportOf(op).Note)
		},
	}
}

// Options configure the handlers.
type Options struct{}

// New returns the CloudWatch handlers.
func New(Options) *cwwire.Handlers {
	return &cwwire.Handlers{
		ListMetrics: listMetrics,
	}
}

func fail(typ, format string, args ...any) *awsjson.Error {
	return awsjson.Errorf(typ, format, args...)
}

// listMetrics answers no metrics: Berth keeps none yet. It checks its
// input as CloudWatch does, so that errors take the same way.
func listMetrics(_ context.Context, in *cwwire.ListMetricsInput) (*cwwire.ListMetricsOutput, error) {
	if in.RecentlyActive != "" && !in.RecentlyActive.Valid() {
		return nil, fail(InvalidParameterValueException, "The parameter RecentlyActive must be PT3H, not %q.", in.RecentlyActive)
	}
	if len(in.Dimensions) > 10 {
		return nil, fail(InvalidParameterValueException, "The collection Dimensions must not have more than 10 members.")
	}
	if in.NextToken != "" {
		// No list has a second page yet.
		return nil, fail(InvalidNextToken, "The token %q is not a token of this list.", in.NextToken)
	}
	return &cwwire.ListMetricsOutput{Metrics: []cwwire.Metric{}}, nil
}
