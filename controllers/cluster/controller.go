// Package cluster reports an ECS cluster's status as DescribeClusters
// shows it: name, ARN, its capacity providers, task and service counts and
// statistics, container instances and the cost of its Fargate tasks; and
// defers the deletion of a cluster that still has services or tasks, as
// ECS refuses it.
package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/capacity"
	"github.com/berth-dev/berth/internal/compat"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
	"github.com/berth-dev/berth/internal/watch"
)

// Name is the controller's name in logs and metrics.
const Name = "cluster"

// FieldOwner is the field manager of the controller's writes.
const FieldOwner = "berth/cluster"

// FinalizerInUse keeps a deleted Cluster while services or tasks use it.
const FinalizerInUse = "ecs.berth.dev/cluster-in-use"

// ConditionDeleting is True while a deleted cluster waits for its services
// and tasks to go.
const ConditionDeleting = "Deleting"

// statusInterval is the least time between two status writes of a
// cluster whose task counts keep changing.
const statusInterval = 2 * time.Second

// Reconciler reconciles Clusters.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Clock    clock.PassiveClock
	Account  names.Account
	Options  controller.Options

	throttle patch.Throttle
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=clusters,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=clusters/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=clusters/finalizers,verbs=update
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=capacityproviders;services;tasks,verbs=get;list;watch
// +kubebuilder:rbac:groups=core,resources=pods;nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.throttle.Interval = statusInterval
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&ecsv1alpha1.Cluster{}).
		Watches(&ecsv1alpha1.CapacityProvider{}, handler.EnqueueRequestsFromMapFunc(r.all)).
		Watches(&ecsv1alpha1.Service{}, handler.EnqueueRequestsFromMapFunc(byRef)).
		Watches(&ecsv1alpha1.Task{}, handler.EnqueueRequestsFromMapFunc(byRef)).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(byPod)).
		Complete(r)
}

func (r *Reconciler) all(ctx context.Context, _ client.Object) []reconcile.Request {
	var list ecsv1alpha1.ClusterList
	if err := r.Client.List(ctx, &list); err != nil {
		return nil
	}
	return watch.Requests(list.Items, nil)
}

// byRef enqueues the cluster a Service or Task names.
func byRef(_ context.Context, o client.Object) []reconcile.Request {
	var ref string
	switch x := o.(type) {
	case *ecsv1alpha1.Service:
		ref = x.Spec.Cluster
	case *ecsv1alpha1.Task:
		ref = x.Spec.Cluster
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: names.ObjectName(names.ClusterName(ref))}}}
}

// byPod enqueues the cluster of a task's pod.
func byPod(_ context.Context, o client.Object) []reconcile.Request {
	if c := o.GetLabels()[ecsv1alpha1.LabelCluster]; c != "" {
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: c}}}
	}
	return nil
}

// Reconcile computes the cluster's status, and lets a deleted cluster go
// once no service or task uses it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cl := &ecsv1alpha1.Cluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, cl); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("cluster", klog.KObj(cl)))
	if cl.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(cl, FinalizerInUse) {
		// The status is written in the same reconcile: every object has
		// one from its first.
		if wrote, err := patch.AddFinalizer(ctx, r.Client, cl, FinalizerInUse, client.FieldOwner(FieldOwner)); err != nil || !wrote {
			return ctrl.Result{}, err // not written: the newer version reconciles again
		}
	}
	now := r.Clock.Now()
	if wait := r.throttle.Wait(req.String(), now); wait > 0 && cl.DeletionTimestamp.IsZero() {
		// Counts change with every task: a busy cluster is looked at (and
		// written) at most every statusInterval.
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	stored := cl.DeepCopy()
	u, err := r.usage(ctx, cl)
	if err != nil {
		conditions.SetUnknown(&cl.Status.Conditions, cl.Generation, ecsv1alpha1.ConditionReady, ecsv1alpha1.ReasonInternalError, err.Error())
		_, _ = patch.Status(ctx, r.Client, stored, cl)
		return ctrl.Result{}, err
	}
	SetStatus(cl, u, r.Account)
	if !cl.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, cl, stored, u)
	}
	wrote, err := patch.Status(ctx, r.Client, stored, cl)
	if wrote {
		r.throttle.Wrote(req.String(), now)
	}
	return ctrl.Result{}, err
}

