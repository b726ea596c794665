package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/strategy"
	"github.com/berth-dev/berth/internal/translate"
)

// webRevision registers bg:n, whose container serves on 8080.
func (h *harness) webRevision(n int32) {
	h.t.Helper()
	rev := &ecsv1alpha1.TaskDefinitionRevision{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: fmt.Sprintf("bg-%d", n),
		Labels: map[string]string{ecsv1alpha1.LabelTaskDefinition: "bg", ecsv1alpha1.LabelRevision: fmt.Sprint(n)}}}
	rev.Spec.Family, rev.Spec.Revision = "bg", n
	rev.Spec.RequiresCompatibilities = []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityFargate}
	rev.Spec.NetworkMode = ecsv1alpha1.NetworkModeAwsvpc
	rev.Spec.Cpu, rev.Spec.Memory = "256", "512"
	rev.Spec.ContainerDefinitions = []ecsv1alpha1.ContainerDefinition{{Name: "app", Image: fmt.Sprintf("public.ecr.aws/example/web:%d", n),
		Essential: ptr.To(true), PortMappings: []ecsv1alpha1.PortMapping{{ContainerPort: ptr.To[int32](8080)}}}}
	h.g.Expect(env.Direct.Create(context.Background(), rev)).To(Succeed())
}

// blueGreenService is a BLUE_GREEN service of 2 tasks behind target group
// web-tg, with a test listener, a bake of one (shortened) minute and the
// hooks given.
func (h *harness) blueGreenService(hooks ...ecsv1alpha1.DeploymentLifecycleHook) *ecsv1alpha1.Service {
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web",
		Annotations: map[string]string{translate.AnnotationDeregistrationDelay: "0"}}}
	svc.Spec.TaskDefinition, svc.Spec.DesiredCount, svc.Spec.LaunchType = "bg", ptr.To[int32](2), ecsv1alpha1.LaunchTypeFargate
	svc.Spec.DeploymentConfiguration = &ecsv1alpha1.DeploymentConfiguration{Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen,
		BakeTimeInMinutes: ptr.To[int32](1), LifecycleHooks: hooks}
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{
		TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/0123456789abcdef",
		ContainerName:  "app", ContainerPort: ptr.To[int32](8080),
		AdvancedConfiguration: &ecsv1alpha1.AdvancedConfiguration{
			AlternateTargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg-green/0123456789abcdef",
			ProductionListenerRule:  "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/3",
			TestListenerRule:        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/4/5",
		},
	}}
	h.g.Expect(env.Direct.Create(context.Background(), svc)).To(Succeed())
	return svc
}

// converge does what the Deployment controller and the kubelet would for
// one slot: the Deployment's pods of its template (labelled with a
// pod-template-hash, as the Deployment controller labels them) are made as
// many as its replicas, running and ready, and its status says so.
func (h *harness) converge(name string) {
	h.t.Helper()
	ctx := context.Background()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	h.g.Expect(h.get(d)).To(Succeed())
	hash := d.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash]
	podHash := name + "-" + hash[:6]
	var pods corev1.PodList
	h.g.Expect(env.Direct.List(ctx, &pods, client.InNamespace(h.ns), client.MatchingLabels{LabelPodTemplateHash: podHash})).To(Succeed())
	want := int(*d.Spec.Replicas)
	for i := want; i < len(pods.Items); i++ {
		h.g.Expect(env.Direct.Delete(ctx, &pods.Items[i], client.GracePeriodSeconds(0))).To(Succeed())
	}
	for range want - len(pods.Items) {
		labels := map[string]string{LabelPodTemplateHash: podHash}
		for k, v := range d.Spec.Template.Labels {
			labels[k] = v
		}
		h.runningPod(d, labels)
	}
	n := *d.Spec.Replicas
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
	h.g.Expect(env.Direct.Status().Update(ctx, d)).To(Succeed())
}

