package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/capacity"
)

// These tests show capacity providers as node pools: the base/weight split
// over Fargate and Fargate Spot, a node per Fargate task, cost, Spot
// interruptions, and managed scaling of an EC2-style pool.

func fargateTaskDefinition(family string) *ecsv1alpha1.TaskDefinition {
	td := rollTaskDefinition(family, "public.ecr.aws/example/"+family+":1", nil)
	td.Spec.RequiresCompatibilities = []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityFargate}
	td.Spec.NetworkMode = ecsv1alpha1.NetworkModeAwsvpc
	td.Spec.Cpu, td.Spec.Memory = "256", "512"
	return td
}

func strategyItem(name string, base, weight int32) ecsv1alpha1.CapacityProviderStrategyItem {
	return ecsv1alpha1.CapacityProviderStrategyItem{CapacityProvider: name, Base: ptr.To(base), Weight: ptr.To(weight)}
}

// providerTasks counts a service's running pods by the pool of their node,
// checking that each runs alone on a node of its own size.
func providerTasks(g Gomega, svc string) map[string]int {
	res := map[string]int{}
	perNode := map[string]int{}
	for _, p := range servicePods(g, svc) {
		if !p.DeletionTimestamp.IsZero() {
			continue
		}
		g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning), "pod %s", p.Name)
		var n corev1.Node
		g.Expect(admin.Get(context.Background(), client.ObjectKey{Name: p.Spec.NodeName}, &n)).To(Succeed())
		res[n.Labels[ecsv1alpha1.LabelCapacityProvider]]++
		perNode[n.Name]++
		g.Expect(n.Status.Allocatable.Cpu().Equal(resource.MustParse("250m"))).To(BeTrue(), "node %s cpu %s: sized to the task", n.Name, n.Status.Allocatable.Cpu())
		g.Expect(n.Status.Allocatable.Memory().Equal(resource.MustParse("512Mi"))).To(BeTrue(), "node %s memory %s", n.Name, n.Status.Allocatable.Memory())
		g.Expect(n.Annotations[ecsv1alpha1.AnnotationFargateSize]).To(Equal("0.25vCPU 0.5GB"))
	}
	for node, n := range perNode {
		g.Expect(n).To(Equal(1), "one task per Fargate node, %s runs %d", node, n)
	}
	return res
}

func costOf(g Gomega, pool string) float64 {
	var cp ecsv1alpha1.CapacityProvider
	g.Expect(admin.Get(context.Background(), client.ObjectKey{Name: pool}, &cp)).To(Succeed())
	g.Expect(cp.Status.Cost).NotTo(BeNil())
	v, err := capacity.ParseFigure(cp.Status.Cost.VCPUSeconds)
	g.Expect(err).NotTo(HaveOccurred())
	return v
}

