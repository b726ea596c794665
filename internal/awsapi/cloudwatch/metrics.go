package cloudwatch

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/cwwire"
	"github.com/berth-dev/berth/internal/ecsmetrics"
)

// More of CloudWatch's error types.
const (
	InvalidParameterCombinationException = "InvalidParameterCombinationException"
	MissingRequiredParameterException    = "MissingRequiredParameterException"
)

// Source gives the recorded series of a Kubernetes namespace (an account):
// the operator's ecsmetrics.Store.
type Source interface {
	Series(namespace string) []ecsmetrics.Series
}

// Limits CloudWatch sets.
const (
	maxDatapoints         = 1440   // GetMetricStatistics
	defaultMaxDatapoints  = 100800 // GetMetricData
	maxMetricDataQueries  = 500
	listMetricsPage       = 500
	maxStatistics         = 5
	maxGetDimensionsCount = 30
)

type handlers struct{ src Source }

func caller(ctx context.Context) *awsapi.Caller {
	c := awsapi.CallerFrom(ctx)
	if c == nil {
		panic("cloudwatch: handler called without a caller")
	}
	return c
}

// series are the caller's series: those of its namespace, if it may list
// the namespace's Services (read as the caller: RBAC's refusal is the
// endpoint's AccessDeniedException).
func (h *handlers) series(ctx context.Context) ([]ecsmetrics.Series, error) {
	c := caller(ctx)
	var svcs ecsv1alpha1.ServiceList
	if err := c.Client.List(ctx, &svcs, client.InNamespace(c.Namespace), client.Limit(1)); err != nil {
		return nil, err
	}
	if h.src == nil {
		return nil, nil
	}
	return h.src.Series(c.Namespace), nil
}

// metric is a series as the wire shows it.
func metric(id ecsmetrics.ID) cwwire.Metric {
	m := cwwire.Metric{Namespace: id.MetricNS, MetricName: id.MetricName}
	for _, d := range id.Dimensions() {
		m.Dimensions = append(m.Dimensions, cwwire.Dimension{Name: d.Name, Value: d.Value})
	}
	return m
}

// find returns the series of the metric named by namespace, name and
// exactly these dimensions (CloudWatch aggregates over no dimension).
func find(all []ecsmetrics.Series, namespace, name string, dims []cwwire.Dimension) (ecsmetrics.Series, bool) {
	want := map[string]string{}
	for _, d := range dims {
		want[d.Name] = d.Value
	}
	for _, s := range all {
		if s.MetricNS != namespace || s.MetricName != name {
			continue
		}
		have := s.Dimensions()
		if len(have) != len(want) {
			continue
		}
		if !slices.ContainsFunc(have, func(d ecsmetrics.Dimension) bool { v, ok := want[d.Name]; return !ok || v != d.Value }) {
			return s, true
		}
	}
	return ecsmetrics.Series{}, false
}

