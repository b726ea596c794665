package service

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/rollout"
)

// coalesceWindow is how late a status change of counts alone may be
// written: while a deployment is in progress, tasks go from PENDING to
// RUNNING one by one, and each would otherwise be a write of its own.
const coalesceWindow = time.Second

// statusMemo remembers, for each Service (by name; forgotten with the
// Service), when the first change of its status that waits to be written
// was seen, and the resourceVersions Berth's last writes replaced while
// the cache has not shown the last one yet.
type statusMemo struct {
	mu         sync.Mutex
	since      map[types.NamespacedName]time.Time
	superseded map[types.NamespacedName][]string
}

// seen returns when the oldest change of key's status that waits was
// first seen: now when none waits.
func (m *statusMemo) seen(key types.NamespacedName, now time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.since[key]; ok {
		return t
	}
	if m.since == nil {
		m.since = map[types.NamespacedName]time.Time{}
	}
	m.since[key] = now
	return now
}

// written: key's status is as computed (written, or nothing to write).
// The reconcile read the Service at version read and its writes (the
// finalizer, the status) left it at version now: the versions between
// are superseded.
func (m *statusMemo) written(key types.NamespacedName, now string, read ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.since, key)
	delete(m.superseded, key)
	var old []string
	for _, rv := range read {
		if rv != now && !slices.Contains(old, rv) {
			old = append(old, rv)
		}
	}
	if len(old) > 0 {
		if m.superseded == nil {
			m.superseded = map[types.NamespacedName][]string{}
		}
		m.superseded[key] = old
	}
}

// behind tells whether the version read (rv) is one Berth's last writes
// replaced: the cache has not caught up with them, and a status computed
// from it would be refused as a conflict. The last write's watch event
// reconciles again. Any other version (Berth's write, or a later one)
// ends the memo.
func (m *statusMemo) behind(key types.NamespacedName, rv string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.superseded[key]
	if !ok {
		return false
	}
	if slices.Contains(old, rv) {
		return true
	}
	delete(m.superseded, key) // caught up
	return false
}

// forget drops what is remembered of a Service that is gone.
func (m *statusMemo) forget(key types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.since, key)
	delete(m.superseded, key)
}

// deferStatus tells how long the status write of this reconcile may wait
// (0: write now). It waits only when a deployment is in progress before
// and after, the change is one of counts alone (task counts, the condition
// messages that quote them, "has started" service events), the
// scheduler stops no task, the deployment is ROLLING (a BLUE_GREEN,
// LINEAR or CANARY lifecycle acts on the state it reads back, and each of
// its steps is written at once), and the first change that waits was seen
// less than coalesceWindow ago: Ready, Stalled, a deployment's state, a
// new generation and every warning are written at once, and no change
// waits longer than coalesceWindow. The status is computed again from
// scratch by the reconcile the wait ends in, so nothing is lost, only
// written later, with whatever else changed.
func (r *Reconciler) deferStatus(s *scope, stored *ecsv1alpha1.Service, added []rollout.Message) time.Duration {
	svc := s.svc
	if s.problem != nil || len(s.plan.Stops) > 0 || svc.Status.ObservedGeneration != stored.Status.ObservedGeneration ||
		!deploying(stored) || !deploying(svc) || s.lifecycle != nil || svc.Status.Strategy != nil || stored.Status.Strategy != nil {
		return 0
	}
	for _, m := range added {
		// "has started" is said again by the reconcile the wait ends in;
		// "has stopped" names pods that may be gone by then.
		if m.Warning || m.Reason != rollout.ReasonTaskStarted {
			return 0
		}
	}
	if !countsAlone(&stored.Status, &svc.Status) {
		return 0
	}
	first := r.statusMemo.seen(types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}, s.now)
	return max(first.Add(coalesceWindow).Sub(s.now), 0)
}

// deploying: the Service's PRIMARY deployment is IN_PROGRESS.
func deploying(svc *ecsv1alpha1.Service) bool {
	d := primary(svc.Status.Deployments)
	return d != nil && d.RolloutState == ecsv1alpha1.RolloutInProgress
}

// countsAlone: a and b differ in task counts, condition messages and
// service events at most. Each is compared as JSON, the form it is stored
// in, with those fields zeroed.
func countsAlone(a, b *ecsv1alpha1.ServiceStatus) bool {
	x, errA := json.Marshal(withoutCounts(a))
	y, errB := json.Marshal(withoutCounts(b))
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

// countKeys are the JSON names of the fields of a Service's status, at any
// depth, that count tasks.
var countKeys = map[string]bool{"runningCount": true, "pendingCount": true, "runningTaskCount": true, "pendingTaskCount": true}

// withoutCounts is a copy of st without its service events, the condition
// messages (they quote the counts), the service deployments' updatedAt
// (it moves with them) and every field countKeys names.
func withoutCounts(st *ecsv1alpha1.ServiceStatus) *ecsv1alpha1.ServiceStatus {
	c := st.DeepCopy()
	c.Events = nil
	for i := range c.Conditions {
		c.Conditions[i].Message = ""
	}
	for i := range c.ServiceDeployments {
		c.ServiceDeployments[i].UpdatedAt = metav1.Time{}
	}
	dropCounts(reflect.ValueOf(c).Elem())
	return c
}

// dropCounts zeroes the fields of v, at any depth through structs,
// pointers and slices, whose JSON name countKeys has.
func dropCounts(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			dropCounts(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			dropCounts(v.Index(i))
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); countKeys[name] {
				v.Field(i).SetZero()
				continue
			}
			dropCounts(v.Field(i))
		}
	}
}
