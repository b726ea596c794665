package endpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	. "github.com/onsi/gomega"
)

func (a account) cloudwatch() *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{
		BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(a.id, a.secret, ""),
	})
}

// TestCloudWatchWithTheGoSDK: the Go SDK (v1.76 speaks Smithy RPC v2
// CBOR to CloudWatch) reaches the endpoint with a key; ListMetrics answers
// no metrics yet, an unsupported operation says so, and a modeled error
// comes with its AWS Query code.
func TestCloudWatchWithTheGoSDK(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "ivan", true)
	cw := a.cloudwatch()

	// The request went out in CBOR, and the answer came back in it.
	var protocol, contentType string
	seen := func(o *cloudwatch.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("seen", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					protocol = req.Header.Get("Smithy-Protocol") + " " + req.URL.Path
				}
				out, md, err := next.HandleDeserialize(ctx, in)
				if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
					contentType = resp.Header.Get("Content-Type")
				}
				return out, md, err
			}), middleware.After)
		})
	}
	out, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/ECS"), RecentlyActive: cwtypes.RecentlyActivePt3h,
		Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("ClusterName"), Value: aws.String("default")}}}, seen)
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(out.Metrics).To(BeEmpty())
	g.Expect(protocol).To(Equal("rpc-v2-cbor /service/GraniteServiceVersion20100801/operation/ListMetrics"))
	g.Expect(contentType).To(Equal("application/cbor"))

	_, err = cw.ListDashboards(ctx, &cloudwatch.ListDashboardsInput{})
	g.Expect(code(err)).To(HavePrefix("InvalidAction: Berth does not serve ListDashboards: dashboards are not implemented"))
	_, err = cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{RecentlyActive: "P1D"})
	var bad *cwtypes.InvalidParameterValueException
	g.Expect(errors.As(err, &bad)).To(BeTrue(), code(err))
	g.Expect(code(err)).To(HavePrefix("InvalidParameterValue: The parameter RecentlyActive must be PT3H"))

	// A key the endpoint does not know.
	stranger := account{id: "AKIANOBODY", secret: "x"}
	_, err = stranger.cloudwatch().ListMetrics(ctx, &cloudwatch.ListMetricsInput{})
	g.Expect(code(err)).To(HavePrefix("UnrecognizedClientException: "))
}

// TestCloudWatchWithBoto3: boto3 as installed (botocore ranks json before
// smithy-rpc-v2-cbor, so AWS JSON 1.0), then boto3 made to speak CBOR (the
// model's protocols narrowed to it through AWS_DATA_PATH): ListMetrics,
// DescribeAlarms and an unsupported call in each.
func TestCloudWatchWithBoto3(t *testing.T) {
	g := NewWithT(t)
	a := newAccount(t, "judy", true)
	cmd := exec.Command("python3", "testdata/cloudwatch_boto3.py", url)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+a.id, "AWS_SECRET_ACCESS_KEY="+a.secret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	raw, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(raw))
	var seen map[string]struct {
		Protocol     string
		ContentType  string
		Metrics      []any
		Alarms       []any
		Unsupported  string
		Message      string
		Invalid      string
		InvalidClass string
	}
	last := bytes.TrimSpace(raw)
	g.Expect(json.Unmarshal(last[bytes.LastIndexByte(last, '\n')+1:], &seen)).To(Succeed(), string(raw))
	g.Expect(seen).To(HaveLen(2))
	for protocol, contentType := range map[string]string{"json": "application/x-amz-json-1.0", "smithy-rpc-v2-cbor": "application/cbor"} {
		s := seen[protocol]
		g.Expect(s.Protocol).To(Equal(protocol))
		g.Expect(s.ContentType).To(Equal(contentType), protocol)
		g.Expect(s.Metrics).To(BeEmpty(), protocol)
		g.Expect(s.Unsupported).To(Equal("InvalidAction"), protocol)
		g.Expect(s.Alarms).To(BeEmpty(), protocol)
		g.Expect(s.Message).To(HavePrefix("Berth does not serve ListDashboards: "), protocol)
		g.Expect(s.Invalid).To(Equal("InvalidParameterValue"), protocol)
		g.Expect(s.InvalidClass).To(Equal("InvalidParameterValueException"), protocol)
	}
}

// TestAlarmsWithTheGoSDK: PutMetricAlarm creates a MetricAlarm the
// operator evaluates; the CRD's rules answer as CloudWatch's
// ValidationError; SetAlarmState puts the alarm in ALARM (the operator
// applies it); DescribeAlarms, DescribeAlarmsForMetric and DeleteAlarms
// see and remove it.
func TestAlarmsWithTheGoSDK(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "kate", true)
	cw := a.cloudwatch()
	dims := []cwtypes.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("default")}, {Name: aws.String("ServiceName"), Value: aws.String("web")}}
	put := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("web-running-low"), Namespace: aws.String("ECS/ContainerInsights"), MetricName: aws.String("RunningTaskCount"),
		Dimensions: dims, Statistic: cwtypes.StatisticMinimum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorLessThanThreshold,
	}
	_, err := cw.PutMetricAlarm(ctx, put)
	g.Expect(err).NotTo(HaveOccurred(), code(err))

	// The API server's rules, in CloudWatch's words.
	bad := *put
	bad.AlarmName, bad.Period = aws.String("bad"), aws.Int32(45)
	_, err = cw.PutMetricAlarm(ctx, &bad)
	g.Expect(code(err)).To(Equal("ValidationError: spec.period: Period must be 10, 20, 30 or a multiple of 60"))

	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"web-running-low"}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(out.MetricAlarms).To(HaveLen(1))
	g.Expect(aws.ToString(out.MetricAlarms[0].AlarmArn)).To(Equal("arn:aws:cloudwatch:us-east-1:000000000000:alarm:web-running-low"))
	g.Expect(out.MetricAlarms[0].StateValue).To(Equal(cwtypes.StateValueInsufficientData))

	_, err = cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("web-running-low"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("testing the rollback")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Eventually(func(g Gomega) {
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out.MetricAlarms).To(HaveLen(1))
		g.Expect(aws.ToString(out.MetricAlarms[0].StateReason)).To(Equal("testing the rollback"))
	}).Should(Succeed())

	forMetric, err := cw.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String("ECS/ContainerInsights"), MetricName: aws.String("RunningTaskCount")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(forMetric.MetricAlarms).To(HaveLen(1))

	_, err = cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: cwtypes.StateValueOk, StateReason: aws.String("x")})
	var notFound *cwtypes.ResourceNotFound
	g.Expect(errors.As(err, &notFound)).To(BeTrue(), code(err))
	_, err = cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"web-running-low"}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Eventually(func() ([]cwtypes.MetricAlarm, error) {
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		if err != nil {
			return nil, err
		}
		return out.MetricAlarms, nil
	}).Should(BeEmpty())
}
