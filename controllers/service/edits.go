package service

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/fieldowners"
)

// Edits of a Service's Deployments and DaemonSets by someone else (R4 of
// docs/reliability.md). Berth owns their spec; a no-op reconcile skips the
// apply while the applied-hash annotation and the replicas match, so an
// edit must be noticed some other way:
//
//   - another field manager that owns part of spec (a kubectl edit, scale
//     or rollout restart, anyone's apply): the API server's managedFields
//     say so, and survive a restart of the operator (fieldowners);
//   - a spec change that leaves no owner behind (a field removed, as
//     `kubectl set env FOO-` does): the child's spec differs from the one
//     Berth's own last write answered with, which this process remembers
//     (not across a restart: docs/services.md). The generation tells when
//     to look: it moves with every change of spec, but a Deployment's also
//     moves with its annotations (the Deployment controller's revision,
//     anyone's kubectl annotate), which are no edit of Berth's.

// edits remembers, per child UID, the generation and a hash of the spec
// Berth's last write of it answered with, and the Service it belongs to
// (to forget it with the Service).
type edits struct {
	mu   sync.Mutex
	last map[types.UID]written
}

type written struct {
	svc  types.NamespacedName
	gen  int64
	spec uint64
	// cached: spec is the hash of the object as the cache showed it at gen
	// (the write's answer is decoded into the apply configuration Berth
	// sent, which keeps a field the API server dropped).
	cached bool
}

// wrote records child as a write of it by Berth answered (a Deployment or
// DaemonSet of the Service named by its label).
func (e *edits) wrote(child client.Object) {
	if child.GetUID() == "" {
		return
	}
	w := written{
		svc:  types.NamespacedName{Namespace: child.GetNamespace(), Name: child.GetLabels()[ecsv1alpha1.LabelService]},
		gen:  child.GetGeneration(),
		spec: specHash(child),
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == nil {
		e.last = map[types.UID]written{}
	}
	e.last[child.GetUID()] = w
}

// changed: child's spec changed since Berth last wrote it. Only a
// generation past the remembered one is looked at (a cache that lags shows
// an older one); one that moved with the metadata alone is remembered.
func (e *edits) changed(child client.Object) bool {
	e.mu.Lock()
	last, ok := e.last[child.GetUID()]
	e.mu.Unlock()
	switch {
	case !ok || child.GetGeneration() < last.gen:
		return false
	case child.GetGeneration() == last.gen:
		if !last.cached {
			last.spec, last.cached = specHash(child), true
			e.remember(child.GetUID(), last)
		}
		return false
	case specHash(child) != last.spec:
		return true
	}
	last.gen = child.GetGeneration()
	e.remember(child.GetUID(), last)
	return false
}

// remember stores w for uid unless a newer write was recorded meanwhile.
func (e *edits) remember(uid types.UID, w written) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur, ok := e.last[uid]; ok && cur.gen <= w.gen {
		e.last[uid] = w
	}
}

// forget drops what is remembered of the children of a Service that is gone.
func (e *edits) forget(svc types.NamespacedName) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for uid, c := range e.last {
		if c.svc == svc {
			delete(e.last, uid)
		}
	}
}

// specHash hashes the spec of a Deployment or DaemonSet as decoded from
// the API server's JSON (0 for another kind).
func specHash(child client.Object) uint64 {
	var spec any
	switch o := child.(type) {
	case *appsv1.Deployment:
		spec = &o.Spec
	case *appsv1.DaemonSet:
		spec = &o.Spec
	default:
		return 0
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write(raw)
	return h.Sum64()
}

// revertEdit tells whether child (a Deployment or DaemonSet of the
// Service) was edited by someone else, so that the apply that follows
// must not be skipped. When another field manager owns part of its spec,
// it first takes those fields back (fieldowners.Reclaim), so that the
// apply sets each of them to Berth's value or removes it; the same patch
// drops the applied-hash annotation, so that an operator stopped between
// the two writes applies on its next pass. Either way it records an Event
// on the Service.
func (r *Reconciler) revertEdit(ctx context.Context, s *scope, child client.Object) (bool, error) {
	by := fieldowners.Foreign(child, FieldOwner)
	if len(by) == 0 {
		if !r.edits.changed(child) {
			return false, nil
		}
		r.recordRevert(ctx, s.svc, child, "someone else (a change that left no field manager)")
		return true, nil
	}
	reader := r.APIReader
	if reader == nil {
		reader = r.Client
	}
	fresh := child.DeepCopyObject().(client.Object)
	wrote, err := fieldowners.Reclaim(ctx, r.Client, reader, fresh, FieldOwner, AnnotationAppliedHash)
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", kindOf(child), child.GetName(), err)
	}
	if wrote {
		r.recordRevert(ctx, s.svc, child, strings.Join(by, ", "))
	}
	return wrote, nil
}

func (r *Reconciler) recordRevert(ctx context.Context, svc *ecsv1alpha1.Service, child client.Object, by string) {
	logf.FromContext(ctx).Info("Reverting an edit by someone else", "kind", kindOf(child), "name", child.GetName(), "by", by)
	r.Recorder.Eventf(svc, child, corev1.EventTypeNormal, ecsv1alpha1.ReasonEditReverted, "Apply",
		"%s %s was edited by %s: Berth owns its spec and applied its own again", kindOf(child), child.GetName(), by)
}

// kindOf names a child's kind for messages.
func kindOf(o client.Object) string {
	if _, ok := o.(*appsv1.DaemonSet); ok {
		return "DaemonSet"
	}
	return "Deployment"
}
