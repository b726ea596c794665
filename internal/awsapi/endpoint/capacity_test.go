package endpoint

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// grantCapacityProviders lets user manage capacity providers, which are
// cluster-scoped: a ClusterRoleBinding, as config/api/ecs-user-role.yaml
// says.
func grantCapacityProviders(t *testing.T, user string) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	name := "ecs-cp-" + user
	g.Expect(env.Direct.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"ecs.berth.dev"}, Resources: []string{"capacityproviders"}, Verbs: []string{"*"}}}})).To(Succeed())
	g.Expect(env.Direct.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: user, APIGroup: "rbac.authorization.k8s.io"}}})).To(Succeed())
}

// TestCapacityProvidersAndContainerInstances: Create/Update/Delete
// CapacityProvider over CapacityProvider objects, container instances as
// the nodes of the cluster's providers, UpdateCluster(Settings).
func TestCapacityProvidersAndContainerInstances(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "dave", true)
	c := a.client()
	suffix := fmt.Sprintf("%x", time.Now().UnixNano()%0xffffff)
	name := "Pool_" + suffix
	obj := "pool-" + suffix

	// Without a ClusterRoleBinding, RBAC refuses (capacity providers are
	// cluster-scoped).
	_, err := c.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{Name: aws.String(name),
		AutoScalingGroupProvider: &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String("arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:x:autoScalingGroupName/asg")}})
	g.Expect(code(err)).To(HavePrefix("AccessDeniedException: "))
	grantCapacityProviders(t, "dave")

	_, err = c.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{Name: aws.String("fargate-mine"),
		AutoScalingGroupProvider: &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String("asg")}})
	g.Expect(code(err)).To(Equal("InvalidParameterException: The capacity provider name cannot begin with 'aws', 'ecs', or 'fargate'."))
	in := &ecs.CreateCapacityProviderInput{Name: aws.String(name),
		AutoScalingGroupProvider: &types.AutoScalingGroupProvider{
			AutoScalingGroupArn: aws.String("arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:x:autoScalingGroupName/asg"),
			ManagedScaling:      &types.ManagedScaling{Status: types.ManagedScalingStatusEnabled, TargetCapacity: aws.Int32(80)},
		},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}
	created, err := c.CreateCapacityProvider(ctx, in)
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(aws.ToString(created.CapacityProvider.Name)).To(Equal(name))
	g.Expect(created.CapacityProvider.Status).To(Equal(types.CapacityProviderStatusActive))
	g.Expect(created.CapacityProvider.Tags).To(HaveLen(1))
	_, err = c.CreateCapacityProvider(ctx, in)
	g.Expect(code(err)).To(HavePrefix("ClientException: The specified capacity provider already exists."))

	updated, err := c.UpdateCapacityProvider(ctx, &ecs.UpdateCapacityProviderInput{Name: aws.String(name),
		AutoScalingGroupProvider: &types.AutoScalingGroupProviderUpdate{ManagedScaling: &types.ManagedScaling{Status: types.ManagedScalingStatusEnabled, TargetCapacity: aws.Int32(60)}}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(updated.CapacityProvider.UpdateStatus).To(Equal(types.CapacityProviderUpdateStatusUpdateComplete))
	described, err := c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{name}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(described.CapacityProviders).To(HaveLen(1))
	g.Expect(aws.ToInt32(described.CapacityProviders[0].AutoScalingGroupProvider.ManagedScaling.TargetCapacity)).To(Equal(int32(60)))
	_, err = c.UpdateCapacityProvider(ctx, &ecs.UpdateCapacityProviderInput{Name: aws.String("nope"), AutoScalingGroupProvider: &types.AutoScalingGroupProviderUpdate{}})
	g.Expect(code(err)).To(HavePrefix("ClientException: The specified capacity provider does not exist."))

	// A node of the pool is a container instance of a cluster that names it.
	cluster := "ci-" + suffix
	_, err = c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster), CapacityProviders: []string{name}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-" + suffix, Labels: map[string]string{ecsv1alpha1.LabelCapacityProvider: obj}}}
	g.Expect(env.Direct.Create(ctx, node)).To(Succeed())
	t.Cleanup(func() { _ = env.Direct.Delete(context.Background(), node) })
	node.Status = corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi"), corev1.ResourcePods: resource.MustParse("10")}}
	g.Expect(env.Direct.Status().Update(ctx, node)).To(Succeed())
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:000000000000:container-instance/%s/%s", cluster, node.Name)
	g.Eventually(func() ([]string, error) {
		out, err := c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
		if err != nil {
			return nil, err
		}
		return out.ContainerInstanceArns, nil
	}).WithTimeout(20 * time.Second).Should(Equal([]string{arn}))
	draining, err := c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster), Status: types.ContainerInstanceStatusDraining})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(draining.ContainerInstanceArns).To(BeEmpty())
	_, err = c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster), Filter: aws.String("attribute:ecs.instance-type == t3.micro")})
	g.Expect(code(err)).To(HavePrefix("InvalidParameterException: filter is not supported"))
	cis, err := c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: []string{node.Name, "gone"}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(cis.ContainerInstances).To(HaveLen(1))
	ci := cis.ContainerInstances[0]
	g.Expect(aws.ToString(ci.ContainerInstanceArn)).To(Equal(arn))
	g.Expect(ci.AgentConnected).To(BeTrue())
	g.Expect(aws.ToString(ci.Status)).To(Equal("ACTIVE"))
	g.Expect(aws.ToString(ci.CapacityProviderName)).To(Equal(name))
	g.Expect(ci.RegisteredResources).To(ContainElement(types.Resource{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 2048}))
	g.Expect(ci.RegisteredResources).To(ContainElement(types.Resource{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 4096}))
	g.Expect(cis.Failures).To(HaveLen(1))
	g.Expect(aws.ToString(cis.Failures[0].Reason)).To(Equal("MISSING"))
	g.Expect(aws.ToString(cis.Failures[0].Arn)).To(HaveSuffix("/" + cluster + "/gone"))

	// UpdateCluster and UpdateClusterSettings merge settings by name.
	uc, err := c.UpdateCluster(ctx, &ecs.UpdateClusterInput{Cluster: aws.String(cluster),
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(uc.Cluster.Settings).To(HaveLen(1))
	_, err = c.UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{Cluster: aws.String(cluster),
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("disabled")}}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	dc, err := c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}, Include: []types.ClusterField{types.ClusterFieldSettings}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dc.Clusters[0].Settings).To(Equal([]types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("disabled")}}))
	_, err = c.UpdateCluster(ctx, &ecs.UpdateClusterInput{Cluster: aws.String("nope")})
	g.Expect(code(err)).To(Equal("ClusterNotFoundException: Cluster not found."))

	// A provider a cluster names cannot be deleted; once no cluster names
	// it, it can.
	_, err = c.DeleteCapacityProvider(ctx, &ecs.DeleteCapacityProviderInput{CapacityProvider: aws.String(name)})
	g.Expect(code(err)).To(Equal("ClientException: The specified capacity provider is in use and cannot be removed."))
	_, err = c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String(cluster), CapacityProviders: []string{}, DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	deleted, err := c.DeleteCapacityProvider(ctx, &ecs.DeleteCapacityProviderInput{CapacityProvider: aws.String(name)})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(deleted.CapacityProvider.UpdateStatus).To(Equal(types.CapacityProviderUpdateStatusDeleteInProgress))
	g.Eventually(func() (int, error) {
		out, err := c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{name}})
		if err != nil {
			return 0, err
		}
		return len(out.Failures), nil
	}).Should(Equal(1))
}

