package scalabletarget

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// A scalable target lists the members of its spec, and of its policies and
// scheduled actions, that Berth does not honour exactly in
// status.fieldNotes, summed up by FullySupported, which does not affect
// Ready; it no longer writes status.notes (cleared). One that sets nothing
// unusual is FullySupported. The notes are a function of the spec: a
// reconcile with nothing new writes nothing.
func TestScalableTargetReportsFieldNotes(t *testing.T) {
	h := newHarness(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	g := h.g
	h.createService("web", 2, ecsv1alpha1.RolloutCompleted)
	h.createService("api", 2, ecsv1alpha1.RolloutCompleted)

	unusual := newTarget(h.ns, "web", "web", 1, 10)
	unusual.Spec.RoleARN = "arn:aws:iam::000000000000:role/scaling"
	custom := cpuTargetTracking("cpu", 50)
	custom.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification = nil
	custom.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification = &ecsv1alpha1.CustomizedMetricSpecification{
		Namespace: "AWS/ECS", MetricName: "CPUUtilization", Statistic: ecsv1alpha1.StatisticAverage, Unit: "Percent"}
	unusual.Spec.ScalingPolicies = []ecsv1alpha1.ScalingPolicy{custom}
	h.create(unusual)
	// status.notes as an earlier Berth wrote it: cleared.
	h.get(unusual)
	unusual.Status.Notes = []string{"spec.roleARN: stored; Berth scales with its own RBAC"}
	g.Expect(direct.Status().Update(context.Background(), unusual)).To(Succeed())

	plain := newTarget(h.ns, "api", "api", 1, 10)
	plain.Spec.ScalingPolicies = []ecsv1alpha1.ScalingPolicy{cpuTargetTracking("cpu", 50)}
	plain.Spec.ScheduledActions = []ecsv1alpha1.ScheduledAction{{ScheduledActionName: "night", Schedule: "cron(0 22 * * ? *)",
		ScalableTargetAction: ecsv1alpha1.ScalableTargetAction{MaxCapacity: ptrTo(int32(4))}}}
	h.create(plain)

	h.reconcile(unusual)
	h.get(unusual)
	g.Expect(unusual.Status.FieldNotes).To(HaveLen(2), "%+v", unusual.Status.FieldNotes)
	g.Expect(unusual.Status.FieldNotes[0].Path).To(Equal("roleARN"))
	g.Expect(unusual.Status.FieldNotes[0].Level).To(Equal(ecsv1alpha1.FidelityApproximated))
	g.Expect(unusual.Status.FieldNotes[1].Path).To(Equal("scalingPolicies[0].targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.unit"))
	g.Expect(unusual.Status.FieldNotes[1].Level).To(Equal(ecsv1alpha1.FidelityUnsupported))
	fs := meta.FindStatusCondition(unusual.Status.Conditions, ecsv1alpha1.ConditionFullySupported)
	g.Expect(fs).NotTo(BeNil())
	g.Expect(fs.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(fs.Reason).To(Equal(ecsv1alpha1.ReasonUnsupportedFields))
	g.Expect(fs.Message).To(HavePrefix("1 not supported (stored without effect): scalingPolicies[0].targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.unit; 1 approximated"))
	g.Expect(unusual.Status.Notes).To(BeEmpty())
	g.Expect(readyCondition(unusual).Status).To(Equal(metav1.ConditionTrue), "FullySupported does not affect Ready")

	h.reconcile(plain)
	h.get(plain)
	g.Expect(plain.Status.FieldNotes).To(BeEmpty())
	g.Expect(meta.IsStatusConditionTrue(plain.Status.Conditions, ecsv1alpha1.ConditionFullySupported)).To(BeTrue(), "%+v", plain.Status.Conditions)

	h.reconcile(unusual) // lets the status of the last change settle
	h.reconcile(plain)
	h.takeWrites()
	h.reconcile(unusual)
	h.reconcile(plain)
	g.Expect(h.takeWrites()).To(BeEmpty())
}
