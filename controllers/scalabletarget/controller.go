// Package scalabletarget is Application Auto Scaling for ECS services: it
// keeps a ScalableTarget's target tracking policies as a
// HorizontalPodAutoscaler on the Service's scale subresource, evaluates the
// alarms of its step scaling policies and runs them, runs its scheduled
// actions, and records what it did as scaling activities.
package scalabletarget

import (
	"context"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/autoscaling"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/watch"
)

// Name is the controller's name in logs and metrics.
const Name = "scalabletarget"

// FieldOwner is the field manager of the controller's writes: the HPA, and
// the Service's desiredCount when a step policy or scheduled action sets it.
const FieldOwner = "berth/scalabletarget"

// Reconciler reconciles ScalableTargets.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Clock    clock.PassiveClock
	Options  controller.Options
	// Metrics reads the service's task usage for step scaling alarms.
	Metrics MetricsReader
	// NewID returns a scaling activity's identifier (default: a UUID).
	NewID func() string

	samples samples
	// windows are the step alarms' datapoints.
	windows alarms.Windows
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=scalabletargets,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=scalabletargets/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services/scale,verbs=get;update;patch
// +kubebuilder:rbac:groups=autoscaling,resources=horizontalpodautoscalers,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.NewID == nil {
		r.NewID = func() string { return string(uuid.NewUUID()) }
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&ecsv1alpha1.ScalableTarget{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&autoscalingv2.HorizontalPodAutoscaler{}).
		Watches(&ecsv1alpha1.Service{}, handler.EnqueueRequestsFromMapFunc(r.byService)).
		// A deleted target lets a second one for the same service take
		// over.
		Watches(&ecsv1alpha1.ScalableTarget{}, handler.EnqueueRequestsFromMapFunc(r.sameResource),
			builder.WithPredicates(predicate.Funcs{
				CreateFunc:  func(event.CreateEvent) bool { return false },
				UpdateFunc:  func(event.UpdateEvent) bool { return false },
				DeleteFunc:  func(event.DeleteEvent) bool { return true },
				GenericFunc: func(event.GenericEvent) bool { return false },
			})).
		Complete(r)
}

// sameResource enqueues the other targets of a deleted target's service.
func (r *Reconciler) sameResource(ctx context.Context, o client.Object) []reconcile.Request {
	var list ecsv1alpha1.ScalableTargetList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()),
		client.MatchingFields{resolve.IndexResourceID: o.(*ecsv1alpha1.ScalableTarget).Spec.ResourceID}); err != nil {
		return nil
	}
	return watch.Requests(list.Items, func(t *ecsv1alpha1.ScalableTarget) bool { return t.UID != o.GetUID() })
}

// byService enqueues the targets that scale a Service.
func (r *Reconciler) byService(ctx context.Context, o client.Object) []reconcile.Request {
	var list ecsv1alpha1.ScalableTargetList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()),
		client.MatchingFields{resolve.IndexResourceID: resolve.ResourceID(o.(*ecsv1alpha1.Service))}); err != nil {
		return nil
	}
	return watch.Requests(list.Items, nil)
}

// scope is one reconcile's view of a target.
type scope struct {
	st, stored *ecsv1alpha1.ScalableTarget
	svc        *ecsv1alpha1.Service
	now        time.Time
	// rng is the capacity range in force after this reconcile.
	rng autoscaling.Range
	// current is the service's desired count as read; desired what it
	// is to become.
	current, desired int32
	// invalid lists spec problems admission rules cannot see.
	invalid field.ErrorList
	// activities are this reconcile's new scaling activities, oldest first.
	activities []ecsv1alpha1.ScalingActivity
	// metricsErr is why the service's metrics could not be read.
	metricsErr error
	// hpa is the target's HorizontalPodAutoscaler, when it has one.
	hpa     *autoscalingv2.HorizontalPodAutoscaler
	requeue time.Duration
}

func (s *scope) after(d time.Duration) {
	if d > 0 && (s.requeue == 0 || d < s.requeue) {
		s.requeue = d
	}
}

func (s *scope) record(a ecsv1alpha1.ScalingActivity) {
	s.activities = append(s.activities, a)
	s.st.Status.ScalingActivities = autoscaling.Push(s.st.Status.ScalingActivities, a)
}

