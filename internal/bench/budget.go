package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// targetWritesPerService is the most operator writes a new Service may
// cost, Events included (issue 21): its Deployment and its status until it
// is steady; its finalizer too where no admission policy adds it.
const targetWritesPerService = 4.0

// smokeWritesCeiling is what `make bench-smoke` enforces at N = 20: the
// target, and one write more in five Services for timing alone: a Service
// whose task takes longer than the 1-s coalescing window to run is written
// once more, with its PENDING count (`make test` runs the smoke under -race
// beside other packages). A write more per Service fails it.
const smokeWritesCeiling = targetWritesPerService + 0.2

// sharedWrites are the operator's writes that are not a Service's own:
// the status of its Cluster and capacity providers, which count the
// services and tasks of many and are written at most every 2 s each
// whatever the number of Services (controllers/cluster statusInterval).
var sharedWrites = map[string]bool{"patch clusters/status": true, "patch capacityproviders/status": true}

// WriteBudget is what a new 1-task Service costs in operator writes,
// counted in kube-apiserver's audit log over an M1 run of Berth (the cell
// of 1-task Services with the most Services, the median by writes of its
// runs that waited for COMPLETED): from its creation until it is Ready
// with its deployment COMPLETED.
type WriteBudget struct {
	Services int `json:"services"`
	// PerService is the operator's mutating requests per Service on the
	// Service and what it owns (its status, finalizer, Deployment,
	// Events); Shared the writes of the status of the Cluster and the
	// capacity providers over the run, per Service.
	PerService float64 `json:"perService"`
	Shared     float64 `json:"shared"`
	// ByVerbResource splits both ("patch services/status": 2.01).
	ByVerbResource map[string]float64 `json:"byVerbResource"`
	Target         float64            `json:"target"`
}

// writeBudget computes the budget from r's M1 cells (nil without a
// 1-task cell).
func writeBudget(cells []M1Result) *WriteBudget {
	var cell *M1Result
	for i := range cells {
		c := &cells[i]
		if c.Tasks == 1 && c.Profile == "unthrottled" && (cell == nil || c.Services > cell.Services) {
			cell = c
		}
	}
	if cell == nil {
		return nil
	}
	var runs []*Run
	for i := range cell.Runs {
		if cell.Runs[i].Side == "berth" && cell.Runs[i].CompletedSeconds > 0 {
			runs = append(runs, &cell.Runs[i])
		}
	}
	if len(runs) == 0 || cell.Services == 0 {
		return nil
	}
	slices.SortStableFunc(runs, func(a, b *Run) int { return a.Writes["berth"] - b.Writes["berth"] })
	run := runs[len(runs)/2]
	n := float64(cell.Services)
	b := &WriteBudget{Services: cell.Services, Target: targetWritesPerService, ByVerbResource: map[string]float64{}}
	shared := 0
	for k, w := range run.BerthWrites {
		b.ByVerbResource[k] = round3(float64(w) / n)
		if sharedWrites[k] {
			shared += w
		}
	}
	b.PerService = round3(float64(run.Writes["berth"]-shared) / n)
	b.Shared = round3(float64(shared) / n)
	return b
}

// split lists ByVerbResource, largest first.
func (b *WriteBudget) split() string {
	keys := slices.Sorted(maps.Keys(b.ByVerbResource))
	slices.SortStableFunc(keys, func(x, y string) int {
		switch {
		case b.ByVerbResource[x] > b.ByVerbResource[y]:
			return -1
		case b.ByVerbResource[x] < b.ByVerbResource[y]:
			return 1
		}
		return 0
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, b.ByVerbResource[k]))
	}
	return strings.Join(parts, ", ")
}

func judgeWrites(b *WriteBudget) Verdict {
	return Verdict{
		Metric: "Operator writes per new Service (audit log, Events included)", Target: fmt.Sprintf("≤ %.0f", b.Target),
		Measured: fmt.Sprintf("%.2f at N=%d, and %.2f of Cluster and capacity provider status (%s)", b.PerService, b.Services, b.Shared, b.split()),
		Pass:     b.PerService <= b.Target,
	}
}
