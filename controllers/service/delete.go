package service

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/translate"
)

// FinalizerDrain keeps a deleted Service until its tasks have stopped.
const FinalizerDrain = "ecs.berth.dev/drain"

// reconcileDelete is ECS's DeleteService: the service is DRAINING while
// its tasks stop (its Deployment or DaemonSet is deleted in the
// foreground, so its pods go first, each draining from the load balancers
// for the deregistration delay), then INACTIVE: the finalizer goes and the
// remaining objects (Kubernetes Services) are garbage-collected with it.
func (r *Reconciler) reconcileDelete(ctx context.Context, svc *ecsv1alpha1.Service) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(svc, FinalizerDrain) {
		return ctrl.Result{}, nil
	}
	stored := svc.DeepCopy()
	workloads, err := r.ownedWorkloads(ctx, svc)
	if err != nil {
		return ctrl.Result{}, err
	}
	for _, w := range workloads {
		if !w.GetDeletionTimestamp().IsZero() {
			continue // already going
		}
		uid := w.GetUID()
		if err := r.Client.Delete(ctx, w, client.PropagationPolicy(metav1.DeletePropagationForeground), client.Preconditions{UID: &uid}); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, fmt.Errorf("delete %T %s: %w", w, w.GetName(), err)
		}
	}
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, resolve.OfService(svc)...); err != nil {
		return ctrl.Result{}, fmt.Errorf("list pods: %w", err)
	}
	if n := len(pods.Items); n > 0 {
		st := &svc.Status
		st.Status = ecsv1alpha1.ServiceDraining
		st.DesiredCount = ptr.To[int32](0)
		// A stopping task is not PENDING: it is RUNNING while its
		// containers run (draining from the load balancers), then gone.
		var running int32
		for i := range pods.Items {
			if pods.Items[i].Status.Phase == corev1.PodRunning {
				running++
			}
		}
		st.RunningCount, st.PendingCount = ptr.To(running), ptr.To[int32](0)
		conditions.Summarize(&st.Conditions, svc.Generation, conditions.Progressing, ReasonDraining,
			fmt.Sprintf("service %s is DRAINING: %d tasks stopping", st.ServiceName, n))
		if _, err := patch.Status(ctx, r.Client, stored, svc); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		// Their deletion events reconcile again.
		return ctrl.Result{}, nil
	}
	wrote, err := patch.RemoveFinalizer(ctx, r.Client, svc, FinalizerDrain, client.FieldOwner(FieldOwner))
	if wrote {
		logf.FromContext(ctx).Info("Drained service: its tasks stopped")
		// ECS shows the service INACTIVE for a while; this Event is how
		// the ECS API still finds it (names.ServiceInactiveNote).
		r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, ecsv1alpha1.ReasonServiceInactive, "Delete", "%s",
			names.ServiceInactiveNote(names.ClusterName(svc.Spec.Cluster), names.ServiceName(svc.Spec.ServiceName, svc.Name)))
	}
	return ctrl.Result{}, err
}

// ReasonDraining: a deleted service's tasks are stopping.
const ReasonDraining = "Draining"

// ownedWorkloads are the Deployments (one per slice) and the DaemonSet the
// Service controls; workloads of the same name it does not control are
// left alone.
func (r *Reconciler) ownedWorkloads(ctx context.Context, svc *ecsv1alpha1.Service) ([]client.Object, error) {
	var deps appsv1.DeploymentList
	if err := r.Client.List(ctx, &deps, resolve.OfService(svc)...); err != nil {
		return nil, fmt.Errorf("list Deployments: %w", err)
	}
	var res []client.Object
	for i := range deps.Items {
		if metav1.IsControlledBy(&deps.Items[i], svc) {
			res = append(res, &deps.Items[i])
		}
	}
	ds := &appsv1.DaemonSet{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: translate.DeploymentName(svc)}, ds)
	if client.IgnoreNotFound(err) != nil {
		return nil, fmt.Errorf("get DaemonSet: %w", err)
	}
	if err == nil && metav1.IsControlledBy(ds, svc) {
		res = append(res, ds)
	}
	return res, nil
}
