package service

import (
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func TestEditsTellASpecChangeFromAMetadataOne(t *testing.T) {
	g := NewWithT(t)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web", UID: "u1", Generation: 3,
		Labels: map[string]string{ecsv1alpha1.LabelService: "web"}}}
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: "app:1"}}
	var e edits
	g.Expect(e.changed(d)).To(BeFalse(), "nothing remembered: a new operator process")
	e.wrote(d)

	// The write's answer can hold a field the API server dropped (it is
	// decoded into the apply configuration sent); the cache's object at
	// the same generation is what later ones are compared with.
	stored := d.DeepCopy()
	e.wrote(withDropped(d))
	g.Expect(e.changed(stored)).To(BeFalse(), "the cache shows the write")
	g.Expect(e.last["u1"].cached).To(BeTrue())

	lagging := d.DeepCopy()
	lagging.Generation = 2
	lagging.Spec.Template.Spec.Containers[0].Image = "app:0"
	g.Expect(e.changed(lagging)).To(BeFalse(), "a cache that has not seen the write yet")

	annotated := d.DeepCopy()
	annotated.Generation = 4
	annotated.Annotations = map[string]string{"deployment.kubernetes.io/revision": "2"}
	g.Expect(e.changed(annotated)).To(BeFalse(), "the generation moved with an annotation")
	g.Expect(e.last["u1"].gen).To(Equal(int64(4)), "the new generation is remembered")

	edited := annotated.DeepCopy()
	edited.Generation = 5
	edited.Spec.Template.Spec.Containers[0].Env = nil
	edited.Spec.Template.Spec.Containers[0].Image = "intruder:6"
	g.Expect(e.changed(edited)).To(BeTrue(), "the spec changed")

	e.forget(types.NamespacedName{Namespace: "team", Name: "web"})
	g.Expect(e.changed(edited)).To(BeFalse(), "forgotten with the Service")
	g.Expect(e.last).To(BeEmpty())
}

// withDropped is d as the answer to its apply can read: with a field the
// API server does not keep (a disabled feature).
func withDropped(d *appsv1.Deployment) *appsv1.Deployment {
	d = d.DeepCopy()
	d.Spec.Template.Spec.HostnameOverride = ptr.To("dropped")
	return d
}
