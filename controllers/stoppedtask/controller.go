// Package stoppedtask keeps the service tasks that ECS's scheduler stopped
// for the stopped-task retention, then deletes them. The service
// controller retires such a task's pod instead of deleting it (see
// taskstate.Retire): out of its ReplicaSet, its containers stopped, its
// logs and exit codes readable through the Kubernetes API, ListTasks and
// DescribeTasks (desiredStatus STOPPED), the CloudWatch Logs API and berth
// logs. This controller's one job is the end of that: a retired pod goes
// once its retention has passed since it was stopped, as ECS forgets a
// stopped task after about an hour, or when its service has more stopped
// tasks kept than MaxPerService (the oldest go). A standalone Task keeps its pod until
// the Task goes (the task controller's own retention).
package stoppedtask

import (
	"context"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/taskstate"
)

// Name is the controller's name.
const Name = "stoppedtask"

// DefaultTTL is how long a stopped service task is kept by default: ECS
// shows stopped tasks for about an hour.
const DefaultTTL = time.Hour

// DefaultMaxPerService is how many stopped tasks of one service are kept
// at most: a service whose tasks crash as they start would otherwise keep
// thousands within the hour, each with its dead containers on a node.
const DefaultMaxPerService = 100

// Reconciler deletes retired service-task pods once their retention has
// passed.
type Reconciler struct {
	Client client.Client
	Clock  clock.PassiveClock
	// TTL is how long a stopped task is kept (0: DefaultTTL; negative:
	// kept until its Service goes).
	TTL time.Duration
	// MaxPerService is how many stopped tasks of a service are kept at
	// most, the most recently stopped (0: DefaultMaxPerService).
	MaxPerService int
	Options       controller.Options
}

// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch;delete

// SetupWithManager registers the controller: it watches the retired pods
// only.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	retired := predicate.NewPredicateFuncs(func(o client.Object) bool {
		pod, ok := o.(*corev1.Pod)
		return ok && taskstate.Retired(pod)
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&corev1.Pod{}, builder.WithPredicates(retired)).
		Complete(r)
}

// Reconcile deletes a retired pod whose retention has passed, or says when
// it will have.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	pod := &corev1.Pod{}
	if err := r.Client.Get(ctx, req.NamespacedName, pod); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ttl := r.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	stopped, ok := taskstate.StoppedAt(pod)
	if !ok || ttl < 0 || !pod.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	if err := r.trim(ctx, pod); err != nil {
		return ctrl.Result{}, err
	}
	if wait := stopped.Add(ttl).Sub(r.Clock.Now()); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	if err := r.delete(ctx, pod); err != nil {
		return ctrl.Result{}, err
	}
	logf.FromContext(ctx).Info("Deleted stopped service task after its retention time", "pod", klog.KObj(pod), "stoppedAt", stopped)
	return ctrl.Result{}, nil
}

// trim deletes the stopped tasks of pod's service beyond MaxPerService,
// the least recently stopped first.
func (r *Reconciler) trim(ctx context.Context, pod *corev1.Pod) error {
	limit := r.MaxPerService
	if limit <= 0 {
		limit = DefaultMaxPerService
	}
	var kept corev1.PodList
	if err := r.Client.List(ctx, &kept, client.InNamespace(pod.Namespace),
		client.MatchingLabels{ecsv1alpha1.LabelStoppedService: pod.Labels[ecsv1alpha1.LabelStoppedService]}); err != nil {
		return err
	}
	if len(kept.Items) <= limit {
		return nil
	}
	at := func(p *corev1.Pod) time.Time { t, _ := taskstate.StoppedAt(p); return t }
	slices.SortFunc(kept.Items, func(a, b corev1.Pod) int {
		if c := at(&b).Compare(at(&a)); c != 0 {
			return c // the most recent first
		}
		return strings.Compare(a.Name, b.Name)
	})
	for i := limit; i < len(kept.Items); i++ {
		old := &kept.Items[i]
		if !old.DeletionTimestamp.IsZero() {
			continue
		}
		if err := r.delete(ctx, old); err != nil {
			return err
		}
		logf.FromContext(ctx).Info("Deleted stopped service task: its service keeps the most recent ones", "pod", klog.KObj(old), "kept", limit)
	}
	return nil
}

// delete deletes a pod, with its UID as a precondition: a new pod of the
// same name is not this one.
func (r *Reconciler) delete(ctx context.Context, pod *corev1.Pod) error {
	return client.IgnoreNotFound(r.Client.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}))
}
