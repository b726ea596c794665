package rollout

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// MaxHistory is how many service deployments and revisions a Service
// keeps.
const MaxHistory = 10

// History is what keeping a service's deployments as ECS keeps them (its
// ServiceDeployment and ServiceRevision resources) takes.
type History struct {
	// Previous are status.serviceDeployments and status.serviceRevisions
	// as stored.
	Previous  []ecsv1alpha1.ServiceDeploymentRecord
	Revisions []ecsv1alpha1.ServiceRevision
	// Deployments are the scheduler's new status.deployments.
	Deployments []ecsv1alpha1.ServiceDeployment
	// DeploymentArn names a service deployment by the suffix Keep gives
	// it (recordSuffix: a deployment id may run several times, each a
	// service deployment of its own); RevisionArn names a deployment's
	// service revision by its id.
	DeploymentArn, RevisionArn func(string) string
	// Snapshot is the service revision of the deployment the spec asks
	// for (without its ARN and creation time): recorded when it starts.
	Snapshot func() ecsv1alpha1.ServiceRevision
	// Breaker is the circuit breaker (nil: off); Threshold its threshold.
	Breaker   *ecsv1alpha1.DeploymentCircuitBreaker
	Threshold int32
	// Now is the time of the reconcile.
	Now time.Time
}

// Keep updates the service deployments and revisions from the
// deployments: a deployment that starts (a new PRIMARY) gets a service
// deployment IN_PROGRESS and a service revision; it becomes SUCCESSFUL
// when it completes, ROLLBACK_IN_PROGRESS then ROLLBACK_SUCCESSFUL when it
// failed and the scheduler rolls back, STOPPED when it failed without a
// rollback or a newer deployment replaced it before it completed. Records
// change only when something in them does (a no-op reconcile writes
// nothing), and the last MaxHistory are kept.
func Keep(h History) ([]ecsv1alpha1.ServiceDeploymentRecord, []ecsv1alpha1.ServiceRevision) {
	now := metav1.NewTime(h.Now.Truncate(time.Second))
	byID := map[string]*ecsv1alpha1.ServiceDeployment{}
	var prim *ecsv1alpha1.ServiceDeployment
	for i := range h.Deployments {
		d := &h.Deployments[i]
		byID[d.ID] = d
		if d.Status == ecsv1alpha1.DeploymentPrimary {
			prim = d
		}
	}
	records := make([]ecsv1alpha1.ServiceDeploymentRecord, 0, len(h.Previous)+1)
	known, running := map[string]bool{}, map[string]bool{}
	for _, r := range h.Previous {
		records = append(records, *r.DeepCopy())
		known[r.ID] = true
		if r.Status == ecsv1alpha1.ServiceDeploymentInProgress || r.Status == ecsv1alpha1.ServiceDeploymentPending {
			running[r.ID] = true
		}
	}
	revisions := append([]ecsv1alpha1.ServiceRevision(nil), h.Revisions...)
	if prim != nil && prim.RolloutState == ecsv1alpha1.RolloutInProgress && prim.RollbackFrom == "" && !running[prim.ID] {
		records, revisions = h.start(records, revisions, prim, known[prim.ID], now)
	}
	for i := range records {
		r := &records[i]
		before := r.DeepCopy()
		h.update(r, byID[r.ID], prim, now)
		if !equality.Semantic.DeepEqual(before, r) {
			r.UpdatedAt = now
		}
	}
	sort.SliceStable(records, func(i, j int) bool {
		if !records[i].CreatedAt.Equal(&records[j].CreatedAt) {
			return records[i].CreatedAt.After(records[j].CreatedAt.Time)
		}
		return records[i].ID > records[j].ID
	})
	if len(records) > MaxHistory {
		records = records[:MaxHistory]
	}
	return records, keepRevisions(records, revisions)
}