// TestDeleteTaskDefinitions: only INACTIVE revisions are deleted; an unused
// one goes, as ECS's does once nothing references it.
func TestDeleteTaskDefinitions(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "erin", true)
	c := a.client()
	_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("gone"), ContainerDefinitions: container("nginx")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))

	out, err := c.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{"gone:1", "gone:9", "gone"}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(out.TaskDefinitions).To(BeEmpty())
	g.Expect(out.Failures).To(HaveLen(3))
	g.Expect(aws.ToString(out.Failures[0].Reason)).To(ContainSubstring("is ACTIVE"))
	g.Expect(aws.ToString(out.Failures[1].Reason)).To(Equal("The specified task definition does not exist."))
	g.Expect(aws.ToString(out.Failures[2].Reason)).To(ContainSubstring("with a revision"))

	_, err = c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("gone:1")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	// The revision turns INACTIVE once the operator has seen the change.
	g.Eventually(func() (types.TaskDefinitionStatus, error) {
		d, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("gone:1")})
		if err != nil {
			return "", err
		}
		return d.TaskDefinition.Status, nil
	}).Should(Equal(types.TaskDefinitionStatusInactive))
	out, err = c.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{"gone:1"}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(out.Failures).To(BeEmpty())
	g.Expect(out.TaskDefinitions).To(HaveLen(1))
	g.Expect(out.TaskDefinitions[0].Status).To(Equal(types.TaskDefinitionStatusDeleteInProgress))
	g.Expect(out.TaskDefinitions[0].DeleteRequestedAt).NotTo(BeNil())
	// Nothing uses it: it goes.
	g.Eventually(func() string {
		_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("gone:1")})
		return code(err)
	}).WithTimeout(20 * time.Second).Should(HavePrefix("ClientException: "))
}

// TestClientTokenIdempotency: a retried CreateService or RunTask (the same
// clientToken) answers with what the first call created and starts
// nothing more.
func TestClientTokenIdempotency(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "frank", true)
	c := a.client()
	_, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	_, err = c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("idem"), ContainerDefinitions: container("nginx")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))

	create := func(token string) (*ecs.CreateServiceOutput, error) {
		return c.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("once"), TaskDefinition: aws.String("idem"), DesiredCount: aws.Int32(0), ClientToken: aws.String(token)})
	}
	first, err := create("token-1")
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	again, err := create("token-1")
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(aws.ToString(again.Service.ServiceArn)).To(Equal(aws.ToString(first.Service.ServiceArn)))
	_, err = create("token-2")
	g.Expect(code(err)).To(Equal("InvalidParameterException: Creation of service was not idempotent."))

	run := func(token string) []string {
		out, err := c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("idem"), Count: aws.Int32(2), ClientToken: aws.String(token)})
		g.Expect(err).NotTo(HaveOccurred(), code(err))
		var arns []string
		for _, t := range out.Tasks {
			arns = append(arns, aws.ToString(t.TaskArn))
		}
		return arns
	}
	tasks := run("run-1")
	g.Expect(tasks).To(HaveLen(2))
	g.Expect(run("run-1")).To(Equal(tasks))
	g.Expect(run("run-2")).NotTo(ContainElements(tasks[0]))
	var list ecsv1alpha1.TaskList
	g.Expect(env.Direct.List(ctx, &list, client.InNamespace(a.ns))).To(Succeed())
	g.Expect(list.Items).To(HaveLen(4), "two RunTask calls of two tasks each, one of them repeated")
}
