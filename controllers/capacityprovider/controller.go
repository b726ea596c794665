// Package capacityprovider runs capacity providers as node pools: it
// reports each pool as ECS shows a capacity provider and its container
// instances; with the kwok provisioner it gives each task of a FARGATE or
// FARGATE_SPOT pool a right-sized node of its own and runs managed scaling
// (CapacityProviderReservation) on EC2-style pools; it carries out Spot
// interruptions and accrues the cost of Fargate tasks.
package capacityprovider

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/translate"
)

// Name is the controller's name in logs and metrics.
const Name = "capacityprovider"

// FieldOwner is the field manager of the controller's writes.
const FieldOwner = "berth/capacityprovider"

// DefaultCostInterval is how often the cost of a Fargate pool's running
// tasks is accrued.
const DefaultCostInterval = time.Minute

// Reconciler reconciles CapacityProviders.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Clock    clock.PassiveClock
	Account  names.Account
	Options  controller.Options
	// CostInterval is how often cost is accrued (0: DefaultCostInterval).
	CostInterval time.Duration
	// APIReader reads past the cache: before an idle task node is deleted,
	// whether a pod was just bound to it. Nil: the Client.
	APIReader client.Reader

	throttle patch.Throttle
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=capacityproviders,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=capacityproviders/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=core,resources=nodes,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.throttle.Interval = statusInterval
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
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.byPod)).
		Complete(r)
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

// Reconcile observes the pool, provisions or scales it, carries out Spot
// interruptions, accrues cost, and writes the status once.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cp := &ecsv1alpha1.CapacityProvider{}
	if err := r.Client.Get(ctx, req.NamespacedName, cp); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("capacityProvider", klog.KObj(cp)))
	now := r.Clock.Now()
	if wait := r.throttle.Wait(cp.Name, now); wait > 0 && !acts(cp) {
		// A pool Berth only observes is looked at (and written) at most
		// every statusInterval: its task counts change with every task.
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	stored := cp.DeepCopy()
	p, err := r.observe(ctx, cp)
	var recheck time.Duration
	if err == nil {
		recheck, err = r.act(ctx, p, now)
	}
	if p != nil {
		SetStatus(cp, p, r.Account)
		if c, next := accrueCost(cp, stored.Status.Cost, p, now, r.costInterval()); c != nil {
			cp.Status.Cost = c
			recheck = shortestPositive(recheck, next)
		}
	}
	if err != nil {
		conditions.SetUnknown(&cp.Status.Conditions, cp.Generation, ecsv1alpha1.ConditionReady, ecsv1alpha1.ReasonInternalError, err.Error())
	}
	if wait := r.throttle.Wait(cp.Name, now); wait > 0 && !equality.Semantic.DeepEqual(stored.Status, cp.Status) {
		// Task counts change with every task start; a busy pool's status is
		// written at most every statusInterval.
		return ctrl.Result{RequeueAfter: shortestPositive(recheck, wait)}, err
	}
	wrote, perr := patch.Status(ctx, r.Client, stored, cp)
	if perr != nil {
		err = errors.Join(err, perr)
	}
	if wrote {
		r.throttle.Wrote(cp.Name, now)
	}
	return ctrl.Result{RequeueAfter: recheck}, err
}

// statusInterval is the least time between two status writes of a pool.
const statusInterval = 2 * time.Second

