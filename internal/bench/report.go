package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// File names WriteReport produces in its directory.
const (
	ResultsFile       = "results.json"
	ReadmeFile        = "README.md"
	M1ConvergencePlot = "m1-convergence.png"
	M1RatioPlot       = "m1-ratio.png"
	M3MemoryPlot      = "m3-memory.png"
	M4LatencyPlot     = "m4-latency.png"
	M5ConvergencePlot = "m5-convergence.png"
)

// plotFiles lists every plot WriteReport may write, so that a plot left
// over from an earlier run whose data is now absent is removed.
var plotFiles = []string{M1ConvergencePlot, M1RatioPlot, M3MemoryPlot, M4LatencyPlot, M5ConvergencePlot}

// Plot geometry: every plot is 16cm × 10cm, rendered at plotDPI.
const (
	plotWidth  = 16 * vg.Centimeter
	plotHeight = 10 * vg.Centimeter
	plotDPI    = 150
)

// WriteReport writes dir/results.json (indented JSON of r), dir/README.md
// (a Markdown report) and PNG plots into dir. A plot is written only when
// its data is present; a plot of the same name left from an earlier run is
// removed so that the directory matches the README. The output is
// byte-identical for the same input.
func WriteReport(dir string, r *Report) error {
	if r == nil {
		return errors.New("write report: nil report")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: create %s: %w", dir, err)
	}
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: encode %s: %w", ResultsFile, err)
	}
	if err := writeFile(dir, ResultsFile, append(raw, '\n')); err != nil {
		return err
	}
	plots, err := writePlots(dir, r)
	if err != nil {
		return err
	}
	return writeFile(dir, ReadmeFile, []byte(renderReadme(r, plots)))
}

func writeFile(dir, name string, data []byte) error {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write report: write %s: %w", path, err)
	}
	return nil
}

// --- Plots ---------------------------------------------------------------

// writePlots renders every plot whose data is present and returns the set
// of file names written.
func writePlots(dir string, r *Report) (map[string]bool, error) {
	builders := []struct {
		name  string
		build func(*Report) (*plot.Plot, error)
	}{
		{M1ConvergencePlot, m1ConvergencePlot},
		{M1RatioPlot, m1RatioPlot},
		{M3MemoryPlot, m3MemoryPlot},
		{M4LatencyPlot, m4LatencyPlot},
		{M5ConvergencePlot, m5ConvergencePlot},
	}
	written := map[string]bool{}
	for _, b := range builders {
		path := filepath.Join(dir, b.name)
		p, err := b.build(r)
		if err != nil {
			return nil, fmt.Errorf("write report: plot %s: %w", b.name, err)
		}
		if p == nil {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("write report: remove stale %s: %w", path, err)
			}
			continue
		}
		if err := savePNG(p, path); err != nil {
			return nil, fmt.Errorf("write report: plot %s: %w", b.name, err)
		}
		written[b.name] = true
	}
	return written, nil
}

// savePNG renders p at the report's fixed size and resolution.
func savePNG(p *plot.Plot, path string) (err error) {
	c := vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))
	p.Draw(draw.New(c))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", path, cerr)
		}
	}()
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return nil
}

// Colour families: Berth in blues, the baseline in oranges, darkest first.
var (
	berthColors = []color.Color{
		color.RGBA{R: 0x08, G: 0x45, B: 0x94, A: 0xff},
		color.RGBA{R: 0x21, G: 0x71, B: 0xb5, A: 0xff},
		color.RGBA{R: 0x42, G: 0x92, B: 0xc6, A: 0xff},
		color.RGBA{R: 0x6b, G: 0xae, B: 0xd6, A: 0xff},
		color.RGBA{R: 0x9e, G: 0xca, B: 0xe1, A: 0xff},
	}
	baselineColors = []color.Color{
		color.RGBA{R: 0xa6, G: 0x36, B: 0x03, A: 0xff},
		color.RGBA{R: 0xd9, G: 0x48, B: 0x01, A: 0xff},
		color.RGBA{R: 0xf1, G: 0x69, B: 0x13, A: 0xff},
		color.RGBA{R: 0xfd, G: 0x8d, B: 0x3c, A: 0xff},
		color.RGBA{R: 0xfd, G: 0xae, B: 0x6b, A: 0xff},
	}
	// lineDashes distinguish lines once a colour family wraps around.
	lineDashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}
)

