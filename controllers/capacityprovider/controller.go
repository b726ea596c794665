// Package capacityprovider runs capacity providers as node pools, with one
// controller per job, each the only writer of what it owns:
//
//   - status (controller "capacityprovider"): the pool as ECS shows a
//     capacity provider and its container instances, status.* except
//     managedScaling and cost;
//   - fargate provisioning ("fargateprovisioner"): a right-sized node of
//     its own for each task of a FARGATE or FARGATE_SPOT pool, and the
//     removal of idle ones (nodes);
//   - managed scaling ("managedscaling"): CapacityProviderReservation on
//     EC2-style pools (nodes, status.managedScaling);
//   - Spot interruption ("spotinterruption"): reclaimed nodes' tasks
//     stopped with the two-minute warning, then the nodes (pods, nodes);
//   - cost ("capacitycost"): the accrued cost of Fargate tasks
//     (status.cost).
//
// Nodes are made and removed through a provision.Provisioner (kwok's on
// the local control plane), and removed behind a fence (removeNode).
package capacityprovider

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/provision"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/translate"
)

// Name is the status controller's name in logs and metrics.
const Name = "capacityprovider"

// FieldOwner is the field manager of the controllers' writes.
const FieldOwner = "berth/capacityprovider"

// DefaultCostInterval is how often the cost of a Fargate pool's running
// tasks is accrued.
const DefaultCostInterval = time.Minute

// Reconciler is what the capacity provider controllers share;
// SetupWithManager registers the five of them.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Clock    clock.PassiveClock
	Account  names.Account
	Options  controller.Options
	// CostInterval is how often cost is accrued (0: DefaultCostInterval).
	CostInterval time.Duration
	// APIReader reads past the cache (a node and its pods before the node
	// is removed, a pool's nodes before it grows). Nil: the Client.
	APIReader client.Reader
	// Provisioners make the nodes of pools, by spec.nodePool.provisioner;
	// a pool whose provisioner has none is only observed.
	Provisioners map[ecsv1alpha1.NodeProvisioner]provision.Provisioner
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=capacityproviders,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=capacityproviders/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=core,resources=nodes,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the five controllers.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	byNode := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		if pool := o.GetLabels()[ecsv1alpha1.LabelCapacityProvider]; pool != "" {
			return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: pool}}}
		}
		return nil
	})
	byPod := handler.EnqueueRequestsFromMapFunc(r.byPod)
	pools := func(keep func(*ecsv1alpha1.CapacityProvider) bool) builder.ForOption {
		return builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			cp, ok := o.(*ecsv1alpha1.CapacityProvider)
			return ok && keep(cp)
		}))
	}
	all := func(*ecsv1alpha1.CapacityProvider) bool { return true }
	controllers := []struct {
		name    string
		r       reconcile.Reconciler
		keep    func(*ecsv1alpha1.CapacityProvider) bool
		watches bool
	}{
		{Name, &statusReconciler{Reconciler: r, throttle: newThrottle()}, all, true},
		{"fargateprovisioner", &fargateReconciler{r}, r.provisionsFargate, true},
		{"managedscaling", &scalingReconciler{r}, func(cp *ecsv1alpha1.CapacityProvider) bool {
			return cp.Spec.Type == ecsv1alpha1.CapacityProviderEC2AutoScaling
		}, true},
		{"spotinterruption", &spotReconciler{r}, all, true},
		{"capacitycost", &costReconciler{r}, isFargate, false},
	}
	for _, c := range controllers {
		b := ctrl.NewControllerManagedBy(mgr).Named(c.name).WithOptions(r.Options).
			For(&ecsv1alpha1.CapacityProvider{}, pools(c.keep))
		if c.watches {
			b = b.Watches(&corev1.Node{}, byNode).Watches(&corev1.Pod{}, byPod)
		}
		if err := b.Complete(c.r); err != nil {
			return fmt.Errorf("controller %s: %w", c.name, err)
		}
	}
	return nil
}

