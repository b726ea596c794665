package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// targetWritesPerService is the most operator writes a new Service may
// cost, Events included (issue 21): its Deployment, its finalizer and its
// status until it is steady.
const targetWritesPerService = 4.0

// smokeWritesCeiling is what `make bench-smoke` enforces: the target once
// Berth meets it; until then the cost measured when the check was added,
// so that no change makes a Service dearer unnoticed.
const smokeWritesCeiling = 8.0

// WriteBudget is what a new 1-task Service costs in operator writes,
// counted in kube-apiserver's audit log over an M1 run of Berth (the cell
// of 1-task Services with the most Services, its median run by writes):
// from its creation until it is Ready with its deployment COMPLETED.
type WriteBudget struct {
	Services int `json:"services"`
	// PerService is the operator's mutating requests per Service.
	PerService float64 `json:"perService"`
	// ByVerbResource splits PerService ("patch services/status": 2.01).
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
		if cell.Runs[i].Side == "berth" {
			runs = append(runs, &cell.Runs[i])
		}
	}
	if len(runs) == 0 || cell.Services == 0 {
		return nil
	}
	slices.SortStableFunc(runs, func(a, b *Run) int { return a.Writes["berth"] - b.Writes["berth"] })
	run := runs[len(runs)/2]
	b := &WriteBudget{Services: cell.Services, Target: targetWritesPerService, ByVerbResource: map[string]float64{},
		PerService: round3(float64(run.Writes["berth"]) / float64(cell.Services))}
	for k, n := range run.BerthWrites {
		b.ByVerbResource[k] = round3(float64(n) / float64(cell.Services))
	}
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
		Measured: fmt.Sprintf("%.2f at N=%d (%s)", b.PerService, b.Services, b.split()),
		Pass:     b.PerService <= b.Target,
	}
}