func (h *handlers) listMetrics(ctx context.Context, in *cwwire.ListMetricsInput) (*cwwire.ListMetricsOutput, error) {
	if in.RecentlyActive != "" && !in.RecentlyActive.Valid() {
		return nil, fail(InvalidParameterValueException, "The parameter RecentlyActive must be PT3H, not %q.", in.RecentlyActive)
	}
	if len(in.Dimensions) > 10 {
		return nil, fail(InvalidParameterValueException, "The collection Dimensions must not have more than 10 members.")
	}
	all, err := h.series(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	byKey := map[string]ecsmetrics.ID{}
	for _, s := range all {
		if in.Namespace != "" && s.MetricNS != in.Namespace || in.MetricName != "" && s.MetricName != in.MetricName || !matches(s.Dimensions(), in.Dimensions) {
			continue
		}
		// Every series kept has a sample of the last hour: all are
		// recently active (PT3H).
		k := strings.Join([]string{s.MetricNS, s.MetricName, s.Cluster, s.Service}, "\x00")
		keys = append(keys, k)
		byKey[k] = s.ID
	}
	slices.Sort(keys)
	from, to, next, ok := awsapi.Page(keys, listMetricsPage, in.NextToken, nil)
	if !ok {
		return nil, fail(InvalidNextToken, "The token %q is not a token of this list.", in.NextToken)
	}
	out := &cwwire.ListMetricsOutput{Metrics: []cwwire.Metric{}, NextToken: next}
	for _, k := range keys[from:to] {
		out.Metrics = append(out.Metrics, metric(byKey[k]))
	}
	return out, nil
}

// matches tells whether dims has every filter's dimension (with its value,
// when the filter gives one).
func matches(dims []ecsmetrics.Dimension, filters []cwwire.DimensionFilter) bool {
	for _, f := range filters {
		if !slices.ContainsFunc(dims, func(d ecsmetrics.Dimension) bool { return d.Name == f.Name && (f.Value == "" || f.Value == d.Value) }) {
			return false
		}
	}
	return true
}

// timeRange checks a request's StartTime and EndTime as CloudWatch does,
// and returns the start rounded down to the minute.
func timeRange(start, end *awsjson.Timestamp) (time.Time, time.Time, error) {
	switch {
	case start == nil:
		return time.Time{}, time.Time{}, fail(MissingRequiredParameterException, "The parameter StartTime is required.")
	case end == nil:
		return time.Time{}, time.Time{}, fail(MissingRequiredParameterException, "The parameter EndTime is required.")
	case start.Equal(end.Time):
		return time.Time{}, time.Time{}, fail(InvalidParameterValueException, "The parameter StartTime must not equal parameter EndTime.")
	case start.After(end.Time):
		return time.Time{}, time.Time{}, fail(InvalidParameterValueException, "The parameter StartTime must be less than the parameter EndTime.")
	}
	return ecsmetrics.AlignStart(start.Time, time.Minute), end.Time, nil
}

// checkPeriod checks a period: Berth keeps 1-minute (standard resolution)
// data, so a period is a whole number of minutes.
func checkPeriod(p int32, field string) (time.Duration, error) {
	if p < 1 {
		return 0, fail(InvalidParameterValueException, "The parameter %s must be greater than 0.", field)
	}
	if p%60 != 0 {
		return 0, fail(InvalidParameterValueException, "The parameter %s must be a multiple of 60.", field)
	}
	return time.Duration(p) * time.Second, nil
}

// thousands writes n with comma separators, as CloudWatch's messages do.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// checkStat checks a statistic name; Berth keeps statistic sets, so
// percentiles and the other extended statistics are not served.
func checkStat(s, field string) error {
	if slices.Contains(ecsmetrics.Statistics, s) {
		return nil
	}
	if extended.MatchString(s) {
		return fail(InvalidParameterValueException, "Berth does not serve the extended statistic %s (%s): it keeps statistic sets (SampleCount, Average, Sum, Minimum, Maximum), not the samples percentiles need (docs/metrics.md).", s, field)
	}
	return fail(InvalidParameterValueException, "The parameter %s must be a value in the set [ %s ].", field, strings.Join(ecsmetrics.Statistics, ", "))
}

// extended are CloudWatch's extended statistics: p99, tm90, wm(10%:90%), ...
var extended = regexp.MustCompile(`^(p|tm|wm|tc|ts|pr|iqm)[0-9(]|^iqm$`)

// checkStatisticsInput checks GetMetricStatistics' input as CloudWatch
// does, and returns its time range and period.
func checkStatisticsInput(in *cwwire.GetMetricStatisticsInput) (time.Time, time.Time, time.Duration, error) {
	switch {
	case in.Namespace == "":
		return time.Time{}, time.Time{}, 0, fail(MissingRequiredParameterException, "The parameter Namespace is required.")
	case in.MetricName == "":
		return time.Time{}, time.Time{}, 0, fail(MissingRequiredParameterException, "The parameter MetricName is required.")
	case len(in.Dimensions) > maxGetDimensionsCount:
		return time.Time{}, time.Time{}, 0, fail(InvalidParameterValueException, "The collection Dimensions must not have more than %d members.", maxGetDimensionsCount)
	}
	start, end, err := timeRange(in.StartTime, in.EndTime)
	if err != nil {
		return start, end, 0, err
	}
	period, err := checkPeriod(in.Period, "Period")
	if err != nil {
		return start, end, 0, err
	}
	if err := checkStatistics(in.Statistics, in.ExtendedStatistics); err != nil {
		return start, end, 0, err
	}
	if n := ecsmetrics.PeriodCount(start, end, period); n > maxDatapoints {
		return start, end, 0, fail(InvalidParameterCombinationException, "You have requested up to %s datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", thousands(n))
	}
	return start, end, period, nil
}

// checkStatistics checks GetMetricStatistics' statistics.
func checkStatistics(stats []cwwire.Statistic, extendedStats []string) error {
	if len(stats) == 0 && len(extendedStats) == 0 {
		return fail(InvalidParameterCombinationException, "Must specify either Statistics or ExtendedStatistics.")
	}
	if len(stats) > maxStatistics {
		return fail(InvalidParameterValueException, "The collection Statistics must not have more than %d members.", maxStatistics)
	}
	for i, s := range stats {
		if err := checkStat(string(s), fmt.Sprintf("Statistics.member.%d", i+1)); err != nil {
			return err
		}
	}
	for i, s := range extendedStats {
		if err := checkStat(s, fmt.Sprintf("ExtendedStatistics.member.%d", i+1)); err != nil {
			return err
		}
	}
	return nil
}

// datapoint is a period's bucket with the statistics asked for.
func datapoint(b ecsmetrics.Bucket, stats []cwwire.Statistic, unit string) cwwire.Datapoint {
	dp := cwwire.Datapoint{Timestamp: awsjson.At(b.Start), Unit: cwwire.StandardUnit(unit)}
	for _, st := range stats {
		v, _ := b.Stat(string(st))
		switch st {
		case cwwire.StatisticAverage:
			dp.Average = &v
		case cwwire.StatisticSum:
			dp.Sum = &v
		case cwwire.StatisticMinimum:
			dp.Minimum = &v
		case cwwire.StatisticMaximum:
			dp.Maximum = &v
		case cwwire.StatisticSamplecount:
			dp.SampleCount = &v
		}
	}
	return dp
}

func (h *handlers) getMetricStatistics(ctx context.Context, in *cwwire.GetMetricStatisticsInput) (*cwwire.GetMetricStatisticsOutput, error) {
	start, end, period, err := checkStatisticsInput(in)
	if err != nil {
		return nil, err
	}
	all, err := h.series(ctx)
	if err != nil {
		return nil, err
	}
	out := &cwwire.GetMetricStatisticsOutput{Label: in.MetricName, Datapoints: []cwwire.Datapoint{}}
	s, ok := find(all, in.Namespace, in.MetricName, in.Dimensions)
	unit := ecsmetrics.Unit(in.MetricName)
	if !ok || in.Unit != "" && string(in.Unit) != unit {
		return out, nil
	}
	for _, b := range ecsmetrics.Buckets(s.Points, start, end, period) {
		out.Datapoints = append(out.Datapoints, datapoint(b, in.Statistics, unit))
	}
	return out, nil
}

// queryID is what a MetricDataQuery's Id must look like.
var queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// checkQueries checks GetMetricData's queries: each a MetricStat (Berth
// evaluates no metric math) with a valid Id, period and statistic.
func checkQueries(qs []cwwire.MetricDataQuery) ([]time.Duration, error) {
	if len(qs) == 0 {
		return nil, fail(MissingRequiredParameterException, "The parameter MetricDataQueries is required.")
	}
	if len(qs) > maxMetricDataQueries {
		return nil, fail(InvalidParameterValueException, "The collection MetricDataQueries must not have more than %d members.", maxMetricDataQueries)
	}
	periods := make([]time.Duration, len(qs))
	seen := map[string]bool{}
	for i, q := range qs {
		field := fmt.Sprintf("MetricDataQueries.member.%d", i+1)
		switch {
		case !queryID.MatchString(q.Id):
			return nil, fail(InvalidParameterValueException, "The value %q for parameter %s.Id is invalid: an Id starts with a lowercase letter and has only letters, digits and underscores.", q.Id, field)
		case seen[q.Id]:
			return nil, fail(InvalidParameterValueException, "The value %s for parameter %s.Id is a duplicate.", q.Id, field)
		case q.Expression != "":
			return nil, fail(InvalidParameterValueException, "Berth does not evaluate metric math: %s.Expression %q; ask for each metric with a MetricStat instead (docs/metrics.md).", field, q.Expression)
		case q.MetricStat == nil:
			return nil, fail(InvalidParameterValueException, "The parameter %s must have either a MetricStat or an Expression.", field)
		case q.MetricStat.Metric == nil || q.MetricStat.Metric.Namespace == "" || q.MetricStat.Metric.MetricName == "":
			return nil, fail(MissingRequiredParameterException, "The parameter %s.MetricStat.Metric must have a Namespace and a MetricName.", field)
		}
		seen[q.Id] = true
		p, err := checkPeriod(q.MetricStat.Period, field+".MetricStat.Period")
		if err != nil {
			return nil, err
		}
		if err := checkStat(q.MetricStat.Stat, field+".MetricStat.Stat"); err != nil {
			return nil, err
		}
		periods[i] = p
	}
	return periods, nil
}

// dataToken is GetMetricData's NextToken: how many datapoints of the
// request's results the pages before returned.
func dataToken(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("dp:" + strconv.Itoa(n)))
}

