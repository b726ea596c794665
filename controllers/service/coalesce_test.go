package service

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// The memo tells a cache that has not shown Berth's last status write
// (reconciling from it would be refused as a conflict, a request wasted)
// from one that has, and the first change that waits from later ones.
func TestStatusMemo(t *testing.T) {
	var m statusMemo
	key := types.NamespacedName{Namespace: "ns", Name: "web"}
	t0 := time.Unix(1000, 0)
	if got := m.seen(key, t0); !got.Equal(t0) {
		t.Errorf("first change seen at %v, want %v", got, t0)
	}
	if got := m.seen(key, t0.Add(time.Second/2)); !got.Equal(t0) {
		t.Errorf("a later change: %v, want the first one's %v", got, t0)
	}
	m.written(key, "10", "10", "10") // nothing to write
	if m.behind(key, "10") {
		t.Error("behind after a reconcile that wrote nothing")
	}
	if got := m.seen(key, t0.Add(time.Second)); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("after the write the wait starts again: %v", got)
	}
	m.written(key, "11", "9", "10") // the finalizer (9 → 10), then the status (10 → 11)
	if !m.behind(key, "10") || !m.behind(key, "9") || !m.behind(key, "10") {
		t.Error("the cache still shows version 9 or 10, which the writes replaced")
	}
	if m.behind(key, "11") {
		t.Error("the cache shows the write")
	}
	if m.behind(key, "10") {
		t.Error("caught up once: a version read later is never the replaced one again")
	}
	m.written(key, "12", "11", "11")
	if !m.behind(key, "11") || m.behind(key, "13") || m.behind(key, "11") {
		t.Error("another writer's version (13) ends the memo too")
	}
	m.written(key, "14", "13", "13")
	m.forget(key)
	if m.behind(key, "13") {
		t.Error("forgotten with the Service")
	}
}

// countsAlone: statuses that differ in task counts (at every depth),
// condition messages, service deployments' updatedAt and service events
// may wait; any other difference may not.
func TestCountsAlone(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC))
	status := func(running, pending int32, edit func(*ecsv1alpha1.ServiceStatus)) *ecsv1alpha1.ServiceStatus {
		st := &ecsv1alpha1.ServiceStatus{
			ObservedGeneration: 1, RunningCount: ptr.To(running), PendingCount: ptr.To(pending),
			Conditions: []metav1.Condition{{Type: ecsv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: "RolloutInProgress",
				Message: fmt.Sprintf("%d of 2 tasks running, %d pending", running, pending), LastTransitionTime: t0}},
			Deployments: []ecsv1alpha1.ServiceDeployment{{ID: "ecs-svc/1", Status: "PRIMARY", RolloutState: ecsv1alpha1.RolloutInProgress,
				RunningCount: running, PendingCount: pending, CreatedAt: t0, UpdatedAt: t0}},
			ServiceDeployments: []ecsv1alpha1.ServiceDeploymentRecord{{CreatedAt: t0, UpdatedAt: metav1.NewTime(t0.Add(time.Duration(running) * time.Second)),
				TargetServiceRevision: ecsv1alpha1.ServiceRevisionSummary{RunningTaskCount: running, PendingTaskCount: pending}}},
			CapacityProviderTasks: []ecsv1alpha1.CapacityProviderTasks{{CapacityProvider: "FARGATE", RunningCount: running, PendingCount: pending}},
		}
		if running > 0 {
			st.Events = []ecsv1alpha1.ServiceEvent{{ID: "1", Message: "has started 1 tasks", CreatedAt: t0}}
		}
		if edit != nil {
			edit(st)
		}
		return st
	}
	for _, tc := range []struct {
		name string
		a, b *ecsv1alpha1.ServiceStatus
		want bool
	}{
		{"the same", status(0, 2, nil), status(0, 2, nil), true},
		{"counts, messages, updatedAt and events", status(0, 2, nil), status(1, 1, nil), true},
		{"a condition's status", status(0, 2, nil), status(1, 1, func(st *ecsv1alpha1.ServiceStatus) { st.Conditions[0].Status = metav1.ConditionTrue }), false},
		{"a deployment's state", status(0, 2, nil), status(1, 1, func(st *ecsv1alpha1.ServiceStatus) { st.Deployments[0].RolloutState = ecsv1alpha1.RolloutCompleted }), false},
		{"a deployment's failed tasks", status(0, 2, nil), status(0, 2, func(st *ecsv1alpha1.ServiceStatus) { st.Deployments[0].FailedTasks = 1 }), false},
		{"the observed generation", status(0, 2, nil), status(0, 2, func(st *ecsv1alpha1.ServiceStatus) { st.ObservedGeneration = 2 }), false},
		{"a deployment's updatedAt", status(0, 2, nil), status(0, 2, func(st *ecsv1alpha1.ServiceStatus) { st.Deployments[0].UpdatedAt = metav1.NewTime(t0.Add(time.Hour)) }), false},
		{"a deployment more", status(0, 2, nil), status(0, 2, func(st *ecsv1alpha1.ServiceStatus) {
			st.Deployments = append(st.Deployments, ecsv1alpha1.ServiceDeployment{ID: "ecs-svc/0", Status: "ACTIVE"})
		}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.a.DeepCopy(), tc.b.DeepCopy()
			if got := countsAlone(tc.a, tc.b); got != tc.want {
				t.Errorf("countsAlone = %v, want %v", got, tc.want)
			}
			if !equality.Semantic.DeepEqual(a, tc.a) || !equality.Semantic.DeepEqual(b, tc.b) {
				t.Error("countsAlone changed the statuses it compares")
			}
		})
	}
}
