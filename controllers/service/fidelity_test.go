package service

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// A Service says which of the members it sets Berth does not honour
// exactly (status.fieldNotes, FullySupported), whether or not it runs yet;
// a plain one is FullySupported. Nothing is dropped silently: a
// CODE_DEPLOY service says what Berth does with it.
func TestServiceReportsWhatItDoesNotHonour(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	plain := h.service("plain", "web", 1)
	h.reconcile(plain.Name)
	h.g.Expect(h.get(plain)).To(Succeed())
	h.g.Expect(plain.Status.FieldNotes).To(BeEmpty())
	h.g.Expect(meta.IsStatusConditionTrue(plain.Status.Conditions, ecsv1alpha1.ConditionFullySupported)).To(BeTrue())

	svc := h.service("cd", "web", 1)
	svc.Spec.DeploymentController = &ecsv1alpha1.DeploymentController{Type: ecsv1alpha1.DeploymentControllerTypeCodeDeploy}
	svc.Spec.PlatformVersion = "1.4.0"
	h.g.Expect(env.Direct.Update(ctx, svc)).To(Succeed())
	h.reconcile(svc.Name)
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(svc.Status.FieldNotes).To(HaveLen(2))
	h.g.Expect(svc.Status.FieldNotes[0].Path).To(Equal("deploymentController.type"))
	h.g.Expect(svc.Status.FieldNotes[0].Message).To(ContainSubstring("CODE_DEPLOY"))
	h.g.Expect(svc.Status.FieldNotes[1]).To(Equal(ecsv1alpha1.FieldNote{Path: "platformVersion", Level: ecsv1alpha1.FidelityUnsupported,
		Message: "Fargate platform versions do not exist here: Fargate-style pools run on the cluster's Kubernetes"}))
	c := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionFullySupported)
	h.g.Expect(c).NotTo(BeNil())
	h.g.Expect(c.Status).To(BeEquivalentTo("False"))
	h.g.Expect(c.Reason).To(Equal(ecsv1alpha1.ReasonUnsupportedFields))
	h.g.Expect(c.Message).To(ContainSubstring("platformVersion"))
	// Not being fully supported does not keep a service from being Ready.
	h.run("cd", 1)
	h.reconcile(svc.Name)
	h.g.Expect(h.get(svc)).To(Succeed())
	h.g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "%+v", svc.Status.Conditions)
}
