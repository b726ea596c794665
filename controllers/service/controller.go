// Package service runs an ECS Service as a Deployment: it resolves the
// task definition revision, the cluster and the capacity providers, runs
// ECS's service scheduler (internal/rollout: deployments, circuit breaker,
// rollback, stopping failed tasks, service events), applies the translated
// Deployment with server-side apply, and reports DescribeServices-style
// status counted from the Service's pods.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/hooks"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
	"github.com/berth-dev/berth/internal/watch"
)

// Name is the controller's name in logs and metrics.
const Name = "service"

// FieldOwner is the server-side apply field manager of the Deployments.
const FieldOwner = "berth/service"

// AnnotationAppliedHash records the hash of the last applied Deployment, so
// that a converged Service applies nothing.
const AnnotationAppliedHash = "ecs.berth.dev/applied-hash"

// Reconciler reconciles Services.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Clock    clock.PassiveClock
	Config   translate.Config
	Options  controller.Options
	// Minute is how long one of ECS's minutes lasts in a BLUE_GREEN,
	// LINEAR or CANARY deployment's bake times and hook timeouts (0: a
	// minute); tests shorten it.
	Minute time.Duration
	// Hooks runs lifecycle hooks (zero: with Client, reading hook pods
	// through it).
	Hooks hooks.Runner
	// APIReader reads a Service whose BLUE_GREEN, LINEAR or CANARY
	// deployment is in progress from the API server (nil: from Client).
	APIReader client.Reader

	// edits remembers the generation and spec Berth's last write left on
	// each Deployment and DaemonSet (edits.go).
	edits edits
	// statusMemo remembers since when each Service's status change has
	// waited to be written, and the versions its last writes replaced
	// (coalesce.go).
	statusMemo statusMemo
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=clusters;taskdefinitionrevisions,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=capacityproviders,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=metricalarms,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments;daemonsets,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch;patch;delete
// +kubebuilder:rbac:groups=core,resources=services,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services/finalizers,verbs=update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=batch,resources=cronjobs,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes,verbs=get;list;watch;create;patch;delete

// SetupWithManager registers the controller and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&ecsv1alpha1.Service{}).
		Watches(&ecsv1alpha1.Service{}, watch.EditsFirst()).
		Owns(&appsv1.Deployment{}).
		Owns(&appsv1.DaemonSet{}).
		Owns(&corev1.Service{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(byPod), builder.WithPredicates(servicePods)).
		Watches(&ecsv1alpha1.TaskDefinitionRevision{}, r.newRevisionsFirst()).
		// Only spec changes matter: the status of clusters and capacity
		// providers changes with every task.
		Watches(&ecsv1alpha1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.byCluster), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&ecsv1alpha1.CapacityProvider{}, handler.EnqueueRequestsFromMapFunc(r.all), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(r.byNode), builder.WithPredicates(cordonChanged)).
		Watches(&ecsv1alpha1.MetricAlarm{}, handler.EnqueueRequestsFromMapFunc(r.byAlarm), builder.WithPredicates(alarmStateChanged)).
		// Lifecycle hooks: a hook Job's Service owns it without being its
		// controller; a CronJob a hook names may appear after the hook
		// was invoked.
		Watches(&batchv1.Job{}, handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &ecsv1alpha1.Service{})).
		Watches(&batchv1.CronJob{}, handler.EnqueueRequestsFromMapFunc(r.byCronJob)).
		Complete(r)
}

// cordonChanged passes a node that was cordoned or uncordoned (its
// container instance DRAINING or ACTIVE again).
var cordonChanged = predicate.Funcs{
	CreateFunc:  func(event.CreateEvent) bool { return false },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*corev1.Node)
		n, ok2 := e.ObjectNew.(*corev1.Node)
		return ok1 && ok2 && o.Spec.Unschedulable != n.Spec.Unschedulable
	},
}

// byCronJob enqueues the Services whose lifecycle hooks name a CronJob.
func (r *Reconciler) byCronJob(ctx context.Context, o client.Object) []reconcile.Request {
	return r.list(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{hooks.IndexCronJobs: o.GetName()})
}

