package metricalarm

import (
	"context"
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/testenv"
)

// TestFirstDatapoint: a new alarm is INSUFFICIENT_DATA ("Unchecked") until
// its first datapoint, which is taken at once: OK below the threshold (an
// alarm needing 2 of 2), ALARM on a breach when 1 datapoint is enough.
// Either way it is Ready, with its ARN, DescribeAlarms' state members and
// an event for the change; it comes back for the next datapoint a period
// later.
func TestFirstDatapoint(t *testing.T) {
	h := newHarness(t)
	g := h.g
	h.service("web")
	h.usage.set(2, 300) // 30 %
	a := h.cpuAlarm("web-cpu-high", 70)

	res := h.reconcile(a)
	g.Expect(res.RequeueAfter).To(Equal(time.Minute))
	g.Expect(a.Status.AlarmName).To(Equal("web-cpu-high"))
	g.Expect(a.Status.AlarmArn).To(Equal("arn:aws:cloudwatch:us-east-1:000000000000:alarm:web-cpu-high"))
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateOK))
	g.Expect(a.Status.StateReason).To(Equal("Threshold Crossed: 1 datapoint [30.0] was not greater than the threshold (70.0)."))
	g.Expect(a.Status.StateReasonData).To(HavePrefix(`{"version":"1.0","queryDate":"2026-05-04T10:00:00.000+0000"`))
	g.Expect(a.Status.StateReasonData).To(ContainSubstring(`"statistic":"Average","period":60,"recentDatapoints":[30],"threshold":70`))
	g.Expect(a.Status.StateUpdatedTimestamp).To(BeComparableTo(at(t0)))
	g.Expect(a.Status.StateTransitionedTimestamp).To(BeComparableTo(at(t0)))
	g.Expect(a.Status.AlarmConfigurationUpdatedTimestamp).To(BeComparableTo(at(t0)))
	ready := condition(a, ecsv1alpha1.ConditionReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(ready.Reason).To(Equal(ecsv1alpha1.ReasonAlarmEvaluated))
	g.Expect(ready.Message).To(Equal("OK: Threshold Crossed: 1 datapoint [30.0] was not greater than the threshold (70.0)."))
	g.Expect(kstatusOf(g, a)).To(Equal(status.CurrentStatus))
	g.Expect(h.events.Take()).To(ConsistOf(testenv.Event{Kind: "MetricAlarm", Name: "web-cpu-high", Type: "Normal", Reason: ecsv1alpha1.ReasonAlarmStateChanged,
		Note: "Alarm web-cpu-high updated from INSUFFICIENT_DATA to OK: Threshold Crossed: 1 datapoint [30.0] was not greater than the threshold (70.0)."}))
	// The members Berth does not honour exactly are listed.
	g.Expect(a.Status.FieldNotes).To(ConsistOf(HaveField("Path", "spec.period")))
	g.Expect(condition(a, ecsv1alpha1.ConditionFullySupported).Reason).To(Equal(ecsv1alpha1.ReasonFieldsApproximated))

	// One breaching datapoint is enough with datapointsToAlarm 1: ALARM at
	// once, and still Ready (ALARM is the alarm's value, not a failure).
	h.usage.set(2, 900) // 90 %
	b := h.cpuAlarm("web-cpu-90", 80, func(a *ecsv1alpha1.MetricAlarm) {
		a.Spec.AlarmName = "web CPU above 80 %"
		a.Spec.DatapointsToAlarm = ptr.To[int32](1)
		a.Spec.AlarmActions = []string{"arn:aws:sns:us-east-1:000000000000:oncall"}
	})
	h.reconcile(b)
	g.Expect(b.Status.AlarmName).To(Equal("web CPU above 80 %"))
	g.Expect(b.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))
	g.Expect(b.Status.StateReason).To(Equal("Threshold Crossed: 1 datapoint [90.0] was greater than the threshold (80.0)."))
	g.Expect(condition(b, ecsv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(kstatusOf(g, b)).To(Equal(status.CurrentStatus))
	// Berth runs no alarm actions, and says so.
	g.Expect(b.Status.FieldNotes).To(ContainElement(And(HaveField("Path", "spec.alarmActions"), HaveField("Level", ecsv1alpha1.FidelityUnsupported))))
	g.Expect(condition(b, ecsv1alpha1.ConditionFullySupported).Reason).To(Equal(ecsv1alpha1.ReasonUnsupportedFields))
}

// TestBreachAndNoOpPasses: an alarm needing 2 of 2 datapoints goes to
// ALARM on the second breaching one, with CloudWatch's reason; a reconcile
// before the next datapoint is due, and a datapoint that changes no
// state, write nothing.
func TestBreachAndNoOpPasses(t *testing.T) {
	h := newHarness(t)
	g := h.g
	h.service("web")
	h.usage.set(2, 300)
	a := h.cpuAlarm("web-cpu-high", 70)
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateOK))
	h.writes.Take()
	h.events.Take()

	// 20 s later: no datapoint is due; nothing is written; back in 40 s.
	h.advance(20 * time.Second)
	h.usage.set(2, 800)
	reads := h.usage.reads
	res := h.reconcile(a)
	g.Expect(res.RequeueAfter).To(Equal(40 * time.Second))
	g.Expect(h.writes.Take()).To(BeEmpty())
	g.Expect(h.usage.reads).To(Equal(reads), "no read before the datapoint is due")

	// 60 s: one breaching datapoint of the 2 needed; the other is fine: OK
	// stays, nothing is written.
	h.advance(40 * time.Second)
	res = h.reconcile(a)
	g.Expect(res.RequeueAfter).To(Equal(time.Minute))
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateOK))
	g.Expect(h.writes.Take()).To(BeEmpty(), "a datapoint that changes no state writes nothing")

	// 120 s: 2 of 2 breach: ALARM.
	h.advance(time.Minute)
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))
	g.Expect(a.Status.StateReason).To(Equal("Threshold Crossed: 2 datapoints [80.0, 80.0] were greater than the threshold (70.0)."))
	g.Expect(a.Status.StateTransitionedTimestamp).To(BeComparableTo(at(t0.Add(2 * time.Minute))))
	g.Expect(condition(a, ecsv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(kstatusOf(g, a)).To(Equal(status.CurrentStatus))
	g.Expect(h.writes.Take()).To(HaveLen(1), "one status write for the change")
	g.Expect(h.events.Take()).To(ConsistOf(HaveField("Note", "Alarm web-cpu-high updated from OK to ALARM: Threshold Crossed: 2 datapoints [80.0, 80.0] were greater than the threshold (70.0).")))

	// Staying in ALARM writes nothing.
	h.advance(time.Minute)
	h.reconcile(a)
	g.Expect(h.writes.Take()).To(BeEmpty())

	// A Service's deployment alarms see it in ALARM.
	var list ecsv1alpha1.MetricAlarmList
	g.Expect(env.Direct.List(context.Background(), &list, client.InNamespace(h.ns))).To(Succeed())
	name, reason := alarms.InAlarm(list.Items, []string{"other", "web-cpu-high"})
	g.Expect(name).To(Equal("web-cpu-high"))
	g.Expect(reason).To(HavePrefix("Threshold Crossed: 2 datapoints"))
}

// TestMissingData: when the service has no task reporting its use, a
// datapoint is missing, and the alarm does what its treatMissingData says.
func TestMissingData(t *testing.T) {
	for _, c := range []struct {
		treat     ecsv1alpha1.TreatMissingData
		usage     int64 // the first datapoint's CPU (of 1,000)
		before    ecsv1alpha1.AlarmState
		after     ecsv1alpha1.AlarmState
		reason    string
		writesNow int
	}{
		{"", 300, ecsv1alpha1.AlarmStateOK, ecsv1alpha1.AlarmStateInsufficientData, "Insufficient Data: 1 datapoint was unknown.", 1},
		{ecsv1alpha1.TreatMissingDataMissing, 900, ecsv1alpha1.AlarmStateAlarm, ecsv1alpha1.AlarmStateInsufficientData, "Insufficient Data: 1 datapoint was unknown.", 1},
		{ecsv1alpha1.TreatMissingDataBreaching, 300, ecsv1alpha1.AlarmStateOK, ecsv1alpha1.AlarmStateAlarm,
			"Threshold Crossed: 1 datapoint [(missing)] was greater than the threshold (70.0).", 1},
		{ecsv1alpha1.TreatMissingDataNotBreaching, 900, ecsv1alpha1.AlarmStateAlarm, ecsv1alpha1.AlarmStateOK,
			"Threshold Crossed: 1 datapoint [(missing)] was not greater than the threshold (70.0).", 1},
		{ecsv1alpha1.TreatMissingDataIgnore, 900, ecsv1alpha1.AlarmStateAlarm, ecsv1alpha1.AlarmStateAlarm,
			"Threshold Crossed: 1 datapoint [90.0] was greater than the threshold (70.0).", 0},
	} {
		t.Run(string(c.treat), func(t *testing.T) {
			h := newHarness(t)
			g := h.g
			h.service("web")
			h.usage.set(1, c.usage)
			a := h.cpuAlarm("a", 70, func(a *ecsv1alpha1.MetricAlarm) {
				a.Spec.EvaluationPeriods, a.Spec.TreatMissingData = ptr.To[int32](1), c.treat
			})
			h.reconcile(a)
			g.Expect(a.Status.StateValue).To(Equal(c.before))
			h.writes.Take()

			h.usage.set(0, 0) // no task reports its use
			h.advance(time.Minute)
			h.reconcile(a)
			g.Expect(a.Status.StateValue).To(Equal(c.after))
			g.Expect(a.Status.StateReason).To(Equal(c.reason))
			g.Expect(h.writes.Take()).To(HaveLen(c.writesNow))
			g.Expect(condition(a, ecsv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue), "an alarm that has had data stays Ready")
		})
	}
}

// TestWaitingForTheFirstDatapoint: an alarm whose metric has no value yet
// (no task runs, or the metrics API fails) is in progress, never Stalled;
// its first datapoint makes it Ready.
func TestWaitingForTheFirstDatapoint(t *testing.T) {
	h := newHarness(t)
	g := h.g
	h.service("web")
	h.usage.err = errors.New(`read the resource metrics API (metrics.k8s.io) for service web: the server could not find the requested resource`)
	a := h.cpuAlarm("a", 70)
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateInsufficientData))
	g.Expect(a.Status.StateReason).To(Equal(alarms.InitialReason))
	rec := condition(a, ecsv1alpha1.ConditionReconciling)
	g.Expect(rec.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(rec.Reason).To(Equal(ecsv1alpha1.ReasonWaitingForData))
	g.Expect(rec.Message).To(ContainSubstring("metrics.k8s.io"))
	g.Expect(condition(a, ecsv1alpha1.ConditionStalled).Type).To(BeEmpty())
	g.Expect(kstatusOf(g, a)).To(Equal(status.InProgressStatus))

	h.usage.set(2, 100)
	h.advance(time.Minute)
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateOK))
	g.Expect(condition(a, ecsv1alpha1.ConditionReconciling).Type).To(BeEmpty())
	g.Expect(kstatusOf(g, a)).To(Equal(status.CurrentStatus))
}

