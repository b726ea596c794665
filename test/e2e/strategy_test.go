package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/hooks"
	"github.com/berth-dev/berth/internal/strategy"
	"github.com/berth-dev/berth/internal/translate"
)

// deploymentMinute is how long one of ECS's minutes lasts for the
// operator the e2e suite runs (bake times, steps, hook timeouts).
const deploymentMinute = 5 * time.Second

// kwok's chaos stage: a pod with this label exits with the code its
// annotation gives.
const chaosStage = "pod-container-running-failed.stage.kwok.x-k8s.io"

// webTaskDefinition serves on 8080, with a health check.
func webTaskDefinition(family, image string) *ecsv1alpha1.TaskDefinition {
	td := rollTaskDefinition(family, image, nil)
	td.Spec.ContainerDefinitions[0].PortMappings = []ecsv1alpha1.PortMapping{{ContainerPort: ptr.To[int32](8080)}}
	return td
}

// blueGreenService: desired tasks behind target group <name>-tg, with a
// test listener, a bake of bake (shortened) minutes and the hooks given.
func blueGreenService(name string, desired, bake int32, hooks ...ecsv1alpha1.DeploymentLifecycleHook) *ecsv1alpha1.Service {
	svc := rollService(name, name, desired, 200, 100, nil)
	svc.Annotations = map[string]string{translate.AnnotationDeregistrationDelay: "0"}
	svc.Spec.DeploymentConfiguration.Strategy = ecsv1alpha1.DeploymentStrategyBlueGreen
	svc.Spec.DeploymentConfiguration.BakeTimeInMinutes = ptr.To(bake)
	svc.Spec.DeploymentConfiguration.LifecycleHooks = hooks
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{
		TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/" + name + "-tg/0123456789abcdef",
		ContainerName:  "app", ContainerPort: ptr.To[int32](8080),
		AdvancedConfiguration: &ecsv1alpha1.AdvancedConfiguration{
			AlternateTargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/" + name + "-green/0123456789abcdef",
			ProductionListenerRule:  "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/3",
			TestListenerRule:        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/4/5",
		},
	}}
	return svc
}

func updateWebTaskDefinition(t *testing.T, family, image string, revision int32) {
	t.Helper()
	Eventually(func(g Gomega) {
		td := &ecsv1alpha1.TaskDefinition{}
		g.Expect(admin.Get(context.Background(), key(family), td)).To(Succeed())
		td.Spec = webTaskDefinition(family, image).Spec
		g.Expect(admin.Update(context.Background(), td)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
	Eventually(func(g Gomega) {
		td := &ecsv1alpha1.TaskDefinition{}
		g.Expect(admin.Get(context.Background(), key(family), td)).To(Succeed())
		g.Expect(td.Status.Revision).To(Equal(revision))
	}).WithTimeout(timeout).Should(Succeed())
}

// endpointWatch samples, every 100 ms, the revisions of the ready
// endpoints of a Kubernetes Service, and the service's tasks by revision.
type endpointWatch struct {
	mu sync.Mutex
	// mixed are the samples whose ready endpoints were of more than one
	// revision; seen the sequence of distinct endpoint revision sets.
	mixed []string
	seen  []string
	// blueDuringBake is the most revision-1 tasks seen running while the
	// deployment was in BAKE_TIME with production on revision 2.
	blueDuringBake int
	stages         []string
	cancel         context.CancelFunc
	done           chan struct{}
}

func watchEndpoints(service, kubeService string) *endpointWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &endpointWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for ctx.Err() == nil {
			w.sample(ctx, service, kubeService)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *endpointWatch) sample(ctx context.Context, service, kubeService string) {
	var pods corev1.PodList
	var slices discoveryv1.EndpointSliceList
	svc := &ecsv1alpha1.Service{}
	if admin.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: service}) != nil ||
		admin.List(ctx, &slices, client.InNamespace(ns), client.MatchingLabels{discoveryv1.LabelServiceName: kubeService}) != nil ||
		admin.Get(ctx, key(service), svc) != nil {
		return
	}
	revision := map[string]string{}
	running := map[string]int{}
	for _, p := range pods.Items {
		revision[p.Name] = p.Labels[ecsv1alpha1.LabelRevision]
		if p.DeletionTimestamp.IsZero() && p.Status.Phase == corev1.PodRunning {
			running[p.Labels[ecsv1alpha1.LabelRevision]]++
		}
	}
	revs := map[string]bool{}
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && *e.Conditions.Ready && e.TargetRef != nil {
				revs["rev "+revision[e.TargetRef.Name]] = true
			}
		}
	}
	var set []string
	for r := range revs {
		set = append(set, r)
	}
	sort.Strings(set)
	key := strings.Join(set, ",")
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(set) > 1 {
		w.mixed = append(w.mixed, key)
	}
	if len(w.seen) == 0 || w.seen[len(w.seen)-1] != key {
		w.seen = append(w.seen, key)
	}
	if st := svc.Status.Strategy; st != nil && st.LifecycleStage != "" && (len(w.stages) == 0 || w.stages[len(w.stages)-1] != st.LifecycleStage) {
		w.stages = append(w.stages, st.LifecycleStage)
	}
	if st := svc.Status.Strategy; st != nil && st.LifecycleStage == string(strategy.StageBakeTime) && key == "rev 2" {
		w.blueDuringBake = max(w.blueDuringBake, running["1"])
	}
}

