package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/capacity"
)

// These tests show Application Auto Scaling for ECS services on the local
// control plane, with metrics-server reading kwok's simulated usage: target
// tracking through a HorizontalPodAutoscaler on the Service, step scaling
// on an alarm, a scheduled action, and scaling during a rollout.

// usageAnnotation is the pod annotation kwok's simulated kubelet reads a
// container's CPU use from (kustomize/metrics/usage/usage-from-annotation.yaml).
const usageAnnotation = "kwok.x-k8s.io/usage-cpu"

// load simulates a service's CPU load on its running tasks: either a total
// shared evenly (so that more tasks means less use each, as a web service
// behind a load balancer sees it) or a fixed use per task.
type load struct {
	mu       sync.Mutex
	total    int64 // millicores shared by the tasks; 0: perTask
	perTask  int64 // millicores on each task
	cancel   context.CancelFunc
	done     chan struct{}
	svc      string
	patchErr error
}

// simulateLoad keeps the usage annotation of the service's running pods at
// what the load says, until the test ends.
func simulateLoad(t *testing.T, svc string) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel, done: make(chan struct{}), svc: svc, perTask: 1}
	go func() {
		defer close(l.done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				l.apply(ctx)
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-l.done })
	return l
}

func (l *load) set(total, perTask int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total, l.perTask = total, perTask
}

// err is the last failure to set the load (read under the lock: the load
// goroutine writes it).
func (l *load) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.patchErr
}

func (l *load) apply(ctx context.Context) {
	var pods corev1.PodList
	if err := admin.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: l.svc}); err != nil {
		return
	}
	var running []*corev1.Pod
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp.IsZero() {
			running = append(running, p)
		}
	}
	l.mu.Lock()
	each := l.perTask
	if l.total > 0 && len(running) > 0 {
		each = max(1, l.total/int64(len(running)))
	}
	l.mu.Unlock()
	want := fmt.Sprintf("%dm", each)
	for _, p := range running {
		if p.Annotations[usageAnnotation] == want {
			continue
		}
		body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{usageAnnotation: want}}})
		// A task stopped by a scale-in between the list and the patch is
		// gone: that is not a failure to set the load.
		if err := admin.Patch(ctx, p, client.RawPatch(types.MergePatchType, body)); client.IgnoreNotFound(err) != nil {
			l.mu.Lock()
			l.patchErr = err
			l.mu.Unlock()
		}
	}
}

func scalableTarget(t *testing.T, doc string) *ecsv1alpha1.ScalableTarget {
	t.Helper()
	st := &ecsv1alpha1.ScalableTarget{}
	Expect(yaml.UnmarshalStrict([]byte(doc), st)).To(Succeed())
	st.Namespace = ns
	Expect(admin.Create(context.Background(), st)).To(Succeed())
	// Targets go at the end of the test: the no-op resync test counts
	// every write.
	t.Cleanup(func() { _ = admin.Delete(context.Background(), st) })
	return st
}

func getTarget(g Gomega, name string) *ecsv1alpha1.ScalableTarget {
	st := &ecsv1alpha1.ScalableTarget{}
	g.Expect(admin.Get(context.Background(), key(name), st)).To(Succeed())
	return st
}

func getHPA(g Gomega, name string) *autoscalingv2.HorizontalPodAutoscaler {
	hpa := &autoscalingv2.HorizontalPodAutoscaler{}
	g.Expect(admin.Get(context.Background(), key(name), hpa)).To(Succeed())
	return hpa
}

// activities lists a target's activity descriptions and causes, newest
// first.
func activities(st *ecsv1alpha1.ScalableTarget) string {
	var out []string
	for _, a := range st.Status.ScalingActivities {
		out = append(out, fmt.Sprintf("%s [%s] %s", a.Description, a.StatusCode, a.Cause))
	}
	return strings.Join(out, "\n")
}

