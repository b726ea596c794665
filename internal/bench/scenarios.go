package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/localcp"
)

// Cell is one M1 configuration: Services × tasks per Service, in Pairs
// A/B pairs (zero: Options.Pairs).
type Cell struct {
	Services, Tasks, Pairs int
}

// Options configure Measure.
type Options struct {
	// Unthrottled are the M1 cells run in the unthrottled profile;
	// Default those run in the default profile (none: the profile is
	// skipped).
	Unthrottled, Default []Cell
	// Pairs of A/B runs per cell.
	Pairs int
	// Steady is the Services count M2, M3 and M4 run at (with one task
	// each); it must be one of the unthrottled cells with Tasks 1. Zero
	// skips M2-M4.
	Steady int
	// NoMemory skips M3 (the idle and bare-manager processes).
	NoMemory bool
	// M4Rates are the edit rates per second; M4Edits edits at each.
	M4Rates []float64
	M4Edits int
	// S1Services (one task each) in S1Shards namespaces: the sharding
	// simulation, run after M1; zero S1Shards skips it.
	S1Services, S1Shards int
	// K1Services are the Services counts the operator's memory is read
	// at (M3 at scale), and K1PerKind the objects of each other kind;
	// run last, after M5. None skips it.
	K1Services []int
	K1PerKind  int
	// M5 Services × M5Tasks; zero skips M5.
	M5Services, M5Tasks int
	// A1 is the ECS API scenario, run in the unthrottled profile after
	// M1 and before M5; zero A1.Services skips it.
	A1 A1Options
	// L1 is the CloudWatch Logs scenario, run after A1; zero L1.Streams
	// skips it.
	L1 L1Options
	// CalibrationObjects per concurrency; zero skips calibration.
	CalibrationObjects int
	NodesPerPool       int
	PodsPerNode        int
	Concurrency        int
	Quick              bool
	Large              bool
	// Timeout bounds each wait for convergence.
	Timeout time.Duration
	Log     io.Writer
}

// Measure runs the benchmark and returns the report (not yet written).
func Measure(ctx context.Context, o Options) (*Report, error) {
	r := &Report{Started: time.Now().UTC(), Machine: machine(), Config: Config{
		Pairs: o.Pairs, MaxConcurrentReconciles: o.Concurrency, NodesPerPool: o.NodesPerPool,
		PodsPerNode: o.PodsPerNode, Quick: o.Quick, Large: o.Large,
	}}
	profiles := []struct {
		p     localcp.Profile
		cells []Cell
	}{{localcp.ProfileUnthrottled, o.Unthrottled}, {localcp.ProfileDefault, o.Default}}
	for _, pr := range profiles {
		if len(pr.cells) == 0 && (pr.p != localcp.ProfileUnthrottled || !apiScenarios(o)) {
			continue
		}
		r.Config.Profiles = append(r.Config.Profiles, profileName(pr.p))
		if err := runProfile(ctx, o, pr.p, pr.cells, r); err != nil {
			// What was measured is still judged; the duration is not.
			r.Finished, r.Config.Stopped = time.Now().UTC(), err.Error()
			judge(r)
			return r, err
		}
	}
	r.Finished = time.Now().UTC()
	judge(r)
	if onlyAPIScenarios(o) {
		// The duration target is the whole `make bench`'s, not A1's or L1's.
		r.Verdicts = slices.DeleteFunc(r.Verdicts, func(v Verdict) bool { return strings.HasPrefix(v.Metric, "`make bench`") })
	}
	return r, nil
}

// apiScenarios tells whether o runs A1 or L1.
func apiScenarios(o Options) bool { return o.A1.Services > 0 || o.L1.Streams > 0 }

// onlyAPIScenarios tells whether o runs A1 or L1 and nothing else.
func onlyAPIScenarios(o Options) bool {
	return apiScenarios(o) && len(o.Unthrottled) == 0 && len(o.Default) == 0 && o.M5Services == 0
}

func runProfile(ctx context.Context, o Options, p localcp.Profile, cells []Cell, r *Report) (err error) {
	h, err := NewHarness(ctx, HarnessOptions{Profile: p, NodesPerPool: o.NodesPerPool, PodsPerNode: o.PodsPerNode, Concurrency: o.Concurrency, Log: o.Log})
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			h.logf("failed: %v (logs in %s)", err, h.LogDir())
		}
		err = errors.Join(err, h.Close())
	}()
	h.logf("control plane up, logs in %s", h.LogDir())
	main := p == localcp.ProfileUnthrottled
	var m3 M3Result
	if main {
		if err := h.beforeOperator(ctx, o, r, &m3); err != nil {
			return err
		}
	}
	if err := h.StartOperator(ctx); err != nil {
		return err
	}
	sort.SliceStable(cells, func(i, j int) bool { return cells[i].Services*cells[i].Tasks < cells[j].Services*cells[j].Tasks })
	for _, c := range cells {
		steady := main && o.Steady == c.Services && c.Tasks == 1
		res, err := h.runCell(ctx, o, c, steady, r, &m3)
		if err != nil {
			return err
		}
		r.M1 = append(r.M1, res)
		h.logf("M1 N=%d r=%d: berth %.2fs baseline %.2fs ratio %.3f", c.Services, c.Tasks, res.MedianBerth, res.MedianBaseline, res.Ratio)
	}
	if main {
		return h.afterM1(ctx, o, r)
	}
	return nil
}

