package scalabletarget

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/autoscaling"
	"github.com/berth-dev/berth/internal/schedule"
)

// validate checks what admission rules cannot: step intervals without gaps
// or overlaps, schedules and time zones, alarm dimensions naming the
// service.
func validate(st *ecsv1alpha1.ScalableTarget) field.ErrorList {
	var errs field.ErrorList
	cluster, service := resourceParts(st.Spec.ResourceID)
	for i := range st.Spec.ScalingPolicies {
		p := &st.Spec.ScalingPolicies[i]
		pp := field.NewPath("spec", "scalingPolicies").Index(i)
		if c := p.StepScalingPolicyConfiguration; c != nil {
			if err := autoscaling.ValidateSteps(c.StepAdjustments); err != nil {
				errs = append(errs, field.Invalid(pp.Child("stepScalingPolicyConfiguration", "stepAdjustments"), len(c.StepAdjustments), err.Error()))
			}
		}
		for j := range p.Alarms {
			if err := autoscaling.CheckDimensions(&p.Alarms[j], cluster, service); err != nil {
				errs = append(errs, field.Invalid(pp.Child("alarms").Index(j).Child("dimensions"), len(p.Alarms[j].Dimensions), err.Error()))
			}
		}
	}
	for i := range st.Spec.ScheduledActions {
		a := &st.Spec.ScheduledActions[i]
		if _, err := schedule.Parse(a.Schedule, a.Timezone); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("spec", "scheduledActions").Index(i).Child("schedule"), a.Schedule, err.Error()))
		}
	}
	return errs
}

// invalidPolicy says whether validate found a problem in policy i.
func invalidPolicy(errs field.ErrorList, i int) bool {
	prefix := field.NewPath("spec", "scalingPolicies").Index(i).String() + "."
	for _, e := range errs {
		if strings.HasPrefix(e.Field, prefix) {
			return true
		}
	}
	return false
}

// resourceParts splits service/<cluster>/<service> (admission checked the
// form).
func resourceParts(id string) (cluster, service string) {
	cluster, service, _ = strings.Cut(strings.TrimPrefix(id, "service/"), "/")
	return cluster, service
}

// runScheduledActions runs the scheduled actions that are due: each sets
// the capacity range, and the desired count follows into it.
func (r *Reconciler) runScheduledActions(s *scope) {
	st := s.st
	suspended := st.Spec.SuspendedState != nil && st.Spec.SuspendedState.ScheduledScalingSuspended
	var out []ecsv1alpha1.ScheduledActionStatus
	for i := range st.Spec.ScheduledActions {
		a := &st.Spec.ScheduledActions[i]
		sched, err := schedule.Parse(a.Schedule, a.Timezone)
		if err != nil {
			continue // reported by validate
		}
		prev := findActionStatus(st.Status.ScheduledActions, a.ScheduledActionName)
		as, run := autoscaling.Due(a, sched, prev, s.now)
		out = append(out, as)
		if as.NextRunTime != nil {
			s.after(as.NextRunTime.Sub(s.now))
		}
		if !run || suspended {
			continue
		}
		old := s.rng
		rng, err := s.rng.Apply(a.ScalableTargetAction)
		if err != nil {
			s.record(autoscaling.SetRange(r.NewID(), rng, old, a.ScheduledActionName, err, s.now))
			continue
		}
		s.rng = rng
		r.setRange(s, old, true, a.ScheduledActionName)
	}
	st.Status.ScheduledActions = out
}

func findActionStatus(list []ecsv1alpha1.ScheduledActionStatus, name string) ecsv1alpha1.ScheduledActionStatus {
	for _, s := range list {
		if s.ScheduledActionName == name {
			return s
		}
	}
	return ecsv1alpha1.ScheduledActionStatus{ScheduledActionName: name}
}

func findPolicyStatus(list []ecsv1alpha1.ScalingPolicyStatus, name string) ecsv1alpha1.ScalingPolicyStatus {
	for _, s := range list {
		if s.PolicyName == name {
			return s
		}
	}
	return ecsv1alpha1.ScalingPolicyStatus{PolicyName: name}
}

func findAlarmStatus(list []ecsv1alpha1.AlarmStatus, name string) ecsv1alpha1.AlarmStatus {
	for _, s := range list {
		if s.AlarmName == name {
			return s
		}
	}
	return ecsv1alpha1.AlarmStatus{AlarmName: name}
}

// blocked says why dynamic scaling may not scale in or out now.
func blocked(st *ecsv1alpha1.ScalableTarget, svc *ecsv1alpha1.Service) (in, out string) {
	if ss := st.Spec.SuspendedState; ss != nil {
		if ss.DynamicScalingInSuspended {
			in = "dynamic scale-in is suspended"
		}
		if ss.DynamicScalingOutSuspended {
			out = "dynamic scale-out is suspended"
		}
	}
	if in == "" {
		if id := deploymentInProgress(svc); id != "" {
			in = fmt.Sprintf("scale-in is turned off while deployment %s is in progress", id)
		}
	}
	return in, out
}

