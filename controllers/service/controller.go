// Package service runs an ECS Service as a Deployment: it resolves the
// task definition revision, the cluster and the capacity providers, applies
// the translated Deployment with server-side apply, and reports
// DescribeServices-style status counted from the Deployment.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/resolve"
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
	Config   translate.Config
	Options  controller.Options
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=clusters;taskdefinitionrevisions,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=capacityproviders,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services/finalizers,verbs=update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&ecsv1alpha1.Service{}).
		Watches(&ecsv1alpha1.Service{}, watch.EditsFirst()).
		Owns(&appsv1.Deployment{}).
		Watches(&ecsv1alpha1.TaskDefinitionRevision{}, r.newRevisionsFirst()).
		Watches(&ecsv1alpha1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.byCluster)).
		Watches(&ecsv1alpha1.CapacityProvider{}, handler.EnqueueRequestsFromMapFunc(r.all)).
		Complete(r)
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
	svc        *ecsv1alpha1.Service
	cluster    *ecsv1alpha1.Cluster
	revision   *ecsv1alpha1.TaskDefinitionRevision
	placement  translate.Placement
	deployment *appsv1.Deployment
	// wantHash is the template hash of the Deployment Berth wants.
	wantHash string
	problem  *resolve.Problem
}

// Reconcile brings the Service's Deployment to what the Service asks for
// and writes its status once.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	svc := &ecsv1alpha1.Service{}
	if err := r.Client.Get(ctx, req.NamespacedName, svc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("service", klog.KObj(svc)))
	if !svc.DeletionTimestamp.IsZero() {
		// The Deployment is owned by the Service and garbage-collected with it.
		return ctrl.Result{}, nil
	}
	stored := svc.DeepCopy()
	s := &scope{svc: svc}
	err := r.reconcileNormal(ctx, s)
	var problem *resolve.Problem
	if errors.As(err, &problem) {
		s.problem, err = problem, nil
	}
	if err == nil {
		computeStatus(s, r.Config)
		r.emitTransitionEvents(stored, svc)
	}
	if _, perr := patch.Status(ctx, r.Client, stored, svc); perr != nil && err == nil {
		err = perr
	}
	return ctrl.Result{}, err
}

func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) error {
	if s.svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon {
		return &resolve.Problem{Condition: ecsv1alpha1.ConditionDeploymentAvailable, Reason: ecsv1alpha1.ReasonUnsupported,
			Message: "schedulingStrategy DAEMON is not supported by Berth yet; use REPLICA"}
	}
	if err := r.getDeployment(ctx, s); err != nil {
		return err
	}
	var err error
	if s.cluster, err = resolve.Cluster(ctx, r.Client, s.svc.Namespace, s.svc.Spec.Cluster); err != nil {
		return err
	}
	if s.revision, err = resolve.Revision(ctx, r.Client, s.svc.Namespace, s.svc.Spec.TaskDefinition, runningRevision(s.deployment)); err != nil {
		return err
	}
	cps, err := resolve.CapacityProviders(ctx, r.Client)
	if err != nil {
		return err
	}
	s.placement, err = resolve.Placement(translate.PlacementInput{
		LaunchType: s.svc.Spec.LaunchType, Strategy: s.svc.Spec.CapacityProviderStrategy,
		Cluster: s.cluster, CapacityProviders: cps,
	})
	if err != nil {
		return err
	}
	return r.reconcileDeployment(ctx, s)
}

func (r *Reconciler) getDeployment(ctx context.Context, s *scope) error {
	d := &appsv1.Deployment{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: s.svc.Namespace, Name: translate.DeploymentName(s.svc)}, d)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get Deployment: %w", err)
	}
	if !metav1.IsControlledBy(d, s.svc) {
		// Reported once, as a Warning event, when the Service becomes Stalled.
		return &resolve.Problem{Condition: ecsv1alpha1.ConditionDeploymentAvailable, Reason: ecsv1alpha1.ReasonResourceNotOwned,
			Message: fmt.Sprintf("Deployment %s exists and is not controlled by this Service; delete or rename it", d.Name)}
	}
	s.deployment = d
	return nil
}

// reconcileDeployment applies the translated Deployment unless the live one
// already carries it: a converged Service sends no write.
func (r *Reconciler) reconcileDeployment(ctx context.Context, s *scope) error {
	want, err := translate.Deployment(s.svc, resolve.AsTranslateRevision(s.revision), s.placement, r.Config)
	if err != nil {
		return invalidRevision(s.revision, err)
	}
	s.wantHash = want.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash]
	applied := appliedHash(want)
	want.WithAnnotations(map[string]string{AnnotationAppliedHash: applied})
	if d := s.deployment; d != nil && d.Annotations[AnnotationAppliedHash] == applied &&
		d.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash] == s.wantHash &&
		equalReplicas(d.Spec.Replicas, s.svc.Spec.DesiredCount) {
		return nil
	}
	if err := r.Client.Apply(ctx, want, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply Deployment %s: %w", *want.Name, err)
	}
	// The apply answered with the Deployment as stored; the cache has not
	// seen it yet. Status is computed from the answer, so that it does not
	// report a Deployment "to be created" that already exists (and need a
	// second write when the cache catches up).
	if d, err := asDeployment(want); err == nil {
		s.deployment = d
	}
	logf.FromContext(ctx).Info("Applied Deployment", "deployment", klog.KRef(s.svc.Namespace, *want.Name), "templateHash", s.wantHash)
	return nil
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

func (r *Reconciler) emitTransitionEvents(stored, svc *ecsv1alpha1.Service) {
	wasReady := isReady(stored)
	if !wasReady && isReady(svc) {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, ecsv1alpha1.ReasonSteadyState, "Reconcile",
			"service %s has reached a steady state.", svc.Status.ServiceName)
	}
	if stored.Status.TaskDefinition != "" && stored.Status.TaskDefinition != svc.Status.TaskDefinition {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, ecsv1alpha1.ReasonRolloutInProgress, "Deploy",
			"service %s started a deployment of %s.", svc.Status.ServiceName, svc.Status.TaskDefinition)
	}
	if c := stalledReason(svc); c != "" && c != stalledReason(stored) {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, c, "Reconcile", "%s", stalledMessage(svc))
	}
}

// asDeployment converts the apply configuration the server answered with.
func asDeployment(ac *appsv1ac.DeploymentApplyConfiguration) (*appsv1.Deployment, error) {
	raw, err := json.Marshal(ac)
	if err != nil {
		return nil, err
	}
	d := &appsv1.Deployment{}
	return d, json.Unmarshal(raw, d)
}

func equalReplicas(a, b *int32) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func runningRevision(d *appsv1.Deployment) int32 {
	if d == nil {
		return 0
	}
	var n int32
	_, _ = fmt.Sscan(d.Spec.Template.Labels[ecsv1alpha1.LabelRevision], &n)
	return n
}
