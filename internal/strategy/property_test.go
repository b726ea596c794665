package strategy

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// scenario is a random deployment: a strategy, its numbers, hooks that
// answer in various ways, and a world that may raise an alarm, trip the
// breaker or stop the deployment at some point.
type scenario struct {
	strategy   uint8
	percent    uint16 // tenths
	stepBake   uint8  // seconds
	bake       uint8  // seconds
	desired    uint8
	lag        uint8
	hookStages uint16 // bit i: a hook at hookable stage i
	hookMode   uint8  // 0 succeed, 1 fail, 2 in progress then succeed, 3 never answer
	action     bool   // CONTINUE on timeout
	trouble    uint8  // 0 none, 1 alarm, 2 breaker, 3 stop rollback, 4 stop abort
	troubleAt  uint16 // seconds
	noRollback bool
}

var hookable = []Stage{StageReconcileService, StagePreScaleUp, StagePostScaleUp, StageTestTrafficShift, StagePostTestTrafficShift,
	StagePreProductionTrafficShift, StageProductionTrafficShift, StagePostProductionTrafficShift}

func (s scenario) input() (Input, *fakeWorld) {
	strategies := []ecsv1alpha1.DeploymentStrategy{"BLUE_GREEN", "LINEAR", "CANARY"}
	cfg := Config{
		Strategy:      strategies[int(s.strategy)%3],
		Bake:          time.Duration(s.bake) * time.Second,
		StepBake:      time.Duration(s.stepBake) * time.Second,
		StepPercent:   float64(s.percent%1001) / 10,
		CanaryPercent: float64(s.percent%1001) / 10,
		CallbackDelay: 5 * time.Second,
		StageTimeout:  10 * time.Minute,
		AlarmRollback: !s.noRollback, CircuitBreakerRollback: !s.noRollback,
	}
	action := ecsv1alpha1.DeploymentLifecycleHookActionRollback
	if s.action {
		action = ecsv1alpha1.DeploymentLifecycleHookActionContinue
	}
	world := newWorld(int32(s.desired))
	world.lag = int(s.lag % 4)
	for i, st := range hookable {
		if s.hookStages&(1<<i) == 0 {
			continue
		}
		cfg.Hooks = append(cfg.Hooks, hookAt(time.Minute, action, st))
		world.answer[st] = func(inv Invocation) (HookStatus, time.Duration) {
			switch s.hookMode % 4 {
			case 1:
				return HookFailed, 0
			case 2:
				if inv.Attempt < 3 {
					return HookInProgress, 0
				}
			case 3:
				return "", 0
			}
			return HookSucceeded, 0
		}
	}
	at := t0.Add(time.Duration(s.troubleAt%600) * time.Second)
	switch s.trouble % 5 {
	case 1:
		world.alarmAt = at
	case 2:
		world.breaker = at
	case 3:
		world.stopAt, world.stop = at, &Stop{Rollback: true}
	case 4:
		world.stopAt, world.stop = at, &Stop{}
	}
	in := input(cfg, int32(s.desired))
	in.ReconcileService = s.hookStages&1 == 1
	return in, world
}

