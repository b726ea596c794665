package service

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/taskstate"
)

// annotationDeletionCost ranks a ReplicaSet's pods for scale-down: the
// lowest goes first.
const annotationDeletionCost = "controller.kubernetes.io/pod-deletion-cost"

// drainingCost is the deletion cost of a task on a DRAINING container
// instance: its ReplicaSet removes it before any other.
const drainingCost = "-1000"

// drain is what a reconcile found of the service's tasks on DRAINING
// container instances (cordoned nodes), by Deployment.
type drain struct {
	// running are the running tasks on draining nodes; elsewhere the
	// available tasks on other nodes.
	running, elsewhere map[string]int32
	pods               []*corev1.Pod
	nodes              []string
}

// findDraining reads which of the service's pods run on cordoned nodes.
func (r *Reconciler) findDraining(ctx context.Context, s *scope) (*drain, error) {
	d := &drain{running: map[string]int32{}, elsewhere: map[string]int32{}}
	cordoned := map[string]bool{}
	for i := range s.pods {
		pod := &s.pods[i]
		name := pod.Spec.NodeName
		if name == "" || !pod.DeletionTimestamp.IsZero() {
			continue
		}
		drains, seen := cordoned[name]
		if !seen {
			var n corev1.Node
			err := r.Client.Get(ctx, client.ObjectKey{Name: name}, &n, client.UnsafeDisableDeepCopy)
			if client.IgnoreNotFound(err) != nil {
				return nil, fmt.Errorf("get node %s: %w", name, err)
			}
			drains = err == nil && n.Spec.Unschedulable
			cordoned[name] = drains
			if drains {
				d.nodes = append(d.nodes, name)
			}
		}
		slice := sliceOf(s, pod)
		switch {
		case drains:
			d.pods = append(d.pods, pod)
			if pod.Status.Phase == corev1.PodRunning {
				d.running[slice]++
			}
		case taskstate.Ready(pod):
			d.elsewhere[slice]++
		}
	}
	sort.Strings(d.nodes)
	return d, nil
}

// sliceOf is the Deployment a pod belongs to: its provider's slice, or the
// service's one Deployment.
func sliceOf(s *scope, pod *corev1.Pod) string {
	if s.placement.Sliced() {
		if cp := pod.Labels[ecsv1alpha1.LabelCapacityProvider]; cp != "" {
			return s.svc.Name + "-" + cp
		}
	}
	return s.svc.Name
}

// surge is how many replacement tasks a slice starts for its tasks on
// draining instances: as many as run there, within its share of
// maximumPercent, until as many tasks as it wants are available elsewhere.
func (d *drain) surge(slice string, replicas, share int32) int32 {
	if d == nil || d.running[slice] == 0 || d.elsewhere[slice] >= replicas {
		return 0
	}
	return min(d.running[slice], share)
}

// act marks the tasks on draining instances to go first when their
// ReplicaSet scales down (once their replacements run), stops the pending
// ones at once (ECS stops PENDING tasks on a DRAINING instance), and,
// when maximumPercent allows no replacement first, stops running ones
// within minimumHealthyPercent.
func (r *Reconciler) actOnDraining(ctx context.Context, s *scope, d *drain, healthyBudget int32, surgeAllowed bool) error {
	if d == nil || len(d.pods) == 0 {
		return nil
	}
	marked := 0
	for _, cached := range d.pods {
		pod := cached.DeepCopy()
		stop := pod.Status.Phase != corev1.PodRunning
		if !stop && !surgeAllowed && healthyBudget > 0 {
			stop = true
			healthyBudget--
		}
		if stop {
			if err := r.Client.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); client.IgnoreNotFound(err) != nil && !apierrors.IsConflict(err) {
				return fmt.Errorf("stop task of pod %s on a draining instance: %w", pod.Name, err)
			}
			logf.FromContext(ctx).Info("Stopped task on a draining container instance", "pod", klog.KObj(pod), "node", pod.Spec.NodeName)
			continue
		}
		if pod.Annotations[annotationDeletionCost] == drainingCost {
			continue
		}
		base := pod.DeepCopy()
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[annotationDeletionCost] = drainingCost
		if err := r.Client.Patch(ctx, pod, client.MergeFrom(base), client.FieldOwner(FieldOwner)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("mark pod %s on a draining instance: %w", pod.Name, err)
		}
		marked++
	}
	if marked > 0 {
		r.Recorder.Eventf(s.svc, nil, corev1.EventTypeNormal, "TasksDraining", "Drain",
			"service %s is replacing %d tasks on DRAINING container instances (%s)", s.svc.Status.ServiceName, marked, strings.Join(d.nodes, ", "))
	}
	return nil
}
