// Command buildprogress shows how a long `go build -v` goes: hack/build-k8s.sh
// pipes each build's output into it, with the number of packages the build
// compiles (counted beforehand with `go list -deps`). Every -interval (the
// script gives 15 seconds on a terminal, 30 in a log) it prints to stderr
// which binary is being built, how many of its packages are compiled, the
// time so far and an estimate of the time left for the whole plan. Lines of the build that do not name a
// package (compiler errors, warnings) are passed on to stderr as they come.
//
// It imports only the standard library, so that it builds in seconds on a
// machine with an empty build cache.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	p := progress{}
	var since, began int64
	var interval time.Duration
	flag.StringVar(&p.name, "name", "", "the binary being built")
	flag.IntVar(&p.index, "index", 1, "its position in the plan (1-based)")
	flag.IntVar(&p.of, "of", 1, "how many binaries the plan builds")
	flag.IntVar(&p.packages, "packages", 0, "packages this build compiles")
	flag.IntVar(&p.doneBefore, "done-before", 0, "packages the earlier builds of the plan compiled")
	flag.IntVar(&p.total, "total", 0, "packages of the whole plan")
	flag.Int64Var(&since, "since", 0, "Unix time the plan's first build began, for the rate (0: now)")
	flag.Int64Var(&began, "began", 0, "Unix time the whole job began, for the time so far (0: -since)")
	flag.DurationVar(&interval, "interval", 15*time.Second, "time between two progress lines")
	flag.Parse()
	planStart := unixOrNow(since)
	jobStart := planStart
	if began > 0 {
		jobStart = time.Unix(began, 0)
	}
	if err := follow(os.Stdin, os.Stderr, p, planStart, jobStart, interval); err != nil {
		fmt.Fprintln(os.Stderr, "buildprogress:", err)
		os.Exit(1)
	}
}

// unixOrNow is the Unix time sec, or now when sec is 0.
func unixOrNow(sec int64) time.Time {
	if sec == 0 {
		return time.Now()
	}
	return time.Unix(sec, 0)
}

// follow reads the build's output until it ends, counting packages,
// passing other lines on to out, and printing p's line every interval.
// The rate is measured from planStart, the time so far from jobStart.
func follow(in io.Reader, out io.Writer, p progress, planStart, jobStart time.Time, interval time.Duration) error {
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		errc <- sc.Err()
		close(lines)
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return <-errc
			}
			if isPackage(line) {
				p.compiled++
			} else {
				fmt.Fprintln(out, line)
			}
		case now := <-tick.C:
			if now.Sub(last) < interval {
				continue
			}
			last = now
			p.elapsed, p.soFar = now.Sub(planStart), now.Sub(jobStart)
			fmt.Fprintln(out, p.line())
		}
	}
}
