package strategy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// maxTransitions bounds one pass. A pass stops at the first production
// traffic change, so it never goes through more than a dozen stages; the
// bound only guards against a bug looping.
const maxTransitions = 64

// Step decides what happens next in one deployment: it advances the state
// as far as the world and the time allow, and says what the controller
// must apply (replicas and traffic weights, before it invokes the hooks
// and stores the state), which hooks to invoke, which events to record and
// when to call it again. The same input always gives the same output, and
// giving a pass its own output state back with nothing new changes
// nothing.
func Step(in Input) Output {
	p := &pass{in: &in, cfg: &in.Config, now: in.Now, st: cloneState(&in.State), steps: in.Config.Steps()}
	p.run()
	return p.output()
}

type pass struct {
	in    *Input
	cfg   *Config
	now   time.Time
	st    State
	steps []Weights
	out   Output
	// shifted: the pass changed a traffic weight, which the controller
	// must apply before the next production step or a rollback's
	// scale-in.
	shifted bool
	again   bool
	recheck time.Time
}

func cloneState(s *State) State {
	c := *s
	c.Hooks = slices.Clone(s.Hooks)
	if s.Rollback != nil {
		r := *s.Rollback
		c.Rollback = &r
	}
	return c
}

func (p *pass) run() {
	if p.st.Status == "" {
		p.start()
	}
	for range maxTransitions {
		if p.st.Final() {
			return
		}
		if p.st.Status == ecsv1alpha1.ServiceDeploymentInProgress && p.triggered() {
			continue
		}
		if !p.advance() {
			return
		}
	}
}

func (p *pass) start() {
	p.st.Status = ecsv1alpha1.ServiceDeploymentInProgress
	p.st.StartedAt = p.now
	p.st.Production, p.st.Test = AllBlue, AllBlue
	first := StagePreScaleUp
	if p.in.ReconcileService {
		first = StageReconcileService
	}
	p.enter(first, 0)
}

func (p *pass) output() Output {
	o := p.out
	o.State = p.st
	o.Status = p.st.Status
	o.LifecycleStage = p.st.Stage.LifecycleStage()
	o.Replicas = p.st.Replicas(p.in.DesiredCount)
	o.Production, o.Test = p.st.Production, p.st.Test
	switch {
	case p.st.Final():
	case p.again:
		o.Recheck = p.now
	default:
		o.Recheck = p.recheck
	}
	return o
}

// Replicas are the tasks each revision runs in this state: blue keeps the
// desired count until CLEAN_UP (and through a rollback), green gets it
// from SCALE_UP until a rollback scales it in.
func (s *State) Replicas(desired int32) Replicas {
	r := Replicas{Blue: desired, Green: desired}
	if s.Rollback != nil {
		if s.Stage == StageCleanUp || !greenStarted(s.Rollback.From) {
			r.Green = 0
		}
		return r
	}
	if !greenStarted(s.Stage) {
		r.Green = 0
	}
	if s.Stage == StageCleanUp {
		r.Blue = 0
	}
	return r
}

func greenStarted(s Stage) bool {
	return s != "" && s != StageReconcileService && s != StagePreScaleUp
}

// enter moves to stage s (production step step) and does what entering it
// does: test traffic to green, or the step's production weights.
func (p *pass) enter(s Stage, step int32) bool {
	p.st.Stage, p.st.Step, p.st.StageStartedAt, p.st.Hooks = s, step, p.now, nil
	p.out.Entered = append(p.out.Entered, s)
	if p.st.Rollback != nil {
		return true
	}
	switch s {
	case StageTestTrafficShift:
		p.setTraffic(p.st.Production, AllGreen)
	case StageProductionTrafficShift:
		// A state kept from other steps (its configuration changed)
		// shifts no further than the last step.
		p.setTraffic(p.steps[min(int(step), len(p.steps)-1)], p.st.Test)
	}
	return true
}

func (p *pass) setTraffic(prod, test Weights) {
	if prod != p.st.Production || test != p.st.Test {
		p.shifted = true
	}
	p.st.Production, p.st.Test = prod, test
}

// wait tells whether t has come, and asks to be called again then if not.
func (p *pass) wait(t time.Time) bool {
	if !p.now.Before(t) {
		return true
	}
	p.at(t)
	return false
}

func (p *pass) at(t time.Time) {
	if p.recheck.IsZero() || t.Before(p.recheck) {
		p.recheck = t
	}
}