// byNode enqueues the Services with tasks on a node.
func (r *Reconciler) byNode(ctx context.Context, o client.Object) []reconcile.Request {
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, client.MatchingFields{resolve.IndexNodeName: o.GetName()}, client.UnsafeDisableDeepCopy); err != nil {
		logf.FromContext(ctx).Error(err, "Failed to list pods for a node event")
		return nil
	}
	seen := map[client.ObjectKey]bool{}
	var reqs []reconcile.Request
	for i := range pods.Items {
		svc := pods.Items[i].Labels[ecsv1alpha1.LabelService]
		k := client.ObjectKey{Namespace: pods.Items[i].Namespace, Name: svc}
		if svc != "" && !seen[k] {
			seen[k] = true
			reqs = append(reqs, reconcile.Request{NamespacedName: k})
		}
	}
	return reqs
}

// servicePods selects the pods of Services' tasks.
var servicePods = predicate.NewPredicateFuncs(func(o client.Object) bool {
	return o.GetLabels()[ecsv1alpha1.LabelService] != ""
})

// byPod enqueues the Service of a task's pod.
func byPod(_ context.Context, o client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: o.GetLabels()[ecsv1alpha1.LabelService]}}}
}

// newRevisionsFirst enqueues the Services of a family when one of its
// revisions changes; a new revision (a task definition edit) goes ahead of
// status work, as a Service edit does.
func (r *Reconciler) newRevisionsFirst() handler.EventHandler {
	byFamily := handler.EnqueueRequestsFromMapFunc(r.byFamily)
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if e.IsInInitialList {
				byFamily.Create(ctx, e, q)
				return
			}
			watch.AddHighPriority(q, r.byFamily(ctx, e.Object)...)
		},
		UpdateFunc: byFamily.Update,
		DeleteFunc: byFamily.Delete,
	}
}

func (r *Reconciler) byFamily(ctx context.Context, o client.Object) []reconcile.Request {
	rev := o.(*ecsv1alpha1.TaskDefinitionRevision)
	return r.list(ctx, client.InNamespace(rev.Namespace), client.MatchingFields{resolve.IndexFamily: rev.Spec.Family})
}

func (r *Reconciler) byCluster(ctx context.Context, o client.Object) []reconcile.Request {
	return r.list(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{resolve.IndexCluster: o.GetName()})
}

// all enqueues every Service: capacity providers are few and change rarely.
func (r *Reconciler) all(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.list(ctx)
}

func (r *Reconciler) list(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	var list ecsv1alpha1.ServiceList
	if err := r.Client.List(ctx, &list, opts...); err != nil {
		logf.FromContext(ctx).Error(err, "Failed to list Services for a watch event")
		return nil
	}
	return watch.Requests(list.Items, nil)
}

// scope is what one reconcile gathers and decides.
type scope struct {
	svc       *ecsv1alpha1.Service
	cluster   *ecsv1alpha1.Cluster
	revision  *ecsv1alpha1.TaskDefinitionRevision
	placement translate.Placement
	// deployments are the Deployments the Service controls (one per
	// capacity provider of a sliced placement); wants those the spec asks
	// for.
	deployments []*appsv1.Deployment
	wants       []*appsv1ac.DeploymentApplyConfiguration
	// split is each capacity provider's share of the tasks.
	split []ecsv1alpha1.CapacityProviderTasks
	// features are the cluster's.
	features  translate.Features
	daemonSet *appsv1.DaemonSet
	pods      []corev1.Pod
	// want is the deployment the spec asks for; plan the scheduler's
	// decision; running the revision the Deployment runs.
	want    rollout.Target
	plan    rollout.Output
	running *ecsv1alpha1.TaskDefinitionRevision
	now     time.Time
	problem *resolve.Problem
	// read is the Service's resourceVersion as the reconcile read it.
	read string
	// lifecycle is the BLUE_GREEN, LINEAR or CANARY deployment (nil for a
	// ROLLING service); pinPending: a listener's Service was given the
	// selector of the revision it serves in this reconcile (or has none
	// yet).
	lifecycle  *lifecycle
	pinPending bool
	// keepStale: reconcileKubeServices leaves the Kubernetes Services no
	// longer asked for (staleServices) for deleteStaleServices, once no
	// route leads to them.
	keepStale     bool
	staleServices map[string]*corev1.Service
}

