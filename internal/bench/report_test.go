package bench

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeCurve is a progress curve rising linearly to total over seconds.
func fakeCurve(seconds float64, total int) []Point {
	const steps = 10
	pts := make([]Point, 0, steps+1)
	for i := 0; i <= steps; i++ {
		pts = append(pts, Point{T: seconds * float64(i) / steps, Value: total * i / steps})
	}
	return pts
}

func fakeRuns(services, tasks int, berthSeconds, baselineSeconds float64) []Run {
	var runs []Run
	for pair := 1; pair <= 2; pair++ {
		slow := float64(pair) * 0.5
		runs = append(runs,
			Run{
				Side: "berth", Pair: pair, Seconds: berthSeconds + slow, OpSeconds: berthSeconds + slow + 0.5, CreateSeconds: 1.5,
				DeploymentsSeconds: 3.25, Pods: fakeCurve(berthSeconds+slow, services*tasks),
				Writes: map[string]int{"kwok": services * tasks, "berth": services * 3, "kube-scheduler": services * tasks},
			},
			Run{
				Side: "baseline", Pair: pair, Seconds: baselineSeconds + slow, CreateSeconds: 1.25,
				DeploymentsSeconds: 2.5, Pods: fakeCurve(baselineSeconds+slow, services*tasks),
				Writes: map[string]int{"baseline": services * 2, "kwok": services * tasks},
			})
	}
	return runs
}