// afterM1 runs S1, A1, L1, M5 and K1, each when o asks for it.
func (h *Harness) afterM1(ctx context.Context, o Options, r *Report) (err error) {
	if o.S1Shards > 0 {
		if r.S1, err = h.s1(ctx, o); err != nil {
			return err
		}
	}
	if o.A1.Services > 0 {
		if r.A1, err = h.a1(ctx, o.A1); err != nil {
			return err
		}
	}
	if o.L1.Streams > 0 {
		if r.L1, err = h.l1(ctx, o.L1); err != nil {
			return err
		}
	}
	if o.M5Services > 0 {
		if r.M5, err = h.m5(ctx, o); err != nil {
			return err
		}
	}
	if len(o.K1Services) > 0 {
		if r.K1, err = h.k1(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// beforeOperator calibrates the control plane and measures the idle
// operator and bare manager (M3), before the operator runs for good.
func (h *Harness) beforeOperator(ctx context.Context, o Options, r *Report, m3 *M3Result) error {
	var err error
	if o.CalibrationObjects > 0 {
		if r.Calibration, err = h.calibrate(ctx, o.CalibrationObjects); err != nil {
			return err
		}
	}
	if o.Steady == 0 || o.NoMemory {
		return nil
	}
	if m3.OperatorIdle, err = h.childMemory(ctx, RoleOperator, 0); err != nil {
		return err
	}
	m3.BareIdle, err = h.childMemory(ctx, RoleBare, 0)
	return err
}

// runCell runs the A/B pairs of one M1 cell: odd pairs baseline first,
// even pairs Berth first (A-B, B-A), so that a drift of the control plane
// over time does not favour one side. In the steady cell, the last pair's
// namespaces also carry M4 (baseline side) and M2, M3 and M4 (Berth side)
// before they are deleted.
func (h *Harness) runCell(ctx context.Context, o Options, c Cell, steady bool, r *Report, m3 *M3Result) (M1Result, error) {
	res := M1Result{Profile: profileName(h.Profile), Services: c.Services, Tasks: c.Tasks}
	pairs := cmp.Or(c.Pairs, o.Pairs)
	for pair := 1; pair <= pairs; pair++ {
		// The last pair of the steady cell waits for every deployment to
		// complete (40 s: minReadySeconds): the write budget counts to
		// COMPLETED, and M2-M4 need it steady. The other cells do not
		// wait: their ratio is to every task Running.
		last := steady && pair == pairs
		baseline := func() error {
			ns := fmt.Sprintf("m1-base-%d-%d-%d", c.Services, c.Tasks, pair)
			// A quick run skips the baseline's wait: its COMPLETED time
			// serves only the ratio to COMPLETED, and costs 40 s.
			run, err := h.runBaseline(ctx, o, ns, c, pair, last && !o.Quick)
			if err != nil {
				return err
			}
			res.Runs = append(res.Runs, run)
			if last {
				if err := h.m4Baselines(ctx, o, ns, c.Services, r); err != nil {
					return err
				}
			}
			return h.deleteNamespace(ctx, ns)
		}
		berth := func() error {
			ns := fmt.Sprintf("m1-berth-%d-%d-%d", c.Services, c.Tasks, pair)
			revisions := 1
			if last {
				revisions = 2
			}
			run, err := h.runBerth(ctx, o, ns, c, pair, revisions, last)
			if err != nil {
				return err
			}
			res.Runs = append(res.Runs, run)
			if last {
				if err := h.steadyState(ctx, o, ns, c.Services, r, m3); err != nil {
					return err
				}
			}
			return h.deleteNamespace(ctx, ns)
		}
		order := []func() error{baseline, berth}
		if pair%2 == 0 && !last {
			order = []func() error{berth, baseline}
		}
		for _, run := range order {
			if err := run(); err != nil {
				return res, err
			}
		}
	}
	summarizeM1(&res)
	return res, nil
}

// m4Baselines runs M4's baseline at every rate on a converged namespace.
func (h *Harness) m4Baselines(ctx context.Context, o Options, ns string, n int, r *Report) error {
	for _, rate := range o.M4Rates {
		m4, err := h.m4Baseline(ctx, ns, n, rate, o.M4Edits)
		if err != nil {
			return err
		}
		r.M4 = append(r.M4, m4)
	}
	return nil
}

// steadyState runs M2, M3 and M4 on a converged namespace.
func (h *Harness) steadyState(ctx context.Context, o Options, ns string, n int, r *Report, m3 *M3Result) error {
	m2, peak, err := h.m2(ctx, n)
	if err != nil {
		return err
	}
	r.M2 = m2
	if !o.NoMemory {
		if err := h.m3(ctx, n, peak, m3); err != nil {
			return err
		}
		r.M3 = m3
	}
	offset := 0
	for _, rate := range o.M4Rates {
		m4, err := h.m4Berth(ctx, ns, n, offset, rate, o.M4Edits)
		if err != nil {
			return err
		}
		offset += o.M4Edits
		r.M4 = append(r.M4, m4)
	}
	return nil
}

// m3 measures the running operator over n Services, then a bare manager
// in its place, and starts the operator again.
func (h *Harness) m3(ctx context.Context, n int, peak float64, m3 *M3Result) error {
	var err error
	m3.Services = n
	if m3.Operator, err = h.operator.Memory(ctx); err != nil {
		return err
	}
	m3.Operator.PeakRSSMiB = peak
	if err := h.StopOperator(); err != nil {
		return err
	}
	if m3.Bare, err = h.childMemory(ctx, RoleBare, n); err != nil {
		return err
	}
	per := 1000 / float64(n)
	m3.OverheadMiBPer1000 = round3((m3.Operator.GoMiB - m3.Bare.GoMiB) * per)
	m3.SlopeMiBPer1000 = round3((m3.Operator.GoMiB - m3.OperatorIdle.GoMiB) * per)
	m3.BareSlopeMiBPer1000 = round3((m3.Bare.GoMiB - m3.BareIdle.GoMiB) * per)
	h.logf("M3: operator %.1f MiB, bare %.1f MiB (Go, after GC) with %d Services", m3.Operator.GoMiB, m3.Bare.GoMiB, n)
	if err := h.StartOperator(ctx); err != nil {
		return err
	}
	_, err = h.waitResynced(ctx, h.operator, n)
	return err
}

// childMemory starts role, waits until it has listed the world (and, with
// services > 0, reconciled them), and returns its memory.
func (h *Harness) childMemory(ctx context.Context, role string, services int) (Memory, error) {
	c, err := startChild(ctx, role, h.operatorKubeconfig, h.logDir, h.concurrency)
	if err != nil {
		return Memory{}, err
	}
	defer func() { _ = c.Stop() }()
	if _, err := h.waitResynced(ctx, c, services); err != nil {
		return Memory{}, err
	}
	m, err := c.Memory(ctx)
	h.logf("memory of %s with %d Services: %+v", role, services, m)
	return m, err
}

// waitResynced waits until c's service controller has reconciled at least
// services times and its reconcile count has not moved for 3 s (at least
// 5 s in all); it returns the reconcile count of every controller.
func (h *Harness) waitResynced(ctx context.Context, c *Child, services int) (float64, error) {
	start := time.Now()
	var lastTotal float64 = -1
	stableSince := time.Now()
	for {
		m, err := c.Metrics(ctx)
		if err != nil {
			return 0, err
		}
		byCtrl := m.SumBy("controller_runtime_reconcile_total", "controller", nil)
		total := 0.0
		for _, v := range byCtrl {
			total += v
		}
		if total != lastTotal {
			lastTotal, stableSince = total, time.Now()
		}
		if byCtrl["service"] >= float64(services) && time.Since(stableSince) >= 3*time.Second && time.Since(start) >= 5*time.Second {
			return total, nil
		}
		if time.Since(start) > 5*time.Minute {
			return 0, fmt.Errorf("%s did not settle: %v reconciles", c.Role, byCtrl)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// flushAudit waits for the batched audit backend (max wait 1 s) to write.
func flushAudit() { time.Sleep(2 * time.Second) }

func (h *Harness) runBaseline(ctx context.Context, o Options, ns string, c Cell, pair int, complete bool) (Run, error) {
	if err := h.createNamespace(ctx, ns, false, 0); err != nil {
		return Run{}, err
	}
	return h.timedRun(ctx, o, ns, "baseline", c, pair, runSpec{
		submit: func(ctx context.Context) error {
			return parallel(ctx, c.Services, h.concurrency, func(ctx context.Context, i int) error {
				d, err := h.baselineDeployment(ns, i, c.Tasks)
				if err != nil {
					return err
				}
				return h.baseline.Apply(ctx, d, client.FieldOwner("bench-baseline"), client.ForceOwnership)
			})
		},
		full:      func(p Progress) bool { return p.Deployments >= c.Services },
		completed: completedWait(complete, func(p Progress) (bool, time.Time) { return p.ReadyDeployments >= c.Services, p.LastReadyDeployment }),
	})
}

func (h *Harness) runBerth(ctx context.Context, o Options, ns string, c Cell, pair, revisions int, complete bool) (Run, error) {
	if err := h.createNamespace(ctx, ns, true, revisions); err != nil {
		return Run{}, err
	}
	return h.timedRun(ctx, o, ns, "berth", c, pair, runSpec{
		submit: func(ctx context.Context) error {
			return parallel(ctx, c.Services, 16, func(ctx context.Context, i int) error {
				return h.admin.Create(ctx, service(ns, i, c.Tasks))
			})
		},
		full:      func(p Progress) bool { return p.Deployments >= c.Services && p.Stable >= c.Services },
		op:        func(p Progress) time.Time { return p.LastStable },
		completed: completedWait(complete, func(p Progress) (bool, time.Time) { return p.Services >= c.Services, p.LastService }),
	})
}

// completedWait is done when complete is asked for, nil otherwise.
func completedWait(complete bool, done func(Progress) (bool, time.Time)) func(Progress) (bool, time.Time) {
	if !complete {
		return nil
	}
	return done
}

// runSpec is what differs between the two sides of an M1 pair: how the
// objects are submitted, and when the workloads report done.
type runSpec struct {
	submit func(ctx context.Context) error
	// full tells, with every task Running, whether the side's objects
	// are there (T_full; Berth also waits for T_op).
	full func(Progress) bool
	// op is when the side's objects reported every task (T_op), if they
	// report.
	op func(Progress) time.Time
	// completed, when set, is waited for after T_full: every deployment
	// done, and when.
	completed func(Progress) (bool, time.Time)
}

// timedRun submits one side's objects and times them until every task is
// Running and the side's workloads report it (and, when spec asks, until
// every deployment is done).
func (h *Harness) timedRun(ctx context.Context, o Options, ns, side string, c Cell, pair int, spec runSpec) (Run, error) {
	flushAudit()
	if _, err := h.audit.Read(); err != nil {
		return Run{}, err
	}
	cpu0 := h.cpu()
	profiled := h.profile(ctx, fmt.Sprintf("m1-%dx%d-%s-%d", c.Services, c.Tasks, side, pair), m1ProfileWindow)
	defer profiled()
	start := time.Now()
	if err := spec.submit(ctx); err != nil {
		return Run{}, fmt.Errorf("%s: %w", side, err)
	}
	created := time.Since(start)
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	p, err := h.rec.WaitFor(wctx, ns, func(p Progress) bool { return p.Pods >= c.Services*c.Tasks && spec.full(p) })
	if err != nil {
		return Run{}, err
	}
	since := func(t time.Time) float64 { return round3(t.Sub(start).Seconds()) }
	run := Run{Side: side, Pair: pair, Seconds: since(p.LastPod), CreateSeconds: round3(created.Seconds()),
		DeploymentsSeconds: since(p.LastDeployment), Pods: h.rec.Curve(ns, start)}
	if spec.op != nil {
		run.OpSeconds = since(spec.op(p))
	}
	run.CPUSeconds = cpuDelta(cpu0, h.cpu())
	if spec.completed != nil {
		if p, err = h.rec.WaitFor(wctx, ns, func(p Progress) bool { ok, _ := spec.completed(p); return ok }); err != nil {
			return Run{}, err
		}
		_, at := spec.completed(p)
		run.CompletedSeconds = since(at)
	}
	flushAudit()
	events, err := h.audit.Read()
	if err != nil {
		return Run{}, err
	}
	run.Writes = CountByActor(events)
	if side == "berth" {
		run.BerthWrites = CountByVerbResource(events, "berth")
	}
	h.logf("%s N=%d r=%d pair %d: T_full %.2fs T_op %.2fs completed %.2fs writes %v operator %v cpu %v", side, c.Services, c.Tasks, pair,
		run.Seconds, run.OpSeconds, run.CompletedSeconds, run.Writes, run.BerthWrites, run.CPUSeconds)
	return run, nil
}

func summarizeM1(res *M1Result) {
	var berth, base, berthWrites []float64
	byPair := map[int]map[string]*Run{}
	for i := range res.Runs {
		r := &res.Runs[i]
		if byPair[r.Pair] == nil {
			byPair[r.Pair] = map[string]*Run{}
		}
		byPair[r.Pair][r.Side] = r
		if r.Side != "berth" {
			base = append(base, r.Seconds)
			continue
		}
		berth = append(berth, r.Seconds)
		if r.CompletedSeconds > 0 {
			berthWrites = append(berthWrites, float64(r.Writes["berth"])/float64(res.Services))
		}
	}
	var opRatios []float64
	for _, p := range slices.Sorted(maps.Keys(byPair)) {
		b, a := byPair[p]["berth"], byPair[p]["baseline"]
		if b == nil || a == nil || a.Seconds <= 0 {
			continue
		}
		res.PairRatios = append(res.PairRatios, round3(b.Seconds/a.Seconds))
		opRatios = append(opRatios, b.OpSeconds/a.Seconds)
		if b.CompletedSeconds > 0 && a.CompletedSeconds > 0 {
			res.CompletedRatio = round3(b.CompletedSeconds / a.CompletedSeconds)
		}
	}
	res.MedianBerth, res.MedianBaseline = round3(median(berth)), round3(median(base))
	res.Ratio, res.OpRatio = round3(median(res.PairRatios)), round3(median(opRatios))
	if res.MedianBerth > 0 {
		res.ServicesPerSecond = round3(float64(res.Services) / res.MedianBerth)
	}
	res.BerthWritesPerService = round3(median(berthWrites))
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile of sorted xs (nearest rank).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// m2 restarts the operator over n converged Services and counts what it
// writes while it resyncs. It returns the restarted process's peak RSS.
func (h *Harness) m2(ctx context.Context, n int) (*M2Result, float64, error) {
	if err := h.StopOperator(); err != nil {
		return nil, 0, err
	}
	flushAudit()
	if _, err := h.audit.Read(); err != nil {
		return nil, 0, err
	}
	before := h.rec.Modified()
	start := time.Now()
	if err := h.StartOperator(ctx); err != nil {
		return nil, 0, err
	}
	reconciles, err := h.waitResynced(ctx, h.operator, n)
	if err != nil {
		return nil, 0, err
	}
	mem, err := h.operator.Memory(ctx)
	if err != nil {
		return nil, 0, err
	}
	flushAudit()
	events, err := h.audit.Read()
	if err != nil {
		return nil, 0, err
	}
	res := &M2Result{Services: n, WindowSeconds: round3(time.Since(start).Seconds()), ReconcilesObserved: int(reconciles), ByVerbResource: map[string]int{}}
	for i := range events {
		if events[i].Actor() == "berth" {
			res.MutatingRequests++
			res.ByVerbResource[events[i].VerbResource()]++
		}
	}
	for k, v := range h.rec.Modified() {
		res.ResourceVersionChanges += v - before[k]
	}
	h.logf("M2: %d mutating requests, %d resourceVersion changes, %d reconciles in %.1fs", res.MutatingRequests, res.ResourceVersionChanges, res.ReconcilesObserved, res.WindowSeconds)
	return res, mem.PeakRSSMiB, nil
}

// edits sends count edits at rate per second, each by send(i), and
// returns when each returned.
func edits(ctx context.Context, count int, rate float64, send func(ctx context.Context, i int) error) ([]time.Time, error) {
	sent := make([]time.Time, count)
	errs := make([]error, count)
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := range count {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			errs[i] = send(ctx, i)
			sent[i] = time.Now()
		})
	}
	wg.Wait()
	return sent, errors.Join(errs...)
}

// latencies waits (up to 30 s) until seen(i) reports each edit, and
// returns the M4 figures.
func latencies(side string, n int, rate float64, sent []time.Time, seen func(i int) (time.Time, bool)) M4Result {
	res := M4Result{Side: side, Services: n, RatePerSecond: rate, Edits: len(sent)}
	deadline := time.Now().Add(30 * time.Second)
	for i := range sent {
		for {
			t, ok := seen(i)
			if ok {
				res.LatenciesMs = append(res.LatenciesMs, max(float64(t.Sub(sent[i]).Microseconds())/1000, 0))
				break
			}
			if time.Now().After(deadline) {
				res.Missed++
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	res.InOrderP50Ms = blockMedians(res.LatenciesMs, 10)
	sort.Float64s(res.LatenciesMs)
	res.P50Ms, res.P90Ms = percentile(res.LatenciesMs, 0.5), percentile(res.LatenciesMs, 0.9)
	res.P99Ms = percentile(res.LatenciesMs, 0.99)
	if len(res.LatenciesMs) > 0 {
		res.MaxMs = res.LatenciesMs[len(res.LatenciesMs)-1]
	}
	return res
}

// blockMedians splits ms (in sending order) into blocks consecutive runs
// and returns the median of each: a queue that builds up shows rising
// figures, a fixed delay flat ones.
func blockMedians(ms []float64, blocks int) []float64 {
	if len(ms) < blocks {
		return nil
	}
	res := make([]float64, blocks)
	for b := range blocks {
		part := slices.Clone(ms[b*len(ms)/blocks : (b+1)*len(ms)/blocks])
		sort.Float64s(part)
		res[b] = round3(percentile(part, 0.5))
	}
	return res
}

// m4Berth edits Services offset..offset+count-1 of ns from revision 1 to
// 2 at rate per second and times each edit to the Deployment template.
func (h *Harness) m4Berth(ctx context.Context, ns string, n, offset int, rate float64, count int) (M4Result, error) {
	if offset+count > n {
		return M4Result{}, fmt.Errorf("M4 needs %d Services, have %d", offset+count, n)
	}
	name := func(i int) string { return service(ns, offset+i, 1).Name }
	patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"taskDefinition":"`+Family+`:2"}}`))
	before, err := h.operator.Metrics(ctx)
	if err != nil {
		return M4Result{}, err
	}
	apiBefore, err := h.apiserverMetrics(ctx)
	if err != nil {
		return M4Result{}, err
	}
	profiled := h.profile(ctx, fmt.Sprintf("m4-%.0f", rate), time.Duration(float64(count)/rate*float64(time.Second)))
	sent, err := edits(ctx, count, rate, func(ctx context.Context, i int) error {
		svc := service(ns, offset+i, 1)
		return h.admin.Patch(ctx, svc, patch)
	})
	if err != nil {
		return M4Result{}, err
	}
	res := latencies("berth", n, rate, sent, func(i int) (time.Time, bool) { return h.rec.TemplateSeen(ns, name(i), "revision=2") })
	profiled()
	after, err := h.operator.Metrics(ctx)
	if err != nil {
		return M4Result{}, err
	}
	serviceQueue(&res, before, after)
	// The operator's own view of its requests (client-go's latency,
	// which includes the wait for a connection).
	p50 := HistogramQuantiles(before, after, "rest_client_request_duration_seconds", 0.5, "verb")
	for verb, q99 := range HistogramQuantiles(before, after, "rest_client_request_duration_seconds", 0.99, "verb") {
		h.logf("M4 berth %.0f/s: operator's %s requests: %d, p50 %.1fms p99 %.1fms", rate, verb, q99.Count, p50[verb].Quantile*1000, q99.Quantile*1000)
	}
	if apiAfter, err := h.apiserverMetrics(ctx); err == nil {
		for _, l := range apiLatencies(apiBefore, apiAfter) {
			if l.Count >= 50 {
				h.logf("M4 berth %.0f/s: kube-apiserver %s %s: %d, p99 %.1fms", rate, l.Verb, l.Resource, l.Count, l.P99Ms)
			}
		}
	}
	h.logf("M4 berth %.0f/s: medians of each tenth of the edits, in sending order: %v ms", rate, res.InOrderP50Ms)
	h.logf("M4 berth %.0f/s: p50 %.1fms p99 %.1fms missed %d; service controller: %d reconciles, queue wait p50 %.1fms p99 %.1fms, reconcile p50 %.1fms p99 %.1fms",
		rate, res.P50Ms, res.P99Ms, res.Missed, res.Reconciles, res.QueueWaitP50Ms, res.QueueWaitP99Ms, res.ReconcileP50Ms, res.ReconcileP99Ms)
	return res, nil
}

// serviceQueue fills in what the Service controller went through between
// two scrapes of the operator's metrics.
func serviceQueue(res *M4Result, before, after Metrics) {
	const name = "service"
	for q, to := range map[float64][2]*float64{0.5: {&res.QueueWaitP50Ms, &res.ReconcileP50Ms}, 0.99: {&res.QueueWaitP99Ms, &res.ReconcileP99Ms}} {
		if w, ok := HistogramQuantiles(before, after, "workqueue_queue_duration_seconds", q, "name")[name]; ok {
			*to[0] = round3(w.Quantile * 1000)
			res.Reconciles = w.Count
		}
		if r, ok := HistogramQuantiles(before, after, "controller_runtime_reconcile_time_seconds", q, "controller")[name]; ok {
			*to[1] = round3(r.Quantile * 1000)
		}
	}
}

// m4Baseline edits the pod template of Deployments of ns directly.
func (h *Harness) m4Baseline(ctx context.Context, ns string, n int, rate float64, count int) (M4Result, error) {
	name := func(i int) string { return service(ns, i, 1).Name }
	tag := fmt.Sprint(rate)
	sent, err := edits(ctx, count, rate, func(ctx context.Context, i int) error {
		d := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name(i)}}
		p := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`, EditAnnotation, tag)
		return h.baseline.Patch(ctx, d, client.RawPatch(types.StrategicMergePatchType, []byte(p)))
	})
	if err != nil {
		return M4Result{}, err
	}
	res := latencies("baseline", n, rate, sent, func(i int) (time.Time, bool) { return h.rec.TemplateSeen(ns, name(i), "edit="+tag) })
	h.logf("M4 baseline %.0f/s: p50 %.1fms p99 %.1fms missed %d", rate, res.P50Ms, res.P99Ms, res.Missed)
	return res, nil
}

// m5 runs Services × tasks over both providers and records what the
// control plane and the operator went through.
func (h *Harness) m5(ctx context.Context, o Options) (*M5Result, error) {
	ns := "m5"
	if err := h.createNamespace(ctx, ns, true, 1); err != nil {
		return nil, err
	}
	apiBefore, err := h.apiserverMetrics(ctx)
	if err != nil {
		return nil, err
	}
	opBefore, err := h.operator.Metrics(ctx)
	if err != nil {
		return nil, err
	}
	flushAudit()
	if _, err := h.audit.Read(); err != nil {
		return nil, err
	}
	res := &M5Result{Services: o.M5Services, TasksPerService: o.M5Tasks, Providers: []string{"FARGATE", "ec2"}}
	stopSampling := h.sampleQueueDepth(ctx, &res.QueueDepthMax)
	start := time.Now()
	c := Cell{Services: o.M5Services, Tasks: o.M5Tasks}
	err = parallel(ctx, c.Services, 16, func(ctx context.Context, i int) error {
		return h.admin.Create(ctx, service(ns, i, c.Tasks))
	})
	var p Progress
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, o.Timeout)
		p, err = h.rec.WaitFor(wctx, ns, func(p Progress) bool {
			return p.Pods >= c.Services*c.Tasks && p.Stable >= c.Services
		})
		cancel()
	}
	stopSampling()
	if err != nil {
		return nil, err
	}
	end := p.LastPod
	if p.LastStable.After(end) {
		end = p.LastStable
	}
	res.Seconds = round3(end.Sub(start).Seconds())
	res.Pods = h.rec.Curve(ns, start)
	startup := h.rec.PodStartup(ns)
	res.PodStartupP50Ms, res.PodStartupP99Ms = percentile(startup, 0.5), percentile(startup, 0.99)
	res.TasksPerProvider = map[string]int{}
	for _, node := range h.rec.RunningNodes(ns) {
		res.TasksPerProvider[strings.SplitN(node, "-", 2)[0]]++
	}
	if err := h.m5Metrics(ctx, res, apiBefore, opBefore); err != nil {
		return nil, err
	}
	h.logf("M5 %d×%d: %.1fs, pod startup p99 %.0fms, writes %v", c.Services, c.Tasks, res.Seconds, res.PodStartupP99Ms, res.Writes)
	if res.ScaleToZeroSeconds, res.ScaleBackSeconds, err = h.scaleToZeroAndBack(ctx, ns, c, o.Timeout); err != nil {
		return res, err // the report keeps what was measured
	}
	h.logf("M5 %d×%d: every Service to desiredCount 0 in %.1fs (no task left), and back in %.1fs (every task Running)",
		c.Services, c.Tasks, res.ScaleToZeroSeconds, res.ScaleBackSeconds)
	return res, nil
}

// scaleToZeroAndBack sets every Service of ns to desiredCount 0 and, once
// no task is left, back to c.Tasks: the seconds from the first edit until
// no pod is left, and from the first edit back until c.Services*c.Tasks
// pods are Running.
func (h *Harness) scaleToZeroAndBack(ctx context.Context, ns string, c Cell, timeout time.Duration) (down, up float64, err error) {
	scale := func(n int) (float64, error) {
		start := time.Now()
		patch := client.RawPatch(types.MergePatchType, []byte(fmt.Sprintf(`{"spec":{"desiredCount":%d}}`, n)))
		if err := parallel(ctx, c.Services, 16, func(ctx context.Context, i int) error {
			return h.admin.Patch(ctx, service(ns, i, c.Tasks), patch)
		}); err != nil {
			return 0, err
		}
		want := c.Services * n
		err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
			total, running, err := h.rec.Pods(ctx, ns)
			return total == want && running == want, err
		})
		return round3(time.Since(start).Seconds()), err
	}
	if down, err = scale(0); err != nil {
		return 0, 0, fmt.Errorf("M5 scale to 0: %w", err)
	}
	if up, err = scale(c.Tasks); err != nil {
		return 0, 0, fmt.Errorf("M5 scale back to %d: %w", c.Tasks, err)
	}
	return down, up, nil
}