// TestFargateSplitAcrossProviders: FARGATE (base 1, weight 1) and
// FARGATE_SPOT (weight 4) with 6 tasks run 2 and 4, each on its own
// right-sized node; scaled to 10, 3 and 7 (docs/capacity.md's rule); and
// the pools' cost grows while they run.
func TestFargateSplitAcrossProviders(t *testing.T) {
	RegisterTestingT(t)
	Expect(admin.Create(context.Background(), fargateTaskDefinition("split"))).To(Succeed())
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "split", ns
	svc.Spec.TaskDefinition = "split"
	svc.Spec.DesiredCount = ptr.To[int32](6)
	svc.Spec.CapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{strategyItem("FARGATE", 1, 1), strategyItem("FARGATE_SPOT", 0, 4)}
	Expect(admin.Create(context.Background(), svc)).To(Succeed())

	expectSplit := func(desired int32, fargate, spot int) {
		Eventually(func(g Gomega) {
			g.Expect(providerTasks(g, "split")).To(Equal(map[string]int{"fargate": fargate, "fargate-spot": spot}))
			s := getService(g, "split")
			g.Expect(s.Status.RunningCount).To(Equal(ptr.To(desired)))
			g.Expect(s.Status.CapacityProviderTasks).To(Equal([]ecsv1alpha1.CapacityProviderTasks{
				{CapacityProvider: "FARGATE", DesiredCount: int32(fargate), RunningCount: int32(fargate)},
				{CapacityProvider: "FARGATE_SPOT", DesiredCount: int32(spot), RunningCount: int32(spot)},
			}))
		}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())
	}
	expectSplit(6, 2, 4)
	out, err := kubectlWait("split", timeout)
	Expect(err).NotTo(HaveOccurred(), out+"\n"+describeService("split"))
	// Converged: the slices' Deployments are not written again.
	generations := func() map[string]int64 {
		var deps appsv1.DeploymentList
		Expect(admin.List(context.Background(), &deps, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: "split"})).To(Succeed())
		res := map[string]int64{}
		for _, d := range deps.Items {
			res[d.Name] = d.Generation
		}
		return res
	}
	steady := generations()
	Expect(steady).To(HaveLen(2))
	Consistently(generations).WithTimeout(3 * time.Second).Should(Equal(steady))

	Eventually(func(g Gomega) {
		s := getService(g, "split")
		s.Spec.DesiredCount = ptr.To[int32](10)
		g.Expect(admin.Update(context.Background(), s)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
	expectSplit(10, 3, 7)

	var first float64
	Eventually(func(g Gomega) {
		first = costOf(g, "fargate-spot")
		g.Expect(first).To(BeNumerically(">", 0))
	}).WithTimeout(timeout).Should(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(costOf(g, "fargate-spot")).To(BeNumerically(">", first))
		var cp ecsv1alpha1.CapacityProvider
		g.Expect(admin.Get(context.Background(), client.ObjectKey{Name: "fargate-spot"}, &cp)).To(Succeed())
		var split *ecsv1alpha1.ServiceCost
		for i := range cp.Status.Cost.ByService {
			if e := &cp.Status.Cost.ByService[i]; e.Namespace == ns && e.Service == "split" {
				split = e
			}
		}
		g.Expect(split).NotTo(BeNil(), "cost rolled up per service")
		g.Expect(split.Cluster).To(Equal("default"))
		g.Expect(cp.Status.Cost.EstimatedCostUSD).NotTo(Equal("0.000000"))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())

	// Scaled to 0, the Fargate nodes go with their tasks.
	Eventually(func(g Gomega) {
		s := getService(g, "split")
		s.Spec.DesiredCount = ptr.To[int32](0)
		g.Expect(admin.Update(context.Background(), s)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(servicePods(g, "split")).To(BeEmpty())
		var nodes corev1.NodeList
		g.Expect(admin.List(context.Background(), &nodes, client.MatchingLabels{ecsv1alpha1.LabelCapacityProvider: "fargate-spot"})).To(Succeed())
		for _, n := range nodes.Items {
			g.Expect(n.DeletionTimestamp.IsZero()).To(BeFalse(), "node %s of a stopped task remains", n.Name)
		}
	}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())
}

// TestSpotInterruption: a reclaimed Spot node stops its task with stopCode
// SpotInterruption; the service replaces it and stays at its desired count.
func TestSpotInterruption(t *testing.T) {
	RegisterTestingT(t)
	Expect(admin.Create(context.Background(), fargateTaskDefinition("spotty"))).To(Succeed())
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "spotty", ns
	svc.Spec.TaskDefinition = "spotty"
	svc.Spec.DesiredCount = ptr.To[int32](2)
	svc.Spec.CapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{strategyItem("FARGATE_SPOT", 0, 1)}
	Expect(admin.Create(context.Background(), svc)).To(Succeed())
	task := &ecsv1alpha1.Task{}
	task.Name, task.Namespace = "spot-task", ns
	task.Spec.TaskDefinition = "spotty"
	task.Spec.CapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{strategyItem("FARGATE_SPOT", 0, 1)}
	Expect(admin.Create(context.Background(), task)).To(Succeed())

	var victim corev1.Pod
	Eventually(func(g Gomega) {
		g.Expect(providerTasks(g, "spotty")).To(Equal(map[string]int{"fargate-spot": 2}))
		victim = servicePods(g, "spotty")[0]
		g.Expect(admin.Get(context.Background(), key("spot-task"), task)).To(Succeed())
		g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskRunning), "task: stopCode %q, stoppedReason %q, conditions %+v",
			task.Status.StopCode, task.Status.StoppedReason, task.Status.Conditions)
		g.Expect(task.Status.PodName).NotTo(BeEmpty())
	}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())
	var taskPod corev1.Pod
	Expect(admin.Get(context.Background(), key(task.Status.PodName), &taskPod)).To(Succeed())

	for _, nodeName := range []string{victim.Spec.NodeName, taskPod.Spec.NodeName} {
		var n corev1.Node
		Expect(admin.Get(context.Background(), client.ObjectKey{Name: nodeName}, &n)).To(Succeed())
		base := n.DeepCopy()
		n.Annotations["ecs.berth.dev/spot-interruption"] = "true"
		Expect(admin.Patch(context.Background(), &n, client.MergeFrom(base))).To(Succeed())
	}
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(context.Background(), key("spot-task"), task)).To(Succeed())
		g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskStopped))
		g.Expect(task.Status.StopCode).To(Equal(ecsv1alpha1.StopCodeSpotInterruption))
		g.Expect(task.Status.StoppedReason).To(Equal("Your Spot Task was interrupted."))
	}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())
	Eventually(func(g Gomega) {
		pods := servicePods(g, "spotty")
		uids := []string{}
		for _, p := range pods {
			uids = append(uids, string(p.UID))
		}
		g.Expect(uids).NotTo(ContainElement(string(victim.UID)), "the interrupted task is gone")
		g.Expect(providerTasks(g, "spotty")).To(Equal(map[string]int{"fargate-spot": 2}), "a replacement runs")
		s := getService(g, "spotty")
		g.Expect(*s.Spec.DesiredCount).To(Equal(int32(2)))
		g.Expect(s.Status.RunningCount).To(Equal(ptr.To[int32](2)))
		var n corev1.Node
		err := admin.Get(context.Background(), client.ObjectKey{Name: victim.Spec.NodeName}, &n)
		g.Expect(err == nil && n.DeletionTimestamp.IsZero()).To(BeFalse(), "the reclaimed node goes")
	}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())
}