func fakeReport() *Report {
	started := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	return &Report{
		Started:  started,
		Finished: started.Add(42*time.Minute + 7*time.Second),
		Machine: Machine{
			CPUModel: "Fake CPU @ 3.00GHz", Cores: 8, GOMAXPROCS: 8, MemoryGiB: 31.3,
			Kernel: "6.8.0", GoVersion: "go1.26.8", KubernetesVersion: "v1.35.0",
			EtcdVersion: "3.6.0", KwokVersion: "v0.7.0", BerthCommit: "abc1234",
		},
		Config: Config{
			Profiles: []string{"unthrottled", "default"}, Pairs: 2, MaxConcurrentReconciles: 8,
			NodesPerPool: 20, PodsPerNode: 110, Quick: true,
		},
		Calibration: &Calibration{
			Objects: 2000, WritesPerSecond: 812.5,
			Points: []CalibrationPoint{
				{Concurrency: 1, WritesPerSecond: 210.25, P50Ms: 4.5, P99Ms: 9.75},
				{Concurrency: 16, WritesPerSecond: 812.5, P50Ms: 18, P99Ms: 61.5},
			},
		},
		M1: []M1Result{
			{
				Profile: "unthrottled", Services: 100, Tasks: 1, Runs: fakeRuns(100, 1, 10, 9),
				MedianBerth: 10.75, MedianBaseline: 9.75, Ratio: 1.1, PairRatios: []float64{1.05, 1.15},
				ServicesPerSecond: 9.3, BerthWritesPerService: 3,
			},
			{
				Profile: "unthrottled", Services: 300, Tasks: 2, Runs: fakeRuns(300, 2, 30, 28),
				MedianBerth: 30.75, MedianBaseline: 28.75, Ratio: 1.07, PairRatios: []float64{1.06, 1.08}, OpRatio: 1.09, CompletedRatio: 1.04,
				ServicesPerSecond: 9.76, BerthWritesPerService: 3,
			},
		},
		M2: &M2Result{
			Services: 300, WindowSeconds: 60, ReconcilesObserved: 300, MutatingRequests: 2,
			ByVerbResource:         map[string]int{"update services": 1, "patch events": 1},
			ResourceVersionChanges: 0,
		},
		M3: &M3Result{
			Services:            1000,
			OperatorIdle:        Memory{GoMiB: 12.5, HeapInuseMiB: 10.25, RSSMiB: 40, PeakRSSMiB: 44},
			BareIdle:            Memory{GoMiB: 11, HeapInuseMiB: 9, RSSMiB: 38, PeakRSSMiB: 41},
			Operator:            Memory{GoMiB: 30.5, HeapInuseMiB: 27, RSSMiB: 70, PeakRSSMiB: 95},
			Bare:                Memory{GoMiB: 25, HeapInuseMiB: 22, RSSMiB: 61, PeakRSSMiB: 80},
			OverheadMiBPer1000:  5.5,
			SlopeMiBPer1000:     18,
			BareSlopeMiBPer1000: 14,
		},
		M4: []M4Result{
			{
				Side: "berth", Services: 100, RatePerSecond: 5, Edits: 6, Missed: 0,
				P50Ms: 12, P90Ms: 40, P99Ms: 1500, MaxMs: 1500,
				LatenciesMs: []float64{0, 8, 12, 15, 40, 1500},
			},
			{
				Side: "baseline", Services: 100, RatePerSecond: 5, Edits: 5, Missed: 1,
				P50Ms: 3, P90Ms: 6, P99Ms: 9, MaxMs: 9,
				LatenciesMs: []float64{2, 3, 4, 6, 9},
			},
			{
				Side: "berth", Services: 100, RatePerSecond: 50.5, Edits: 4,
				P50Ms: 30, P90Ms: 90, P99Ms: 2000, MaxMs: 2000,
				LatenciesMs: []float64{20, 30, 90, 2000},
			},
		},
		M5: &M5Result{
			Services: 1000, TasksPerService: 10, Providers: []string{"spot", "on-demand"},
			Seconds: 180.5, Pods: fakeCurve(180.5, 10000),
			PodStartupP50Ms: 950, PodStartupP99Ms: 4200.25,
			TasksPerProvider: map[string]int{"spot": 5000, "on-demand": 5000},
			APILatencies: []APILatency{
				{Resource: "pods", Verb: "create", Count: 10000, P99Ms: 45},
				{Resource: "deployments", Verb: "update", Count: 0, P99Ms: 0},
				{Resource: "deployments", Verb: "create", Count: 1000, P99Ms: 30.5},
			},
			QueueDepthMax:   map[string]float64{"service": 950, "cluster": 1},
			Retries:         map[string]float64{"service": 12},
			ReconcileErrors: map[string]float64{"service": 0, "cluster": 0},
			Reconciles:      map[string]float64{"service": 4321, "cluster": 3},
			Writes:          map[string]int{"berth": 3000, "kwok": 20000},
			OperatorMemory:  Memory{GoMiB: 40, HeapInuseMiB: 35, RSSMiB: 90, PeakRSSMiB: 120},
		},
		Verdicts: []Verdict{
			{Metric: "M1 ratio", Target: "≤ 1.2", Measured: "1.07", Pass: true},
			{Metric: "M2 writes", Target: "0", Measured: "2", Pass: false, Why: "events | status"},
		},
		Notes: []string{"kwok bounds pod startup.", "Quick run."},
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

func TestWriteReportFull(t *testing.T) {
	dir := t.TempDir()
	want := fakeReport()
	if err := WriteReport(dir, want); err != nil {
		t.Fatalf("WriteReport: %v", err)
	}

	rawJSON := readFile(t, filepath.Join(dir, ResultsFile))
	var got Report
	if err := json.Unmarshal(rawJSON, &got); err != nil {
		t.Fatalf("decode results.json: %v", err)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("results.json does not round-trip:\n got %+v\nwant %+v", got, *want)
	}

	readme := string(readFile(t, filepath.Join(dir, ReadmeFile)))
	for _, s := range []string{
		"# Berth benchmarks",
		"2026-03-14T09:26:53Z",
		"Produced by `make bench-quick` (cmd/berth-bench). Raw figures: results.json.",
		"## Verdict",
		"| M1 ratio | ≤ 1.2 | 1.07 | ✅ |  |",
		`| M2 writes | 0 | 2 | ❌ | events \| status |`,
		"## Machine",
		"Quick run: figures are not comparable",
		"## Calibration",
		"| 16 | 812.5 | 18.0 | 61.5 |",
		"## M1 — bulk convergence",
		"| unthrottled | 300 | 2 | 30.8 | 28.8 | 1.07 | 1.06, 1.08 | 1.09 | 1.04 | 9.8 | 3.00 |",
		"| N=100 r=1 (unthrottled) | berth | 1 | 10.5 | 11.0 | 0.0 | 3.2 | 1.5 | berth=300, kube-scheduler=100, kwok=100 |  |",
		"![](m1-convergence.png)",
		"![](m1-ratio.png)",
		"## M2 — writes on a no-op resync",
		"| patch events | 1 |\n| update services | 1 |",
		"## M3 — memory",
		"| operator | loaded (1000 Services) | 30.5 | 27.0 | 70.0 | 95.0 |",
		"![](m3-memory.png)",
		"## M4 — edit to new Deployment template",
		"| baseline | 5.0 | 5 | 1 | 3.0 | 6.0 | 9.0 | 9.0 |",
		"![](m4-latency.png)",
		"## M5 — 1,000 Services × 10 tasks",
		"| deployments | create | 1000 | 30.5 |\n| pods | create | 10000 | 45.0 |",
		"| cluster | 3 | 1 | 0 | 0 |\n| service | 4321 | 950 | 12 | 0 |",
		"on-demand=5000, spot=5000",
		"![](m5-convergence.png)",
		"## Notes",
		"- kwok bounds pod startup.",
	} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.md lacks %q", s)
		}
	}
	if strings.Contains(readme, "| deployments | update |") {
		t.Error("README.md lists an API latency row with no requests")
	}

	pngs := map[string][]byte{}
	for _, name := range plotFiles {
		b := readFile(t, filepath.Join(dir, name))
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("decode %s: %v", name, err)
		}
		if img.Bounds().Empty() {
			t.Errorf("%s is empty", name)
		}
		pngs[name] = b
	}

	// A second run gives byte-identical output.
	if err := WriteReport(dir, fakeReport()); err != nil {
		t.Fatalf("WriteReport again: %v", err)
	}
	if again := readFile(t, filepath.Join(dir, ResultsFile)); !bytes.Equal(again, rawJSON) {
		t.Error("results.json differs between runs")
	}
	if again := string(readFile(t, filepath.Join(dir, ReadmeFile))); again != readme {
		t.Errorf("README.md differs between runs:\n%s\n---\n%s", readme, again)
	}
	for name, b := range pngs {
		if again := readFile(t, filepath.Join(dir, name)); !bytes.Equal(again, b) {
			t.Errorf("%s differs between runs", name)
		}
	}
}

