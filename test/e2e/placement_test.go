package e2e

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/localrun"
)

// TestPlacement shows placement constraints and strategies on a pool of
// three nodes with ECS attributes (instance types and zones as node
// labels): distinctInstance, memberOf with the cluster query language, an
// unsatisfiable placement's ECS event, an invalid expression refused with
// its field path, and the spread and binpack strategies.
func TestPlacement(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	pool := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "attrs"}}
	pool.Spec.Type = ecsv1alpha1.CapacityProviderEC2AutoScaling
	taint := corev1.Taint{Key: ecsv1alpha1.LabelCapacityProvider, Value: "attrs", Effect: corev1.TaintEffectNoSchedule}
	pool.Spec.NodePool.Taints = []corev1.Taint{taint}
	Expect(admin.Create(ctx, pool)).To(Succeed())
	for _, n := range []struct{ name, instanceType, zone string }{
		{"attrs-a", "t3.small", "us-east-1a"}, {"attrs-b", "t3.small", "us-east-1b"}, {"attrs-c", "m5.large", "us-east-1c"},
	} {
		np := localrun.Pool("attrs", 1, "4", "16Gi", "110")
		np.Name = n.name
		np.Labels[corev1.LabelInstanceTypeStable] = n.instanceType
		np.Labels[corev1.LabelTopologyZone] = n.zone
		Expect(cp.CreateNodes(ctx, np)).To(Succeed())
	}
	cluster := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "placing", Namespace: ns}}
	cluster.Spec.CapacityProviders = []string{"attrs"}
	Expect(admin.Create(ctx, cluster)).To(Succeed())
	Expect(admin.Create(ctx, rollTaskDefinition("placed", "public.ecr.aws/example/placed:1", nil))).To(Succeed())

	service := func(name string, desired int32, cs []ecsv1alpha1.PlacementConstraint, ss []ecsv1alpha1.PlacementStrategy) {
		svc := &ecsv1alpha1.Service{}
		svc.Name, svc.Namespace = name, ns
		svc.Spec.Cluster = "placing"
		svc.Spec.TaskDefinition = "placed"
		svc.Spec.DesiredCount = ptr.To(desired)
		svc.Spec.PlacementConstraints, svc.Spec.PlacementStrategy = cs, ss
		Expect(admin.Create(ctx, svc)).To(Succeed())
	}
	// nodesOf: the nodes of a service's running tasks, and how many pending.
	nodesOf := func(g Gomega, svc string) (nodes []string, pending int) {
		for _, p := range servicePods(g, svc) {
			switch {
			case !p.DeletionTimestamp.IsZero():
			case p.Status.Phase == corev1.PodRunning:
				nodes = append(nodes, p.Spec.NodeName)
			default:
				pending++
			}
		}
		return nodes, pending
	}
	unplaced := func(svc string) {
		Eventually(func(g Gomega) {
			s := getService(g, svc)
			g.Expect(eventMessages(s)).To(ContainSubstring("was unable to place a task because no container instance met all of its requirements. Reason: 0/"))
		}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	}

	// distinctInstance: each task on its own node; a fourth cannot be placed.
	service("distinct", 3, []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintTypeDistinctinstance}}, nil)
	Eventually(func(g Gomega) {
		nodes, _ := nodesOf(g, "distinct")
		g.Expect(nodes).To(ConsistOf("attrs-a-0", "attrs-b-0", "attrs-c-0"))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	Eventually(func(g Gomega) {
		s := getService(g, "distinct")
		s.Spec.DesiredCount = ptr.To[int32](4)
		g.Expect(admin.Update(ctx, s)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
	unplaced("distinct")
	Consistently(func(g Gomega) {
		nodes, pending := nodesOf(g, "distinct")
		g.Expect(nodes).To(ConsistOf("attrs-a-0", "attrs-b-0", "attrs-c-0"))
		g.Expect(pending).To(Equal(1))
	}).WithTimeout(3 * time.Second).Should(Succeed())

	// memberOf with a regular expression: only the t3 nodes.
	service("member", 4, []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintTypeMemberof,
		Expression: "attribute:ecs.instance-type =~ t3.* and not(attribute:ecs.availability-zone in [us-east-1c])"}}, nil)
	Eventually(func(g Gomega) {
		nodes, _ := nodesOf(g, "member")
		g.Expect(nodes).To(HaveLen(4))
		for _, n := range nodes {
			g.Expect(n).To(BeElementOf("attrs-a-0", "attrs-b-0"))
		}
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())

	// A placement no node satisfies: ECS's event.
	service("nowhere", 1, []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintTypeMemberof,
		Expression: "attribute:ecs.availability-zone == eu-west-1a"}}, nil)
	unplaced("nowhere")

	// An expression that does not parse: refused with its field path.
	service("garbled", 1, []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintTypeMemberof,
		Expression: "attribute:ecs.instance-type ~= t3"}}, nil)
	Eventually(func(g Gomega) {
		s := getService(g, "garbled")
		c := meta.FindStatusCondition(s.Status.Conditions, ecsv1alpha1.ConditionStalled)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(ecsv1alpha1.ReasonInvalidParameter))
		g.Expect(c.Message).To(ContainSubstring("spec.placementConstraints[0].expression"))
		g.Expect(c.Message).To(ContainSubstring("expected an operator"))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())

	// spread over zones: one task per zone.
	service("spread", 3, nil, []ecsv1alpha1.PlacementStrategy{{Type: ecsv1alpha1.PlacementStrategyTypeSpread, Field: "attribute:ecs.availability-zone"}})
	Eventually(func(g Gomega) {
		nodes, _ := nodesOf(g, "spread")
		g.Expect(nodes).To(ConsistOf("attrs-a-0", "attrs-b-0", "attrs-c-0"))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())

	// binpack on memory: the tasks fill one node before another.
	service("packed", 3, nil, []ecsv1alpha1.PlacementStrategy{{Type: ecsv1alpha1.PlacementStrategyTypeBinpack, Field: "memory"}})
	Eventually(func(g Gomega) {
		nodes, _ := nodesOf(g, "packed")
		g.Expect(nodes).To(HaveLen(3))
		g.Expect(nodes[1]).To(Equal(nodes[0]))
		g.Expect(nodes[2]).To(Equal(nodes[0]))
		var pods corev1.PodList
		g.Expect(admin.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: "packed"})).To(Succeed())
		g.Expect(pods.Items[0].Spec.SchedulerName).To(Equal("berth-binpack-memory"))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
}