// Reconcile runs the Service's scheduler, brings its Deployment to what
// the scheduler decided, writes its status once, and then stops the tasks
// the scheduler stops (their failure is recorded first).
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	svc, err := r.getService(ctx, req.NamespacedName)
	if err != nil || svc == nil {
		if err == nil {
			r.edits.forget(req.NamespacedName) // the Service is gone
			r.statusMemo.forget(req.NamespacedName)
		}
		return ctrl.Result{}, err
	}
	if r.statusMemo.behind(req.NamespacedName, svc.ResourceVersion) {
		// The cache has not shown the last status write yet: its event
		// reconciles again (the requeue is a safety net).
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("service", klog.KObj(svc)))
	if !svc.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, svc)
	}
	read := svc.ResourceVersion
	if !controllerutil.ContainsFinalizer(svc, FinalizerDrain) {
		// Deletion drains the tasks before the objects go. On Kubernetes
		// 1.36+ config/admission has added the finalizer as the Service
		// was created; without it, this is a write of its own. The
		// status is written in the same reconcile: every object has one
		// from its first.
		if wrote, err := patch.AddFinalizer(ctx, r.Client, svc, FinalizerDrain, client.FieldOwner(FieldOwner)); err != nil || !wrote {
			return ctrl.Result{}, err // not written: the newer version reconciles again
		}
	}
	stored := svc.DeepCopy()
	s := &scope{svc: svc, now: r.Clock.Now(), features: r.Config.Features, read: read}
	err = r.reconcileNormal(ctx, s)
	if err != nil && patch.IgnoreNamespaceTerminating(err) == nil {
		return ctrl.Result{}, nil // the namespace's deletion deletes the Service too
	}
	var problem *resolve.Problem
	if errors.As(err, &problem) {
		s.problem, err = problem, nil
	}
	return r.record(ctx, s, stored, err)
}

