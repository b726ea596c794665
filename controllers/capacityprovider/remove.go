package capacityprovider

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/taskstate"
)

// fenceSettle is how long a fenced node waits before Berth checks it live
// and deletes it: the scheduler (watching nodes) sees the taint by then,
// so no task is bound to the node after the check.
const fenceSettle = 2 * time.Second

// fenced tells whether Berth fenced the node for removal.
func fenced(n *corev1.Node) bool {
	return slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == ecsv1alpha1.TaintRemoving })
}

// removeNode takes a node the pool no longer needs out without stopping a
// task with it, as Karpenter's disruption does: check, then act, is a race
// on a node the scheduler shares, so Berth fences first (taints it
// NoSchedule), lets the scheduler see the fence (fenceSettle), re-reads the
// node and its pods live (not from the cache), and deletes the node only
// if no task runs there, with the resourceVersion it read as a
// precondition. A task found on it lifts the fence. It returns when to
// look again (0: the node is gone, back in service, or not Berth's).
func (r *Reconciler) removeNode(ctx context.Context, cp *ecsv1alpha1.CapacityProvider, n *corev1.Node, now time.Time) (time.Duration, error) {
	prov := r.provisioner(cp)
	if n == nil || !n.DeletionTimestamp.IsZero() || prov == nil {
		return 0, nil
	}
	if !fenced(n) {
		return fenceSettle, r.fence(ctx, n, now)
	}
	since, err := time.Parse(time.RFC3339, n.Annotations[ecsv1alpha1.AnnotationRemovingSince])
	if err == nil {
		if wait := since.Add(fenceSettle).Sub(now); wait > 0 {
			return wait, nil
		}
	}
	live := &corev1.Node{}
	if err := r.apiReader().Get(ctx, client.ObjectKeyFromObject(n), live); err != nil {
		return 0, client.IgnoreNotFound(err)
	}
	if !fenced(live) || !live.DeletionTimestamp.IsZero() {
		return 0, nil
	}
	busy, err := r.tasksOn(ctx, live.Name)
	if err != nil {
		return 0, err
	}
	if busy > 0 {
		logf.FromContext(ctx).Info("Kept node: a task was placed on it before its fence", "node", klog.KObj(live), "tasks", busy)
		return 0, r.unfence(ctx, live)
	}
	err = prov.Delete(ctx, live)
	if apierrors.IsConflict(err) {
		// It changed since it was read: look again.
		return fenceSettle, nil
	}
	return 0, err
}

// fence taints the node NoSchedule (and records when), with an optimistic
// lock: the taints are a list other writers change too.
func (r *Reconciler) fence(ctx context.Context, n *corev1.Node, now time.Time) error {
	node := n.DeepCopy()
	base := node.DeepCopy()
	node.Spec.Taints = append(node.Spec.Taints, corev1.Taint{Key: ecsv1alpha1.TaintRemoving, Effect: corev1.TaintEffectNoSchedule})
	if node.Annotations == nil {
		node.Annotations = map[string]string{}
	}
	node.Annotations[ecsv1alpha1.AnnotationRemovingSince] = now.UTC().Format(time.RFC3339)
	if err := r.Client.Patch(ctx, node, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}), client.FieldOwner(FieldOwner)); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return nil // the next reconcile sees the newer node
		}
		return fmt.Errorf("fence node %s: %w", n.Name, err)
	}
	logf.FromContext(ctx).V(1).Info("Fenced node for removal", "node", klog.KObj(n))
	return nil
}

// unfence puts a fenced node back in service.
func (r *Reconciler) unfence(ctx context.Context, n *corev1.Node) error {
	node := n.DeepCopy()
	base := node.DeepCopy()
	node.Spec.Taints = slices.DeleteFunc(node.Spec.Taints, func(t corev1.Taint) bool { return t.Key == ecsv1alpha1.TaintRemoving })
	delete(node.Annotations, ecsv1alpha1.AnnotationRemovingSince)
	if err := r.Client.Patch(ctx, node, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}), client.FieldOwner(FieldOwner)); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("unfence node %s: %w", n.Name, err)
	}
	return nil
}

// tasksOn counts, live, the pods bound to a node that make it needed:
// not a DaemonSet's, not finished (a stopping one still runs).
func (r *Reconciler) tasksOn(ctx context.Context, node string) (int, error) {
	var pods corev1.PodList
	if err := r.apiReader().List(ctx, &pods, client.MatchingFields{"spec.nodeName": node}); err != nil {
		return 0, fmt.Errorf("list pods on node %s: %w", node, err)
	}
	n := 0
	for i := range pods.Items {
		if !daemon(&pods.Items[i]) && !taskstate.Finished(&pods.Items[i]) {
			n++
		}
	}
	return n, nil
}

func (r *Reconciler) apiReader() client.Reader {
	if r.APIReader != nil {
		return r.APIReader
	}
	return r.Client
}
