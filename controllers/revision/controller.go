// Package revision keeps a deleted TaskDefinitionRevision while something
// uses it, as Kubernetes keeps a PersistentVolumeClaim a pod uses: ECS
// never breaks a running service, and deleting a TaskDefinition (a GitOps
// prune) deletes its revisions. Every revision carries
// FinalizerRevisionInUse (set when it is registered); a deleted one is
// DELETE_IN_PROGRESS, says who uses it, and goes once nothing does.
package revision

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/klog/v2"
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
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/watch"
)

// Name is the controller's name in logs and metrics.
const Name = "revision"

// FieldOwner is the field manager of the finalizer.
const FieldOwner = "berth/revision"

// ReasonInUse: a deleted revision stays while a service or task uses it.
const ReasonInUse = "InUse"

// Reconciler protects TaskDefinitionRevisions in use.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Account  names.Account
	Options  controller.Options
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitionrevisions,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitionrevisions/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitionrevisions/finalizers,verbs=update
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services;tasks,verbs=get;list;watch
// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller. Only deleted revisions need
// more than a look: a user of one going away wakes them.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&ecsv1alpha1.TaskDefinitionRevision{}).
		Watches(&ecsv1alpha1.Service{}, handler.EnqueueRequestsFromMapFunc(r.byFamily)).
		Watches(&ecsv1alpha1.Task{}, handler.EnqueueRequestsFromMapFunc(r.byFamily)).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(byPod), builder.WithPredicates(podGone)).
		Complete(r)
}

// podGone passes the deletion of a pod of a task, and its end (a stopped
// task's pod is kept a while for its logs: it no longer uses the revision).
var podGone = predicate.Funcs{
	CreateFunc: func(event.CreateEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		old, okOld := e.ObjectOld.(*corev1.Pod)
		pod, ok := e.ObjectNew.(*corev1.Pod)
		return ok && okOld && pod.Labels[ecsv1alpha1.LabelTaskDefinition] != "" && taskstate.Finished(pod) && !taskstate.Finished(old)
	},
	GenericFunc: func(event.GenericEvent) bool { return false },
	DeleteFunc: func(e event.DeleteEvent) bool {
		return e.Object.GetLabels()[ecsv1alpha1.LabelTaskDefinition] != ""
	},
}

// byPod enqueues the revision a task's pod ran.
func byPod(_ context.Context, o client.Object) []reconcile.Request {
	l := o.GetLabels()
	n, err := strconv.ParseInt(l[ecsv1alpha1.LabelRevision], 10, 32)
	if err != nil || l[ecsv1alpha1.LabelTaskDefinition] == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: names.Revision(l[ecsv1alpha1.LabelTaskDefinition], int32(n))}}}
}

// byFamily enqueues the deleted revisions of the family a Service or Task
// refers to.
func (r *Reconciler) byFamily(ctx context.Context, o client.Object) []reconcile.Request {
	var ref string
	switch x := o.(type) {
	case *ecsv1alpha1.Service:
		ref = x.Spec.TaskDefinition
	case *ecsv1alpha1.Task:
		ref = x.Spec.TaskDefinition
	}
	family, err := names.ParseTaskDefinition(ref)
	if err != nil {
		return nil
	}
	var list ecsv1alpha1.TaskDefinitionRevisionList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{resolve.IndexFamily: family.Family}); err != nil {
		logf.FromContext(ctx).Error(err, "Failed to list revisions for a watch event")
		return nil
	}
	return watch.Requests(list.Items, func(rev *ecsv1alpha1.TaskDefinitionRevision) bool { return !rev.DeletionTimestamp.IsZero() })
}