// applied tells whether no traffic change of this pass awaits applying;
// otherwise the pass ends and asks to be called again at once.
func (p *pass) applied() bool {
	if p.shifted {
		p.again = true
		return false
	}
	return true
}

func (p *pass) advance() bool {
	if p.st.Rollback != nil {
		return p.advanceRollback()
	}
	switch p.st.Stage {
	case StageReconcileService:
		return p.gateThen(StagePreScaleUp)
	case StagePreScaleUp:
		return p.gateThen(StageScaleUp)
	case StageScaleUp:
		return p.scaleUp()
	case StagePostScaleUp:
		return p.gateThen(StageTestTrafficShift)
	case StageTestTrafficShift:
		return p.gateThen(StagePostTestTrafficShift)
	case StagePostTestTrafficShift:
		return p.gateThen(StagePreProductionTrafficShift)
	case StagePreProductionTrafficShift:
		return p.preProduction()
	case StageProductionTrafficShift:
		return p.production()
	case StagePostProductionTrafficShift:
		return p.gateThen(StageBakeTime)
	case StageBakeTime:
		return p.wait(p.st.StageStartedAt.Add(p.cfg.Bake)) && p.enter(StageCleanUp, 0)
	case StageCleanUp:
		return p.cleanUp()
	}
	return false
}

// gateThen leaves the stage for next once its hooks resolved.
func (p *pass) gateThen(next Stage) bool {
	switch p.gate() {
	case gateDone:
		return p.enter(next, 0)
	case gateFailed:
		return true
	}
	return false
}

// scaleUp waits for the green tasks to be ready, at most StageTimeout.
func (p *pass) scaleUp() bool {
	if p.in.World.GreenReady >= p.in.DesiredCount {
		return p.enter(StagePostScaleUp, 0)
	}
	t := p.cfg.StageTimeout
	if t <= 0 || !p.wait(p.st.StageStartedAt.Add(t)) {
		return false
	}
	p.say(ReasonDeploymentFailed, true, "(deployment %s) deployment failed: %s stage timed out.", p.in.Deployment, StageScaleUp)
	p.st.Cause = ecsv1alpha1.FailedByLifecycle
	p.rollback(fmt.Sprintf("ECS deployment lifecycle stage %s timed out after %s.", StageScaleUp, t))
	return true
}

// preProduction runs PRE_PRODUCTION_TRAFFIC_SHIFT's hooks before each
// production traffic step, then shifts.
func (p *pass) preProduction() bool {
	switch p.gate() {
	case gateFailed:
		return true
	case gateWait:
		return false
	}
	return p.applied() && p.enter(StageProductionTrafficShift, p.st.Step)
}

// production holds a production traffic step until its hooks resolved
// and, except after the last step, the step bake time has passed since
// the shift.
func (p *pass) production() bool {
	switch p.gate() {
	case gateFailed:
		return true
	case gateWait:
		return false
	}
	if int(p.st.Step) >= len(p.steps)-1 {
		// The last shift is applied before anything follows it: with no
		// bake, blue would otherwise scale in in the pass that moved its
		// traffic away, before the move was applied.
		return p.applied() && p.enter(StagePostProductionTrafficShift, 0)
	}
	return p.wait(p.st.StageStartedAt.Add(p.cfg.StepBake)) && p.enter(StagePreProductionTrafficShift, p.st.Step+1)
}

// cleanUp waits for blue's tasks to be gone: the deployment is then
// SUCCESSFUL.
func (p *pass) cleanUp() bool {
	if p.in.World.BlueRunning > 0 {
		return false
	}
	p.end(ecsv1alpha1.ServiceDeploymentSuccessful, "")
	p.say(ReasonDeploymentCompleted, false, "(deployment %s) deployment completed.", p.in.Deployment)
	return true
}

func (p *pass) end(status ecsv1alpha1.ServiceDeploymentState, reason string) {
	p.st.Status = status
	if reason != "" {
		p.st.StatusReason = reason
	}
	p.st.FinishedAt = p.now
	p.st.Hooks = nil
}

func (p *pass) say(reason string, warning bool, format string, args ...any) {
	p.out.Events = append(p.out.Events, Event{Reason: reason, Warning: warning,
		Text: fmt.Sprintf("service %s ", p.in.Service) + fmt.Sprintf(format, args...)})
}

