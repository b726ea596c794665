package task

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// A task lists the members of its spec Berth does not honour exactly in
// status.fieldNotes, summed up by FullySupported, which does not keep it
// from running; a task that sets nothing unusual is FullySupported. The
// notes are a function of the spec: a reconcile with nothing new writes
// nothing.
func TestTaskReportsFieldNotes(t *testing.T) {
	h := newHarness(t)
	env.World(t, h.ns)
	unusual := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "unusual"}}
	unusual.Spec.TaskDefinition, unusual.Spec.LaunchType = "web", ecsv1alpha1.LaunchTypeFargate
	unusual.Spec.PlatformVersion = "1.4.0"
	unusual.Spec.PropagateTags = ecsv1alpha1.PropagateTagsTaskDefinition
	h.g.Expect(env.Direct.Create(context.Background(), unusual)).To(Succeed())
	plain := h.task("plain", "")

	h.reconcile(unusual.Name)
	h.g.Expect(h.get(unusual)).To(Succeed())
	notes := unusual.Status.FieldNotes
	h.g.Expect(notes).To(HaveLen(2), "%+v", notes)
	h.g.Expect(notes[0].Path).To(Equal("platformVersion"))
	h.g.Expect(notes[1].Path).To(Equal("propagateTags"))
	h.g.Expect(notes[1].Message).To(HavePrefix("TASK_DEFINITION: "))
	fs := meta.FindStatusCondition(unusual.Status.Conditions, ecsv1alpha1.ConditionFullySupported)
	h.g.Expect(fs).NotTo(BeNil())
	h.g.Expect(fs.Status).To(Equal(metav1.ConditionFalse))
	h.g.Expect(fs.Reason).To(Equal(ecsv1alpha1.ReasonUnsupportedFields))
	h.g.Expect(fs.Message).To(HavePrefix("2 not supported (stored without effect): platformVersion, propagateTags"))
	h.g.Expect(fs.Message).To(ContainSubstring("docs/compatibility/run-task.md"))
	h.g.Expect(unusual.Status.PodName).NotTo(BeEmpty(), "the task runs all the same")

	h.reconcile(plain.Name)
	h.g.Expect(h.get(plain)).To(Succeed())
	h.g.Expect(plain.Status.FieldNotes).To(BeEmpty())
	h.g.Expect(meta.IsStatusConditionTrue(plain.Status.Conditions, ecsv1alpha1.ConditionFullySupported)).To(BeTrue(), "%+v", plain.Status.Conditions)

	h.writes.Take()
	h.reconcile(unusual.Name)
	h.reconcile(plain.Name)
	h.g.Expect(h.writes.Take()).To(BeEmpty())
}