// sideStyle is the deterministic line style of the i-th series of a side.
func sideStyle(side string, i int) draw.LineStyle {
	family := baselineColors
	if side == "berth" {
		family = berthColors
	}
	return draw.LineStyle{
		Color:  family[i%len(family)],
		Width:  vg.Points(1.5),
		Dashes: lineDashes[(i/len(family))%len(lineDashes)],
	}
}

func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	// Progress curves and CDFs rise to the top right: the bottom right of
	// the plot is where the legend hides the least.
	p.Legend.Top = false
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	return p
}

// curveXYs converts a progress curve, dropping non-finite samples.
func curveXYs(points []Point) plotter.XYs {
	xys := make(plotter.XYs, 0, len(points))
	for _, pt := range points {
		if finite(pt.T) {
			xys = append(xys, plotter.XY{X: pt.T, Y: float64(pt.Value)})
		}
	}
	return xys
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// addLine adds xys as a line in style to p, with a legend entry unless
// name is empty.
func addLine(p *plot.Plot, name string, xys plotter.XYs, style draw.LineStyle, step plotter.StepKind) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("line %q: %w", name, err)
	}
	l.LineStyle = style
	l.StepStyle = step
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}

// m1PlotCell picks the M1 cell whose curves are plotted: the one with the
// most Services, then the most tasks per Service, then the first.
func m1PlotCell(cells []M1Result) *M1Result {
	var best *M1Result
	for i := range cells {
		c := &cells[i]
		if !slices.ContainsFunc(c.Runs, func(run Run) bool { return len(curveXYs(run.Pods)) > 0 }) {
			continue
		}
		if best == nil || c.Services > best.Services ||
			(c.Services == best.Services && c.Tasks > best.Tasks) {
			best = c
		}
	}
	return best
}

func m1ConvergencePlot(r *Report) (*plot.Plot, error) {
	cell := m1PlotCell(r.M1)
	if cell == nil {
		return nil, nil
	}
	p := newPlot("M1 convergence, "+cellLabel(cell), "time since first create (s)", "Running pods")
	counts := map[string]int{}
	for _, run := range cell.Runs {
		xys := curveXYs(run.Pods)
		if len(xys) == 0 {
			continue
		}
		name := fmt.Sprintf("%s pair %d", run.Side, run.Pair)
		if err := addLine(p, name, xys, sideStyle(run.Side, counts[run.Side]), plotter.NoStep); err != nil {
			return nil, err
		}
		counts[run.Side]++
	}
	p.X.Min, p.Y.Min = 0, 0
	return p, nil
}

func m1RatioPlot(r *Report) (*plot.Plot, error) {
	if len(r.M1) == 0 {
		return nil, nil
	}
	p := newPlot("M1 median time to converge", "", "median T_full (s)")
	berth := barSeries{name: "berth", color: sideStyle("berth", 1).Color}
	baseline := barSeries{name: "baseline", color: sideStyle("baseline", 1).Color}
	labels := make([]string, len(r.M1))
	for i := range r.M1 {
		berth.values = append(berth.values, finiteOrZero(r.M1[i].MedianBerth))
		baseline.values = append(baseline.values, finiteOrZero(r.M1[i].MedianBaseline))
		labels[i] = cellLabel(&r.M1[i])
	}
	if err := addGroupedBars(p, berth, baseline); err != nil {
		return nil, err
	}
	p.NominalX(labels...)
	if len(labels) > 3 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	return p, nil
}

func finiteOrZero(v float64) float64 {
	if finite(v) {
		return v
	}
	return 0
}

// barSeries is one series of a grouped bar chart: a value per group.
type barSeries struct {
	name   string
	color  color.Color
	values plotter.Values
}

// addGroupedBars draws one bar per group and series, the series side by
// side within a group, and adds each series to the legend.
func addGroupedBars(p *plot.Plot, series ...barSeries) error {
	groups := len(series[0].values)
	width := min(vg.Points(120), vg.Points(300)/vg.Length(groups)) / vg.Length(len(series))
	top := 0.0
	for i, s := range series {
		bars, err := plotter.NewBarChart(s.values, width)
		if err != nil {
			return fmt.Errorf("bars %q: %w", s.name, err)
		}
		bars.Color = s.color
		bars.LineStyle.Width = 0
		bars.Offset = width * (vg.Length(i) - vg.Length(len(series)-1)/2)
		p.Add(bars)
		p.Legend.Add(s.name, bars)
		for _, v := range s.values {
			top = max(top, v)
		}
	}
	// Headroom above the highest bar for the legend in the top left.
	p.Legend.Top, p.Legend.Left = true, true
	p.Y.Min = 0
	if top > 0 {
		p.Y.Max = top * 1.2
	}
	return nil
}

