package v1alpha1

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/internal/testutil"
)

const cpuAlarm = `
alarmName: web-cpu-high
namespace: AWS/ECS
metricName: CPUUtilization
dimensions: [{name: ClusterName, value: default}, {name: ServiceName, value: web}]
statistic: Average
period: 60
evaluationPeriods: 3
datapointsToAlarm: 2
threshold: 70
comparisonOperator: GreaterThanThreshold
treatMissingData: notBreaching`

const queryAlarm = `
metrics:
- id: m1
  metricStat:
    metric:
      namespace: ECS/ContainerInsights
      metricName: RunningTaskCount
      dimensions: [{name: ClusterName, value: default}, {name: ServiceName, value: web}]
    period: 60
    stat: Minimum
evaluationPeriods: 1
threshold: 1
comparisonOperator: LessThanThreshold`

// TestValidationMetricAlarm: PutMetricAlarm's own checks, at admission,
// with the field path and CloudWatch's message where it has one, and
// Berth's refusals (metric math, percentiles, anomaly detection, PromQL)
// with the reason.
func TestValidationMetricAlarm(t *testing.T) {
	with := func(base string, lines ...string) string { return base + "\n" + strings.Join(lines, "\n") }
	without := func(base string, keys ...string) string {
		var out []string
		for _, l := range strings.Split(base, "\n") {
			keep := true
			for _, k := range keys {
				if strings.HasPrefix(l, k+":") {
					keep = false
				}
			}
			if keep {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	runCreateCases(t, "alarm", []createCase{
		{name: "valid", kind: "MetricAlarm", spec: cpuAlarm},
		{name: "valid metrics query", kind: "MetricAlarm", spec: queryAlarm},
		{name: "period", kind: "MetricAlarm", spec: with(without(cpuAlarm, "period"), "period: 45"), want: []cause{
			{"spec.period", rule("Period must be 10, 20, 30 or a multiple of 60")},
		}},
		{name: "datapoints to alarm", kind: "MetricAlarm", spec: with(without(cpuAlarm, "datapointsToAlarm"), "datapointsToAlarm: 4"), want: []cause{
			{"spec.datapointsToAlarm", rule("DatapointsToAlarm must be less than or equal to EvaluationPeriods")},
		}},
		{name: "more than a day", kind: "MetricAlarm", spec: with(without(cpuAlarm, "period", "evaluationPeriods", "datapointsToAlarm"), "period: 3600", "evaluationPeriods: 25"), want: []cause{
			{"spec.evaluationPeriods", rule("Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)")},
		}},
		{name: "anomaly operator", kind: "MetricAlarm", spec: with(without(cpuAlarm, "comparisonOperator"), "comparisonOperator: LessThanLowerOrGreaterThanUpperThreshold"), want: []cause{
			{"spec.comparisonOperator", rule("ComparisonOperators for ranges require ThresholdMetricId to be set")},
		}},
		{name: "anomaly detection band", kind: "MetricAlarm", spec: `
metrics:
- id: m1
  metricStat:
    metric: {namespace: AWS/ECS, metricName: CPUUtilization, dimensions: [{name: ClusterName, value: default}]}
    period: 60
    stat: Average
  returnData: true
- id: ad1
  expression: ANOMALY_DETECTION_BAND(m1, 2)
  returnData: true
evaluationPeriods: 1
thresholdMetricId: ad1
comparisonOperator: GreaterThanUpperThreshold`, want: []cause{
			{"spec.metrics", rule("Exactly one element of the metrics list should return data.")},
			{"spec.metrics[1].expression", rule("Berth evaluates metrics queries that are a metricStat: metric math and Metrics Insights expressions are not supported")},
			{"spec.thresholdMetricId", rule("Berth does not evaluate anomaly detection models: thresholdMetricId (an ANOMALY_DETECTION_BAND) is not supported; give a threshold")},
		}},
		{name: "metric name and metrics", kind: "MetricAlarm", spec: with(queryAlarm, "metricName: CPUUtilization", "statistic: Average", "period: 60"), want: []cause{
			{"spec.metricName", rule("MetricName should not be set if list of Metrics is set.")},
			{"spec.metrics", rule("Namespace, Dimensions, Period, Unit and ExtendedStatistic should not be set if list of Metrics is set.")},
			{"spec.statistic", rule("Statistic should not be set if list of Metrics is set.")},
		}},
		{name: "no metric", kind: "MetricAlarm", spec: `
evaluationPeriods: 1
threshold: 1
comparisonOperator: LessThanThreshold`, want: []cause{
			{"spec.metricName", rule("MetricName must not be null")},
		}},
		{name: "required members", kind: "MetricAlarm", spec: without(cpuAlarm, "evaluationPeriods", "datapointsToAlarm", "comparisonOperator", "period", "threshold"), want: []cause{
			{"spec.comparisonOperator", rule("The parameter ComparisonOperator is required.")},
			{"spec.evaluationPeriods", rule("The parameter EvaluationPeriods is required.")},
			{"spec.period", rule("Period must not be null")},
			{"spec.threshold", rule("Threshold must not be null")},
		}},
		{name: "percentile", kind: "MetricAlarm", spec: with(without(cpuAlarm, "statistic"), "extendedStatistic: p90", "evaluateLowSampleCountPercentile: ignore"), want: []cause{
			{"spec.extendedStatistic", rule("Berth evaluates the statistics SampleCount, Average, Sum, Minimum and Maximum: extended statistics (percentiles, trimmed means) are not supported")},
		}},
		{name: "statistic and extended statistic", kind: "MetricAlarm", spec: with(cpuAlarm, "extendedStatistic: p90"), want: []cause{
			{"spec.extendedStatistic", rule("Berth evaluates the statistics SampleCount, Average, Sum, Minimum and Maximum: extended statistics (percentiles, trimmed means) are not supported")},
			{"spec.extendedStatistic", rule("Statistic and ExtendedStatistic cannot both be specified")},
		}},
		{name: "low sample count without a percentile", kind: "MetricAlarm", spec: with(cpuAlarm, "evaluateLowSampleCountPercentile: evaluate"), want: []cause{
			{"spec.evaluateLowSampleCountPercentile", rule("evaluateLowSampleCountPercentile applies to percentile statistics (extendedStatistic) only")},
		}},
		{name: "query statistic", kind: "MetricAlarm", spec: strings.Replace(queryAlarm, "stat: Minimum", "stat: p99", 1), want: []cause{
			{"spec.metrics[0].metricStat.stat", rule("Berth evaluates the statistics SampleCount, Average, Sum, Minimum and Maximum: extended statistics (percentiles, trimmed means) are not supported")},
		}},
		{name: "no query returns data", kind: "MetricAlarm", spec: strings.Replace(queryAlarm, "    stat: Minimum", "    stat: Minimum\n  returnData: false", 1), want: []cause{
			{"spec.metrics", rule("Exactly one element of the metrics list should return data.")},
		}},
		{name: "PromQL", kind: "MetricAlarm", spec: `
evaluationCriteria: {promQLCriteria: {query: 'rate(http_requests_total[5m]) > 10'}}
evaluationInterval: 60`, want: []cause{
			{"spec.comparisonOperator", rule("The parameter ComparisonOperator is required.")},
			{"spec.evaluationCriteria", rule("Berth does not evaluate PromQL alarms: give metricName or metrics instead of evaluationCriteria")},
			{"spec.evaluationInterval", rule("evaluationInterval is for PromQL alarms (evaluationCriteria), which Berth does not evaluate: a metric alarm is evaluated once per period")},
			{"spec.evaluationPeriods", rule("The parameter EvaluationPeriods is required.")},
			{"spec.metricName", rule("MetricName must not be null")},
		}},
		{name: "metric without namespace or statistic", kind: "MetricAlarm", spec: without(cpuAlarm, "namespace", "statistic"), want: []cause{
			{"spec.namespace", rule("Namespace must not be null")},
			{"spec.statistic", rule("Statistic or ExtendedStatistic must be specified")},
		}},
		{name: "threshold metric id not in the metrics", kind: "MetricAlarm", spec: with(queryAlarm, "thresholdMetricId: band"), want: []cause{
			{"spec.thresholdMetricId", rule("Berth does not evaluate anomaly detection models: thresholdMetricId (an ANOMALY_DETECTION_BAND) is not supported; give a threshold")},
			{"spec.thresholdMetricId", rule("Metrics list must contain exactly one metric matching the ThresholdMetricId parameter")},
		}},
		{name: "query period", kind: "MetricAlarm", spec: strings.Replace(queryAlarm, "    period: 60", "    period: 45", 1), want: []cause{
			{"spec.metrics[0].metricStat.period", rule("Period must be 10, 20, 30 or a multiple of 60")},
		}},
		{name: "control character in the name", kind: "MetricAlarm", spec: with(without(cpuAlarm, "alarmName"), `alarmName: "web\tcpu"`), want: []cause{
			{"spec.alarmName", invalidValue(`"web\tcpu"`, `spec.alarmName in body should match '^[^\x00-\x1f\x7f]+$'`)},
		}},
	})
}

// TestMetricAlarmCoversPutMetricAlarm: every member of CloudWatch's
// PutMetricAlarmInput is a member of the MetricAlarm spec, in lower camel
// case (OKActions → okActions), nothing is left out silently.
func TestMetricAlarmCoversPutMetricAlarm(t *testing.T) {
	var model struct {
		Shapes map[string]struct {
			Members map[string]struct{} `json:"members"`
		} `json:"shapes"`
	}
	if err := json.Unmarshal(testutil.Model(t, "cloudwatch/service-2.json"), &model); err != nil {
		t.Fatal(err)
	}
	spec := loadCRDSpecSchema(t, "ecs.berth.dev_metricalarms.yaml", "MetricAlarm")
	var members []string
	for m := range model.Shapes["PutMetricAlarmInput"].Members {
		members = append(members, m)
	}
	sort.Strings(members)
	if len(members) < 20 {
		t.Fatalf("PutMetricAlarmInput has %d members", len(members))
	}
	for _, m := range members {
		if _, ok := spec.Properties[lowerCamel(m)]; !ok {
			t.Errorf("PutMetricAlarmInput.%s: no spec.%s in the MetricAlarm CRD", m, lowerCamel(m))
		}
	}
	if len(spec.Properties) != len(members) {
		t.Errorf("the spec has %d members, PutMetricAlarmInput %d", len(spec.Properties), len(members))
	}
}

// lowerCamel lowers a member name's leading capitals, but the last one of
// a run before a lower-case letter (OKActions → okActions, AlarmName →
// alarmName).
func lowerCamel(s string) string {
	r := []rune(s)
	for i := range r {
		if !unicode.IsUpper(r[i]) || i > 0 && i+1 < len(r) && unicode.IsLower(r[i+1]) {
			break
		}
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}

// TestMetricAlarmSamples: config/samples/07_metricalarm.yaml is accepted.
func TestMetricAlarmSamples(t *testing.T) {
	c, _ := testEnv(t)
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "config", "samples", "07_metricalarm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(raw), "\n---\n")
	if len(docs) < 2 {
		t.Fatalf("%d samples", len(docs))
	}
	for _, doc := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		u.SetNamespace(validationNamespace)
		u.SetName("sample-" + u.GetName())
		if err := c.Create(testContext(t), u); err != nil {
			t.Errorf("%s: %v", u.GetName(), err)
			continue
		}
		deleteAfter(t, c, u)
	}
}