// Reconcile adds the finalizer to a revision that lacks it (one
// registered by an earlier Berth), and lets a deleted revision go once
// nothing uses it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	rev := &ecsv1alpha1.TaskDefinitionRevision{}
	if err := r.Client.Get(ctx, req.NamespacedName, rev); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if rev.DeletionTimestamp.IsZero() {
		_, err := patch.AddFinalizer(ctx, r.Client, rev, ecsv1alpha1.FinalizerRevisionInUse, client.FieldOwner(FieldOwner))
		return ctrl.Result{}, err
	}
	if !controllerutil.ContainsFinalizer(rev, ecsv1alpha1.FinalizerRevisionInUse) {
		return ctrl.Result{}, nil
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("revision", klog.KObj(rev)))
	users, err := r.users(ctx, rev)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(users) == 0 {
		wrote, err := patch.RemoveFinalizer(ctx, r.Client, rev, ecsv1alpha1.FinalizerRevisionInUse, client.FieldOwner(FieldOwner))
		if wrote {
			logf.FromContext(ctx).Info("Deleted task definition revision: nothing uses it")
		}
		return ctrl.Result{}, err
	}
	stored := rev.DeepCopy()
	msg := fmt.Sprintf("TaskDefinition %s:%d is DELETE_IN_PROGRESS: in use by %s; it is deleted once nothing uses it",
		rev.Spec.Family, rev.Spec.Revision, strings.Join(users, ", "))
	rev.Status.Status = ecsv1alpha1.TaskDefinitionDeleteInProgress
	conditions.Summarize(&rev.Status.Conditions, rev.Generation, conditions.Progressing, ReasonInUse, msg)
	rev.Status.ObservedGeneration = rev.Generation
	if c := meta.FindStatusCondition(stored.Status.Conditions, ecsv1alpha1.ConditionReconciling); c == nil || c.Reason != ReasonInUse {
		r.Recorder.Eventf(rev, nil, corev1.EventTypeNormal, ReasonInUse, "Delete", "%s", msg)
	}
	_, err = patch.Status(ctx, r.Client, stored, rev)
	return ctrl.Result{}, err
}

// users says what uses rev: Services whose deployments (running tasks, or
// the one a rollback returns to) are of it, Tasks not STOPPED started from
// it, and pods of it that still exist (a task stopping included).
func (r *Reconciler) users(ctx context.Context, rev *ecsv1alpha1.TaskDefinitionRevision) ([]string, error) {
	arn := r.Account.TaskDefinitionArn(rev.Spec.Family, rev.Spec.Revision)
	in, byFamily := client.InNamespace(rev.Namespace), client.MatchingFields{resolve.IndexFamily: rev.Spec.Family}
	var users []string
	var svcs ecsv1alpha1.ServiceList
	if err := r.Client.List(ctx, &svcs, in, byFamily); err != nil {
		return nil, fmt.Errorf("list Services: %w", err)
	}
	for _, svc := range svcs.Items {
		for _, d := range svc.Status.Deployments {
			if d.TaskDefinition == arn {
				users = append(users, fmt.Sprintf("Service %s (deployment %s, %s)", svc.Name, d.ID, d.Status))
				break
			}
		}
	}
	var tasks ecsv1alpha1.TaskList
	if err := r.Client.List(ctx, &tasks, in, byFamily); err != nil {
		return nil, fmt.Errorf("list Tasks: %w", err)
	}
	for _, t := range tasks.Items {
		if t.Status.TaskDefinitionArn == arn && t.Status.LastStatus != ecsv1alpha1.TaskStopped {
			users = append(users, "Task "+t.Name)
		}
	}
	sort.Strings(users)
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, in, client.MatchingLabels{
		ecsv1alpha1.LabelTaskDefinition: rev.Labels[ecsv1alpha1.LabelTaskDefinition],
		ecsv1alpha1.LabelRevision:       strconv.Itoa(int(rev.Spec.Revision)),
	}); err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	pods.Items = slices.DeleteFunc(pods.Items, func(p corev1.Pod) bool { return taskstate.Finished(&p) })
	if n := len(pods.Items); n > 0 {
		users = append(users, fmt.Sprintf("%d tasks (pods)", n))
	}
	return users, nil
}
