package alarms

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// alarm is the rule of a step policy's alarm on CPUUtilization Average.
func alarm(op ecsv1alpha1.ComparisonOperator, threshold float64, n int32, m *int32, missing ecsv1alpha1.TreatMissingData) Rule {
	return StepRule(&ecsv1alpha1.StepPolicyAlarm{AlarmName: "high", Namespace: "AWS/ECS", MetricName: "CPUUtilization", Statistic: ecsv1alpha1.StatisticAverage,
		Period: 60, EvaluationPeriods: n, DatapointsToAlarm: m, Threshold: threshold, ComparisonOperator: op, TreatMissingData: missing})
}

func pts(vs ...float64) []Datapoint {
	out := make([]Datapoint, len(vs))
	for i, v := range vs {
		out[i] = Datapoint{Time: t0.Add(time.Duration(i) * time.Minute), Value: v, Missing: math.IsNaN(v)}
	}
	return out
}

func TestEvaluate(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name   string
		a      Rule
		points []Datapoint
		prev   ecsv1alpha1.AlarmState
		want   ecsv1alpha1.AlarmState
		reason string
	}{
		{"one breaching datapoint", alarm(ecsv1alpha1.GreaterThanOrEqualToThreshold, 70, 1, nil, ""), pts(85.3), "", ecsv1alpha1.AlarmStateAlarm,
			"Threshold Crossed: 1 datapoint [85.3] was greater than or equal to the threshold (70.0)."},
		{"not breaching", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 1, nil, ""), pts(70), "", ecsv1alpha1.AlarmStateOK,
			"Threshold Crossed: 1 datapoint [70.0] was not greater than the threshold (70.0)."},
		{"3 of 3 needed", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 3, nil, ""), pts(80, 60, 90), "", ecsv1alpha1.AlarmStateOK, ""},
		{"2 of 3", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 3, ptr.To[int32](2), ""), pts(80, 60, 90), "", ecsv1alpha1.AlarmStateAlarm,
			"Threshold Crossed: 2 datapoints [80.0, 90.0] were greater than the threshold (70.0)."},
		{"only the last N count", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 2, nil, ""), pts(90, 90, 10, 90), "", ecsv1alpha1.AlarmStateOK, ""},
		{"low alarm", alarm(ecsv1alpha1.LessThanThreshold, 20, 2, nil, ""), pts(10, 5), "", ecsv1alpha1.AlarmStateAlarm, ""},
		{"all missing", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 2, nil, ""), pts(nan, nan), "OK", ecsv1alpha1.AlarmStateInsufficientData,
			"Insufficient Data: 2 datapoints were unknown."},
		{"missing left out", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 2, ptr.To[int32](1), ""), pts(nan, 90), "", ecsv1alpha1.AlarmStateAlarm, ""},
		{"missing breaching", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 2, nil, ecsv1alpha1.TreatMissingDataBreaching), pts(nan, 90), "", ecsv1alpha1.AlarmStateAlarm,
			"Threshold Crossed: 2 datapoints [(missing), 90.0] were greater than the threshold (70.0)."},
		{"missing not breaching", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 1, nil, ecsv1alpha1.TreatMissingDataNotBreaching), pts(nan), "ALARM", ecsv1alpha1.AlarmStateOK, ""},
		{"too few to decide", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 2, nil, ""), pts(80), "", ecsv1alpha1.AlarmStateInsufficientData,
			"Insufficient Data: 1 of the 2 datapoints needed to alarm."},
		{"too few to decide keeps the state", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 2, nil, ""), pts(nan, 80), "OK", ecsv1alpha1.AlarmStateOK, ""},
		{"OK names the datapoints that do not breach", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 3, nil, ""), pts(80, 60, 90), "", ecsv1alpha1.AlarmStateOK,
			"Threshold Crossed: 1 datapoint [60.0] was not greater than the threshold (70.0)."},
		{"missing ignored", alarm(ecsv1alpha1.GreaterThanThreshold, 70, 1, nil, ecsv1alpha1.TreatMissingDataIgnore), pts(nan), "ALARM", ecsv1alpha1.AlarmStateAlarm, ""},
	} {
		got, reason := Evaluate(c.a, c.points, c.prev)
		if got != c.want || (c.reason != "" && reason != c.reason) {
			t.Errorf("%s: %s %q; want %s %q", c.name, got, reason, c.want, c.reason)
		}
	}
}