func (h *harness) replicas(name string) int32 {
	h.t.Helper()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	h.g.Expect(h.get(d)).To(Succeed())
	return *d.Spec.Replicas
}

// selects is the pod-template-hash a Kubernetes Service selects ("": any
// task of the Service).
func (h *harness) selects(name string) string {
	h.t.Helper()
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	h.g.Expect(h.get(s)).To(Succeed())
	return s.Spec.Selector[LabelPodTemplateHash]
}

func (h *harness) stage(svc *ecsv1alpha1.Service) string {
	h.t.Helper()
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.Strategy).NotTo(BeNil())
	return svc.Status.Strategy.LifecycleStage
}

func (h *harness) podHash(name string) string {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	h.g.Expect(h.get(d)).To(Succeed())
	return name + "-" + d.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash][:6]
}

// A BLUE_GREEN deployment: green starts at full size in the alternate
// Deployment while production stays on blue; test traffic moves to green
// first, then production all at once; blue stays for the bake, then goes,
// and green is production. The listeners' Kubernetes Services select one
// revision's tasks at a time during the deployment, and all of the
// Service's when it is over. A reconcile with nothing new writes nothing.
func TestBlueGreenDeployment(t *testing.T) {
	h := newHarness(t)
	h.r.Minute = time.Second
	ctx := context.Background()
	h.webRevision(1)
	svc := h.blueGreenService()
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web")
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "%+v", svc.Status.Conditions)
	h.g.Expect(svc.Status.Strategy).To(Equal(&ecsv1alpha1.ServiceStrategyStatus{Production: "web", Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen}))
	h.g.Expect(h.selects("web-tg")).To(BeEmpty())
	h.g.Expect(h.selects("web-tg-test")).To(BeEmpty())
	blue := h.podHash("web")

	h.webRevision(2)
	h.reconcile(svc.Name)
	h.g.Expect(h.selects("web-tg")).To(Equal(blue), "production is pinned to blue before green runs")
	h.g.Expect(h.replicas("web--b")).To(Equal(int32(0)), "green starts once the pin is stored")
	h.reconcile(svc.Name)
	h.g.Expect(h.stage(svc)).To(Equal(string(strategy.StageScaleUp)))
	h.g.Expect(svc.Status.Strategy.Target).To(Equal("web--b"))
	h.g.Expect(h.replicas("web--b")).To(Equal(int32(2)))
	h.g.Expect(h.replicas("web")).To(Equal(int32(2)))
	h.g.Expect(h.selects("web-tg")).To(Equal(blue), "production is pinned to blue before green runs")
	h.g.Expect(h.selects("web-tg-test")).To(Equal(blue))

	h.converge("web--b")
	green := h.podHash("web--b")
	h.reconcile(svc.Name)
	h.g.Expect(h.stage(svc)).To(Equal(string(strategy.StageProductionTrafficShift)))
	h.g.Expect(h.selects("web-tg-test")).To(Equal(green), "test traffic on green")
	h.g.Expect(h.selects("web-tg")).To(Equal(blue), "production still on blue")

	h.reconcile(svc.Name)
	h.g.Expect(h.selects("web-tg")).To(Equal(green), "production switched at once")
	h.reconcile(svc.Name)
	h.g.Expect(h.stage(svc)).To(Equal(string(strategy.StageBakeTime)))
	h.g.Expect(h.replicas("web")).To(Equal(int32(2)), "blue stays for the bake")

	h.clock.SetTime(h.clock.Now().Add(2 * time.Second))
	h.reconcile(svc.Name)
	h.g.Expect(h.stage(svc)).To(Equal(string(strategy.StageCleanUp)))
	h.g.Expect(h.replicas("web")).To(Equal(int32(0)))
	h.converge("web")
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.Strategy.Status).To(Equal(ecsv1alpha1.ServiceDeploymentSuccessful))
	h.g.Expect(svc.Status.Strategy.Production).To(Equal("web--b"))
	var rec *ecsv1alpha1.ServiceDeploymentRecord
	for i := range svc.Status.ServiceDeployments {
		if svc.Status.ServiceDeployments[i].ID == svc.Status.Strategy.DeploymentID {
			rec = &svc.Status.ServiceDeployments[i]
		}
	}
	h.g.Expect(rec).NotTo(BeNil())
	h.g.Expect(rec.Status).To(Equal(ecsv1alpha1.ServiceDeploymentSuccessful))
	h.g.Expect(rec.LifecycleStage).To(Equal(string(strategy.StageCleanUp)))
	h.g.Expect(h.events.Take()).To(ContainElement(HaveField("Note", MatchRegexp(`^service web \(deployment ecs-svc/\d+\) deployment completed\.$`))))

	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "%+v", svc.Status.Conditions)
	h.g.Expect(svc.Status.TaskDefinition).To(HaveSuffix("task-definition/bg:2"))
	h.g.Expect(h.selects("web-tg")).To(BeEmpty(), "one revision: every task of the Service")
	h.g.Expect(h.replicas("web--b")).To(Equal(int32(2)))
	h.writes.Take()
	h.reconcile(svc.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty())

	// The next deployment starts green in the first slot.
	h.webRevision(3)
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.Strategy.Target).To(Equal("web"))
	h.g.Expect(svc.Status.Strategy.Production).To(Equal("web--b"))
	h.g.Expect(h.replicas("web")).To(Equal(int32(2)))
	_ = ctx
}