// expectScaled waits until the HPA (when there is one), the Service and the
// ScalableTarget all say the service has desired tasks, all running, split
// over the providers as the strategy says, and the newest activity says so.
func expectScaled(t *testing.T, svcName, target string, desired int32, strategy []ecsv1alpha1.CapacityProviderStrategyItem, wait time.Duration) {
	t.Helper()
	Eventually(func(g Gomega) {
		svc := getService(g, svcName)
		g.Expect(svc.Spec.DesiredCount).To(Equal(ptr.To(desired)))
		g.Expect(svc.Status.RunningCount).To(Equal(ptr.To(desired)))
		st := getTarget(g, target)
		g.Expect(st.Status.DesiredCount).To(Equal(ptr.To(desired)))
		g.Expect(st.Status.ScalingActivities).NotTo(BeEmpty())
		g.Expect(st.Status.ScalingActivities[0].Description).To(Equal(fmt.Sprintf("Setting desired count to %d.", desired)), activities(st))
		if st.Status.HorizontalPodAutoscaler != "" {
			g.Expect(getHPA(g, st.Status.HorizontalPodAutoscaler).Status.DesiredReplicas).To(Equal(desired))
		}
		if strategy != nil {
			items := make([]capacity.Item, len(strategy))
			for i, it := range strategy {
				items[i] = capacity.Item{Name: it.CapacityProvider, Base: ptr.Deref(it.Base, 0), Weight: ptr.Deref(it.Weight, 0)}
			}
			split := capacity.Split(desired, items)
			want := map[string]int{}
			for i, n := range split {
				if n > 0 {
					want[names[strategy[i].CapacityProvider]] = int(n)
				}
			}
			g.Expect(providerTasks(g, svcName)).To(Equal(want))
		}
	}).WithTimeout(wait).WithPolling(time.Second).Should(Succeed())
}

// names maps capacity provider names to their objects' names.
var names = map[string]string{"FARGATE": "fargate", "FARGATE_SPOT": "fargate-spot"}

