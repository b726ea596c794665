package alarms

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

func webDims() []ecsv1alpha1.MetricDimension {
	return []ecsv1alpha1.MetricDimension{{Name: "ClusterName", Value: "default"}, {Name: "ServiceName", Value: "web"}}
}

// TestResolve: where Berth reads an alarm's metric, and what it refuses
// (an alarm that would never have data), with the member to change.
func TestResolve(t *testing.T) {
	for _, c := range []struct {
		m    Metric
		want Source
		err  string
	}{
		{Metric{Namespace: "AWS/ECS", Name: "CPUUtilization", Dimensions: webDims(), Statistic: "Average", query: -1},
			Source{MetricNS: "AWS/ECS", MetricName: "CPUUtilization", Statistic: "Average", Cluster: "default", Service: "web"}, ""},
		{Metric{Namespace: "AWS/ECS", Name: "MemoryUtilization", Dimensions: webDims()[:1], Statistic: "Maximum", Unit: "Percent", query: -1},
			Source{MetricNS: "AWS/ECS", MetricName: "MemoryUtilization", Statistic: "Maximum", Cluster: "default"}, ""},
		{Metric{Namespace: "ECS/ContainerInsights", Name: "ServiceCount", Dimensions: webDims(), Statistic: "Average", query: 2}, Source{},
			`spec.metrics[2].metricStat.metric.dimensions: Invalid value: "[ClusterName, ServiceName]": ECS/ContainerInsights ServiceCount has the dimensions ClusterName alone (the cluster's)`},
		{Metric{Namespace: "AWS/ECS", Name: "CPUUtilization", Dimensions: append(webDims(), ecsv1alpha1.MetricDimension{Name: "TaskId", Value: "x"}), Statistic: "Average", query: -1}, Source{},
			`spec.dimensions: Invalid value: "[ClusterName, ServiceName, TaskId]": AWS/ECS CPUUtilization has the dimensions ClusterName and ServiceName (a service's) or ClusterName alone (the cluster's)`},
		{Metric{Namespace: "AWS/ECS", Name: "CPUUtilization", Dimensions: webDims(), Statistic: "p90", query: 0}, Source{},
			`spec.metrics[0].metricStat.stat: Invalid value: "p90": Berth evaluates the statistics SampleCount, Average, Sum, Minimum, Maximum`},
	} {
		got, err := Resolve(c.m)
		switch {
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("%+v: error %v; want %q", c.m, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%+v: %+v, %v; want %+v", c.m, got, err, c.want)
		}
	}
}

// TestNotes: members stored without effect are Unsupported; the period is
// approximated for every alarm.
func TestNotes(t *testing.T) {
	spec := &ecsv1alpha1.MetricAlarmSpec{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Period: ptr.To[int32](60),
		OKActions: []string{"arn:aws:sns:x"}, ActionsEnabled: ptr.To(false), Tags: []ecsv1alpha1.Tag{{Key: "k", Value: "v"}}}
	var got []string
	for _, n := range Notes(spec) {
		got = append(got, n.Path+"="+string(n.Level))
	}
	want := []string{"spec.actionsEnabled=Unsupported", "spec.okActions=Unsupported", "spec.period=Approximated", "spec.tags=Unsupported"}
	if len(got) != len(want) {
		t.Fatalf("%v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%v; want %v", got, want)
		}
	}
}

// TestInAlarm: the first named alarm in ALARM, by alarm name; a name two
// objects have counts the first created; an alarm being deleted does not
// count.
func TestInAlarm(t *testing.T) {
	t0 := metav1.Now()
	mk := func(object, alarmName string, state ecsv1alpha1.AlarmState, created metav1.Time) ecsv1alpha1.MetricAlarm {
		a := ecsv1alpha1.MetricAlarm{ObjectMeta: metav1.ObjectMeta{Name: object, CreationTimestamp: created}}
		a.Spec.AlarmName = alarmName
		a.Status.StateValue, a.Status.StateReason = state, object+" says "+string(state)
		return a
	}
	later := metav1.NewTime(t0.Add(1e9))
	deleting := mk("gone", "cpu", ecsv1alpha1.AlarmStateAlarm, t0)
	deleting.DeletionTimestamp = &t0
	list := []ecsv1alpha1.MetricAlarm{
		mk("mem", "", ecsv1alpha1.AlarmStateAlarm, t0),
		mk("cpu-dup", "cpu", ecsv1alpha1.AlarmStateAlarm, later),
		mk("cpu", "", ecsv1alpha1.AlarmStateOK, t0),
		deleting,
	}
	if n, r := InAlarm(list, []string{"cpu", "nope"}); n != "" || r != "" {
		t.Errorf("cpu is OK (its duplicate and a deleted one do not count): %q %q", n, r)
	}
	if n, r := InAlarm(list, []string{"cpu", "mem"}); n != "mem" || r != "mem says ALARM" {
		t.Errorf("%q %q", n, r)
	}
	if d := Duplicate(&list[1], list); d != "cpu" {
		t.Errorf("duplicate of cpu-dup: %q", d)
	}
	if d := Duplicate(&list[2], list); d != "" {
		t.Errorf("cpu holds its name: %q", d)
	}
}

// TestRequested: the set-alarm-state annotations, applied once per
// distinct request.
func TestRequested(t *testing.T) {
	a := &ecsv1alpha1.MetricAlarm{}
	if r, err := Requested(a); r != nil || err != nil {
		t.Fatalf("no annotation: %+v %v", r, err)
	}
	a.Annotations = map[string]string{ecsv1alpha1.AnnotationSetAlarmState: "ALARM"}
	r, err := Requested(a)
	if err != nil || r.State != ecsv1alpha1.AlarmStateAlarm || r.Reason != DefaultSetReason {
		t.Fatalf("%+v %v", r, err)
	}
	a.Status.SetAlarmState = r.Fingerprint
	if r, _ := Requested(a); r != nil {
		t.Fatalf("applied already: %+v", r)
	}
	a.Annotations[ecsv1alpha1.AnnotationSetAlarmStateAt] = "2026-01-01T00:00:00Z"
	if r, _ := Requested(a); r == nil {
		t.Fatal("a new time is a new request")
	}
	a.Annotations[ecsv1alpha1.AnnotationSetAlarmStateReasonData] = "{"
	if _, err := Requested(a); err == nil || err.Error() != "Data was not syntactically valid JSON" {
		t.Fatalf("bad JSON: %v", err)
	}
}

func TestAlarmObject(t *testing.T) {
	for in, prefix := range map[string]string{
		"web-cpu-high":  "web-cpu-high",
		"Web CPU > 70%": "web-cpu-70-", // and a hash of the whole name
		"!!!":           "alarm-",
	} {
		got := names.AlarmObject(in)
		if !strings.HasPrefix(got, prefix) || len(got) > 63 || got != in && len(got) != len(prefix)+10 {
			t.Errorf("AlarmObject(%q) = %q", in, got)
		}
	}
	if names.AlarmObject("Web") == names.AlarmObject("web") {
		t.Error("alarm names are case-sensitive: Web and web are two objects")
	}
}