func TestWriteReportOnlyM2(t *testing.T) {
	dir := t.TempDir()
	// A plot left from an earlier, fuller run must not outlive its data.
	stale := filepath.Join(dir, M1RatioPlot)
	if err := os.WriteFile(stale, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Report{
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		M2:      &M2Result{Services: 10, WindowSeconds: 30, ReconcilesObserved: 10},
	}
	if err := WriteReport(dir, r); err != nil {
		t.Fatalf("WriteReport: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".png") {
			t.Errorf("unexpected plot %s", e.Name())
		}
	}
	readme := string(readFile(t, filepath.Join(dir, ReadmeFile)))
	if !strings.Contains(readme, "## M2 — writes on a no-op resync") {
		t.Error("README.md lacks the M2 section")
	}
	for _, s := range []string{"## M1", "## M3", "## M4", "## M5", "## A1", "## L1", "## Calibration", "## Notes", "![]("} {
		if strings.Contains(readme, s) {
			t.Errorf("README.md has %q though its data is absent", s)
		}
	}
}

// TestWriteReportA1 renders the ECS API section from a fixed result.
func TestWriteReportA1(t *testing.T) {
	dir := t.TempDir()
	r := &Report{
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		A1: &A1Result{
			Services: 10, TasksPerService: 100, Tasks: 1000, PageSize: 100, Clients: 4, ThroughputSeconds: 10,
			Kubectl: "/usr/bin/kubectl v1.33.1",
			Reads: []A1Read{
				{Client: ClientECSAPI, Read: "DescribeServices, 10 services", Requests: 1, Samples: 200, P50Ms: 4.25, P99Ms: 9.5, ReadsPerSecond: 410.5, RequestsPerSecond: 410.5},
				{Client: ClientECSAPI, Read: "ListTasks, 1,000 ARNs in pages of 100", Requests: 10, Samples: 30, P50Ms: 700, P99Ms: 812.25, ReadsPerSecond: 2.5, RequestsPerSecond: 25},
				{Client: ClientGo, Read: "list pods, 1,000 in one call", Requests: 1, Samples: 200, P50Ms: 45.5, P99Ms: 60, ReadsPerSecond: 40, RequestsPerSecond: 40},
				{Client: ClientKubectl, Read: "get pods -o name", Samples: 20, P50Ms: 350, P99Ms: 420, ReadsPerSecond: 6.25},
			},
		},
	}
	if err := WriteReport(dir, r); err != nil {
		t.Fatalf("WriteReport: %v", err)
	}
	var got Report
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, ResultsFile)), &got); err != nil {
		t.Fatalf("decode results.json: %v", err)
	}
	if !reflect.DeepEqual(got.A1, r.A1) {
		t.Errorf("A1 does not round-trip:\n got %+v\nwant %+v", got.A1, r.A1)
	}
	readme := string(readFile(t, filepath.Join(dir, ReadmeFile)))
	for _, s := range []string{
		"## A1 — ECS API reads",
		"DescribeServices of 10 Services and ListTasks of their 1,000 running tasks (10 × 100)",
		"after 3 warm-up reads; the rate is 4 clients reading at once for 10 s",
		"kubectl: `/usr/bin/kubectl v1.33.1`",
		"| client | read | requests/read | samples | p50 ms | p99 ms | reads/s | requests/s |",
		"| ecs-api | DescribeServices, 10 services | 1 | 200 | 4.2 | 9.5 | 410.5 | 410.5 |",
		"| ecs-api | ListTasks, 1,000 ARNs in pages of 100 | 10 | 30 | 700.0 | 812.2 | 2.5 | 25.0 |",
		"| client-go | list pods, 1,000 in one call | 1 | 200 | 45.5 | 60.0 | 40.0 | 40.0 |",
		"| kubectl | get pods -o name | process | 20 | 350.0 | 420.0 | 6.2 | – |",
	} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.md lacks %q", s)
		}
	}

	r.A1.Kubectl = ""
	if err := WriteReport(dir, r); err != nil {
		t.Fatalf("WriteReport: %v", err)
	}
	if readme := string(readFile(t, filepath.Join(dir, ReadmeFile))); !strings.Contains(readme, "No kubectl was found") {
		t.Error("README.md does not say that kubectl was skipped")
	}
}