func m3MemoryPlot(r *Report) (*plot.Plot, error) {
	m := r.M3
	if m == nil {
		return nil, nil
	}
	p := newPlot("M3 memory", "", "Go live memory (MiB)")
	operator := barSeries{
		name:   "operator",
		color:  sideStyle("berth", 1).Color,
		values: plotter.Values{finiteOrZero(m.OperatorIdle.GoMiB), finiteOrZero(m.Operator.GoMiB)},
	}
	bare := barSeries{
		name:   "bare manager",
		color:  sideStyle("baseline", 1).Color,
		values: plotter.Values{finiteOrZero(m.BareIdle.GoMiB), finiteOrZero(m.Bare.GoMiB)},
	}
	if err := addGroupedBars(p, operator, bare); err != nil {
		return nil, err
	}
	p.NominalX("idle (0 Services)", fmt.Sprintf("loaded (%d Services)", m.Services))
	return p, nil
}

// ecdf is the empirical CDF of vs as a post-step curve, with values at or
// below zero drawn at floor.
func ecdf(vs []float64, floor float64) plotter.XYs {
	sorted := make([]float64, 0, len(vs))
	for _, v := range vs {
		if finite(v) {
			sorted = append(sorted, max(v, floor))
		}
	}
	sort.Float64s(sorted)
	if len(sorted) == 0 {
		return nil
	}
	xys := make(plotter.XYs, 0, len(sorted)+1)
	xys = append(xys, plotter.XY{X: sorted[0], Y: 0})
	n := float64(len(sorted))
	for i, v := range sorted {
		xys = append(xys, plotter.XY{X: v, Y: float64(i+1) / n})
	}
	return xys
}

// latencyRange is the smallest positive and the largest finite latency of
// all the M4 results, and whether any latency is at or below zero.
func latencyRange(results []M4Result) (minPos, maxV float64, hasZero bool) {
	minPos, maxV = math.Inf(1), math.Inf(-1)
	for _, m := range results {
		for _, v := range m.LatenciesMs {
			if !finite(v) {
				continue
			}
			if v <= 0 {
				hasZero = true
			} else {
				minPos = min(minPos, v)
			}
			maxV = max(maxV, v)
		}
	}
	return minPos, maxV, hasZero
}

func m4LatencyPlot(r *Report) (*plot.Plot, error) {
	minPos, maxV, hasZero := latencyRange(r.M4)
	if math.IsInf(maxV, -1) {
		return nil, nil
	}
	// A log axis when the positive latencies span two decades or more;
	// zeros are then drawn at the smallest positive latency.
	logX := !math.IsInf(minPos, 1) && maxV/minPos >= 100
	xLabel := "edit to new template latency (ms)"
	floor := math.Inf(-1)
	if logX {
		floor = minPos
		xLabel = "edit to new template latency (ms, log scale)"
		if hasZero {
			xLabel = fmt.Sprintf("edit to new template latency (ms, log scale; 0 drawn at %s ms)", trimFloat(minPos))
		}
	}
	p := newPlot("M4 latency CDF", xLabel, "fraction of edits")
	counts := map[string]int{}
	for _, m := range r.M4 {
		xys := ecdf(m.LatenciesMs, floor)
		if len(xys) == 0 {
			continue
		}
		if logX {
			for i := range xys {
				xys[i].X = math.Log10(xys[i].X)
			}
		}
		name := fmt.Sprintf("%s %s/s", m.Side, trimFloat(m.RatePerSecond))
		if err := addLine(p, name, xys, sideStyle(m.Side, counts[m.Side]), plotter.PostStep); err != nil {
			return nil, err
		}
		counts[m.Side]++
	}
	if logX {
		// The data are plotted as log10(ms) on a linear axis with decade
		// ticks (plot.LogScale mis-places the centred axis label), over
		// whole decades so that the axis ends on labelled ticks.
		lo, hi := math.Floor(math.Log10(minPos)), math.Ceil(math.Log10(maxV))
		p.X.Min, p.X.Max = lo, hi
		p.X.Tick.Marker = decadeTicks(int(lo), int(hi))
	}
	p.Y.Min, p.Y.Max = 0, 1
	return p, nil
}

// decadeTicks are the ticks of a log10 axis from 10^lo to 10^hi: a
// labelled tick per decade and unlabelled ones at 2…9 times it.
func decadeTicks(lo, hi int) plot.ConstantTicks {
	var ticks plot.ConstantTicks
	for d := lo; d <= hi; d++ {
		base := math.Pow10(d)
		ticks = append(ticks, plot.Tick{Value: float64(d), Label: trimFloat(base)})
		for k := 2; k <= 9 && d < hi; k++ {
			ticks = append(ticks, plot.Tick{Value: math.Log10(float64(k) * base)})
		}
	}
	return ticks
}

