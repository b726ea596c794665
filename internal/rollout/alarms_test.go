package rollout

import (
	"strings"
	"testing"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func alarms(rollback bool, bake time.Duration, inAlarm ...string) *Alarms {
	return &Alarms{Names: []string{"cpu-high", "errors"}, Rollback: rollback, Bake: bake, InAlarm: inAlarm}
}

// An alarm in ALARM while a task of the new deployment runs fails it and,
// with rollback, returns to the last COMPLETED deployment, whose alarms
// are not watched; ECS's words throughout.
func TestAlarmRollsBack(t *testing.T) {
	prev := []ecsv1alpha1.ServiceDeployment{dep("h1", "PRIMARY", "COMPLETED", 1)}
	in := Input{Service: "web", Desired: 2, Now: t0, Want: target("h2", 2), Alarms: alarms(true, time.Minute), Previous: prev,
		Pods: append(pods("h1", 2, readyAt(t0.Add(-time.Hour))), pods("h2", 1)...), Workload: available("h1", 2)}
	out := Plan(in)
	if got := out.Deployments[0]; got.TemplateHash != "h2" || got.Alarms == nil || got.Alarms.Status != ecsv1alpha1.MonitorMonitoring {
		t.Fatalf("the new deployment watches its alarms: %+v", got)
	}

	in.Previous, in.Now = out.Deployments, t0.Add(10*time.Second)
	in.Alarms = alarms(true, time.Minute, "errors")
	out = Plan(in)
	sum := summarize(out.Deployments)
	if sum[0].Hash != "h1" || sum[0].Status != "PRIMARY" || sum[0].State != "IN_PROGRESS" || sum[1].Hash != "h2" || sum[1].State != "FAILED" {
		t.Fatalf("deployments = %+v", sum)
	}
	failed := out.Deployments[1]
	if failed.RolloutStateReason != "ECS deployment alarms: errors in ALARM state." || failed.Alarms.Status != ecsv1alpha1.MonitorTriggered ||
		strings.Join(failed.Alarms.TriggeredAlarmNames, ",") != "errors" {
		t.Errorf("failed deployment = %+v %+v", failed, failed.Alarms)
	}
	back := out.Deployments[0]
	if back.RolloutStateReason != "ECS deployment alarms: rolling back to deploymentId ecs-svc/h1." || back.Alarms.Status != ecsv1alpha1.MonitorDisabled {
		t.Errorf("rollback = %+v %+v", back, back.Alarms)
	}
	if out.Run == nil || out.Run.TemplateHash != "h1" {
		t.Errorf("runs %+v, want h1's template", out.Run)
	}
	want := "service web (deployment ecs-svc/h2) deployment failed: alarm detected.\nservice web (deployment ecs-svc/h2) rolling back to deployment ecs-svc/h1."
	if got := texts(out.Messages); !strings.HasSuffix(got, want) {
		t.Errorf("events:\n%s\nwant\n%s", got, want)
	}

	// The alarm still in ALARM does not fail the rollback.
	in.Previous, in.Now = out.Deployments, t0.Add(time.Minute)
	in.Pods, in.Workload = pods("h1", 2, readyAt(t0.Add(-time.Hour))), available("h1", 2)
	out = Plan(in)
	if s := summarize(out.Deployments); s[0].Hash != "h1" || s[0].State != "COMPLETED" {
		t.Errorf("the rollback completes: %+v", s)
	}
}

// Without rollback the failed deployment stays PRIMARY with no task and
// the last COMPLETED deployment's tasks keep serving.
func TestAlarmWithoutRollback(t *testing.T) {
	in := Input{Service: "web", Desired: 2, Now: t0, Want: target("h2", 2), Alarms: alarms(false, 0, "cpu-high"),
		Previous: []ecsv1alpha1.ServiceDeployment{dep("h1", "ACTIVE", "COMPLETED", 1), withAlarms(dep("h2", "PRIMARY", "IN_PROGRESS", 2), ecsv1alpha1.MonitorMonitoring)},
		Pods:     append(pods("h1", 2, readyAt(t0.Add(-time.Hour))), pods("h2", 1)...), Workload: available("h1", 2)}
	out := Plan(in)
	if s := summarize(out.Deployments); s[0].Hash != "h2" || s[0].Status != "PRIMARY" || s[0].State != "FAILED" {
		t.Fatalf("deployments = %+v", s)
	}
	if out.Run == nil || out.Run.TemplateHash != "h1" {
		t.Errorf("runs %+v, want h1's template", out.Run)
	}
}

// ECS does not watch the alarms of a deployment that starts while one of
// them is in ALARM (a fix must not be rolled back for what it fixes).
func TestAlarmInAlarmAtStartIsNotWatched(t *testing.T) {
	in := Input{Service: "web", Desired: 1, Now: t0, Want: target("h2", 2), Alarms: alarms(true, time.Minute, "cpu-high"),
		Previous: []ecsv1alpha1.ServiceDeployment{dep("h1", "PRIMARY", "COMPLETED", 1)},
		Pods:     append(pods("h1", 1, readyAt(t0.Add(-time.Hour))), pods("h2", 1)...), Workload: available("h1", 1)}
	out := Plan(in)
	if d := out.Deployments[0]; d.TemplateHash != "h2" || d.RolloutState != "IN_PROGRESS" || d.Alarms.Status != ecsv1alpha1.MonitorDisabled {
		t.Fatalf("deployment = %+v %+v", d, d.Alarms)
	}
}

// With alarms watched, a deployment whose tasks all run healthy bakes:
// IN_PROGRESS (the service is steady: services-stable passes) until the
// bake time has passed, then COMPLETED with MONITORING_COMPLETE; the
// reconcile is asked again when the bake ends. An alarm during the bake
// fails it.
func TestBake(t *testing.T) {
	in := Input{Service: "web", Desired: 2, Now: t0, Want: target("h2", 2), Alarms: alarms(true, 5*time.Minute),
		Previous: []ecsv1alpha1.ServiceDeployment{dep("h1", "INACTIVE", "COMPLETED", 1), withAlarms(dep("h2", "PRIMARY", "IN_PROGRESS", 2), ecsv1alpha1.MonitorMonitoring)},
		Pods:     pods("h2", 2, readyAt(t0.Add(-time.Minute))), Workload: available("h2", 2)}
	out := Plan(in)
	d := out.Deployments[0]
	if d.RolloutState != "IN_PROGRESS" || d.BakeUntil == nil || !d.BakeUntil.Time.Equal(t0.Add(5*time.Minute)) || !out.Steady || out.Recheck != 5*time.Minute {
		t.Fatalf("baking: %+v bakeUntil %v steady %v recheck %v", d, d.BakeUntil, out.Steady, out.Recheck)
	}
	if strings.Contains(texts(out.Messages), "steady state") {
		t.Errorf("the steady-state event waits for the bake: %s", texts(out.Messages))
	}

	during := in
	during.Previous, during.Now = out.Deployments, t0.Add(2*time.Minute)
	during.Alarms = alarms(true, 5*time.Minute, "cpu-high")
	if s := summarize(Plan(during).Deployments); s[0].Hash != "h1" || s[1].State != "FAILED" {
		t.Errorf("an alarm during the bake rolls back: %+v", s)
	}

	in.Previous, in.Now = out.Deployments, t0.Add(5*time.Minute)
	out = Plan(in)
	d = out.Deployments[0]
	if d.RolloutState != "COMPLETED" || d.Alarms.Status != ecsv1alpha1.MonitorMonitoringComplete || d.BakeUntil != nil {
		t.Errorf("after the bake: %+v %+v", d, d.Alarms)
	}
	if !strings.Contains(texts(out.Messages), "deployment completed") {
		t.Errorf("events: %s", texts(out.Messages))
	}
}

func withAlarms(d ecsv1alpha1.ServiceDeployment, status ecsv1alpha1.MonitorStatus) ecsv1alpha1.ServiceDeployment {
	d.Alarms = &ecsv1alpha1.DeploymentAlarmsState{Status: status, AlarmNames: []string{"cpu-high", "errors"}}
	return d
}

// A circuit-breaker rollback does not watch the alarms either: a
// rollback target an alarm failed would leave no task running.
func TestBreakerRollbackIsNotFailedByAnAlarm(t *testing.T) {
	h2 := dep("h2", "PRIMARY", "IN_PROGRESS", 2)
	h2.FailedTasks = 3
	in := Input{Service: "web", Desired: 2, Now: t0, Want: target("h2", 2), Alarms: alarms(true, time.Minute),
		Breaker:  &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		Previous: []ecsv1alpha1.ServiceDeployment{dep("h1", "ACTIVE", "COMPLETED", 1), h2},
		Pods:     pods("h1", 2, readyAt(t0.Add(-time.Hour))), Workload: available("h1", 2)}
	out := Plan(in)
	if d := out.Deployments[0]; d.TemplateHash != "h1" || d.RollbackFrom != "ecs-svc/h2" || d.Alarms == nil || d.Alarms.Status != ecsv1alpha1.MonitorDisabled {
		t.Fatalf("rollback = %+v %+v", d, d.Alarms)
	}
	in.Previous, in.Now, in.Alarms = out.Deployments, t0.Add(10*time.Second), alarms(true, time.Minute, "cpu-high")
	out = Plan(in)
	if d := out.Deployments[0]; d.TemplateHash != "h1" || d.RolloutState == "FAILED" || out.Run == nil {
		t.Errorf("an alarm failed the rollback: %+v, runs %+v", d, out.Run)
	}
}

// A deployment deployed again (the spec returns to its template while it
// is still listed) watches its alarms and bakes afresh.
func TestRedeployWatchesAlarmsAgain(t *testing.T) {
	h1 := withAlarms(dep("h1", "ACTIVE", "COMPLETED", 1), ecsv1alpha1.MonitorMonitoringComplete)
	in := Input{Service: "web", Desired: 2, Now: t0, Want: target("h1", 1), Alarms: alarms(true, time.Minute),
		Previous: []ecsv1alpha1.ServiceDeployment{dep("h2", "PRIMARY", "COMPLETED", 2), h1},
		Pods:     pods("h2", 2, readyAt(t0.Add(-time.Hour))), Workload: available("h2", 2)}
	out := Plan(in)
	if d := out.Deployments[0]; d.TemplateHash != "h1" || d.RolloutState != "IN_PROGRESS" || d.Alarms == nil || d.Alarms.Status != ecsv1alpha1.MonitorMonitoring {
		t.Errorf("redeployed: %+v %+v", d, d.Alarms)
	}
}
