package bench

import (
	"slices"
	"testing"
	"time"
)

func TestWriteBudget(t *testing.T) {
	cells := []M1Result{
		{Profile: "unthrottled", Services: 100, Tasks: 10, Runs: []Run{{Side: "berth", Writes: map[string]int{"berth": 9000}}}},
		{Profile: "unthrottled", Services: 100, Tasks: 1, Runs: []Run{
			{Side: "baseline", Writes: map[string]int{"baseline": 100}},
			{Side: "berth", Writes: map[string]int{"berth": 700}, CompletedSeconds: 50},
			// Counted to T_full only: not the budget's.
			{Side: "berth", Writes: map[string]int{"berth": 300}},
			{Side: "berth", Writes: map[string]int{"berth": 520}, CompletedSeconds: 50, BerthWrites: map[string]int{"patch deployments": 100, "patch services/status": 300, "patch services": 100, "patch clusters/status": 20}},
			{Side: "berth", Writes: map[string]int{"berth": 400}, CompletedSeconds: 50},
		}},
		{Profile: "default", Services: 1000, Tasks: 1, Runs: []Run{{Side: "berth", Writes: map[string]int{"berth": 1}}}},
	}
	b := writeBudget(cells)
	if b == nil {
		t.Fatal("no budget")
	}
	if b.Services != 100 || b.PerService != 5 || b.Shared != 0.2 || b.ByVerbResource["patch services/status"] != 3 {
		t.Errorf("got %+v; want the unthrottled 1-task cell's median Berth run: 5 per Service, 3 of them status patches, and 0.2 of the Cluster's", b)
	}
	if got, want := b.split(), "patch services/status 3.00, patch deployments 1.00, patch services 1.00, patch clusters/status 0.20"; got != want {
		t.Errorf("split %q, want %q", got, want)
	}
	if v := judgeWrites(b); v.Pass {
		t.Errorf("5 writes passed the target of 4: %+v", v)
	}
	if writeBudget(cells[:1]) != nil {
		t.Error("a budget without a 1-task cell")
	}
}

// TestJudgeStopped: a run stopped in a later scenario still judges what it
// measured, but not the duration of a run it did not finish.
func TestJudgeStopped(t *testing.T) {
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cell := M1Result{Profile: "unthrottled", Services: 1000, Tasks: 1, Ratio: 1.1, PairRatios: []float64{1.1}}
	for _, tc := range []struct {
		stopped, large bool
		want           []string
	}{
		{want: []string{"M1 T_full(Berth)/T_full(baseline), N=1000, 1 task", "`make bench` duration"}},
		{stopped: true, want: []string{"M1 T_full(Berth)/T_full(baseline), N=1000, 1 task"}},
		{large: true, want: []string{"M1 T_full(Berth)/T_full(baseline), N=1000, 1 task"}},
	} {
		r := &Report{Started: started, Finished: started.Add(50 * time.Minute), M1: []M1Result{cell}, Config: Config{Large: tc.large}}
		if tc.stopped {
			r.Config.Stopped = "M5 scale back to 10: context canceled"
		}
		judge(r)
		var got []string
		for _, v := range r.Verdicts {
			got = append(got, v.Metric)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("stopped %v, large %v: verdicts %q, want %q", tc.stopped, tc.large, got, tc.want)
		}
	}
}
