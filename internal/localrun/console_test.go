package localrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	uzap "go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The console writes the status line only when it changes: in place on a
// terminal, as a new line elsewhere; a message goes above it.
func TestConsole(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tty   bool
		width int
		want  string
	}{
		{"log", false, 0, "starting\na\nb\nerror 1\nerror 2\nstopping\n"},
		{"terminal", true, 80, "starting\n" + clearLine + "a" + clearLine + "b" +
			clearLine + "error 1\nb" + clearLine + "error 2\nb" + "\nstopping\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			c := &console{w: &out, tty: tc.tty, width: func() int { return tc.width }}
			c.Printf("starting")
			c.SetStatus("a")
			c.SetStatus("a")
			c.SetStatus("b")
			c.Printf("error %d", 1)
			c.Printf("error %d", 2)
			c.SetStatus("b")
			c.EndStatus()
			c.Printf("stopping")
			if got := out.String(); got != tc.want {
				t.Errorf("output\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestConsoleFitsTheTerminal(t *testing.T) {
	c := &console{width: func() int { return 10 }}
	for s, want := range map[string]string{
		"short":      "short",
		"a·b·c·d·e":  "a·b·c·d·e",
		"a·b·c·d·e·": "a·b·c·d·…",
	} {
		if got := c.fit(s); got != want {
			t.Errorf("fit(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestErrorLine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		msg    string
		fields map[string]any
		want   string
	}{
		{"a reconcile", "Reconciler error", map[string]any{
			"controller": "service", "controllerGroup": "ecs.berth.dev", "namespace": "default", "name": "web",
			"reconcileID": "2af3f015", "error": "apply Deployment web: forbidden",
		}, "Reconciler error (service default/web): apply Deployment web: forbidden"},
		{"a cluster-scoped object", "Reconciler error", map[string]any{
			"controller": "capacityprovider", "namespace": "", "name": "fargate", "error": "patch status: forbidden",
		}, "Reconciler error (capacityprovider fargate): patch status: forbidden"},
		{"client-go, through klog", "Unhandled Error", map[string]any{"error": "watch failed"},
			"Unhandled Error: watch failed"},
		{"a message alone", "lost the lease", nil, "lost the lease"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorLine(tc.msg, tc.fields); got != tc.want {
				t.Errorf("errorLine\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestRecentLines(t *testing.T) {
	r := &recentLines{seen: map[string]time.Time{}}
	t0 := time.Date(2026, 12, 4, 7, 38, 0, 0, time.UTC)
	for i, step := range []struct {
		line string
		at   time.Duration
		want bool
	}{
		{"a", 0, true},
		{"a", 10 * time.Second, false},
		{"b", 20 * time.Second, true},
		{"a", 59 * time.Second, false},
		{"a", time.Minute, true},
		{"a", time.Minute + time.Second, false},
		{"b", 80 * time.Second, true},
	} {
		if got := r.fresh(step.line, t0.Add(step.at)); got != step.want {
			t.Errorf("step %d: fresh(%q) at +%s = %v, want %v", i, step.line, step.at, got, step.want)
		}
	}
}

// Through zap: Error entries reach the console as one line, repeats within
// a minute are left out, and Info entries never show.
func TestErrorCore(t *testing.T) {
	var out bytes.Buffer
	con := &console{w: &out, width: func() int { return 0 }}
	core := &errorCore{LevelEnabler: zapcore.ErrorLevel, con: con, shown: &recentLines{seen: map[string]time.Time{}}}
	log := uzap.New(core).With(uzap.String("controller", "service"), uzap.String("namespace", "default"), uzap.String("name", "web"))
	log.Info("Applied Deployment")
	log.Error("Reconciler error", uzap.Error(fmt.Errorf("patch status: %w", context.Canceled)))
	if con.Troubled() || out.Len() > 0 {
		t.Errorf("an Info entry, or an error of stopping (context canceled), reached the console: %q", out.String())
	}
	for range 3 {
		log.Error("Reconciler error", uzap.Error(errors.New("forbidden")), uzap.String("reconcileID", "x"))
	}
	want := regexp.MustCompile(`^\d\d:\d\d:\d\d Reconciler error \(service default/web\): forbidden\n$`)
	if got := out.String(); !want.MatchString(got) {
		t.Errorf("console got %q, want one line matching %s", got, want)
	}
	if !con.Troubled() {
		t.Error("an Error entry did not make the console troubled: make run would remove the logs that explain it")
	}
}
