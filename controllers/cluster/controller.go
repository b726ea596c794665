// Package cluster reports an ECS cluster's status: its name, ARN, and
// whether its capacity providers exist.
package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/klog/v2"
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
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/watch"
)

// Name is the controller's name in logs and metrics.
const Name = "cluster"

// Reconciler reconciles Clusters.
type Reconciler struct {
	Client  client.Client
	Account names.Account
	Options controller.Options
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=clusters/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=capacityproviders,verbs=get;list;watch

// SetupWithManager registers the controller and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&ecsv1alpha1.Cluster{}).
		Watches(&ecsv1alpha1.CapacityProvider{}, handler.EnqueueRequestsFromMapFunc(r.all)).
		Complete(r)
}

func (r *Reconciler) all(ctx context.Context, _ client.Object) []reconcile.Request {
	var list ecsv1alpha1.ClusterList
	if err := r.Client.List(ctx, &list); err != nil {
		return nil
	}
	return watch.Requests(list.Items, nil)
}

// Reconcile computes the cluster's status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cl := &ecsv1alpha1.Cluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, cl); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("cluster", klog.KObj(cl)))
	stored := cl.DeepCopy()
	cps, err := resolve.CapacityProviders(ctx, r.Client)
	if err != nil {
		conditions.SetUnknown(&cl.Status.Conditions, cl.Generation, ecsv1alpha1.ConditionCapacityProviderReady, ecsv1alpha1.ReasonInternalError, err.Error())
	} else {
		SetStatus(cl, cps, r.Account)
	}
	if _, perr := patch.Status(ctx, r.Client, stored, cl); perr != nil && err == nil {
		err = perr
	}
	return ctrl.Result{}, err
}

// SetStatus derives a Cluster's status from the capacity providers that exist.
func SetStatus(cl *ecsv1alpha1.Cluster, cps map[string]*ecsv1alpha1.CapacityProvider, acct names.Account) {
	name := cl.Spec.ClusterName
	if name == "" {
		name = cl.Name
	}
	cl.Status.ClusterName = name
	cl.Status.ClusterArn = acct.ClusterArn(name)
	cl.Status.Status = "ACTIVE"
	var missing []string
	for _, ref := range cl.Spec.CapacityProviders {
		if _, ok := cps[names.ObjectName(ref)]; !ok {
			missing = append(missing, ref)
		}
	}
	sort.Strings(missing)
	gen := cl.Generation
	if len(missing) > 0 {
		msg := fmt.Sprintf("The specified capacity provider does not exist: %s (no CapacityProvider objects %s)", strings.Join(missing, ", "), objectNames(missing))
		conditions.Set(&cl.Status.Conditions, gen, ecsv1alpha1.ConditionCapacityProviderReady, false, ecsv1alpha1.ReasonCapacityProviderNotFound, msg)
		conditions.Summarize(&cl.Status.Conditions, gen, conditions.Stalled, ecsv1alpha1.ReasonCapacityProviderNotFound, msg)
	} else {
		conditions.Set(&cl.Status.Conditions, gen, ecsv1alpha1.ConditionCapacityProviderReady, true, ecsv1alpha1.ReasonSucceeded,
			fmt.Sprintf("%d capacity providers associated", len(cl.Spec.CapacityProviders)))
		conditions.Summarize(&cl.Status.Conditions, gen, conditions.Ready, ecsv1alpha1.ReasonSucceeded, "The cluster is ACTIVE")
	}
	cl.Status.ObservedGeneration = gen
}

func objectNames(refs []string) string {
	res := make([]string, len(refs))
	for i, r := range refs {
		res[i] = fmt.Sprintf("%q", names.ObjectName(r))
	}
	return strings.Join(res, ", ")
}
