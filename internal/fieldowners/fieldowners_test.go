package fieldowners

import (
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

const owner = "berth/service"

func entry(manager string, op metav1.ManagedFieldsOperationType, subresource, fields string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, APIVersion: "apps/v1", FieldsType: "FieldsV1",
		Subresource: subresource, FieldsV1: metav1.NewFieldsV1(fields)}
}

// What a Service's Deployment carries once Berth applied it and the
// Deployment controller wrote its annotation and status.
var (
	berthApply = entry(owner, metav1.ManagedFieldsOperationApply, "",
		`{"f:metadata":{"f:annotations":{"f:ecs.berth.dev/applied-hash":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:name":{}}}}}}}`)
	berthScale = entry(owner, metav1.ManagedFieldsOperationUpdate, "", `{"f:spec":{"f:replicas":{}}}`)
	kcm        = entry("kube-controller-manager", metav1.ManagedFieldsOperationUpdate, "",
		`{"f:metadata":{"f:annotations":{".":{},"f:deployment.kubernetes.io/revision":{}}}}`)
	kcmStatus = entry("kube-controller-manager", metav1.ManagedFieldsOperationUpdate, "status", `{"f:status":{"f:replicas":{}}}`)
	label     = entry("kubectl-label", metav1.ManagedFieldsOperationUpdate, "", `{"f:metadata":{"f:labels":{"f:team":{}}}}`)
	// An annotation named "spec" is not part of spec.
	specAnnotation = entry("kubectl-annotate", metav1.ManagedFieldsOperationUpdate, "", `{"f:metadata":{"f:annotations":{"f:spec":{}}}}`)
	edit           = entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, "",
		`{"f:metadata":{"f:labels":{"f:team":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{"f:env":{".":{},"k:{\"name\":\"INTRUDER\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{}}}}}}}`)
	scale = entry("kubectl-scale", metav1.ManagedFieldsOperationUpdate, "scale", `{"f:spec":{"f:replicas":{}}}`)
)

func deployment(entries ...metav1.ManagedFieldsEntry) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api", ManagedFields: entries}}
}

func TestForeign(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Foreign(deployment(berthApply, berthScale, kcm, kcmStatus, label, specAnnotation), owner)).To(BeEmpty(),
		"Berth's own entries, the Deployment controller's, a label and an annotation are not an edit of spec")
	g.Expect(Foreign(deployment(berthApply, kcm, edit), owner)).To(Equal([]string{"kubectl-edit"}))
	g.Expect(Foreign(deployment(berthApply, scale), owner)).To(Equal([]string{"kubectl-scale"}), "the scale subresource writes spec.replicas")
	g.Expect(Foreign(deployment(berthApply, entry("someone", metav1.ManagedFieldsOperationApply, "", `{"f:spec":{"f:paused":{}}}`)), owner)).
		To(Equal([]string{"someone"}), "another manager's server-side apply")
}

func TestSummarizeKeepsOnlyTheMarksForeignReads(t *testing.T) {
	g := NewWithT(t)
	d := deployment(berthApply, berthScale, kcm, kcmStatus, label, edit, scale)
	out, err := Summarize(owner, labels.Everything())(d)
	g.Expect(err).NotTo(HaveOccurred())
	got := out.(*appsv1.Deployment).ManagedFields
	g.Expect(got).To(HaveLen(2))
	g.Expect(got[0].Manager).To(Equal("kubectl-edit"))
	g.Expect(got[1].Manager).To(Equal("kubectl-scale"))
	g.Expect(got[0].FieldsV1).To(BeNil(), "the field sets are not kept")
	g.Expect(Foreign(out.(*appsv1.Deployment), owner)).To(Equal([]string{"kubectl-edit", "kubectl-scale"}))

	out, err = Summarize(owner, labels.Everything())(deployment(berthApply, kcm, label))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.(*appsv1.Deployment).ManagedFields).To(BeEmpty())
	g.Expect(Foreign(out.(*appsv1.Deployment), owner)).To(BeEmpty())

	// Someone else's Deployment keeps nothing.
	out, err = Summarize(owner, labels.SelectorFromSet(labels.Set{"app.kubernetes.io/managed-by": "berth"}))(deployment(edit, scale))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.(*appsv1.Deployment).ManagedFields).To(BeEmpty())
}

func TestReclaimedMovesSpecFieldsIntoBerthsApplyEntry(t *testing.T) {
	g := NewWithT(t)
	out, err := reclaimed([]metav1.ManagedFieldsEntry{berthApply, berthScale, kcm, kcmStatus, edit, scale}, owner)
	g.Expect(err).NotTo(HaveOccurred())
	byManager := map[string]string{}
	for _, e := range out {
		byManager[e.Manager+"/"+string(e.Operation)+"/"+e.Subresource] = e.FieldsV1.GetRawString()
	}
	g.Expect(byManager).To(Equal(map[string]string{
		// The edit's image, env and INTRUDER are Berth's now: its next apply,
		// which has no INTRUDER, removes it.
		owner + "/Apply/":                       `{"f:metadata":{"f:annotations":{"f:ecs.berth.dev/applied-hash":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{".":{},"k:{\"name\":\"INTRUDER\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{}}}}}}}`,
		owner + "/Update/":                      `{"f:spec":{"f:replicas":{}}}`,
		"kube-controller-manager/Update/":       kcm.FieldsV1.GetRawString(),
		"kube-controller-manager/Update/status": kcmStatus.FieldsV1.GetRawString(),
		// kubectl-edit keeps the label it added; kubectl-scale, left with
		// nothing, is gone.
		"kubectl-edit/Update/": `{"f:metadata":{"f:labels":{"f:team":{}}}}`,
	}))

	same, err := reclaimed([]metav1.ManagedFieldsEntry{berthApply, kcm, label}, owner)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(same).To(Equal([]metav1.ManagedFieldsEntry{berthApply, kcm, label}), "nothing to take back")

	// No apply entry of Berth's (an object it never applied): one is made.
	out, err = reclaimed([]metav1.ManagedFieldsEntry{scale}, owner)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal([]metav1.ManagedFieldsEntry{{Manager: owner, Operation: metav1.ManagedFieldsOperationApply,
		APIVersion: "apps/v1", FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:spec":{"f:replicas":{}}}`)}}))
}