// update brings one record up to date with its deployment d (nil: no
// longer in status.deployments) while it is in progress; an ended record
// does not change.
func (h History) update(r *ecsv1alpha1.ServiceDeploymentRecord, d, prim *ecsv1alpha1.ServiceDeployment, now metav1.Time) {
	switch r.Status {
	case ecsv1alpha1.ServiceDeploymentInProgress:
	case ecsv1alpha1.ServiceDeploymentRollbackInProgress:
		switch {
		case prim == nil || h.RevisionArn(prim.ID) != r.Rollback.ServiceRevisionArn:
			r.Status, r.StoppedAt = ecsv1alpha1.ServiceDeploymentStopped, ptrTime(now)
			r.StatusReason = "The rollback was stopped: a new deployment started."
		case prim.RolloutState == ecsv1alpha1.RolloutFailed:
			r.Status, r.StoppedAt = ecsv1alpha1.ServiceDeploymentRollbackFailed, ptrTime(now)
			r.StatusReason = "The rollback failed: " + prim.RolloutStateReason
		case prim.RolloutState == ecsv1alpha1.RolloutCompleted:
			r.Status, r.FinishedAt = ecsv1alpha1.ServiceDeploymentRollbackSuccessful, ptrTime(now)
		}
		h.counts(r)
		return
	default:
		return
	}
	if d == nil {
		r.Status, r.StoppedAt = ecsv1alpha1.ServiceDeploymentStopped, ptrTime(now)
		return
	}
	r.Alarms = d.Alarms.DeepCopy()
	r.DeploymentCircuitBreaker = h.breaker(d)
	switch {
	case d.RolloutState == ecsv1alpha1.RolloutCompleted:
		r.Status, r.StatusReason, r.FinishedAt = ecsv1alpha1.ServiceDeploymentSuccessful, d.RolloutStateReason, ptrTime(now)
	case d.RolloutState == ecsv1alpha1.RolloutFailed:
		r.StatusReason = d.RolloutStateReason
		if prim != nil && prim != d && prim.RollbackFrom == d.ID {
			r.Status = ecsv1alpha1.ServiceDeploymentRollbackInProgress
			r.Rollback = &ecsv1alpha1.ServiceDeploymentRollback{Reason: prim.RolloutStateReason, StartedAt: now, ServiceRevisionArn: h.RevisionArn(prim.ID)}
		} else {
			r.Status, r.StoppedAt = ecsv1alpha1.ServiceDeploymentStopped, ptrTime(now)
		}
	case d.Status != ecsv1alpha1.DeploymentPrimary:
		r.Status, r.StoppedAt = ecsv1alpha1.ServiceDeploymentStopped, ptrTime(now)
		if prim != nil {
			r.StatusReason = "ECS deployment " + d.ID + " stopped: deployment " + prim.ID + " started."
		}
	}
	h.counts(r)
}

// counts sets the task counts of a record's revisions from the
// deployments.
func (h History) counts(r *ecsv1alpha1.ServiceDeploymentRecord) {
	set := func(s *ecsv1alpha1.ServiceRevisionSummary) {
		s.RequestedTaskCount, s.RunningTaskCount, s.PendingTaskCount = 0, 0, 0
		for i := range h.Deployments {
			if d := &h.Deployments[i]; h.RevisionArn(d.ID) == s.Arn {
				s.RequestedTaskCount, s.RunningTaskCount, s.PendingTaskCount = d.DesiredCount, d.RunningCount, d.PendingCount
			}
		}
	}
	set(&r.TargetServiceRevision)
	for i := range r.SourceServiceRevisions {
		set(&r.SourceServiceRevisions[i])
	}
}

func (h History) breaker(d *ecsv1alpha1.ServiceDeployment) *ecsv1alpha1.ServiceDeploymentCircuitBreaker {
	b := &ecsv1alpha1.ServiceDeploymentCircuitBreaker{Status: ecsv1alpha1.MonitorDisabled, FailureCount: d.FailedTasks, Threshold: h.Threshold}
	if h.Breaker == nil || !h.Breaker.Enable {
		return b
	}
	switch {
	case d.RolloutState == ecsv1alpha1.RolloutFailed && d.FailedBy == ecsv1alpha1.FailedByCircuitBreaker:
		b.Status = ecsv1alpha1.MonitorTriggered
	case d.RolloutState == ecsv1alpha1.RolloutCompleted:
		b.Status = ecsv1alpha1.MonitorMonitoringComplete
	default:
		b.Status = ecsv1alpha1.MonitorMonitoring
	}
	return b
}

