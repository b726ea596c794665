package taskdefinition

import (
	"context"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/translate"
)

// environmentKiB is kib variables of 1000 bytes each.
func environmentKiB(kib int) []ecsv1alpha1.KeyValuePair {
	env := make([]ecsv1alpha1.KeyValuePair, kib)
	for i := range env {
		env[i] = ecsv1alpha1.KeyValuePair{Name: fmt.Sprintf("VAR_%03d", i), Value: strings.Repeat("x", 1000)}
	}
	return env
}

// ECS refuses to register a task definition over 64 KiB ("Actual length:
// '66420'. Max allowed length is '65536' bytes."): so does Berth, with a
// terminal condition (Stalled, the user must change the spec) carrying
// ECS's message, and no revision. Before, a definition with 1 MiB of
// environment was registered and its tasks ran. One of 60 KiB registers.
func TestRefusesTaskDefinitionOver64KiB(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	r := reconciler()
	td := newTaskDefinition(ns, "big", "big", "nginx:1")
	td.Spec.ContainerDefinitions[0].Environment = environmentKiB(70)
	g.Expect(direct.Create(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)

	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	length := translate.TaskDefinitionLength(&td.Spec.RegisterTaskDefinitionInput)
	g.Expect(length).To(BeNumerically(">", 70*1000))
	stalled := meta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ConditionStalled)
	g.Expect(stalled).NotTo(BeNil())
	g.Expect(stalled.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(stalled.Reason).To(Equal(ecsv1alpha1.ReasonInvalidTaskDefinition))
	g.Expect(stalled.Message).To(Equal(fmt.Sprintf("Actual length: '%d'. Max allowed length is '65536' bytes.", length)))
	g.Expect(meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeFalse())
	g.Expect(td.Status.ObservedGeneration).To(Equal(td.Generation))
	g.Expect(kstatusOfTD(g, td)).To(Equal(status.FailedStatus))
	g.Expect(td.Status.Revision).To(BeZero())
	g.Expect(revisions(g, ns)).To(BeEmpty())

	td.Spec.ContainerDefinitions[0].Environment = environmentKiB(60)
	g.Expect(direct.Update(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	g.Expect(translate.TaskDefinitionLength(&td.Spec.RegisterTaskDefinitionInput)).To(BeNumerically("<=", translate.MaxTaskDefinitionBytes))
	g.Expect(meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
	g.Expect(meta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(BeNil())
	g.Expect(td.Status.Revision).To(Equal(int32(1)))
	g.Expect(revisions(g, ns)).To(HaveLen(1))
}

func kstatusOfTD(g Gomega, o runtime.Object) status.Status {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	g.Expect(err).NotTo(HaveOccurred())
	res, err := status.Compute(&unstructured.Unstructured{Object: m})
	g.Expect(err).NotTo(HaveOccurred())
	return res.Status
}
