package taskdefinition

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/testenv"
)

const (
	enforceLabel = "pod-security.kubernetes.io/enforce"
	// The check a privileged container fails, in kube-apiserver's words.
	privilegedViolation = `violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true)`
)

// setNamespaceLabels sets a namespace's labels and waits until the
// reconciler's metadata cache has them.
func setNamespaceLabels(g Gomega, ns string, labels map[string]string) {
	ctx := context.Background()
	obj := &corev1.Namespace{}
	g.Expect(direct.Get(ctx, client.ObjectKey{Name: ns}, obj)).To(Succeed())
	obj.Labels = labels
	obj.Labels[corev1.LabelMetadataName] = ns // the API server's own
	g.Expect(direct.Update(ctx, obj)).To(Succeed())
	g.Eventually(func() map[string]string {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
		g.Expect(cached.Get(ctx, client.ObjectKey{Name: ns}, m)).To(Succeed())
		return m.Labels
	}).Should(Equal(obj.Labels))
}

// hardenedTaskDefinition's pods meet restricted: a numeric non-root user,
// no-new-privileges, every capability dropped.
func hardenedTaskDefinition(ns, name string) *ecsv1alpha1.TaskDefinition {
	td := newTaskDefinition(ns, name, name, "nginx:1")
	c := &td.Spec.ContainerDefinitions[0]
	c.User = "1000"
	c.DockerSecurityOptions = []string{"no-new-privileges"}
	c.LinuxParameters = &ecsv1alpha1.LinuxParameters{Capabilities: &ecsv1alpha1.KernelCapabilities{Drop: []string{"ALL"}}}
	return td
}

func get(g Gomega, td *ecsv1alpha1.TaskDefinition) {
	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
}