// A hook that does not answer within its timeout rolls a BLUE_GREEN
// deployment back: test traffic returns to blue, green scales in, and
// blue's tasks never stopped; the deployment is ROLLBACK_SUCCESSFUL with
// ECS's events, and the spec still asking for the revision does not start
// it again.
func TestBlueGreenHookTimeoutRollsBack(t *testing.T) {
	h := newHarness(t)
	h.r.Minute = time.Second
	h.webRevision(1)
	svc := h.blueGreenService(ecsv1alpha1.DeploymentLifecycleHook{
		HookTargetArn:        "arn:aws:lambda:us-east-1:123456789012:function:smoke-test",
		LifecycleStages:      []ecsv1alpha1.DeploymentLifecycleHookStage{ecsv1alpha1.DeploymentLifecycleHookStagePostTestTrafficShift},
		TimeoutConfiguration: &ecsv1alpha1.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: ptr.To[int32](1)},
	})
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web")
	h.reconcile(svc.Name)
	blue := h.podHash("web")
	var bluePods corev1.PodList
	h.g.Expect(env.Direct.List(context.Background(), &bluePods, client.InNamespace(h.ns), client.MatchingLabels{LabelPodTemplateHash: blue})).To(Succeed())
	h.g.Expect(bluePods.Items).To(HaveLen(2))

	h.webRevision(2)
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web--b")
	h.reconcile(svc.Name)
	h.g.Expect(h.stage(svc)).To(Equal(string(strategy.StagePostTestTrafficShift)), "waits for the hook (its CronJob does not exist)")
	h.g.Expect(h.selects("web-tg-test")).To(Equal(h.podHash("web--b")))
	var st strategy.State
	h.g.Expect(json.Unmarshal(svc.Status.Strategy.State.Raw, &st)).To(Succeed())
	h.g.Expect(st.Hooks).To(HaveLen(1))
	h.g.Expect(st.Hooks[0].Status).To(Equal(strategy.HookInProgress))

	h.clock.SetTime(h.clock.Now().Add(2 * time.Second))
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.Strategy.Status).To(Equal(ecsv1alpha1.ServiceDeploymentRollbackInProgress))
	h.g.Expect(h.selects("web-tg-test")).To(Equal(blue), "test traffic back on blue")
	h.g.Expect(h.selects("web-tg")).To(Equal(blue))
	h.reconcile(svc.Name)
	h.g.Expect(h.replicas("web--b")).To(Equal(int32(0)))
	h.g.Expect(h.replicas("web")).To(Equal(int32(2)))
	h.converge("web--b")
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.Strategy.Status).To(Equal(ecsv1alpha1.ServiceDeploymentRollbackSuccessful))
	h.g.Expect(svc.Status.Deployments[0].TaskDefinition).To(HaveSuffix("task-definition/bg:1"))
	h.g.Expect(svc.Status.Deployments[0].Status).To(Equal(ecsv1alpha1.DeploymentPrimary))
	msgs := []string{}
	for _, e := range svc.Status.Events {
		msgs = append(msgs, e.Message)
	}
	h.g.Expect(msgs).To(ContainElement(MatchRegexp(`deployment failed: hook execution timed out\.$`)))
	h.g.Expect(msgs).To(ContainElement(MatchRegexp(`rolling back to deployment ecs-svc/\d+\.$`)))

	h.reconcile(svc.Name)
	h.g.Expect(h.replicas("web--b")).To(Equal(int32(0)), "not started again")
	var now corev1.PodList
	h.g.Expect(env.Direct.List(context.Background(), &now, client.InNamespace(h.ns), client.MatchingLabels{LabelPodTemplateHash: blue})).To(Succeed())
	h.g.Expect(now.Items).To(HaveLen(2))
	for i := range now.Items {
		h.g.Expect(now.Items[i].UID).To(Equal(bluePods.Items[i].UID), "blue's tasks never stopped")
	}
}

