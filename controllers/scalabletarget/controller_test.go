package scalabletarget

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// ---- builders ----

// cpuAlarm is a CloudWatch alarm on the service's CPUUtilization Average.
func cpuAlarm(name string, period, evaluationPeriods, datapointsToAlarm int32, threshold float64, op ecsv1alpha1.ComparisonOperator) ecsv1alpha1.StepPolicyAlarm {
	return ecsv1alpha1.StepPolicyAlarm{
		AlarmName: name, Namespace: "AWS/ECS", MetricName: "CPUUtilization", Statistic: ecsv1alpha1.StatisticAverage,
		Period: period, EvaluationPeriods: evaluationPeriods, DatapointsToAlarm: &datapointsToAlarm,
		Threshold: threshold, ComparisonOperator: op,
	}
}

// step is a step adjustment; nil bounds are infinite.
func step(lower, upper *float64, adjustment int32) ecsv1alpha1.StepAdjustment {
	return ecsv1alpha1.StepAdjustment{MetricIntervalLowerBound: lower, MetricIntervalUpperBound: upper, ScalingAdjustment: adjustment}
}

// stepPolicy is a ChangeInCapacity step scaling policy run by one alarm.
func stepPolicy(name string, cooldown int32, alarm ecsv1alpha1.StepPolicyAlarm, steps ...ecsv1alpha1.StepAdjustment) ecsv1alpha1.ScalingPolicy {
	return ecsv1alpha1.ScalingPolicy{
		PolicyName: name, PolicyType: ecsv1alpha1.PolicyTypeStep,
		StepScalingPolicyConfiguration: &ecsv1alpha1.StepScalingPolicyConfiguration{
			AdjustmentType: ecsv1alpha1.AdjustmentChangeInCapacity, Cooldown: &cooldown, StepAdjustments: steps,
		},
		Alarms: []ecsv1alpha1.StepPolicyAlarm{alarm},
	}
}

// cpuTargetTracking is a target tracking policy on the service's average
// CPU utilization.
func cpuTargetTracking(name string, target float64) ecsv1alpha1.ScalingPolicy {
	return ecsv1alpha1.ScalingPolicy{
		PolicyName: name, PolicyType: ecsv1alpha1.PolicyTypeTargetTracking,
		TargetTrackingScalingPolicyConfiguration: &ecsv1alpha1.TargetTrackingScalingPolicyConfiguration{
			TargetValue: target,
			PredefinedMetricSpecification: &ecsv1alpha1.PredefinedMetricSpecification{
				PredefinedMetricType: ecsv1alpha1.MetricECSServiceAverageCPUUtilization,
			},
		},
	}
}

func policyStatus(st *ecsv1alpha1.ScalableTarget, name string) ecsv1alpha1.ScalingPolicyStatus {
	for _, p := range st.Status.ScalingPolicies {
		if p.PolicyName == name {
			return p
		}
	}
	return ecsv1alpha1.ScalingPolicyStatus{}
}

// at is a status timestamp as the API server stores it.
func at(t time.Time) *metav1.Time { return ptr.To(metav1.NewTime(t)) }

// activity matches a Successful scaling activity with that description and cause.
func activity(description, cause string) OmegaMatcher {
	return And(HaveField("Description", description), HaveField("Cause", cause),
		HaveField("StatusCode", ecsv1alpha1.ActivitySuccessful))
}

