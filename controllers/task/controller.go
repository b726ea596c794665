// Package task runs a standalone ECS Task as one Pod that is never
// restarted, and reports its lifecycle (PENDING → RUNNING → STOPPED) and
// container exit codes as DescribeTasks does.
package task

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
	"github.com/berth-dev/berth/internal/watch"
)

// Name is the controller's name in logs and metrics.
const Name = "task"

// FieldOwner is the server-side apply field manager of task pods.
const FieldOwner = "berth/task"

// Reconciler reconciles Tasks.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Clock    clock.PassiveClock
	Config   translate.Config
	Options  controller.Options
	// StoppedTaskTTL is how long a STOPPED task stays visible before it is
	// deleted, as ECS keeps stopped tasks about an hour (default 1 h;
	// negative: kept).
	StoppedTaskTTL time.Duration
	// APIReader reads past the cache: whether a pod the cache does not show
	// is gone or just created. Nil: the Client.
	APIReader client.Reader
}

func (r *Reconciler) apiReader() client.Reader {
	if r.APIReader != nil {
		return r.APIReader
	}
	return r.Client
}

// DefaultStoppedTaskTTL is how long stopped tasks stay by default.
const DefaultStoppedTaskTTL = time.Hour

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=tasks,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=tasks/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=tasks/finalizers,verbs=update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&ecsv1alpha1.Task{}).
		Owns(&corev1.Pod{}).
		// A task not yet started may wait for its revision, cluster or
		// capacity provider to appear.
		Watches(&ecsv1alpha1.TaskDefinitionRevision{}, handler.EnqueueRequestsFromMapFunc(r.byFamily)).
		// Only spec changes matter: the status of clusters and capacity
		// providers changes with every task.
		Watches(&ecsv1alpha1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.byCluster), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&ecsv1alpha1.CapacityProvider{}, handler.EnqueueRequestsFromMapFunc(r.all), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}

func (r *Reconciler) byFamily(ctx context.Context, o client.Object) []reconcile.Request {
	rev := o.(*ecsv1alpha1.TaskDefinitionRevision)
	return r.notStarted(ctx, client.InNamespace(rev.Namespace), client.MatchingFields{resolve.IndexFamily: rev.Spec.Family})
}

func (r *Reconciler) byCluster(ctx context.Context, o client.Object) []reconcile.Request {
	return r.notStarted(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{resolve.IndexCluster: o.GetName()})
}

// all enqueues every task that has no pod yet: capacity providers are few
// and change rarely.
func (r *Reconciler) all(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.notStarted(ctx)
}

// notStarted enqueues the tasks, among those listed, that have no pod yet.
func (r *Reconciler) notStarted(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	var list ecsv1alpha1.TaskList
	if err := r.Client.List(ctx, &list, opts...); err != nil {
		logf.FromContext(ctx).Error(err, "Failed to list Tasks for a watch event")
		return nil
	}
	return watch.Requests(list.Items, func(t *ecsv1alpha1.Task) bool { return t.Status.PodName == "" })
}

// Reconcile starts the task's pod once and follows it to STOPPED.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	task := &ecsv1alpha1.Task{}
	if err := r.Client.Get(ctx, req.NamespacedName, task); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("task", klog.KObj(task)))
	if !task.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // the pod is owned and garbage-collected
	}
	stored := task.DeepCopy()
	after, err := r.reconcileNormal(ctx, task)
	if err != nil && patch.IgnoreNamespaceTerminating(err) == nil {
		return ctrl.Result{}, nil // the namespace's deletion deletes the Task too
	}
	var problem *resolve.Problem
	if errors.As(err, &problem) {
		setProblem(task, problem)
		err = nil
		if problem.Waiting() {
			// A dependency's watch event starts it; the backoff is a
			// safety net.
			after = conditions.Backoff(meta.FindStatusCondition(task.Status.Conditions, problem.Condition), r.Clock.Now())
		}
	}
	setSupported(task)
	r.emitTransitionEvents(stored, task)
	if _, perr := patch.Status(ctx, r.Client, stored, task); perr != nil && err == nil {
		err = perr
	}
	if err == nil {
		if expire, ok := r.expiry(task); ok {
			if wait := expire.Sub(r.Clock.Now()); wait > 0 {
				after = shortest(after, wait)
			} else if err = r.Client.Delete(ctx, task, client.Preconditions{UID: &task.UID}); client.IgnoreNotFound(err) == nil {
				logf.FromContext(ctx).Info("Deleted stopped task after its retention time")
				err = nil
			}
		}
	}
	return ctrl.Result{RequeueAfter: after}, err
}

