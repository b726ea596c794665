package endpoint

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// RegisterTaskDefinition in a namespace that enforces a Pod Security level
// the definition's pods do not meet fails as ECS fails a definition it
// refuses, ClientException, with Pod Security admission's reason, and
// stores nothing: the TaskDefinition the call made is withdrawn (one it
// updated gets its previous definition back). Once the namespace's label
// allows the pods, registering again succeeds.
func TestRegisterTaskDefinitionRefusedByPodSecurity(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "dave", true)
	ns := &corev1.Namespace{}
	g.Expect(env.Direct.Get(ctx, client.ObjectKey{Name: a.ns}, ns)).To(Succeed())
	ns.Labels["pod-security.kubernetes.io/enforce"] = "baseline"
	g.Expect(env.Direct.Update(ctx, ns)).To(Succeed())
	c := a.client()

	defs := container("nginx")
	defs[0].Privileged = aws.Bool(true)
	register := func() error {
		_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("priv"), ContainerDefinitions: defs})
		return err
	}
	g.Expect(code(register())).To(HavePrefix(`ClientException: pods of this task definition would be forbidden in namespace ` + a.ns +
		`: violates PodSecurity "baseline:latest": privileged (container "app" must not set securityContext.privileged=true)`))
	_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("priv")})
	g.Expect(code(err)).To(Equal("ClientException: Unable to describe task definition."))
	g.Eventually(func() []ecsv1alpha1.TaskDefinition {
		var list ecsv1alpha1.TaskDefinitionList
		g.Expect(env.Direct.List(ctx, &list, client.InNamespace(a.ns))).To(Succeed())
		return list.Items
	}).WithTimeout(10*time.Second).Should(BeEmpty(), "a refused definition is not left stored")

	// A family with a revision: the refused update is withdrawn, the
	// family keeps its definition.
	_, err = c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("priv"), ContainerDefinitions: container("nginx")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code(register())).To(HavePrefix(`ClientException: pods of this task definition would be forbidden`))
	var list ecsv1alpha1.TaskDefinitionList
	g.Expect(env.Direct.List(ctx, &list, client.InNamespace(a.ns))).To(Succeed())
	g.Expect(list.Items).To(HaveLen(1))
	g.Expect(list.Items[0].Spec.ContainerDefinitions[0].Privileged).To(BeNil(), "the previous definition is back")

	delete(ns.Labels, "pod-security.kubernetes.io/enforce")
	g.Expect(env.Direct.Update(ctx, ns)).To(Succeed())
	g.Eventually(register).WithTimeout(30 * time.Second).Should(Succeed())
	_, err = c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("priv:2")})
	g.Expect(code(err)).To(Equal("no error"), "the refused definitions took no revision number")
}