// Reconcile runs a target's policies and actions and writes its status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &ecsv1alpha1.ScalableTarget{}
	if err := r.Client.Get(ctx, req.NamespacedName, st); err != nil {
		if apierrors.IsNotFound(err) {
			r.samples.forget(req.NamespacedName)
			r.windows.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !st.DeletionTimestamp.IsZero() {
		// Deregistering a target deletes its policies and actions; its
		// HPA goes with it (owner reference).
		return ctrl.Result{}, nil
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("scalableTarget", klog.KObj(st)))
	s := &scope{st: st, stored: st.DeepCopy(), now: r.Clock.Now()}
	return r.reconcileNormal(ctx, s)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) (ctrl.Result, error) {
	setSupported(s.st)
	problem, err := r.resolveService(ctx, s)
	if err != nil {
		setUnknown(s.st, err)
		_, _ = patch.Status(ctx, r.Client, s.stored, s.st)
		return ctrl.Result{}, err
	}
	if problem != nil {
		setProblem(s.st, problem)
		_, err := patch.Status(ctx, r.Client, s.stored, s.st)
		if problem.stalled || err != nil {
			return ctrl.Result{}, err
		}
		// The Service's watch event reconciles again; the backoff is a
		// safety net.
		return ctrl.Result{RequeueAfter: conditions.Backoff(meta.FindStatusCondition(s.st.Status.Conditions, ecsv1alpha1.ConditionReconciling), s.now)}, nil
	}
	s.invalid = validate(s.st)
	r.reconcileRange(s)
	r.runScheduledActions(s)
	r.runStepPolicies(ctx, s)
	// Scale first and record after: an activity is in the status only once
	// done. A failed scale records nothing, so the next reconcile decides
	// (and scales) again.
	moved, err := r.scale(ctx, s)
	if err != nil {
		return ctrl.Result{}, err
	}
	if moved {
		// The desired count changed since it was read (the HPA, a
		// user): decide again from the new count.
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	r.samples.keepPolicies(s.key(), s.st.UID, s.st.Status.ScalingPolicies)
	if err := r.reconcileHPA(ctx, s); err != nil {
		setUnknown(s.st, err)
		_, _ = patch.Status(ctx, r.Client, s.stored, s.st)
		return ctrl.Result{}, err
	}
	setStatus(s)
	if _, err := patch.StatusOrConflict(ctx, r.Client, s.stored, s.st); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return ctrl.Result{}, nil
		case apierrors.IsConflict(err):
			// Someone else wrote the target (its spec, labels): decide
			// again from it soon; the step policies' cooldowns are kept
			// in memory meanwhile.
			return ctrl.Result{RequeueAfter: time.Second}, nil
		}
		return ctrl.Result{}, err
	}
	r.emit(s)
	return ctrl.Result{RequeueAfter: s.requeue}, nil
}

// resolveService finds the Service the target's resourceId names, in the
// target's namespace. A problem is the user's to fix (or the Service's to
// appear); an error is transient.
func (r *Reconciler) resolveService(ctx context.Context, s *scope) (*problem, error) {
	var svcs ecsv1alpha1.ServiceList
	if err := r.Client.List(ctx, &svcs, client.InNamespace(s.st.Namespace), client.MatchingFields{resolve.IndexResourceID: s.st.Spec.ResourceID}); err != nil {
		return nil, fmt.Errorf("list services for %s: %w", s.st.Spec.ResourceID, err)
	}
	if len(svcs.Items) == 0 {
		return &problem{reason: ecsv1alpha1.ReasonServiceNotFound, message: fmt.Sprintf("ECS service doesn't exist: %s (no Service in namespace %s has that cluster and service name)", s.st.Spec.ResourceID, s.st.Namespace)}, nil
	}
	s.svc = &svcs.Items[0]
	if s.svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon || s.svc.Spec.DesiredCount == nil {
		return &problem{reason: ecsv1alpha1.ReasonInvalidParameter, stalled: true, message: fmt.Sprintf("%s is a DAEMON service: it runs one task per instance and has no desired count to scale", s.st.Spec.ResourceID)}, nil
	}
	var targets ecsv1alpha1.ScalableTargetList
	if err := r.Client.List(ctx, &targets, client.InNamespace(s.st.Namespace), client.MatchingFields{resolve.IndexResourceID: s.st.Spec.ResourceID}); err != nil {
		return nil, fmt.Errorf("list scalable targets for %s: %w", s.st.Spec.ResourceID, err)
	}
	if other := olderTarget(s.st, targets.Items); other != "" {
		return &problem{reason: ecsv1alpha1.ReasonInvalidParameter, stalled: true, message: fmt.Sprintf("a scalable target for %s and ecs:service:DesiredCount is already registered: ScalableTarget %s", s.st.Spec.ResourceID, other)}, nil
	}
	s.current = *s.svc.Spec.DesiredCount
	s.desired = s.current
	return nil, nil
}

