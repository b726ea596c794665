// Package metricalarm evaluates MetricAlarms, CloudWatch's metric alarms,
// on the metrics Berth publishes: once per period it reads the alarm's
// statistic (internal/alarms: a service's or cluster's CPU and memory
// utilization from metrics.k8s.io, the task counts from the Services'
// status), evaluates the alarm's window of datapoints as CloudWatch does,
// applies the declarative SetAlarmState, and writes the state only when it
// changes. It is the alarms' only writer; a Service's deployment alarms
// read them (alarms.InAlarm).
package metricalarm

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
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
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/watch"
)

// Name is the controller's name in logs and metrics.
const Name = "metricalarm"

// Reconciler evaluates MetricAlarms.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Clock    clock.PassiveClock
	// Account is where alarmArn points.
	Account names.Account
	Options controller.Options
	// Metrics reads the tasks' use (alarms.ResourceMetrics in the
	// operator).
	Metrics alarms.UsageReader

	// windows are the alarms' datapoints, in memory.
	windows alarms.Windows
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=metricalarms,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=metricalarms/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services;clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=metrics.k8s.io,resources=pods,verbs=get;list
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	createOrDelete := predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return true },
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		// The controller's own status writes change neither; a spec edit
		// or a set-alarm-state annotation does.
		For(&ecsv1alpha1.MetricAlarm{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// A service that appears (or goes) wakes the alarms on its metrics.
		Watches(&ecsv1alpha1.Service{}, handler.EnqueueRequestsFromMapFunc(r.byService), builder.WithPredicates(createOrDelete)).
		// A deleted alarm lets a later one of the same name take over.
		Watches(&ecsv1alpha1.MetricAlarm{}, handler.EnqueueRequestsFromMapFunc(r.sameName), builder.WithPredicates(predicate.Funcs{
			CreateFunc:  func(event.CreateEvent) bool { return false },
			UpdateFunc:  func(event.UpdateEvent) bool { return false },
			DeleteFunc:  func(event.DeleteEvent) bool { return true },
			GenericFunc: func(event.GenericEvent) bool { return false },
		})).
		Complete(r)
}

// byService enqueues the alarms on a Service's metrics.
func (r *Reconciler) byService(ctx context.Context, o client.Object) []reconcile.Request {
	var list ecsv1alpha1.MetricAlarmList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()),
		client.MatchingFields{resolve.IndexResourceID: resolve.ResourceID(o.(*ecsv1alpha1.Service))}); err != nil {
		return nil
	}
	return watch.Requests(list.Items, nil)
}

// sameName enqueues the other alarms of a deleted alarm's name.
func (r *Reconciler) sameName(ctx context.Context, o client.Object) []reconcile.Request {
	var list ecsv1alpha1.MetricAlarmList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()),
		client.MatchingFields{alarms.IndexAlarmName: alarms.Name(o.(*ecsv1alpha1.MetricAlarm))}); err != nil {
		return nil
	}
	return watch.Requests(list.Items, func(a *ecsv1alpha1.MetricAlarm) bool { return a.UID != o.GetUID() })
}

// scope is one reconcile's view of an alarm.
type scope struct {
	a, stored *ecsv1alpha1.MetricAlarm
	now       time.Time
	rule      alarms.Rule
	src       alarms.Source
	// svcs are the services the metric is read over: the source's
	// service, or its cluster's.
	svcs []ecsv1alpha1.Service
	// out is what the reconcile found, for the conditions.
	out outcome
	// transitions are the state changes to report as events once written.
	transitions []transition
	// badRequest is why a set-alarm-state annotation was not applied.
	badRequest error
	requeue    time.Duration
}

func (s *scope) after(d time.Duration) {
	if d > 0 && (s.requeue == 0 || d < s.requeue) {
		s.requeue = d
	}
}

// Reconcile evaluates an alarm when its datapoint is due and writes its
// status when it changed.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	a := &ecsv1alpha1.MetricAlarm{}
	if err := r.Client.Get(ctx, req.NamespacedName, a); err != nil {
		if apierrors.IsNotFound(err) {
			r.windows.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !a.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(req)
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("metricAlarm", klog.KObj(a)))
	return r.reconcileNormal(ctx, &scope{a: a, stored: a.DeepCopy(), now: r.Clock.Now()})
}