func parseDataToken(tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), "dp:") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "dp:"))
	return n, err == nil && n >= 0
}

// dataRequest is a checked GetMetricData request.
type dataRequest struct {
	start, end time.Time
	periods    []time.Duration
	// most is the page's size, skip how many datapoints the pages before
	// returned.
	most, skip int
}

// checkDataInput checks GetMetricData's input as CloudWatch does.
func checkDataInput(in *cwwire.GetMetricDataInput) (dataRequest, error) {
	var r dataRequest
	var err error
	if r.start, r.end, err = timeRange(in.StartTime, in.EndTime); err != nil {
		return r, err
	}
	if r.periods, err = checkQueries(in.MetricDataQueries); err != nil {
		return r, err
	}
	if in.ScanBy != "" && !in.ScanBy.Valid() {
		return r, fail(InvalidParameterValueException, "The parameter ScanBy must be a value in the set [ TimestampDescending, TimestampAscending ].")
	}
	r.most = defaultMaxDatapoints
	if in.MaxDatapoints != nil {
		if *in.MaxDatapoints < 1 {
			return r, fail(InvalidParameterValueException, "The parameter MaxDatapoints must be greater than 0.")
		}
		r.most = int(*in.MaxDatapoints)
	}
	var ok bool
	if r.skip, ok = parseDataToken(in.NextToken); !ok {
		return r, fail(InvalidNextToken, "The token %q is not a token of this request.", in.NextToken)
	}
	return r, nil
}