func (w *endpointWatch) stop() {
	w.cancel()
	<-w.done
}

// TestBlueGreenDeployment: a BLUE_GREEN service of 4 tasks moves to
// revision 2. The production Service's ready endpoints are all revision
// 1's until the switch and all revision 2's after it, never a mix; the
// test listener's Service reaches green first; blue's 4 tasks remain for
// the bake, then go; the deployment is SUCCESSFUL and the service steady.
func TestBlueGreenDeployment(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	Expect(admin.Create(ctx, webTaskDefinition("bluegreen", "public.ecr.aws/example/web:1"))).To(Succeed())
	Expect(admin.Create(ctx, blueGreenService("bluegreen", 4, 2))).To(Succeed())
	expectStable(t, "bluegreen", 4, "1")

	w := watchEndpoints("bluegreen", "bluegreen-tg")
	defer w.stop()
	updateWebTaskDefinition(t, "bluegreen", "public.ecr.aws/example/web:2", 2)
	Eventually(func(g Gomega) {
		svc := getService(g, "bluegreen")
		g.Expect(svc.Status.Strategy).NotTo(BeNil())
		g.Expect(svc.Status.Strategy.Status).To(Equal(ecsv1alpha1.ServiceDeploymentSuccessful), "%+v", svc.Status.Strategy)
	}).WithTimeout(3 * timeout).WithPolling(time.Second).Should(Succeed())
	svc := expectStable(t, "bluegreen", 4, "2")
	Expect(svc.Status.ServiceDeployments[0].Status).To(Equal(ecsv1alpha1.ServiceDeploymentSuccessful))
	Eventually(func(g Gomega) {
		w.mu.Lock()
		defer w.mu.Unlock()
		g.Expect(w.seen).NotTo(BeEmpty())
		g.Expect(w.seen[len(w.seen)-1]).To(Equal("rev 2"))
	}).WithTimeout(timeout).Should(Succeed())
	w.stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	Expect(w.mixed).To(BeEmpty(), "endpoint sets seen: %q", w.seen)
	Expect(w.seen).To(Equal([]string{"rev 1", "rev 2"}), "all blue, then all green")
	Expect(w.blueDuringBake).To(Equal(4), "blue's tasks stay for the bake; stages %q", w.stages)
	// (PRODUCTION_TRAFFIC_SHIFT lasts one pass: the sampler may miss it.)
	Expect(w.stages).To(ContainElements(string(strategy.StageScaleUp), string(strategy.StageBakeTime), string(strategy.StageCleanUp)))
}