// TestManagedScaling: an EC2-style pool with managed scaling (target 100,
// minimum 0) starts empty; a service that needs three nodes' worth of tasks
// makes it grow until every task runs and CapacityProviderReservation is
// back to 100; scaling the service down removes only empty nodes (running
// tasks keep running), and at 0 the pool shrinks back to its minimum.
func TestManagedScaling(t *testing.T) {
	RegisterTestingT(t)
	asg := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "asg"}}
	asg.Spec.Type = ecsv1alpha1.CapacityProviderEC2AutoScaling
	asg.Spec.AutoScalingGroupProvider = &ecsv1alpha1.AutoScalingGroupProvider{
		AutoScalingGroupArn: "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:autoScalingGroupName/asg",
		ManagedScaling: &ecsv1alpha1.ManagedScaling{Status: ecsv1alpha1.ManagedScalingStatusEnabled, TargetCapacity: ptr.To[int32](100),
			InstanceWarmupPeriod: ptr.To[int32](0)},
		ManagedTerminationProtection: ecsv1alpha1.ManagedTerminationProtectionEnabled,
	}
	asg.Spec.NodePool = ecsv1alpha1.NodePool{
		Provisioner: ecsv1alpha1.NodeProvisionerKwok, MinSize: ptr.To[int32](0), MaxSize: ptr.To[int32](10), ScaleInAfterSeconds: ptr.To[int32](3),
		NodeShape: &ecsv1alpha1.NodeShape{CPU: ptr.To(resource.MustParse("2")), Memory: ptr.To(resource.MustParse("4Gi")), Pods: ptr.To(resource.MustParse("110"))},
		Taints:    []corev1.Taint{{Key: ecsv1alpha1.LabelCapacityProvider, Value: "asg", Effect: corev1.TaintEffectNoSchedule}},
	}
	Expect(admin.Create(context.Background(), asg)).To(Succeed())
	cluster := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "scaling", Namespace: ns}}
	cluster.Spec.CapacityProviders = []string{"asg"}
	Expect(admin.Create(context.Background(), cluster)).To(Succeed())

	type view struct {
		nodes, cpr int32
	}
	poolState := func(g Gomega) view {
		var cp ecsv1alpha1.CapacityProvider
		g.Expect(admin.Get(context.Background(), client.ObjectKey{Name: "asg"}, &cp)).To(Succeed())
		g.Expect(cp.Status.ManagedScaling).NotTo(BeNil())
		var nodes corev1.NodeList
		g.Expect(admin.List(context.Background(), &nodes, client.MatchingLabels{ecsv1alpha1.LabelCapacityProvider: "asg"})).To(Succeed())
		live := int32(0)
		for _, n := range nodes.Items {
			if n.DeletionTimestamp.IsZero() {
				live++
			}
		}
		return view{nodes: live, cpr: cp.Status.ManagedScaling.CapacityProviderReservation}
	}
	Eventually(func(g Gomega) {
		g.Expect(poolState(g)).To(Equal(view{nodes: 0, cpr: 100}))
	}).WithTimeout(timeout).Should(Succeed())

	td := rollTaskDefinition("heavy", "public.ecr.aws/example/heavy:1", nil)
	td.Spec.Cpu, td.Spec.Memory = "1024", "2048"
	Expect(admin.Create(context.Background(), td)).To(Succeed())
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "heavy", ns
	svc.Spec.Cluster = "scaling"
	svc.Spec.TaskDefinition = "heavy"
	svc.Spec.DesiredCount = ptr.To[int32](6)
	Expect(admin.Create(context.Background(), svc)).To(Succeed())
	Eventually(func(g Gomega) {
		s := getService(g, "heavy")
		g.Expect(s.Status.RunningCount).To(Equal(ptr.To[int32](6)))
		g.Expect(poolState(g)).To(Equal(view{nodes: 3, cpr: 100}), "two 1-vCPU tasks per 2-vCPU node: 3 nodes")
	}).WithTimeout(3 * timeout).WithPolling(time.Second).Should(Succeed())

	// Down to 2: only nodes left empty go; the 2 remaining tasks keep
	// running where they are.
	scale := func(n int32) {
		Eventually(func(g Gomega) {
			s := getService(g, "heavy")
			s.Spec.DesiredCount = ptr.To(n)
			g.Expect(admin.Update(context.Background(), s)).To(Succeed())
		}).WithTimeout(timeout).Should(Succeed())
	}
	scale(2)
	var kept []corev1.Pod
	Eventually(func(g Gomega) {
		kept = nil
		for _, p := range servicePods(g, "heavy") {
			if p.DeletionTimestamp.IsZero() {
				kept = append(kept, p)
			}
		}
		g.Expect(kept).To(HaveLen(2))
	}).WithTimeout(timeout).Should(Succeed())
	busy := map[string]bool{}
	for _, p := range kept {
		busy[p.Spec.NodeName] = true
	}
	Eventually(func(g Gomega) {
		g.Expect(poolState(g)).To(Equal(view{nodes: int32(len(busy)), cpr: 100}))
	}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())
	for _, p := range kept {
		var now corev1.Pod
		Expect(admin.Get(context.Background(), key(p.Name), &now)).To(Succeed())
		Expect(now.UID).To(Equal(p.UID))
		Expect(now.DeletionTimestamp.IsZero()).To(BeTrue(), "pod %s was stopped by the scale-in", p.Name)
		Expect(now.Status.Phase).To(Equal(corev1.PodRunning))
	}

	scale(0)
	Eventually(func(g Gomega) {
		g.Expect(servicePods(g, "heavy")).To(BeEmpty())
		g.Expect(poolState(g)).To(Equal(view{nodes: 0, cpr: 100}))
	}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())
}