// buckets are a MetricStat's periods, in ScanBy's order.
func (r dataRequest) buckets(all []ecsmetrics.Series, ms *cwwire.MetricStat, period time.Duration, scanBy cwwire.ScanBy) []ecsmetrics.Bucket {
	s, ok := find(all, ms.Metric.Namespace, ms.Metric.MetricName, ms.Metric.Dimensions)
	if !ok || ms.Unit != "" && string(ms.Unit) != ecsmetrics.Unit(ms.Metric.MetricName) {
		return nil
	}
	b := ecsmetrics.Buckets(s.Points, r.start, r.end, period)
	if scanBy != cwwire.ScanByTimestampascending {
		slices.Reverse(b)
	}
	return b
}

func (h *handlers) getMetricData(ctx context.Context, in *cwwire.GetMetricDataInput) (*cwwire.GetMetricDataOutput, error) {
	req, err := checkDataInput(in)
	if err != nil {
		return nil, err
	}
	all, err := h.series(ctx)
	if err != nil {
		return nil, err
	}
	out := &cwwire.GetMetricDataOutput{MetricDataResults: []cwwire.MetricDataResult{}}
	returned, seen := 0, 0
	for i, q := range in.MetricDataQueries {
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		label := q.Label
		if label == "" {
			label = q.MetricStat.Metric.MetricName
		}
		r := cwwire.MetricDataResult{Id: q.Id, Label: label, Timestamps: []awsjson.Timestamp{}, Values: []float64{}, StatusCode: cwwire.StatusCodeComplete}
		for _, b := range req.buckets(all, q.MetricStat, req.periods[i], in.ScanBy) {
			seen++
			if seen <= req.skip {
				continue
			}
			if returned == req.most {
				r.StatusCode = cwwire.StatusCodePartialdata
				out.NextToken = dataToken(seen - 1)
				break
			}
			v, _ := b.Stat(q.MetricStat.Stat)
			r.Timestamps = append(r.Timestamps, awsjson.Timestamp{Time: b.Start})
			r.Values = append(r.Values, v)
			returned++
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
		if out.NextToken != "" {
			break
		}
	}
	return out, nil
}