// check drives a scenario and checks, at every pass, what must always
// hold: weights sum to 100%, traffic never moves toward green during a
// rollback and never back toward blue otherwise, green runs at full size
// whenever it has production traffic, blue keeps its tasks until CLEAN_UP,
// and a pass is a function of its input.
func (s scenario) check(t *testing.T) {
	in, world := s.input()
	r := drive(t, in, world, 12*time.Hour)
	desired := int32(s.desired)
	var prev Output
	for i, o := range r.outs {
		for _, wt := range []Weights{o.Production, o.Test} {
			if wt.Blue+wt.Green != Whole || wt.Blue < 0 || wt.Green < 0 {
				t.Fatalf("pass %d: weights %+v do not make 100%%", i, wt)
			}
		}
		if o.Replicas.Blue < 0 || o.Replicas.Blue > desired || o.Replicas.Green < 0 || o.Replicas.Green > desired {
			t.Fatalf("pass %d: replicas %+v for %d", i, o.Replicas, desired)
		}
		if o.Production.Green > 0 && o.Replicas.Green != desired && o.State.Rollback == nil {
			t.Fatalf("pass %d: production %s on green with %d tasks", i, o.Production, o.Replicas.Green)
		}
		if i > 0 {
			rolling := o.State.Rollback != nil
			if rolling && (o.Production.Green > prev.Production.Green || o.Test.Green > prev.Test.Green) {
				t.Fatalf("pass %d: during the rollback traffic moved toward green: %s → %s", i, prev.Production, o.Production)
			}
			if !rolling && o.Production.Green < prev.Production.Green {
				t.Fatalf("pass %d: traffic moved back toward blue without a rollback: %s → %s", i, prev.Production, o.Production)
			}
			if prev.State.Rollback != nil && !rolling {
				t.Fatalf("pass %d: the rollback was forgotten", i)
			}
			if prev.State.Final() && !cmp.Equal(prev.State, o.State) {
				t.Fatalf("pass %d: a final state changed", i)
			}
		}
		if (o.State.Rollback != nil || o.State.Stage != StageCleanUp) && o.Status != ecsv1alpha1.ServiceDeploymentStopped && o.Replicas.Blue != desired {
			t.Fatalf("pass %d: blue scaled to %d in %s (rollback %v)", i, o.Replicas.Blue, o.State.Stage, o.State.Rollback != nil)
		}
		prev = o
	}
	switch r.final.Status {
	case ecsv1alpha1.ServiceDeploymentSuccessful, ecsv1alpha1.ServiceDeploymentRollbackSuccessful, ecsv1alpha1.ServiceDeploymentStopped:
	default:
		if s.hookMode%4 != 3 || r.final.Status != ecsv1alpha1.ServiceDeploymentInProgress {
			t.Fatalf("ended %s (%s) in %s", r.final.Status, r.final.State.StatusReason, r.final.State.Stage)
		}
	}
	// Determinism: the last input again gives the same output.
	last := in
	last.World, last.Now = world.observe(t0.Add(r.changes[len(r.changes)-1].At)), t0.Add(r.changes[len(r.changes)-1].At)
	last.State = r.outs[len(r.outs)-1].State
	if diff := cmp.Diff(Step(last), Step(last)); diff != "" {
		t.Fatalf("two passes on one input differ:\n%s", diff)
	}
}

// Random scenarios from a fixed seed, so that go test checks the
// properties every run.
func TestStep_Properties(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2026))
	for range 400 {
		s := scenario{
			strategy: uint8(rng.IntN(3)), percent: uint16(rng.IntN(1001)), stepBake: uint8(rng.IntN(60)), bake: uint8(rng.IntN(120)),
			desired: uint8(rng.IntN(6)), lag: uint8(rng.IntN(4)), hookStages: uint16(rng.IntN(256)), hookMode: uint8(rng.IntN(4)),
			action: rng.IntN(2) == 0, trouble: uint8(rng.IntN(5)), troubleAt: uint16(rng.IntN(600)), noRollback: rng.IntN(4) == 0,
		}
		t.Run("", func(t *testing.T) {
			t.Logf("%+v", s)
			s.check(t)
		})
	}
}

func FuzzStep(f *testing.F) {
	f.Add(uint8(0), uint16(0), uint8(0), uint8(10), uint8(4), uint8(1), uint16(0), uint8(0), false, uint8(0), uint16(0), false)
	f.Add(uint8(1), uint16(250), uint8(30), uint8(60), uint8(4), uint8(2), uint16(0x10), uint8(1), false, uint8(0), uint16(0), false)
	f.Add(uint8(1), uint16(30), uint8(1), uint8(1), uint8(3), uint8(0), uint16(0x40), uint8(2), true, uint8(1), uint16(40), false)
	f.Add(uint8(2), uint16(1), uint8(20), uint8(5), uint8(2), uint8(3), uint16(0xff), uint8(3), true, uint8(3), uint16(100), false)
	f.Add(uint8(2), uint16(100), uint8(20), uint8(5), uint8(5), uint8(0), uint16(0), uint8(0), false, uint8(4), uint16(30), true)
	// LINEAR 1.1% (so ECS's 3.0%: 34 steps) of 250 s each.
	f.Add(uint8(193), uint16(11), uint8(250), uint8(48), uint8(10), uint8(121), uint16(232), uint8(4), true, uint8(55), uint16(81), false)
	f.Fuzz(func(t *testing.T, strategy uint8, percent uint16, stepBake, bake, desired, lag uint8, hookStages uint16, hookMode uint8,
		action bool, trouble uint8, troubleAt uint16, noRollback bool) {
		scenario{strategy, percent, stepBake, bake, desired % 8, lag, hookStages, hookMode, action, trouble, troubleAt, noRollback}.check(t)
	})
}