// TestTargetTracking: a service with target tracking on CPU (target 50 %,
// min 1, max 10) scales out when its tasks' simulated use rises, the new
// tasks run on the capacity providers its strategy names, and it scales
// back in after the scale-in cooldown when the use falls; the HPA, the
// Service and the ScalableTarget tell the same story.
func TestTargetTracking(t *testing.T) {
	RegisterTestingT(t)
	Expect(admin.Create(context.Background(), fargateTaskDefinition("busy"))).To(Succeed())
	strategy := []ecsv1alpha1.CapacityProviderStrategyItem{strategyItem("FARGATE", 1, 1), strategyItem("FARGATE_SPOT", 0, 1)}
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "busy", ns
	svc.Spec.TaskDefinition = "busy"
	svc.Spec.DesiredCount = ptr.To[int32](1)
	svc.Spec.CapacityProviderStrategy = strategy
	Expect(admin.Create(context.Background(), svc)).To(Succeed())
	l := simulateLoad(t, "busy")
	scalableTarget(t, `
metadata: {name: busy}
spec:
  serviceNamespace: ecs
  resourceId: service/default/busy
  scalableDimension: ecs:service:DesiredCount
  minCapacity: 1
  maxCapacity: 10
  scalingPolicies:
  - policyName: cpu50
    policyType: TargetTrackingScaling
    targetTrackingScalingPolicyConfiguration:
      targetValue: 50
      predefinedMetricSpecification: {predefinedMetricType: ECSServiceAverageCPUUtilization}
      scaleInCooldown: 10
      scaleOutCooldown: 10`)
	Eventually(func(g Gomega) {
		hpa := getHPA(g, "busy")
		g.Expect(hpa.Spec.ScaleTargetRef).To(Equal(autoscalingv2.CrossVersionObjectReference{APIVersion: "ecs.berth.dev/v1alpha1", Kind: "Service", Name: "busy"}))
		g.Expect(hpa.Spec.MinReplicas).To(Equal(ptr.To[int32](1)))
		g.Expect(hpa.Spec.MaxReplicas).To(Equal(int32(10)))
		g.Expect(hpa.Spec.Metrics[0].Resource.Target.AverageUtilization).To(Equal(ptr.To[int32](50)))
		g.Expect(*hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds).To(Equal(int32(10)))
		// The HPA reads the tasks' use: metrics flow.
		g.Expect(hpa.Status.CurrentMetrics).NotTo(BeEmpty())
		g.Expect(meta.IsStatusConditionTrue(getTarget(g, "busy").Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
	}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())

	// 1,000m of load over tasks of 250m: 400 % of one task's reservation,
	// 50 % once there are 8 tasks.
	start := time.Now()
	l.set(1000, 0)
	expectScaled(t, "busy", "busy", 8, strategy, 3*timeout)
	t.Logf("scaled out 1 → 8 in %s", time.Since(start).Round(time.Second))
	st := getTarget(Default, "busy")
	Expect(st.Status.ScalingActivities[0].Cause).To(Equal("monitor alarm TargetTracking-service/default/busy-AlarmHigh in state ALARM triggered policy cpu50"))
	Expect(st.Status.ScalingActivities[0].StatusMessage).To(Equal("Successfully set desired count to 8. Change successfully fulfilled by ecs."))

	// The load falls to 40m: 5 % of 8 tasks, so one task is enough, after
	// the 10 s scale-in cooldown.
	start = time.Now()
	l.set(40, 0)
	expectScaled(t, "busy", "busy", 1, strategy, 3*timeout)
	t.Logf("scaled in 8 → 1 in %s", time.Since(start).Round(time.Second))
	st = getTarget(Default, "busy")
	Expect(st.Status.ScalingActivities[0].Cause).To(Equal("monitor alarm TargetTracking-service/default/busy-AlarmLow in state ALARM triggered policy cpu50"))
	Expect(l.err()).NotTo(HaveOccurred())
	// The Service's events tell the scaling too.
	Eventually(func(g Gomega) {
		var evs corev1.EventList
		g.Expect(admin.List(context.Background(), &evs, client.InNamespace(ns), client.MatchingFields{"involvedObject.name": "busy"})).To(Succeed())
		var msgs []string
		for _, e := range evs.Items {
			if e.Reason == "ScalingActivity" && e.InvolvedObject.Kind == "Service" {
				msgs = append(msgs, e.Message)
			}
		}
		g.Expect(strings.Join(msgs, "\n")).To(ContainSubstring("(service busy) Application Auto Scaling: Setting desired count to 8."))
	}).WithTimeout(timeout).Should(Succeed())
}

// TestStepScalingAndScheduledAction: a step policy on a CPU alarm adds
// exactly its step and, within its cooldown, no more; a scheduled action an
// instant ahead, in another time zone, raises the minimum and the desired
// count follows.
func TestStepScalingAndScheduledAction(t *testing.T) {
	RegisterTestingT(t)
	Expect(admin.Create(context.Background(), fargateTaskDefinition("stepper"))).To(Succeed())
	strategy := []ecsv1alpha1.CapacityProviderStrategyItem{strategyItem("FARGATE", 0, 1)}
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "stepper", ns
	svc.Spec.TaskDefinition = "stepper"
	svc.Spec.DesiredCount = ptr.To[int32](1)
	svc.Spec.CapacityProviderStrategy = strategy
	Expect(admin.Create(context.Background(), svc)).To(Succeed())
	l := simulateLoad(t, "stepper")
	st := scalableTarget(t, `
metadata: {name: stepper}
spec:
  resourceId: service/default/stepper
  minCapacity: 1
  maxCapacity: 6
  scalingPolicies:
  - policyName: cpu-high
    policyType: StepScaling
    stepScalingPolicyConfiguration:
      adjustmentType: ChangeInCapacity
      cooldown: 300
      stepAdjustments:
      - {metricIntervalLowerBound: 0, metricIntervalUpperBound: 20, scalingAdjustment: 2}
      - {metricIntervalLowerBound: 20, scalingAdjustment: 4}
    alarms:
    - alarmName: busy-cpu-high
      namespace: AWS/ECS
      metricName: CPUUtilization
      dimensions: [{name: ClusterName, value: default}, {name: ServiceName, value: stepper}]
      statistic: Average
      period: 10
      evaluationPeriods: 2
      datapointsToAlarm: 2
      threshold: 70
      comparisonOperator: GreaterThanThreshold`)
	expectSteady(t, "stepper", "fargate", 1, "1")
	// 200m of 250m on each task: 80 %, 10 above the threshold, the first
	// step (+2).
	start := time.Now()
	l.set(0, 200)
	expectScaled(t, "stepper", "stepper", 3, strategy, 3*timeout)
	t.Logf("step scaled 1 → 3 in %s", time.Since(start).Round(time.Second))
	s := getTarget(Default, "stepper")
	Expect(s.Status.ScalingActivities[0].Cause).To(Equal("monitor alarm busy-cpu-high in state ALARM triggered policy cpu-high"))
	Expect(s.Status.ScalingPolicies).To(HaveLen(1))
	alarm := s.Status.ScalingPolicies[0].Alarms[0]
	Expect(alarm.StateValue).To(Equal(ecsv1alpha1.AlarmStateAlarm))
	Expect(alarm.StateReason).To(MatchRegexp(`^Threshold Crossed: 2 datapoints \[[0-9.]+, [0-9.]+\] were greater than the threshold \(70\.0\)\.$`))
	// Still in ALARM, but within the 300 s cooldown the same step adds
	// nothing more.
	Consistently(func(g Gomega) {
		g.Expect(getService(g, "stepper").Spec.DesiredCount).To(Equal(ptr.To[int32](3)))
	}).WithTimeout(25 * time.Second).WithPolling(time.Second).Should(Succeed())

	// A scheduled action two seconds ahead, written in Tokyo time, raises
	// the minimum to 5.
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	Expect(err).NotTo(HaveOccurred())
	at := time.Now().Add(3 * time.Second).In(tokyo).Format("2006-01-02T15:04:05")
	Eventually(func(g Gomega) {
		cur := getTarget(g, "stepper")
		cur.Spec.ScheduledActions = []ecsv1alpha1.ScheduledAction{{ScheduledActionName: "rush", Schedule: "at(" + at + ")", Timezone: "Asia/Tokyo",
			ScalableTargetAction: ecsv1alpha1.ScalableTargetAction{MinCapacity: ptr.To[int32](5)}}}
		g.Expect(admin.Update(context.Background(), cur)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
	expectScaled(t, "stepper", "stepper", 5, strategy, 2*timeout)
	s = getTarget(Default, "stepper")
	Expect(s.Status.MinCapacity).To(Equal(ptr.To[int32](5)))
	Expect(s.Status.MaxCapacity).To(Equal(ptr.To[int32](6)))
	Expect(s.Status.ScalingActivities[0].Cause).To(Equal("minimum capacity was set to 5"))
	Expect(s.Status.ScalingActivities[1].Description).To(Equal("Setting min capacity to 5"))
	Expect(s.Status.ScalingActivities[1].Cause).To(Equal("scheduled action name rush was triggered"))
	Expect(s.Status.ScheduledActions).To(HaveLen(1))
	Expect(s.Status.ScheduledActions[0].LastRunTime).NotTo(BeNil())
	Expect(s.Status.ScheduledActions[0].NextRunTime).To(BeNil(), "at() runs once")
	Expect(s.Status.ScheduledActions[0].LastRunTime.Time.In(tokyo).Format("2006-01-02T15:04:05")).To(Equal(at))
	_ = st
}

// TestScalingDuringRollout: while a deployment is in progress, scaling out
// changes the desired count and nothing else: the rollout keeps its bounds
// (never more than maximumPercent of the desired count, never fewer healthy
// tasks than minimumHealthyPercent allowed), the HPA does not scale in
// (Application Auto Scaling turns scale-in off during deployments), and
// only Berth's Service controller writes the Deployment's replicas.
func TestScalingDuringRollout(t *testing.T) {
	RegisterTestingT(t)
	Expect(admin.Create(context.Background(), rollTaskDefinition("ascroll", "public.ecr.aws/example/app:1", nil))).To(Succeed())
	Expect(admin.Create(context.Background(), rollService("ascroll", "ascroll", 2, 200, 100, nil))).To(Succeed())
	expectStable(t, "ascroll", 2, "1")
	scalableTarget(t, `
metadata: {name: ascroll}
spec:
  resourceId: service/default/ascroll
  minCapacity: 2
  maxCapacity: 8
  scalingPolicies:
  - policyName: cpu50
    policyType: TargetTrackingScaling
    targetTrackingScalingPolicyConfiguration:
      targetValue: 50
      predefinedMetricSpecification: {predefinedMetricType: ECSServiceAverageCPUUtilization}
      scaleInCooldown: 0`)
	// The API server defaults selectPolicy to Max.
	scaleDownPolicy := func(g Gomega) autoscalingv2.ScalingPolicySelect {
		return ptr.Deref(getHPA(g, "ascroll").Spec.Behavior.ScaleDown.SelectPolicy, autoscalingv2.MaxChangePolicySelect)
	}
	Eventually(scaleDownPolicy).WithTimeout(timeout).Should(Equal(autoscalingv2.MaxChangePolicySelect))

	pw := watchPods(t, "ascroll")
	// Revision 2's tasks exit as they start (Berth's kwok stage); without
	// a circuit breaker its deployment stays in progress until revision 3
	// replaces it.
	updateTaskDefinition(t, "ascroll", "public.ecr.aws/example/app:2", crashTags, 2)
	// During the deployment the HPA may not scale in, and the target says
	// why.
	Eventually(func(g Gomega) {
		g.Expect(scaleDownPolicy(g)).To(Equal(autoscalingv2.DisabledPolicySelect))
		c := meta.FindStatusCondition(getTarget(g, "ascroll").Status.Conditions, ecsv1alpha1.ConditionReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Message).To(ContainSubstring("scale-in is turned off while deployment"))
	}).WithTimeout(timeout).WithPolling(200 * time.Millisecond).Should(Succeed())
	// A scheduled action scales out to 4 mid-rollout.
	Eventually(func(g Gomega) {
		cur := getTarget(g, "ascroll")
		cur.Spec.ScheduledActions = []ecsv1alpha1.ScheduledAction{{ScheduledActionName: "more", Schedule: "at(" + time.Now().UTC().Add(time.Second).Format("2006-01-02T15:04:05") + ")",
			ScalableTargetAction: ecsv1alpha1.ScalableTargetAction{MinCapacity: ptr.To[int32](4)}}}
		g.Expect(admin.Update(context.Background(), cur)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(getService(g, "ascroll").Spec.DesiredCount).To(Equal(ptr.To[int32](4)))
	}).WithTimeout(timeout).Should(Succeed())
	inProgress := func(g Gomega) bool {
		for _, d := range getService(g, "ascroll").Status.Deployments {
			if d.Status == ecsv1alpha1.DeploymentPrimary && d.RolloutState == ecsv1alpha1.RolloutInProgress {
				return true
			}
		}
		return false
	}
	Expect(inProgress(Default)).To(BeTrue(), "the deployment is still in progress when the service scales")
	// The deployment works with the new count for a while: it starts (and
	// loses) more tasks of revision 2, within the bounds.
	Consistently(inProgress).WithTimeout(10 * time.Second).Should(BeTrue())
	updateTaskDefinition(t, "ascroll", "public.ecr.aws/example/app:3", nil, 3)
	expectStable(t, "ascroll", 4, "3")
	maxTasks, minReady, revs := pw.stop()
	t.Logf("scaled 2 → 4 during a 200/100 rollout: at most %d tasks, at least %d healthy", maxTasks, minReady)
	Expect(revs).To(HaveKey("2"))
	Expect(revs).To(HaveKey("3"))
	Expect(maxTasks).To(BeNumerically("<=", 8), "200 % of 4")
	Expect(minReady).To(BeNumerically(">=", 2), "100 % of the 2 tasks before scaling")
	// Scale-in is back once the deployment completed.
	Eventually(scaleDownPolicy).WithTimeout(timeout).Should(Equal(autoscalingv2.MaxChangePolicySelect))
	// One writer of the Deployment's replicas: Berth's Service controller.
	var dep appsv1.Deployment
	Expect(admin.Get(context.Background(), key("ascroll"), &dep)).To(Succeed())
	Expect(replicaOwners(dep.ManagedFields)).To(Equal([]string{"berth/service"}))
}

// replicaOwners lists the field managers that own spec.replicas.
func replicaOwners(mf []metav1.ManagedFieldsEntry) []string {
	var out []string
	for _, e := range mf {
		if e.FieldsV1 != nil && strings.Contains(e.FieldsV1.GetRawString(), `"f:replicas"`) && e.Subresource == "" {
			var f map[string]any
			if json.Unmarshal(e.FieldsV1.GetRawBytes(), &f) == nil {
				if spec, ok := f["f:spec"].(map[string]any); ok {
					if _, ok := spec["f:replicas"]; ok {
						out = append(out, e.Manager)
					}
				}
			}
		}
	}
	return out
}