// reconcileDelete forgets a deleted alarm's datapoints (it has no
// finalizer: nothing outside the object is its).
func (r *Reconciler) reconcileDelete(req ctrl.Request) (ctrl.Result, error) {
	r.windows.Forget(req.NamespacedName)
	return ctrl.Result{}, nil
}

func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) (ctrl.Result, error) {
	setIdentity(s.a, r.Account, s.now)
	if err := r.checkSpec(ctx, s); err != nil {
		return ctrl.Result{}, r.writeUnknown(ctx, s, err)
	}
	if s.out.invalid == nil {
		set := r.applySetAlarmState(s)
		if err := r.resolveMetric(ctx, s); err != nil {
			return ctrl.Result{}, r.writeUnknown(ctx, s, err)
		}
		if set {
			// SetAlarmState holds until the next evaluation, a period
			// from now: not the datapoint that may be due in this pass
			// (a new alarm's first, or the first after a restart).
			s.after(s.rule.Period)
		} else {
			r.evaluate(ctx, s)
		}
	}
	setConditions(s.a, s.out)
	if _, err := patch.StatusOrConflict(ctx, r.Client, s.stored, s.a); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return ctrl.Result{}, nil
		case apierrors.IsConflict(err):
			// Someone else wrote the alarm (its annotations): decide again
			// from it; a state change is found again from the window at
			// the next datapoint.
			return ctrl.Result{RequeueAfter: time.Second}, nil
		}
		return ctrl.Result{}, err
	}
	r.emit(s)
	if s.out.invalid != nil {
		// The spec must change; its watch event reconciles again.
		return ctrl.Result{}, nil
	}
	if s.out.waiting != "" {
		s.after(conditions.Backoff(meta.FindStatusCondition(s.stored.Status.Conditions, ecsv1alpha1.ConditionReconciling), s.now))
	}
	return ctrl.Result{RequeueAfter: s.requeue}, nil
}

// writeUnknown records an input that could not be read (Ready=Unknown) and
// returns the error, for the rate limiter to retry.
func (r *Reconciler) writeUnknown(ctx context.Context, s *scope, err error) error {
	setUnknown(s.a, err)
	_, _ = patch.Status(ctx, r.Client, s.stored, s.a)
	return err
}

// checkSpec finds what the user must change that admission rules cannot
// see: a metric Berth does not publish, an alarm name another alarm of the
// namespace has.
func (r *Reconciler) checkSpec(ctx context.Context, s *scope) error {
	rule, ok := alarms.RuleOf(s.a)
	m, _ := alarms.MetricOf(&s.a.Spec)
	if !ok {
		s.out.invalid = &problem{reason: ecsv1alpha1.ReasonInvalidParameter, message: "spec: MetricName must not be null"}
		return nil
	}
	src, ferr := alarms.Resolve(m)
	if ferr != nil {
		s.out.invalid = &problem{reason: ecsv1alpha1.ReasonInvalidParameter, message: ferr.Error()}
		return nil
	}
	s.rule, s.src = rule, src
	var same ecsv1alpha1.MetricAlarmList
	if err := r.Client.List(ctx, &same, client.InNamespace(s.a.Namespace), client.MatchingFields{alarms.IndexAlarmName: alarms.Name(s.a)}); err != nil {
		return fmt.Errorf("list MetricAlarms named %q: %w", alarms.Name(s.a), err)
	}
	if other := alarms.Duplicate(s.a, same.Items); other != "" {
		s.out.invalid = &problem{reason: ecsv1alpha1.ReasonDuplicateAlarmName, message: fmt.Sprintf(
			"spec.alarmName: an alarm named %q already exists in namespace %s (MetricAlarm %s): alarm names are unique in an account", alarms.Name(s.a), s.a.Namespace, other)}
	}
	return nil
}

// applySetAlarmState applies a set-alarm-state annotation Berth has not
// applied yet: the state holds until the next evaluation changes it.
func (r *Reconciler) applySetAlarmState(s *scope) bool {
	req, err := alarms.Requested(s.a)
	if req == nil {
		return false
	}
	s.a.Status.SetAlarmState = req.Fingerprint
	if err != nil {
		s.badRequest = err
		return false
	}
	r.setState(s, req.State, req.Reason, req.ReasonData)
	return true
}