// routeWeights are the backends of an HTTPRoute, "name=weight", in order.
func (h *harness) routeWeights(name string) []string {
	h.t.Helper()
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	h.g.Expect(h.get(route)).To(Succeed())
	h.g.Expect(route.Spec.Rules).To(HaveLen(1))
	var out []string
	for _, b := range route.Spec.Rules[0].BackendRefs {
		out = append(out, fmt.Sprintf("%s=%d", b.Name, ptr.Deref(b.Weight, 1)))
	}
	return out
}

// A LINEAR deployment of 25 % steps where the cluster has Gateway API and
// the Service names a Gateway: the production HTTPRoute's weights follow
// the steps, one step interval apart, each revision's backend Service
// selecting its own tasks; the test route reaches green first; once the
// deployment is over, the route has one backend.
func TestLinearShiftsHTTPRouteWeights(t *testing.T) {
	h := newHarness(t)
	h.r.Minute = time.Second
	h.r.Config.Features.GatewayAPI = true
	h.webRevision(1)
	svc := h.blueGreenService()
	svc.Annotations[translate.AnnotationGateway] = "infra/public"
	svc.Spec.DeploymentConfiguration.Strategy = ecsv1alpha1.DeploymentStrategyLinear
	svc.Spec.DeploymentConfiguration.LinearConfiguration = &ecsv1alpha1.LinearConfiguration{StepPercent: ptr.To(25.0), StepBakeTimeInMinutes: ptr.To[int32](1)}
	h.g.Expect(env.Direct.Update(context.Background(), svc)).To(Succeed())
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web")
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	blueID := svc.Status.Deployments[0].ID
	blueSvc := "web-tg-" + names.ShortRevisionID(blueID)
	h.g.Expect(h.routeWeights("web-tg")).To(Equal([]string{blueSvc + "=1000"}))

	h.webRevision(2)
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web--b")
	h.g.Expect(h.get(svc)).To(Succeed())
	greenSvc := "web-tg-" + names.ShortRevisionID(svc.Status.Strategy.DeploymentID)
	var seen []string
	record := func() {
		w := strings.Join(h.routeWeights("web-tg"), " ")
		if len(seen) == 0 || seen[len(seen)-1] != w {
			seen = append(seen, w)
		}
	}
	for range 12 {
		h.reconcile(svc.Name)
		record()
		h.g.Expect(h.get(svc)).To(Succeed())
		if svc.Status.Strategy.LifecycleStage == string(strategy.StageBakeTime) {
			break
		}
		h.clock.SetTime(h.clock.Now().Add(1100 * time.Millisecond))
	}
	h.g.Expect(seen).To(Equal([]string{
		blueSvc + "=1000 " + greenSvc + "=0",
		blueSvc + "=750 " + greenSvc + "=250",
		blueSvc + "=500 " + greenSvc + "=500",
		blueSvc + "=250 " + greenSvc + "=750",
		blueSvc + "=0 " + greenSvc + "=1000",
	}))
	h.g.Expect(h.routeWeights("web-tg-test")).To(Equal([]string{blueSvc + "=0", greenSvc + "=1000"}))
	h.g.Expect(h.selects(blueSvc)).To(Equal(h.podHash("web")))
	h.g.Expect(h.selects(greenSvc)).To(Equal(h.podHash("web--b")))

	h.clock.SetTime(h.clock.Now().Add(2 * time.Second))
	h.reconcile(svc.Name)
	h.converge("web")
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.Strategy.Status).To(Equal(ecsv1alpha1.ServiceDeploymentSuccessful))
	h.g.Expect(h.routeWeights("web-tg")).To(Equal([]string{greenSvc + "=1000"}))
	h.g.Expect(h.get(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: blueSvc}})).To(Satisfy(apierrors.IsNotFound), "blue's backend is gone")
}

