package service

import (
	"context"
	"fmt"
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
//     `kubectl set env FOO-` does): the child's metadata.generation has
//     moved past the one Berth's own last write left, which this process
//     remembers (not across a restart: docs/services.md).

// edits remembers, per child UID, the generation Berth's last write of it
// answered with, and the Service it belongs to (to forget it with the
// Service).
type edits struct {
	mu  sync.Mutex
	gen map[types.UID]childGeneration
}

type childGeneration struct {
	svc types.NamespacedName
	gen int64
}

// wrote records the answer to a write of a child of svc.
func (e *edits) wrote(svc *ecsv1alpha1.Service, uid *types.UID, gen *int64) {
	if uid == nil || gen == nil || *uid == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen == nil {
		e.gen = map[types.UID]childGeneration{}
	}
	e.gen[*uid] = childGeneration{svc: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}, gen: *gen}
}

// wroteChild records the answer to a write of child, a Deployment labelled
// with its Service.
func (e *edits) wroteChild(child client.Object) {
	svc := &ecsv1alpha1.Service{}
	svc.Namespace, svc.Name = child.GetNamespace(), child.GetLabels()[ecsv1alpha1.LabelService]
	uid, gen := child.GetUID(), child.GetGeneration()
	e.wrote(svc, &uid, &gen)
}

// changed: child's spec changed since Berth last wrote it (its generation
// is past the remembered one; a cache that lags shows an older one).
func (e *edits) changed(child client.Object) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	last, ok := e.gen[child.GetUID()]
	return ok && child.GetGeneration() > last.gen
}

// forget drops what is remembered of the children of a Service that is gone.
func (e *edits) forget(svc types.NamespacedName) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for uid, c := range e.gen {
		if c.svc == svc {
			delete(e.gen, uid)
		}
	}
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