// resolveMetric finds the services the metric is read over. A service or
// cluster that does not exist (yet) is waited for: its datapoints are
// missing meanwhile, as CloudWatch's are for a metric nobody publishes.
func (r *Reconciler) resolveMetric(ctx context.Context, s *scope) error {
	ns := s.a.Namespace
	if s.src.Service != "" {
		var svcs ecsv1alpha1.ServiceList
		if err := r.Client.List(ctx, &svcs, client.InNamespace(ns), client.MatchingFields{resolve.IndexResourceID: s.src.ResourceID()}); err != nil {
			return fmt.Errorf("list services for %s: %w", s.src.ResourceID(), err)
		}
		s.svcs = svcs.Items
		if len(s.svcs) == 0 {
			s.out.waiting = fmt.Sprintf("The alarm's service does not exist: %s (no Service in namespace %s has that cluster and service name); its datapoints are missing until it does",
				s.src.ResourceID(), ns)
		}
		return nil
	}
	var svcs ecsv1alpha1.ServiceList
	if err := r.Client.List(ctx, &svcs, client.InNamespace(ns), client.MatchingFields{resolve.IndexCluster: names.ObjectName(s.src.Cluster)}); err != nil {
		return fmt.Errorf("list services of cluster %s: %w", s.src.Cluster, err)
	}
	for _, svc := range svcs.Items {
		if names.ClusterName(svc.Spec.Cluster) == s.src.Cluster {
			s.svcs = append(s.svcs, svc)
		}
	}
	if len(s.svcs) > 0 {
		return nil
	}
	var cl ecsv1alpha1.Cluster
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: names.ObjectName(s.src.Cluster)}, &cl)
	if apierrors.IsNotFound(err) {
		s.out.waiting = fmt.Sprintf("The alarm's cluster does not exist: %s (no Cluster in namespace %s); its datapoints are missing until it does", s.src.Cluster, ns)
		return nil
	}
	if err != nil {
		return fmt.Errorf("get cluster %s: %w", s.src.Cluster, err)
	}
	return nil
}

// evaluate takes the alarm's datapoint when one is due and evaluates the
// alarm; only a change of state changes the status.
func (r *Reconciler) evaluate(ctx context.Context, s *scope) {
	read := func(ctx context.Context) (alarms.Sample, error) {
		if s.out.waiting != "" {
			return alarms.Sample{}, nil
		}
		return alarms.ReadSource(ctx, r.Metrics, s.src, s.svcs)
	}
	ev := r.windows.Take(ctx, alarms.Key{Object: client.ObjectKeyFromObject(s.a), UID: s.a.UID}, s.rule, s.a.Status.StateValue, s.now, read)
	s.after(ev.Wait)
	s.out.readErr = ev.Err
	for _, p := range ev.Points {
		s.out.hasData = s.out.hasData || !p.Missing
	}
	if ev.Took && ev.State != s.a.Status.StateValue {
		r.setState(s, ev.State, ev.Reason, alarms.ReasonData(s.rule, ev.Points, s.now))
	}
	if ev.Took {
		logf.FromContext(ctx).V(1).Info("Evaluated the alarm", "state", ev.State, "value", ev.Sample.Value, "hasValue", ev.Sample.OK)
	}
}

// setState sets the alarm's state, and records a transition.
func (r *Reconciler) setState(s *scope, state ecsv1alpha1.AlarmState, reason, data string) {
	from := s.a.Status.StateValue
	if setState(s.a, state, reason, data, s.now) {
		s.transitions = append(s.transitions, transition{from: from, to: state, reason: s.a.Status.StateReason})
	}
}

// emit reports the written state changes as events, and a set-alarm-state
// annotation that could not be applied.
func (r *Reconciler) emit(s *scope) {
	for _, t := range s.transitions {
		r.Recorder.Eventf(s.a, nil, corev1.EventTypeNormal, ecsv1alpha1.ReasonAlarmStateChanged, "Evaluate",
			"Alarm %s updated from %s to %s: %s", alarms.Name(s.a), t.from, t.to, t.reason)
	}
	if s.badRequest != nil {
		r.Recorder.Eventf(s.a, nil, corev1.EventTypeWarning, ecsv1alpha1.ReasonInvalidParameter, "SetAlarmState",
			"annotation %s not applied: %v", ecsv1alpha1.AnnotationSetAlarmState, s.badRequest)
	}
}