// reconcileDelete: ECS refuses to delete a cluster with active services
// (ClusterContainsServicesException) or tasks
// (ClusterContainsTasksException). Kubernetes cannot refuse a deletion
// without a webhook, so the cluster stays, saying why, until they are gone.
func (r *Reconciler) reconcileDelete(ctx context.Context, cl, stored *ecsv1alpha1.Cluster, u *usage) (ctrl.Result, error) {
	var msg, reason string
	switch {
	case u.services > 0:
		reason, msg = ReasonClusterContainsServices, fmt.Sprintf("ClusterContainsServicesException: The Cluster cannot be deleted while Services are active (%d); delete them first", u.services)
	case u.draining > 0:
		reason, msg = ReasonClusterContainsServices, fmt.Sprintf("ClusterContainsServicesException: The Cluster cannot be deleted while Services are DRAINING (%d); it goes once their tasks have stopped", u.draining)
	case u.tasks+u.serviceTasks > 0:
		reason, msg = ReasonClusterContainsTasks, fmt.Sprintf("ClusterContainsTasksException: The Cluster cannot be deleted while Tasks are active (%d); stop them first", u.tasks+u.serviceTasks)
	}
	if msg == "" {
		wrote, err := patch.RemoveFinalizer(ctx, r.Client, cl, FinalizerInUse, client.FieldOwner(FieldOwner))
		if wrote {
			logf.FromContext(ctx).Info("Deleted cluster: no service or task uses it")
		}
		return ctrl.Result{}, err
	}
	conditions.Set(&cl.Status.Conditions, cl.Generation, ConditionDeleting, true, reason, msg)
	conditions.Summarize(&cl.Status.Conditions, cl.Generation, conditions.Progressing, reason, msg)
	if c := meta.FindStatusCondition(stored.Status.Conditions, ConditionDeleting); c == nil || c.Reason != reason {
		r.Recorder.Eventf(cl, nil, corev1.EventTypeWarning, reason, "Delete", "%s", msg)
	}
	_, err := patch.Status(ctx, r.Client, stored, cl)
	return ctrl.Result{}, err
}

// Reasons of a deleted Cluster that stays.
const (
	ReasonClusterContainsServices = "ClusterContainsServices"
	ReasonClusterContainsTasks    = "ClusterContainsTasks"
)

// usage is what uses a cluster.
type usage struct {
	cps map[string]*ecsv1alpha1.CapacityProvider
	// services are ACTIVE services, draining DRAINING ones (deleted, their
	// tasks stopping); tasks are standalone tasks not STOPPED;
	// serviceTasks are the pods of services' tasks that still exist,
	// stopping ones included.
	services, draining, tasks, serviceTasks int
	stats                                   map[string]int32
	byProvider                              map[string][2]int32
	running                                 int32
	pending                                 int32
	instances                               int32
	cost                                    *ecsv1alpha1.CostFigures
}

// Statistics' names, in DescribeClusters' order.
var statNames = []string{
	"runningEC2TasksCount", "runningFargateTasksCount", "pendingEC2TasksCount", "pendingFargateTasksCount",
	"activeEC2ServiceCount", "activeFargateServiceCount", "drainingEC2ServiceCount", "drainingFargateServiceCount",
}

