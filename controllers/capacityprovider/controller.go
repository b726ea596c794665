// Package capacityprovider reports a capacity provider's status: its ECS
// name and ARN and the nodes of its pool. Scaling the pool comes later.
package capacityprovider

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/patch"
)

// Name is the controller's name in logs and metrics.
const Name = "capacityprovider"

// Reconciler reconciles CapacityProviders.
type Reconciler struct {
	Client  client.Client
	Account names.Account
	Options controller.Options
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=capacityproviders,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=capacityproviders/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=core,resources=nodes,verbs=get;list;watch

// SetupWithManager registers the controller and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&ecsv1alpha1.CapacityProvider{}).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			if pool := o.GetLabels()[ecsv1alpha1.LabelCapacityProvider]; pool != "" {
				return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: pool}}}
			}
			return nil
		})).
		Complete(r)
}

// Reconcile computes the capacity provider's status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cp := &ecsv1alpha1.CapacityProvider{}
	if err := r.Client.Get(ctx, req.NamespacedName, cp); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("capacityProvider", klog.KObj(cp)))
	stored := cp.DeepCopy()
	var nodes corev1.NodeList
	sel := client.MatchingLabels{ecsv1alpha1.LabelCapacityProvider: cp.Name}
	for k, v := range cp.Spec.NodePool.NodeLabels {
		sel[k] = v
	}
	err := r.Client.List(ctx, &nodes, sel)
	if err != nil {
		err = fmt.Errorf("list nodes of %s: %w", cp.Name, err)
		conditions.SetUnknown(&cp.Status.Conditions, cp.Generation, ecsv1alpha1.ConditionReady, ecsv1alpha1.ReasonInternalError, err.Error())
	} else {
		SetStatus(cp, nodes.Items, r.Account)
	}
	if _, perr := patch.Status(ctx, r.Client, stored, cp); perr != nil && err == nil {
		err = perr
	}
	return ctrl.Result{}, err
}

// SetStatus derives a capacity provider's status from its nodes.
func SetStatus(cp *ecsv1alpha1.CapacityProvider, nodes []corev1.Node, acct names.Account) {
	name := cp.Spec.Name
	if name == "" {
		name = cp.Name
	}
	cp.Status.Name = name
	cp.Status.CapacityProviderArn = acct.CapacityProviderArn(name)
	cp.Status.Status = "ACTIVE"
	ready := int32(0)
	for _, n := range nodes {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready++
			}
		}
	}
	cp.Status.Nodes = ptr.To(int32(len(nodes)))
	cp.Status.ReadyNodes = ptr.To(ready)
	conditions.Summarize(&cp.Status.Conditions, cp.Generation, conditions.Ready, ecsv1alpha1.ReasonSucceeded,
		fmt.Sprintf("ACTIVE with %d of %d nodes Ready", ready, len(nodes)))
	cp.Status.ObservedGeneration = cp.Generation
}