// envProfileDir, when set, is where M1 and M4 write CPU profiles of
// kube-apiserver and the operator: M1's over the first m1ProfileWindow of
// each run, M4's while the edits are sent.
const envProfileDir = "BERTH_BENCH_PROFILE_DIR"

// m1ProfileWindow covers most of a 1,000-Service run on 2 cores (the
// baseline's takes about 45 s).
const m1ProfileWindow = 40 * time.Second

// profile starts CPU profiles of kube-apiserver and the operator over d
// (when envProfileDir is set: an M1 run's start, M4's edits) and returns
// a function that waits for them to be written.
func (h *Harness) profile(ctx context.Context, name string, d time.Duration) func() {
	dir := os.Getenv(envProfileDir)
	if dir == "" {
		return func() {}
	}
	secs := strconv.Itoa(max(int(d.Seconds()), 1))
	var wg sync.WaitGroup
	save := func(who string, get func() ([]byte, error)) {
		wg.Go(func() {
			raw, err := get()
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, name+"-"+who+".pprof"), raw, 0o600)
			}
			if err != nil {
				h.logf("profile of %s: %v", who, err)
			}
		})
	}
	save("kube-apiserver", func() ([]byte, error) {
		kube, err := kubernetes.NewForConfig(unthrottled(h.cp.AdminConfig(), harnessAgent))
		if err != nil {
			return nil, err
		}
		return kube.CoreV1().RESTClient().Get().AbsPath("/debug/pprof/profile").Param("seconds", secs).Timeout(d + time.Minute).DoRaw(ctx)
	})
	save("operator", func() ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.operator.metricsURL+"/debug/pprof/profile?seconds="+secs, nil)
		if err != nil {
			return nil, err
		}
		resp, err := (&http.Client{Timeout: d + time.Minute}).Do(req)
		if err != nil {
			return nil, err
		}
		defer func() { _ = resp.Body.Close() }()
		return io.ReadAll(resp.Body)
	})
	return wg.Wait
}

