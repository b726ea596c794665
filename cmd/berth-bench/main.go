// Command berth-bench measures Berth on the local control plane against a
// client-go baseline (M1-M5 of docs/bench) and writes the report:
// results.json, README.md and plots. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/berth-dev/berth/internal/bench"
)

func main() {
	bench.RunRoleIfChild()
	out := flag.String("out", "docs/bench", "directory of the report")
	quick := flag.Bool("quick", false, "a reduced run (100 Services, 1 pair, no M5): minutes, not comparable")
	pairs := flag.Int("pairs", 3, "A/B pairs per M1 cell")
	conc := flag.Int("max-concurrent-reconciles", 4, "the operator's reconciles at once per controller; the baseline's workers")
	cells := flag.String("cells", "", "override the unthrottled M1 cells, e.g. 1000x1,100x10 (Services x tasks)")
	steady := flag.Int("steady", -1, "override the Services count of M2-M4 (0 skips them)")
	m5 := flag.Int("m5", -1, "override the Services of M5 (0 skips it)")
	defaultProfile := flag.Bool("default-profile", true, "also run the default-profile M1 cells")
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))

	o := bench.Options{
		Unthrottled:        []bench.Cell{{Services: 100, Tasks: 1}, {Services: 100, Tasks: 10}, {Services: 1000, Tasks: 1}},
		Default:            []bench.Cell{{Services: 100, Tasks: 1}},
		Pairs:              *pairs,
		Steady:             1000,
		M4Rates:            []float64{5, 20},
		M4Edits:            200,
		M5Services:         1000,
		M5Tasks:            10,
		CalibrationObjects: 500,
		NodesPerPool:       10,
		PodsPerNode:        600,
		Concurrency:        *conc,
		Timeout:            15 * time.Minute,
		Log:                os.Stderr,
	}
	if *quick {
		o.Unthrottled = []bench.Cell{{Services: 100, Tasks: 1}}
		o.Default = nil
		o.Pairs, o.Steady, o.M4Rates, o.M4Edits = 1, 100, []float64{5}, 40
		o.M5Services, o.CalibrationObjects = 0, 100
		o.Quick = true
	}
	if *cells != "" {
		o.Unthrottled = nil
		for _, c := range strings.Split(*cells, ",") {
			var cell bench.Cell
			if _, err := fmt.Sscanf(c, "%dx%d", &cell.Services, &cell.Tasks); err != nil {
				fmt.Fprintf(os.Stderr, "bad cell %q: %v\n", c, err)
				os.Exit(2)
			}
			o.Unthrottled = append(o.Unthrottled, cell)
		}
	}
	if *steady >= 0 {
		o.Steady = *steady
	}
	if *m5 >= 0 {
		o.M5Services = *m5
	}
	if !*defaultProfile {
		o.Default = nil
	}
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
