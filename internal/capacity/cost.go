package capacity

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Price is a price per vCPU-hour and per GB-hour, in US dollars.
type Price struct {
	VCPUHour, GBHour float64
}

// Default prices: AWS's us-east-1 Linux/x86 prices of Fargate and Fargate
// Spot (Spot's vary; these are typical).
var (
	FargatePrice     = Price{VCPUHour: 0.04048, GBHour: 0.004445}
	FargateSpotPrice = Price{VCPUHour: 0.01334053, GBHour: 0.00146489}
)

// Usage is what tasks used: vCPU-seconds and GB-seconds.
type Usage struct {
	VCPUSeconds, GBSeconds float64
}

// Cost is the usage's price.
func (u Usage) Cost(p Price) float64 {
	return u.VCPUSeconds/3600*p.VCPUHour + u.GBSeconds/3600*p.GBHour
}

// Add adds o.
func (u Usage) Add(o Usage) Usage {
	return Usage{VCPUSeconds: u.VCPUSeconds + o.VCPUSeconds, GBSeconds: u.GBSeconds + o.GBSeconds}
}

// Format writes a figure as its status string.
func Format(f float64, decimals int) string { return strconv.FormatFloat(f, 'f', decimals, 64) }

// ParseFigure reads a figure written by Format (0 when empty).
func ParseFigure(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("figure %q: %w", s, err)
	}
	return f, nil
}

// RunningTask is a task that runs on a pool, for its usage.
type RunningTask struct {
	// Key groups tasks (namespace, cluster, service).
	Key CostKey
	// VCPU and GB are the task's size.
	VCPU, GB float64
	// Since is when it started running.
	Since time.Time
}

// CostKey is what usage is rolled up by.
type CostKey struct {
	Namespace, Cluster, Service string
}

// Accrue adds the usage of the running tasks between from and to (a task
// started since counts from its start) to the totals. A zero from starts
// the accrual now: nothing is added.
func Accrue(totals map[CostKey]Usage, tasks []RunningTask, from, to time.Time) map[CostKey]Usage {
	res := make(map[CostKey]Usage, len(totals))
	for k, v := range totals {
		res[k] = v
	}
	if from.IsZero() || !to.After(from) {
		return res
	}
	for _, t := range tasks {
		start := from
		if t.Since.After(start) {
			start = t.Since
		}
		secs := to.Sub(start).Seconds()
		if secs <= 0 {
			continue
		}
		res[t.Key] = res[t.Key].Add(Usage{VCPUSeconds: t.VCPU * secs, GBSeconds: t.GB * secs})
	}
	return res
}

// Top returns the keys sorted by cost, most expensive first (ties by key),
// at most n.
func Top(totals map[CostKey]Usage, p Price, n int) []CostKey {
	keys := make([]CostKey, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ci, cj := totals[keys[i]].Cost(p), totals[keys[j]].Cost(p)
		if ci != cj {
			return ci > cj
		}
		a, b := keys[i], keys[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		return a.Service < b.Service
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}
