package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTimeLeft(t *testing.T) {
	for _, tc := range []struct {
		name        string
		done, total int
		elapsed     time.Duration
		want        time.Duration
		wantOK      bool
	}{
		{"too few packages to tell", 19, 1000, 10 * time.Minute, 0, false},
		{"too early to tell", 500, 1000, 29 * time.Second, 0, false},
		{"half done: as long again", 500, 1000, 10 * time.Minute, 10 * time.Minute, true},
		{"a quarter done: three times as long", 250, 1000, 4 * time.Minute, 12 * time.Minute, true},
		{"a third done in 5 min: 10 min more", 700, 2100, 5 * time.Minute, 10 * time.Minute, true},
		{"all done", 1000, 1000, 5 * time.Minute, 0, true},
		{"more done than planned", 1010, 1000, 5 * time.Minute, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := timeLeft(tc.done, tc.total, tc.elapsed)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("timeLeft(%d, %d, %s) = %s, %v; want %s, %v", tc.done, tc.total, tc.elapsed, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestLine(t *testing.T) {
	apiserver := progress{name: "kube-apiserver", index: 2, of: 6, packages: 2100, doneBefore: 600, total: 5400}
	for _, tc := range []struct {
		name string
		p    progress
		want string
	}{
		{"first seconds", with(apiserver, 0, 20*time.Second),
			"building kube-apiserver (2 of 6): 0 of 2100 packages; 40s so far, estimating the time left"},
		// 600 + 1200 = 1800 of 5400 in 6 min: 3600 left take 12 min.
		{"under way", with(apiserver, 1200, 6*time.Minute),
			"building kube-apiserver (2 of 6): 1200 of 2100 packages; 6m20s so far, about 12 min left"},
		// 2700 of 5400 in 10m30s: 10m30s left, shown as 11 min.
		{"minutes round up", with(apiserver, 2100, 10*time.Minute+30*time.Second),
			"building kube-apiserver (2 of 6): 2100 packages compiled, linking; 10m50s so far, about 11 min left"},
		{"the main package beyond the plan", with(apiserver, 2101, 10*time.Minute+30*time.Second),
			"building kube-apiserver (2 of 6): 2100 packages compiled, linking; 10m50s so far, about 11 min left"},
		// 5290 of 5400 in 20 min: 25 s left.
		{"last seconds", with(progress{name: "metrics-server", index: 6, of: 6, packages: 300, doneBefore: 5000, total: 5400}, 290, 20*time.Minute),
			"building metrics-server (6 of 6): 290 of 300 packages; 20m20s so far, less than a minute left"},
		// 5250 of 5400 in 20 min: 34 s left.
		{"under a minute, shown as one", with(progress{name: "metrics-server", index: 6, of: 6, packages: 300, doneBefore: 5000, total: 5400}, 250, 20*time.Minute),
			"building metrics-server (6 of 6): 250 of 300 packages; 20m20s so far, about 1 min left"},
		// 3000 of 5400 in 9 min: 7.2 min left, shown as 8.
		{"nothing to compile, only a link", with(progress{name: "kube-scheduler", index: 4, of: 6, doneBefore: 3000, total: 5400}, 0, 9*time.Minute),
			"building kube-scheduler (4 of 6): 0 packages compiled, linking; 9m20s so far, about 8 min left"},
		{"no count", with(progress{name: "kwok", index: 1, of: 1}, 0, time.Minute),
			"building kwok (1 of 1): 0 packages compiled; 1m20s so far, no package count to estimate from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.line(); got != tc.want {
				t.Errorf("line()\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// with is p after compiled packages, elapsed into the builds, which began
// 20 seconds into the job.
func with(p progress, compiled int, elapsed time.Duration) progress {
	p.compiled, p.elapsed, p.soFar = compiled, elapsed, elapsed+20*time.Second
	return p
}

func TestIsPackage(t *testing.T) {
	for line, want := range map[string]bool{
		"k8s.io/apiserver/pkg/server":           true,
		"runtime":                               true,
		"sigs.k8s.io/kwok/cmd/kwok":             true,
		"":                                      false,
		"# k8s.io/apiserver/pkg/server":         false,
		"server/config.go:12:2: undefined: foo": false,
		"go: downloading k8s.io/api v0.37.2":    false,
		"note: module requires Go 1.27":         false,
		"\tserver/config.go:12:2: other declaration of foo": false,
	} {
		if got := isPackage(line); got != want {
			t.Errorf("isPackage(%q) = %v, want %v", line, got, want)
		}
	}
}

// follow counts the package lines, passes the others on at once, and
// prints nothing before the first interval has passed.
func TestFollowPassesErrorsOn(t *testing.T) {
	in := strings.NewReader("runtime\nerrors\n# example.com/x\nx.go:1:1: expected 'package'\n")
	var out bytes.Buffer
	now := time.Now()
	if err := follow(in, &out, progress{name: "x", packages: 2, total: 2}, now, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	if want := "# example.com/x\nx.go:1:1: expected 'package'\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}