// byPod enqueues the pools a pod may run on and the pool of its node.
func (r *Reconciler) byPod(ctx context.Context, o client.Object) []reconcile.Request {
	pod, ok := o.(*corev1.Pod)
	if !ok {
		return nil
	}
	seen := map[string]bool{}
	var reqs []reconcile.Request
	add := func(pool string) {
		if pool != "" && !seen[pool] {
			seen[pool] = true
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKey{Name: pool}})
		}
	}
	for _, p := range translate.PodPools(pod) {
		add(p)
	}
	if pod.Spec.NodeName != "" {
		var n corev1.Node
		if err := r.Client.Get(ctx, client.ObjectKey{Name: pod.Spec.NodeName}, &n, client.UnsafeDisableDeepCopy); err == nil {
			add(n.Labels[ecsv1alpha1.LabelCapacityProvider])
		}
	}
	return reqs
}

// get reads a capacity provider; nil when it is gone.
func (r *Reconciler) get(ctx context.Context, req ctrl.Request) (*ecsv1alpha1.CapacityProvider, error) {
	cp := &ecsv1alpha1.CapacityProvider{}
	if err := r.Client.Get(ctx, req.NamespacedName, cp); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return cp, nil
}

// observe reads the pool's nodes, the pods bound to them and the pods that
// may run on the pool (the pod index by pool).
func (r *Reconciler) observe(ctx context.Context, cp *ecsv1alpha1.CapacityProvider) (*pool, error) {
	nodes, err := r.poolNodes(ctx, cp)
	if err != nil {
		return nil, err
	}
	// Read-only: the cached pods are not copied; a pod to be changed is
	// copied first.
	var pods []corev1.Pod
	seen := map[string]bool{}
	add := func(list *corev1.PodList) {
		for i := range list.Items {
			if uid := string(list.Items[i].UID); !seen[uid] {
				seen[uid] = true
				pods = append(pods, list.Items[i])
			}
		}
	}
	var mayRun corev1.PodList
	if err := r.Client.List(ctx, &mayRun, client.MatchingFields{resolve.IndexPool: cp.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list pods of %s: %w", cp.Name, err)
	}
	add(&mayRun)
	for i := range nodes.Items {
		var bound corev1.PodList
		if err := r.Client.List(ctx, &bound, client.MatchingFields{resolve.IndexNodeName: nodes.Items[i].Name}, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("list pods on node %s: %w", nodes.Items[i].Name, err)
		}
		add(&bound)
	}
	return newPool(cp, nodes.Items, pods), nil
}

// poolNodes lists the pool's nodes.
func (r *Reconciler) poolNodes(ctx context.Context, cp *ecsv1alpha1.CapacityProvider) (*corev1.NodeList, error) {
	var nodes corev1.NodeList
	sel := client.MatchingLabels{ecsv1alpha1.LabelCapacityProvider: cp.Name}
	for k, v := range cp.Spec.NodePool.NodeLabels {
		sel[k] = v
	}
	if err := r.Client.List(ctx, &nodes, sel); err != nil {
		return nil, fmt.Errorf("list nodes of %s: %w", cp.Name, err)
	}
	return &nodes, nil
}

// provisioner is the pool's node provisioner, or nil when Berth only
// observes its nodes.
func (r *Reconciler) provisioner(cp *ecsv1alpha1.CapacityProvider) provision.Provisioner {
	return r.Provisioners[cp.Spec.NodePool.Provisioner]
}

// provisionsFargate: a Fargate pool whose nodes Berth makes.
func (r *Reconciler) provisionsFargate(cp *ecsv1alpha1.CapacityProvider) bool {
	return isFargate(cp) && r.provisioner(cp) != nil
}

func isFargate(cp *ecsv1alpha1.CapacityProvider) bool {
	return cp.Spec.Type == ecsv1alpha1.CapacityProviderFargate || cp.Spec.Type == ecsv1alpha1.CapacityProviderFargateSpot
}

func managedScaling(cp *ecsv1alpha1.CapacityProvider) bool {
	asg := cp.Spec.AutoScalingGroupProvider
	return cp.Spec.Type == ecsv1alpha1.CapacityProviderEC2AutoScaling && asg != nil && asg.ManagedScaling != nil &&
		asg.ManagedScaling.Status == ecsv1alpha1.ManagedScalingStatusEnabled
}

func (r *Reconciler) costInterval() time.Duration {
	if r.CostInterval > 0 {
		return r.CostInterval
	}
	return DefaultCostInterval
}

func shortestPositive(a, b time.Duration) time.Duration {
	if a == 0 || (b > 0 && b < a) {
		return b
	}
	return a
}
