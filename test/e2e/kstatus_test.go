package e2e

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// TestKstatusCurrent checks that kstatus (what Flux, Argo CD and `kubectl
// wait` tooling read) reports every converged sample Current.
func TestKstatusCurrent(t *testing.T) {
	RegisterTestingT(t)
	objs := []client.Object{
		&ecsv1alpha1.Service{}, &ecsv1alpha1.TaskDefinition{}, &ecsv1alpha1.Cluster{}, &ecsv1alpha1.Task{}, &ecsv1alpha1.CapacityProvider{},
		&ecsv1alpha1.ScalableTarget{},
	}
	keys := []client.ObjectKey{key("worker"), key("web"), key("default"), key("hello"), {Name: "fargate"}, key("web")}
	for i, o := range objs {
		Eventually(func(g Gomega) {
			g.Expect(admin.Get(context.Background(), keys[i], o)).To(Succeed())
			m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
			g.Expect(err).NotTo(HaveOccurred())
			res, err := status.Compute(&unstructured.Unstructured{Object: m})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status).To(Equal(status.CurrentStatus), "%T %s: %s", o, keys[i], res.Message)
		}).WithTimeout(timeout).Should(Succeed())
	}
}