func hasRevision(revs []ecsv1alpha1.ServiceRevision, arn string) bool {
	for _, r := range revs {
		if r.ServiceRevisionArn == arn {
			return true
		}
	}
	return false
}

// keepRevisions keeps the revisions the records name, newest first, at
// most MaxHistory.
func keepRevisions(records []ecsv1alpha1.ServiceDeploymentRecord, revs []ecsv1alpha1.ServiceRevision) []ecsv1alpha1.ServiceRevision {
	named := map[string]bool{}
	for _, r := range records {
		named[r.TargetServiceRevision.Arn] = true
		for _, s := range r.SourceServiceRevisions {
			named[s.Arn] = true
		}
		if r.Rollback != nil {
			named[r.Rollback.ServiceRevisionArn] = true
		}
	}
	var out []ecsv1alpha1.ServiceRevision
	for _, rev := range revs {
		if named[rev.ServiceRevisionArn] {
			out = append(out, rev)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(&out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt.Time)
		}
		return out[i].ServiceRevisionArn > out[j].ServiceRevisionArn
	})
	if len(out) > MaxHistory {
		out = out[:MaxHistory]
	}
	return out
}

func ptrTime(t metav1.Time) *metav1.Time { return &t }

// recordSuffix is the last part of a service deployment's ARN: 19 digits
// from the deployment id and the time the service deployment started, so
// that a deployment id that runs again (its template deployed again) is
// another service deployment.
func recordSuffix(id string, created metav1.Time) string {
	sum := sha256.Sum256([]byte(id + "@" + created.UTC().Format(time.RFC3339)))
	return fmt.Sprintf("%019d", binary.BigEndian.Uint64(sum[:8])%1e19)
}

// StopTarget is the deployment id a StopServiceDeployment request (the
// ecs.berth.dev/stop-deployment annotation: a service deployment ARN, or a
// deployment id) stops: by ARN, the deployment of that service deployment
// while it is in progress; by id, that deployment. "" for none.
func StopTarget(records []ecsv1alpha1.ServiceDeploymentRecord, ref string) string {
	if !strings.HasPrefix(ref, "arn:") {
		return ref
	}
	suffix := ref[strings.LastIndex(ref, "/")+1:]
	for _, r := range records {
		if r.ServiceDeploymentArn[strings.LastIndex(r.ServiceDeploymentArn, "/")+1:] == suffix &&
			(r.Status == ecsv1alpha1.ServiceDeploymentInProgress || r.Status == ecsv1alpha1.ServiceDeploymentPending) {
			return r.ID
		}
	}
	return ""
}

// start records a deployment that starts, or starts again (the spec went
// back to its template after it ended): a service deployment of its own,
// and its service revision.
func (h History) start(records []ecsv1alpha1.ServiceDeploymentRecord, revisions []ecsv1alpha1.ServiceRevision, prim *ecsv1alpha1.ServiceDeployment, again bool, now metav1.Time) ([]ecsv1alpha1.ServiceDeploymentRecord, []ecsv1alpha1.ServiceRevision) {
	created := prim.CreatedAt
	if again {
		created = now
	}
	r := ecsv1alpha1.ServiceDeploymentRecord{ID: prim.ID, ServiceDeploymentArn: h.DeploymentArn(recordSuffix(prim.ID, created)),
		Status: ecsv1alpha1.ServiceDeploymentInProgress, StatusReason: prim.RolloutStateReason,
		CreatedAt: created, StartedAt: ptrTime(created), UpdatedAt: now}
	r.TargetServiceRevision.Arn = h.RevisionArn(prim.ID)
	for i := range h.Deployments {
		if d := &h.Deployments[i]; d != prim && d.RunningCount+d.PendingCount > 0 {
			r.SourceServiceRevisions = append(r.SourceServiceRevisions, ecsv1alpha1.ServiceRevisionSummary{Arn: h.RevisionArn(d.ID)})
		}
	}
	records = append(records, r)
	if !hasRevision(revisions, r.TargetServiceRevision.Arn) {
		rev := h.Snapshot()
		rev.ServiceRevisionArn, rev.CreatedAt = r.TargetServiceRevision.Arn, prim.CreatedAt
		revisions = append(revisions, rev)
	}
	return records, revisions
}