// deploymentInProgress names the service's deployment in progress, if
// any: Application Auto Scaling turns scale-in off while one is.
func deploymentInProgress(svc *ecsv1alpha1.Service) string {
	for _, d := range svc.Status.Deployments {
		if d.Status == ecsv1alpha1.DeploymentPrimary && d.RolloutState == ecsv1alpha1.RolloutInProgress {
			return d.ID
		}
	}
	return ""
}

// runStepPolicies takes the alarms' datapoints that are due, evaluates
// the alarms (internal/alarms, the evaluator MetricAlarms use) and runs
// the step policies whose alarm is in ALARM.
func (r *Reconciler) runStepPolicies(ctx context.Context, s *scope) {
	st := s.st
	in, out := blocked(st, s.svc)
	keep := map[string]bool{}
	var statuses []ecsv1alpha1.ScalingPolicyStatus
	values := map[string]sample{}
	for i := range st.Spec.ScalingPolicies {
		p := &st.Spec.ScalingPolicies[i]
		if p.PolicyType != ecsv1alpha1.PolicyTypeStep || p.StepScalingPolicyConfiguration == nil {
			continue
		}
		ps := r.samples.latest(s.key(), st.UID, findPolicyStatus(st.Status.ScalingPolicies, p.PolicyName))
		if invalidPolicy(s.invalid, i) {
			// AAS would have refused it: it does not run, and keeps its
			// status until it is fixed.
			statuses = append(statuses, ps)
			for _, a := range p.Alarms {
				keep[p.PolicyName+"/"+a.AlarmName] = true
			}
			continue
		}
		var alarmStatuses []ecsv1alpha1.AlarmStatus
		fired, above := "", false
		var breach float64
		for j := range p.Alarms {
			a := &p.Alarms[j]
			key := p.PolicyName + "/" + a.AlarmName
			keep[key] = true
			as, fresh, v := r.evaluateAlarm(ctx, s, a, key, findAlarmStatus(ps.Alarms, a.AlarmName), values)
			alarmStatuses = append(alarmStatuses, as)
			if fresh && as.StateValue == ecsv1alpha1.AlarmStateAlarm && fired == "" && v.OK {
				fired, breach = a.AlarmName, v.Value-a.Threshold
				above = alarms.StepRule(a).Above()
			}
		}
		ps.Alarms = alarmStatuses
		if fired != "" {
			d := autoscaling.RunStep(autoscaling.StepInput{Policy: p, Status: ps, Breach: breach, Above: above, Current: s.desired,
				Range: s.rng, ScaleInBlocked: in, ScaleOutBlocked: out, Now: s.now})
			ps = d.Status
			if d.Desired != s.desired {
				s.record(autoscaling.SetDesiredCount(r.NewID(), d.Desired, autoscaling.AlarmCause(fired, p.PolicyName), s.now))
				s.desired = d.Desired
			} else {
				logf.FromContext(ctx).V(1).Info("Did not scale", "policy", p.PolicyName, "reason", d.Reason)
			}
		}
		statuses = append(statuses, ps)
	}
	st.Status.ScalingPolicies = statuses
	r.windows.Retain(s.key(), st.UID, keep)
	s.metricsErr = r.windows.LastErr(s.key(), st.UID)
}

// sample is one reading of a statistic of the service's tasks.
type sample = alarms.Sample

// evaluateAlarm takes the alarm's datapoint when one is due and evaluates
// the alarm. fresh says whether it took one.
func (r *Reconciler) evaluateAlarm(ctx context.Context, s *scope, a *ecsv1alpha1.StepPolicyAlarm, key string, prev ecsv1alpha1.AlarmStatus, values map[string]sample) (ecsv1alpha1.AlarmStatus, bool, sample) {
	ev := r.windows.Take(ctx, alarms.Key{Object: s.key(), UID: s.st.UID, Alarm: key}, alarms.StepRule(a), prev.StateValue, s.now,
		func(ctx context.Context) (alarms.Sample, error) { return r.read(ctx, s, a, values) })
	s.after(ev.Wait)
	if !ev.Took {
		return prev, false, sample{}
	}
	if ev.State != prev.StateValue {
		prev.StateValue, prev.StateReason, prev.StateUpdatedTimestamp = ev.State, ev.Reason, ptrTo(metav1Time(s.now))
	}
	return prev, true, ev.Sample
}

// read reads a statistic of the service's tasks once per reconcile.
func (r *Reconciler) read(ctx context.Context, s *scope, a *ecsv1alpha1.StepPolicyAlarm, values map[string]sample) (sample, error) {
	k := a.MetricName + "/" + string(a.Statistic)
	if v, ok := values[k]; ok {
		return v, nil
	}
	cluster, service := resourceParts(s.st.Spec.ResourceID)
	src := alarms.Source{MetricNS: a.Namespace, MetricName: a.MetricName, Statistic: string(a.Statistic), Cluster: cluster, Service: service}
	v, err := alarms.ReadSource(ctx, r.Metrics, src, []ecsv1alpha1.Service{*s.svc})
	values[k] = v
	return v, err
}