// A CODE_DEPLOY service deploys BLUE_GREEN and says so: its FullySupported
// condition and fieldNotes name deploymentController.type, and its
// strategy status says BLUE_GREEN.
func TestCodeDeployDeploysBlueGreen(t *testing.T) {
	h := newHarness(t)
	h.webRevision(1)
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "legacy"}}
	svc.Spec.TaskDefinition, svc.Spec.DesiredCount, svc.Spec.LaunchType = "bg", ptr.To[int32](1), ecsv1alpha1.LaunchTypeFargate
	svc.Spec.DeploymentController = &ecsv1alpha1.DeploymentController{Type: ecsv1alpha1.DeploymentControllerTypeCodeDeploy}
	h.g.Expect(env.Direct.Create(context.Background(), svc)).To(Succeed())
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.Strategy).NotTo(BeNil())
	h.g.Expect(svc.Status.Strategy.Strategy).To(Equal(ecsv1alpha1.DeploymentStrategyBlueGreen))
	h.g.Expect(svc.Status.FieldNotes).To(ContainElement(HaveField("Path", "deploymentController.type")))
	for _, n := range svc.Status.FieldNotes {
		if n.Path == "deploymentController.type" {
			h.g.Expect(n.Message).To(ContainSubstring("BLUE_GREEN"))
		}
	}
	c := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionFullySupported)
	h.g.Expect(c).NotTo(BeNil())
	h.g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
}

// StopServiceDeployment (its annotation) during a BLUE_GREEN deployment's
// bake, after production moved to green: traffic returns to blue at once,
// whose tasks never stopped; green scales in; ROLLBACK_SUCCESSFUL with
// ECS's event.
func TestBlueGreenStopDuringBakeRollsBack(t *testing.T) {
	h := newHarness(t)
	h.r.Minute = time.Second
	h.webRevision(1)
	svc := h.blueGreenService()
	svc.Spec.DeploymentConfiguration.BakeTimeInMinutes = ptr.To[int32](60)
	h.g.Expect(env.Direct.Update(context.Background(), svc)).To(Succeed())
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web")
	h.reconcile(svc.Name)
	blue := h.podHash("web")
	h.webRevision(2)
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web--b")
	for range 4 {
		h.reconcile(svc.Name)
	}
	h.g.Expect(h.stage(svc)).To(Equal(string(strategy.StageBakeTime)))
	h.g.Expect(h.selects("web-tg")).To(Equal(h.podHash("web--b")))

	svc.Annotations[ecsv1alpha1.AnnotationStopDeployment] = svc.Status.Strategy.DeploymentID
	h.g.Expect(env.Direct.Update(context.Background(), svc)).To(Succeed())
	h.reconcile(svc.Name)
	h.g.Expect(h.selects("web-tg")).To(Equal(blue), "production back on blue at once")
	h.g.Expect(h.replicas("web")).To(Equal(int32(2)))
	h.reconcile(svc.Name)
	h.g.Expect(h.replicas("web--b")).To(Equal(int32(0)))
	h.converge("web--b")
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.Strategy.Status).To(Equal(ecsv1alpha1.ServiceDeploymentRollbackSuccessful))
	h.g.Expect(svc.Status.Events[len(svc.Status.Events)-1].Message).NotTo(BeEmpty())
	var msgs []string
	for _, e := range svc.Status.Events {
		msgs = append(msgs, e.Message)
	}
	h.g.Expect(msgs).To(ContainElement(MatchRegexp(`\(deployment ecs-svc/\d+\) deployment stopped\.$`)))
	h.g.Expect(svc.Status.Deployments[0].TaskDefinition).To(HaveSuffix("task-definition/bg:1"))
}

