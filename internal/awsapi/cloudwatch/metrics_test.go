package cloudwatch

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/cwwire"
	"github.com/berth-dev/berth/internal/ecsmetrics"
	"github.com/berth-dev/berth/internal/names"
)

var t0 = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

// store holds an hour of web's metrics in namespace "team", sampled every
// 20 s: CPU 40 % then, from 12:30, 80 %; and a series in "other".
func store() *ecsmetrics.Store {
	s := ecsmetrics.NewStore(2*time.Hour, 20*time.Second)
	id := func(ns, metricNS, name, service string) ecsmetrics.ID {
		return ecsmetrics.ID{Namespace: ns, MetricNS: metricNS, MetricName: name, Cluster: "prod", Service: service}
	}
	for i := range 180 {
		at := t0.Add(time.Duration(i) * 20 * time.Second)
		cpu := 40.0
		if at.Minute() >= 30 {
			cpu = 80
		}
		util := ecsmetrics.Datum{SampleCount: 2, Sum: 2 * cpu, Min: cpu - 10, Max: cpu + 10, Used: 2 * cpu, Reserved: 200}
		s.Record(at, []ecsmetrics.Sample{
			{ID: id("team", ecsmetrics.NamespaceECS, ecsmetrics.CPUUtilization, "web"), Datum: util},
			{ID: id("team", ecsmetrics.NamespaceECS, ecsmetrics.CPUUtilization, ""), Datum: util},
			{ID: id("team", ecsmetrics.NamespaceContainerInsights, ecsmetrics.RunningTaskCount, "web"), Datum: ecsmetrics.Value(2)},
			{ID: id("other", ecsmetrics.NamespaceECS, ecsmetrics.CPUUtilization, "secret"), Datum: util},
		})
	}
	return s
}

// caller acts in namespace "team"; forbidden makes listing its Services
// fail as RBAC refuses it.
func callerCtx(t *testing.T, forbidden bool) context.Context {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := ecsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	b := fake.NewClientBuilder().WithScheme(scheme)
	if forbidden {
		b = b.WithInterceptorFuncs(interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			return apierrors.NewForbidden(schema.GroupResource{Group: ecsv1alpha1.GroupVersion.Group, Resource: "services"}, "", errors.New("RBAC: access denied"))
		}})
	}
	return awsapi.WithCaller(context.Background(), &awsapi.Caller{Identity: awsapi.Identity{Username: "u", Namespace: "team"}, Client: b.Build(), Account: names.DefaultAccount})
}

func ts(d time.Duration) *awsjson.Timestamp { return awsjson.At(t0.Add(d)) }

func webDims() []cwwire.Dimension {
	return []cwwire.Dimension{{Name: "ServiceName", Value: "web"}, {Name: "ClusterName", Value: "prod"}}
}

// errType is the type of an *awsjson.Error, with its message.
func errType(err error) (string, string) {
	var e *awsjson.Error
	if errors.As(err, &e) {
		return e.Type, e.Message
	}
	if err != nil {
		return "other", err.Error()
	}
	return "", ""
}