// record writes the status the reconcile computed (err: what failed, whose
// status is the last one written), reports its new events, and then
// carries it out (act). Nothing is acted on before it is recorded.
func (r *Reconciler) record(ctx context.Context, s *scope, stored *ecsv1alpha1.Service, err error) (ctrl.Result, error) {
	var added []rollout.Message
	if err == nil {
		added = computeStatus(s, r.Config)
		if wait := r.deferStatus(s, stored, added); wait > 0 {
			// Counts alone moved: written with the next change, or in wait
			// (or when the scheduler looks again, if sooner).
			if s.plan.Recheck > 0 {
				wait = min(wait, s.plan.Recheck)
			}
			return ctrl.Result{RequeueAfter: wait}, nil
		}
	}
	if _, perr := patch.StatusOrConflict(ctx, r.Client, stored, s.svc); perr != nil {
		if apierrors.IsConflict(perr) {
			// The next reconcile (the newer version's event) decides again.
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, errors.Join(err, perr)
	}
	r.statusMemo.written(client.ObjectKeyFromObject(s.svc), s.svc.ResourceVersion, s.read, stored.ResourceVersion)
	if err != nil {
		return ctrl.Result{}, err
	}
	r.emitEvents(s.svc, stored, added)
	return r.act(ctx, s)
}

// getService reads the Service (nil when it is gone). One whose
// BLUE_GREEN, LINEAR or CANARY deployment is in progress is read from the
// API server: a lifecycle pass acts on the state it reads, and the cache
// may not have the last one written yet (a requeue can come before the
// informer's event), so that no pass acts on a state already left behind.
func (r *Reconciler) getService(ctx context.Context, key client.ObjectKey) (*ecsv1alpha1.Service, error) {
	svc := &ecsv1alpha1.Service{}
	if err := r.Client.Get(ctx, key, svc); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	if r.APIReader == nil || !inProgress(svc.Status.Strategy) {
		return svc, nil
	}
	fresh := &ecsv1alpha1.Service{}
	if err := r.APIReader.Get(ctx, key, fresh); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	// A direct read leaves the kind out; the owner references of the
	// children are made from it.
	fresh.SetGroupVersionKind(ecsv1alpha1.GroupVersion.WithKind("Service"))
	return fresh, nil
}

// act carries out what the recorded status says: it stops the tasks the
// scheduler stops, and says when to look again.
func (r *Reconciler) act(ctx context.Context, s *scope) (ctrl.Result, error) {
	if s.problem != nil {
		// The failures the scheduler saw were not recorded. A dependency's
		// watch event reconciles again; the backoff is a safety net.
		if s.problem.Waiting() {
			return ctrl.Result{RequeueAfter: conditions.Backoff(meta.FindStatusCondition(s.svc.Status.Conditions, s.problem.Condition), s.now)}, nil
		}
		return ctrl.Result{}, nil
	}
	if err := r.stopTasks(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: s.plan.Recheck}, nil
}

func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) error {
	if err := r.resolveAll(ctx, s); err != nil {
		return err
	}
	if isDaemon(s.svc) {
		return r.reconcileDaemon(ctx, s)
	}
	wants, err := translate.Deployments(s.svc, resolve.AsTranslateRevision(s.revision), s.placement, r.Config)
	if err != nil {
		return invalidRevision(s.revision, err)
	}
	if err := r.checkNames(ctx, s, wants); err != nil {
		return err
	}
	s.wants = wants
	if kind := deployStrategy(s.svc, s.placement); kind != "" {
		return r.reconcileStrategy(ctx, s, wants[0], kind)
	}
	if err := r.schedule(ctx, s, wants[0].Spec.Template.Annotations); err != nil {
		return err
	}
	runs, err := r.runDeployments(ctx, s, wants)
	if err != nil {
		return err
	}
	if err := r.reconcileDeployments(ctx, s, runs); err != nil {
		return err
	}
	// A ROLLING service has no HTTPRoute: those of a strategy it had go,
	// before their backend Services.
	if err := r.reconcileRoutes(ctx, s); err != nil {
		return err
	}
	return r.reconcileKubeServices(ctx, s)
}

// schedule checks the Service's load balancers against the revision, reads
// its tasks, and runs the scheduler for the pod template the spec asks for
// (its annotations: hash and deployment id).
func (r *Reconciler) schedule(ctx context.Context, s *scope, template map[string]string) error {
	if _, err := kubeServices(s.svc, s.revision); err != nil {
		return err
	}
	if err := r.listPods(ctx, s); err != nil {
		return err
	}
	s.want = target(template, s.revision, s.placement, r.Config)
	in := r.planInput(s)
	var err error
	if in.Alarms, err = r.deploymentAlarms(ctx, s.svc); err != nil {
		return err
	}
	in.Stop = stopRequest(s.svc)
	s.plan = rollout.Plan(in)
	return nil
}

// resolveAll reads the live Deployment or DaemonSet, and resolves the
// cluster, the revision the spec asks for and the placement.
func (r *Reconciler) resolveAll(ctx context.Context, s *scope) error {
	daemon := isDaemon(s.svc)
	if daemon {
		if err := r.getDaemonSet(ctx, s); err != nil {
			return err
		}
	} else if err := r.listDeployments(ctx, s); err != nil {
		return err
	}
	launchType := s.svc.Spec.LaunchType
	if daemon && launchType == "" {
		// A DAEMON service runs on container instances: EC2 capacity.
		launchType = ecsv1alpha1.LaunchTypeEc2
	}
	t, err := resolve.Resolve(ctx, r.Client, resolve.Request{
		Namespace: s.svc.Namespace, Cluster: s.svc.Spec.Cluster, TaskDefinition: s.svc.Spec.TaskDefinition, Current: liveRevision(s),
		LaunchType: launchType, Strategy: s.svc.Spec.CapacityProviderStrategy,
		Constraints: s.svc.Spec.PlacementConstraints, Strategies: s.svc.Spec.PlacementStrategy,
		Group: func(string) string { return "service:" + serviceName(s.svc) },
	})
	s.cluster, s.revision, s.placement = t.Cluster, t.Revision, t.Placement
	return err
}