// TestServiceThatDoesNotExistYet: an alarm on a service that may still
// appear (objects applied together come in any order) waits for it:
// Reconciling with DependencyNotReady, never Stalled; the Service's
// creation wakes it, and its first datapoint makes it Ready.
func TestServiceThatDoesNotExistYet(t *testing.T) {
	h := newHarness(t)
	g := h.g
	h.usage.set(2, 100)
	a := h.cpuAlarm("a", 70)
	res := h.reconcile(a)
	rec := condition(a, ecsv1alpha1.ConditionReconciling)
	g.Expect(rec.Reason).To(Equal(ecsv1alpha1.ReasonDependencyNotReady))
	g.Expect(rec.Message).To(HavePrefix("The alarm's service does not exist: service/default/web (no Service in namespace " + h.ns))
	g.Expect(condition(a, ecsv1alpha1.ConditionStalled).Type).To(BeEmpty())
	g.Expect(condition(a, ecsv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(kstatusOf(g, a)).To(Equal(status.InProgressStatus))
	g.Expect(res.RequeueAfter).To(Equal(5*time.Second), "a safety net; the Service's creation is what wakes it")
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateInsufficientData))

	svc := h.service("web")
	env.Settle(h.g, h.ns, func() client.ObjectList { return &ecsv1alpha1.MetricAlarmList{} })
	g.Expect(h.r.byService(context.Background(), svc)).To(ConsistOf(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(a)}))
	h.advance(time.Minute)
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateOK))
	g.Expect(condition(a, ecsv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(condition(a, ecsv1alpha1.ConditionReconciling).Type).To(BeEmpty())
}

// TestSetAlarmState: the ecs.berth.dev/set-alarm-state annotations set the
// state (SetAlarmState) until the next evaluation changes it; each
// distinct request is applied once; an invalid one is reported once and
// not applied.
func TestSetAlarmState(t *testing.T) {
	h := newHarness(t)
	g := h.g
	h.service("web")
	h.usage.set(2, 300)
	a := h.cpuAlarm("a", 70, func(a *ecsv1alpha1.MetricAlarm) { a.Spec.Period = ptr.To[int32](300) })
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateOK))
	h.events.Take()

	h.advance(10 * time.Second)
	h.annotate(a, map[string]string{ecsv1alpha1.AnnotationSetAlarmState: "ALARM", ecsv1alpha1.AnnotationSetAlarmStateReason: "testing the rollback"})
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))
	g.Expect(a.Status.StateReason).To(Equal("testing the rollback"))
	g.Expect(a.Status.StateUpdatedTimestamp).To(BeComparableTo(at(t0.Add(10 * time.Second))))
	g.Expect(a.Status.SetAlarmState).To(HavePrefix("sha256:"))
	g.Expect(condition(a, ecsv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(h.events.Take()).To(ConsistOf(HaveField("Note", "Alarm a updated from OK to ALARM: testing the rollback")))

	// It holds until the next evaluation; applied once.
	h.writes.Take()
	h.advance(time.Minute)
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))
	g.Expect(h.writes.Take()).To(BeEmpty())

	// The next datapoint (a period after the last) decides again: OK.
	h.advance(4 * time.Minute)
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateOK))

	// The same request again with a new set-alarm-state-at is applied again.
	h.annotate(a, map[string]string{ecsv1alpha1.AnnotationSetAlarmStateAt: "2"})
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))
	h.events.Take()

	// An invalid state is reported once, and not applied.
	h.annotate(a, map[string]string{ecsv1alpha1.AnnotationSetAlarmState: "RED"})
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))
	g.Expect(h.events.Take()).To(ConsistOf(And(HaveField("Type", "Warning"), HaveField("Note", ContainSubstring("Value 'RED' at 'stateValue' failed to satisfy constraint")))))
	h.reconcile(a)
	g.Expect(h.events.Take()).To(BeEmpty())
}