// TestClusterCountsAndDeletion: a cluster counts its services and tasks
// as DescribeClusters does, and, deleted while a service is ACTIVE, stays
// (ECS's ClusterContainsServicesException) until the service is gone.
func TestClusterCountsAndDeletion(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	cl := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "doomed", Namespace: ns}}
	cl.Spec.CapacityProviders = []string{"FARGATE"}
	Expect(admin.Create(ctx, cl)).To(Succeed())
	Expect(admin.Create(ctx, fargateTaskDefinition("doomed"))).To(Succeed())
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "doomed", ns
	svc.Spec.Cluster, svc.Spec.TaskDefinition, svc.Spec.LaunchType = "doomed", "doomed", ecsv1alpha1.LaunchTypeFargate
	svc.Spec.DesiredCount = ptr.To[int32](2)
	Expect(admin.Create(ctx, svc)).To(Succeed())
	stat := func(c *ecsv1alpha1.Cluster, name string) string {
		for _, s := range c.Status.Statistics {
			if s.Name == name {
				return s.Value
			}
		}
		return ""
	}
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("doomed"), cl)).To(Succeed())
		g.Expect(cl.Status.ActiveServicesCount).To(Equal(ptr.To[int32](1)))
		g.Expect(cl.Status.RunningTasksCount).To(Equal(ptr.To[int32](2)))
		g.Expect(stat(cl, "runningFargateTasksCount")).To(Equal("2"))
		g.Expect(stat(cl, "activeFargateServiceCount")).To(Equal("1"))
		g.Expect(stat(cl, "runningEC2TasksCount")).To(Equal("0"))
	}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())

	Expect(admin.Delete(ctx, cl)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("doomed"), cl)).To(Succeed())
		c := meta.FindStatusCondition(cl.Status.Conditions, "Deleting")
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Message).To(ContainSubstring("ClusterContainsServicesException: The Cluster cannot be deleted while Services are active"))
	}).WithTimeout(timeout).Should(Succeed())
	Consistently(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("doomed"), cl)).To(Succeed())
	}).WithTimeout(2 * time.Second).Should(Succeed())

	Expect(admin.Delete(ctx, svc)).To(Succeed())
	Eventually(func(g Gomega) {
		err := admin.Get(ctx, key("doomed"), cl)
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the cluster goes with its last service: %v", err)
	}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())
}