// expiry is when a STOPPED task is removed.
func (r *Reconciler) expiry(task *ecsv1alpha1.Task) (time.Time, bool) {
	ttl := r.StoppedTaskTTL
	if ttl == 0 {
		ttl = DefaultStoppedTaskTTL
	}
	if ttl < 0 || task.Status.LastStatus != ecsv1alpha1.TaskStopped || task.Status.StoppedAt == nil {
		return time.Time{}, false
	}
	return task.Status.StoppedAt.Add(ttl), true
}

func shortest(a, b time.Duration) time.Duration {
	if a == 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// getPod reads the task's pod: nil when there is none. A pod the cache
// does not show although the task started one is read live: it may have
// been created a moment ago, and a task is not stopped on a guess.
func (r *Reconciler) getPod(ctx context.Context, task *ecsv1alpha1.Task) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: task.Namespace, Name: translate.PodName(task)}, pod)
	if apierrors.IsNotFound(err) && task.Status.PodName != "" {
		err = r.apiReader().Get(ctx, client.ObjectKey{Namespace: task.Namespace, Name: task.Status.PodName}, pod)
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get Pod: %w", err)
	case !metav1.IsControlledBy(pod, task):
		return nil, &resolve.Problem{Condition: ecsv1alpha1.ConditionReady, Reason: ecsv1alpha1.ReasonResourceNotOwned,
			Message: fmt.Sprintf("Pod %s exists and is not controlled by this Task; Berth does not adopt it", pod.Name)}
	}
	return pod, nil
}

func (r *Reconciler) reconcileNormal(ctx context.Context, task *ecsv1alpha1.Task) (time.Duration, error) {
	pod, err := r.getPod(ctx, task)
	if err != nil {
		return 0, err
	}
	now := r.Clock.Now()
	if task.Status.LastStatus == ecsv1alpha1.TaskStopped {
		// STOPPED is final; the pod, if it still runs, only has to stop.
		// It stays, its logs with it, until the task goes (expiry).
		return 0, r.stopPod(ctx, pod)
	}
	stopping := task.Spec.DesiredStatus == ecsv1alpha1.DesiredTaskStatus(ecsv1alpha1.TaskStopped)
	if stopping {
		setStopping(task, now)
	}
	if pod == nil && (task.Status.PodName != "" || stopping) {
		stopWithoutPod(task, now)
		return 0, nil
	}
	if pod == nil || task.Status.PodName == "" {
		// No pod yet, or the status that recorded its start was lost (its
		// write conflicted with a newer version): start it, or record the
		// start of the pod that runs.
		started, err := r.startPod(ctx, task, pod)
		if err != nil {
			return 0, err
		}
		pod = started
	}
	recheck := observe(task, pod, now)
	if task.Status.DesiredStatus == ecsv1alpha1.TaskStopped {
		// The pod's grace period is the containers' stopTimeout: SIGTERM,
		// then SIGKILL, as StopTask does.
		return 0, r.stopPod(ctx, pod)
	}
	return recheck, nil
}

