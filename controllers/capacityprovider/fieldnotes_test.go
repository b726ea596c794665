package capacityprovider

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/testenv"
)

// A capacity provider lists the members of its spec Berth does not honour
// exactly in status.fieldNotes, summed up by FullySupported, which does not
// affect Ready; one that sets nothing unusual is FullySupported. The notes
// are a function of the spec: a reconcile with nothing new writes nothing.
func TestCapacityProviderReportsFieldNotes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	writes := &testenv.Writes{}
	r := &statusReconciler{Reconciler: &Reconciler{Client: writes.Client(env.Cached), APIReader: env.Direct, Recorder: &testenv.Recorder{},
		Clock: h.clock, Account: h.r.Account}, throttle: &patch.Throttle{}}

	unusual := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "asg-" + h.ns}}
	unusual.Spec.Type = ecsv1alpha1.CapacityProviderEC2AutoScaling
	unusual.Spec.Cluster = "prod" // ECS ties only Managed Instances providers to a cluster
	unusual.Spec.AutoScalingGroupProvider = &ecsv1alpha1.AutoScalingGroupProvider{
		ManagedScaling:               &ecsv1alpha1.ManagedScaling{Status: ecsv1alpha1.ManagedScalingStatusEnabled, TargetCapacity: ptr.To[int32](100)},
		ManagedTerminationProtection: ecsv1alpha1.ManagedTerminationProtectionEnabled,
	}
	unusual.Spec.NodePool.Provisioner = ecsv1alpha1.NodeProvisionerKwok
	h.g.Expect(env.Direct.Create(ctx, unusual)).To(Succeed())
	plain := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "spot-" + h.ns}}
	plain.Spec.Type = ecsv1alpha1.CapacityProviderFargateSpot
	plain.Spec.Tags = []ecsv1alpha1.Tag{{Key: "team", Value: "a"}}
	h.g.Expect(env.Direct.Create(ctx, plain)).To(Succeed())
	t.Cleanup(func() {
		_ = env.Direct.Delete(ctx, unusual)
		_ = env.Direct.Delete(ctx, plain)
	})

	h.reconcile(r, unusual.Name)
	h.g.Expect(env.Direct.Get(ctx, client.ObjectKeyFromObject(unusual), unusual)).To(Succeed())
	h.g.Expect(unusual.Status.FieldNotes).To(ConsistOf(HaveField("Path", "cluster")))
	h.g.Expect(unusual.Status.FieldNotes[0].Level).To(Equal(ecsv1alpha1.FidelityUnsupported))
	fs := meta.FindStatusCondition(unusual.Status.Conditions, ecsv1alpha1.ConditionFullySupported)
	h.g.Expect(fs).NotTo(BeNil())
	h.g.Expect(fs.Status).To(Equal(metav1.ConditionFalse))
	h.g.Expect(fs.Reason).To(Equal(ecsv1alpha1.ReasonUnsupportedFields))
	h.g.Expect(fs.Message).To(HavePrefix("1 not supported (stored without effect): cluster"))
	h.g.Expect(meta.IsStatusConditionTrue(unusual.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "FullySupported does not affect Ready")

	h.reconcile(r, plain.Name)
	h.g.Expect(env.Direct.Get(ctx, client.ObjectKeyFromObject(plain), plain)).To(Succeed())
	h.g.Expect(plain.Status.FieldNotes).To(BeEmpty())
	h.g.Expect(meta.IsStatusConditionTrue(plain.Status.Conditions, ecsv1alpha1.ConditionFullySupported)).To(BeTrue(), "%+v", plain.Status.Conditions)

	writes.Take()
	h.reconcile(r, unusual.Name)
	h.reconcile(r, plain.Name)
	h.g.Expect(writes.Take()).To(BeEmpty())
}