// TestBlueGreenFailingHookRollsBack: the same deployment with a
// POST_TEST_TRAFFIC_SHIFT hook whose Job fails (kwok's chaos stage makes
// its container exit 3) rolls back: production never leaves blue, blue's
// tasks are never stopped, green's go, with ECS's events; the hook Jobs go
// with the deployment.
func TestBlueGreenFailingHookRollsBack(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "smoke-test"}}
	cj.Spec.Schedule = "0 0 1 1 *"
	cj.Spec.Suspend = ptr.To(true)
	cj.Spec.JobTemplate.Spec.BackoffLimit = ptr.To[int32](0)
	cj.Spec.JobTemplate.Spec.Template = corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{chaosStage: "true"},
			Annotations: map[string]string{chaosStage + "/exit-code": "3", chaosStage + "/reason": "Error"}},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers:  []corev1.Container{{Name: "smoke", Image: "public.ecr.aws/example/smoke:1"}}},
	}
	Expect(admin.Create(ctx, cj)).To(Succeed())
	Expect(admin.Create(ctx, webTaskDefinition("hooked", "public.ecr.aws/example/web:1"))).To(Succeed())
	Expect(admin.Create(ctx, blueGreenService("hooked", 4, 2, ecsv1alpha1.DeploymentLifecycleHook{
		HookTargetArn:   "arn:aws:lambda:us-east-1:123456789012:function:smoke-test",
		LifecycleStages: []ecsv1alpha1.DeploymentLifecycleHookStage{ecsv1alpha1.DeploymentLifecycleHookStagePostTestTrafficShift},
	}))).To(Succeed())
	expectStable(t, "hooked", 4, "1")
	blue := map[string]bool{}
	Eventually(func(g Gomega) {
		for _, p := range servicePods(g, "hooked") {
			blue[string(p.UID)] = true
		}
		g.Expect(blue).To(HaveLen(4))
	}).WithTimeout(timeout).Should(Succeed())

	w := watchEndpoints("hooked", "hooked-tg")
	defer w.stop()
	updateWebTaskDefinition(t, "hooked", "public.ecr.aws/example/web:2", 2)
	Eventually(func(g Gomega) {
		svc := getService(g, "hooked")
		g.Expect(svc.Status.Strategy).NotTo(BeNil())
		g.Expect(svc.Status.Strategy.Status).To(Equal(ecsv1alpha1.ServiceDeploymentRollbackSuccessful), "%+v", svc.Status.Strategy)
	}).WithTimeout(3 * timeout).WithPolling(time.Second).Should(Succeed())
	svc := expectStable(t, "hooked", 4, "1")
	var st strategy.State
	Expect(json.Unmarshal(svc.Status.Strategy.State.Raw, &st)).To(Succeed())
	Expect(st.StatusReason).To(Equal("ECS deployment lifecycle hook: hook 0 at POST_TEST_TRAFFIC_SHIFT failed."))
	var msgs []string
	for _, e := range svc.Status.Events {
		msgs = append(msgs, e.Message)
	}
	Expect(msgs).To(ContainElement(MatchRegexp(`^service hooked \(deployment ecs-svc/\d+\) deployment failed: hook execution failure\(s\) detected\.$`)))
	Expect(msgs).To(ContainElement(MatchRegexp(`^service hooked \(deployment ecs-svc/\d+\) rolling back to deployment ecs-svc/\d+\.$`)))
	for _, p := range servicePods(Default, "hooked") {
		Expect(blue).To(HaveKey(string(p.UID)), "blue's tasks were never stopped: %s is new", p.Name)
	}
	// The hook's Job failed (the reason above says FAILED, not timed
	// out); once the deployment is over its Jobs are deleted, so that the
	// revision deployed again runs its hooks afresh.
	Eventually(func(g Gomega) {
		var jobs batchv1.JobList
		g.Expect(admin.List(ctx, &jobs, client.InNamespace(ns), client.MatchingLabels{hooks.LabelService: "hooked"})).To(Succeed())
		g.Expect(jobs.Items).To(BeEmpty())
	}).WithTimeout(timeout).Should(Succeed())
	w.stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	Expect(w.mixed).To(BeEmpty(), "endpoint sets seen: %q", w.seen)
	Expect(w.seen).To(Equal([]string{"rev 1"}), "production never left blue")
}

