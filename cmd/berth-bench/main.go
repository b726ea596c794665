// Command berth-bench measures Berth on the local control plane against a
// client-go baseline (M1-M5 of docs/bench), its ECS API endpoint against
// client-go and kubectl (A1), and its CloudWatch Logs FilterLogEvents
// against kubectl logs | grep (L1), and writes the report:
// results.json, README.md and plots. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/bench"
)

func main() {
	bench.RunRoleIfChild()
	out := flag.String("out", "docs/bench", "directory of the report")
	quick := flag.Bool("quick", false, "a reduced run, M1-M5 at N = 100 (1 pair; M5 100 Services x 2 tasks; no calibration): minutes, not comparable")
	large := flag.Bool("large", false, "what does not fit the standard run's 40 minutes: M1 at 5,000 Services (1 pair), K1 (5,000 and 10,000 Services, 1,000 of each other kind), A1, L1 and M1 100 x 1 in the default profile")
	pairs := flag.Int("pairs", 3, "A/B pairs per M1 cell")
	conc := flag.Int("max-concurrent-reconciles", controllers.DefaultMaxConcurrentReconciles, "the operator's reconciles at once per controller; the baseline's workers")
	cells := flag.String("cells", "", "override the unthrottled M1 cells, e.g. 1000x1x3,100x10 (Services x tasks [x pairs])")
	steady := flag.Int("steady", -1, "override the Services count of M2-M4 (0 skips them)")
	m5 := flag.Int("m5", -1, "override the Services of M5 (0 skips it)")
	s1 := flag.Int("s1", -1, "override the Services of S1, the sharding simulation (0 skips it)")
	s1Shards := flag.Int("s1-shards", 2, "S1's namespaces, one operator each when sharded")
	k1 := flag.String("k1", "", "override K1's Services counts, e.g. 5000,10000 (none: 0 skips K1)")
	k1PerKind := flag.Int("k1-per-kind", 0, "override K1's objects of each other kind")
	defaultProfile := flag.Bool("default-profile", true, "also run the default-profile M1 cells (-large has one: 100 x 1)")
	api := flag.Bool("api", false, "run A1, the ECS API endpoint's DescribeServices and ListTasks against client-go and kubectl (on with -large unless -api=false)")
	onlyAPI := flag.Bool("only-api", false, "run A1 alone (a few minutes): no calibration, M1-M5 (with -only-logs: A1 and L1)")
	logs := flag.Bool("logs", false, "run L1, the CloudWatch Logs endpoint's FilterLogEvents over 10 streams against kubectl logs | grep (on with -large unless -logs=false)")
	onlyLogs := flag.Bool("only-logs", false, "run L1 alone (about 3 minutes): no calibration, M1-M5 (with -only-api: A1 and L1)")
	m4Rates := flag.String("m4-rates", "", "override M4's edit rates per second, e.g. 20 or 5,20")
	m4Edits := flag.Int("m4-edits", 0, "override the edits M4 sends at each rate")
	logsSamples := flag.Int("logs-samples", 1, "runs of each L1 search; each run of the four adds about 80 s on 2 cores")
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))

	// 39m39s on 2 cores (docs/benchmarks.md, "The runs of 2026-12-05"),
	// against issue 21's 40 minutes.
	o := bench.Options{
		Unthrottled:        []bench.Cell{{Services: 100, Tasks: 1, Pairs: 1}, {Services: 100, Tasks: 10, Pairs: 1}, {Services: 1000, Tasks: 1}},
		Pairs:              *pairs,
		Steady:             1000,
		M4Rates:            []float64{5, 20},
		M4Edits:            200,
		S1Services:         1000,
		M5Services:         1000,
		M5Tasks:            10,
		CalibrationObjects: 500,
		NodesPerPool:       10,
		PodsPerNode:        600,
		A1: bench.A1Options{
			// About 4 minutes on 2 cores: a minute to run the 1,000
			// tasks, 2.5 to measure (most of it the API's 30 listings
			// and kubectl's processes), then the namespace's deletion.
			Services: 10, TasksPerService: 100, OneRequestSamples: 200, ListingSamples: 30, KubectlSamples: 10,
			Clients: 4, Duration: 5 * time.Second,
		},
		// About 3 minutes on 2 cores: the Service's 10 tasks (40 s),
		// 1M lines written, then a run of each of the 4 searches (80 s).
		L1:          bench.L1Options{Streams: 10, Lines: 100_000, Samples: max(*logsSamples, 1)},
		Concurrency: *conc,
		Timeout:     15 * time.Minute,
		Log:         os.Stderr,
	}
	if *quick {
		o.Unthrottled = []bench.Cell{{Services: 100, Tasks: 1}}
		o.Default = nil
		o.Pairs, o.Steady, o.M4Rates, o.M4Edits = 1, 100, []float64{5, 20}, 40
		o.M5Services, o.M5Tasks, o.CalibrationObjects = 100, 2, 0
		o.S1Services, o.K1Services, o.K1PerKind = 100, []int{200}, 100
		o.A1.OneRequestSamples, o.A1.ListingSamples, o.A1.KubectlSamples, o.A1.Duration = 50, 10, 5, 3*time.Second
		o.Quick = true
	}
	if *large {
		largeRun(&o, api, logs)
	}
	if *cells != "" {
		o.Unthrottled = parseCells(*cells)
	}
	if *steady >= 0 {
		o.Steady = *steady
	}
	if *m4Rates != "" {
		o.M4Rates = parseRates(*m4Rates)
	}
	if *m4Edits > 0 {
		o.M4Edits = *m4Edits
	}
	if *m5 >= 0 {
		o.M5Services = *m5
	}
	scaleOverrides(&o, *k1, *k1PerKind, *s1, *s1Shards)
	if !*defaultProfile {
		o.Default = nil
	}
	apiScenarios(&o, *api, *logs, *onlyAPI, *onlyLogs)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := bench.Measure(ctx, o)
	if r != nil {
		if werr := bench.WriteReport(*out, r); werr != nil {
			fmt.Fprintln(os.Stderr, "write report:", werr)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "report written to %s\n", *out)
		for _, v := range r.Verdicts {
			mark := "PASS"
			if !v.Pass {
				mark = "MISS"
			}
			fmt.Fprintf(os.Stderr, "%s  %s: %s (target %s)\n", mark, v.Metric, v.Measured, v.Target)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// parseCells reads -cells ("1000x1,100x10"); it exits on a bad one.
func parseCells(arg string) []bench.Cell {
	var cells []bench.Cell
	for _, c := range strings.Split(arg, ",") {
		var cell bench.Cell
		parts := strings.Split(c, "x")
		var err error
		switch len(parts) {
		case 2:
			_, err = fmt.Sscanf(c, "%dx%d", &cell.Services, &cell.Tasks)
		case 3:
			_, err = fmt.Sscanf(c, "%dx%dx%d", &cell.Services, &cell.Tasks, &cell.Pairs)
		default:
			err = fmt.Errorf("want Services x tasks [x pairs]")
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bad cell %q: %v\n", c, err)
			os.Exit(2)
		}
		cells = append(cells, cell)
	}
	return cells
}

// parseRates reads -m4-rates ("5,20"); it exits on a bad one.
func parseRates(arg string) []float64 {
	var rates []float64
	for _, r := range strings.Split(arg, ",") {
		rate, err := strconv.ParseFloat(r, 64)
		if err != nil || rate <= 0 {
			fmt.Fprintf(os.Stderr, "bad M4 rate %q\n", r)
			os.Exit(2)
		}
		rates = append(rates, rate)
	}
	return rates
}

// apiScenarios applies -api, -logs, -only-api and -only-logs to o: an
// -only flag runs its scenario (or both) and nothing else.
func apiScenarios(o *bench.Options, api, logs, onlyAPI, onlyLogs bool) {
	if onlyAPI || onlyLogs {
		o.Unthrottled, o.Default, o.Steady, o.M5Services, o.S1Shards, o.K1Services, o.CalibrationObjects = nil, nil, 0, 0, 0, nil, 0
		api, logs = onlyAPI, onlyLogs
	}
	if !api {
		o.A1.Services = 0
	}
	if !logs {
		o.L1.Streams = 0
	}
}

// parseCounts reads -k1 ("5000,10000"; "0" or "none": none); it exits on a
// bad one.
func parseCounts(arg string) []int {
	if arg == "0" || arg == "none" {
		return nil
	}
	var counts []int
	for _, c := range strings.Split(arg, ",") {
		n, err := strconv.Atoi(c)
		if err != nil || n <= 0 || (len(counts) > 0 && n <= counts[len(counts)-1]) {
			fmt.Fprintf(os.Stderr, "bad -k1 %q: counts rise and are positive\n", arg)
			os.Exit(2)
		}
		counts = append(counts, n)
	}
	return counts
}

// scaleOverrides applies -k1, -k1-per-kind, -s1 and -s1-shards.
func scaleOverrides(o *bench.Options, k1 string, k1PerKind, s1, s1Shards int) {
	if k1 != "" {
		o.K1Services = parseCounts(k1)
	}
	if k1PerKind > 0 {
		o.K1PerKind = k1PerKind
	}
	if s1 >= 0 {
		o.S1Services = s1
	}
	if o.S1Shards = s1Shards; o.S1Services == 0 || o.S1Shards <= 0 {
		o.S1Shards = 0
	}
}

// largeRun makes o the run of make bench-large: M1 at 5,000 Services, K1,
// and A1 and L1 unless -api=false or -logs=false says otherwise (to
// measure the rest in less time).
func largeRun(o *bench.Options, api, logs *bool) {
	o.Unthrottled, o.Default = []bench.Cell{{Services: 5000, Tasks: 1, Pairs: 1}}, []bench.Cell{{Services: 100, Tasks: 1, Pairs: 1}}
	o.Steady, o.S1Services, o.M5Services, o.CalibrationObjects = 0, 0, 0, 0
	o.K1Services, o.K1PerKind = []int{5000, 10000}, 1000
	o.Large = true
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	*api, *logs = *api || !set["api"], *logs || !set["logs"]
}