// apiserverMetrics scrapes kube-apiserver's /metrics.
func (h *Harness) apiserverMetrics(ctx context.Context) (Metrics, error) {
	kube, err := kubernetes.NewForConfig(unthrottled(h.cp.AdminConfig(), harnessAgent))
	if err != nil {
		return nil, err
	}
	raw, err := kube.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("apiserver metrics: %w", err)
	}
	return ParseMetrics(strings.NewReader(string(raw)))
}

// sampleQueueDepth records the deepest each operator workqueue gets until
// the returned function is called.
func (h *Harness) sampleQueueDepth(ctx context.Context, depth *map[string]float64) (stop func()) {
	*depth = map[string]float64{}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if m, err := h.operator.Metrics(ctx); err == nil {
				for k, v := range m.SumBy("workqueue_depth", "name", nil) {
					(*depth)[k] = max((*depth)[k], v)
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// m5Metrics fills in what the apiserver, the operator and the audit log
// saw during M5.
func (h *Harness) m5Metrics(ctx context.Context, res *M5Result, apiBefore, opBefore Metrics) error {
	apiAfter, err := h.apiserverMetrics(ctx)
	if err != nil {
		return err
	}
	res.APILatencies = apiLatencies(apiBefore, apiAfter)
	opAfter, err := h.operator.Metrics(ctx)
	if err != nil {
		return err
	}
	delta := func(name, by string) map[string]float64 {
		b, a := opBefore.SumBy(name, by, nil), opAfter.SumBy(name, by, nil)
		for k := range a {
			a[k] -= b[k]
		}
		return a
	}
	res.Retries = delta("workqueue_retries_total", "name")
	res.ReconcileErrors = delta("controller_runtime_reconcile_errors_total", "controller")
	res.Reconciles = delta("controller_runtime_reconcile_total", "controller")
	flushAudit()
	events, err := h.audit.Read()
	if err != nil {
		return err
	}
	res.Writes = CountByActor(events)
	res.OperatorMemory, err = h.operator.Memory(ctx)
	return err
}

// apiLatencies is kube-apiserver's p99 per (resource, verb) between two
// scrapes, long-running verbs left out.
func apiLatencies(before, after Metrics) []APILatency {
	var res []APILatency
	for k, q := range HistogramQuantiles(before, after, "apiserver_request_duration_seconds", 0.99, "resource", "verb") {
		parts := strings.SplitN(k, " ", 2)
		if parts[1] == "WATCH" || parts[1] == "CONNECT" || parts[0] == "" {
			continue
		}
		res = append(res, APILatency{Resource: parts[0], Verb: parts[1], Count: q.Count, P99Ms: round3(q.Quantile * 1000)})
	}
	sort.Slice(res, func(i, j int) bool {
		a, b := res[i], res[j]
		return a.Resource+" "+a.Verb < b.Resource+" "+b.Verb
	})
	return res
}

// calibrate measures the raw write ceiling: ConfigMaps created by the
// harness at concurrency 1, 8 and 64.
func (h *Harness) calibrate(ctx context.Context, objects int) (*Calibration, error) {
	res := &Calibration{Objects: objects}
	for _, conc := range []int{1, 8, 64} {
		ns := fmt.Sprintf("calibrate-%d", conc)
		if err := h.createNamespace(ctx, ns, false, 0); err != nil {
			return nil, err
		}
		lat := make([]float64, objects)
		start := time.Now()
		err := parallel(ctx, objects, conc, func(ctx context.Context, i int) error {
			t := time.Now()
			err := h.admin.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("cm-%d", i)},
				Data: map[string]string{"k": "v"}})
			lat[i] = float64(time.Since(t).Microseconds()) / 1000
			return err
		})
		if err != nil {
			return nil, err
		}
		el := time.Since(start).Seconds()
		sort.Float64s(lat)
		pt := CalibrationPoint{Concurrency: conc, WritesPerSecond: round3(float64(objects) / el), P50Ms: percentile(lat, 0.5), P99Ms: percentile(lat, 0.99)}
		res.Points = append(res.Points, pt)
		res.WritesPerSecond = max(res.WritesPerSecond, pt.WritesPerSecond)
		if err := h.deleteNamespace(ctx, ns); err != nil {
			return nil, err
		}
	}
	h.logf("calibration: %+v", res.Points)
	return res, nil
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		KubernetesVersion: "v" + localcp.K8sVersion, EtcdVersion: etcdVersion, KwokVersion: kwokVersion}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(raw), "MemTotal: %f kB", &kb); err == nil {
			m.MemoryGiB = round3(kb / (1 << 20))
		}
	}
	if raw, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(raw))
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		m.BerthCommit = strings.TrimSpace(string(out))
	}
	return m
}

// Versions of the simulated cluster's other components (hack/build-k8s.sh).
const (
	etcdVersion = "v3.6.16"
	kwokVersion = "v0.8.0"
)