func readyCondition(st *ecsv1alpha1.ScalableTarget) metav1.Condition {
	if c := meta.FindStatusCondition(st.Status.Conditions, ecsv1alpha1.ConditionReady); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// ---- 1. step scaling ----

// TestStepScaling runs a step scaling policy as Application Auto Scaling
// and CloudWatch do: the alarm goes to ALARM when 2 of its last 2
// one-minute datapoints breach 70 %; while it is in ALARM the policy runs
// once per datapoint; during the 300 s cooldown the tasks the last
// scale-out added count towards the next (so only a larger step adds
// more); and the range caps the desired count.
func TestStepScaling(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	h := newHarness(t, t0)
	g := h.g
	svc := h.createService("web", 4, ecsv1alpha1.RolloutCompleted)
	st := newTarget(h.ns, "web", "web", 1, 10)
	st.Spec.ScalingPolicies = []ecsv1alpha1.ScalingPolicy{stepPolicy("cpu-high", 300,
		cpuAlarm("web-cpu-high", 60, 2, 2, 70, ecsv1alpha1.GreaterThanThreshold),
		step(ptr.To(0.0), ptr.To(20.0), 2), // [70 %, 90 %): +2
		step(ptr.To(20.0), nil, 4),         // 90 % and more: +4
	)}
	h.create(st)
	h.metrics.set(4, 200, 250) // 4 tasks at 200 of 250 CPU units: 80 %
	const cause = "monitor alarm web-cpu-high in state ALARM triggered policy cpu-high"

	// t0: one datapoint breaches, but the alarm needs 2 of 2: not ALARM yet.
	res := h.reconcile(st)
	g.Expect(res.RequeueAfter).To(Equal(time.Minute), "back for the next datapoint")
	h.get(st)
	alarm := policyStatus(st, "cpu-high").Alarms
	g.Expect(alarm).To(HaveLen(1))
	g.Expect(alarm[0].AlarmName).To(Equal("web-cpu-high"))
	g.Expect(alarm[0].StateValue).To(Equal(ecsv1alpha1.AlarmStateInsufficientData))
	g.Expect(alarm[0].StateReason).To(Equal("Insufficient Data: 1 of the 2 datapoints needed to alarm."))
	g.Expect(alarm[0].StateUpdatedTimestamp).To(BeComparableTo(at(t0)))
	g.Expect(h.desiredCount(svc)).To(Equal(int32(4)))
	g.Expect(st.Status.ScalingActivities).To(BeEmpty())
	g.Expect(st.Status.DesiredCount).To(HaveValue(Equal(int32(4))))
	g.Expect(st.Status.MinCapacity).To(HaveValue(Equal(int32(1))))
	g.Expect(st.Status.MaxCapacity).To(HaveValue(Equal(int32(10))))
	g.Expect(readyCondition(st).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(readyCondition(st).Message).To(Equal("service/default/web scales between 1 and 10 tasks (desired 4); 1 step scaling policy"))

	// A reconcile before the next datapoint is due takes none.
	h.advance(30 * time.Second)
	res = h.reconcile(st)
	g.Expect(res.RequeueAfter).To(Equal(30 * time.Second))
	g.Expect(h.desiredCount(svc)).To(Equal(int32(4)))

	// t0+60 s: 2 datapoints at 80 %: ALARM; a breach of 10 is the +2 step.
	h.advance(30 * time.Second)
	t1 := h.clock.Now()
	h.reconcile(st)
	g.Expect(h.desiredCount(svc)).To(Equal(int32(6)))
	h.get(st)
	ps := policyStatus(st, "cpu-high")
	g.Expect(ps.Alarms[0]).To(BeComparableTo(ecsv1alpha1.AlarmStatus{
		AlarmName: "web-cpu-high", StateValue: ecsv1alpha1.AlarmStateAlarm,
		StateReason:           "Threshold Crossed: 2 datapoints [80.0, 80.0] were greater than the threshold (70.0).",
		StateUpdatedTimestamp: at(t1),
	}))
	g.Expect(ps.LastScaleOutTime).To(BeComparableTo(at(t1)))
	g.Expect(ps.LastScaleOutFrom).To(HaveValue(Equal(int32(4))))
	g.Expect(st.Status.DesiredCount).To(HaveValue(Equal(int32(6))))
	g.Expect(st.Status.ScalingActivities).To(HaveLen(1))
	g.Expect(st.Status.ScalingActivities[0]).To(BeComparableTo(ecsv1alpha1.ScalingActivity{
		ActivityID: "activity-1", Description: "Setting desired count to 6.", Cause: cause,
		StartTime: metav1.NewTime(t1), EndTime: at(t1), StatusCode: ecsv1alpha1.ActivitySuccessful,
		StatusMessage: "Successfully set desired count to 6. Change successfully fulfilled by ecs.",
	}))
	// The activity is an event on the target, and on the Service too.
	g.Expect(h.events.take()).To(Equal([]recorded{
		{Kind: "ScalableTarget", Name: "web", Type: "Normal", Reason: ReasonScalingActivity, Note: "Setting desired count to 6. Cause: " + cause},
		{Kind: "Service", Name: "web", Type: "Normal", Reason: ReasonScalingActivity, Note: "(service web) Application Auto Scaling: Setting desired count to 6. Cause: " + cause},
	}))

	// t0+120 s: still ALARM at 80 %, within the cooldown: the +2 step asks
	// for no more than the last scale-out added (4+2 = 6): no change.
	h.advance(time.Minute)
	h.reconcile(st)
	g.Expect(h.desiredCount(svc)).To(Equal(int32(6)))
	h.get(st)
	g.Expect(st.Status.ScalingActivities).To(HaveLen(1))
	ps = policyStatus(st, "cpu-high")
	g.Expect(ps.Alarms[0].StateUpdatedTimestamp).To(BeComparableTo(at(t1)), "the state did not change")
	g.Expect(ps.LastScaleOutTime).To(BeComparableTo(at(t1)))

	// t0+180 s: 100 %, a breach of 30: the +4 step. Within the cooldown the
	// last +2 counts towards it: 4+4 = 8, not 6+4.
	h.metrics.set(4, 250, 250)
	h.advance(time.Minute)
	t3 := h.clock.Now()
	h.reconcile(st)
	g.Expect(h.desiredCount(svc)).To(Equal(int32(8)))
	h.get(st)
	g.Expect(st.Status.ScalingActivities).To(HaveLen(2))
	g.Expect(st.Status.ScalingActivities[0]).To(activity("Setting desired count to 8.", cause))
	ps = policyStatus(st, "cpu-high")
	g.Expect(ps.LastScaleOutTime).To(BeComparableTo(at(t3)))
	g.Expect(ps.LastScaleOutFrom).To(HaveValue(Equal(int32(4))))

	// Past the cooldown (301 s after the last scale-out): +4 from 8, capped
	// at the maximum capacity, 10.
	h.advance(301 * time.Second)
	h.reconcile(st)
	g.Expect(h.desiredCount(svc)).To(Equal(int32(10)))
	h.get(st)
	g.Expect(st.Status.ScalingActivities).To(HaveLen(3))
	g.Expect(st.Status.ScalingActivities[0]).To(activity("Setting desired count to 10.", cause))
	g.Expect(policyStatus(st, "cpu-high").LastScaleOutFrom).To(HaveValue(Equal(int32(8))))
	g.Expect(st.Status.DesiredCount).To(HaveValue(Equal(int32(10))))

	// At the maximum, ALARM changes nothing more.
	h.advance(time.Minute)
	h.reconcile(st)
	g.Expect(h.desiredCount(svc)).To(Equal(int32(10)))
	h.get(st)
	g.Expect(st.Status.ScalingActivities).To(HaveLen(3))
}

// ---- 2. scale-in blocked ----

// TestStepScaleInBlocked shows a scale-in step policy held back, as
// Application Auto Scaling holds scale-in back while an ECS deployment is
// in progress and while dynamic scale-in is suspended, and running once
// the block is gone.
func TestStepScaleInBlocked(t *testing.T) {
	cases := []struct {
		name    string
		rollout ecsv1alpha1.RolloutState
		suspend bool
		// reason is how the target's Ready message explains the block.
		reason string
		// unblock removes the block.
		unblock func(h *harness, svc *ecsv1alpha1.Service, st *ecsv1alpha1.ScalableTarget)
	}{{
		name:    "deployment in progress",
		rollout: ecsv1alpha1.RolloutInProgress,
		reason:  "scale-in is turned off while deployment ecs-svc/1234567890123456789 is in progress",
		unblock: func(h *harness, svc *ecsv1alpha1.Service, _ *ecsv1alpha1.ScalableTarget) {
			h.setRollout(svc, ecsv1alpha1.RolloutCompleted)
		},
	}, {
		name:    "dynamic scale-in suspended",
		rollout: ecsv1alpha1.RolloutCompleted,
		suspend: true,
		reason:  "dynamic scale-in is suspended",
		unblock: func(h *harness, _ *ecsv1alpha1.Service, st *ecsv1alpha1.ScalableTarget) {
			h.update(st, func(st *ecsv1alpha1.ScalableTarget) { st.Spec.SuspendedState = nil })
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
			g := h.g
			svc := h.createService("web", 4, tc.rollout)
			st := newTarget(h.ns, "web", "web", 1, 10)
			// Below 30 % for one minute: remove a task.
			st.Spec.ScalingPolicies = []ecsv1alpha1.ScalingPolicy{stepPolicy("cpu-low", 300,
				cpuAlarm("web-cpu-low", 60, 1, 1, 30, ecsv1alpha1.LessThanThreshold),
				step(nil, ptr.To(0.0), -1))}
			if tc.suspend {
				st.Spec.SuspendedState = &ecsv1alpha1.SuspendedState{DynamicScalingInSuspended: true}
			}
			h.create(st)
			h.metrics.set(4, 25, 250) // 10 %

			h.reconcile(st)
			h.get(st)
			g.Expect(policyStatus(st, "cpu-low").Alarms[0].StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))
			g.Expect(h.desiredCount(svc)).To(Equal(int32(4)), "scale-in is blocked")
			g.Expect(st.Status.ScalingActivities).To(BeEmpty())
			g.Expect(policyStatus(st, "cpu-low").LastScaleInTime).To(BeNil())
			g.Expect(readyCondition(st).Message).To(ContainSubstring(tc.reason))

			tc.unblock(h, svc, st)
			h.advance(time.Minute)
			h.reconcile(st)
			g.Expect(h.desiredCount(svc)).To(Equal(int32(3)))
			h.get(st)
			g.Expect(st.Status.ScalingActivities).To(ConsistOf(activity("Setting desired count to 3.",
				"monitor alarm web-cpu-low in state ALARM triggered policy cpu-low")))
			g.Expect(policyStatus(st, "cpu-low").LastScaleInTime).To(BeComparableTo(at(h.clock.Now())))
			g.Expect(readyCondition(st).Message).NotTo(ContainSubstring(tc.reason))
		})
	}
}

// ---- 3. scheduled actions ----

// TestScheduledAction runs a cron scheduled action in its time zone: at
// 08:00 New York time on weekdays it raises the minimum capacity to 6,
// and the desired count follows into the new range. A new spec
// (RegisterScalableTarget again) puts the spec's range back in force
// without lowering the desired count, which is inside it.
func TestScheduledAction(t *testing.T) {
	// Friday 16 January 2026, 07:59 in New York (EST, UTC-5).
	t0 := time.Date(2026, 1, 16, 12, 59, 0, 0, time.UTC)
	h := newHarness(t, t0)
	g := h.g
	svc := h.createService("web", 4, ecsv1alpha1.RolloutCompleted)
	st := newTarget(h.ns, "web", "web", 1, 10)
	st.Spec.ScheduledActions = []ecsv1alpha1.ScheduledAction{{
		ScheduledActionName:  "weekday-mornings",
		Schedule:             "cron(0 8 ? * MON-FRI *)",
		Timezone:             "America/New_York",
		ScalableTargetAction: ecsv1alpha1.ScalableTargetAction{MinCapacity: ptr.To[int32](6)},
	}}
	h.create(st)

	// 07:59: the next run is 08:00 New York, 13:00 UTC.
	eight := time.Date(2026, 1, 16, 13, 0, 0, 0, time.UTC)
	res := h.reconcile(st)
	g.Expect(res.RequeueAfter).To(Equal(time.Minute))
	h.get(st)
	g.Expect(st.Status.ScheduledActions).To(HaveLen(1))
	g.Expect(st.Status.ScheduledActions[0].NextRunTime).To(BeComparableTo(at(eight)))
	g.Expect(st.Status.ScheduledActions[0].LastRunTime).To(BeNil())
	g.Expect(st.Status.MinCapacity).To(HaveValue(Equal(int32(1))))
	g.Expect(st.Status.ScalingActivities).To(BeEmpty())
	g.Expect(h.desiredCount(svc)).To(Equal(int32(4)))

	// 08:00:01: the action runs. Next is Monday 08:00, after the weekend.
	h.advance(61 * time.Second)
	monday := time.Date(2026, 1, 19, 13, 0, 0, 0, time.UTC)
	res = h.reconcile(st)
	g.Expect(res.RequeueAfter).To(Equal(monday.Sub(h.clock.Now())))
	g.Expect(h.desiredCount(svc)).To(Equal(int32(6)))
	h.get(st)
	g.Expect(st.Status.MinCapacity).To(HaveValue(Equal(int32(6))))
	g.Expect(st.Status.MaxCapacity).To(HaveValue(Equal(int32(10))))
	g.Expect(st.Status.RegisteredCapacity).To(Equal(&ecsv1alpha1.ScalableTargetAction{MinCapacity: ptr.To[int32](1), MaxCapacity: ptr.To[int32](10)}))
	g.Expect(st.Status.ScheduledActions[0].LastRunTime).To(BeComparableTo(at(eight)))
	g.Expect(st.Status.ScheduledActions[0].NextRunTime).To(BeComparableTo(at(monday)))
	// Newest first: the desired count followed the new minimum.
	g.Expect(st.Status.ScalingActivities).To(HaveExactElements(
		activity("Setting desired count to 6.", "minimum capacity was set to 6"),
		activity("Setting min capacity to 6", "scheduled action name weekday-mornings was triggered"),
	))
	g.Expect(h.events.take()).To(ConsistOf(
		HaveField("Note", "Setting min capacity to 6 Cause: scheduled action name weekday-mornings was triggered"),
		And(HaveField("Kind", "ScalableTarget"), HaveField("Note", "Setting desired count to 6. Cause: minimum capacity was set to 6")),
		And(HaveField("Kind", "Service"), HaveField("Note", "(service web) Application Auto Scaling: Setting desired count to 6. Cause: minimum capacity was set to 6")),
	))

	// A reconcile later the same morning runs nothing again.
	h.advance(time.Hour)
	h.reconcile(st)
	h.get(st)
	g.Expect(st.Status.ScalingActivities).To(HaveLen(2))

	// An edit that registers no new range (a suspension toggled) keeps
	// the range the action set, as PutScalingPolicy or suspending would.
	h.update(st, func(st *ecsv1alpha1.ScalableTarget) {
		st.Spec.SuspendedState = &ecsv1alpha1.SuspendedState{DynamicScalingInSuspended: true}
	})
	h.reconcile(st)
	h.get(st)
	g.Expect(st.Status.MinCapacity).To(HaveValue(Equal(int32(6))))

	// A new range is RegisterScalableTarget again: the spec's range (1–12)
	// replaces what the action set; 6 is inside it, so the desired count stays.
	h.update(st, func(st *ecsv1alpha1.ScalableTarget) { st.Spec.MaxCapacity = 12 })
	g.Expect(st.Generation).To(Equal(int64(3)))
	h.reconcile(st)
	h.get(st)
	g.Expect(st.Status.MinCapacity).To(HaveValue(Equal(int32(1))))
	g.Expect(st.Status.MaxCapacity).To(HaveValue(Equal(int32(12))))
	g.Expect(st.Status.RegisteredCapacity).To(Equal(&ecsv1alpha1.ScalableTargetAction{MinCapacity: ptr.To[int32](1), MaxCapacity: ptr.To[int32](12)}))
	g.Expect(h.desiredCount(svc)).To(Equal(int32(6)))
	g.Expect(st.Status.ScalingActivities).To(HaveLen(2), "no activity: nothing was scaled")
	g.Expect(st.Status.ScheduledActions[0].NextRunTime).To(BeComparableTo(at(monday)))
}

// TestScheduledActionFails: a scheduled action whose minimum is above the
// maximum in force fails, as in Application Auto Scaling: a Failed
// activity says why, and the range and desired count do not change.
func TestScheduledActionFails(t *testing.T) {
	h := newHarness(t, time.Date(2026, 1, 16, 12, 59, 0, 0, time.UTC))
	g := h.g
	svc := h.createService("web", 4, ecsv1alpha1.RolloutCompleted)
	st := newTarget(h.ns, "web", "web", 1, 5)
	st.Spec.ScheduledActions = []ecsv1alpha1.ScheduledAction{{
		ScheduledActionName:  "too-many",
		Schedule:             "at(2026-01-16T08:00:00)",
		Timezone:             "America/New_York",
		ScalableTargetAction: ecsv1alpha1.ScalableTargetAction{MinCapacity: ptr.To[int32](8)},
	}}
	h.create(st)
	h.reconcile(st)
	h.advance(61 * time.Second)
	h.reconcile(st)

	h.get(st)
	g.Expect(st.Status.ScalingActivities).To(HaveLen(1))
	a := st.Status.ScalingActivities[0]
	g.Expect(a.StatusCode).To(Equal(ecsv1alpha1.ActivityFailed))
	g.Expect(a.Description).To(Equal("Setting min capacity to 8"))
	g.Expect(a.Cause).To(Equal("scheduled action name too-many was triggered"))
	g.Expect(a.StatusMessage).To(Equal("minimum capacity 8 cannot be greater than maximum capacity 5"))
	g.Expect(st.Status.MinCapacity).To(HaveValue(Equal(int32(1))))
	g.Expect(st.Status.MaxCapacity).To(HaveValue(Equal(int32(5))))
	g.Expect(h.desiredCount(svc)).To(Equal(int32(4)))
	// at() runs once: it has run, and has no next run.
	g.Expect(st.Status.ScheduledActions[0].LastRunTime).To(BeComparableTo(at(time.Date(2026, 1, 16, 13, 0, 0, 0, time.UTC))))
	g.Expect(st.Status.ScheduledActions[0].NextRunTime).To(BeNil())
	// A failed activity is a Warning on the target, and no event on the Service.
	g.Expect(h.events.take()).To(ConsistOf(And(HaveField("Kind", "ScalableTarget"), HaveField("Type", "Warning"))))
}

// ---- 4. target tracking ----

// TestTargetTracking keeps a target tracking policy as a
// HorizontalPodAutoscaler on the Service's scale subresource, with the
// range in force, scale-in off while a deployment is in progress, and
// records the HPA's scalings as Application Auto Scaling records a target
// tracking policy's (its AlarmHigh and AlarmLow alarms).
func TestTargetTracking(t *testing.T) {
	h := newHarness(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	g := h.g
	ctx := context.Background()
	svc := h.createService("web", 4, ecsv1alpha1.RolloutInProgress)
	st := newTarget(h.ns, "web-scaling", "web", 2, 10)
	st.Spec.ScalingPolicies = []ecsv1alpha1.ScalingPolicy{cpuTargetTracking("cpu50", 50)}
	h.create(st)

	h.reconcile(st)
	// The write log sees the reconciler's writes (so that an empty one
	// below means something): the HPA applied, the status patched.
	g.Expect(h.takeWrites()).To(ConsistOf(
		"apply *v2.HorizontalPodAutoscalerApplyConfiguration ",
		"patch status *v1alpha1.ScalableTarget web-scaling",
	))
	h.get(st)
	hpa := &autoscalingv2.HorizontalPodAutoscaler{}
	h.g.Expect(direct.Get(ctx, client.ObjectKey{Namespace: h.ns, Name: "web-scaling"}, hpa)).To(Succeed())
	g.Expect(hpa.Spec.ScaleTargetRef).To(Equal(autoscalingv2.CrossVersionObjectReference{APIVersion: "ecs.berth.dev/v1alpha1", Kind: "Service", Name: "web"}))
	g.Expect(hpa.Spec.MinReplicas).To(HaveValue(Equal(int32(2))))
	g.Expect(hpa.Spec.MaxReplicas).To(Equal(int32(10)))
	g.Expect(hpa.Spec.Metrics).To(HaveLen(1))
	g.Expect(hpa.Spec.Metrics[0].Resource.Name).To(BeEquivalentTo("cpu"))
	g.Expect(hpa.Spec.Metrics[0].Resource.Target.AverageUtilization).To(HaveValue(Equal(int32(50))))
	g.Expect(metav1.IsControlledBy(hpa, st)).To(BeTrue(), "deleting the target deletes its HPA")
	// ECS deployment in progress: scale-in is off, scale-out is not.
	g.Expect(hpa.Spec.Behavior.ScaleDown.SelectPolicy).To(HaveValue(Equal(autoscalingv2.DisabledPolicySelect)))
	g.Expect(hpa.Spec.Behavior.ScaleUp.SelectPolicy).NotTo(HaveValue(Equal(autoscalingv2.DisabledPolicySelect)))
	g.Expect(st.Status.HorizontalPodAutoscaler).To(Equal("web-scaling"))
	g.Expect(readyCondition(st).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(readyCondition(st).Message).To(ContainSubstring("1 target tracking policy (HorizontalPodAutoscaler web-scaling)"))

	// The deployment completes: scale-in is back.
	h.setRollout(svc, ecsv1alpha1.RolloutCompleted)
	h.reconcile(st)
	h.get(hpa)
	g.Expect(hpa.Spec.Behavior.ScaleDown.SelectPolicy).NotTo(HaveValue(Equal(autoscalingv2.DisabledPolicySelect)))

	// Nothing changed: a reconcile writes nothing, neither the HPA nor the status.
	h.reconcile(st) // lets the status of the last change settle
	h.get(st)
	h.get(hpa)
	stRV, hpaRV := st.ResourceVersion, hpa.ResourceVersion
	h.takeWrites()
	h.reconcile(st)
	g.Expect(h.takeWrites()).To(BeEmpty())
	h.get(st)
	h.get(hpa)
	g.Expect(st.ResourceVersion).To(Equal(stRV))
	g.Expect(hpa.ResourceVersion).To(Equal(hpaRV))

	// The HPA scales out to 7 (the test plays kube-controller-manager): one
	// activity, caused by the policy's AlarmHigh alarm.
	scaled := metav1.NewTime(h.clock.Now().Add(-10 * time.Second))
	h.scaleService(svc, 7)
	hpa.Status = autoscalingv2.HorizontalPodAutoscalerStatus{LastScaleTime: &scaled, CurrentReplicas: 4, DesiredReplicas: 7}
	g.Expect(direct.Status().Update(ctx, hpa)).To(Succeed())
	h.events.take()
	h.reconcile(st)
	h.get(st)
	g.Expect(st.Status.ScalingActivities).To(HaveLen(1))
	g.Expect(st.Status.ScalingActivities[0]).To(activity("Setting desired count to 7.",
		"monitor alarm TargetTracking-service/default/web-AlarmHigh in state ALARM triggered policy cpu50"))
	g.Expect(st.Status.ScalingActivities[0].StartTime).To(BeComparableTo(scaled))
	g.Expect(st.Status.LastHPAScaleTime).To(BeComparableTo(&scaled))
	g.Expect(st.Status.DesiredCount).To(HaveValue(Equal(int32(7))))
	g.Expect(h.desiredCount(svc)).To(Equal(int32(7)), "the HPA's count stands")
	g.Expect(h.events.take()).To(HaveLen(2), "an event on the target and one on the Service")

	// The same HPA scaling is not recorded twice.
	h.reconcile(st)
	h.get(st)
	g.Expect(st.Status.ScalingActivities).To(HaveLen(1))

	// A later scale-in is the AlarmLow alarm's.
	h.advance(5 * time.Minute)
	later := metav1.NewTime(h.clock.Now())
	h.scaleService(svc, 5)
	h.get(hpa)
	hpa.Status.LastScaleTime, hpa.Status.CurrentReplicas, hpa.Status.DesiredReplicas = &later, 7, 5
	g.Expect(direct.Status().Update(ctx, hpa)).To(Succeed())
	h.reconcile(st)
	h.get(st)
	g.Expect(st.Status.ScalingActivities).To(HaveLen(2))
	g.Expect(st.Status.ScalingActivities[0]).To(activity("Setting desired count to 5.",
		"monitor alarm TargetTracking-service/default/web-AlarmLow in state ALARM triggered policy cpu50"))

	// The HPA cannot read its metric: the target is not Ready and says why.
	h.get(hpa)
	hpa.Status.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{{
		Type: autoscalingv2.ScalingActive, Status: "False", Reason: "FailedGetResourceMetric",
		Message: "the HPA was unable to compute the replica count", LastTransitionTime: later,
	}}
	g.Expect(direct.Status().Update(ctx, hpa)).To(Succeed())
	h.reconcile(st)
	h.get(st)
	g.Expect(readyCondition(st).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(readyCondition(st).Reason).To(Equal(ecsv1alpha1.ReasonScalingInactive))
	g.Expect(readyCondition(st).Message).To(Equal("HorizontalPodAutoscaler web-scaling: FailedGetResourceMetric: the HPA was unable to compute the replica count"))

	// Without target tracking policies the HPA goes.
	h.update(st, func(st *ecsv1alpha1.ScalableTarget) { st.Spec.ScalingPolicies = nil })
	h.reconcile(st)
	err := direct.Get(ctx, client.ObjectKeyFromObject(hpa), &autoscalingv2.HorizontalPodAutoscaler{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "HPA deleted: %v", err)
	h.get(st)
	g.Expect(st.Status.HorizontalPodAutoscaler).To(BeEmpty())
	g.Expect(readyCondition(st).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(h.desiredCount(svc)).To(Equal(int32(5)))
}

// ---- 5. problems ----

// TestProblems: what keeps a target from acting on its service is in its
// conditions, in Application Auto Scaling's words where it has them. A
// missing service may yet appear (Ready=False, Reconciling); a spec AAS
// would refuse needs a change (Stalled) and names the field.
func TestProblems(t *testing.T) {
	cases := []struct {
		name string
		// daemon: the service runs one task per instance.
		daemon  bool
		target  func(st *ecsv1alpha1.ScalableTarget)
		reason  string
		stalled bool
		message string
	}{{
		name:    "service not found",
		target:  func(st *ecsv1alpha1.ScalableTarget) { st.Spec.ResourceID = "service/default/nope" },
		reason:  ecsv1alpha1.ReasonDependencyNotReady,
		message: "ECS service doesn't exist: service/default/nope (no Service in namespace ",
	}, {
		name: "step adjustments leave a gap",
		target: func(st *ecsv1alpha1.ScalableTarget) {
			st.Spec.ScalingPolicies = []ecsv1alpha1.ScalingPolicy{stepPolicy("cpu-high", 300,
				cpuAlarm("web-cpu-high", 60, 1, 1, 70, ecsv1alpha1.GreaterThanThreshold),
				step(ptr.To(0.0), ptr.To(10.0), 1), step(ptr.To(20.0), nil, 2))}
		},
		reason:  ecsv1alpha1.ReasonInvalidParameter,
		stalled: true,
		message: "spec.scalingPolicies[0].stepScalingPolicyConfiguration.stepAdjustments: Invalid value: 2: step adjustments leave a gap between 10.0 and 20.0",
	}, {
		name: "alarm on another service",
		target: func(st *ecsv1alpha1.ScalableTarget) {
			a := cpuAlarm("web-cpu-high", 60, 1, 1, 70, ecsv1alpha1.GreaterThanThreshold)
			a.Dimensions = []ecsv1alpha1.MetricDimension{{Name: "ServiceName", Value: "api"}}
			st.Spec.ScalingPolicies = []ecsv1alpha1.ScalingPolicy{stepPolicy("cpu-high", 300, a, step(ptr.To(0.0), nil, 1))}
		},
		reason:  ecsv1alpha1.ReasonInvalidParameter,
		stalled: true,
		message: `spec.scalingPolicies[0].alarms[0].dimensions: Invalid value: 1: dimension ServiceName is "api", but the scalable target's service is web in cluster default`,
	}, {
		name:    "daemon service",
		daemon:  true,
		reason:  ecsv1alpha1.ReasonInvalidParameter,
		stalled: true,
		message: "service/default/web is a DAEMON service: it runs one task per instance and has no desired count to scale",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
			g := h.g
			var svc *ecsv1alpha1.Service
			if tc.daemon {
				svc = &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web"}}
				svc.Spec.TaskDefinition = "web"
				svc.Spec.SchedulingStrategy = ecsv1alpha1.SchedulingStrategyDaemon
				h.create(svc)
			} else {
				svc = h.createService("web", 4, ecsv1alpha1.RolloutCompleted)
			}
			st := newTarget(h.ns, "web", "web", 1, 10)
			if tc.target != nil {
				tc.target(st)
			}
			h.create(st)
			h.metrics.set(4, 125, 250) // 50 %: the alarms stay OK

			h.reconcile(st)
			h.get(st)
			ready := readyCondition(st)
			g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(ready.Reason).To(Equal(tc.reason))
			g.Expect(ready.Message).To(HavePrefix(tc.message))
			g.Expect(meta.IsStatusConditionTrue(st.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(Equal(tc.stalled))
			g.Expect(meta.IsStatusConditionTrue(st.Status.Conditions, ecsv1alpha1.ConditionReconciling)).To(Equal(!tc.stalled))
			g.Expect(st.Status.ObservedGeneration).To(Equal(st.Generation))
			if !tc.daemon {
				g.Expect(h.desiredCount(svc)).To(Equal(int32(4)))
			}
		})
	}
}

// TestInvalidPolicyDoesNotRun: a step policy Application Auto Scaling
// would refuse (PutScalingPolicy fails, so it never exists) must not scale
// the service while its target is Stalled for it. Here the breach falls
// in a step that is well defined, and the alarm names another service,
// whose metric Berth does not read.
func TestInvalidPolicyDoesNotRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy ecsv1alpha1.ScalingPolicy
	}{{
		name: "step adjustments overlap",
		policy: stepPolicy("cpu-high", 300, cpuAlarm("web-cpu-high", 60, 1, 1, 70, ecsv1alpha1.GreaterThanThreshold),
			step(ptr.To(0.0), ptr.To(20.0), 1), step(ptr.To(10.0), nil, 2)),
	}, {
		name: "alarm on another service",
		policy: func() ecsv1alpha1.ScalingPolicy {
			a := cpuAlarm("api-cpu-high", 60, 1, 1, 70, ecsv1alpha1.GreaterThanThreshold)
			a.Dimensions = []ecsv1alpha1.MetricDimension{{Name: "ServiceName", Value: "api"}}
			return stepPolicy("cpu-high", 300, a, step(ptr.To(0.0), nil, 1))
		}(),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
			svc := h.createService("web", 4, ecsv1alpha1.RolloutCompleted)
			st := newTarget(h.ns, "web", "web", 1, 10)
			st.Spec.ScalingPolicies = []ecsv1alpha1.ScalingPolicy{tc.policy}
			h.create(st)
			h.metrics.set(4, 200, 250) // 80 %: a breach of 10
			h.reconcile(st)
			h.get(st)
			h.g.Expect(meta.IsStatusConditionTrue(st.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(BeTrue())
			h.g.Expect(h.desiredCount(svc)).To(Equal(int32(4)))
			h.g.Expect(st.Status.ScalingActivities).To(BeEmpty())
		})
	}
}

// TestSecondTarget: Application Auto Scaling keeps one scalable target per
// resource and dimension; a second ScalableTarget for the same service is
// Stalled and names the one registered first, which stays in force.
func TestSecondTarget(t *testing.T) {
	h := newHarness(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	g := h.g
	h.createService("web", 4, ecsv1alpha1.RolloutCompleted)
	first := newTarget(h.ns, "a-first", "web", 1, 10)
	h.create(first)
	second := newTarget(h.ns, "b-second", "web", 2, 8)
	h.create(second)

	h.reconcile(first)
	h.reconcile(second)
	h.get(first)
	h.get(second)
	g.Expect(readyCondition(first).Status).To(Equal(metav1.ConditionTrue))
	stalled := meta.FindStatusCondition(second.Status.Conditions, ecsv1alpha1.ConditionStalled)
	g.Expect(stalled).NotTo(BeNil())
	g.Expect(stalled.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(stalled.Reason).To(Equal(ecsv1alpha1.ReasonInvalidParameter))
	g.Expect(stalled.Message).To(Equal("a scalable target for service/default/web and ecs:service:DesiredCount is already registered: ScalableTarget a-first"))
	g.Expect(second.Status.MinCapacity).To(BeNil(), "the second target's range is not in force")
}