// TestReasonIsBounded: a window of many datapoints names 20 of them, and
// the reason stays within CloudWatch's 1,023 characters.
func TestReasonIsBounded(t *testing.T) {
	r := alarm(ecsv1alpha1.GreaterThanThreshold, 70, 500, nil, "")
	var vs []float64
	for range 500 {
		vs = append(vs, 123456.789)
	}
	state, reason := Evaluate(r, pts(vs...), "")
	if state != ecsv1alpha1.AlarmStateAlarm || len(reason) > 1023 || !strings.Contains(reason, "500 datapoints [") || !strings.Contains(reason, "... 480 more") {
		t.Errorf("%s %d %q", state, len(reason), reason)
	}
}

// TestTake: the first datapoint is taken at once, the next once a period
// has passed; the window keeps evaluationPeriods datapoints; a read error
// is a missing datapoint; a new source or a new object starts afresh.
func TestTake(t *testing.T) {
	var w Windows
	k := Key{Object: types.NamespacedName{Namespace: "ns", Name: "a"}, UID: "u1"}
	r := alarm(ecsv1alpha1.GreaterThanThreshold, 70, 2, nil, "")
	value, reads := 80.0, 0
	read := func(context.Context) (Sample, error) { reads++; return Sample{Value: value, OK: true}, nil }
	ctx := context.Background()

	ev := w.Take(ctx, k, r, "", t0, read)
	if !ev.Took || ev.State != ecsv1alpha1.AlarmStateInsufficientData || ev.Wait != time.Minute || reads != 1 {
		t.Fatalf("first: %+v, %d reads", ev, reads)
	}
	ev = w.Take(ctx, k, r, ev.State, t0.Add(20*time.Second), read)
	if ev.Took || ev.Wait != 40*time.Second || reads != 1 {
		t.Fatalf("early: %+v, %d reads", ev, reads)
	}
	ev = w.Take(ctx, k, r, ecsv1alpha1.AlarmStateInsufficientData, t0.Add(time.Minute), read)
	if !ev.Took || ev.State != ecsv1alpha1.AlarmStateAlarm || len(ev.Points) != 2 {
		t.Fatalf("second: %+v", ev)
	}
	value = 10
	ev = w.Take(ctx, k, r, ecsv1alpha1.AlarmStateAlarm, t0.Add(2*time.Minute), read)
	if ev.State != ecsv1alpha1.AlarmStateOK || len(ev.Points) != 2 || ev.Points[0].Value != 80 || ev.Points[1].Value != 10 {
		t.Fatalf("third: %+v", ev)
	}
	boom := errors.New("metrics.k8s.io is not served")
	ev = w.Take(ctx, k, r, ecsv1alpha1.AlarmStateOK, t0.Add(3*time.Minute), func(context.Context) (Sample, error) { return Sample{}, boom })
	if !ev.Points[1].Missing || !errors.Is(ev.Err, boom) || !errors.Is(w.LastErr(k.Object, k.UID), boom) {
		t.Fatalf("read error: %+v", ev)
	}
	// Another source (a new metric or period): afresh.
	r2 := r
	r2.Source = "AWS/ECS|MemoryUtilization|Average|60"
	ev = w.Take(ctx, k, r2, ecsv1alpha1.AlarmStateOK, t0.Add(3*time.Minute+time.Second), read)
	if !ev.Took || len(ev.Points) != 1 {
		t.Fatalf("new source: %+v", ev)
	}
	// The same name, another object: afresh.
	k2 := k
	k2.UID = "u2"
	if ev := w.Take(ctx, k2, r2, "", t0.Add(3*time.Minute+2*time.Second), read); !ev.Took || len(ev.Points) != 1 {
		t.Fatalf("new object: %+v", ev)
	}
	w.Retain(k.Object, "u2", map[string]bool{})
	if ev := w.Take(ctx, k2, r2, "", t0.Add(3*time.Minute+3*time.Second), read); !ev.Took || len(ev.Points) != 1 {
		t.Fatalf("after Retain: %+v", ev)
	}
	w.Forget(k.Object)
	if err := w.LastErr(k.Object, "u2"); err != nil {
		t.Fatal(err)
	}
}

// fakeUsage returns the same tasks for every service.
type fakeUsage []TaskUsage

