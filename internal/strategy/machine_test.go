package strategy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

var forward = []Stage{StagePreScaleUp, StageScaleUp, StagePostScaleUp, StageTestTrafficShift, StagePostTestTrafficShift,
	StagePreProductionTrafficShift, StageProductionTrafficShift}

func forwardThrough(steps int) []Stage {
	s := append([]Stage(nil), forward...)
	for range steps - 1 {
		s = append(s, StagePreProductionTrafficShift, StageProductionTrafficShift)
	}
	return append(s, StagePostProductionTrafficShift, StageBakeTime, StageCleanUp)
}

// Whole deployments that succeed: the production weights follow the
// strategy's steps in order, each after its interval; blue is kept for the
// bake and then scaled in; the stages come in ECS's order.
func TestStep_Succeeds(t *testing.T) {
	const bake = 10 * time.Minute
	cases := []struct {
		name   string
		cfg    Config
		want   []Weights
		at     []time.Duration // when each weight is applied, from the first
		stages []Stage
	}{
		{"BLUE_GREEN", blueGreen(bake), []Weights{AllBlue, AllGreen}, []time.Duration{0, 0}, forwardThrough(1)},
		{"LINEAR 25%", linear(25, 30*time.Second, bake),
			[]Weights{AllBlue, w(750, 250), w(500, 500), w(250, 750), AllGreen},
			[]time.Duration{0, 0, 30 * time.Second, time.Minute, 90 * time.Second}, forwardThrough(4)},
		{"LINEAR 30% (the last step takes the rest)", linear(30, time.Minute, bake),
			[]Weights{AllBlue, w(700, 300), w(400, 600), w(100, 900), AllGreen},
			[]time.Duration{0, 0, time.Minute, 2 * time.Minute, 3 * time.Minute}, forwardThrough(4)},
		{"LINEAR with no step bake", linear(50, 0, bake), []Weights{AllBlue, w(500, 500), AllGreen}, []time.Duration{0, 0, 0}, forwardThrough(2)},
		{"CANARY 10%", canary(10, 5*time.Minute, bake), []Weights{AllBlue, w(900, 100), AllGreen},
			[]time.Duration{0, 0, 5 * time.Minute}, forwardThrough(2)},
		{"CANARY 100%", canary(100, 5*time.Minute, bake), []Weights{AllBlue, AllGreen}, []time.Duration{0, 0}, forwardThrough(1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			world := newWorld(4)
			world.lag = 2
			r := drive(t, input(tc.cfg, 4), world, 24*time.Hour)
			if r.final.Status != ecsv1alpha1.ServiceDeploymentSuccessful {
				t.Fatalf("status %s (%s), want SUCCESSFUL", r.final.Status, r.final.State.StatusReason)
			}
			got, at := r.productions()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("production weights (-want +got):\n%s", diff)
			}
			first := at[1]
			for i := range at {
				at[i] -= min(at[i], first)
			}
			if diff := cmp.Diff(tc.at, at); diff != "" {
				t.Errorf("when the weights changed, from the first shift (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.stages, r.stages); diff != "" {
				t.Errorf("stages (-want +got):\n%s", diff)
			}
			// Green runs at full size before any production traffic moves.
			for _, c := range r.changes {
				if c.Production.Green > 0 && c.Replicas.Green != 4 {
					t.Errorf("at %s production %s reaches green with %d green tasks", c.At, c.Production, c.Replicas.Green)
				}
				if c.Test.Green > 0 && c.Production == AllBlue && c.Stage == StagePreScaleUp {
					t.Errorf("test traffic on green before scale-up: %+v", c)
				}
			}
			// Blue keeps its tasks for the bake after the last shift, then 0.
			var allGreenAt, blueGoneAt time.Duration = -1, -1
			for _, c := range r.changes {
				if c.Production == AllGreen && allGreenAt < 0 {
					allGreenAt = c.At
				}
				if c.Replicas.Blue == 0 && blueGoneAt < 0 {
					blueGoneAt = c.At
				}
				if c.Replicas.Blue != 0 && c.Replicas.Blue != 4 {
					t.Errorf("blue replicas %d", c.Replicas.Blue)
				}
			}
			if blueGoneAt-allGreenAt != bake {
				t.Errorf("blue scaled in %s after the last shift, want the bake %s", blueGoneAt-allGreenAt, bake)
			}
			if r.final.Test != AllGreen || r.final.Replicas != (Replicas{Green: 4}) || r.final.LifecycleStage != "CLEAN_UP" {
				t.Errorf("final %+v", r.final)
			}
			if want := []string{"service web (deployment ecs-svc/2) deployment completed."}; !cmp.Equal(want, r.events) {
				t.Errorf("events %q, want %q", r.events, want)
			}
		})
	}
}

