package capacityprovider

import (
	"context"
	"time"

	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/patch"
)

// fargateReconciler gives each pending task of a Fargate pool a node of
// its own and removes idle ones: it writes nodes only.
type fargateReconciler struct{ *Reconciler }

func (r *fargateReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cp, err := r.get(ctx, req)
	if cp == nil || err != nil || !r.provisionsFargate(cp) {
		return ctrl.Result{}, err
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("capacityProvider", klog.KObj(cp)))
	p, err := r.observe(ctx, cp)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.adopt(ctx, p); err != nil {
		return ctrl.Result{}, err
	}
	recheck, err := r.provisionFargate(ctx, p, r.Clock.Now())
	return ctrl.Result{RequeueAfter: recheck}, err
}

// scalingReconciler runs managed scaling on an EC2-style pool: the only
// writer of status.managedScaling, and of the pool's nodes.
type scalingReconciler struct{ *Reconciler }

func (r *scalingReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cp, err := r.get(ctx, req)
	if cp == nil || err != nil {
		return ctrl.Result{}, err
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("capacityProvider", klog.KObj(cp)))
	stored := cp.DeepCopy()
	var recheck time.Duration
	var p *pool
	if managedScaling(cp) || (!isFargate(cp) && r.provisioner(cp) != nil) {
		if p, err = r.observe(ctx, cp); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.adopt(ctx, p); err != nil {
			return ctrl.Result{}, err
		}
	}
	if !managedScaling(cp) {
		cp.Status.ManagedScaling = nil
	} else {
		var st *ecsv1alpha1.ManagedScalingState
		st, recheck, err = r.scaleEC2(ctx, p, r.Clock.Now())
		if err != nil {
			return ctrl.Result{}, err
		}
		cp.Status.ManagedScaling = st
	}
	_, err = patch.OwnedStatus(ctx, r.Client, stored, cp)
	return ctrl.Result{RequeueAfter: recheck}, err
}

// spotReconciler carries out Spot interruptions on the pool's nodes
// annotated for one: it writes their pods (the stop code, the deletion)
// and removes the nodes.
type spotReconciler struct{ *Reconciler }

func (r *spotReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cp, err := r.get(ctx, req)
	if cp == nil || err != nil {
		return ctrl.Result{}, err
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("capacityProvider", klog.KObj(cp)))
	// Every pod event of the pool lands here: the pods are read only when
	// one of its nodes is being interrupted.
	nodes, err := r.poolNodes(ctx, cp)
	if err != nil || !anyInterrupted(nodes.Items) {
		return ctrl.Result{}, err
	}
	p, err := r.observe(ctx, cp)
	if err != nil {
		return ctrl.Result{}, err
	}
	recheck, err := r.interrupt(ctx, p, r.Clock.Now())
	return ctrl.Result{RequeueAfter: recheck}, err
}

// costReconciler accrues the cost of a Fargate pool's running tasks every
// CostInterval: the only writer of status.cost.
type costReconciler struct{ *Reconciler }

func (r *costReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cp, err := r.get(ctx, req)
	if cp == nil || err != nil || !isFargate(cp) {
		return ctrl.Result{}, err
	}
	p, err := r.observe(ctx, cp)
	if err != nil {
		return ctrl.Result{}, err
	}
	stored := cp.DeepCopy()
	c, next := accrueCost(cp, stored.Status.Cost, p, r.Clock.Now(), r.costInterval())
	cp.Status.Cost = c
	_, err = patch.OwnedStatus(ctx, r.Client, stored, cp)
	return ctrl.Result{RequeueAfter: next}, err
}
