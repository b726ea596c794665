package bench

import (
	"fmt"
	"time"
)

// Targets of the benchmark issue.
const (
	targetM1Ratio      = 1.3
	targetM3MiB        = 30.0
	targetM4P99Ms      = 1000.0
	targetBenchMinutes = 30.0
)

// judge compares the figures with the targets and appends the verdicts.
func judge(r *Report) {
	if r.M2 != nil {
		r.Verdicts = append(r.Verdicts, Verdict{
			Metric: "M2 writes per no-op resync", Target: "0 mutating requests, 0 resourceVersion changes",
			Measured: fmt.Sprintf("%d requests, %d resourceVersion changes over %d Services (%d reconciles)",
				r.M2.MutatingRequests, r.M2.ResourceVersionChanges, r.M2.Services, r.M2.ReconcilesObserved),
			Pass: r.M2.MutatingRequests == 0 && r.M2.ResourceVersionChanges == 0,
		})
	}
	for _, m := range r.M1 {
		if m.Profile != "unthrottled" || m.Tasks != 1 || m.Services < 1000 {
			continue
		}
		r.Verdicts = append(r.Verdicts, Verdict{
			Metric: fmt.Sprintf("M1 T(Berth)/T(baseline), N=%d, 1 task", m.Services), Target: fmt.Sprintf("≤ %.1f", targetM1Ratio),
			Measured: fmt.Sprintf("%.3f (pairs %v; %.1f s vs %.1f s)", m.Ratio, m.PairRatios, m.MedianBerth, m.MedianBaseline),
			Pass:     m.Ratio > 0 && m.Ratio <= targetM1Ratio,
		})
	}
	if r.M3 != nil {
		r.Verdicts = append(r.Verdicts, Verdict{
			Metric: "M3 operator memory above a bare manager", Target: fmt.Sprintf("≤ %.0f MiB per 1,000 Services", targetM3MiB),
			Measured: fmt.Sprintf("%.1f MiB per 1,000 (Go memory after GC: %.1f vs %.1f MiB at %d Services)",
				r.M3.OverheadMiBPer1000, r.M3.Operator.GoMiB, r.M3.Bare.GoMiB, r.M3.Services),
			Pass: r.M3.OverheadMiBPer1000 <= targetM3MiB,
		})
	}
	worst := -1.0
	var worstRate float64
	missed := 0
	for _, m := range r.M4 {
		if m.Side != "berth" {
			continue
		}
		missed += m.Missed
		if m.P99Ms > worst {
			worst, worstRate = m.P99Ms, m.RatePerSecond
		}
	}
	if worst >= 0 {
		r.Verdicts = append(r.Verdicts, Verdict{
			Metric: "M4 edit → new Deployment template, p99", Target: fmt.Sprintf("≤ %.0f ms", targetM4P99Ms),
			Measured: fmt.Sprintf("%.0f ms (worst rate %.0f/s; %d edits missed)", worst, worstRate, missed),
			Pass:     worst <= targetM4P99Ms && missed == 0,
		})
	}
	if !r.Config.Quick {
		d := r.Finished.Sub(r.Started)
		r.Verdicts = append(r.Verdicts, Verdict{
			Metric: "`make bench` duration", Target: fmt.Sprintf("< %.0f min", targetBenchMinutes),
			Measured: d.Round(time.Second).String(),
			Pass:     d.Minutes() < targetBenchMinutes,
		})
	}
}