// kubeServices translates the Kubernetes Services of the Service running
// rev; a load balancer, registry or alias the task definition cannot serve
// is ECS's InvalidParameterException.
func kubeServices(svc *ecsv1alpha1.Service, rev *ecsv1alpha1.TaskDefinitionRevision) ([]*corev1ac.ServiceApplyConfiguration, error) {
	want, err := translate.KubeServices(svc, &rev.Spec.RegisterTaskDefinitionInput)
	var invalid *translate.InvalidError
	if errors.As(err, &invalid) {
		return nil, &resolve.Problem{Condition: ecsv1alpha1.ConditionDeploymentAvailable, Reason: ecsv1alpha1.ReasonInvalidParameter,
			Message: fmt.Sprintf("InvalidParameterException: %s", invalid.Errs.ToAggregate())}
	}
	return want, err
}

// reconcileKubeServices applies the Kubernetes Services of the Service's
// load balancers, service registries and Service Connect aliases, for the
// revision that runs, and deletes those no longer asked for.
func (r *Reconciler) reconcileKubeServices(ctx context.Context, s *scope) error {
	want, err := kubeServices(s.svc, s.running)
	if err != nil {
		return err
	}
	byName, err := r.liveServices(ctx, s.svc)
	if err != nil {
		return err
	}
	if s.lifecycle != nil {
		if want, err = s.listenerServices(want, byName); err != nil {
			return err
		}
	}
	for _, ks := range want {
		applied := translate.AppliedHash(ks)
		ks.WithAnnotations(map[string]string{AnnotationAppliedHash: applied})
		cur := byName[*ks.Name]
		delete(byName, *ks.Name)
		if cur != nil && cur.Annotations[AnnotationAppliedHash] == applied {
			continue
		}
		if cur == nil {
			var other corev1.Service
			err := r.Client.Get(ctx, client.ObjectKey{Namespace: s.svc.Namespace, Name: *ks.Name}, &other)
			if err == nil && !metav1.IsControlledBy(&other, s.svc) {
				return &resolve.Problem{Condition: ecsv1alpha1.ConditionDeploymentAvailable, Reason: ecsv1alpha1.ReasonResourceNotOwned,
					Message: fmt.Sprintf("Kubernetes Service %s exists and is not controlled by this Service; delete or rename it", *ks.Name)}
			}
		}
		if err := r.Client.Apply(ctx, ks, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("apply Service %s: %w", *ks.Name, err)
		}
		logf.FromContext(ctx).Info("Applied Service", "kubeService", klog.KRef(s.svc.Namespace, *ks.Name))
	}
	s.staleServices = byName
	if s.keepStale {
		return nil
	}
	return r.deleteStaleServices(ctx, s)
}

// deleteStaleServices deletes the Kubernetes Services the Service
// controls and no longer asks for (reconcileKubeServices found them).
func (r *Reconciler) deleteStaleServices(ctx context.Context, s *scope) error {
	for _, stale := range s.staleServices {
		if !metav1.IsControlledBy(stale, s.svc) {
			continue
		}
		if err := r.Client.Delete(ctx, stale, client.Preconditions{UID: &stale.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete Service %s: %w", stale.Name, err)
		}
		logf.FromContext(ctx).Info("Deleted Service", "kubeService", klog.KObj(stale))
	}
	return nil
}

// liveServices are the Kubernetes Services labelled as the Service's, by
// name.
func (r *Reconciler) liveServices(ctx context.Context, svc *ecsv1alpha1.Service) (map[string]*corev1.Service, error) {
	var live corev1.ServiceList
	if err := r.Client.List(ctx, &live, resolve.OfService(svc)...); err != nil {
		return nil, fmt.Errorf("list Services: %w", err)
	}
	byName := map[string]*corev1.Service{}
	for i := range live.Items {
		byName[live.Items[i].Name] = &live.Items[i]
	}
	return byName, nil
}

func (r *Reconciler) listPods(ctx context.Context, s *scope) error {
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, resolve.OfService(s.svc)...); err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	s.pods = pods.Items
	return nil
}