// observe reads the pool's nodes and the pods of Berth's tasks.
func (r *Reconciler) observe(ctx context.Context, cp *ecsv1alpha1.CapacityProvider) (*pool, error) {
	var nodes corev1.NodeList
	sel := client.MatchingLabels{ecsv1alpha1.LabelCapacityProvider: cp.Name}
	for k, v := range cp.Spec.NodePool.NodeLabels {
		sel[k] = v
	}
	if err := r.Client.List(ctx, &nodes, sel); err != nil {
		return nil, fmt.Errorf("list nodes of %s: %w", cp.Name, err)
	}
	var pods corev1.PodList
	// Read-only: the cached pods are not copied (10,000 tasks would be
	// copied on every reconcile); a pod to be changed is copied first.
	if err := r.Client.List(ctx, &pods, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	return newPool(cp, nodes.Items, pods.Items), nil
}

// act provisions the pool (kwok), runs managed scaling and carries out
// Spot interruptions.
func (r *Reconciler) act(ctx context.Context, p *pool, now time.Time) (time.Duration, error) {
	cp := p.cp
	reclaim, err := r.interrupt(ctx, p, now)
	if err != nil {
		return 0, err
	}
	switch {
	case isFargate(cp) && cp.Spec.NodePool.Provisioner == ecsv1alpha1.NodeProvisionerKwok:
		recheck, err := r.provisionFargate(ctx, p, now)
		return shortestPositive(reclaim, recheck), err
	case managedScaling(cp):
		st, recheck, err := r.scaleEC2(ctx, p, now)
		cp.Status.ManagedScaling = st
		return shortestPositive(reclaim, recheck), err
	}
	cp.Status.ManagedScaling = nil
	return reclaim, nil
}

// acts tells whether the controller creates or deletes the pool's nodes.
func acts(cp *ecsv1alpha1.CapacityProvider) bool {
	return cp.Spec.NodePool.Provisioner == ecsv1alpha1.NodeProvisionerKwok || managedScaling(cp)
}

func isFargate(cp *ecsv1alpha1.CapacityProvider) bool {
	return cp.Spec.Type == ecsv1alpha1.CapacityProviderFargate || cp.Spec.Type == ecsv1alpha1.CapacityProviderFargateSpot
}

func managedScaling(cp *ecsv1alpha1.CapacityProvider) bool {
	asg := cp.Spec.AutoScalingGroupProvider
	return cp.Spec.Type == ecsv1alpha1.CapacityProviderEC2AutoScaling && asg != nil && asg.ManagedScaling != nil &&
		asg.ManagedScaling.Status == ecsv1alpha1.ManagedScalingStatusEnabled
}

// SetStatus derives a capacity provider's status from its pool.
func SetStatus(cp *ecsv1alpha1.CapacityProvider, p *pool, acct names.Account) {
	name := cp.Spec.Name
	if name == "" {
		name = cp.Name
	}
	st := &cp.Status
	st.Name = name
	st.CapacityProviderArn = acct.CapacityProviderArn(name)
	st.Status = "ACTIVE"
	ready := int32(0)
	for _, n := range p.nodes {
		if nodeReady(n) {
			ready++
		}
	}
	st.Nodes = ptr.To(int32(len(p.nodes)))
	st.ReadyNodes = ptr.To(ready)
	st.RegisteredContainerInstancesCount = ptr.To(int32(len(p.nodes)))
	var runningTasks, pendingTasks int32
	st.ContainerInstances, runningTasks, pendingTasks = p.containerInstances()
	st.RunningTasksCount, st.PendingTasksCount = ptr.To(runningTasks), ptr.To(pendingTasks)
	msg := fmt.Sprintf("ACTIVE with %d of %d nodes Ready", ready, len(p.nodes))
	if ms := st.ManagedScaling; ms != nil {
		msg += fmt.Sprintf("; CapacityProviderReservation %d%% (%d instances needed, %d desired)", ms.CapacityProviderReservation, ms.InstancesNeeded, ms.DesiredInstances)
	}
	conditions.Summarize(&st.Conditions, cp.Generation, conditions.Ready, ecsv1alpha1.ReasonSucceeded, msg)
	st.ObservedGeneration = cp.Generation
}

// accrueCost brings a Fargate pool's cost up to date, at most once a
// minute; it returns nil for other pools, and when to accrue next.
func accrueCost(cp *ecsv1alpha1.CapacityProvider, prev *ecsv1alpha1.Cost, p *pool, now time.Time, costInterval time.Duration) (*ecsv1alpha1.Cost, time.Duration) {
	if !isFargate(cp) {
		return nil, 0
	}
	tasks := p.runningTasks()
	if prev != nil && prev.AccruedAt != nil {
		if wait := prev.AccruedAt.Add(costInterval).Sub(now); wait > 0 {
			return prev, wait
		}
	}
	c, err := accrue(cp, prev, tasks, now)
	if err != nil {
		// A figure that does not parse (edited by hand) starts over.
		c, _ = accrue(cp, nil, tasks, now)
	}
	if len(tasks) == 0 {
		return c, 0
	}
	return c, costInterval
}

func (r *Reconciler) costInterval() time.Duration {
	if r.CostInterval > 0 {
		return r.CostInterval
	}
	return DefaultCostInterval
}
