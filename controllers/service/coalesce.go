package service

import (
	"encoding/json"
	"reflect"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/rollout"
)

// coalesceWindow is how late a status change of counts alone may be
// written: while a deployment is in progress, tasks go from PENDING to
// RUNNING one by one, and each would otherwise be a write of its own.
const coalesceWindow = time.Second

// statusWrites remembers when Berth last wrote each Service's status (by
// name; forgotten with the Service).
type statusWrites struct {
	mu   sync.Mutex
	last map[types.NamespacedName]time.Time
}

func (w *statusWrites) wrote(key types.NamespacedName, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		w.last = map[types.NamespacedName]time.Time{}
	}
	w.last[key] = at
}

// forget drops what is remembered of a Service that is gone.
func (w *statusWrites) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.last, key)
}

func (w *statusWrites) lastWrite(key types.NamespacedName) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.last[key]
	return t, ok
}

// deferStatus tells how long the status write of this reconcile may wait
// (0: write now). It waits only when a deployment is in progress before
// and after, the change is one of counts alone (task counts, the condition
// messages that quote them, "has started" service events), the
// scheduler stops no task, and the last write of this status is less than
// coalesceWindow old: Ready, Stalled, a deployment's state, a new
// generation and every warning are written at once. The status is
// computed again from scratch by the reconcile the wait ends in, so
// nothing is lost, only written later, with whatever else changed.
func (r *Reconciler) deferStatus(s *scope, stored *ecsv1alpha1.Service, added []rollout.Message) time.Duration {
	svc := s.svc
	if s.problem != nil || len(s.plan.Stops) > 0 || svc.Status.ObservedGeneration != stored.Status.ObservedGeneration ||
		!deploying(stored) || !deploying(svc) {
		return 0
	}
	for _, m := range added {
		// "has started" is said again by the reconcile the wait ends in;
		// "has stopped" names pods that may be gone by then.
		if m.Warning || m.Reason != rollout.ReasonTaskStarted {
			return 0
		}
	}
	last, ok := r.statusWrites.lastWrite(types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name})
	if !ok {
		return 0
	}
	wait := last.Add(coalesceWindow).Sub(s.now)
	if wait <= 0 || !countsAlone(&stored.Status, &svc.Status) {
		return 0
	}
	return wait
}

// deploying: the Service's PRIMARY deployment is IN_PROGRESS.
func deploying(svc *ecsv1alpha1.Service) bool {
	d := primary(svc.Status.Deployments)
	return d != nil && d.RolloutState == ecsv1alpha1.RolloutInProgress
}

// countsAlone: a and b differ in task counts, condition messages and
// service events at most.
func countsAlone(a, b *ecsv1alpha1.ServiceStatus) bool {
	x, errA := withoutCounts(a)
	y, errB := withoutCounts(b)
	return errA == nil && errB == nil && reflect.DeepEqual(x, y)
}

// countKeys are the fields of a Service's status that count tasks.
var countKeys = map[string]bool{"runningCount": true, "pendingCount": true, "runningTaskCount": true, "pendingTaskCount": true}

func withoutCounts(st *ecsv1alpha1.ServiceStatus) (any, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "events")
	// A condition's message quotes the counts; a service deployment's
	// updatedAt moves with them.
	for key, field := range map[string]string{"conditions": "message", "serviceDeployments": "updatedAt"} {
		if items, ok := m[key].([]any); ok {
			for _, item := range items {
				if item, ok := item.(map[string]any); ok {
					delete(item, field)
				}
			}
		}
	}
	dropCounts(m)
	return m, nil
}

func dropCounts(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if countKeys[k] {
				delete(v, k)
				continue
			}
			dropCounts(e)
		}
	case []any:
		for _, e := range v {
			dropCounts(e)
		}
	}
}