func target(ann map[string]string, rev *ecsv1alpha1.TaskDefinitionRevision, p translate.Placement, cfg translate.Config) rollout.Target {
	return rollout.Target{
		ID: ann[ecsv1alpha1.AnnotationStartedBy], Hash: ann[ecsv1alpha1.AnnotationTemplateHash],
		TaskDefinition: cfg.Account.TaskDefinitionArn(rev.Spec.Family, rev.Spec.Revision),
		LaunchType:     p.LaunchType,
	}
}

func (r *Reconciler) planInput(s *scope) rollout.Input {
	svc := s.svc
	desired := ptr.Deref(svc.Spec.DesiredCount, 0)
	maxPercent, minPercent := translate.Percents(svc)
	deadlock := translate.Deadlocked(desired, maxPercent, minPercent)
	if isDaemon(svc) {
		desired, deadlock = daemonDesired(s.daemonSet), false
	}
	in := rollout.Input{
		Provisioning: provisioningGrace(s.placement),
		Service:      serviceName(svc),
		UID:          svc.UID,
		Desired:      desired,
		Grace:        time.Duration(ptr.Deref(svc.Spec.HealthCheckGracePeriodSeconds, 0)) * time.Second,
		Deadlock:     deadlock,
		Previous:     svc.Status.Deployments,
		Events:       svc.Status.Events,
		Want:         s.want,
		Pods:         s.pods,
		Now:          s.now,
	}
	if dc := svc.Spec.DeploymentConfiguration; dc != nil {
		in.Breaker = dc.DeploymentCircuitBreaker
	}
	if ds := s.daemonSet; ds != nil {
		in.Workload = daemonWorkload(ds)
	}
	if !isDaemon(svc) {
		in.Workload = workload(s.deployments, s.wants)
	}
	return in
}

// runDeployments are the Deployments to apply: those the spec asks for,
// or those of the deployment the scheduler runs instead (after the circuit
// breaker tripped), translated from its revision; with none, the spec's
// (the caller gives them no task).
func (r *Reconciler) runDeployments(ctx context.Context, s *scope, wants []*appsv1ac.DeploymentApplyConfiguration) ([]*appsv1ac.DeploymentApplyConfiguration, error) {
	run := s.plan.Run
	s.running = s.revision
	if run == nil || run.TemplateHash == s.want.Hash {
		return wants, nil
	}
	rev, err := resolve.InUse(ctx, r.Client, s.svc.Namespace, run.TaskDefinition)
	if err != nil {
		return nil, err
	}
	ds, err := translate.Deployments(s.svc, resolve.AsTranslateRevision(rev), s.placement, r.Config)
	if err != nil {
		return nil, invalidRevision(rev, err)
	}
	s.running = rev
	return ds, nil
}

// getOwned reads the workload named after svc into obj; found is false
// when there is none. One that svc does not control is a problem.
func (r *Reconciler) getOwned(ctx context.Context, svc *ecsv1alpha1.Service, obj client.Object, kind string) (found bool, err error) {
	err = r.Client.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: translate.DeploymentName(svc)}, obj)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get %s: %w", kind, err)
	}
	if !metav1.IsControlledBy(obj, svc) {
		// Reported once, as a Warning event, when the Service becomes Stalled.
		return false, &resolve.Problem{Condition: ecsv1alpha1.ConditionDeploymentAvailable, Reason: ecsv1alpha1.ReasonResourceNotOwned,
			Message: fmt.Sprintf("%s %s exists and is not controlled by this Service; delete or rename it", kind, obj.GetName())}
	}
	return true, nil
}

// otherTemplates tells whether tasks of another template than hash run.
func otherTemplates(pods []corev1.Pod, hash string) bool {
	for i := range pods {
		if pods[i].DeletionTimestamp.IsZero() && pods[i].Annotations[ecsv1alpha1.AnnotationTemplateHash] != hash {
			return true
		}
	}
	return false
}

