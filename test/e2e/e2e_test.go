package e2e

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

const timeout = 90 * time.Second

func key(name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

// servicePods lists the pods of an ECS service.
func servicePods(g Gomega, svc string) []corev1.Pod {
	var pods corev1.PodList
	g.Expect(admin.List(context.Background(), &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: svc})).To(Succeed())
	return pods.Items
}

func nodePool(g Gomega, nodeName string) string {
	var node corev1.Node
	g.Expect(admin.Get(context.Background(), client.ObjectKey{Name: nodeName}, &node)).To(Succeed())
	return node.Labels[ecsv1alpha1.LabelCapacityProvider]
}

// expectSteady waits until the service is Ready with running == desired, and
// every pod is Running on a node of pool, running revision.
func expectSteady(t *testing.T, name, pool string, desired int32, revision string) {
	t.Helper()
	Eventually(func(g Gomega) {
		svc := &ecsv1alpha1.Service{}
		g.Expect(admin.Get(context.Background(), key(name), svc)).To(Succeed())
		g.Expect(svc.Status.ObservedGeneration).To(Equal(svc.Generation))
		g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "conditions: %+v", svc.Status.Conditions)
		g.Expect(svc.Status.RunningCount).To(Equal(ptr.To(desired)))
		g.Expect(svc.Status.PendingCount).To(Equal(ptr.To[int32](0)))
		pods := servicePods(g, name)
		g.Expect(pods).To(HaveLen(int(desired)))
		for _, p := range pods {
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning), "pod %s", p.Name)
			g.Expect(p.Labels[ecsv1alpha1.LabelRevision]).To(Equal(revision), "pod %s", p.Name)
			g.Expect(nodePool(g, p.Spec.NodeName)).To(Equal(pool), "pod %s on node %s", p.Name, p.Spec.NodeName)
		}
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
}

func TestSamplesConverge(t *testing.T) {
	RegisterTestingT(t)
	Eventually(func(g Gomega) {
		td := &ecsv1alpha1.TaskDefinition{}
		g.Expect(admin.Get(context.Background(), key("web"), td)).To(Succeed())
		g.Expect(td.Status.Revision).To(Equal(int32(1)))
		g.Expect(td.Status.TaskDefinitionArn).To(Equal("arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"))
		cl := &ecsv1alpha1.Cluster{}
		g.Expect(admin.Get(context.Background(), key("default"), cl)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(cl.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
	}).WithTimeout(timeout).Should(Succeed())
	expectSteady(t, "web", "fargate", 3, "1")
	expectSteady(t, "worker", "ec2", 2, "1")
	// Positive control for TestNoOpResync: the counter sees the operator's writes.
	Expect(writes.n.Load()).To(BeNumerically(">", 0))
	Eventually(func(g Gomega) {
		task := &ecsv1alpha1.Task{}
		g.Expect(admin.Get(context.Background(), key("hello"), task)).To(Succeed())
		g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskRunning))
		g.Expect(task.Status.StartedAt).NotTo(BeNil())
		pod := &corev1.Pod{}
		g.Expect(admin.Get(context.Background(), key("hello"), pod)).To(Succeed())
		g.Expect(pod.Spec.RestartPolicy).To(Equal(corev1.RestartPolicyNever))
		g.Expect(nodePool(g, pod.Spec.NodeName)).To(Equal("ec2"))
	}).WithTimeout(timeout).Should(Succeed())
}