func (r *Reconciler) usage(ctx context.Context, cl *ecsv1alpha1.Cluster) (*usage, error) {
	u := &usage{stats: map[string]int32{}, byProvider: map[string][2]int32{}}
	var err error
	if u.cps, err = resolve.CapacityProviders(ctx, r.Client); err != nil {
		return nil, err
	}
	// The lists are read-only: the cached objects are not copied.
	in, byCluster := client.InNamespace(cl.Namespace), client.MatchingFields{resolve.IndexCluster: cl.Name}
	var svcs ecsv1alpha1.ServiceList
	if err := r.Client.List(ctx, &svcs, in, byCluster, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list Services: %w", err)
	}
	for i := range svcs.Items {
		u.addService(&svcs.Items[i])
	}
	var tasks ecsv1alpha1.TaskList
	if err := r.Client.List(ctx, &tasks, in, byCluster, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list Tasks: %w", err)
	}
	for _, t := range tasks.Items {
		if t.Status.LastStatus != ecsv1alpha1.TaskStopped {
			u.tasks++
		}
	}
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, in, client.MatchingLabels{ecsv1alpha1.LabelCluster: cl.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	for i := range pods.Items {
		if pods.Items[i].Labels[ecsv1alpha1.LabelService] != "" {
			u.serviceTasks++
		}
		u.addPod(&pods.Items[i])
	}
	u.instances, u.cost = fromProviders(cl, u.cps)
	return u, nil
}

// fargate tells whether pools are Fargate capacity.
func (u *usage) fargate(pools []string) bool {
	for _, p := range pools {
		if cp := u.cps[p]; cp != nil && cp.Spec.Type != ecsv1alpha1.CapacityProviderEC2AutoScaling {
			return true
		}
	}
	return false
}

// addService counts an ACTIVE or DRAINING service.
func (u *usage) addService(s *ecsv1alpha1.Service) {
	kind := "EC2"
	var pools []string
	for _, n := range s.Status.CapacityProviders {
		pools = append(pools, names.ObjectName(n))
	}
	if s.Spec.LaunchType == ecsv1alpha1.LaunchTypeFargate || u.fargate(pools) {
		kind = "Fargate"
	}
	if s.DeletionTimestamp.IsZero() {
		u.services++
		u.stats["active"+kind+"ServiceCount"]++
	} else {
		u.draining++
		u.stats["draining"+kind+"ServiceCount"]++
	}
}

// addPod counts a task that is not stopping and has not finished, by
// launch type and provider.
func (u *usage) addPod(p *corev1.Pod) {
	if taskstate.Stopping(p) || taskstate.Finished(p) {
		return
	}
	kind := "EC2"
	pools := translate.PodPools(p)
	if u.fargate(pools) {
		kind = "Fargate"
	}
	var pool string
	if len(pools) > 0 {
		pool = pools[0]
	}
	counts := u.byProvider[pool]
	if p.Status.Phase == corev1.PodRunning {
		u.running++
		u.stats["running"+kind+"TasksCount"]++
		counts[0]++
	} else {
		u.pending++
		u.stats["pending"+kind+"TasksCount"]++
		counts[1]++
	}
	u.byProvider[pool] = counts
}

// fromProviders sums the container instances of the cluster's EC2-style
// providers and the cost of its Fargate tasks.
func fromProviders(cl *ecsv1alpha1.Cluster, cps map[string]*ecsv1alpha1.CapacityProvider) (int32, *ecsv1alpha1.CostFigures) {
	var instances int32
	var total capacity.Usage
	var dollars float64
	costed := false
	for _, ref := range cl.Spec.CapacityProviders {
		cp := cps[names.ObjectName(ref)]
		if cp == nil {
			continue
		}
		if cp.Spec.Type == ecsv1alpha1.CapacityProviderEC2AutoScaling {
			instances += ptr.Deref(cp.Status.RegisteredContainerInstancesCount, 0)
		}
		if cp.Status.Cost == nil {
			continue
		}
		for _, e := range cp.Status.Cost.ByService {
			if e.Namespace != cl.Namespace || e.Cluster != cl.Name {
				continue
			}
			v, err1 := capacity.ParseFigure(e.VCPUSeconds)
			g, err2 := capacity.ParseFigure(e.GBSeconds)
			d, err3 := capacity.ParseFigure(e.EstimatedCostUSD)
			if err1 != nil || err2 != nil || err3 != nil {
				continue
			}
			total = total.Add(capacity.Usage{VCPUSeconds: v, GBSeconds: g})
			dollars += d
			costed = true
		}
	}
	if !costed {
		return instances, nil
	}
	return instances, &ecsv1alpha1.CostFigures{VCPUSeconds: capacity.Format(total.VCPUSeconds, 3),
		GBSeconds: capacity.Format(total.GBSeconds, 3), EstimatedCostUSD: capacity.Format(dollars, 6)}
}

// maxStatusProviders is the most entries status.capacityProviders holds
// (its schema's maxItems; ECS's quota of capacity providers per cluster),
// maxProviderName the longest name (a capacity provider's, 255).
const (
	maxStatusProviders = 20
	maxProviderName    = 255
)

// SetStatus derives a Cluster's status.
func SetStatus(cl *ecsv1alpha1.Cluster, u *usage, acct names.Account) {
	name := cl.Spec.ClusterName
	if name == "" {
		name = cl.Name
	}
	st := &cl.Status
	st.ClusterName = name
	st.ClusterArn = acct.ClusterArn(name)
	st.Status = "ACTIVE"
	st.RegisteredContainerInstancesCount = ptr.To(u.instances)
	st.RunningTasksCount, st.PendingTasksCount = ptr.To(u.running), ptr.To(u.pending)
	st.ActiveServicesCount = ptr.To(int32(u.services))
	st.Statistics = make([]ecsv1alpha1.KeyValuePair, len(statNames))
	for i, n := range statNames {
		st.Statistics[i] = ecsv1alpha1.KeyValuePair{Name: n, Value: fmt.Sprint(u.stats[n])}
	}
	st.Cost = u.cost
	st.CapacityProviders = nil
	listed := map[string]bool{}
	for _, ref := range cl.Spec.CapacityProviders {
		// The status lists each capacity provider once (a list map keyed
		// by name), and at most maxStatusProviders of them, each named in
		// at most maxProviderName characters: a spec that names one
		// twice, or a Cluster stored before its schema bounded the list
		// the same way, would otherwise make every status write fail. A
		// longer name cannot be a capacity provider's.
		if listed[ref] || len(ref) > maxProviderName || len(st.CapacityProviders) == maxStatusProviders {
			continue
		}
		listed[ref] = true
		obj := names.ObjectName(ref)
		e := ecsv1alpha1.ClusterCapacityProvider{Name: ref, RunningTasksCount: u.byProvider[obj][0], PendingTasksCount: u.byProvider[obj][1]}
		if cp := u.cps[obj]; cp != nil {
			e.RegisteredContainerInstancesCount = ptr.Deref(cp.Status.RegisteredContainerInstancesCount, 0)
		}
		st.CapacityProviders = append(st.CapacityProviders, e)
	}
	var missing []string
	for _, ref := range cl.Spec.CapacityProviders {
		if _, ok := u.cps[names.ObjectName(ref)]; !ok {
			missing = append(missing, ref)
		}
	}
	sort.Strings(missing)
	gen := cl.Generation
	if len(missing) > 0 {
		msg := fmt.Sprintf("The specified capacity provider does not exist: %s (no CapacityProvider objects %s)", strings.Join(missing, ", "), objectNames(missing))
		conditions.Set(&st.Conditions, gen, ecsv1alpha1.ConditionCapacityProviderReady, false, ecsv1alpha1.ReasonCapacityProviderNotFound, msg)
		conditions.Waiting(&st.Conditions, gen, msg)
	} else {
		conditions.Set(&st.Conditions, gen, ecsv1alpha1.ConditionCapacityProviderReady, true, ecsv1alpha1.ReasonSucceeded,
			fmt.Sprintf("%d capacity providers associated", len(cl.Spec.CapacityProviders)))
		conditions.Summarize(&st.Conditions, gen, conditions.Ready, ecsv1alpha1.ReasonSucceeded, "The cluster is ACTIVE")
	}
	setSupported(cl)
	st.ObservedGeneration = gen
}

// setSupported reports the members of the spec Berth approximates or does
// not support (status.fieldNotes and the FullySupported condition), so that
// none is dropped silently: a function of the spec alone. It does not
// affect Ready.
func setSupported(cl *ecsv1alpha1.Cluster) {
	notes := compat.Bound(compat.ClusterNotes(&cl.Spec))
	cl.Status.FieldNotes = notes
	compat.SetCondition(&cl.Status.Conditions, cl.Generation, notes, "cluster", "docs/compatibility/create-cluster.md")
}

func objectNames(refs []string) string {
	res := make([]string, len(refs))
	for i, r := range refs {
		res[i] = fmt.Sprintf("%q", names.ObjectName(r))
	}
	return strings.Join(res, ", ")
}