// TestWriteReportL1 renders the CloudWatch Logs section from a fixed result.
func TestWriteReportL1(t *testing.T) {
	dir := t.TempDir()
	r := &Report{
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		L1: &L1Result{
			Streams: 10, LinesPerStream: 100_000, Lines: 1_000_000, Bytes: 150 << 20, MatchesPerSearch: 10_000, Samples: 3,
			Kubectl: "/usr/bin/kubectl v1.33.1",
			Searches: []L1Search{
				{Client: ClientLogsAPI, Search: `FilterLogEvents { $.level = "error" }`, Matches: 10_000, Requests: 2, LinesRead: 2_000_000,
					MedianSeconds: 12.5, MinSeconds: 12.25, MaxSeconds: 13, LinesPerSecond: 80_000},
				{Client: ClientKubectl, Search: `kubectl logs | grep -F 'ERROR'`, Matches: 10_000, Requests: 10, LinesRead: 1_000_000,
					MedianSeconds: 4, MinSeconds: 3.5, MaxSeconds: 4.5, LinesPerSecond: 250_000},
			},
		},
	}
	if err := WriteReport(dir, r); err != nil {
		t.Fatalf("WriteReport: %v", err)
	}
	var got Report
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, ResultsFile)), &got); err != nil {
		t.Fatalf("decode results.json: %v", err)
	}
	if !reflect.DeepEqual(got.L1, r.L1) {
		t.Errorf("L1 does not round-trip:\n got %+v\nwant %+v", got.L1, r.L1)
	}
	readme := string(readFile(t, filepath.Join(dir, ReadmeFile)))
	for _, s := range []string{
		"## L1 — CloudWatch Logs FilterLogEvents",
		"FilterLogEvents over the 10 streams of a Service's 10 tasks, 100,000 lines each (1,000,000 lines, 150 MiB",
		"Every search finds the same 10,000 lines (1 in 100 is an error)",
		"median, fastest and slowest of 3 runs",
		"kubectl: `/usr/bin/kubectl v1.33.1`",
		"| client | search | matches | requests | lines read | median s | min s | max s | lines/s |",
		"| logs-api | FilterLogEvents { $.level = \"error\" } | 10,000 | 2 | 2,000,000 | 12.50 | 12.25 | 13.00 | 80,000 |",
		"| kubectl | kubectl logs \\| grep -F 'ERROR' | 10,000 | 10 | 1,000,000 | 4.00 | 3.50 | 4.50 | 250,000 |",
	} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.md lacks %q", s)
		}
	}
	r.L1.Kubectl = ""
	if err := WriteReport(dir, r); err != nil {
		t.Fatalf("WriteReport: %v", err)
	}
	if readme := string(readFile(t, filepath.Join(dir, ReadmeFile))); !strings.Contains(readme, "No kubectl was found: its searches") {
		t.Error("README.md does not say that kubectl was skipped")
	}
}