// routeSampler records each change of the backend weights of HTTPRoutes,
// from a watch (no change is missed), as "<blue weight>/<green weight>"
// (one backend: its weight alone).
type routeSampler struct {
	mu     sync.Mutex
	seen   map[string][]string
	cancel context.CancelFunc
	done   chan struct{}
}

func sampleRoutes(routes ...string) *routeSampler {
	ctx, cancel := context.WithCancel(context.Background())
	r := &routeSampler{seen: map[string][]string{}, cancel: cancel, done: make(chan struct{})}
	wc, err := client.NewWithWatch(cp.AdminConfig(), client.Options{Scheme: admin.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	w, err := wc.Watch(ctx, &gatewayv1.HTTPRouteList{}, client.InNamespace(ns))
	Expect(err).NotTo(HaveOccurred())
	want := map[string]bool{}
	for _, n := range routes {
		want[n] = true
	}
	go func() {
		defer close(r.done)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.ResultChan():
				if !ok {
					return
				}
				route, isRoute := ev.Object.(*gatewayv1.HTTPRoute)
				if !isRoute || !want[route.Name] || len(route.Spec.Rules) != 1 {
					continue
				}
				var ws []string
				for _, b := range route.Spec.Rules[0].BackendRefs {
					ws = append(ws, fmt.Sprint(ptr.Deref(b.Weight, 1)))
				}
				weights := strings.Join(ws, "/")
				r.mu.Lock()
				if s := r.seen[route.Name]; len(s) == 0 || s[len(s)-1] != weights {
					r.seen[route.Name] = append(s, weights)
				}
				r.mu.Unlock()
			}
		}
	}()
	return r
}

func (r *routeSampler) stop() map[string][]string {
	r.cancel()
	<-r.done
	return r.seen
}

