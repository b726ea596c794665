package localrun

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/controllers/service"
	"github.com/berth-dev/berth/internal/testenv"
)

// config/admission adds the draining finalizer to a Service in the request
// that creates it, whoever creates it and however (create, server-side
// apply), next to the finalizers it has, once; and a later apply that does
// not name it does not take it away (admission's fields belong to no
// manager).
func TestAdmissionAddsTheDrainFinalizer(t *testing.T) {
	g := NewWithT(t)
	root, err := Root()
	g.Expect(err).NotTo(HaveOccurred())
	env, err := testenv.Start(root)
	t.Cleanup(env.Stop)
	g.Expect(err).NotTo(HaveOccurred())
	ctx := context.Background()
	c := env.Direct

	installed, err := InstallAdmission(ctx, c)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(installed).To(BeTrue(), "Kubernetes 1.37 serves MutatingAdmissionPolicy v1; InstallAdmission waits until it is in effect")

	newService := func(name string, finalizers ...string) *ecsv1alpha1.Service {
		return &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Finalizers: finalizers},
			Spec: ecsv1alpha1.ServiceSpec{CreateServiceInput: ecsv1alpha1.CreateServiceInput{TaskDefinition: "web", DesiredCount: ptr.To[int32](1)}}}
	}
	for _, tc := range []struct {
		name       string
		finalizers []string
		want       []string
	}{
		{"none", nil, []string{service.FinalizerDrain}},
		{"another", []string{"example.com/keep"}, []string{"example.com/keep", service.FinalizerDrain}},
		{"already", []string{service.FinalizerDrain}, []string{service.FinalizerDrain}},
	} {
		svc := newService(tc.name, tc.finalizers...)
		g.Expect(c.Create(ctx, svc, client.FieldOwner("kubectl"))).To(Succeed())
		g.Expect(svc.Finalizers).To(Equal(tc.want), tc.name)
	}

	// Flux and Argo CD apply server-side, again and again.
	applied := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": ecsv1alpha1.GroupVersion.String(), "kind": "Service",
		"metadata": map[string]any{"namespace": "default", "name": "gitops"},
		"spec":     map[string]any{"taskDefinition": "web", "desiredCount": int64(2)},
	}}
	for i := range 2 {
		g.Expect(c.Apply(ctx, client.ApplyConfigurationFromUnstructured(applied.DeepCopy()), client.FieldOwner("flux"), client.ForceOwnership)).To(Succeed())
		got := &ecsv1alpha1.Service{}
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "gitops"}, got)).To(Succeed())
		g.Expect(got.Finalizers).To(Equal([]string{service.FinalizerDrain}), "apply %d", i+1)
	}
	// An update does not put it back: deletion is the operator's to end.
	svc := &ecsv1alpha1.Service{}
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "none"}, svc)).To(Succeed())
	svc.Finalizers = nil
	g.Expect(c.Update(ctx, svc)).To(Succeed())
	g.Expect(svc.Finalizers).To(BeEmpty())
}
