package awscbor_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	. "github.com/onsi/gomega"

	"github.com/berth-dev/berth/internal/awsapi/awscbor"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/cwwire"
)

// Bodies botocore 1.43's RpcV2CBORSerializer writes (serialize.py,
// CBORSerializer) for CloudWatch, as printed by
//
//	RpcV2CBORSerializer().serialize_to_request(params, model.operation_model(op))["body"].hex()
//
// Timestamps are tag 1 with integer seconds, doubles 8-byte floats.
const (
	// ListMetrics(Namespace="ECS/ContainerInsights", MetricName="CpuUtilized",
	// Dimensions=[{Name: ClusterName, Value: default}], RecentlyActive="PT3H",
	// IncludeLinkedAccounts=True).
	botoListMetrics = "a5694e616d657370616365754543532f436f6e7461696e6572496e7369676874736a4d65747269634e616d656b4370755574696c697a65646a44696d656e73696f6e7381a2644e616d656b436c75737465724e616d656556616c75656764656661756c746e526563656e746c79416374697665645054334875496e636c7564654c696e6b65644163636f756e7473f5"
	// GetMetricStatistics(Namespace="AWS/ECS", MetricName="CPUUtilization",
	// StartTime=2026-01-02T03:04:05Z, EndTime=2026-01-02T04:04:05Z, Period=60,
	// Statistics=[Average, Maximum], Dimensions=[{Name: ServiceName, Value: web}]).
	botoGetMetricStatistics = "a7694e616d657370616365674157532f4543536a4d65747269634e616d656e4350555574696c697a6174696f6e69537461727454696d65c11a695735a567456e6454696d65c11a695743b566506572696f64183c6a53746174697374696373826741766572616765674d6178696d756d6a44696d656e73696f6e7381a2644e616d656b536572766963654e616d656556616c756563776562"
	// PutMetricData(Namespace="App", MetricData=[{MetricName: Latency,
	// Timestamp: 2026-01-02T03:04:05Z, Value: 1.5, Values: [1.0, 2.5],
	// Counts: [3.0, 1.0], Unit: Milliseconds, StorageResolution: 1}]).
	botoPutMetricData = "a2694e616d657370616365634170706a4d65747269634461746181a76a4d65747269634e616d65674c6174656e63796954696d657374616d70c11a695735a56556616c7565fb3ff80000000000006656616c75657382fb3ff0000000000000fb400400000000000066436f756e747382fb4008000000000000fb3ff000000000000064556e69746c4d696c6c697365636f6e64737153746f726167655265736f6c7574696f6e01"
)

var jan2 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodesWhatBotocoreSends(t *testing.T) {
	g := NewWithT(t)

	var lm cwwire.ListMetricsInput
	g.Expect(awscbor.Unmarshal(unhex(t, botoListMetrics), &lm)).To(Succeed())
	g.Expect(lm.Namespace).To(Equal("ECS/ContainerInsights"))
	g.Expect(lm.MetricName).To(Equal("CpuUtilized"))
	g.Expect(lm.Dimensions).To(Equal([]cwwire.DimensionFilter{{Name: "ClusterName", Value: "default"}}))
	g.Expect(lm.RecentlyActive).To(Equal(cwwire.RecentlyActivePt3h))
	g.Expect(lm.IncludeLinkedAccounts).To(HaveValue(BeTrue()))

	var st cwwire.GetMetricStatisticsInput
	g.Expect(awscbor.Unmarshal(unhex(t, botoGetMetricStatistics), &st)).To(Succeed())
	g.Expect(st.StartTime.Time).To(Equal(jan2))
	g.Expect(st.EndTime.Time).To(Equal(jan2.Add(time.Hour)))
	g.Expect(st.Period).To(Equal(int32(60)))
	g.Expect(st.Statistics).To(Equal([]cwwire.Statistic{cwwire.StatisticAverage, cwwire.StatisticMaximum}))
	g.Expect(st.Dimensions).To(Equal([]cwwire.Dimension{{Name: "ServiceName", Value: "web"}}))

	var pm cwwire.PutMetricDataInput
	g.Expect(awscbor.Unmarshal(unhex(t, botoPutMetricData), &pm)).To(Succeed())
	g.Expect(pm.MetricData).To(HaveLen(1))
	d := pm.MetricData[0]
	g.Expect(d.Timestamp.Time).To(Equal(jan2))
	g.Expect(d.Value).To(HaveValue(Equal(1.5)))
	g.Expect(d.Values).To(Equal([]float64{1, 2.5}))
	g.Expect(d.Counts).To(Equal([]float64{3, 1}))
	g.Expect(d.Unit).To(Equal(cwwire.StandardUnitMilliseconds))
	g.Expect(d.StorageResolution).To(HaveValue(Equal(int32(1))))

	// botocore sends an input without members as an empty map, the Go
	// SDK may send no body at all.
	var empty cwwire.ListMetricsInput
	g.Expect(awscbor.Unmarshal([]byte{0xa0}, &empty)).To(Succeed())
	g.Expect(awscbor.Unmarshal(nil, &empty)).To(Succeed())
	g.Expect(empty).To(Equal(cwwire.ListMetricsInput{}))
}