// triggered fails the deployment when StopServiceDeployment names it, an
// alarm it watches is in ALARM or the circuit breaker tripped, at any
// stage before CLEAN_UP (once blue is scaling in there is nothing to roll
// back to). The first of these, in this order, is the reason.
func (p *pass) triggered() bool {
	if p.st.Stage == StageCleanUp {
		return false
	}
	w := &p.in.World
	id := p.in.Deployment
	switch {
	case w.Stop != nil:
		p.say(ReasonDeploymentFailed, true, "(deployment %s) deployment stopped.", id)
		p.failed(ecsv1alpha1.FailedByStopServiceDeployment, w.Stop.Rollback, "ECS deployment stopped by StopServiceDeployment.")
	case len(w.AlarmsInAlarm) > 0:
		names := slices.Clone(w.AlarmsInAlarm)
		slices.Sort(names)
		p.say(ReasonDeploymentFailed, true, "(deployment %s) deployment failed: alarm detected.", id)
		p.failed(ecsv1alpha1.FailedByAlarms, p.cfg.AlarmRollback, fmt.Sprintf("ECS deployment alarms: %s in ALARM state.", strings.Join(slices.Compact(names), ", ")))
	case w.CircuitBreakerTripped:
		p.say(ReasonDeploymentFailed, true, "(deployment %s) deployment failed: tasks failed to start.", id)
		p.failed(ecsv1alpha1.FailedByCircuitBreaker, p.cfg.CircuitBreakerRollback, "ECS deployment circuit breaker: tasks failed to start.")
	default:
		return false
	}
	return true
}

// failed rolls back or, without rollback, stops the deployment where it
// is: its stage, replicas and weights stay as they were.
func (p *pass) failed(cause ecsv1alpha1.DeploymentFailure, rollback bool, reason string) {
	p.st.Cause = cause
	if rollback {
		p.rollback(reason)
		return
	}
	p.end(ecsv1alpha1.ServiceDeploymentStopped, reason)
}

// rollback switches production and test traffic back to blue, which never
// stopped running, so no task starts; hooks at PRODUCTION_TRAFFIC_SHIFT
// and TEST_TRAFFIC_SHIFT are invoked again when that traffic had moved, as
// ECS does; then green scales in.
func (p *pass) rollback(reason string) {
	rb := &Rollback{Reason: reason, StartedAt: p.now, From: p.st.Stage, Production: p.st.Production, Test: p.st.Test}
	p.st.Status = ecsv1alpha1.ServiceDeploymentRollbackInProgress
	p.st.StatusReason = reason
	p.st.Rollback = rb
	p.recheck = time.Time{}
	if p.in.RollbackTo != "" {
		p.say(ReasonRollingBack, true, "(deployment %s) rolling back to deployment %s.", p.in.Deployment, p.in.RollbackTo)
	} else {
		p.say(ReasonRollingBack, true, "(deployment %s) rolling back.", p.in.Deployment)
	}
	p.enter(StageProductionTrafficShift, 0)
	p.setTraffic(AllBlue, AllBlue)
	if rb.Production != AllBlue {
		p.invokeAll(StageProductionTrafficShift)
	}
	if rb.Test != AllBlue {
		p.invokeAll(StageTestTrafficShift)
	}
}

func (p *pass) invokeAll(s Stage) {
	for _, i := range p.cfg.hooksAt(s) {
		p.out.Invoke = append(p.out.Invoke, Invocation{Key: HookKey{Stage: s, Hook: i, Rollback: true}, Attempt: 1})
	}
}

// advanceRollback scales green in once traffic is back on blue; the
// rollback succeeds when green's tasks are gone, and fails when they are
// not gone within StageTimeout.
func (p *pass) advanceRollback() bool {
	if p.st.Stage != StageCleanUp {
		return p.applied() && p.enter(StageCleanUp, 0)
	}
	if p.in.World.GreenRunning == 0 {
		p.end(ecsv1alpha1.ServiceDeploymentRollbackSuccessful, "")
		if p.in.RollbackTo != "" {
			p.say(ReasonDeploymentCompleted, false, "(deployment %s) deployment completed.", p.in.RollbackTo)
		}
		return true
	}
	t := p.cfg.StageTimeout
	if t <= 0 || !p.wait(p.st.StageStartedAt.Add(t)) {
		return false
	}
	p.end(ecsv1alpha1.ServiceDeploymentRollbackFailed,
		fmt.Sprintf("%s Rollback failed: %d tasks of the deployment were still running after %s.", p.st.Rollback.Reason, p.in.World.GreenRunning, t))
	p.say(ReasonRollbackFailed, true, "(deployment %s) rollback failed.", p.in.Deployment)
	return true
}