// stopTasks stops the tasks the scheduler stops; their ReplicaSet starts
// new ones. A task that ran is retired (retireTask); one that never did
// (not placed, or failed to start) is deleted: it has no output to keep.
func (r *Reconciler) stopTasks(ctx context.Context, s *scope) error {
	var errs []error
	for _, st := range s.plan.Stops {
		pod := st.Pod
		var err error
		if pod.Spec.NodeName == "" || st.Verdict.StopCode == ecsv1alpha1.StopCodeTaskFailedToStart {
			// Its containers never ran: there is no output to keep.
			err = r.Client.Delete(ctx, pod, client.Preconditions{UID: &pod.UID})
		} else {
			err = r.retireTask(ctx, s, st)
		}
		if err != nil {
			if !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				errs = append(errs, fmt.Errorf("stop Pod %s: %w", pod.Name, err))
			}
			continue
		}
		logf.FromContext(ctx).Info("Stopped service task", "pod", klog.KObj(pod), "task", st.TaskID,
			"stopCode", st.Verdict.StopCode, "reason", st.Verdict.Reason)
		r.Recorder.Eventf(s.svc, pod, corev1.EventTypeWarning, rollout.ReasonTaskStopped, "StopTask",
			"service %s has stopped 1 running tasks: (task %s). %s: %s", s.svc.Status.ServiceName, st.TaskID, st.Verdict.StopCode, st.Verdict.Reason)
	}
	return errors.Join(errs...)
}

// retireTask stops a task and keeps its pod for the stopped-task retention
// (taskstate.Retire): out of its ReplicaSet, which replaces it, owned by
// the Service, its containers stopped by the pod's deadline. The patch is
// fenced by the pod's resourceVersion: a pod that changed meanwhile is
// judged again by the next reconcile.
func (r *Reconciler) retireTask(ctx context.Context, s *scope, st rollout.Stop) error {
	pod := st.Pod
	state, _ := taskstate.Read(pod, s.now)
	owner := metav1.OwnerReference{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "Service", Name: s.svc.Name, UID: s.svc.UID}
	retired := taskstate.Retire(pod, owner, state, st.Verdict, s.now)
	return r.Client.Patch(ctx, retired, client.MergeFromWithOptions(pod, client.MergeFromWithOptimisticLock{}), client.FieldOwner(FieldOwner))
}

// invalidRevision reports a revision that cannot run (registered before
// Berth checked what it checks now, or unrunnable on this placement).
func invalidRevision(rev *ecsv1alpha1.TaskDefinitionRevision, err error) error {
	var invalid *translate.InvalidError
	if !errors.As(err, &invalid) {
		return err
	}
	return &resolve.Problem{Condition: ecsv1alpha1.ConditionTaskDefinitionResolved, Reason: ecsv1alpha1.ReasonInvalidTaskDefinition,
		Message: fmt.Sprintf("Task definition %s:%d cannot run: %s", rev.Spec.Family, rev.Spec.Revision, invalid.Errs.ToAggregate())}
}

// emitEvents mirrors as Kubernetes Events the new service events a user
// acts on (warnings, a deployment completed or failed), marks the start of
// a deployment that replaces another, and reports a Service that became
// Stalled. The informational ones ("has started", "has reached a steady
// state") stay in status.events only: an Event is a write, and every
// Service would pay them.
func (r *Reconciler) emitEvents(svc, stored *ecsv1alpha1.Service, added []rollout.Message) {
	if started := startedDeployment(svc, stored); started != nil {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, ecsv1alpha1.ReasonDeploymentStarted, "Deploy",
			"ECS deployment %s started: task definition %s, %d desired tasks", started.ID, started.TaskDefinition, started.DesiredCount)
	}
	for _, m := range added {
		if !isEvent(svc, m) {
			continue
		}
		typ := corev1.EventTypeNormal
		if m.Warning {
			typ = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(svc, nil, typ, m.Reason, "Schedule", "%s", m.Text)
	}
	if c := stalledReason(svc); c != "" && c != stalledReason(stored) && c != rollout.ReasonDeploymentFailed {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, c, "Reconcile", "%s", stalledMessage(svc))
	}
	if c := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionReconciling); c != nil && c.Reason == ecsv1alpha1.ReasonDependencyNotReady {
		if old := meta.FindStatusCondition(stored.Status.Conditions, ecsv1alpha1.ConditionReconciling); old == nil || old.Message != c.Message {
			r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, ecsv1alpha1.ReasonDependencyNotReady, "Reconcile", "Waiting: %s", c.Message)
		}
	}
}