func TestGetMetricStatistics(t *testing.T) {
	h := &handlers{src: store()}
	ctx := callerCtx(t, false)
	out, err := h.getMetricStatistics(ctx, &cwwire.GetMetricStatisticsInput{
		Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: webDims(),
		// 12:28:30 rounds down to 12:28.
		StartTime: ts(28*time.Minute + 30*time.Second), EndTime: ts(32 * time.Minute), Period: 60,
		Statistics: []cwwire.Statistic{cwwire.StatisticAverage, cwwire.StatisticMaximum, cwwire.StatisticSamplecount},
	})
	if err != nil {
		t.Fatal(err)
	}
	type dp struct {
		At                 string
		Avg, Max, N        float64
		Unit               cwwire.StandardUnit
		HasSum, HasMinimum bool
	}
	var got []dp
	for _, d := range out.Datapoints {
		got = append(got, dp{d.Timestamp.Format("15:04:05"), *d.Average, *d.Maximum, *d.SampleCount, d.Unit, d.Sum != nil, d.Minimum != nil})
	}
	// Three samples of two tasks a minute.
	want := []dp{
		{"12:28:00", 40, 50, 6, "Percent", false, false},
		{"12:29:00", 40, 50, 6, "Percent", false, false},
		{"12:30:00", 80, 90, 6, "Percent", false, false},
		{"12:31:00", 80, 90, 6, "Percent", false, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("datapoints (-want +got):\n%s", diff)
	}
	if out.Label != "CPUUtilization" {
		t.Errorf("label %q", out.Label)
	}

	for name, in := range map[string]*cwwire.GetMetricStatisticsInput{
		"five-minute periods": {Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: webDims(), StartTime: ts(25 * time.Minute), EndTime: ts(35 * time.Minute), Period: 300,
			Statistics: []cwwire.Statistic{cwwire.StatisticAverage, cwwire.StatisticSum, cwwire.StatisticMinimum}},
	} {
		out, err := h.getMetricStatistics(ctx, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(out.Datapoints) != 2 || *out.Datapoints[0].Average != 40 || *out.Datapoints[1].Average != 80 ||
			*out.Datapoints[0].Sum != 40*2*15 || *out.Datapoints[1].Minimum != 70 {
			t.Errorf("%s: %+v", name, out.Datapoints)
		}
	}

	// No such series (another namespace's, dimensions not all given, a
	// unit it does not have): no datapoints, no error.
	for name, in := range map[string]*cwwire.GetMetricStatisticsInput{
		"another namespace's service": {Dimensions: []cwwire.Dimension{{Name: "ClusterName", Value: "prod"}, {Name: "ServiceName", Value: "secret"}}},
		"fewer dimensions":            {Dimensions: []cwwire.Dimension{{Name: "ServiceName", Value: "web"}}},
		"another unit":                {Dimensions: webDims(), Unit: cwwire.StandardUnitCount},
	} {
		in.Namespace, in.MetricName, in.StartTime, in.EndTime, in.Period = "AWS/ECS", "CPUUtilization", ts(0), ts(time.Hour), 60
		in.Statistics = []cwwire.Statistic{cwwire.StatisticAverage}
		out, err := h.getMetricStatistics(ctx, in)
		if err != nil || out.Datapoints == nil || len(out.Datapoints) != 0 {
			t.Errorf("%s: %+v, %v; want no datapoints", name, out, err)
		}
	}
	// The cluster's series has only ClusterName.
	out, err = h.getMetricStatistics(ctx, &cwwire.GetMetricStatisticsInput{Namespace: "AWS/ECS", MetricName: "CPUUtilization",
		Dimensions: []cwwire.Dimension{{Name: "ClusterName", Value: "prod"}}, StartTime: ts(0), EndTime: ts(time.Hour), Period: 3600, Statistics: []cwwire.Statistic{cwwire.StatisticAverage}})
	if err != nil || len(out.Datapoints) != 1 || *out.Datapoints[0].Average != 60 {
		t.Errorf("the cluster's hour: %+v, %v", out, err)
	}
}

func TestGetMetricStatistics_BadInput(t *testing.T) {
	h := &handlers{src: store()}
	ctx := callerCtx(t, false)
	valid := func() *cwwire.GetMetricStatisticsInput {
		return &cwwire.GetMetricStatisticsInput{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: webDims(),
			StartTime: ts(0), EndTime: ts(time.Hour), Period: 60, Statistics: []cwwire.Statistic{cwwire.StatisticAverage}}
	}
	for _, tc := range []struct {
		name     string
		change   func(*cwwire.GetMetricStatisticsInput)
		typ, msg string
	}{
		{"ends before it starts", func(in *cwwire.GetMetricStatisticsInput) { in.StartTime, in.EndTime = ts(time.Hour), ts(0) },
			InvalidParameterValueException, "The parameter StartTime must be less than the parameter EndTime."},
		{"ends when it starts", func(in *cwwire.GetMetricStatisticsInput) { in.EndTime = in.StartTime },
			InvalidParameterValueException, "The parameter StartTime must not equal parameter EndTime."},
		{"no start", func(in *cwwire.GetMetricStatisticsInput) { in.StartTime = nil },
			MissingRequiredParameterException, "The parameter StartTime is required."},
		{"period not a multiple of 60", func(in *cwwire.GetMetricStatisticsInput) { in.Period = 90 },
			InvalidParameterValueException, "The parameter Period must be a multiple of 60."},
		{"period 0", func(in *cwwire.GetMetricStatisticsInput) { in.Period = 0 },
			InvalidParameterValueException, "The parameter Period must be greater than 0."},
		{"unknown statistic", func(in *cwwire.GetMetricStatisticsInput) { in.Statistics = []cwwire.Statistic{"Average", "Median"} },
			InvalidParameterValueException, "The parameter Statistics.member.2 must be a value in the set [ SampleCount, Average, Sum, Minimum, Maximum ]."},
		{"no statistic", func(in *cwwire.GetMetricStatisticsInput) { in.Statistics = nil },
			InvalidParameterCombinationException, "Must specify either Statistics or ExtendedStatistics."},
		{"a percentile", func(in *cwwire.GetMetricStatisticsInput) { in.ExtendedStatistics = []string{"p99"} },
			InvalidParameterValueException, "Berth does not serve the extended statistic p99 (ExtendedStatistics.member.1): it keeps statistic sets (SampleCount, Average, Sum, Minimum, Maximum), not the samples percentiles need (docs/metrics.md)."},
		{"too many datapoints", func(in *cwwire.GetMetricStatisticsInput) { in.EndTime = ts(48 * time.Hour) },
			InvalidParameterCombinationException, "You have requested up to 2,880 datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."},
		{"no namespace", func(in *cwwire.GetMetricStatisticsInput) { in.Namespace = "" },
			MissingRequiredParameterException, "The parameter Namespace is required."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := valid()
			tc.change(in)
			_, err := h.getMetricStatistics(ctx, in)
			typ, msg := errType(err)
			if typ != tc.typ || msg != tc.msg {
				t.Errorf("got %s: %s\nwant %s: %s", typ, msg, tc.typ, tc.msg)
			}
			if cwwire.QueryErrors[typ] == "" {
				t.Errorf("%s is not an error of the model", typ)
			}
		})
	}
	// 1,440 datapoints exactly is allowed.
	in := valid()
	in.EndTime = ts(24 * time.Hour)
	if _, err := h.getMetricStatistics(ctx, in); err != nil {
		t.Errorf("1,440 datapoints: %v", err)
	}
}

// TestRBAC: a caller sees its namespace's series only if it may list the
// namespace's Services; RBAC's refusal is what the endpoint turns into
// AccessDeniedException.
func TestRBAC(t *testing.T) {
	h := &handlers{src: store()}
	denied := callerCtx(t, true)
	_, err := h.listMetrics(denied, &cwwire.ListMetricsInput{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("ListMetrics: %v, want Forbidden", err)
	}
	_, err = h.getMetricStatistics(denied, &cwwire.GetMetricStatisticsInput{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: webDims(),
		StartTime: ts(0), EndTime: ts(time.Hour), Period: 60, Statistics: []cwwire.Statistic{cwwire.StatisticAverage}})
	if !apierrors.IsForbidden(err) {
		t.Errorf("GetMetricStatistics: %v, want Forbidden", err)
	}
	_, err = h.getMetricData(denied, &cwwire.GetMetricDataInput{StartTime: ts(0), EndTime: ts(time.Hour), MetricDataQueries: []cwwire.MetricDataQuery{cpuQuery("m1", "Average")}})
	if !apierrors.IsForbidden(err) {
		t.Errorf("GetMetricData: %v, want Forbidden", err)
	}
	// Allowed: its own namespace's metrics, never another's.
	out, err := h.listMetrics(callerCtx(t, false), &cwwire.ListMetricsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range out.Metrics {
		for _, d := range m.Dimensions {
			if d.Value == "secret" {
				t.Errorf("namespace team sees namespace other's %+v", m)
			}
		}
	}
}

func TestListMetrics(t *testing.T) {
	h := &handlers{src: store()}
	ctx := callerCtx(t, false)
	list := func(in *cwwire.ListMetricsInput) []string {
		t.Helper()
		out, err := h.listMetrics(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range out.Metrics {
			s := m.Namespace + " " + m.MetricName
			for _, d := range m.Dimensions {
				s += " " + d.Name + "=" + d.Value
			}
			got = append(got, s)
		}
		return got
	}
	for _, tc := range []struct {
		name string
		in   *cwwire.ListMetricsInput
		want []string
	}{
		{"all", &cwwire.ListMetricsInput{RecentlyActive: cwwire.RecentlyActivePt3h}, []string{
			"AWS/ECS CPUUtilization ClusterName=prod",
			"AWS/ECS CPUUtilization ClusterName=prod ServiceName=web",
			"ECS/ContainerInsights RunningTaskCount ClusterName=prod ServiceName=web",
		}},
		{"by namespace", &cwwire.ListMetricsInput{Namespace: "ECS/ContainerInsights"}, []string{"ECS/ContainerInsights RunningTaskCount ClusterName=prod ServiceName=web"}},
		{"by name and a dimension's presence", &cwwire.ListMetricsInput{MetricName: "CPUUtilization", Dimensions: []cwwire.DimensionFilter{{Name: "ServiceName"}}},
			[]string{"AWS/ECS CPUUtilization ClusterName=prod ServiceName=web"}},
		{"by a dimension's value", &cwwire.ListMetricsInput{Dimensions: []cwwire.DimensionFilter{{Name: "ServiceName", Value: "api"}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, list(tc.in)); diff != "" {
				t.Error(diff)
			}
		})
	}
	// No store: an empty list, not nil.
	out, err := (&handlers{}).listMetrics(ctx, &cwwire.ListMetricsInput{})
	if err != nil || out.Metrics == nil || len(out.Metrics) != 0 {
		t.Errorf("without a store: %+v, %v", out, err)
	}
	for in, typ := range map[*cwwire.ListMetricsInput]string{
		{RecentlyActive: "P1D"}:                          InvalidParameterValueException,
		{Dimensions: make([]cwwire.DimensionFilter, 11)}: InvalidParameterValueException,
		{NextToken: "!"}:                                 InvalidNextToken,
	} {
		_, err := h.listMetrics(ctx, in)
		if got, _ := errType(err); got != typ || cwwire.QueryErrors[got] == "" {
			t.Errorf("ListMetrics(%+v): %v, want a %s the model has", in, err, typ)
		}
	}
}

func cpuQuery(id, stat string) cwwire.MetricDataQuery {
	return cwwire.MetricDataQuery{Id: id, MetricStat: &cwwire.MetricStat{
		Metric: &cwwire.Metric{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: webDims()}, Period: 60, Stat: stat}}
}

func TestGetMetricData(t *testing.T) {
	h := &handlers{src: store()}
	ctx := callerCtx(t, false)
	running := cwwire.MetricDataQuery{Id: "tasks", Label: "web tasks", MetricStat: &cwwire.MetricStat{
		Metric: &cwwire.Metric{Namespace: "ECS/ContainerInsights", MetricName: "RunningTaskCount", Dimensions: webDims()}, Period: 120, Stat: "Maximum"}}
	hidden := cpuQuery("hidden", "Sum")
	hidden.ReturnData = ptr.To(false)
	in := &cwwire.GetMetricDataInput{StartTime: ts(28 * time.Minute), EndTime: ts(32 * time.Minute),
		MetricDataQueries: []cwwire.MetricDataQuery{cpuQuery("cpu", "Average"), running, hidden}}
	type result struct {
		ID, Label string
		Times     []string
		Values    []float64
		Status    cwwire.StatusCode
	}
	results := func(out *cwwire.GetMetricDataOutput) []result {
		var got []result
		for _, r := range out.MetricDataResults {
			res := result{ID: r.Id, Label: r.Label, Values: r.Values, Status: r.StatusCode}
			for _, at := range r.Timestamps {
				res.Times = append(res.Times, at.Format("15:04"))
			}
			got = append(got, res)
		}
		return got
	}
	out, err := h.getMetricData(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first by default.
	want := []result{
		{"cpu", "CPUUtilization", []string{"12:31", "12:30", "12:29", "12:28"}, []float64{80, 80, 40, 40}, cwwire.StatusCodeComplete},
		{"tasks", "web tasks", []string{"12:30", "12:28"}, []float64{2, 2}, cwwire.StatusCodeComplete},
	}
	if diff := cmp.Diff(want, results(out)); diff != "" || out.NextToken != "" {
		t.Errorf("(-want +got):\n%s\nnext token %q", diff, out.NextToken)
	}

	// Oldest first, two datapoints a page.
	in.ScanBy = cwwire.ScanByTimestampascending
	in.MaxDatapoints = ptr.To[int32](3)
	var pages [][]result
	for range 5 {
		out, err := h.getMetricData(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, results(out))
		if out.NextToken == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	wantPages := [][]result{
		{{"cpu", "CPUUtilization", []string{"12:28", "12:29", "12:30"}, []float64{40, 40, 80}, cwwire.StatusCodePartialdata}},
		{{"cpu", "CPUUtilization", []string{"12:31"}, []float64{80}, cwwire.StatusCodeComplete},
			{"tasks", "web tasks", []string{"12:28", "12:30"}, []float64{2, 2}, cwwire.StatusCodeComplete}},
	}
	if diff := cmp.Diff(wantPages, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}

func TestGetMetricData_BadInput(t *testing.T) {
	h := &handlers{src: store()}
	ctx := callerCtx(t, false)
	for _, tc := range []struct {
		name     string
		in       *cwwire.GetMetricDataInput
		typ, msg string
	}{
		{"ends before it starts", &cwwire.GetMetricDataInput{StartTime: ts(time.Hour), EndTime: ts(0), MetricDataQueries: []cwwire.MetricDataQuery{cpuQuery("m1", "Average")}},
			InvalidParameterValueException, "The parameter StartTime must be less than the parameter EndTime."},
		{"metric math", &cwwire.GetMetricDataInput{StartTime: ts(0), EndTime: ts(time.Hour), MetricDataQueries: []cwwire.MetricDataQuery{cpuQuery("m1", "Average"), {Id: "e1", Expression: "m1*2"}}},
			InvalidParameterValueException, `Berth does not evaluate metric math: MetricDataQueries.member.2.Expression "m1*2"; ask for each metric with a MetricStat instead (docs/metrics.md).`},
		{"neither", &cwwire.GetMetricDataInput{StartTime: ts(0), EndTime: ts(time.Hour), MetricDataQueries: []cwwire.MetricDataQuery{{Id: "m1"}}},
			InvalidParameterValueException, "The parameter MetricDataQueries.member.1 must have either a MetricStat or an Expression."},
		{"bad id", &cwwire.GetMetricDataInput{StartTime: ts(0), EndTime: ts(time.Hour), MetricDataQueries: []cwwire.MetricDataQuery{cpuQuery("M1", "Average")}},
			InvalidParameterValueException, `The value "M1" for parameter MetricDataQueries.member.1.Id is invalid: an Id starts with a lowercase letter and has only letters, digits and underscores.`},
		{"duplicate id", &cwwire.GetMetricDataInput{StartTime: ts(0), EndTime: ts(time.Hour), MetricDataQueries: []cwwire.MetricDataQuery{cpuQuery("m1", "Average"), cpuQuery("m1", "Sum")}},
			InvalidParameterValueException, "The value m1 for parameter MetricDataQueries.member.2.Id is a duplicate."},
		{"unknown stat", &cwwire.GetMetricDataInput{StartTime: ts(0), EndTime: ts(time.Hour), MetricDataQueries: []cwwire.MetricDataQuery{cpuQuery("m1", "Mean")}},
			InvalidParameterValueException, "The parameter MetricDataQueries.member.1.MetricStat.Stat must be a value in the set [ SampleCount, Average, Sum, Minimum, Maximum ]."},
		{"period", &cwwire.GetMetricDataInput{StartTime: ts(0), EndTime: ts(time.Hour), MetricDataQueries: []cwwire.MetricDataQuery{func() cwwire.MetricDataQuery { q := cpuQuery("m1", "Sum"); q.MetricStat.Period = 45; return q }()}},
			InvalidParameterValueException, "The parameter MetricDataQueries.member.1.MetricStat.Period must be a multiple of 60."},
		{"no queries", &cwwire.GetMetricDataInput{StartTime: ts(0), EndTime: ts(time.Hour)},
			MissingRequiredParameterException, "The parameter MetricDataQueries is required."},
		{"bad token", &cwwire.GetMetricDataInput{StartTime: ts(0), EndTime: ts(time.Hour), MetricDataQueries: []cwwire.MetricDataQuery{cpuQuery("m1", "Sum")}, NextToken: "x"},
			InvalidNextToken, `The token "x" is not a token of this request.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.getMetricData(ctx, tc.in)
			typ, msg := errType(err)
			if typ != tc.typ || msg != tc.msg {
				t.Errorf("got %s: %s\nwant %s: %s", typ, msg, tc.typ, tc.msg)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{1: "1", 999: "999", 1000: "1,000", 1441: "1,441", 16666: "16,666", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %s, want %s", n, got, want)
		}
	}
}