// TestTrafficShiftingWithHTTPRoutes: three services behind a Gateway
// (annotation ecs.berth.dev/gateway; the local control plane serves
// Gateway API, with no Gateway controller) move to revision 2 at once:
// LINEAR 25 % every 30 s (6 ECS minutes, shortened) and CANARY 10 % then
// the rest end SUCCESSFUL with their production HTTPRoute's weights
// following the steps in order; a LINEAR service whose deployment alarm is
// set to ALARM after its first step rolls back to 100 % blue.
func TestTrafficShiftingWithHTTPRoutes(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	alarm := &ecsv1alpha1.MetricAlarm{}
	alarm.Name, alarm.Namespace = "shift-guard", ns
	alarm.Spec = ecsv1alpha1.MetricAlarmSpec{
		Namespace: "AWS/ECS", MetricName: "CPUUtilization", Statistic: ecsv1alpha1.StatisticMaximum,
		Dimensions: []ecsv1alpha1.MetricDimension{{Name: "ClusterName", Value: "default"}, {Name: "ServiceName", Value: "guarded"}},
		// A long period: a state set by annotation holds.
		Period: ptr.To[int32](3600), EvaluationPeriods: ptr.To[int32](1),
		Threshold: ptr.To(99.0), ComparisonOperator: ecsv1alpha1.AlarmComparisonOperator(ecsv1alpha1.GreaterThanThreshold),
	}
	Expect(admin.Create(ctx, alarm)).To(Succeed())
	specs := map[string]func(*ecsv1alpha1.DeploymentConfiguration){
		"linear": func(dc *ecsv1alpha1.DeploymentConfiguration) {
			dc.Strategy = ecsv1alpha1.DeploymentStrategyLinear
			dc.LinearConfiguration = &ecsv1alpha1.LinearConfiguration{StepPercent: ptr.To(25.0), StepBakeTimeInMinutes: ptr.To[int32](6)}
		},
		"canary": func(dc *ecsv1alpha1.DeploymentConfiguration) {
			dc.Strategy = ecsv1alpha1.DeploymentStrategyCanary
			dc.CanaryConfiguration = &ecsv1alpha1.CanaryConfiguration{CanaryPercent: ptr.To(10.0), CanaryBakeTimeInMinutes: ptr.To[int32](3)}
		},
		"guarded": func(dc *ecsv1alpha1.DeploymentConfiguration) {
			dc.Strategy = ecsv1alpha1.DeploymentStrategyLinear
			dc.LinearConfiguration = &ecsv1alpha1.LinearConfiguration{StepPercent: ptr.To(25.0), StepBakeTimeInMinutes: ptr.To[int32](6)}
			dc.Alarms = &ecsv1alpha1.DeploymentAlarms{AlarmNames: []string{"shift-guard"}, Enable: true, Rollback: true}
		},
	}
	for name, set := range specs {
		Expect(admin.Create(ctx, webTaskDefinition(name, "public.ecr.aws/example/web:1"))).To(Succeed())
		svc := blueGreenService(name, 4, 1)
		svc.Annotations[translate.AnnotationGateway] = "gateways/public"
		set(svc.Spec.DeploymentConfiguration)
		Expect(admin.Create(ctx, svc)).To(Succeed())
	}
	for name := range specs {
		expectStable(t, name, 4, "1")
	}
	r := sampleRoutes("linear-tg", "canary-tg", "guarded-tg")
	defer r.stop()
	for name := range specs {
		updateWebTaskDefinition(t, name, "public.ecr.aws/example/web:2", 2)
	}
	// The guard goes into ALARM once the guarded service's first step
	// (25 %) is on its route.
	Eventually(func(g Gomega) {
		route := &gatewayv1.HTTPRoute{}
		g.Expect(admin.Get(ctx, key("guarded-tg"), route)).To(Succeed())
		g.Expect(route.Spec.Rules[0].BackendRefs).To(HaveLen(2))
		g.Expect(route.Spec.Rules[0].BackendRefs[1].Weight).To(Equal(ptr.To[int32](250)))
	}).WithTimeout(3 * timeout).WithPolling(200 * time.Millisecond).Should(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key(alarm.Name), alarm)).To(Succeed())
		alarm.Annotations = map[string]string{ecsv1alpha1.AnnotationSetAlarmState: "ALARM", ecsv1alpha1.AnnotationSetAlarmStateReason: "e2e: mid-way"}
		g.Expect(admin.Update(ctx, alarm)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())

	final := map[string]ecsv1alpha1.ServiceDeploymentState{
		"linear": ecsv1alpha1.ServiceDeploymentSuccessful, "canary": ecsv1alpha1.ServiceDeploymentSuccessful,
		"guarded": ecsv1alpha1.ServiceDeploymentRollbackSuccessful,
	}
	for name, want := range final {
		Eventually(func(g Gomega) {
			svc := getService(g, name)
			g.Expect(svc.Status.Strategy).NotTo(BeNil())
			g.Expect(svc.Status.Strategy.Status).To(Equal(want), "%s: %+v", name, svc.Status.Strategy)
		}).WithTimeout(4 * timeout).WithPolling(time.Second).Should(Succeed())
	}
	expectStable(t, "linear", 4, "2")
	expectStable(t, "canary", 4, "2")
	guarded := expectStable(t, "guarded", 4, "1")
	var msgs []string
	for _, e := range guarded.Status.Events {
		msgs = append(msgs, e.Message)
	}
	Expect(msgs).To(ContainElement(MatchRegexp(`^service guarded \(deployment ecs-svc/\d+\) deployment failed: alarm detected\.$`)))
	want := map[string][]string{
		"linear-tg":  {"1000", "1000/0", "750/250", "500/500", "250/750", "0/1000", "1000"},
		"canary-tg":  {"1000", "1000/0", "900/100", "0/1000", "1000"},
		"guarded-tg": {"1000", "1000/0", "750/250", "1000/0", "1000"},
	}
	Eventually(func(g Gomega) {
		r.mu.Lock()
		defer r.mu.Unlock()
		for name, w := range want {
			g.Expect(r.seen[name]).To(HaveLen(len(w)), "%s: %q (all: %q)", name, r.seen[name], r.seen)
		}
	}).WithTimeout(timeout).Should(Succeed())
	seen := r.stop()
	for name, w := range want {
		Expect(seen[name]).To(Equal(w), "%s's weights, blue/green, in order", name)
	}
}