// A deployment keeps the configuration it started with: a strategy
// changed mid-way applies to the next deployment. A service that goes
// back to ROLLING loses its HTTPRoutes and their backend Services.
func TestDeploymentKeepsItsConfiguration(t *testing.T) {
	h := newHarness(t)
	h.r.Minute = time.Second
	h.r.Config.Features.GatewayAPI = true
	ctx := context.Background()
	h.webRevision(1)
	svc := h.blueGreenService()
	svc.Annotations[translate.AnnotationGateway] = "public"
	svc.Spec.DeploymentConfiguration.Strategy = ecsv1alpha1.DeploymentStrategyLinear
	svc.Spec.DeploymentConfiguration.LinearConfiguration = &ecsv1alpha1.LinearConfiguration{StepPercent: ptr.To(30.0), StepBakeTimeInMinutes: ptr.To[int32](1)}
	h.g.Expect(env.Direct.Update(ctx, svc)).To(Succeed())
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web")
	h.reconcile(svc.Name)
	h.webRevision(2)
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web--b")
	for range 6 {
		h.reconcile(svc.Name)
		h.g.Expect(h.get(svc)).To(Succeed())
		if svc.Status.Strategy.ProductionTraffic.Green == 300 {
			break
		}
	}
	h.g.Expect(svc.Status.Strategy.ProductionTraffic).To(Equal(&ecsv1alpha1.TrafficWeights{Blue: 700, Green: 300}))
	svc.Spec.DeploymentConfiguration.Strategy = ecsv1alpha1.DeploymentStrategyBlueGreen
	svc.Spec.DeploymentConfiguration.LinearConfiguration = nil
	h.g.Expect(env.Direct.Update(ctx, svc)).To(Succeed())
	h.clock.SetTime(h.clock.Now().Add(1100 * time.Millisecond))
	for range 3 {
		h.reconcile(svc.Name)
	}
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.Strategy.ProductionTraffic).To(Equal(&ecsv1alpha1.TrafficWeights{Blue: 400, Green: 600}), "the next LINEAR step")
	h.g.Expect(svc.Status.Strategy.DeploymentConfiguration.Strategy).To(Equal(ecsv1alpha1.DeploymentStrategyLinear))
	h.g.Expect(svc.Status.Strategy.Strategy).To(Equal(ecsv1alpha1.DeploymentStrategyLinear))

	svc.Spec.DeploymentConfiguration.Strategy = ecsv1alpha1.DeploymentStrategyRolling
	h.g.Expect(env.Direct.Update(ctx, svc)).To(Succeed())
	h.reconcile(svc.Name)
	h.g.Expect(h.get(&gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web-tg"}})).To(Satisfy(apierrors.IsNotFound))
	var revs corev1.ServiceList
	h.g.Expect(env.Direct.List(ctx, &revs, client.InNamespace(h.ns), client.MatchingLabels{translate.LabelRole: translate.RoleRevision})).To(Succeed())
	h.g.Expect(revs.Items).To(BeEmpty())
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.Strategy).To(BeNil())
}

