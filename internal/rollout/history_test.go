package rollout

import (
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func history(prev []ecsv1alpha1.ServiceDeploymentRecord, revs []ecsv1alpha1.ServiceRevision, deps []ecsv1alpha1.ServiceDeployment, now time.Time) History {
	return History{Previous: prev, Revisions: revs, Deployments: deps, Now: now, Threshold: 3,
		Breaker:       &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		DeploymentArn: func(suffix string) string { return "arn:sd/" + suffix },
		RevisionArn:   func(id string) string { return "arn:sr/" + id },
		Snapshot:      func() ecsv1alpha1.ServiceRevision { return ecsv1alpha1.ServiceRevision{TaskDefinition: "web:2"} }}
}

// A deployment's life as ECS keeps it: IN_PROGRESS with its source and
// target revisions when it starts, its counts as it goes, SUCCESSFUL when
// it completes; a no-op pass changes nothing; a failed one rolls back
// (ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL once the rollback
// completes) and a superseded one is STOPPED.
func TestKeep(t *testing.T) {
	old := dep("h1", "ACTIVE", "COMPLETED", 1)
	old.RunningCount = 2
	h2 := dep("h2", "PRIMARY", "IN_PROGRESS", 2)
	h2.RunningCount, h2.DesiredCount = 1, 2
	recs, revs := Keep(history(nil, nil, []ecsv1alpha1.ServiceDeployment{h2, old}, t0))
	if len(recs) != 1 || recs[0].Status != ecsv1alpha1.ServiceDeploymentInProgress || recs[0].ServiceDeploymentArn != "arn:sd/"+recordSuffix("ecs-svc/h2", h2.CreatedAt) ||
		recs[0].TargetServiceRevision != (ecsv1alpha1.ServiceRevisionSummary{Arn: "arn:sr/ecs-svc/h2", RequestedTaskCount: 2, RunningTaskCount: 1}) ||
		len(recs[0].SourceServiceRevisions) != 1 || recs[0].SourceServiceRevisions[0].RunningTaskCount != 2 {
		t.Fatalf("started: %+v", recs)
	}
	if recs[0].DeploymentCircuitBreaker.Status != ecsv1alpha1.MonitorMonitoring || recs[0].DeploymentCircuitBreaker.Threshold != 3 {
		t.Errorf("breaker = %+v", recs[0].DeploymentCircuitBreaker)
	}
	if len(revs) != 1 || revs[0].ServiceRevisionArn != "arn:sr/ecs-svc/h2" || revs[0].TaskDefinition != "web:2" {
		t.Errorf("revisions = %+v", revs)
	}
	again, _ := Keep(history(recs, revs, []ecsv1alpha1.ServiceDeployment{h2, old}, t0.Add(time.Minute)))
	if !again[0].UpdatedAt.Equal(&recs[0].UpdatedAt) {
		t.Errorf("a pass with nothing new changed the record: %v → %v", recs[0].UpdatedAt, again[0].UpdatedAt)
	}

	// It fails; the circuit breaker rolls back to h1.
	failed := h2
	failed.Status, failed.RolloutState, failed.RolloutStateReason, failed.FailedTasks = "ACTIVE", "FAILED", "ECS deployment circuit breaker: tasks failed to start.", 3
	failed.FailedBy = ecsv1alpha1.FailedByCircuitBreaker
	back := old
	back.Status, back.RolloutState, back.RolloutStateReason = "PRIMARY", "IN_PROGRESS", "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/h1."
	back.RollbackFrom = "ecs-svc/h2"
	recs2, revs2 := Keep(history(recs, revs, []ecsv1alpha1.ServiceDeployment{back, failed}, t0.Add(2*time.Minute)))
	r := recs2[0]
	if r.Status != ecsv1alpha1.ServiceDeploymentRollbackInProgress || r.Rollback == nil || r.Rollback.ServiceRevisionArn != "arn:sr/ecs-svc/h1" ||
		r.DeploymentCircuitBreaker.Status != ecsv1alpha1.MonitorTriggered || r.DeploymentCircuitBreaker.FailureCount != 3 {
		t.Fatalf("rolling back: %+v %+v", r, r.DeploymentCircuitBreaker)
	}
	// The rollback target fails too: ROLLBACK_FAILED, not stuck.
	backFailed := back
	backFailed.RolloutState, backFailed.RolloutStateReason = "FAILED", "ECS deployment alarms: errors in ALARM state."
	if recs, _ := Keep(history(recs2, revs2, []ecsv1alpha1.ServiceDeployment{backFailed, failed}, t0.Add(3*time.Minute))); recs[0].Status != ecsv1alpha1.ServiceDeploymentRollbackFailed {
		t.Errorf("a failed rollback: %+v", recs[0])
	}
	back.RolloutState = "COMPLETED"
	recs3, revs3 := Keep(history(recs2, revs2, []ecsv1alpha1.ServiceDeployment{back, failed}, t0.Add(3*time.Minute)))
	if recs3[0].Status != ecsv1alpha1.ServiceDeploymentRollbackSuccessful || recs3[0].FinishedAt == nil {
		t.Errorf("rolled back: %+v", recs3[0])
	}
	// No service deployment for the rollback itself.
	if len(recs3) != 1 {
		t.Errorf("records = %+v", recs3)
	}

	// The spec goes back to h2's template once it ended: h2 runs again, a
	// service deployment of its own, with another ARN.
	again2 := h2
	again2.RolloutStateReason = "ECS deployment ecs-svc/h2 in progress."
	recs4, _ := Keep(history(recs3, revs3, []ecsv1alpha1.ServiceDeployment{again2, dep("h1", "ACTIVE", "COMPLETED", 1)}, t0.Add(10*time.Minute)))
	if len(recs4) != 2 || recs4[0].Status != ecsv1alpha1.ServiceDeploymentInProgress || recs4[0].ServiceDeploymentArn == recs4[1].ServiceDeploymentArn ||
		recs4[1].Status != ecsv1alpha1.ServiceDeploymentRollbackSuccessful {
		t.Errorf("a deployment run again: %+v", recs4)
	}
	if got := StopTarget(recs4, "arn:aws:ecs:r:a:service-deployment/c/s/"+strings.TrimPrefix(recs4[1].ServiceDeploymentArn, "arn:sd/")); got != "" {
		t.Errorf("a stop naming the ended run stops %q", got)
	}
	if got := StopTarget(recs4, recs4[0].ServiceDeploymentArn); got != "ecs-svc/h2" {
		t.Errorf("a stop naming the run in progress stops %q", got)
	}

	// Another deployment replaces one still in progress: STOPPED.
	h3 := dep("h3", "PRIMARY", "IN_PROGRESS", 3)
	h3.CreatedAt.Time = t0.Add(time.Minute)
	superseded := h2
	superseded.Status = "ACTIVE"
	recs4, revs4 := Keep(history(recs, revs, []ecsv1alpha1.ServiceDeployment{h3, superseded}, t0.Add(4*time.Minute)))
	if len(recs4) != 2 || recs4[0].ID != "ecs-svc/h3" || recs4[1].Status != ecsv1alpha1.ServiceDeploymentStopped || recs4[1].StoppedAt == nil {
		t.Errorf("superseded: %+v", recs4)
	}
	if len(revs4) != 2 || revs4[0].ServiceRevisionArn != "arn:sr/ecs-svc/h3" {
		t.Errorf("revisions = %+v", revs4)
	}
}

// StopServiceDeployment stops a deployment in progress and rolls back
// (ROLLBACK) or not (ABORT); another deployment's id is ignored.
func TestStopServiceDeployment(t *testing.T) {
	in := Input{Service: "web", Desired: 2, Now: t0, Want: target("h2", 2),
		Previous: []ecsv1alpha1.ServiceDeployment{dep("h1", "ACTIVE", "COMPLETED", 1), dep("h2", "PRIMARY", "IN_PROGRESS", 2)},
		Pods:     append(pods("h1", 2, readyAt(t0.Add(-time.Hour))), pods("h2", 1)...), Workload: available("h1", 2),
		Stop: &StopRequest{ID: "ecs-svc/h1", Rollback: true}}
	if s := summarize(Plan(in).Deployments); s[0].Hash != "h2" || s[0].State != "IN_PROGRESS" {
		t.Errorf("a stop naming another deployment stopped this one: %+v", s)
	}
	in.Stop = &StopRequest{ID: "ecs-svc/h2", Rollback: true}
	out := Plan(in)
	if s := summarize(out.Deployments); s[0].Hash != "h1" || s[0].State != "IN_PROGRESS" || s[1].State != "FAILED" {
		t.Fatalf("rollback: %+v", s)
	}
	if out.Deployments[1].RolloutStateReason != "ECS deployment stopped by StopServiceDeployment." {
		t.Errorf("reason = %q", out.Deployments[1].RolloutStateReason)
	}
	in.Stop.Rollback = false
	out = Plan(in)
	if s := summarize(out.Deployments); s[0].Hash != "h2" || s[0].State != "FAILED" || ptr.Deref(out.Run, ecsv1alpha1.ServiceDeployment{}).TemplateHash != "h1" {
		t.Errorf("abort: %+v, runs %+v", s, out.Run)
	}
}