func m5ConvergencePlot(r *Report) (*plot.Plot, error) {
	if r.M5 == nil {
		return nil, nil
	}
	xys := curveXYs(r.M5.Pods)
	if len(xys) == 0 {
		return nil, nil
	}
	title := fmt.Sprintf("M5 convergence, %d Services × %d tasks", r.M5.Services, r.M5.TasksPerService)
	p := newPlot(title, "time since first create (s)", "Running pods")
	if err := addLine(p, "", xys, sideStyle("berth", 0), plotter.NoStep); err != nil {
		return nil, err
	}
	p.X.Min, p.Y.Min = 0, 0
	return p, nil
}

// --- README --------------------------------------------------------------

// md accumulates Markdown.
type md struct{ strings.Builder }

func (m *md) line(format string, args ...any) {
	fmt.Fprintf(&m.Builder, format, args...)
	m.WriteByte('\n')
}

func (m *md) heading(title string) {
	m.line("## %s", title)
	m.line("")
}

func (m *md) image(plots map[string]bool, name string) {
	if plots[name] {
		m.line("![](%s)", name)
		m.line("")
	}
}

// table writes a Markdown table; cells are escaped.
func (m *md) table(header []string, rows [][]string) {
	m.tableRow(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	m.line("|%s|", strings.Join(sep, "|"))
	for _, row := range rows {
		m.tableRow(row)
	}
	m.line("")
}

func (m *md) tableRow(cells []string) {
	esc := make([]string, len(cells))
	for i, c := range cells {
		c = strings.ReplaceAll(c, "|", `\|`)
		c = strings.ReplaceAll(c, "\r", "")
		esc[i] = strings.ReplaceAll(c, "\n", " ")
	}
	m.line("| %s |", strings.Join(esc, " | "))
}

func renderReadme(r *Report, plots map[string]bool) string {
	var m md
	m.line("# Berth benchmarks")
	m.line("")
	m.line("Date: %s%s", r.Started.UTC().Format(time.RFC3339), duration(r))
	m.line("")
	target := "make bench"
	switch {
	case r.Config.Large:
		target = "make bench-large"
	case r.Config.Quick:
		target = "make bench-quick"
	}
	m.line("Produced by `%s` (cmd/berth-bench). Raw figures: results.json.", target)
	m.line("")
	writeVerdicts(&m, r.Verdicts)
	writeMachine(&m, r)
	writeCalibration(&m, r.Calibration)
	writeM1(&m, r.M1, plots, r.Machine.Cores)
	writeM2(&m, r.M2)
	writeM3(&m, r.M3, plots)
	writeM4(&m, r.M4, plots)
	writeM5(&m, r.M5, plots)
	writeS1(&m, r.S1)
	writeK1(&m, r.K1)
	writeA1(&m, r.A1)
	writeL1(&m, r.L1)
	writeNotes(&m, r.Notes)
	return strings.TrimRight(m.String(), "\n") + "\n"
}

func duration(r *Report) string {
	if r.Finished.IsZero() || !r.Finished.After(r.Started) {
		return ""
	}
	return fmt.Sprintf(" (took %s)", r.Finished.Sub(r.Started).Round(time.Second))
}

func writeVerdicts(m *md, verdicts []Verdict) {
	m.heading("Verdict")
	if len(verdicts) == 0 {
		m.line("No verdicts.")
		m.line("")
		return
	}
	rows := make([][]string, 0, len(verdicts))
	for _, v := range verdicts {
		pass := "❌"
		if v.Pass {
			pass = "✅"
		}
		rows = append(rows, []string{v.Metric, v.Target, v.Measured, pass, v.Why})
	}
	m.table([]string{"Metric", "Target", "Measured", "Pass", "Why"}, rows)
}

func writeMachine(m *md, r *Report) {
	m.heading("Machine")
	if r.Config.Stopped != "" {
		m.line("Stopped before its last scenario (%s): the verdicts are those of what it measured.", r.Config.Stopped)
		m.line("")
	}
	if r.Config.Quick {
		m.line("Quick run: figures are not comparable.")
		m.line("")
	}
	mc, c := r.Machine, r.Config
	m.table([]string{"Item", "Value"}, [][]string{
		{"CPU", mc.CPUModel},
		{"Cores", strconv.Itoa(mc.Cores)},
		{"GOMAXPROCS", strconv.Itoa(mc.GOMAXPROCS)},
		{"Memory", fmt.Sprintf("%.1f GiB", mc.MemoryGiB)},
		{"Kernel", mc.Kernel},
		{"Go", mc.GoVersion},
		{"Kubernetes", mc.KubernetesVersion},
		{"etcd", mc.EtcdVersion},
		{"kwok", mc.KwokVersion},
		{"Berth commit", mc.BerthCommit},
		{"Profiles", strings.Join(c.Profiles, ", ")},
		{"A/B pairs", strconv.Itoa(c.Pairs)},
		{"MaxConcurrentReconciles", strconv.Itoa(c.MaxConcurrentReconciles)},
		{"Nodes per pool", strconv.Itoa(c.NodesPerPool)},
		{"Pods per node", strconv.Itoa(c.PodsPerNode)},
	})
}

func writeCalibration(m *md, c *Calibration) {
	if c == nil {
		return
	}
	m.heading("Calibration")
	m.line("Raw write ceiling of the control plane: %d ConfigMaps created by a bare client-go program; best sustained rate %.1f writes/s.",
		c.Objects, c.WritesPerSecond)
	m.line("")
	rows := make([][]string, 0, len(c.Points))
	for _, p := range c.Points {
		rows = append(rows, []string{
			strconv.Itoa(p.Concurrency), f1(p.WritesPerSecond), f1(p.P50Ms), f1(p.P99Ms),
		})
	}
	m.table([]string{"concurrency", "writes/s", "p50 ms", "p99 ms"}, rows)
}

func writeM1(m *md, cells []M1Result, plots map[string]bool, cores int) {
	if len(cells) == 0 {
		return
	}
	m.heading("M1 — bulk convergence")
	rows := make([][]string, 0, len(cells))
	for _, c := range cells {
		ratios := make([]string, len(c.PairRatios))
		for i, pr := range c.PairRatios {
			ratios[i] = f2(pr)
		}
		rows = append(rows, []string{
			c.Profile, strconv.Itoa(c.Services), strconv.Itoa(c.Tasks),
			f1(c.MedianBerth), f1(c.MedianBaseline), f2(c.Ratio), strings.Join(ratios, ", "), f2(c.OpRatio), f2(c.CompletedRatio),
			f1(c.ServicesPerSecond), f2(c.BerthWritesPerService),
		})
	}
	m.line("T_full is first create to every task Running; T_op (Berth) to every Service Ready (ECS's services-stable) with " +
		"observedGeneration current. The last pair of each cell also waits for every deployment to complete (ECS's rolloutState " +
		"COMPLETED; `kubectl rollout status` for the baseline), 40 s after the last task runs (a task without a health check " +
		"counts as healthy after 40 s): the write budget is counted to there.")
	m.line("")
	m.table([]string{
		"profile", "services", "tasks/service", "T_full(Berth) median s", "T_full(baseline) median s",
		"ratio (median of pairs)", "pair ratios", "T_op/T_full(baseline)", "to COMPLETED (last pair)", "services/s", "Berth writes/service (to COMPLETED)",
	}, rows)
	m.image(plots, M1ConvergencePlot)
	m.image(plots, M1RatioPlot)
	m.line("Per run:")
	m.line("")
	rows = make([][]string, 0, len(cells)*2)
	for i := range cells {
		label := cellLabel(&cells[i])
		for _, run := range cells[i].Runs {
			rows = append(rows, []string{
				label, run.Side, strconv.Itoa(run.Pair), f1(run.Seconds), f1(run.OpSeconds), f1(run.CompletedSeconds),
				f1(run.DeploymentsSeconds), f1(run.CreateSeconds), joinCounts(run.Writes), joinCounts(run.BerthWrites),
			})
		}
	}
	m.table([]string{"cell", "side", "pair", "T_full s", "T_op s", "COMPLETED s", "deployments-exist s", "create s", "writes by actor", "Berth's writes"}, rows)
	m.line("CPU seconds each process used during the run (from /proc; the machine has %d cores, so a run of T seconds had %d×T CPU-seconds):", cores, cores)
	m.line("")
	var procs []string
	seen := map[string]bool{}
	for i := range cells {
		for _, run := range cells[i].Runs {
			for k := range run.CPUSeconds {
				if !seen[k] {
					seen[k] = true
					procs = append(procs, k)
				}
			}
		}
	}
	sort.Strings(procs)
	rows = rows[:0]
	for i := range cells {
		label := cellLabel(&cells[i])
		for _, run := range cells[i].Runs {
			row := []string{label, run.Side, strconv.Itoa(run.Pair)}
			total := 0.0
			for _, p := range procs {
				row = append(row, f1(run.CPUSeconds[p]))
				total += run.CPUSeconds[p]
			}
			util := 0.0
			if run.Seconds > 0 {
				util = total / run.Seconds
			}
			rows = append(rows, append(row, f1(total), f2(util)))
		}
	}
	m.table(append(append([]string{"cell", "side", "pair"}, procs...), "total", "cores busy"), rows)
}

func writeM2(m *md, r *M2Result) {
	if r == nil {
		return
	}
	m.heading("M2 — writes on a no-op resync")
	m.table([]string{"Figure", "Value"}, [][]string{
		{"Services", strconv.Itoa(r.Services)},
		{"Window", f1(r.WindowSeconds) + " s"},
		{"Reconciles observed", strconv.Itoa(r.ReconcilesObserved)},
		{"Mutating requests", strconv.Itoa(r.MutatingRequests)},
		{"resourceVersion changes", strconv.Itoa(r.ResourceVersionChanges)},
	})
	if len(r.ByVerbResource) == 0 {
		return
	}
	m.line("Mutating requests by verb and resource:")
	m.line("")
	m.table([]string{"verb/resource", "requests"}, countRows(r.ByVerbResource))
}

func writeM3(m *md, r *M3Result, plots map[string]bool) {
	if r == nil {
		return
	}
	m.heading("M3 — memory")
	loaded := fmt.Sprintf("loaded (%d Services)", r.Services)
	row := func(process, state string, mem Memory) []string {
		return []string{process, state, f1(mem.GoMiB), f1(mem.HeapInuseMiB), f1(mem.RSSMiB), f1(mem.PeakRSSMiB)}
	}
	m.table([]string{"process", "state", "Go MiB", "heap in-use MiB", "RSS MiB", "peak RSS MiB"}, [][]string{
		row("operator", "idle", r.OperatorIdle),
		row("operator", loaded, r.Operator),
		row("bare", "idle", r.BareIdle),
		row("bare", loaded, r.Bare),
	})
	m.line("- Operator overhead over the bare manager: %.2f MiB per 1,000 Services.", r.OverheadMiBPer1000)
	m.line("- Operator growth (loaded − idle): %.2f MiB per 1,000 Services.", r.SlopeMiBPer1000)
	m.line("- Bare manager growth (loaded − idle): %.2f MiB per 1,000 Services.", r.BareSlopeMiBPer1000)
	m.line("")
	m.image(plots, M3MemoryPlot)
}

func writeM4(m *md, results []M4Result, plots map[string]bool) {
	if len(results) == 0 {
		return
	}
	m.heading("M4 — edit to new Deployment template")
	rows := make([][]string, 0, len(results))
	for _, r := range results {
		rows = append(rows, []string{
			r.Side, f1(r.RatePerSecond), strconv.Itoa(r.Edits), strconv.Itoa(r.Missed),
			f1(r.P50Ms), f1(r.P90Ms), f1(r.P99Ms), f1(r.MaxMs),
		})
	}
	m.table([]string{"side", "rate/s", "edits", "missed", "p50 ms", "p90 ms", "p99 ms", "max ms"}, rows)
	m.image(plots, M4LatencyPlot)
}

func writeM5(m *md, r *M5Result, plots map[string]bool) {
	if r == nil {
		return
	}
	m.heading(fmt.Sprintf("M5 — %s Services × %d tasks", thousands(r.Services), r.TasksPerService))
	m.table([]string{"Figure", "Value"}, [][]string{
		{"Providers", strings.Join(r.Providers, ", ")},
		{"Seconds to converge", f1(r.Seconds)},
		{"Every Service to desiredCount 0 → no task left", f1(r.ScaleToZeroSeconds) + " s"},
		{"And back → every task Running", f1(r.ScaleBackSeconds) + " s"},
		{"Pod startup p50", f1(r.PodStartupP50Ms) + " ms"},
		{"Pod startup p99", f1(r.PodStartupP99Ms) + " ms"},
		{"Tasks per provider", joinCounts(r.TasksPerProvider)},
		{"Writes by actor", joinCounts(r.Writes)},
		{"Operator Go memory", f1(r.OperatorMemory.GoMiB) + " MiB"},
		{"Operator RSS (peak)", fmt.Sprintf("%s MiB (%s MiB)", f1(r.OperatorMemory.RSSMiB), f1(r.OperatorMemory.PeakRSSMiB))},
	})
	m.image(plots, M5ConvergencePlot)
	if lat := apiLatencyRows(r.APILatencies); len(lat) > 0 {
		m.line("API server latency:")
		m.line("")
		m.table([]string{"resource", "verb", "requests", "p99 ms"}, lat)
	}
	if ctl := controllerRows(r); len(ctl) > 0 {
		m.line("Operator controllers:")
		m.line("")
		m.table([]string{"controller", "reconciles", "max queue depth", "retries", "errors"}, ctl)
	}
}

func writeS1(m *md, r *S1Result) {
	if r == nil {
		return
	}
	m.heading("S1 — one operator, or one per namespace")
	m.line("%s Services (one task each) in %d namespaces, brought to steady state by one operator, then by one operator per "+
		"namespace (`--namespaces`, `--controllers=*,-capacityprovider`) beside one that runs the cluster-wide controllers "+
		"(`--controllers=capacityprovider`), on the same control plane.", thousands(r.Services), r.Namespaces)
	m.line("")
	var rows [][]string
	for _, run := range r.Runs {
		var cpu, mem float64
		procs := make([]string, 0, len(run.Processes))
		for _, p := range run.Processes {
			cpu += p.CPUSeconds
			mem += p.GoMiB
			procs = append(procs, fmt.Sprintf("%s: %s s CPU, %s MiB (peak RSS %s)", p.Name, f1(p.CPUSeconds), f1(p.GoMiB), f1(p.PeakRSSMiB)))
		}
		rows = append(rows, []string{run.Layout, f1(run.Seconds), f1(cpu), f1(mem), f1(run.ControlPlaneCPUSeconds["kube-apiserver"]),
			strings.Join(procs, "; ")})
	}
	m.table([]string{"Layout", "Seconds to steady state", "Operators' CPU s", "Operators' Go MiB", "kube-apiserver CPU s", "Each operator"}, rows)
}

func writeK1(m *md, r *K1Result) {
	if r == nil {
		return
	}
	m.heading("K1 — memory and CPU per kind")
	m.line("Objects added to the running operator, kind by kind, in one namespace; its Go memory read after a collection " +
		"before and after each step, its CPU over the step (create to every object Ready). Services first, in steps (M3 at scale), " +
		"with desiredCount 0: a task's cost is the Task row's, and M5's.")
	m.line("")
	rows := make([][]string, 0, len(r.Services))
	for _, p := range r.Services {
		rows = append(rows, []string{thousands(p.Services), f1(p.GoMiB), f1(p.RSSMiB), f1(p.Seconds)})
	}
	m.table([]string{"Services", "Operator Go MiB", "Operator RSS MiB", "Seconds to Ready (this step's Services)"}, rows)
	rows = rows[:0]
	for _, k := range r.Kinds {
		rows = append(rows, []string{k.Kind, thousands(k.Objects), f1(k.GoMiBPer1000), f1(k.CPUSecondsPer1000), f1(k.Seconds), k.WhatEachObjectCosts})
	}
	m.table([]string{"Kind", "Objects", "Go MiB per 1,000", "CPU s per 1,000", "Seconds to Ready", "What each object holds"}, rows)
}

func writeA1(m *md, r *A1Result) {
	if r == nil {
		return
	}
	m.heading("A1 — ECS API reads")
	m.line("DescribeServices of %d Services and ListTasks of their %s running tasks (%d × %d) through Berth's ECS API endpoint "+
		"(served in the harness's process, SigV4 with an access key Secret, called with the Go AWS SDK v2), against the same "+
		"objects read through Kubernetes by the same user: client-go (unthrottled, JSON) and kubectl. "+
		"Latency is over sequential reads after %d warm-up reads; the rate is %d clients reading at once for %s s. "+
		"A listing in pages of %d is one read; its pages are also counted one by one.",
		r.Services, thousands(r.Tasks), r.Services, r.TasksPerService, a1Warmup, r.Clients, trimFloat(r.ThroughputSeconds), r.PageSize)
	m.line("")
	if r.Kubectl != "" {
		m.line("kubectl: `%s` (a process per read, with its discovery cache warm).", r.Kubectl)
	} else {
		m.line("No kubectl was found: its reads were skipped.")
	}
	m.line("")
	rows := make([][]string, 0, len(r.Reads))
	for _, rd := range r.Reads {
		requests, rps := strconv.Itoa(rd.Requests), f1(rd.RequestsPerSecond)
		if rd.Requests == 0 {
			requests, rps = "process", "–"
		}
		rows = append(rows, []string{
			rd.Client, rd.Read, requests, strconv.Itoa(rd.Samples), f1(rd.P50Ms), f1(rd.P99Ms), f1(rd.ReadsPerSecond), rps,
		})
	}
	m.table([]string{"client", "read", "requests/read", "samples", "p50 ms", "p99 ms", "reads/s", "requests/s"}, rows)
}

func writeL1(m *md, r *L1Result) {
	if r == nil {
		return
	}
	m.heading("L1 — CloudWatch Logs FilterLogEvents")
	m.line("FilterLogEvents over the %d streams of a Service's %d tasks, %s lines each (%s lines, %.0f MiB of container logs "+
		"that kwok serves from files), through Berth's endpoint (served in the harness's process, SigV4 with an access key Secret, "+
		"paged with the Go AWS SDK v2's paginator), against `kubectl logs <pod> -c <container> | grep -F` of each task in turn by "+
		"the same user. Every search finds the same %s lines (1 in %d is an error) and the count is checked. "+
		"Times are the median, fastest and slowest of %d runs in a row; lines/s is the %s lines over the median. "+
		"The endpoint reads every stream again for each page of results: lines read counts that.",
		r.Streams, r.Streams, thousands(r.LinesPerStream), thousands(r.Lines), float64(r.Bytes)/(1<<20),
		thousands(r.MatchesPerSearch), l1ErrorEvery, r.Samples, thousands(r.Lines))
	m.line("")
	if r.Kubectl != "" {
		m.line("kubectl: `%s` (a kubectl and a grep process per stream).", r.Kubectl)
	} else {
		m.line("No kubectl was found: its searches were skipped.")
	}
	m.line("")
	rows := make([][]string, 0, len(r.Searches))
	for _, s := range r.Searches {
		rows = append(rows, []string{
			s.Client, s.Search, thousands(s.Matches), strconv.Itoa(s.Requests), thousands(s.LinesRead),
			f2(s.MedianSeconds), f2(s.MinSeconds), f2(s.MaxSeconds), thousands(int(s.LinesPerSecond)),
		})
	}
	m.table([]string{"client", "search", "matches", "requests", "lines read", "median s", "min s", "max s", "lines/s"}, rows)
}

func apiLatencyRows(lats []APILatency) [][]string {
	sorted := slices.Clone(lats)
	slices.SortStableFunc(sorted, func(a, b APILatency) int {
		if c := strings.Compare(a.Resource, b.Resource); c != 0 {
			return c
		}
		return strings.Compare(a.Verb, b.Verb)
	})
	var rows [][]string
	for _, l := range sorted {
		if l.Count > 0 {
			rows = append(rows, []string{l.Resource, l.Verb, strconv.Itoa(l.Count), f1(l.P99Ms)})
		}
	}
	return rows
}

func controllerRows(r *M5Result) [][]string {
	names := map[string]bool{}
	for _, mp := range []map[string]float64{r.Reconciles, r.QueueDepthMax, r.Retries, r.ReconcileErrors} {
		for k := range mp {
			names[k] = true
		}
	}
	rows := make([][]string, 0, len(names))
	for _, name := range sortedKeys(names) {
		rows = append(rows, []string{
			name, f0(r.Reconciles[name]), f0(r.QueueDepthMax[name]), f0(r.Retries[name]), f0(r.ReconcileErrors[name]),
		})
	}
	return rows
}

func writeNotes(m *md, notes []string) {
	if len(notes) == 0 {
		return
	}
	m.heading("Notes")
	for _, n := range notes {
		m.line("- %s", strings.ReplaceAll(strings.TrimSpace(n), "\n", " "))
	}
	m.line("")
}

// --- Formatting ----------------------------------------------------------

func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// trimFloat formats v with as few digits as represent it exactly.
func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// thousands formats n with comma separators: 1000 → "1,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// cellLabel names an M1 cell: "N=1000 r=1 (unthrottled)".
func cellLabel(c *M1Result) string {
	return fmt.Sprintf("N=%d r=%d (%s)", c.Services, c.Tasks, c.Profile)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// joinCounts renders counts as "a=1, b=2", sorted by key.
func joinCounts(counts map[string]int) string {
	parts := make([]string, 0, len(counts))
	for _, k := range sortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}

// countRows renders counts as table rows, sorted by key.
func countRows(counts map[string]int) [][]string {
	rows := make([][]string, 0, len(counts))
	for _, k := range sortedKeys(counts) {
		rows = append(rows, []string{k, strconv.Itoa(counts[k])})
	}
	return rows
}