func (f fakeUsage) TaskUsage(context.Context, *ecsv1alpha1.Service) ([]TaskUsage, error) {
	return f, nil
}

// TestReadSource: the statistics of a service's tasks are ECS's (and
// ecsmetrics', as the CloudWatch API serves them): Average is the total
// use over the total reservation, Minimum and Maximum the least and most
// used task, Sum the sum of the tasks' utilizations, SampleCount the
// tasks; the counts come from the status.
func TestReadSource(t *testing.T) {
	tasks := fakeUsage{
		{CPUUsed: 200, CPUReserved: 250, MemoryUsed: 256 << 20, MemoryReserved: 512 << 20},
		{CPUUsed: 50, CPUReserved: 250, MemoryUsed: 128 << 20, MemoryReserved: 512 << 20},
		{CPUUsed: 10}, // no reservation: left out of the utilization
	}
	svc := ecsv1alpha1.Service{}
	svc.Namespace, svc.Name = "ns", "web"
	svc.Status.RunningCount, svc.Status.DesiredCount = ptr.To[int32](3), ptr.To[int32](4)
	for _, c := range []struct {
		ns, metric, stat string
		cluster          bool
		want             float64
		ok               bool
	}{
		{"AWS/ECS", "CPUUtilization", "Average", false, 50, true},
		{"AWS/ECS", "CPUUtilization", "Maximum", false, 80, true},
		{"AWS/ECS", "CPUUtilization", "Minimum", false, 20, true},
		{"AWS/ECS", "CPUUtilization", "Sum", false, 100, true},
		{"AWS/ECS", "CPUUtilization", "SampleCount", false, 2, true},
		{"AWS/ECS", "MemoryUtilization", "Average", false, 37.5, true},
		{"AWS/ECS", "CPUUtilization", "Average", true, 50, true},
		{"ECS/ContainerInsights", "RunningTaskCount", "Average", false, 3, true},
		{"ECS/ContainerInsights", "DesiredTaskCount", "Maximum", false, 4, true},
		{"ECS/ContainerInsights", "PendingTaskCount", "Average", false, 0, false}, // not in the status
		{"ECS/ContainerInsights", "CpuReserved", "Sum", false, 512, true},         // 500 millicores: 512 CPU units
		{"ECS/ContainerInsights", "ServiceCount", "Average", true, 1, true},
		{"ECS/ContainerInsights", "TaskCount", "Average", true, 3, true},
	} {
		src := Source{MetricNS: c.ns, MetricName: c.metric, Statistic: c.stat, Cluster: "default", Service: "web"}
		if c.cluster {
			src.Service = ""
		}
		got, err := ReadSource(context.Background(), tasks, src, []ecsv1alpha1.Service{svc})
		if err != nil || got.OK != c.ok || math.Abs(got.Value-c.want) > 1e-9 {
			t.Errorf("%s %s %s (cluster %v) = %+v, %v; want %v, %v", c.ns, c.metric, c.stat, c.cluster, got, err, c.want, c.ok)
		}
	}
	if got, _ := ReadSource(context.Background(), fakeUsage{}, Source{MetricNS: "AWS/ECS", MetricName: "CPUUtilization", Statistic: "Average", Cluster: "default", Service: "web"},
		[]ecsv1alpha1.Service{svc}); got.OK {
		t.Error("no tasks: want no datapoint")
	}
	if got, _ := ReadSource(context.Background(), tasks, Source{MetricNS: "ECS/ContainerInsights", MetricName: "ServiceCount", Statistic: "Maximum", Cluster: "empty"}, nil); !got.OK || got.Value != 0 {
		t.Errorf("a cluster without services: %+v", got)
	}
}

func TestReasonData(t *testing.T) {
	r := alarm(ecsv1alpha1.GreaterThanThreshold, 70, 2, nil, "")
	got := ReasonData(r, pts(50, math.NaN(), 80), t0.Add(3*time.Minute))
	want := `{"version":"1.0","queryDate":"2026-11-26T12:03:00.000+0000","startDate":"2026-11-26T12:01:00.000+0000","statistic":"Average","period":60,` +
		`"recentDatapoints":[80],"threshold":70,"evaluatedDatapoints":[{"timestamp":"2026-11-26T12:02:00.000+0000","value":80},{"timestamp":"2026-11-26T12:01:00.000+0000"}]}`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}