// olderTarget names another target of the same resource registered
// before st (the first one registered wins; ties by name).
func olderTarget(st *ecsv1alpha1.ScalableTarget, all []ecsv1alpha1.ScalableTarget) string {
	for i := range all {
		o := &all[i]
		if o.UID == st.UID || !o.DeletionTimestamp.IsZero() {
			continue
		}
		if o.CreationTimestamp.Before(&st.CreationTimestamp) || (o.CreationTimestamp.Equal(&st.CreationTimestamp) && o.Name < st.Name) {
			return o.Name
		}
	}
	return ""
}

// reconcileRange works out the capacity range in force. A new spec range
// (RegisterScalableTarget again) replaces whatever scheduled actions set;
// when the range changes, a desired count outside it is brought inside.
func (r *Reconciler) reconcileRange(s *scope) {
	st := s.st
	known := st.Status.MinCapacity != nil && st.Status.MaxCapacity != nil
	old := autoscaling.InForce(st)
	if known {
		old = autoscaling.Range{Min: *st.Status.MinCapacity, Max: *st.Status.MaxCapacity}
	}
	s.rng = autoscaling.InForce(st)
	autoscaling.Register(st)
	r.setRange(s, old, !known || old != s.rng, "")
}

// setRange records the range in force and, when it changed, brings the
// desired count inside it. action names the scheduled action that set it.
func (r *Reconciler) setRange(s *scope, old autoscaling.Range, changed bool, action string) {
	s.st.Status.MinCapacity = ptrTo(s.rng.Min)
	s.st.Status.MaxCapacity = ptrTo(s.rng.Max)
	if !changed {
		return
	}
	if action != "" {
		s.record(autoscaling.SetRange(r.NewID(), s.rng, old, action, nil, s.now))
	}
	if n := s.rng.Clamp(s.desired); n != s.desired {
		s.record(autoscaling.SetDesiredCount(r.NewID(), n, s.rng.ClampCause(s.desired), s.now))
		s.desired = n
	}
}

func ptrTo[T any](v T) *T { return &v }

// emit publishes the new activities as events on the target and, for
// desired count changes, on the Service.
func (r *Reconciler) emit(s *scope) {
	for _, a := range s.activities {
		typ := corev1.EventTypeNormal
		if a.StatusCode != ecsv1alpha1.ActivitySuccessful {
			typ = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(s.st, s.svc, typ, ReasonScalingActivity, "Scale", "%s Cause: %s", a.Description, a.Cause)
		if a.StatusCode == ecsv1alpha1.ActivitySuccessful && isDesiredCount(a) {
			r.Recorder.Eventf(s.svc, s.st, typ, ReasonScalingActivity, "Scale", "(service %s) Application Auto Scaling: %s Cause: %s", serviceName(s.svc), a.Description, a.Cause)
		}
	}
}

// serviceName is a Service's ECS name.
func serviceName(svc *ecsv1alpha1.Service) string {
	return names.ServiceName(svc.Spec.ServiceName, svc.Name)
}

// ReasonScalingActivity is the reason of the events of scaling activities.
const ReasonScalingActivity = "ScalingActivity"

// key is the target's name, for the in-memory alarm datapoints.
func (s *scope) key() types.NamespacedName { return client.ObjectKeyFromObject(s.st) }