// reconcileTotal sums controller-runtime's reconcile counter of a controller.
func reconcileTotal(controller string) float64 {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == controller {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}

// TestNoOpResync restarts the operator on a converged world: its resync
// must reconcile every object and write nothing.
func TestNoOpResync(t *testing.T) {
	RegisterTestingT(t)
	expectSteady(t, "web", "fargate", 3, "1")
	expectSteady(t, "worker", "ec2", 2, "1")
	// Converged also means no node a Fargate task left is waiting to go
	// (a node made for a task that then ran elsewhere goes after 30 s).
	Eventually(func(g Gomega) {
		var nodes corev1.NodeList
		g.Expect(admin.List(context.Background(), &nodes)).To(Succeed())
		var pods corev1.PodList
		g.Expect(admin.List(context.Background(), &pods)).To(Succeed())
		bound := map[string]bool{}
		for _, p := range pods.Items {
			bound[p.Spec.NodeName] = true
		}
		for _, n := range nodes.Items {
			if n.Annotations["ecs.berth.dev/provisioned-for"] != "" {
				g.Expect(bound[n.Name]).To(BeTrue(), "Fargate node %s has no task", n.Name)
			}
		}
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	// ... and no write still due: pools and clusters write their status at
	// most every 2 s, and a cluster's follows its pools', so a write can be
	// pending for twice that long.
	Eventually(func(g Gomega) {
		before := writes.n.Load()
		time.Sleep(5 * time.Second)
		g.Expect(writes.n.Load()).To(Equal(before), "the operator is still writing; last write: %v", writes.last.Load())
	}).WithTimeout(timeout).Should(Succeed())
	Expect(manager.stop()).To(Succeed())
	stored := &ecsv1alpha1.Cluster{}
	Expect(admin.Get(context.Background(), key("default"), stored)).To(Succeed())
	before := map[string]float64{}
	objects := map[string]float64{"service": 2, "taskdefinition": 1, "task": 1, "cluster": 1, "capacityprovider": 2}
	for c := range objects {
		before[c] = reconcileTotal(c)
	}
	writes.n.Store(0)
	var err error
	manager, err = startManager()
	Expect(err).NotTo(HaveOccurred())
	Eventually(func(g Gomega) {
		for c, n := range objects {
			g.Expect(reconcileTotal(c)-before[c]).To(BeNumerically(">=", n), "reconciles of %s", c)
		}
	}).WithTimeout(timeout).Should(Succeed())
	Consistently(func() int64 { return writes.n.Load() }).WithTimeout(3*time.Second).Should(BeZero(),
		"the operator wrote during a no-op resync; last write: %v; the cluster's providers before: %+v", writes.last.Load(), stored.Status.CapacityProviders)
}

func TestTaskDefinitionEditRollsService(t *testing.T) {
	RegisterTestingT(t)
	expectSteady(t, "web", "fargate", 3, "1")
	td := &ecsv1alpha1.TaskDefinition{}
	Expect(admin.Get(context.Background(), key("web"), td)).To(Succeed())
	// (That an identical re-apply registers nothing is asserted by the
	// TaskDefinition reconciler test, which can observe the reconcile.)
	td.Spec.ContainerDefinitions[0].Image = "public.ecr.aws/nginx/nginx:1.28"
	Expect(admin.Update(context.Background(), td)).To(Succeed())
	Eventually(func(g Gomega) {
		rev := &ecsv1alpha1.TaskDefinitionRevision{}
		g.Expect(admin.Get(context.Background(), key("web-2"), rev)).To(Succeed())
		g.Expect(rev.Spec.ContainerDefinitions[0].Image).To(Equal("public.ecr.aws/nginx/nginx:1.28"))
		g.Expect(rev.Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionActive))
	}).WithTimeout(timeout).Should(Succeed())
	expectSteady(t, "web", "fargate", 3, "2")
	for _, p := range servicePods(Default, "web") {
		Expect(p.Spec.Containers[0].Image).To(Equal("public.ecr.aws/nginx/nginx:1.28"))
	}
	// worker is pinned to web:1 and does not roll.
	expectSteady(t, "worker", "ec2", 2, "1")
	// Revisions are immutable.
	rev1 := &ecsv1alpha1.TaskDefinitionRevision{}
	Expect(admin.Get(context.Background(), key("web-1"), rev1)).To(Succeed())
	rev1.Spec.ContainerDefinitions[0].Image = "evil"
	err := admin.Update(context.Background(), rev1)
	Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
	Expect(err.Error()).To(ContainSubstring("Task definition revisions are immutable"))
}

func TestDeleteServiceRemovesDeploymentAndPods(t *testing.T) {
	RegisterTestingT(t)
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "doomed", ns
	svc.Spec.TaskDefinition = "web"
	svc.Spec.DesiredCount = ptr.To[int32](2)
	svc.Spec.LaunchType = ecsv1alpha1.LaunchTypeFargate
	Expect(admin.Create(context.Background(), svc)).To(Succeed())
	expectSteady(t, "doomed", "fargate", 2, "2")
	Expect(admin.Delete(context.Background(), svc)).To(Succeed())
	Eventually(func(g Gomega) {
		err := admin.Get(context.Background(), key("doomed"), &appsv1.Deployment{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Deployment still there: %v", err)
		g.Expect(servicePods(g, "doomed")).To(BeEmpty())
	}).WithTimeout(timeout).Should(Succeed())
}

func TestTaskStopsWhenEssentialContainerExits(t *testing.T) {
	RegisterTestingT(t)
	task := runTask(t, "one-off", "web:2", "")

	// kwok's chaos stage makes the pod's container exit with code 3.
	pod := &corev1.Pod{}
	Expect(admin.Get(context.Background(), key("one-off"), pod)).To(Succeed())
	base := pod.DeepCopy()
	pod.Labels["pod-container-running-failed.stage.kwok.x-k8s.io"] = "true"
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations["pod-container-running-failed.stage.kwok.x-k8s.io/exit-code"] = "3"
	pod.Annotations["pod-container-running-failed.stage.kwok.x-k8s.io/delay"] = "0s"
	Expect(admin.Patch(context.Background(), pod, client.MergeFrom(base))).To(Succeed())

	Eventually(func(g Gomega) {
		g.Expect(admin.Get(context.Background(), key("one-off"), task)).To(Succeed())
		g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskStopped))
		g.Expect(task.Status.DesiredStatus).To(Equal(ecsv1alpha1.TaskStopped))
		g.Expect(task.Status.StopCode).To(Equal(ecsv1alpha1.StopCodeEssentialContainerExited))
		g.Expect(task.Status.StoppedReason).To(Equal("Essential container in task exited"))
		g.Expect(task.Status.StoppedAt).NotTo(BeNil())
		g.Expect(task.Status.Containers).To(HaveLen(1))
		g.Expect(task.Status.Containers[0].ExitCode).To(Equal(ptr.To[int32](3)))
	}).WithTimeout(timeout).Should(Succeed())
	// The stopped task's pod stays, finished, its log with it, as long as
	// the task does (the retention deletes both).
	Expect(admin.Get(context.Background(), key("one-off"), pod)).To(Succeed())
	Expect(pod.DeletionTimestamp).To(BeNil())
	Expect(pod.Status.Phase).To(Equal(corev1.PodFailed))
}

// TestOperatorIsNotAdmin is the negative control for RBAC: the identity the
// operator runs as cannot read Secrets.
func TestOperatorIsNotAdmin(t *testing.T) {
	RegisterTestingT(t)
	c, err := client.New(saCfg, client.Options{})
	Expect(err).NotTo(HaveOccurred())
	err = c.List(context.Background(), &corev1.SecretList{}, client.InNamespace(ns))
	Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing Secrets as the operator: %v", err)
}

// TestScaleSubresource drives desiredCount through the scale subresource,
// as `kubectl scale` and an HPA do.
func TestScaleSubresource(t *testing.T) {
	RegisterTestingT(t)
	svc := &ecsv1alpha1.Service{}
	Expect(admin.Get(context.Background(), key("worker"), svc)).To(Succeed())
	scale := &autoscalingv1.Scale{}
	Expect(admin.SubResource("scale").Get(context.Background(), svc, scale)).To(Succeed())
	Expect(scale.Spec.Replicas).To(Equal(int32(2)))
	Expect(scale.Status.Selector).To(Equal("app.kubernetes.io/managed-by=berth,ecs.berth.dev/service=worker"))
	scale.Spec.Replicas = 4
	Expect(admin.SubResource("scale").Update(context.Background(), svc, client.WithSubResourceBody(scale))).To(Succeed())
	expectSteady(t, "worker", "ec2", 4, "1")
	Expect(admin.Get(context.Background(), key("worker"), svc)).To(Succeed())
	Expect(svc.Spec.DesiredCount).To(Equal(ptr.To[int32](4)))
}

// TestForeignDeploymentIsNotAdopted: a Deployment with the Service's name
// that Berth does not control is left alone and reported.
func TestForeignDeploymentIsNotAdopted(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	labels := map[string]string{"app": "squatter"}
	foreign := &appsv1.Deployment{}
	foreign.Name, foreign.Namespace = "squatter", ns
	foreign.Spec.Replicas = ptr.To[int32](0)
	foreign.Spec.Selector = &metav1.LabelSelector{MatchLabels: labels}
	foreign.Spec.Template.Labels = labels
	foreign.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c", Image: "mine:1"}}
	Expect(admin.Create(ctx, foreign)).To(Succeed())

	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "squatter", ns
	svc.Spec.TaskDefinition = "web"
	svc.Spec.DesiredCount = ptr.To[int32](1)
	svc.Spec.LaunchType = ecsv1alpha1.LaunchTypeFargate
	Expect(admin.Create(ctx, svc)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("squatter"), svc)).To(Succeed())
		stalled := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionStalled)
		g.Expect(stalled).NotTo(BeNil())
		g.Expect(stalled.Reason).To(Equal(ecsv1alpha1.ReasonResourceNotOwned))
	}).WithTimeout(timeout).Should(Succeed())
	Expect(admin.Get(ctx, key("squatter"), foreign)).To(Succeed())
	Expect(foreign.Spec.Template.Spec.Containers[0].Image).To(Equal("mine:1"))
	Expect(foreign.OwnerReferences).To(BeEmpty())
	Expect(admin.Delete(ctx, svc)).To(Succeed())
}

