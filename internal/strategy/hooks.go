package strategy

import (
	"fmt"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

type gateResult int

const (
	gateWait gateResult = iota
	gateDone
	gateFailed
)

// gate runs the hooks of the current stage and step, all at once, as ECS
// runs every hook configured at a stage: the stage is left when all of
// them resolved; one FAILED, or timed out with ROLLBACK, rolls back.
func (p *pass) gate() gateResult {
	done := true
	for _, i := range p.cfg.hooksAt(p.st.Stage) {
		key := HookKey{Stage: p.st.Stage, Step: p.st.Step, Hook: i}
		switch p.hook(key, &p.cfg.Hooks[i]) {
		case gateFailed:
			return gateFailed
		case gateWait:
			done = false
		}
	}
	if done {
		return gateDone
	}
	return gateWait
}

// hook invokes a hook the first time, reads its runner's answer, invokes
// it again after an IN_PROGRESS answer (a PAUSE hook waits for
// ContinueServiceDeployment instead), and times it out.
func (p *pass) hook(key HookKey, h *Hook) gateResult {
	rec := p.record(key)
	if rec == nil {
		r := HookRecord{Key: key, Status: HookInProgress, Attempts: 1, InvokedAt: p.now, LastInvokedAt: p.now}
		if h.Pause {
			r.Status = HookAwaitingAction
		}
		if h.Timeout > 0 {
			r.ExpiresAt = p.now.Add(h.Timeout)
			p.at(r.ExpiresAt)
		}
		p.st.Hooks = append(p.st.Hooks, r)
		p.out.Invoke = append(p.out.Invoke, Invocation{Key: key, Attempt: 1, Pause: h.Pause})
		return gateWait
	}
	switch rec.Status {
	case HookSucceeded, HookTimedOut:
		return gateDone
	case HookFailed:
		return gateFailed
	}
	rep := p.report(key)
	switch {
	case rep != nil && rep.Status == HookSucceeded:
		rec.Status = HookSucceeded
		return gateDone
	case rep != nil && rep.Status == HookFailed:
		rec.Status = HookFailed
		p.say(ReasonDeploymentFailed, true, "(deployment %s) deployment failed: hook execution failure(s) detected.", p.in.Deployment)
		p.st.Cause = ecsv1alpha1.FailedByLifecycle
		p.rollback(fmt.Sprintf("ECS deployment lifecycle hook: %s failed.", key))
		return gateFailed
	case !rec.ExpiresAt.IsZero() && !p.now.Before(rec.ExpiresAt):
		rec.Status = HookTimedOut
		if h.TimeoutAction == ecsv1alpha1.DeploymentLifecycleHookActionContinue {
			return gateDone
		}
		p.say(ReasonDeploymentFailed, true, "(deployment %s) deployment failed: hook execution timed out.", p.in.Deployment)
		p.st.Cause = ecsv1alpha1.FailedByLifecycle
		p.rollback(fmt.Sprintf("ECS deployment lifecycle hook: %s timed out after %s.", key, h.Timeout))
		return gateFailed
	}
	if !h.Pause {
		p.retry(rec, rep)
	}
	if !rec.ExpiresAt.IsZero() {
		p.at(rec.ExpiresAt)
	}
	return gateWait
}

// retry invokes a hook again CallbackDelay (or the delay its answer asked
// for) after its latest invocation was first seen answering IN_PROGRESS.
func (p *pass) retry(rec *HookRecord, rep *HookReport) {
	if rec.RetryAt.IsZero() {
		if rep == nil || rep.Status != HookInProgress || rep.Attempt != rec.Attempts {
			return
		}
		d := rep.CallbackDelay
		if d <= 0 {
			d = p.cfg.CallbackDelay
		}
		rec.RetryAt = p.now.Add(d)
	}
	if !p.wait(rec.RetryAt) {
		return
	}
	rec.Attempts++
	rec.LastInvokedAt = p.now
	rec.RetryAt = time.Time{}
	p.out.Invoke = append(p.out.Invoke, Invocation{Key: rec.Key, Attempt: rec.Attempts})
}

func (p *pass) record(key HookKey) *HookRecord {
	for i := range p.st.Hooks {
		if p.st.Hooks[i].Key == key {
			return &p.st.Hooks[i]
		}
	}
	return nil
}

// report is the answer to key's latest attempt reported: for one attempt
// reported more than once, FAILED wins over SUCCEEDED over IN_PROGRESS, so
// that the order of the reports does not matter.
func (p *pass) report(key HookKey) *HookReport {
	var best *HookReport
	for i := range p.in.World.Hooks {
		r := &p.in.World.Hooks[i]
		if r.Key != key {
			continue
		}
		if best == nil || r.Attempt > best.Attempt || (r.Attempt == best.Attempt && rank(r.Status) > rank(best.Status)) {
			best = r
		}
	}
	return best
}

func rank(s HookStatus) int {
	switch s {
	case HookFailed:
		return 3
	case HookSucceeded:
		return 2
	case HookInProgress:
		return 1
	}
	return 0
}
