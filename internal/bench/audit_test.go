package bench

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestActor(t *testing.T) {
	ev := func(user, agent string) *AuditEvent {
		e := &AuditEvent{UserAgent: agent}
		e.User.Username = user
		return e
	}
	for _, tc := range []struct {
		e    *AuditEvent
		want string
	}{
		{ev(operatorUser, "berth-bench/v0"), "berth"},
		{ev(baselineUser, "bench-baseline"), "baseline"},
		{ev("berth-admin", "kwok/v0.8.0 (linux/amd64)"), "kwok"},
		{ev("berth-admin", "berth-bench"), "harness"},
		{ev("berth-admin", "berth-bench-recorder"), "harness"},
		{ev("system:serviceaccount:kube-system:replicaset-controller", "kube-controller-manager/v1.37.2"), "kube-controller-manager"},
		{ev("berth-admin", "kube-controller-manager/v0.0.0 (linux/amd64) kubernetes/$Format/kube-controller-manager"), "kube-controller-manager"},
		{ev("berth-admin", "kube-scheduler/v0.0.0 (linux/amd64) kubernetes/$Format/scheduler"), "kube-scheduler"},
		{ev("someone", "curl/8"), "other"},
	} {
		if got := tc.e.Actor(); got != tc.want {
			t.Errorf("Actor(%s, %s) = %s, want %s", tc.e.User.Username, tc.e.UserAgent, got, tc.want)
		}
	}
}

func TestAuditLogReadsOnlyCompleteNewLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	line := func(stage, verb, res string) string {
		return `{"stage":"` + stage + `","verb":"` + verb + `","user":{"username":"` + operatorUser + `"},"objectRef":{"resource":"` + res + `","subresource":"status"}}` + "\n"
	}
	if err := os.WriteFile(path, []byte(line("ResponseComplete", "patch", "services")), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := NewAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	second := line("ResponseComplete", "create", "deployments")
	_, _ = f.WriteString(line("ResponseStarted", "patch", "services") + second[:20])
	events, err := a.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 0 {
		t.Fatalf("events before the last line is complete: %+v", events)
	}
	_, _ = f.WriteString(second[20:])
	events, err = a.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].VerbResource() != "create deployments/status" || events[0].Actor() != "berth" {
		t.Fatalf("got %+v, want the one completed create", events)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	const before = `# TYPE req histogram
req_bucket{resource="pods",verb="POST",le="0.1"} 10
req_bucket{resource="pods",verb="POST",le="0.5"} 10
req_bucket{resource="pods",verb="POST",le="+Inf"} 10
req_sum{resource="pods",verb="POST"} 0.5
req_count{resource="pods",verb="POST"} 10
`
	// 100 more requests: 90 at most 0.1 s, 10 between 0.1 and 0.5 s.
	const after = `# TYPE req histogram
req_bucket{resource="pods",verb="POST",le="0.1"} 100
req_bucket{resource="pods",verb="POST",le="0.5"} 110
req_bucket{resource="pods",verb="POST",le="+Inf"} 110
req_sum{resource="pods",verb="POST"} 9
req_count{resource="pods",verb="POST"} 110
`
	b, err := ParseMetrics(strings.NewReader(before))
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseMetrics(strings.NewReader(after))
	if err != nil {
		t.Fatal(err)
	}
	q := HistogramQuantiles(b, a, "req", 0.99, "resource", "verb")["pods POST"]
	if q.Count != 100 {
		t.Errorf("count = %d, want 100", q.Count)
	}
	// rank 99 of 100: 9 of the 10 observations into the 0.1-0.5 bucket.
	if want := 0.1 + 0.4*9/10; math.Abs(q.Quantile-want) > 1e-9 {
		t.Errorf("p99 = %v, want %v", q.Quantile, want)
	}
	if med := HistogramQuantiles(b, a, "req", 0.5, "resource", "verb")["pods POST"].Quantile; math.Abs(med-0.1*50/90) > 1e-9 {
		t.Errorf("p50 = %v, want %v", med, 0.1*50/90)
	}
}

func TestSummarizeM1(t *testing.T) {
	res := M1Result{Services: 100, Runs: []Run{
		{Side: "baseline", Pair: 1, Seconds: 10}, {Side: "berth", Pair: 1, Seconds: 12, OpSeconds: 13, Writes: map[string]int{"berth": 300}},
		{Side: "baseline", Pair: 2, Seconds: 20}, {Side: "berth", Pair: 2, Seconds: 30, OpSeconds: 30, Writes: map[string]int{"berth": 320}},
		// The last pair waited for every deployment to complete: the
		// writes per Service are counted from it alone.
		{Side: "baseline", Pair: 3, Seconds: 10, CompletedSeconds: 50}, {Side: "berth", Pair: 3, Seconds: 11, OpSeconds: 14, CompletedSeconds: 55, Writes: map[string]int{"berth": 410}},
	}}
	summarizeM1(&res)
	if res.MedianBerth != 12 || res.MedianBaseline != 10 {
		t.Errorf("medians %v, %v; want 12, 10", res.MedianBerth, res.MedianBaseline)
	}
	if want := []float64{1.2, 1.5, 1.1}; len(res.PairRatios) != 3 || res.PairRatios[0] != want[0] || res.PairRatios[1] != want[1] || res.PairRatios[2] != want[2] {
		t.Errorf("pair ratios %v, want %v", res.PairRatios, want)
	}
	if res.Ratio != 1.2 || res.BerthWritesPerService != 4.1 || res.ServicesPerSecond != 8.333 {
		t.Errorf("ratio %v writes/service %v services/s %v; want 1.2, 4.1, 8.333", res.Ratio, res.BerthWritesPerService, res.ServicesPerSecond)
	}
	if res.OpRatio != 1.4 || res.CompletedRatio != 1.1 {
		t.Errorf("T_op ratio %v, COMPLETED ratio %v; want 1.4 (median of 13/10, 30/20, 14/10), 1.1 (55/50)", res.OpRatio, res.CompletedRatio)
	}
}