func TestWriteReportNil(t *testing.T) {
	if err := WriteReport(t.TempDir(), nil); err == nil {
		t.Error("WriteReport(nil) succeeded")
	}
}

// TestWriteReportDegenerateData covers data a plot must survive: zero and
// identical latencies, runs without curves, and a single-sample curve.
func TestWriteReportDegenerateData(t *testing.T) {
	dir := t.TempDir()
	r := &Report{
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		M1: []M1Result{{
			Profile: "default", Services: 10, Tasks: 1,
			Runs: []Run{{Side: "berth", Pair: 1, Seconds: 1}, {Side: "baseline", Pair: 1, Seconds: 1}},
		}},
		M4: []M4Result{
			{Side: "berth", RatePerSecond: 1, LatenciesMs: []float64{0, 0, 0}},
			{Side: "baseline", RatePerSecond: 1, LatenciesMs: []float64{5}},
		},
		M5: &M5Result{Services: 1, TasksPerService: 1, Pods: []Point{{T: 0, Value: 0}}},
	}
	if err := WriteReport(dir, r); err != nil {
		t.Fatalf("WriteReport: %v", err)
	}
	for name, want := range map[string]bool{
		M1ConvergencePlot: false, M1RatioPlot: true, M3MemoryPlot: false,
		M4LatencyPlot: true, M5ConvergencePlot: true,
	} {
		_, err := os.Stat(filepath.Join(dir, name))
		if got := err == nil; got != want {
			t.Errorf("%s written = %v, want %v", name, got, want)
		}
	}
	readme := string(readFile(t, filepath.Join(dir, ReadmeFile)))
	if strings.Contains(readme, M1ConvergencePlot) {
		t.Error("README.md embeds a plot that was not written")
	}
}
