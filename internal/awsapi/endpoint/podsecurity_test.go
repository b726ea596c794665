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
)

// RegisterTaskDefinition in a namespace that enforces a Pod Security level
// the definition's pods do not meet fails as ECS fails a definition it
// refuses, ClientException, with Pod Security admission's reason, and
// registers nothing. The running operator watches the namespace: once its
// label allows the pods, the stored definition registers.
func TestRegisterTaskDefinitionRefusedByPodSecurity(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "dave", true)
	ns := &corev1.Namespace{}
	g.Expect(env.Direct.Get(ctx, client.ObjectKey{Name: a.ns}, ns)).To(Succeed())
	ns.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	g.Expect(env.Direct.Update(ctx, ns)).To(Succeed())
	c := a.client()

	defs := container("nginx")
	defs[0].Privileged = aws.Bool(true)
	_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("priv"), ContainerDefinitions: defs})
	g.Expect(code(err)).To(HavePrefix(`ClientException: pods of this task definition would be forbidden in namespace ` + a.ns +
		`: violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true), `))
	_, err = c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("priv")})
	g.Expect(code(err)).To(Equal("ClientException: Unable to describe task definition."))

	delete(ns.Labels, "pod-security.kubernetes.io/enforce")
	g.Expect(env.Direct.Update(ctx, ns)).To(Succeed())
	g.Eventually(func() string {
		_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("priv:1")})
		return code(err)
	}).WithTimeout(30 * time.Second).Should(Equal("no error"))
}
