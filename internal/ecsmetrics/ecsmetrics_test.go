package ecsmetrics

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

var t0 = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

func TestDatum_Stat(t *testing.T) {
	// Two tasks: 50 % of 256 and 100 % of 512 (the second reserves more),
	// then a second sampling of one task at 25 %.
	d := utilization(128, 256).Merge(utilization(512, 512)).Merge(utilization(64, 256))
	for _, tc := range []struct {
		stat string
		want float64
	}{
		{SampleCount, 3},
		{Sum, 175},
		{Minimum, 25},
		{Maximum, 100},
		// Used over reserved, as ECS computes it: (128+512+64)/(256+512+256).
		{Average, 100 * 704.0 / 1024},
	} {
		got, ok := d.Stat(tc.stat)
		if !ok || got != tc.want {
			t.Errorf("%s = %v, %v; want %v", tc.stat, got, ok, tc.want)
		}
	}
	if _, ok := d.Stat("p99"); ok {
		t.Error("p99 is not a statistic Berth keeps")
	}
	if _, ok := (Datum{}).Stat(Average); ok {
		t.Error("an empty datum has no average")
	}
	// A count's average is its mean.
	if got, _ := Value(2).Merge(Value(4)).Stat(Average); got != 3 {
		t.Errorf("average of counts 2 and 4 = %v", got)
	}
	// Merging with nothing changes nothing.
	if diff := cmp.Diff(d, d.Merge(Datum{})); diff != "" {
		t.Error(diff)
	}
}

func TestAlignStart(t *testing.T) {
	at := time.Date(2026, 7, 1, 12, 32, 34, 500, time.UTC)
	for _, tc := range []struct {
		period time.Duration
		want   time.Time
	}{
		// CloudWatch's example: 12:32:34 rounds down to 12:32:00.
		{time.Minute, time.Date(2026, 7, 1, 12, 32, 0, 0, time.UTC)},
		{5 * time.Minute, time.Date(2026, 7, 1, 12, 32, 0, 0, time.UTC)},
		{10 * time.Second, time.Date(2026, 7, 1, 12, 32, 30, 0, time.UTC)},
		{time.Second, time.Date(2026, 7, 1, 12, 32, 34, 0, time.UTC)},
	} {
		if got := AlignStart(at, tc.period); !got.Equal(tc.want) {
			t.Errorf("AlignStart(%s) = %s, want %s", tc.period, got, tc.want)
		}
	}
}

