package main

import (
	"fmt"
	"strings"
	"time"
)

const (
	// minDoneForEstimate and minElapsedForEstimate are what the rate must
	// rest on before a time left is shown: the first packages (the runtime,
	// a few tiny ones) say little about the rest.
	minDoneForEstimate    = 20
	minElapsedForEstimate = 30 * time.Second
)

// progress is where a build of several binaries stands: one binary of the
// plan is being built, and the packages of the earlier ones are compiled.
type progress struct {
	name       string        // the binary being built
	index, of  int           // it is binary index (1-based) of `of`
	packages   int           // packages this binary compiles, as planned
	compiled   int           // packages of this binary compiled so far
	doneBefore int           // packages the earlier binaries compiled
	total      int           // packages of every binary of the plan
	elapsed    time.Duration // since the first binary's build began
	soFar      time.Duration // since the whole job began (counting included)
}

// done is the number of packages of the whole plan compiled so far. A
// binary never counts for more than its planned packages: the plan may
// miss a few (the main package when only its link is stale).
func (p progress) done() int {
	return p.doneBefore + min(p.compiled, p.packages)
}

// timeLeft extrapolates the time the rest of the plan takes from the rate
// seen so far (packages compiled per second since the first build began,
// links included). ok is false while too little is done to tell.
func timeLeft(done, total int, elapsed time.Duration) (left time.Duration, ok bool) {
	if done < minDoneForEstimate || elapsed < minElapsedForEstimate {
		return 0, false
	}
	if done >= total {
		return 0, true
	}
	return time.Duration(float64(elapsed) * float64(total-done) / float64(done)), true
}

// line renders the progress line, e.g. "building kube-apiserver (2 of 6):
// 812 of 2100 packages; 4m10s so far, about 6 min left".
func (p progress) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "building %s (%d of %d): ", p.name, p.index, p.of)
	switch {
	case p.total == 0:
		fmt.Fprintf(&b, "%d packages compiled", p.compiled)
	case p.compiled >= p.packages:
		fmt.Fprintf(&b, "%d packages compiled, linking", p.packages)
	default:
		fmt.Fprintf(&b, "%d of %d packages", p.compiled, p.packages)
	}
	fmt.Fprintf(&b, "; %s so far, %s", roundSeconds(p.soFar), p.left())
	return b.String()
}

// left says how long the rest takes.
func (p progress) left() string {
	if p.total == 0 {
		return "no package count to estimate from"
	}
	d, ok := timeLeft(p.done(), p.total, p.elapsed)
	if !ok {
		return "estimating the time left"
	}
	return aboutLeft(d)
}

// aboutLeft renders a remaining time in whole minutes, rounded up: the
// estimate tends to be short, as the link of each binary comes after its
// last package.
func aboutLeft(d time.Duration) string {
	if d < 30*time.Second {
		return "less than a minute left"
	}
	return fmt.Sprintf("about %d min left", int((d+time.Minute-1)/time.Minute))
}

// roundSeconds renders d to the second, e.g. "4m10s".
func roundSeconds(d time.Duration) string {
	return d.Round(time.Second).String()
}

// isPackage reports whether a line of `go build -v` output names a package
// being compiled. Every other line (compiler errors, "# pkg" headers,
// "go: downloading ...") has a space, a colon or a leading '#'.
func isPackage(line string) bool {
	return line != "" && !strings.HasPrefix(line, "#") && !strings.ContainsAny(line, " \t:")
}
