package capacityprovider

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/capacity"
)

// maxCostEntries bounds status.cost.byService.
const maxCostEntries = 100

// price is the pool's price table: its own, or AWS's default for its type.
func price(cp *ecsv1alpha1.CapacityProvider) capacity.Price {
	def := capacity.FargatePrice
	if cp.Spec.Type == ecsv1alpha1.CapacityProviderFargateSpot {
		def = capacity.FargateSpotPrice
	}
	pt := cp.Spec.NodePool.Price
	if pt == nil {
		return def
	}
	v, err1 := capacity.ParseFigure(pt.VCPUHour)
	g, err2 := capacity.ParseFigure(pt.GBHour)
	if err1 != nil || err2 != nil {
		return def
	}
	return capacity.Price{VCPUHour: v, GBHour: g}
}

// accrue adds the running tasks' usage since the last accrual (or, after
// an idle time, since the earliest of them started) to prev. With no task
// running, the clock stops (accruedAt is cleared) and nothing changes after.
func accrue(cp *ecsv1alpha1.CapacityProvider, prev *ecsv1alpha1.Cost, tasks []capacity.RunningTask, now time.Time) (*ecsv1alpha1.Cost, error) {
	if len(tasks) == 0 && (prev == nil || prev.AccruedAt == nil) {
		return prev, nil
	}
	all, totals, from, err := parseCost(prev)
	if err != nil {
		return nil, err
	}
	if from.IsZero() {
		from = now
		for _, t := range tasks {
			if !t.Since.IsZero() && t.Since.Before(from) {
				from = t.Since
			}
		}
	}
	for k, u := range capacity.Accrue(nil, tasks, from, now) {
		all = all.Add(u)
		totals[k] = totals[k].Add(u)
	}
	p := price(cp)
	c := &ecsv1alpha1.Cost{CostFigures: figures(all, p)}
	if len(tasks) > 0 {
		c.AccruedAt = &metav1.Time{Time: now.Truncate(time.Second)}
	}
	for _, k := range capacity.Top(totals, p, maxCostEntries) {
		c.ByService = append(c.ByService, ecsv1alpha1.ServiceCost{Namespace: k.Namespace, Cluster: k.Cluster, Service: k.Service,
			CostFigures: figures(totals[k], p)})
	}
	return c, nil
}

// parseCost reads the figures a status holds: the pool's total, the
// entries by service, and when they were accrued (zero: the clock stands).
func parseCost(prev *ecsv1alpha1.Cost) (capacity.Usage, map[capacity.CostKey]capacity.Usage, time.Time, error) {
	totals := map[capacity.CostKey]capacity.Usage{}
	if prev == nil {
		return capacity.Usage{}, totals, time.Time{}, nil
	}
	all, err := usage(prev.VCPUSeconds, prev.GBSeconds)
	if err != nil {
		return all, nil, time.Time{}, err
	}
	for _, e := range prev.ByService {
		u, err := usage(e.VCPUSeconds, e.GBSeconds)
		if err != nil {
			return all, nil, time.Time{}, err
		}
		totals[capacity.CostKey{Namespace: e.Namespace, Cluster: e.Cluster, Service: e.Service}] = u
	}
	var from time.Time
	if prev.AccruedAt != nil {
		from = prev.AccruedAt.Time
	}
	return all, totals, from, nil
}

func usage(vcpu, gb string) (capacity.Usage, error) {
	v, err := capacity.ParseFigure(vcpu)
	if err != nil {
		return capacity.Usage{}, err
	}
	g, err := capacity.ParseFigure(gb)
	return capacity.Usage{VCPUSeconds: v, GBSeconds: g}, err
}

// figures writes a usage and its price as status figures.
func figures(u capacity.Usage, p capacity.Price) ecsv1alpha1.CostFigures {
	return ecsv1alpha1.CostFigures{VCPUSeconds: capacity.Format(u.VCPUSeconds, 3), GBSeconds: capacity.Format(u.GBSeconds, 3),
		EstimatedCostUSD: capacity.Format(u.Cost(p), 6)}
}

// accrueCost brings a Fargate pool's cost up to date, at most once per
// costInterval; it returns nil for other pools, and when to accrue next.
func accrueCost(cp *ecsv1alpha1.CapacityProvider, prev *ecsv1alpha1.Cost, p *pool, now time.Time, costInterval time.Duration) (*ecsv1alpha1.Cost, time.Duration) {
	if !isFargate(cp) {
		return nil, 0
	}
	tasks := p.runningTasks()
	if prev != nil && prev.AccruedAt != nil {
		if wait := prev.AccruedAt.Add(costInterval).Sub(now); wait > 0 {
			return prev, wait
		}
	}
	c, err := accrue(cp, prev, tasks, now)
	if err != nil {
		// A figure that does not parse (edited by hand) starts over.
		c, _ = accrue(cp, nil, tasks, now)
	}
	if len(tasks) == 0 {
		return c, 0
	}
	return c, costInterval
}