// Rollbacks: production traffic returns to blue and never moves toward
// green again, blue is never scaled down, green is scaled in, and the
// deployment ends ROLLBACK_SUCCESSFUL once green's tasks are gone.
func TestStep_RollsBack(t *testing.T) {
	failing := func(Invocation) (HookStatus, time.Duration) { return HookFailed, 0 }
	cases := []struct {
		name       string
		cfg        Config
		setup      func(*fakeWorld)
		maxGreen   int32 // the most production traffic green ever had
		reason     string
		events     []string
		rollbackAt Stage
	}{
		{
			name:   "BLUE_GREEN, POST_TEST_TRAFFIC_SHIFT hook FAILED",
			cfg:    blueGreen(10*time.Minute, hookAt(time.Hour, "ROLLBACK", StagePostTestTrafficShift)),
			setup:  func(w *fakeWorld) { w.answer[StagePostTestTrafficShift] = failing },
			reason: "ECS deployment lifecycle hook: hook 0 at POST_TEST_TRAFFIC_SHIFT failed.",
			events: []string{
				"service web (deployment ecs-svc/2) deployment failed: hook execution failure(s) detected.",
				"service web (deployment ecs-svc/2) rolling back to deployment ecs-svc/1.",
				"service web (deployment ecs-svc/1) deployment completed.",
			},
			rollbackAt: StagePostTestTrafficShift,
		},
		{
			name:     "LINEAR 25%, alarm after the second step",
			cfg:      linear(25, time.Minute, 10*time.Minute),
			setup:    func(w *fakeWorld) { w.alarmAt = t0.Add(90 * time.Second) },
			maxGreen: 500,
			reason:   "ECS deployment alarms: errors in ALARM state.",
			events: []string{
				"service web (deployment ecs-svc/2) deployment failed: alarm detected.",
				"service web (deployment ecs-svc/2) rolling back to deployment ecs-svc/1.",
				"service web (deployment ecs-svc/1) deployment completed.",
			},
			rollbackAt: StageProductionTrafficShift,
		},
		{
			name:     "BLUE_GREEN, StopServiceDeployment ROLLBACK during the bake",
			cfg:      blueGreen(10 * time.Minute),
			setup:    func(w *fakeWorld) { w.stopAt, w.stop = t0.Add(5*time.Minute), &Stop{Rollback: true} },
			maxGreen: Whole,
			reason:   "ECS deployment stopped by StopServiceDeployment.",
			events: []string{
				"service web (deployment ecs-svc/2) deployment stopped.",
				"service web (deployment ecs-svc/2) rolling back to deployment ecs-svc/1.",
				"service web (deployment ecs-svc/1) deployment completed.",
			},
			rollbackAt: StageBakeTime,
		},
		{
			name:     "CANARY, circuit breaker during the canary bake",
			cfg:      canary(10, 10*time.Minute, 10*time.Minute),
			setup:    func(w *fakeWorld) { w.breaker = t0.Add(3 * time.Minute) },
			maxGreen: 100,
			reason:   "ECS deployment circuit breaker: tasks failed to start.",
			events: []string{
				"service web (deployment ecs-svc/2) deployment failed: tasks failed to start.",
				"service web (deployment ecs-svc/2) rolling back to deployment ecs-svc/1.",
				"service web (deployment ecs-svc/1) deployment completed.",
			},
			rollbackAt: StageProductionTrafficShift,
		},
		{
			name:   "green never ready: SCALE_UP times out",
			cfg:    func() Config { c := blueGreen(time.Minute); c.StageTimeout = time.Hour; return c }(),
			setup:  func(w *fakeWorld) { w.unready = true },
			reason: "ECS deployment lifecycle stage SCALE_UP timed out after 1h0m0s.",
			events: []string{
				"service web (deployment ecs-svc/2) deployment failed: SCALE_UP stage timed out.",
				"service web (deployment ecs-svc/2) rolling back to deployment ecs-svc/1.",
				"service web (deployment ecs-svc/1) deployment completed.",
			},
			rollbackAt: StageScaleUp,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			world := newWorld(4)
			world.lag = 1
			tc.setup(world)
			r := drive(t, input(tc.cfg, 4), world, 48*time.Hour)
			f := r.final
			if f.Status != ecsv1alpha1.ServiceDeploymentRollbackSuccessful || f.State.StatusReason != tc.reason {
				t.Fatalf("status %s %q, want ROLLBACK_SUCCESSFUL %q", f.Status, f.State.StatusReason, tc.reason)
			}
			if f.State.Rollback == nil || f.State.Rollback.From != tc.rollbackAt || f.State.Rollback.Reason != tc.reason {
				t.Errorf("rollback %+v, want from %s", f.State.Rollback, tc.rollbackAt)
			}
			if f.Production != AllBlue || f.Test != AllBlue || f.Replicas != (Replicas{Blue: 4}) || world.green != 0 {
				t.Errorf("final %+v, green running %d", f, world.green)
			}
			var most int32
			back := false
			for _, c := range r.changes {
				most = max(most, c.Production.Green)
				if c.Replicas.Blue != 4 {
					t.Errorf("at %s blue scaled to %d", c.At, c.Replicas.Blue)
				}
				if c.Status == ecsv1alpha1.ServiceDeploymentRollbackInProgress {
					back = true
				}
				if back && (c.Production != AllBlue || c.Test != AllBlue) {
					t.Errorf("at %s during the rollback, traffic %s / test %s", c.At, c.Production, c.Test)
				}
			}
			if most != tc.maxGreen {
				t.Errorf("green had at most %d of production, want %d", most, tc.maxGreen)
			}
			if diff := cmp.Diff(tc.events, r.events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// An alarm in the middle of a LINEAR deployment: the rollback is in
// progress while green's tasks stop, and succeeds once they are gone.
func TestStep_RollbackWaitsForGreen(t *testing.T) {
	world := newWorld(4)
	world.lag = 3
	world.alarmAt = t0.Add(90 * time.Second)
	r := drive(t, input(linear(25, time.Minute, time.Hour), 4), world, time.Hour)
	var statuses []ecsv1alpha1.ServiceDeploymentState
	for _, o := range r.outs {
		if n := len(statuses); n == 0 || statuses[n-1] != o.Status {
			statuses = append(statuses, o.Status)
		}
	}
	want := []ecsv1alpha1.ServiceDeploymentState{"IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"}
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	// Traffic goes back to blue in one pass, green scales in in the next.
	var i int
	for i = range r.outs {
		if r.outs[i].Status == ecsv1alpha1.ServiceDeploymentRollbackInProgress {
			break
		}
	}
	o := r.outs[i]
	if o.Production != AllBlue || o.Replicas.Green != 4 || o.LifecycleStage != "PRODUCTION_TRAFFIC_SHIFT" || !o.Recheck.Equal(o.State.StageStartedAt) {
		t.Errorf("first rollback pass %+v", o)
	}
	if n := r.outs[i+1]; n.Replicas.Green != 0 || n.LifecycleStage != "CLEAN_UP" {
		t.Errorf("second rollback pass %+v", n)
	}
}

// Green's tasks that never stop fail the rollback after StageTimeout.
func TestStep_RollbackFails(t *testing.T) {
	cfg := linear(50, time.Minute, time.Hour)
	cfg.StageTimeout = 2 * time.Hour
	world := newWorld(2)
	world.stuck = true
	world.alarmAt = t0.Add(30 * time.Second)
	r := drive(t, input(cfg, 2), world, 10*time.Hour)
	if r.final.Status != ecsv1alpha1.ServiceDeploymentRollbackFailed || r.final.Replicas != (Replicas{Blue: 2}) || r.final.Production != AllBlue {
		t.Fatalf("final %+v", r.final)
	}
	if got := r.final.State.FinishedAt.Sub(r.final.State.Rollback.StartedAt); got != 2*time.Hour {
		t.Errorf("the rollback failed %s after it started, want 2h", got)
	}
	if want := "ECS deployment alarms: errors in ALARM state. Rollback failed: 2 tasks of the deployment were still running after 2h0m0s."; r.final.State.StatusReason != want {
		t.Errorf("reason %q", r.final.State.StatusReason)
	}
	if last := r.events[len(r.events)-1]; last != "service web (deployment ecs-svc/2) rollback failed." {
		t.Errorf("last event %q", last)
	}
}

// Without rollback (ABORT, or an alarm whose rollback is false) the
// deployment is STOPPED where it is: replicas and weights stay.
func TestStep_StopsWithoutRollback(t *testing.T) {
	noRollback := linear(25, time.Minute, time.Hour)
	noRollback.AlarmRollback = false
	cases := []struct {
		name   string
		cfg    Config
		setup  func(*fakeWorld)
		reason string
		event  string
	}{
		{"StopServiceDeployment ABORT", linear(25, time.Minute, time.Hour),
			func(w *fakeWorld) { w.stopAt, w.stop = t0.Add(90*time.Second), &Stop{} },
			"ECS deployment stopped by StopServiceDeployment.", "service web (deployment ecs-svc/2) deployment stopped."},
		{"alarm without rollback", noRollback,
			func(w *fakeWorld) { w.alarmAt = t0.Add(90 * time.Second) },
			"ECS deployment alarms: errors in ALARM state.", "service web (deployment ecs-svc/2) deployment failed: alarm detected."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			world := newWorld(4)
			tc.setup(world)
			r := drive(t, input(tc.cfg, 4), world, 10*time.Hour)
			f := r.final
			if f.Status != ecsv1alpha1.ServiceDeploymentStopped || f.State.StatusReason != tc.reason || f.State.Rollback != nil {
				t.Fatalf("final %s %q %+v", f.Status, f.State.StatusReason, f.State.Rollback)
			}
			if f.Production != w(500, 500) || f.Replicas != (Replicas{Blue: 4, Green: 4}) || !f.Recheck.IsZero() || !f.State.FinishedAt.Equal(t0.Add(90*time.Second)) {
				t.Errorf("final %+v", f)
			}
			if !cmp.Equal([]string{tc.event}, r.events) {
				t.Errorf("events %q", r.events)
			}
		})
	}
}

// Once blue is scaling in (CLEAN_UP) nothing rolls back.
func TestStep_NoRollbackAfterBake(t *testing.T) {
	world := newWorld(4)
	world.lag = 0
	in := input(blueGreen(time.Minute), 4)
	r := drive(t, in, world, time.Hour)
	if r.final.Status != ecsv1alpha1.ServiceDeploymentSuccessful {
		t.Fatal(r.final.Status)
	}
	// Replay the pass that entered CLEAN_UP with blue still running and an
	// alarm in ALARM.
	for _, o := range r.outs {
		if o.State.Stage == StageCleanUp && o.Status == ecsv1alpha1.ServiceDeploymentInProgress {
			in.State, in.Now = o.State, o.State.StageStartedAt.Add(time.Second)
			in.World = World{BlueRunning: 4, GreenRunning: 4, GreenReady: 4, AlarmsInAlarm: []string{"errors"}, Stop: &Stop{Rollback: true}}
			out := Step(in)
			if out.Status != ecsv1alpha1.ServiceDeploymentInProgress || out.State.Rollback != nil || len(out.Events) > 0 {
				t.Errorf("in CLEAN_UP: %+v", out)
			}
			return
		}
	}
	t.Fatal("never in CLEAN_UP with blue running")
}

// A hook answering IN_PROGRESS is invoked again every 30 s (or after the
// callBackDelay it asks for) until it times out; then ROLLBACK rolls back
// and CONTINUE goes on.
func TestStep_HookInProgress(t *testing.T) {
	inProgress := func(delay time.Duration) answerFunc {
		return func(Invocation) (HookStatus, time.Duration) { return HookInProgress, delay }
	}
	cases := []struct {
		name    string
		action  ecsv1alpha1.DeploymentLifecycleHookAction
		delay   time.Duration
		attempt []time.Duration
		status  ecsv1alpha1.ServiceDeploymentState
	}{
		{"ROLLBACK", "ROLLBACK", 0, []time.Duration{0, 30 * time.Second, time.Minute, 90 * time.Second}, "ROLLBACK_SUCCESSFUL"},
		{"CONTINUE", "CONTINUE", 0, []time.Duration{0, 30 * time.Second, time.Minute, 90 * time.Second}, "SUCCESSFUL"},
		{"callBackDelay 50 s", "ROLLBACK", 50 * time.Second, []time.Duration{0, 50 * time.Second, 100 * time.Second}, "ROLLBACK_SUCCESSFUL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			world := newWorld(2)
			world.answer[StagePostScaleUp] = inProgress(tc.delay)
			r := drive(t, input(blueGreen(time.Minute, hookAt(2*time.Minute, tc.action, StagePostScaleUp)), 2), world, time.Hour)
			if r.final.Status != tc.status {
				t.Fatalf("status %s %q", r.final.Status, r.final.State.StatusReason)
			}
			var at []time.Duration
			for i, inv := range world.invoked {
				if inv.Key.Stage == StagePostScaleUp {
					at = append(at, world.invokeAt[i].Sub(world.invokeAt[0]))
					if inv.Attempt != int32(len(at)) {
						t.Errorf("invocation %d is attempt %d", len(at), inv.Attempt)
					}
				}
			}
			if diff := cmp.Diff(tc.attempt, at); diff != "" {
				t.Errorf("invocations, from the first (-want +got):\n%s", diff)
			}
			if tc.action == "ROLLBACK" {
				want := "ECS deployment lifecycle hook: hook 0 at POST_SCALE_UP timed out after 2m0s."
				if r.final.State.StatusReason != want || !cmp.Equal(r.events[0], "service web (deployment ecs-svc/2) deployment failed: hook execution timed out.") {
					t.Errorf("reason %q, events %q", r.final.State.StatusReason, r.events)
				}
			}
		})
	}
}

// A hook in flight blocks the stage; the stage goes on once it succeeds;
// an IN_PROGRESS answer to an older attempt does not invoke it again.
func TestStep_HookBlocks(t *testing.T) {
	cfg := blueGreen(time.Minute, hookAt(time.Hour, "ROLLBACK", StagePreScaleUp))
	in := input(cfg, 2)
	in.World = World{BlueRunning: 2}
	out := Step(in)
	if out.State.Stage != StagePreScaleUp || out.Replicas.Green != 0 || len(out.Invoke) != 1 || !out.Recheck.Equal(t0.Add(time.Hour)) {
		t.Fatalf("first pass %+v", out)
	}
	key := out.Invoke[0].Key
	in.State, in.Now = out.State, t0.Add(10*time.Minute)
	out = Step(in)
	if out.State.Stage != StagePreScaleUp || len(out.Invoke) > 0 || out.Replicas.Green != 0 {
		t.Fatalf("no answer yet %+v", out)
	}
	in.State = out.State
	in.World.Hooks = []HookReport{{Key: key, Attempt: 0, Status: HookInProgress}}
	if out = Step(in); len(out.Invoke) > 0 || !out.State.Hooks[0].RetryAt.IsZero() {
		t.Fatalf("an answer to another attempt %+v", out)
	}
	in.World.Hooks = []HookReport{{Key: key, Attempt: 1, Status: HookInProgress}, {Key: key, Attempt: 1, Status: HookSucceeded}}
	out = Step(in)
	if out.State.Stage != StageScaleUp || out.Replicas.Green != 2 {
		t.Fatalf("the hook succeeded %+v", out)
	}
}

// PAUSE hooks are invoked once and wait for ContinueServiceDeployment.
func TestStep_PauseHook(t *testing.T) {
	h := hookAt(time.Hour, "ROLLBACK", StagePostTestTrafficShift)
	h.Pause = true
	world := newWorld(2)
	world.answer[StagePostTestTrafficShift] = func(Invocation) (HookStatus, time.Duration) { return HookInProgress, 0 }
	in := input(blueGreen(time.Minute, h), 2)
	r := drive(t, in, world, 30*time.Minute)
	if r.final.Status != ecsv1alpha1.ServiceDeploymentInProgress || r.final.State.Stage != StagePostTestTrafficShift {
		t.Fatalf("final %+v", r.final)
	}
	if len(world.invoked) != 1 || !world.invoked[0].Pause || r.final.State.Hooks[0].Status != HookAwaitingAction {
		t.Errorf("invoked %+v, records %+v", world.invoked, r.final.State.Hooks)
	}
	if !r.final.State.Hooks[0].ExpiresAt.Equal(world.invokeAt[0].Add(time.Hour)) || !r.final.Recheck.Equal(r.final.State.Hooks[0].ExpiresAt) {
		t.Errorf("expiry %+v recheck %s", r.final.State.Hooks[0], r.final.Recheck)
	}
	// ContinueServiceDeployment CONTINUE.
	world.answer[StagePostTestTrafficShift] = nil
	world.reports[world.invoked[0].Key] = HookReport{Key: world.invoked[0].Key, Attempt: 1, Status: HookSucceeded}
	in.State, in.Now = r.final.State, t0.Add(30*time.Minute)
	r = drive(t, in, world, 2*time.Hour)
	if r.final.Status != ecsv1alpha1.ServiceDeploymentSuccessful {
		t.Fatalf("after CONTINUE %s", r.final.Status)
	}
}

// Hooks run at the stages they name, in order; those at
// PRE_PRODUCTION_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT at each step;
// several at one stage are invoked together. A rollback invokes the
// PRODUCTION_TRAFFIC_SHIFT and TEST_TRAFFIC_SHIFT hooks again.
func TestStep_HookStages(t *testing.T) {
	all := hookAt(time.Hour, "ROLLBACK", StageReconcileService, StagePreScaleUp, StagePostScaleUp, StageTestTrafficShift,
		StagePostTestTrafficShift, StagePreProductionTrafficShift, StageProductionTrafficShift, StagePostProductionTrafficShift)
	second := hookAt(time.Hour, "ROLLBACK", StageProductionTrafficShift)
	world := newWorld(3)
	in := input(canary(20, time.Minute, time.Minute, all, second), 3)
	in.ReconcileService = true
	r := drive(t, in, world, time.Hour)
	if r.final.Status != ecsv1alpha1.ServiceDeploymentSuccessful {
		t.Fatal(r.final.Status)
	}
	var got []string
	for _, inv := range world.invoked {
		got = append(got, inv.Key.String())
	}
	want := []string{
		"hook 0 at RECONCILE_SERVICE", "hook 0 at PRE_SCALE_UP", "hook 0 at POST_SCALE_UP", "hook 0 at TEST_TRAFFIC_SHIFT",
		"hook 0 at POST_TEST_TRAFFIC_SHIFT",
		"hook 0 at PRE_PRODUCTION_TRAFFIC_SHIFT step 1", "hook 0 at PRODUCTION_TRAFFIC_SHIFT step 1", "hook 1 at PRODUCTION_TRAFFIC_SHIFT step 1",
		"hook 0 at PRE_PRODUCTION_TRAFFIC_SHIFT step 2", "hook 0 at PRODUCTION_TRAFFIC_SHIFT step 2", "hook 1 at PRODUCTION_TRAFFIC_SHIFT step 2",
		"hook 0 at POST_PRODUCTION_TRAFFIC_SHIFT",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("invocations (-want +got):\n%s", diff)
	}
	if r.stages[0] != StageReconcileService {
		t.Errorf("stages %v", r.stages)
	}

	// The same with an alarm during the canary bake.
	world = newWorld(3)
	world.alarmAt = t0.Add(30 * time.Second)
	r = drive(t, input(canary(20, time.Minute, time.Minute, all, second), 3), world, time.Hour)
	if r.final.Status != ecsv1alpha1.ServiceDeploymentRollbackSuccessful {
		t.Fatal(r.final.Status)
	}
	got = nil
	for _, inv := range world.invoked {
		if inv.Key.Rollback {
			got = append(got, inv.Key.String())
		}
	}
	want = []string{"hook 0 at PRODUCTION_TRAFFIC_SHIFT (rollback)", "hook 1 at PRODUCTION_TRAFFIC_SHIFT (rollback)", "hook 0 at TEST_TRAFFIC_SHIFT (rollback)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rollback invocations (-want +got):\n%s", diff)
	}
}

// The same input gives the same output, whatever the order of the
// reports and alarms.
func TestStep_Deterministic(t *testing.T) {
	cfg := linear(25, time.Minute, time.Hour, hookAt(time.Hour, "ROLLBACK", StagePostScaleUp), hookAt(time.Hour, "CONTINUE", StagePostScaleUp))
	in := input(cfg, 3)
	in.World = World{BlueRunning: 3}
	out := Step(in)
	in.State = Step(Input{Config: cfg, DesiredCount: 3, Now: t0, World: World{BlueRunning: 3, GreenReady: 3, GreenRunning: 3}, State: out.State}).State
	k0 := HookKey{Stage: StagePostScaleUp, Hook: 0}
	k1 := HookKey{Stage: StagePostScaleUp, Hook: 1}
	a := in
	a.Now = t0.Add(time.Minute)
	a.World = World{GreenRunning: 3, GreenReady: 3, BlueRunning: 3, AlarmsInAlarm: []string{"b", "a", "b"},
		Hooks: []HookReport{{Key: k0, Attempt: 1, Status: HookInProgress}, {Key: k1, Attempt: 1, Status: HookFailed}, {Key: k0, Attempt: 1, Status: HookSucceeded}}}
	b := a
	b.World.AlarmsInAlarm = []string{"a", "b"}
	b.World.Hooks = []HookReport{a.World.Hooks[2], a.World.Hooks[1], a.World.Hooks[0]}
	first, again, other := Step(a), Step(a), Step(b)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("the same input twice (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(first, other); diff != "" {
		t.Errorf("reordered reports (-first +other):\n%s", diff)
	}
	if first.State.StatusReason != "ECS deployment alarms: a, b in ALARM state." {
		t.Errorf("reason %q", first.State.StatusReason)
	}
}

// A pass given its own output back, with nothing new in the world and no
// time passed, changes nothing: no state change, no invocation, no event.
func TestStep_NothingNewChangesNothing(t *testing.T) {
	world := newWorld(4)
	world.lag = 2
	world.answer[StagePostTestTrafficShift] = func(inv Invocation) (HookStatus, time.Duration) {
		if inv.Attempt < 3 {
			return HookInProgress, 0
		}
		return HookSucceeded, 0
	}
	cfg := linear(25, time.Minute, 10*time.Minute, hookAt(time.Hour, "ROLLBACK", StagePostTestTrafficShift))
	in := input(cfg, 4)
	waits := 0
	for range 2000 {
		in.World = world.observe(in.Now)
		out := Step(in)
		// Every pass that asks for no immediate recheck is a fixed point.
		if !out.Recheck.Equal(in.Now) {
			again := in
			again.State = out.State
			o2 := Step(again)
			if diff := cmp.Diff(out.State, o2.State); diff != "" {
				t.Fatalf("at %s (%s) the state changed (-first +second):\n%s", in.Now.Sub(t0), out.State.Stage, diff)
			}
			if len(o2.Invoke) > 0 || len(o2.Events) > 0 || len(o2.Entered) > 0 || !o2.Recheck.Equal(out.Recheck) || o2.Replicas != out.Replicas {
				t.Fatalf("at %s the second pass did something: %+v", in.Now.Sub(t0), o2)
			}
			waits++
		}
		world.apply(&out, in.Now)
		in.State = out.State
		if out.State.Final() {
			break
		}
		if !world.changed && out.Recheck.After(in.Now) {
			in.Now = out.Recheck
		}
	}
	if in.State.Status != ecsv1alpha1.ServiceDeploymentSuccessful || waits < 10 {
		t.Errorf("status %s after %d waits", in.State.Status, waits)
	}
}

// A deployment that ended stays as it is.
func TestStep_Final(t *testing.T) {
	for _, st := range []State{
		{Status: ecsv1alpha1.ServiceDeploymentSuccessful, Stage: StageCleanUp, Production: AllGreen, Test: AllGreen},
		{Status: ecsv1alpha1.ServiceDeploymentRollbackSuccessful, Stage: StageCleanUp, Production: AllBlue, Test: AllBlue, Rollback: &Rollback{From: StageBakeTime}},
	} {
		in := input(blueGreen(time.Minute), 3)
		in.State = st
		in.World = World{AlarmsInAlarm: []string{"x"}, Stop: &Stop{Rollback: true}, BlueRunning: 3, GreenRunning: 3}
		out := Step(in)
		if diff := cmp.Diff(st, out.State); diff != "" || !out.Recheck.IsZero() || len(out.Events)+len(out.Invoke) > 0 {
			t.Errorf("%s changed (-want +got):\n%s", st.Status, diff)
		}
	}
}

func TestReplicas(t *testing.T) {
	cases := []struct {
		st   State
		want Replicas
	}{
		{State{}, Replicas{Blue: 5}},
		{State{Stage: StagePreScaleUp}, Replicas{Blue: 5}},
		{State{Stage: StageScaleUp}, Replicas{Blue: 5, Green: 5}},
		{State{Stage: StageBakeTime}, Replicas{Blue: 5, Green: 5}},
		{State{Stage: StageCleanUp}, Replicas{Green: 5}},
		{State{Stage: StageProductionTrafficShift, Rollback: &Rollback{From: StagePreScaleUp}}, Replicas{Blue: 5}},
		{State{Stage: StageProductionTrafficShift, Rollback: &Rollback{From: StageBakeTime}}, Replicas{Blue: 5, Green: 5}},
		{State{Stage: StageCleanUp, Rollback: &Rollback{From: StageBakeTime}}, Replicas{Blue: 5}},
	}
	for _, tc := range cases {
		if got := tc.st.Replicas(5); got != tc.want {
			t.Errorf("%s rollback=%v: %+v, want %+v", tc.st.Stage, tc.st.Rollback != nil, got, tc.want)
		}
	}
}

func TestLifecycleStage(t *testing.T) {
	if got := StagePreProductionTrafficShift.LifecycleStage(); got != "PRODUCTION_TRAFFIC_SHIFT" {
		t.Error(got)
	}
	if got := StageBakeTime.LifecycleStage(); got != "BAKE_TIME" {
		t.Error(got)
	}
	if got := w(925, 75).String(); got != "92.5/7.5" {
		t.Error(got)
	}
	if !strings.Contains(HookKey{Stage: StageProductionTrafficShift, Step: 2, Hook: 1}.String(), "step 3") {
		t.Error("step numbering")
	}
}

// With no bake, the pass that moves the last of production traffic to
// green stops there: blue scales in only in a later pass, once the move
// was applied (a controller applying both at once would drop traffic).
func TestStep_LastShiftAppliedBeforeCleanUp(t *testing.T) {
	in := input(blueGreen(0), 2)
	in.World = World{GreenRunning: 2, GreenReady: 2, BlueRunning: 2}
	for range 10 {
		out := Step(in)
		if out.Production == AllGreen {
			if out.Replicas.Blue != 2 {
				t.Fatalf("the pass that shifted production to green scaled blue to %d", out.Replicas.Blue)
			}
			if !out.Recheck.Equal(in.Now) {
				t.Fatalf("recheck %s, want at once", out.Recheck)
			}
			next := in
			next.State = out.State
			if got := Step(next); got.Replicas.Blue != 0 || got.LifecycleStage != string(StageCleanUp) {
				t.Fatalf("next pass: blue %d at %s, want 0 at CLEAN_UP", got.Replicas.Blue, got.LifecycleStage)
			}
			return
		}
		in.State = out.State
	}
	t.Fatal("production never reached green")
}

// A state whose step is past the configuration's steps (the configuration
// changed under it) does not panic: it shifts no further than the last.
func TestStep_StepPastTheConfiguration(t *testing.T) {
	in := input(linear(50, 0, 0), 2)
	in.World = World{GreenRunning: 2, GreenReady: 2, BlueRunning: 2}
	in.State = State{Status: ecsv1alpha1.ServiceDeploymentInProgress, Stage: StagePreProductionTrafficShift, Step: 7,
		StageStartedAt: t0, StartedAt: t0, Production: w(300, 700), Test: AllGreen}
	out := Step(in)
	if out.Production != AllGreen {
		t.Errorf("production %s, want all green", out.Production)
	}
}
