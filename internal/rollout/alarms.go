package rollout

import (
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// watch sets which alarms the PRIMARY deployment watches, as ECS does: the
// deployment alarms, from its start, unless one of them is already in ALARM
// then (ECS does not watch the alarms of such a deployment, so that a
// deployment meant to fix what the alarm measures is not rolled back for
// it), or it is a rollback. Alarms enabled, renamed or disabled while a
// deployment is in progress apply to it from then on.
func (p *planner) watch() {
	prim := p.primary()
	if prim == nil || prim.RolloutState != ecsv1alpha1.RolloutInProgress {
		return
	}
	a := p.in.Alarms
	switch {
	case a == nil:
		if prim.Alarms != nil && prim.Alarms.Status == ecsv1alpha1.MonitorMonitoring {
			prim.Alarms = &ecsv1alpha1.DeploymentAlarmsState{Status: ecsv1alpha1.MonitorDisabled, AlarmNames: prim.Alarms.AlarmNames}
		}
		prim.BakeUntil = nil
	case prim.Alarms == nil:
		status := ecsv1alpha1.MonitorMonitoring
		if len(a.InAlarm) > 0 {
			status = ecsv1alpha1.MonitorDisabled
		}
		prim.Alarms = &ecsv1alpha1.DeploymentAlarmsState{Status: status, AlarmNames: slices.Clone(a.Names)}
	case prim.Alarms.Status == ecsv1alpha1.MonitorMonitoring && !slices.Equal(prim.Alarms.AlarmNames, a.Names):
		prim.Alarms.AlarmNames = slices.Clone(a.Names)
	}
}

// alarmed fails the PRIMARY deployment when an alarm it watches is in
// ALARM, once a task of it runs (ECS watches from then on) or while it
// bakes, and with rollback makes the most recent COMPLETED deployment
// PRIMARY again; the rollback does not watch the alarms (they are still in
// ALARM).
func (p *planner) alarmed() {
	prim := p.primary()
	a := p.in.Alarms
	if prim == nil || a == nil || len(a.InAlarm) == 0 || prim.RolloutState != ecsv1alpha1.RolloutInProgress ||
		prim.Alarms == nil || prim.Alarms.Status != ecsv1alpha1.MonitorMonitoring || (prim.RunningCount == 0 && prim.BakeUntil == nil) {
		return
	}
	prim.Alarms.Status = ecsv1alpha1.MonitorTriggered
	prim.Alarms.TriggeredAlarmNames = slices.Clone(a.InAlarm)
	p.fail(prim, ecsv1alpha1.FailedByAlarms, fmt.Sprintf("ECS deployment alarms: %s in ALARM state.", strings.Join(a.InAlarm, ", ")),
		"deployment failed: alarm detected.", "ECS deployment alarms", a.Rollback)
}

// baking tells whether d, whose tasks all run healthy, is still in its
// bake time: with alarms watched, it stays IN_PROGRESS for the bake time
// from the moment it got there, and the reconcile is asked again when the
// bake ends.
func (p *planner) baking(d *ecsv1alpha1.ServiceDeployment) bool {
	a := p.in.Alarms
	if a == nil || a.Bake <= 0 || d.Alarms == nil || d.Alarms.Status != ecsv1alpha1.MonitorMonitoring {
		return false
	}
	if d.BakeUntil == nil {
		t := metav1.NewTime(p.in.Now.Add(a.Bake).Truncate(time.Second))
		d.BakeUntil = &t
	}
	left := d.BakeUntil.Sub(p.in.Now)
	if left <= 0 {
		return false
	}
	if p.out.Recheck == 0 || left < p.out.Recheck {
		p.out.Recheck = left
	}
	return true
}

// StopRequest is StopServiceDeployment: stop the deployment ID while it is
// in progress, rolling back to the last COMPLETED deployment (ROLLBACK) or
// not (ABORT).
type StopRequest struct {
	ID       string
	Rollback bool
}

// stopped stops the PRIMARY deployment a StopServiceDeployment names while
// it is in progress: it fails (it starts no more tasks, and the spec asking
// for it does not start it again) and, with ROLLBACK, the most recent
// COMPLETED deployment becomes PRIMARY again.
func (p *planner) stopped() {
	prim := p.primary()
	s := p.in.Stop
	if prim == nil || s == nil || s.ID != prim.ID || prim.RolloutState != ecsv1alpha1.RolloutInProgress {
		return
	}
	p.fail(prim, ecsv1alpha1.FailedByStopServiceDeployment, "ECS deployment stopped by StopServiceDeployment.",
		"deployment stopped.", "StopServiceDeployment", s.Rollback)
}
