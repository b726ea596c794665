// Package servicetask replaces the tasks of a Service that ECS would stop:
// a task whose essential container exited (EssentialContainerExited), or
// whose essential container failed its health checks. The task's pod is
// deleted, so that its ReplicaSet starts a new task, and the Service gets
// ECS's event.
package servicetask

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/taskstate"
)

// Name is the controller's name in logs and metrics.
const Name = "servicetask"

// Event reasons.
const (
	// ReasonTaskStopped: the service stopped a task, to be replaced.
	ReasonTaskStopped = "TaskStopped"
)

// Reconciler follows the pods of Services' tasks.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Clock    clock.PassiveClock
	Options  controller.Options
}

// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller: it watches the pods of
// Services (label ecs.berth.dev/service).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	servicePods := predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetLabels()[ecsv1alpha1.LabelService] != ""
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&corev1.Pod{}, builder.WithPredicates(servicePods)).
		Complete(r)
}

// Verdict is why a service task is stopped, or not.
type Verdict struct {
	// Stop is true when the task must be replaced.
	Stop bool
	// StopCode and Reason are ECS's stopCode and stoppedReason.
	StopCode ecsv1alpha1.TaskStopCode
	Reason   string
	// Recheck is when to look again when time alone can change it.
	Recheck time.Duration
}

// Judge decides, purely, whether ECS's service scheduler would stop the
// task a pod runs. Health checks are ignored for grace after the task
// started (the Service's healthCheckGracePeriodSeconds).
func Judge(pod *corev1.Pod, grace time.Duration, now time.Time) (Verdict, error) {
	infos, err := taskstate.Infos(pod)
	if err != nil || infos == nil {
		return Verdict{}, err
	}
	st := taskstate.Observe(pod, infos, now)
	switch {
	case st.EssentialExited != nil:
		c := st.EssentialExited
		reason := "Essential container in task exited"
		if c.ExitCode != nil {
			reason = fmt.Sprintf("Essential container in task exited (container %s, exit code %d)", c.Info.Name, *c.ExitCode)
		}
		return Verdict{Stop: true, StopCode: ecsv1alpha1.StopCodeEssentialContainerExited, Reason: reason}, nil
	case st.Unhealthy != nil && pod.Status.StartTime != nil && now.Before(pod.Status.StartTime.Add(grace)):
		return Verdict{Recheck: pod.Status.StartTime.Add(grace).Sub(now)}, nil
	case st.Unhealthy != nil:
		return Verdict{Stop: true, StopCode: ecsv1alpha1.StopCodeServiceSchedulerInitiated,
			Reason: fmt.Sprintf("Task failed container health checks (container %s)", st.Unhealthy.Info.Name)}, nil
	}
	return Verdict{Recheck: st.Recheck}, nil
}

// Reconcile stops a service task ECS would stop.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	pod := &corev1.Pod{}
	if err := r.Client.Get(ctx, req.NamespacedName, pod); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !pod.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	log := logf.FromContext(ctx).WithValues("pod", klog.KObj(pod))
	svc := &ecsv1alpha1.Service{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: pod.Namespace, Name: pod.Labels[ecsv1alpha1.LabelService]}, svc); err != nil {
		// The Service is gone (its pods go with it) or not cached yet.
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	var grace time.Duration
	if g := svc.Spec.HealthCheckGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	v, err := Judge(pod, grace, r.Clock.Now())
	if err != nil {
		// A malformed annotation is not retried: it will not fix itself.
		log.Error(err, "Cannot read the task's containers")
		return ctrl.Result{}, nil
	}
	if !v.Stop {
		return ctrl.Result{RequeueAfter: v.Recheck}, nil
	}
	if err := r.Client.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("delete Pod %s: %w", pod.Name, err)
	}
	taskID := taskstate.TaskID(pod)
	log.Info("Stopped service task", "service", klog.KObj(svc), "stopCode", v.StopCode, "reason", v.Reason)
	ecsName := svc.Status.ServiceName
	if ecsName == "" {
		ecsName = svc.Name
	}
	r.Recorder.Eventf(svc, pod, corev1.EventTypeWarning, ReasonTaskStopped, "StopTask",
		"service %s has stopped 1 running tasks: (task %s). %s: %s", ecsName, taskID, v.StopCode, v.Reason)
	return ctrl.Result{}, nil
}