// startPod resolves the task's references and creates its pod (unless it
// runs already), and records the start in the status.
func (r *Reconciler) startPod(ctx context.Context, task *ecsv1alpha1.Task, running *corev1.Pod) (*corev1.Pod, error) {
	t, err := resolve.Resolve(ctx, r.Client, resolve.Request{
		Namespace: task.Namespace, Cluster: task.Spec.Cluster, TaskDefinition: task.Spec.TaskDefinition,
		LaunchType: task.Spec.LaunchType, Strategy: task.Spec.CapacityProviderStrategy,
		Constraints: task.Spec.PlacementConstraints, Strategies: task.Spec.PlacementStrategy,
		Group: func(family string) string { return translate.TaskGroup(task, family) },
	})
	if err != nil {
		return nil, err
	}
	rev, placement := t.Revision, t.Placement
	want, err := translate.TaskPod(task, resolve.AsTranslateRevision(rev), placement, r.Config)
	if err != nil {
		var invalid *translate.InvalidError
		if errors.As(err, &invalid) {
			return nil, &resolve.Problem{Condition: ecsv1alpha1.ConditionTaskDefinitionResolved, Reason: ecsv1alpha1.ReasonInvalidTaskDefinition,
				Message: fmt.Sprintf("Task definition %s:%d cannot run: %s", rev.Spec.Family, rev.Spec.Revision, invalid.Errs.ToAggregate())}
		}
		return nil, err
	}
	if running != nil {
		setStarted(task, rev, placement, r.Config)
		return running, nil
	}
	if err := r.Client.Apply(ctx, want, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return nil, fmt.Errorf("apply Pod %s: %w", *want.Name, err)
	}
	pod := &corev1.Pod{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: task.Namespace, Name: *want.Name}, pod); err != nil {
		// The cache has not seen it yet; report it as just created.
		pod = &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: *want.Name, Namespace: task.Namespace}, Status: corev1.PodStatus{Phase: corev1.PodPending}}
	}
	logf.FromContext(ctx).Info("Started task pod", "pod", klog.KObj(pod))
	setStarted(task, rev, placement, r.Config)
	return pod, nil
}

// stopPod stops the task's pod and keeps it, so that its logs stay
// readable while the STOPPED task does: the pod's deadline
// (spec.activeDeadlineSeconds, which may only be shortened) set to 1 s,
// which has passed, makes the kubelet stop its containers (SIGTERM, the
// grace period, SIGKILL) and fail it. A pod no node runs has no log: it is
// deleted.
func (r *Reconciler) stopPod(ctx context.Context, pod *corev1.Pod) error {
	if pod == nil || !pod.DeletionTimestamp.IsZero() || taskstate.Finished(pod) {
		return nil
	}
	if pod.Spec.NodeName == "" {
		if err := r.Client.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete Pod %s: %w", pod.Name, err)
		}
		return nil
	}
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil && *d <= 1 {
		return nil
	}
	stopped := pod.DeepCopy()
	stopped.Spec.ActiveDeadlineSeconds = ptr.To[int64](1)
	if err := r.Client.Patch(ctx, stopped, client.MergeFrom(pod), client.FieldOwner(FieldOwner)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("stop Pod %s: %w", pod.Name, err)
	}
	return nil
}

func (r *Reconciler) emitTransitionEvents(stored, task *ecsv1alpha1.Task) {
	if c := meta.FindStatusCondition(task.Status.Conditions, ecsv1alpha1.ConditionReconciling); c != nil && c.Reason == ReasonPlacementFailed {
		if old := meta.FindStatusCondition(stored.Status.Conditions, ecsv1alpha1.ConditionReconciling); old == nil || old.Reason != ReasonPlacementFailed {
			r.Recorder.Eventf(task, nil, corev1.EventTypeWarning, ReasonPlacementFailed, "Run", "%s", c.Message)
		}
	}
	if stored.Status.LastStatus == task.Status.LastStatus || task.Status.LastStatus == "" {
		return
	}
	eventType := corev1.EventTypeNormal
	note := fmt.Sprintf("Task %s is %s", task.Name, task.Status.LastStatus)
	if task.Status.LastStatus == ecsv1alpha1.TaskStopped {
		note += fmt.Sprintf(" (%s: %s)", task.Status.StopCode, task.Status.StoppedReason)
		if task.Status.StopCode != ecsv1alpha1.StopCodeUserInitiated {
			eventType = corev1.EventTypeWarning
		}
	}
	r.Recorder.Eventf(task, nil, eventType, "Task"+string(task.Status.LastStatus), "Run", "%s", note)
}