// TestInactiveRevision: beyond revisionHistoryLimit a revision is INACTIVE;
// the service already running it keeps it, a new reference is refused.
func TestInactiveRevision(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	td := &ecsv1alpha1.TaskDefinition{}
	Expect(admin.Get(ctx, key("web"), td)).To(Succeed())
	td.Spec.RevisionHistoryLimit = ptr.To[int32](1)
	Expect(admin.Update(ctx, td)).To(Succeed())
	Eventually(func(g Gomega) {
		rev := &ecsv1alpha1.TaskDefinitionRevision{}
		g.Expect(admin.Get(ctx, key("web-1"), rev)).To(Succeed())
		g.Expect(rev.Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionInactive))
	}).WithTimeout(timeout).Should(Succeed())
	// worker runs web:1 and keeps it.
	expectSteady(t, "worker", "ec2", ptr.Deref(getService(Default, "worker").Spec.DesiredCount, 0), "1")

	late := &ecsv1alpha1.Service{}
	late.Name, late.Namespace = "late", ns
	late.Spec.TaskDefinition = "web:1"
	late.Spec.DesiredCount = ptr.To[int32](1)
	Expect(admin.Create(ctx, late)).To(Succeed())
	Eventually(func(g Gomega) {
		svc := getService(g, "late")
		c := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionTaskDefinitionResolved)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(ecsv1alpha1.ReasonTaskDefinitionInactive))
		g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(BeTrue())
	}).WithTimeout(timeout).Should(Succeed())
	Expect(admin.Get(ctx, key("late"), &appsv1.Deployment{})).To(Satisfy(apierrors.IsNotFound))
	Expect(admin.Delete(ctx, late)).To(Succeed())
}