func TestBuckets(t *testing.T) {
	points := func(secs ...int) []Point {
		var out []Point
		for i, s := range secs {
			out = append(out, Point{Time: t0.Add(time.Duration(s) * time.Second), Datum: Value(float64(i + 1))})
		}
		return out
	}
	b := func(sec int, d Datum) Bucket {
		return Bucket{Start: t0.Add(time.Duration(sec) * time.Second), Datum: d}
	}
	for _, tc := range []struct {
		name       string
		points     []Point
		start, end int
		period     time.Duration
		want       []Bucket
	}{
		{"one sample a minute, one bucket each", points(0, 60, 120), 0, 180, time.Minute,
			[]Bucket{b(0, Value(1)), b(60, Value(2)), b(120, Value(3))}},
		{"several samples a minute merge", points(0, 10, 50, 60), 0, 120, time.Minute,
			[]Bucket{b(0, Value(1).Merge(Value(2)).Merge(Value(3))), b(60, Value(4))}},
		{"start inclusive, end exclusive", points(0, 60, 120), 60, 120, time.Minute,
			[]Bucket{b(60, Value(2))}},
		{"a period without samples has no bucket", points(0, 130), 0, 180, time.Minute,
			[]Bucket{b(0, Value(1)), b(120, Value(2))}},
		{"five-minute periods from the start", points(0, 60, 299, 300, 500), 0, 600, 5 * time.Minute,
			[]Bucket{b(0, Value(1).Merge(Value(2)).Merge(Value(3))), b(300, Value(4).Merge(Value(5)))}},
		{"buckets start at the start, not at the epoch", points(30, 100), 30, 150, time.Minute,
			[]Bucket{b(30, Value(1)), b(90, Value(2))}},
		{"nothing in range", points(0), 60, 120, time.Minute, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Buckets(tc.points, t0.Add(time.Duration(tc.start)*time.Second), t0.Add(time.Duration(tc.end)*time.Second), tc.period)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestPeriodCount(t *testing.T) {
	for _, tc := range []struct {
		span, period time.Duration
		want         int64
	}{
		{time.Hour, time.Minute, 60},
		{time.Hour + time.Second, time.Minute, 61},
		{24 * time.Hour, time.Minute, 1440},
		{0, time.Minute, 0},
	} {
		if got := PeriodCount(t0, t0.Add(tc.span), tc.period); got != tc.want {
			t.Errorf("PeriodCount(%s, %s) = %d, want %d", tc.span, tc.period, got, tc.want)
		}
	}
}

func TestStore(t *testing.T) {
	s := NewStore(5*time.Minute, time.Minute)
	if s.Capacity() != 6 {
		t.Fatalf("capacity %d, want 6 (five minutes of samples and the one at the start)", s.Capacity())
	}
	web := ID{Namespace: "a", MetricNS: NamespaceECS, MetricName: CPUUtilization, Cluster: "c", Service: "web"}
	api := ID{Namespace: "a", MetricNS: NamespaceECS, MetricName: CPUUtilization, Cluster: "c", Service: "api"}
	other := ID{Namespace: "b", MetricNS: NamespaceECS, MetricName: CPUUtilization, Cluster: "c", Service: "web"}
	for i := range 10 {
		samples := []Sample{{ID: web, Datum: Value(float64(i))}, {ID: other, Datum: Value(1)}}
		if i < 3 {
			samples = append(samples, Sample{ID: api, Datum: Value(float64(i))})
		}
		s.Record(t0.Add(time.Duration(i)*time.Minute), samples)
	}
	got := s.Series("a")
	// api's last sample (minute 2) is 7 minutes old: dropped. web keeps
	// its last 6 points, oldest first.
	var want []Point
	for i := 4; i < 10; i++ {
		want = append(want, Point{Time: t0.Add(time.Duration(i) * time.Minute), Datum: Value(float64(i))})
	}
	if diff := cmp.Diff([]Series{{ID: web, Points: want}}, got); diff != "" {
		t.Error(diff)
	}
	if s.Len() != 2 {
		t.Errorf("%d series kept, want 2 (web in a and in b)", s.Len())
	}
	// A snapshot is a copy.
	got[0].Points[0].Sum = 99
	if s.Series("a")[0].Points[0].Sum == 99 {
		t.Error("Series returned the store's own slice")
	}
}

func TestRing(t *testing.T) {
	r := newRing(3)
	if !r.newest().IsZero() || len(r.snapshot()) != 0 {
		t.Fatal("an empty ring has points")
	}
	for i := range 5 {
		r.add(Point{Time: t0.Add(time.Duration(i) * time.Second)})
		want := min(i+1, 3)
		snap := r.snapshot()
		if len(snap) != want || !snap[len(snap)-1].Time.Equal(t0.Add(time.Duration(i)*time.Second)) || !r.newest().Equal(snap[len(snap)-1].Time) {
			t.Fatalf("after %d adds: %v", i+1, snap)
		}
		for j := 1; j < len(snap); j++ {
			if !snap[j-1].Time.Before(snap[j].Time) {
				t.Fatalf("after %d adds, not oldest first: %v", i+1, snap)
			}
		}
	}
}

func TestCompute(t *testing.T) {
	const mi = 1 << 20
	task := func(cluster, service string, running, usage bool, cpuUsed, cpuRes, memUsed, memRes int64) Task {
		return Task{Namespace: "ns", Cluster: cluster, Service: service, Running: running, HasUsage: usage,
			CPUUsed: cpuUsed, CPUReserved: cpuRes, MemoryUsed: memUsed, MemoryReserved: memRes}
	}
	services := []ServiceState{
		{Namespace: "ns", Cluster: "prod", Service: "web", Desired: ptr.To[int32](3), Running: ptr.To[int32](2), Pending: ptr.To[int32](1)},
		{Namespace: "ns", Cluster: "prod", Service: "idle", Desired: ptr.To[int32](0), Running: ptr.To[int32](0), Pending: ptr.To[int32](0)},
		// Counts not known yet: not published.
		{Namespace: "ns", Cluster: "dev", Service: "new"},
	}
	tasks := []Task{
		task("prod", "web", true, true, 128, 256, 256*mi, 512*mi),
		task("prod", "web", true, true, 256, 256, 128*mi, 512*mi),
		task("prod", "web", false, false, 0, 256, 0, 512*mi), // pending
		task("prod", "", true, true, 512, 1024, 1024*mi, 2048*mi),
		// Running, but metrics-server has no point for it yet.
		task("dev", "", true, false, 0, 1024, 0, 2048*mi),
	}
	got := map[ID]Datum{}
	samples := Compute(services, tasks)
	for _, s := range samples {
		if _, dup := got[s.ID]; dup {
			t.Errorf("%+v twice", s.ID)
		}
		got[s.ID] = s.Datum
	}
	for i := 1; i < len(samples); i++ {
		if samples[i-1].Compare(samples[i].ID) >= 0 {
			t.Errorf("samples not sorted at %d", i)
		}
	}
	id := func(ns, name, cluster, service string) ID {
		return ID{Namespace: "ns", MetricNS: ns, MetricName: name, Cluster: cluster, Service: service}
	}
	ci := NamespaceContainerInsights
	want := map[ID]Datum{
		// web: 50 % and 100 % CPU, 50 % and 25 % memory.
		id(NamespaceECS, CPUUtilization, "prod", "web"):    {SampleCount: 2, Sum: 150, Min: 50, Max: 100, Used: 384, Reserved: 512},
		id(NamespaceECS, MemoryUtilization, "prod", "web"): {SampleCount: 2, Sum: 75, Min: 25, Max: 50, Used: 384 * mi, Reserved: 1024 * mi},
		id(ci, RunningTaskCount, "prod", "web"):            Value(2),
		id(ci, PendingTaskCount, "prod", "web"):            Value(1),
		id(ci, DesiredTaskCount, "prod", "web"):            Value(3),
		id(ci, CPUUtilized, "prod", "web"):                 Value(384 * 1.024),
		id(ci, CPUReserved, "prod", "web"):                 Value(512 * 1.024),
		id(ci, MemoryUtilized, "prod", "web"):              Value(384),
		id(ci, MemoryReserved, "prod", "web"):              Value(1024),
		// idle: counts, no utilization (no running task).
		id(ci, RunningTaskCount, "prod", "idle"): Value(0),
		id(ci, PendingTaskCount, "prod", "idle"): Value(0),
		id(ci, DesiredTaskCount, "prod", "idle"): Value(0),
		// prod: web's tasks and the standalone one.
		id(NamespaceECS, CPUUtilization, "prod", ""):    {SampleCount: 3, Sum: 200, Min: 50, Max: 100, Used: 896, Reserved: 1536},
		id(NamespaceECS, MemoryUtilization, "prod", ""): {SampleCount: 3, Sum: 125, Min: 25, Max: 50, Used: 1408 * mi, Reserved: 3072 * mi},
		id(ci, ServiceCount, "prod", ""):                Value(2),
		id(ci, TaskCount, "prod", ""):                   Value(3),
		id(ci, CPUUtilized, "prod", ""):                 Value(896 * 1.024),
		id(ci, CPUReserved, "prod", ""):                 Value(1536 * 1.024),
		id(ci, MemoryUtilized, "prod", ""):              Value(1408),
		id(ci, MemoryReserved, "prod", ""):              Value(3072),
		// dev: one service without counts, one running task without use.
		id(ci, ServiceCount, "dev", ""):   Value(1),
		id(ci, TaskCount, "dev", ""):      Value(1),
		id(ci, CPUReserved, "dev", ""):    Value(1024 * 1.024),
		id(ci, MemoryReserved, "dev", ""): Value(2048),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Compute (-want +got):\n%s", diff)
	}
	if avg, _ := got[id(NamespaceECS, CPUUtilization, "prod", "web")].Stat(Average); avg != 75 {
		t.Errorf("web's average CPU = %v, want 75 (384m used of 512m reserved)", avg)
	}
}

func TestUnit(t *testing.T) {
	for name, want := range map[string]string{CPUUtilization: UnitPercent, RunningTaskCount: UnitCount, MemoryReserved: UnitMegabytes, CPUUtilized: UnitNone} {
		if got := Unit(name); got != want {
			t.Errorf("Unit(%s) = %s, want %s", name, got, want)
		}
	}
}