// TestTimestampsInCBOR: tag 1 with integer or float seconds (the Go SDK
// writes 8-byte floats with milliseconds), an untagged number too; other
// tags are refused.
func TestTimestampsInCBOR(t *testing.T) {
	g := NewWithT(t)
	var ts awsjson.Timestamp
	g.Expect(cbor.Unmarshal(unhex(t, "c1fb41da55cd69500000"), &ts)).To(Succeed()) // 1(1767323045.25)
	g.Expect(ts.Time).To(Equal(jan2.Add(250 * time.Millisecond)))
	g.Expect(cbor.Unmarshal(unhex(t, "1a695735a5"), &ts)).To(Succeed()) // 1767323045
	g.Expect(ts.Time).To(Equal(jan2))
	g.Expect(cbor.Unmarshal(unhex(t, "c13a0001869f"), &ts)).To(Succeed()) // 1(-100000)
	g.Expect(ts.Time).To(Equal(time.Unix(-100000, 0).UTC()))
	g.Expect(cbor.Unmarshal(unhex(t, "c074323032362d30312d30325430333a30343a30355a"), &ts)).To(MatchError(ContainSubstring("tag 0")))
	g.Expect(cbor.Unmarshal(unhex(t, "c16161"), &ts)).To(MatchError(ContainSubstring("tag number 1")))

	whole, err := cbor.Marshal(awsjson.Timestamp{Time: jan2})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(hex.EncodeToString(whole)).To(Equal("c11a695735a5"))
	frac, err := cbor.Marshal(awsjson.Timestamp{Time: jan2.Add(250 * time.Millisecond)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(hex.EncodeToString(frac)).To(Equal("c1fb41da55cd69500000"))
}

func getMetricStatisticsOutput() *cwwire.GetMetricStatisticsOutput {
	return &cwwire.GetMetricStatisticsOutput{Label: "CPUUtilization", Datapoints: []cwwire.Datapoint{
		{Timestamp: awsjson.At(jan2), Average: new(12.5), Unit: cwwire.StandardUnitPercent},
		{Timestamp: awsjson.At(jan2.Add(time.Minute + 500*time.Millisecond)), Maximum: new(99.0), SampleCount: new(3.0)},
	}}
}

// TestEncodesResponses: members by their model names, absent ones left
// out, timestamps as tag 1; and back.
func TestEncodesResponses(t *testing.T) {
	g := NewWithT(t)
	out := getMetricStatisticsOutput()
	b, err := awscbor.Marshal(out)
	g.Expect(err).NotTo(HaveOccurred())
	var generic map[string]any
	g.Expect(cbor.Unmarshal(b, &generic)).To(Succeed())
	g.Expect(generic).To(HaveKeyWithValue("Label", "CPUUtilization"))
	points, _ := generic["Datapoints"].([]any)
	g.Expect(points).To(HaveLen(2))
	g.Expect(points[0]).To(HaveKeyWithValue("Average", 12.5))
	g.Expect(points[0]).To(HaveKeyWithValue("Unit", "Percent"))
	g.Expect(points[0]).NotTo(HaveKey("Maximum"))
	// Tag 1 with integer seconds, then with a float.
	g.Expect(bytes.Contains(b, unhex(t, "6954696d657374616d70c11a695735a5"))).To(BeTrue(), hex.EncodeToString(b))
	g.Expect(bytes.Contains(b, unhex(t, "6954696d657374616d70c1fb41da55cd78600000"))).To(BeTrue(), hex.EncodeToString(b))

	var back cwwire.GetMetricStatisticsOutput
	g.Expect(awscbor.Unmarshal(b, &back)).To(Succeed())
	g.Expect(back.Datapoints[1].Timestamp.Time).To(Equal(jan2.Add(time.Minute + 500*time.Millisecond)))
	g.Expect(back.Datapoints[1].SampleCount).To(HaveValue(Equal(3.0)))

	// An empty list is sent, a nil one left out (omitzero), as in JSON.
	b, err = awscbor.Marshal(&cwwire.ListMetricsOutput{Metrics: []cwwire.Metric{}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b).To(Equal([]byte("\xa1gMetrics\x80")))
	b, err = awscbor.Marshal(&cwwire.ListMetricsOutput{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b).To(Equal([]byte{0xa0}))
}

func TestMalformedRequests(t *testing.T) {
	g := NewWithT(t)
	var in cwwire.GetMetricStatisticsInput
	err := awscbor.Unmarshal([]byte{0xa1, 0x66}, &in)
	var e *awsjson.Error
	g.Expect(errors.As(err, &e)).To(BeTrue())
	g.Expect(e.Type).To(Equal(awsjson.Serialization))
	g.Expect(e.Message).To(HavePrefix("The request body is not valid CBOR"))
	// {"Period": "60"}
	err = awscbor.Unmarshal(unhex(t, "a166506572696f64623630"), &in)
	g.Expect(errors.As(err, &e)).To(BeTrue())
	g.Expect(e.Type).To(Equal(awsjson.Serialization))
	g.Expect(e.Message).To(ContainSubstring("Period"))
	// {"Namespace": "a", "Namespace": "b"}
	err = awscbor.Unmarshal(unhex(t, "a2694e616d65737061636561616"+"94e616d6573706163656162"), &in)
	g.Expect(errors.As(err, &e)).To(BeTrue())
	g.Expect(e.Message).To(ContainSubstring("duplicate"))
}

func TestErrorBody(t *testing.T) {
	g := NewWithT(t)
	var m map[string]any
	g.Expect(cbor.Unmarshal(awscbor.ErrorBody(&awsjson.Error{Type: "InvalidParameterValueException", Message: "no", Fields: map[string]any{"extra": int64(1)}}), &m)).To(Succeed())
	g.Expect(m).To(Equal(map[string]any{"__type": "InvalidParameterValueException", "message": "no", "extra": uint64(1)}))
}

func TestPath(t *testing.T) {
	g := NewWithT(t)
	svc, op, ok := awscbor.Path("/service/GraniteServiceVersion20100801/operation/ListMetrics")
	g.Expect([]any{svc, op, ok}).To(Equal([]any{"GraniteServiceVersion20100801", "ListMetrics", true}))
	svc, op, ok = awscbor.Path("/v1/service/com.amazonaws.cloudwatch.GraniteServiceVersion20100801/operation/ListMetrics")
	g.Expect([]any{svc, op, ok}).To(Equal([]any{"com.amazonaws.cloudwatch.GraniteServiceVersion20100801", "ListMetrics", true}))
	g.Expect(awscbor.ServiceIs(svc, "GraniteServiceVersion20100801")).To(BeTrue())
	g.Expect(awscbor.ServiceIs("XGraniteServiceVersion20100801", "GraniteServiceVersion20100801")).To(BeFalse())
	for _, p := range []string{"/", "/service/X/operation/", "/service/X", "/services/X/operation/Y", "/service//operation/Y"} {
		_, _, ok := awscbor.Path(p)
		g.Expect(ok).To(BeFalse(), p)
	}
}

// TestBotocoreReadsTheEncoding: botocore's own RpcV2CBORParser (the one
// boto3 uses when CloudWatch speaks CBOR) reads an encoded response, its
// timestamps included.
func TestBotocoreReadsTheEncoding(t *testing.T) {
	// python3 and botocore are on every machine of this project (the AWS
	// CLI's): a missing one fails here rather than passing unchecked.
	g := NewWithT(t)
	b, err := awscbor.Marshal(getMetricStatisticsOutput())
	g.Expect(err).NotTo(HaveOccurred())
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command("python3", filepath.Join(filepath.Dir(self), "testdata", "botocore_parse.py"), "cloudwatch", "GetMetricStatistics", hex.EncodeToString(b))
	raw, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(raw))
	var parsed struct {
		Label      string
		Datapoints []map[string]any
	}
	g.Expect(json.Unmarshal(raw, &parsed)).To(Succeed(), string(raw))
	g.Expect(parsed.Label).To(Equal("CPUUtilization"))
	g.Expect(parsed.Datapoints).To(HaveLen(2))
	g.Expect(parsed.Datapoints[0]).To(HaveKeyWithValue("Timestamp", "2026-01-02T03:04:05+00:00"))
	g.Expect(parsed.Datapoints[0]).To(HaveKeyWithValue("Average", 12.5))
	g.Expect(parsed.Datapoints[1]).To(HaveKeyWithValue("Timestamp", "2026-01-02T03:05:05.500000+00:00"))
	g.Expect(parsed.Datapoints[1]).To(HaveKeyWithValue("SampleCount", 3.0))
}