// Without Gateway API, a LINEAR step splits production by the ratio of
// serving tasks: the target group's Service selects the tasks labelled
// serving, as many of each revision as translate.ServingSplit says; all
// blue before the first step and all green after the last are the
// revisions' own tasks.
func TestLinearWithoutGatewayServesByRatio(t *testing.T) {
	h := newHarness(t)
	h.r.Minute = time.Second
	ctx := context.Background()
	h.webRevision(1)
	svc := h.blueGreenService()
	svc.Spec.DesiredCount = ptr.To[int32](4)
	svc.Spec.DeploymentConfiguration.Strategy = ecsv1alpha1.DeploymentStrategyLinear
	svc.Spec.DeploymentConfiguration.LinearConfiguration = &ecsv1alpha1.LinearConfiguration{StepPercent: ptr.To(25.0), StepBakeTimeInMinutes: ptr.To[int32](1)}
	h.g.Expect(env.Direct.Update(ctx, svc)).To(Succeed())
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web")
	h.reconcile(svc.Name)
	blue := h.podHash("web")
	h.webRevision(2)
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.converge("web--b")
	green := h.podHash("web--b")
	serving := func() map[string]int {
		var pods corev1.PodList
		h.g.Expect(env.Direct.List(ctx, &pods, client.InNamespace(h.ns), client.MatchingLabels{ecsv1alpha1.LabelServing: "true"})).To(Succeed())
		out := map[string]int{}
		for _, p := range pods.Items {
			out[p.Labels[LabelPodTemplateHash]]++
		}
		return out
	}
	var seen []string
	for range 12 {
		h.reconcile(svc.Name)
		h.g.Expect(h.get(svc)).To(Succeed())
		w := svc.Status.Strategy.ProductionTraffic
		sel := h.selects("web-tg")
		if w.Green > 0 && w.Blue > 0 {
			s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web-tg"}}
			h.g.Expect(h.get(s)).To(Succeed())
			h.g.Expect(s.Spec.Selector).To(HaveKeyWithValue(ecsv1alpha1.LabelServing, "true"))
			n := translate.ServingSplit(4, strategy.Weights{Blue: w.Blue, Green: w.Green})
			h.g.Expect(serving()).To(Equal(map[string]int{blue: int(n.Blue), green: int(n.Green)}), "at %d/%d", w.Blue, w.Green)
			sel = fmt.Sprintf("serving %d+%d", n.Blue, n.Green)
		}
		if len(seen) == 0 || seen[len(seen)-1] != sel {
			seen = append(seen, sel)
		}
		if svc.Status.Strategy.LifecycleStage == string(strategy.StageBakeTime) {
			break
		}
		h.clock.SetTime(h.clock.Now().Add(1100 * time.Millisecond))
	}
	h.g.Expect(seen).To(Equal([]string{blue, "serving 3+1", "serving 4+4", "serving 1+3", green}))
}

// A Deployment named as the alternate slot that the Service does not
// control is not taken over: the Service is Stalled with the reason.
func TestAlternateSlotNotTakenOver(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.webRevision(1)
	foreign := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web--b"}}
	foreign.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	foreign.Spec.Template.Labels = map[string]string{"app": "other"}
	foreign.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c", Image: "other:1"}}
	h.g.Expect(env.Direct.Create(ctx, foreign)).To(Succeed())
	svc := h.blueGreenService()
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	c := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionStalled)
	h.g.Expect(c).NotTo(BeNil())
	h.g.Expect(c.Reason).To(Equal(ecsv1alpha1.ReasonResourceNotOwned))
	h.g.Expect(c.Message).To(ContainSubstring("web--b"))
	h.g.Expect(h.get(foreign)).To(Succeed())
	h.g.Expect(foreign.OwnerReferences).To(BeEmpty())
}
