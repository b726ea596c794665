package bench

import "testing"

func TestWriteBudget(t *testing.T) {
	cells := []M1Result{
		{Profile: "unthrottled", Services: 100, Tasks: 10, Runs: []Run{{Side: "berth", Writes: map[string]int{"berth": 9000}}}},
		{Profile: "unthrottled", Services: 100, Tasks: 1, Runs: []Run{
			{Side: "baseline", Writes: map[string]int{"baseline": 100}},
			{Side: "berth", Writes: map[string]int{"berth": 700}},
			{Side: "berth", Writes: map[string]int{"berth": 520}, BerthWrites: map[string]int{"patch deployments": 100, "patch services/status": 300, "patch services": 100, "patch clusters/status": 20}},
			{Side: "berth", Writes: map[string]int{"berth": 400}},
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
