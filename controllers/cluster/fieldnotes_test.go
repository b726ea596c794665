package cluster

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// A cluster lists the members of its spec Berth does not honour exactly in
// status.fieldNotes, summed up by FullySupported, which does not affect
// Ready; a cluster that sets nothing unusual is FullySupported. The notes
// are a function of the spec: a reconcile with nothing new writes nothing.
func TestClusterReportsFieldNotes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	unusual := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "exec"}}
	unusual.Spec.Settings = []ecsv1alpha1.ClusterSetting{{Name: ecsv1alpha1.ClusterSettingNameContainerinsights, Value: "disabled"}}
	unusual.Spec.Configuration = &ecsv1alpha1.ClusterConfiguration{ExecuteCommandConfiguration: &ecsv1alpha1.ExecuteCommandConfiguration{KmsKeyId: "key"}}
	h.g.Expect(env.Direct.Create(ctx, unusual)).To(Succeed())
	plain := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "plain"}}
	plain.Spec.Settings = []ecsv1alpha1.ClusterSetting{{Name: ecsv1alpha1.ClusterSettingNameContainerinsights, Value: "enabled"}}
	plain.Spec.Tags = []ecsv1alpha1.Tag{{Key: "team", Value: "a"}}
	h.g.Expect(env.Direct.Create(ctx, plain)).To(Succeed())

	h.reconcile(unusual.Name)
	h.g.Expect(h.get(unusual)).To(Succeed())
	notes := unusual.Status.FieldNotes
	h.g.Expect(notes).To(HaveLen(2), "%+v", notes)
	h.g.Expect(notes[0].Path).To(Equal("configuration.executeCommandConfiguration"))
	h.g.Expect(notes[0].Level).To(Equal(ecsv1alpha1.FidelityUnsupported))
	h.g.Expect(notes[1].Path).To(Equal("settings[0].value"))
	h.g.Expect(notes[1].Message).To(HavePrefix("disabled: not applied"))
	fs := meta.FindStatusCondition(unusual.Status.Conditions, ecsv1alpha1.ConditionFullySupported)
	h.g.Expect(fs).NotTo(BeNil())
	h.g.Expect(fs.Status).To(Equal(metav1.ConditionFalse))
	h.g.Expect(fs.Reason).To(Equal(ecsv1alpha1.ReasonUnsupportedFields))
	h.g.Expect(fs.Message).To(ContainSubstring("configuration.executeCommandConfiguration, settings[0].value"))
	h.g.Expect(fs.Message).To(ContainSubstring("docs/compatibility/create-cluster.md"))
	h.g.Expect(meta.IsStatusConditionTrue(unusual.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "FullySupported does not affect Ready")

	h.reconcile(plain.Name)
	h.g.Expect(h.get(plain)).To(Succeed())
	h.g.Expect(plain.Status.FieldNotes).To(BeEmpty())
	h.g.Expect(meta.IsStatusConditionTrue(plain.Status.Conditions, ecsv1alpha1.ConditionFullySupported)).To(BeTrue(), "%+v", plain.Status.Conditions)

	h.writes.Take()
	h.reconcile(unusual.Name)
	h.reconcile(plain.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty())
}