// describeService is a Service's status as YAML, for failure messages.
func describeService(name string) string {
	var s ecsv1alpha1.Service
	if err := admin.Get(context.Background(), key(name), &s); err != nil {
		return err.Error()
	}
	out, _ := yaml.Marshal(s.Status)
	var deps appsv1.DeploymentList
	if err := admin.List(context.Background(), &deps, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: name}); err == nil {
		for _, d := range deps.Items {
			st, _ := yaml.Marshal(d.Status)
			out = append(out, fmt.Sprintf("Deployment %s generation %d replicas %d paused %v hash %s:\n%s", d.Name, d.Generation, ptr.Deref(d.Spec.Replicas, -1), d.Spec.Paused,
				d.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash], st)...)
		}
	}
	return string(out)
}

// TestDrainingInstance: cordoning a node (a DRAINING container instance)
// replaces the service tasks on it, starting the replacements first
// (maximumPercent 200) so that the healthy count never drops below
// minimumHealthyPercent (100), and leaves the node with no service task.
func TestDrainingInstance(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	Expect(admin.Create(ctx, rollTaskDefinition("drained", "public.ecr.aws/example/drained:1", nil))).To(Succeed())
	Expect(admin.Create(ctx, rollService("drained", "drained", 3, 200, 100, nil))).To(Succeed())
	expectStable(t, "drained", 3, "1")
	var victim string
	Eventually(func(g Gomega) {
		pods := servicePods(g, "drained")
		g.Expect(pods).NotTo(BeEmpty())
		victim = pods[0].Spec.NodeName
	}).WithTimeout(timeout).Should(Succeed())
	pw := watchPods(t, "drained")
	cordon := func(on bool) {
		var n corev1.Node
		Expect(admin.Get(ctx, client.ObjectKey{Name: victim}, &n)).To(Succeed())
		base := n.DeepCopy()
		n.Spec.Unschedulable = on
		Expect(admin.Patch(ctx, &n, client.MergeFrom(base))).To(Succeed())
	}
	cordon(true)
	defer cordon(false)
	Eventually(func(g Gomega) {
		on := 0
		running := 0
		for _, p := range servicePods(g, "drained") {
			if p.Spec.NodeName == victim {
				on++
			}
			if p.DeletionTimestamp.IsZero() && p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		g.Expect(on).To(BeZero(), "service tasks left on the draining node %s", victim)
		g.Expect(running).To(Equal(3))
		s := getService(g, "drained")
		g.Expect(meta.IsStatusConditionTrue(s.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
	}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())
	maxTasks, minReady, _ := pw.stop()
	t.Logf("draining: at most %d tasks, at least %d healthy", maxTasks, minReady)
	Expect(minReady).To(BeNumerically(">=", 3), "minimumHealthyPercent 100: never fewer than 3 healthy tasks")
	Expect(maxTasks).To(BeNumerically("<=", 6), "maximumPercent 200: never more than 6 tasks")
	Expect(maxTasks).To(BeNumerically(">", 3), "replacements started before the drained tasks stopped")
}