// startedDeployment is the PRIMARY deployment this status write started
// when it replaces another one (a rollout; the first deployment of a new
// Service is the Service's creation, and a rollback has its RollingBack
// warning): nil otherwise.
func startedDeployment(svc, stored *ecsv1alpha1.Service) *ecsv1alpha1.ServiceDeployment {
	now, before := svc.Status.Deployments, stored.Status.Deployments
	if len(now) == 0 || len(before) == 0 || now[0].ID == before[0].ID || now[0].Status != ecsv1alpha1.DeploymentPrimary ||
		now[0].RollbackFrom != "" {
		return nil
	}
	return &now[0]
}

// isEvent tells whether a new service event is also a Kubernetes Event.
func isEvent(svc *ecsv1alpha1.Service, m rollout.Message) bool {
	switch {
	case m.Reason == rollout.ReasonTaskStopped:
		// Each stopped task gets its own Event, with its stop code and
		// reason (stopTasks).
		return false
	case !m.Warning && (m.Reason == rollout.ReasonTaskStarted || m.Reason == rollout.ReasonSteadyState):
		return false
	case m.Reason == rollout.ReasonDeploymentCompleted && firstDeployment(svc):
		// A new Service's first deployment is its creation: Ready and
		// status.events tell its end, as nothing told its start.
		return false
	}
	return true
}

// firstDeployment: the Service has had one service deployment, the one
// it was created with.
func firstDeployment(svc *ecsv1alpha1.Service) bool {
	return len(svc.Status.ServiceDeployments) == 1
}

// fromApply converts the apply configuration the server answered with to
// its typed object (T: appsv1.Deployment for a DeploymentApplyConfiguration).
func fromApply[T any](ac any) (*T, error) {
	raw, err := json.Marshal(ac)
	if err != nil {
		return nil, err
	}
	o := new(T)
	return o, json.Unmarshal(raw, o)
}

// liveRevision is the object name of the revision the live Deployment or
// DaemonSet runs ("": none).
func liveRevision(s *scope) string {
	var labels map[string]string
	switch {
	case len(s.deployments) > 0:
		// The one that runs the most tasks: a BLUE_GREEN, LINEAR or
		// CANARY service's production may be its second Deployment.
		d := s.deployments[0]
		for _, o := range s.deployments[1:] {
			if ptr.Deref(o.Spec.Replicas, 1) > ptr.Deref(d.Spec.Replicas, 1) {
				d = o
			}
		}
		labels = d.Spec.Template.Labels
	case s.daemonSet != nil:
		labels = s.daemonSet.Spec.Template.Labels
	}
	var n int32
	if _, err := fmt.Sscan(labels[ecsv1alpha1.LabelRevision], &n); err != nil || labels[ecsv1alpha1.LabelTaskDefinition] == "" {
		return ""
	}
	return names.Revision(labels[ecsv1alpha1.LabelTaskDefinition], n)
}

// ProvisioningGrace is how long a task waits for capacity a provisioner
// makes (a Fargate node, a managed scaling step) before ECS's "unable to
// place a task" event.
const ProvisioningGrace = time.Minute

func provisioningGrace(p translate.Placement) time.Duration {
	for _, cp := range p.Providers {
		if cp.Spec.NodePool.Provisioner == ecsv1alpha1.NodeProvisionerKwok {
			return ProvisioningGrace
		}
	}
	return 0
}