func getService(g Gomega, name string) *ecsv1alpha1.Service {
	svc := &ecsv1alpha1.Service{}
	g.Expect(admin.Get(context.Background(), key(name), svc)).To(Succeed())
	return svc
}

// TestTaskWaitsForItsCluster: a task whose cluster does not exist yet
// waits for it (Reconciling, DependencyNotReady, ClusterNotFoundException
// in ClusterResolved; never Stalled) and starts once the cluster appears.
func TestTaskWaitsForItsCluster(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	task := &ecsv1alpha1.Task{}
	task.Name, task.Namespace = "early", ns
	task.Spec.TaskDefinition = "web"
	task.Spec.Cluster = "Late_Cluster"
	task.Spec.LaunchType = ecsv1alpha1.LaunchTypeFargate
	Expect(admin.Create(ctx, task)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("early"), task)).To(Succeed())
		c := meta.FindStatusCondition(task.Status.Conditions, ecsv1alpha1.ConditionReconciling)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(ecsv1alpha1.ReasonDependencyNotReady))
		g.Expect(c.Message).To(HavePrefix("ClusterNotFoundException: "))
		g.Expect(meta.FindStatusCondition(task.Status.Conditions, ecsv1alpha1.ConditionClusterResolved).Reason).To(Equal(ecsv1alpha1.ReasonClusterNotFound))
		g.Expect(meta.FindStatusCondition(task.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(BeNil())
	}).WithTimeout(timeout).Should(Succeed())

	cl := &ecsv1alpha1.Cluster{}
	cl.Name, cl.Namespace = "late-cluster", ns
	cl.Spec.ClusterName = "Late_Cluster"
	cl.Spec.CapacityProviders = []string{"FARGATE"}
	Expect(admin.Create(ctx, cl)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("early"), task)).To(Succeed())
		g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskRunning))
		g.Expect(task.Status.ClusterArn).To(HaveSuffix(":cluster/Late_Cluster"))
		g.Expect(meta.FindStatusCondition(task.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(BeNil())
	}).WithTimeout(timeout).Should(Succeed())
}
