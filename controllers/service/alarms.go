package service

import (
	"context"
	"slices"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/rollout"
)

// deploymentAlarms reads the Service's deployment alarms
// (deploymentConfiguration.alarms with enable) for the scheduler: which
// are in ALARM now, and the bake time they give a deployment. An alarm
// name no MetricAlarm has is never in ALARM, as in CloudWatch.
func (r *Reconciler) deploymentAlarms(ctx context.Context, svc *ecsv1alpha1.Service) (*rollout.Alarms, error) {
	names := watchedAlarms(svc)
	if len(names) == 0 {
		return nil, nil
	}
	list, err := alarms.Named(ctx, r.Client, svc.Namespace, names)
	if err != nil {
		return nil, err
	}
	a := &rollout.Alarms{Names: names, Rollback: svc.Spec.DeploymentConfiguration.Alarms.Rollback, Bake: bakeTime(list)}
	for _, n := range names {
		if in, _ := alarms.InAlarm(list, []string{n}); in != "" {
			a.InAlarm = append(a.InAlarm, in)
		}
	}
	slices.Sort(a.InAlarm)
	return a, nil
}

// watchedAlarms are the alarm names a Service's deployments watch.
func watchedAlarms(svc *ecsv1alpha1.Service) []string {
	dc := svc.Spec.DeploymentConfiguration
	if dc == nil || dc.Alarms == nil || !dc.Alarms.Enable {
		return nil
	}
	return dc.Alarms.AlarmNames
}

// bakeTime is how long a deployment bakes with its alarms watched: ECS
// computes it from the alarms' configuration and does not say how; Berth
// takes the longest evaluation window among them (period ×
// evaluationPeriods), the time an alarm needs to see the new tasks alone.
func bakeTime(list []ecsv1alpha1.MetricAlarm) time.Duration {
	var bake time.Duration
	for i := range list {
		if rule, ok := alarms.RuleOf(&list[i]); ok {
			bake = max(bake, rule.Period*time.Duration(max(rule.EvaluationPeriods, 1)))
		}
	}
	return bake
}

// alarmStateChanged passes a MetricAlarm that was created, deleted or
// changed state: what a deployment watching it acts on.
var alarmStateChanged = predicate.Funcs{
	CreateFunc:  func(event.CreateEvent) bool { return true },
	DeleteFunc:  func(event.DeleteEvent) bool { return true },
	GenericFunc: func(event.GenericEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*ecsv1alpha1.MetricAlarm)
		n, ok2 := e.ObjectNew.(*ecsv1alpha1.MetricAlarm)
		return ok1 && ok2 && (o.Status.StateValue != n.Status.StateValue || alarms.Name(o) != alarms.Name(n) ||
			o.Generation != n.Generation || !n.DeletionTimestamp.IsZero())
	},
}

// byAlarm enqueues the Services of the alarm's namespace whose deployments
// watch it.
func (r *Reconciler) byAlarm(ctx context.Context, o client.Object) []reconcile.Request {
	a, ok := o.(*ecsv1alpha1.MetricAlarm)
	if !ok {
		return nil
	}
	var list ecsv1alpha1.ServiceList
	if err := r.Client.List(ctx, &list, client.InNamespace(a.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		logf.FromContext(ctx).Error(err, "Failed to list Services for a MetricAlarm event")
		return nil
	}
	name := alarms.Name(a)
	var reqs []reconcile.Request
	for i := range list.Items {
		if slices.Contains(watchedAlarms(&list.Items[i]), name) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return reqs
}

// stopRequest reads a StopServiceDeployment request from the Service's
// annotations (names.StopDeployment, rollout.StopTarget).
func stopRequest(svc *ecsv1alpha1.Service) *rollout.StopRequest {
	ref, rollback := names.StopDeployment(svc.Annotations)
	id := rollout.StopTarget(svc.Status.ServiceDeployments, ref)
	if id == "" {
		return nil
	}
	return &rollout.StopRequest{ID: id, Rollback: rollback}
}
