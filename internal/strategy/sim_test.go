package strategy

import (
	"testing"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// answerFunc is a hook runner's script: the answer to an invocation, and
// the callBackDelay it asks for.
type answerFunc func(inv Invocation) (HookStatus, time.Duration)

func succeed(Invocation) (HookStatus, time.Duration) { return HookSucceeded, 0 }

// fakeWorld is the cluster as the tests see it: tasks follow the replicas
// the machine asks for (green's after lag more passes), hooks answer as
// their script says, and alarms and stop requests come at given times.
type fakeWorld struct {
	lag      int // passes green's tasks take to start or stop
	pending  int
	greenTo  int32
	green    int32
	blue     int32
	stuck    bool // green's tasks never stop
	unready  bool // green's tasks never get ready
	reports  map[HookKey]HookReport
	answer   map[Stage]answerFunc
	alarmAt  time.Time
	stopAt   time.Time
	stop     *Stop
	breaker  time.Time
	changed  bool
	invoked  []Invocation
	invokeAt []time.Time
}

func newWorld(blue int32) *fakeWorld {
	return &fakeWorld{blue: blue, reports: map[HookKey]HookReport{}, answer: map[Stage]answerFunc{}}
}

func (w *fakeWorld) observe(now time.Time) World {
	o := World{GreenRunning: w.green, GreenReady: w.green, BlueRunning: w.blue}
	if w.unready {
		o.GreenReady = 0
	}
	for _, r := range w.reports {
		o.Hooks = append(o.Hooks, r)
	}
	if !w.alarmAt.IsZero() && !now.Before(w.alarmAt) {
		o.AlarmsInAlarm = []string{"errors"}
	}
	if !w.stopAt.IsZero() && !now.Before(w.stopAt) {
		o.Stop = w.stop
	}
	if !w.breaker.IsZero() && !now.Before(w.breaker) {
		o.CircuitBreakerTripped = true
	}
	return o
}

// apply carries a pass's output out: replicas, then hooks.
func (w *fakeWorld) apply(out *Output, now time.Time) {
	w.changed = false
	if out.Replicas.Blue != w.blue {
		w.blue, w.changed = out.Replicas.Blue, true
	}
	if out.Replicas.Green != w.greenTo {
		w.greenTo, w.pending = out.Replicas.Green, w.lag
	}
	if w.green != w.greenTo && (!w.stuck || w.greenTo >= w.green) {
		if w.pending > 0 {
			w.pending--
		} else {
			w.green = w.greenTo
		}
		w.changed = true
	}
	for _, inv := range out.Invoke {
		w.invoked = append(w.invoked, inv)
		w.invokeAt = append(w.invokeAt, now)
		f := w.answer[inv.Key.Stage]
		if f == nil {
			f = succeed
		}
		status, delay := f(inv)
		if status != "" {
			w.reports[inv.Key] = HookReport{Key: inv.Key, Attempt: inv.Attempt, Status: status, CallbackDelay: delay}
			w.changed = true
		}
	}
}

// nextEvent is the next time the world changes by itself after now.
func (w *fakeWorld) nextEvent(now time.Time) time.Time {
	var next time.Time
	for _, t := range []time.Time{w.alarmAt, w.stopAt, w.breaker} {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// change is a traffic or replica change the controller applied, at a time.
type change struct {
	At         time.Duration // since t0
	Production Weights
	Test       Weights
	Replicas   Replicas
	Stage      Stage
	Status     ecsv1alpha1.ServiceDeploymentState
}

// run is a whole deployment: every pass's output, and the changes.
type run struct {
	outs    []Output
	changes []change
	stages  []Stage
	events  []string
	final   Output
}

// drive steps the machine from in until the deployment ends, the world
// stops changing, or until.
func drive(t *testing.T, in Input, w *fakeWorld, until time.Duration) *run {
	t.Helper()
	r := &run{}
	var last change
	for i := 0; i < 5000; i++ {
		in.World = w.observe(in.Now)
		out := Step(in)
		r.outs = append(r.outs, out)
		r.stages = append(r.stages, out.Entered...)
		for _, e := range out.Events {
			r.events = append(r.events, e.Text)
		}
		c := change{At: in.Now.Sub(t0), Production: out.Production, Test: out.Test, Replicas: out.Replicas, Stage: out.State.Stage, Status: out.Status}
		if i == 0 || c.Production != last.Production || c.Test != last.Test || c.Replicas != last.Replicas {
			r.changes = append(r.changes, c)
		}
		last = c
		w.apply(&out, in.Now)
		in.State = out.State
		r.final = out
		if out.State.Final() && !w.changed {
			return r
		}
		next := out.Recheck
		if e := w.nextEvent(in.Now); !e.IsZero() && (next.IsZero() || e.Before(next)) {
			next = e
		}
		switch {
		case w.changed:
		case next.IsZero():
			return r
		case next.Before(in.Now):
			t.Fatalf("pass %d: recheck %s is before now %s", i, next, in.Now)
		default:
			in.Now = next
		}
		if in.Now.Sub(t0) > until {
			return r
		}
	}
	t.Fatal("the deployment did not settle in 5000 passes")
	return r
}

// productions are the distinct production weights in the order they
// were applied, with when.
func (r *run) productions() ([]Weights, []time.Duration) {
	var ws []Weights
	var at []time.Duration
	for _, c := range r.changes {
		if len(ws) == 0 || ws[len(ws)-1] != c.Production {
			ws = append(ws, c.Production)
			at = append(at, c.At)
		}
	}
	return ws, at
}

func input(cfg Config, desired int32) Input {
	return Input{Config: cfg, Service: "web", Deployment: "ecs-svc/2", RollbackTo: "ecs-svc/1", DesiredCount: desired, Now: t0}
}

func blueGreen(bake time.Duration, hooks ...Hook) Config {
	return Config{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen, Bake: bake, Hooks: hooks,
		CallbackDelay: 30 * time.Second, StageTimeout: 24 * time.Hour, AlarmRollback: true, CircuitBreakerRollback: true}
}

func linear(step float64, stepBake, bake time.Duration, hooks ...Hook) Config {
	c := blueGreen(bake, hooks...)
	c.Strategy, c.StepPercent, c.StepBake = ecsv1alpha1.DeploymentStrategyLinear, step, stepBake
	return c
}

func canary(pct float64, canaryBake, bake time.Duration, hooks ...Hook) Config {
	c := blueGreen(bake, hooks...)
	c.Strategy, c.CanaryPercent, c.StepBake = ecsv1alpha1.DeploymentStrategyCanary, pct, canaryBake
	return c
}

func hookAt(timeout time.Duration, action ecsv1alpha1.DeploymentLifecycleHookAction, stages ...Stage) Hook {
	h := Hook{Timeout: timeout, TimeoutAction: action}
	for _, s := range stages {
		h.Stages = append(h.Stages, ecsv1alpha1.DeploymentLifecycleHookStage(s))
	}
	return h
}

func w(blue, green int32) Weights { return Weights{Blue: blue, Green: green} }