// TestInvalidSpec: what admission rules cannot see and the user must
// change is Stalled, with the field path: a metric Berth does not publish
// (an alarm that would never have data), wrong dimensions, a unit the
// metric is not in, an alarm name another alarm has.
func TestInvalidSpec(t *testing.T) {
	h := newHarness(t)
	g := h.g
	for _, c := range []struct {
		name    string
		change  func(*ecsv1alpha1.MetricAlarm)
		message string
	}{
		{"ec2", func(a *ecsv1alpha1.MetricAlarm) { a.Spec.Namespace = "AWS/EC2" },
			`spec.namespace: Invalid value: "AWS/EC2": Berth publishes the metrics of namespaces AWS/ECS and ECS/ContainerInsights only`},
		{"name", func(a *ecsv1alpha1.MetricAlarm) { a.Spec.MetricName = "NetworkIn" },
			`spec.metricName: Invalid value: "NetworkIn": Berth publishes no AWS/ECS metric of that name: it publishes CPUUtilization, MemoryUtilization`},
		{"dims", func(a *ecsv1alpha1.MetricAlarm) { a.Spec.Dimensions = a.Spec.Dimensions[1:] },
			`spec.dimensions: Invalid value: "[ServiceName]": AWS/ECS CPUUtilization has the dimensions ClusterName and ServiceName (a service's) or ClusterName alone (the cluster's)`},
		{"unit", func(a *ecsv1alpha1.MetricAlarm) { a.Spec.Unit = "Bytes" },
			`spec.unit: Invalid value: "Bytes": AWS/ECS CPUUtilization is published in Percent: an alarm on unit Bytes would never have data`},
		{"query", func(a *ecsv1alpha1.MetricAlarm) {
			a.Spec.Metrics = []ecsv1alpha1.AlarmMetricDataQuery{{ID: "m1", MetricStat: &ecsv1alpha1.AlarmMetricStat{
				Metric: ecsv1alpha1.AlarmMetric{Namespace: "ECS/ContainerInsights", MetricName: "RunningTaskCount", Dimensions: a.Spec.Dimensions[:1]}, Period: 60, Stat: "Minimum"}}}
			a.Spec.Namespace, a.Spec.MetricName, a.Spec.Dimensions, a.Spec.Period, a.Spec.Statistic = "", "", nil, nil, ""
		}, `spec.metrics[0].metricStat.metric.dimensions: Invalid value: "[ClusterName]": ECS/ContainerInsights RunningTaskCount has the dimensions ClusterName and ServiceName (a service's)`},
	} {
		a := h.cpuAlarm("bad-"+c.name, 70, c.change)
		res := h.reconcile(a)
		g.Expect(res).To(Equal(reconcile.Result{}), c.name)
		st := condition(a, ecsv1alpha1.ConditionStalled)
		g.Expect(st.Status).To(Equal(metav1.ConditionTrue), c.name)
		g.Expect(st.Reason).To(Equal(ecsv1alpha1.ReasonInvalidParameter), c.name)
		g.Expect(st.Message).To(HavePrefix(c.message), c.name)
		g.Expect(kstatusOf(g, a)).To(Equal(status.FailedStatus), c.name)
	}

	// Two alarms of one name: the first holds it, the other is Stalled
	// until the first goes.
	h.service("web")
	h.usage.set(1, 100)
	first := h.cpuAlarm("first", 70, func(a *ecsv1alpha1.MetricAlarm) { a.Spec.AlarmName = "web-cpu" })
	h.reconcile(first)
	second := h.cpuAlarm("second", 70, func(a *ecsv1alpha1.MetricAlarm) { a.Spec.AlarmName = "web-cpu" })
	h.reconcile(second)
	st := condition(second, ecsv1alpha1.ConditionStalled)
	g.Expect(st.Reason).To(Equal(ecsv1alpha1.ReasonDuplicateAlarmName))
	g.Expect(st.Message).To(Equal(`spec.alarmName: an alarm named "web-cpu" already exists in namespace ` + h.ns + ` (MetricAlarm first): alarm names are unique in an account`))
	h.reconcile(first)
	g.Expect(condition(first, ecsv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))

	g.Expect(env.Direct.Delete(context.Background(), first)).To(Succeed())
	env.Settle(h.g, h.ns, func() client.ObjectList { return &ecsv1alpha1.MetricAlarmList{} })
	g.Expect(h.r.sameName(context.Background(), first)).To(ConsistOf(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(second)}))
	h.reconcile(second)
	g.Expect(condition(second, ecsv1alpha1.ConditionStalled).Type).To(BeEmpty())
	g.Expect(condition(second, ecsv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
}

// TestMetricsQueryAndCounts: the metrics form (one metricStat query) is
// evaluated as the top-level members are; Container Insights' task counts
// come from the Service's status.
func TestMetricsQueryAndCounts(t *testing.T) {
	h := newHarness(t)
	g := h.g
	h.service("web") // 2 running of 3 desired
	a := h.cpuAlarm("running-low", 3, func(a *ecsv1alpha1.MetricAlarm) {
		a.Spec.Metrics = []ecsv1alpha1.AlarmMetricDataQuery{{ID: "m1", Label: "running", MetricStat: &ecsv1alpha1.AlarmMetricStat{
			Metric: ecsv1alpha1.AlarmMetric{Namespace: "ECS/ContainerInsights", MetricName: "RunningTaskCount", Dimensions: a.Spec.Dimensions}, Period: 60, Stat: "Minimum"}}}
		a.Spec.Namespace, a.Spec.MetricName, a.Spec.Dimensions, a.Spec.Period, a.Spec.Statistic = "", "", nil, nil, ""
		a.Spec.EvaluationPeriods = ptr.To[int32](1)
		a.Spec.ComparisonOperator = ecsv1alpha1.AlarmComparisonOperator(ecsv1alpha1.LessThanThreshold)
	})
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))
	g.Expect(a.Status.StateReason).To(Equal("Threshold Crossed: 1 datapoint [2.0] was less than the threshold (3.0)."))
	g.Expect(h.usage.reads).To(BeZero(), "a count is read from the status, not the metrics API")
	g.Expect(a.Status.FieldNotes).To(ContainElement(HaveField("Path", "spec.metrics[0].label")))
	g.Expect(a.Status.FieldNotes).To(ContainElement(HaveField("Path", "spec.metrics[0].metricStat.period")))

	// A cluster's metric: its ServiceCount.
	b := h.cpuAlarm("services", 0, func(a *ecsv1alpha1.MetricAlarm) {
		a.Spec.Namespace, a.Spec.MetricName, a.Spec.Dimensions = "ECS/ContainerInsights", "ServiceCount", a.Spec.Dimensions[:1]
		a.Spec.EvaluationPeriods = ptr.To[int32](1)
	})
	h.reconcile(b)
	g.Expect(b.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))
	g.Expect(b.Status.StateReason).To(Equal("Threshold Crossed: 1 datapoint [1.0] was greater than the threshold (0.0)."))
}

// TestRestartKeepsTheState: a new reconciler (an operator restart) has no
// datapoints; the state in the status stays, and the alarm stays Ready,
// until new datapoints decide.
func TestRestartKeepsTheState(t *testing.T) {
	h := newHarness(t)
	g := h.g
	h.service("web")
	h.usage.set(2, 900)
	a := h.cpuAlarm("a", 70, func(a *ecsv1alpha1.MetricAlarm) { a.Spec.DatapointsToAlarm = ptr.To[int32](1) })
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))

	h.r = &Reconciler{Client: h.writes.Client(env.Cached), Recorder: h.events, Clock: h.clock, Account: h.r.Account, Metrics: h.usage}
	h.usage.set(0, 0)
	h.writes.Take()
	h.advance(10 * time.Second)
	h.reconcile(a)
	g.Expect(a.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm), "a missing datapoint in a window whose history the restart lost does not decide")
	g.Expect(condition(a, ecsv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(h.writes.Take()).To(BeEmpty())
}