// A TaskDefinition records the level its pods meet; Berth's translation
// of a plain definition meets baseline (ECS's defaults: the image's user,
// Docker's capabilities, privilege escalation allowed), and the record
// costs no write on a no-op reconcile.
func TestPodSecurityLevelRecorded(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	r := reconciler()
	td := newTaskDefinition(ns, "web", "web", "nginx:1")
	g.Expect(direct.Create(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	get(g, td)
	g.Expect(td.Status.PodSecurity).To(Equal(&ecsv1alpha1.PodSecurity{Level: "baseline", Reasons: []string{
		`allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)`,
		`unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"])`,
		`runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)`,
	}}))
	rv := td.ResourceVersion
	reconcile(g, r, td)
	get(g, td)
	g.Expect(td.ResourceVersion).To(Equal(rv), "a no-op reconcile writes nothing")

	// Without an enforced level, a privileged definition registers, and
	// says so.
	td.Spec.ContainerDefinitions[0].Privileged = ptr.To(true)
	g.Expect(direct.Update(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	get(g, td)
	g.Expect(td.Status.Revision).To(Equal(int32(2)))
	g.Expect(td.Status.PodSecurity).To(Equal(&ecsv1alpha1.PodSecurity{Level: "privileged", Reasons: []string{
		`privileged (container "app" must not set securityContext.privileged=true)`,
	}}))

	// A spec that does not translate has no pods, and no level.
	td.Spec.ContainerDefinitions[0].MountPoints = []ecsv1alpha1.MountPoint{{SourceVolume: "missing", ContainerPath: "/data"}}
	g.Expect(direct.Update(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	get(g, td)
	g.Expect(td.Status.PodSecurity).To(BeNil())
}

// In a namespace enforcing restricted, a definition whose pods it would
// forbid is not registered: Stalled with admission's message, a Warning
// event, no revision. When the label goes, it registers.
func TestPodSecurityRefusesAtRegistration(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	setNamespaceLabels(g, ns, map[string]string{enforceLabel: "restricted"})
	rec := &testenv.Recorder{}
	r := reconciler()
	r.Recorder = rec
	td := newTaskDefinition(ns, "web", "web", "nginx:1")
	td.Spec.ContainerDefinitions[0].Privileged = ptr.To(true)
	g.Expect(direct.Create(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)

	get(g, td)
	g.Expect(revisions(g, ns)).To(BeEmpty())
	g.Expect(td.Status.Revision).To(BeZero())
	g.Expect(td.Status.ObservedGeneration).To(Equal(td.Generation), "a terminal refusal is observed")
	stalled := meta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ConditionStalled)
	g.Expect(stalled).NotTo(BeNil())
	g.Expect(stalled.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(stalled.Reason).To(Equal(ecsv1alpha1.ReasonPodSecurityViolation))
	g.Expect(stalled.ObservedGeneration).To(Equal(td.Generation))
	g.Expect(stalled.Message).To(HavePrefix("pods of this task definition would be forbidden in namespace " + ns + ": " + privilegedViolation + ", "))
	g.Expect(stalled.Message).To(HaveSuffix("; not registered: change the task definition, or the namespace's pod-security.kubernetes.io/enforce label"))
	g.Expect(meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeFalse())
	g.Expect(td.Status.PodSecurity.Level).To(Equal(ecsv1alpha1.PodSecurityLevel("privileged")))
	g.Expect(rec.Take()).To(ConsistOf(testenv.Event{Kind: "TaskDefinition", Name: "web", Type: corev1.EventTypeWarning,
		Reason: ecsv1alpha1.ReasonPodSecurityViolation, Note: stalled.Message}))

	// Refused again: nothing written, no second event.
	rv := td.ResourceVersion
	reconcile(g, r, td)
	get(g, td)
	g.Expect(td.ResourceVersion).To(Equal(rv))
	g.Expect(rec.Take()).To(BeEmpty())

	// The namespace's label changes to one the pods meet: it registers.
	setNamespaceLabels(g, ns, map[string]string{enforceLabel: "privileged"})
	reconcile(g, r, td)
	get(g, td)
	g.Expect(td.Status.Revision).To(Equal(int32(1)))
	g.Expect(revisions(g, ns)).To(HaveLen(1))
	g.Expect(meta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(BeNil())
	g.Expect(meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
}

// The label removed, as well as changed, lets the definition register; an
// enforce-version is honoured.
func TestPodSecurityLabelRemovedRegisters(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	setNamespaceLabels(g, ns, map[string]string{enforceLabel: "baseline", "pod-security.kubernetes.io/enforce-version": "v1.30"})
	r := reconciler()
	td := newTaskDefinition(ns, "web", "web", "nginx:1")
	td.Spec.ContainerDefinitions[0].LinuxParameters = &ecsv1alpha1.LinuxParameters{Capabilities: &ecsv1alpha1.KernelCapabilities{Add: []string{"NET_ADMIN"}}}
	g.Expect(direct.Create(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	get(g, td)
	g.Expect(revisions(g, ns)).To(BeEmpty())
	stalled := meta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ConditionStalled)
	g.Expect(stalled).NotTo(BeNil())
	g.Expect(stalled.Message).To(ContainSubstring(`violates PodSecurity "baseline:v1.30": non-default capabilities (container "app" must not include "NET_ADMIN" in securityContext.capabilities.add)`))

	setNamespaceLabels(g, ns, map[string]string{})
	reconcile(g, r, td)
	get(g, td)
	g.Expect(revisions(g, ns)).To(HaveLen(1))
	g.Expect(meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
}

// Definitions whose pods meet the enforced level register as anywhere
// else; the refusal is at registration only, so a label added later leaves
// the registered revision alone and refuses the next spec.
func TestPodSecurityCompliantRegisters(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	setNamespaceLabels(g, ns, map[string]string{enforceLabel: "restricted"})
	r := reconciler()
	td := hardenedTaskDefinition(ns, "web")
	g.Expect(direct.Create(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	get(g, td)
	g.Expect(td.Status.Revision).To(Equal(int32(1)))
	g.Expect(td.Status.PodSecurity).To(Equal(&ecsv1alpha1.PodSecurity{Level: "restricted"}))
	g.Expect(meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())

	// A plain definition meets baseline.
	setNamespaceLabels(g, ns, map[string]string{enforceLabel: "baseline"})
	plain := newTaskDefinition(ns, "plain", "plain", "nginx:1")
	g.Expect(direct.Create(context.Background(), plain)).To(Succeed())
	reconcile(g, r, plain)
	get(g, plain)
	g.Expect(plain.Status.Revision).To(Equal(int32(1)))

	// restricted now: the registered plain revision stays, ACTIVE and
	// Ready; its next spec is refused.
	setNamespaceLabels(g, ns, map[string]string{enforceLabel: "restricted"})
	reconcile(g, r, plain)
	get(g, plain)
	g.Expect(meta.IsStatusConditionTrue(plain.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
	plain.Spec.ContainerDefinitions[0].Image = "nginx:2"
	g.Expect(direct.Update(context.Background(), plain)).To(Succeed())
	reconcile(g, r, plain)
	get(g, plain)
	g.Expect(plain.Status.Revision).To(Equal(int32(1)))
	g.Expect(plain.Status.Conditions).To(ContainElement(And(HaveField("Type", ecsv1alpha1.ConditionStalled),
		HaveField("Reason", ecsv1alpha1.ReasonPodSecurityViolation))))
	var list ecsv1alpha1.TaskDefinitionRevisionList
	g.Expect(direct.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelTaskDefinition: "plain"})).To(Succeed())
	g.Expect(list.Items).To(HaveLen(1))
	g.Expect(list.Items[0].Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionActive))
}

// The namespace watch passes changes of the enforced level only.
func TestEnforceChanged(t *testing.T) {
	p := enforceChanged()
	ns := func(labels map[string]string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: labels}}
	}
	for _, tc := range []struct {
		name     string
		old, cur map[string]string
		want     bool
	}{
		{"unchanged", map[string]string{enforceLabel: "restricted"}, map[string]string{enforceLabel: "restricted", "team": "x"}, false},
		{"level changed", map[string]string{enforceLabel: "restricted"}, map[string]string{enforceLabel: "baseline"}, true},
		{"level removed", map[string]string{enforceLabel: "restricted"}, nil, true},
		{"set empty", nil, map[string]string{enforceLabel: ""}, true},
		{"version changed", map[string]string{"pod-security.kubernetes.io/enforce-version": "v1.30"}, nil, true},
		{"warn changed", nil, map[string]string{"pod-security.kubernetes.io/warn": "restricted"}, false},
	} {
		if got := p.Update(event.UpdateEvent{ObjectOld: ns(tc.old), ObjectNew: ns(tc.cur)}); got != tc.want {
			t.Errorf("%s: %t; want %t", tc.name, got, tc.want)
		}
	}
	if p.Create(event.CreateEvent{Object: ns(nil)}) || p.Delete(event.DeleteEvent{Object: ns(nil)}) {
		t.Error("namespace creation and deletion concern no TaskDefinition")
	}
}

// A namespace's TaskDefinitions are all woken by its label change.
func TestInNamespace(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	r := &Reconciler{Client: cached, Recorder: fakeRecorder{}, Clock: clocktesting.NewFakePassiveClock(time.Now()), Account: names.DefaultAccount}
	for _, n := range []string{"a", "b"} {
		g.Expect(direct.Create(context.Background(), newTaskDefinition(ns, n, n, "nginx:1"))).To(Succeed())
	}
	g.Eventually(func() int { return len(r.inNamespace(context.Background(), ns2obj(ns))) }).Should(Equal(2))
}

func ns2obj(ns string) client.Object {
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: ns}}
}
