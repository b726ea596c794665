package taskdefinition

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/testenv"
	"github.com/berth-dev/berth/internal/testutil"
	"github.com/berth-dev/berth/internal/translate"
)

// The reconciler is called directly (Karpenter style) against a real API
// server; it reads through an informer cache with Berth's field indexes, as
// in the operator. It gets the features of the API server's version, as
// controllers.Setup gives it (make test-k8s-min runs these tests on the
// oldest Kubernetes Berth supports).

var (
	cfg      *rest.Config
	direct   client.Client // reads straight from the API server
	cached   client.Client // the reconciler's client
	features translate.Features
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, _ := filepath.Abs("../..")
	env, err := testenv.Start(root)
	defer env.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg, direct, cached = env.Config, env.Direct, env.Cached
	minor, err := testutil.ServerMinor(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	features = translate.Features{KubernetesMinor: minor}
	return m.Run()
}

// fakeRecorder drops events.
type fakeRecorder struct{}

func (fakeRecorder) Eventf(_, _ runtime.Object, _, _, _, _ string, _ ...any) {}

func (fakeRecorder) AnnotatedEventf(_, _ runtime.Object, _ map[string]string, _, _, _, _ string, _ ...any) {
}

var _ recorder.EventRecorder = fakeRecorder{}

func reconciler() *Reconciler {
	return &Reconciler{Client: cached, Recorder: fakeRecorder{}, Clock: clocktesting.NewFakePassiveClock(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)), Account: names.DefaultAccount, Features: features}
}

// restartNotes are the notes of newTaskDefinition's definition on the API
// server's version: none, or before 1.35 (no container restart policies)
// its essential container's, which the kubelet restarts in place.
func restartNotes() []string {
	if features.ContainerRestartRules() {
		return nil
	}
	return []string{"containerDefinitions[0].essential"}
}

func newTaskDefinition(ns, name, family, image string) *ecsv1alpha1.TaskDefinition {
	td := &ecsv1alpha1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	td.Spec.Family = family
	td.Spec.ContainerDefinitions = []ecsv1alpha1.ContainerDefinition{{Name: "app", Image: image, MemoryReservation: ptr.To[int32](64)}}
	return td
}

func namespace(t *testing.T) string {
	t.Helper()
	ns := fmt.Sprintf("t%d", time.Now().UnixNano())
	NewWithT(t).Expect(direct.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	return ns
}

// reconcile calls Reconcile once the cache has caught up with obj.
func reconcile(g Gomega, r *Reconciler, obj client.Object) {
	g.Eventually(func(g Gomega) {
		cur := obj.DeepCopyObject().(client.Object)
		g.Expect(cached.Get(context.Background(), client.ObjectKeyFromObject(obj), cur)).To(Succeed())
		g.Expect(rv(cur)).To(BeNumerically(">=", rv(obj)))
	}).Should(Succeed())
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
	g.Expect(err).NotTo(HaveOccurred())
}

func rv(o client.Object) int64 {
	n, _ := strconv.ParseInt(o.GetResourceVersion(), 10, 64)
	return n
}

func revisions(g Gomega, ns string) map[int32]*ecsv1alpha1.TaskDefinitionRevision {
	var list ecsv1alpha1.TaskDefinitionRevisionList
	g.Expect(direct.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	res := map[int32]*ecsv1alpha1.TaskDefinitionRevision{}
	for i := range list.Items {
		res[list.Items[i].Spec.Revision] = &list.Items[i]
	}
	return res
}

func TestRegistersRevisions(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	r := reconciler()
	td := newTaskDefinition(ns, "web", "Web_App", "nginx:1")
	td.Spec.RevisionHistoryLimit = ptr.To[int32](2)
	g.Expect(direct.Create(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)

	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	g.Expect(td.Status.Revision).To(Equal(int32(1)))
	g.Expect(td.Status.TaskDefinitionArn).To(Equal("arn:aws:ecs:us-east-1:000000000000:task-definition/Web_App:1"))
	g.Expect(td.Status.ObservedGeneration).To(Equal(td.Generation))
	revs := revisions(g, ns)
	g.Expect(revs).To(HaveLen(1))
	g.Expect(revs[1].Name).To(Equal("web-1"))
	g.Expect(revs[1].Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionActive))
	g.Expect(metav1.IsControlledBy(revs[1], td)).To(BeTrue())
	// Fully supported where the cluster has the features it needs.
	g.Expect(meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ConditionFullySupported)).To(Equal(len(restartNotes()) == 0))
	g.Expect(notePaths(td.Status.FieldNotes)).To(ConsistOf(restartNotes()))

	// A second reconcile of the same spec registers nothing and writes nothing.
	rv := td.ResourceVersion
	reconcile(g, r, td)
	g.Expect(revisions(g, ns)).To(HaveLen(1))
	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	g.Expect(td.ResourceVersion).To(Equal(rv))

	// Each new spec is a new revision; beyond the history limit, old ones go INACTIVE.
	for _, image := range []string{"nginx:2", "nginx:3"} {
		td.Spec.ContainerDefinitions[0].Image = image
		g.Expect(direct.Update(context.Background(), td)).To(Succeed())
		reconcile(g, r, td)
		g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	}
	g.Expect(td.Status.Revision).To(Equal(int32(3)))
	g.Expect(td.Status.ActiveRevisions).To(Equal(int32(2)))
	revs = revisions(g, ns)
	g.Expect(revs).To(HaveLen(3))
	g.Expect(revs[3].Spec.ContainerDefinitions[0].Image).To(Equal("nginx:3"))
	g.Expect(revs[2].Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionActive))
	g.Expect(revs[1].Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionInactive))
	g.Expect(revs[1].Status.DeregisteredAt).NotTo(BeNil())

	// Going back to an earlier spec registers a new revision, as ECS does.
	td.Spec.ContainerDefinitions[0].Image = "nginx:1"
	g.Expect(direct.Update(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	g.Expect(td.Status.Revision).To(Equal(int32(4)))

	// DeregisterTaskDefinition, declaratively: revision 3 becomes INACTIVE
	// and no revision is registered for the change.
	registeredBefore := td.Status.Revision
	td.Spec.DeregisteredRevisions = []int32{3}
	g.Expect(direct.Update(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	g.Expect(td.Status.Revision).To(Equal(registeredBefore))
	revs = revisions(g, ns)
	g.Expect(revs[3].Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionInactive))
	g.Expect(revs[3].Status.DeregisteredAt).NotTo(BeNil())
	g.Expect(revs[registeredBefore].Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionActive))

	// Fields Berth does not honour exactly are reported, not dropped silently.
	td.Spec.ContainerDefinitions[0].Ulimits = []ecsv1alpha1.Ulimit{{Name: ecsv1alpha1.UlimitNameNofile, SoftLimit: 1024, HardLimit: 2048}}
	td.Spec.ContainerDefinitions[0].User = "nginx"
	g.Expect(direct.Update(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	c := meta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ConditionFullySupported)
	g.Expect(c).NotTo(BeNil())
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(ecsv1alpha1.ReasonUnsupportedFields))
	g.Expect(c.Message).To(ContainSubstring(fmt.Sprintf("1 not supported (stored without effect): containerDefinitions[0].ulimits; %d approximated", 1+len(restartNotes()))))
	g.Expect(notePaths(td.Status.FieldNotes)).To(ConsistOf(append([]string{
		"containerDefinitions[0].ulimits",
		"containerDefinitions[0].user",
	}, restartNotes()...)))
	g.Expect(meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
	revs = revisions(g, ns)
	latest := revs[td.Status.Revision]
	g.Expect(latest.Status.FieldNotes).To(Equal(td.Status.FieldNotes))
	g.Expect(meta.IsStatusConditionFalse(latest.Status.Conditions, ecsv1alpha1.ConditionFullySupported)).To(BeTrue())

	// A definition ECS would refuse at registration, for a reason admission
	// rules cannot see, registers no revision and says why.
	registered := td.Status.Revision
	td.Spec.ContainerDefinitions[0].MountPoints = []ecsv1alpha1.MountPoint{{SourceVolume: "missing", ContainerPath: "/data"}}
	g.Expect(direct.Update(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	g.Expect(td.Status.Revision).To(Equal(registered))
	stalled := meta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ConditionStalled)
	g.Expect(stalled).NotTo(BeNil())
	g.Expect(stalled.Reason).To(Equal(ecsv1alpha1.ReasonInvalidTaskDefinition))
	g.Expect(stalled.Message).To(ContainSubstring(`containerDefinitions[0].mountPoints[0].sourceVolume: Not found: "missing"`))
	g.Expect(meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeFalse())
}

// notePaths are the paths of notes.
func notePaths(notes []ecsv1alpha1.FieldNote) []string {
	paths := []string{}
	for _, n := range notes {
		paths = append(paths, n.Path)
	}
	return paths
}

func TestFamilyConflict(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	r := reconciler()
	first := newTaskDefinition(ns, "a", "shared", "nginx:1")
	g.Expect(direct.Create(context.Background(), first)).To(Succeed())
	time.Sleep(1100 * time.Millisecond) // creationTimestamp has one-second resolution
	second := newTaskDefinition(ns, "b", "shared", "nginx:1")
	g.Expect(direct.Create(context.Background(), second)).To(Succeed())
	reconcile(g, r, first)
	reconcile(g, r, second)
	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(second), second)).To(Succeed())
	g.Expect(second.Status.Conditions).To(ContainElement(And(
		HaveField("Type", ecsv1alpha1.ConditionStalled), HaveField("Reason", ReasonFamilyConflict),
		HaveField("Status", metav1.ConditionTrue))))
	g.Expect(revisions(g, ns)).To(HaveLen(1))
}

func TestSpecHash(t *testing.T) {
	a := newTaskDefinition("", "", "f", "nginx:1")
	b := newTaskDefinition("", "", "f", "nginx:1")
	if SpecHash(&a.Spec.RegisterTaskDefinitionInput) != SpecHash(&b.Spec.RegisterTaskDefinitionInput) {
		t.Fatal("equal specs must hash equally")
	}
	b.Spec.ContainerDefinitions[0].DockerLabels = map[string]string{"z": "1", "a": "2"}
	h := SpecHash(&b.Spec.RegisterTaskDefinitionInput)
	for i := 0; i < 100; i++ {
		if SpecHash(&b.Spec.RegisterTaskDefinitionInput) != h {
			t.Fatal("hash is not deterministic")
		}
	}
	if h == SpecHash(&a.Spec.RegisterTaskDefinitionInput) {
		t.Fatal("different specs must hash differently")
	}
}

// Task cpu and memory in the forms ECS accepts (".25 vcpu", ".5 gb") are
// registered, and the revision and the TaskDefinition report them as ECS
// describes them ("256", "512"), while both specs keep the form they were
// written in: a GitOps tool comparing the manifest sees no difference.
func TestTaskSizeNormalisedInStatus(t *testing.T) {
	g := NewWithT(t)
	ns := namespace(t)
	r := reconciler()
	td := newTaskDefinition(ns, "web", "web", "nginx:1")
	td.Spec.RequiresCompatibilities = []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityFargate}
	td.Spec.NetworkMode = ecsv1alpha1.NetworkModeAwsvpc
	td.Spec.Cpu, td.Spec.Memory = ".25 vcpu", ".5 gb"
	g.Expect(direct.Create(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)

	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	g.Expect(meta.IsStatusConditionTrue(td.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
	g.Expect(td.Spec.Cpu).To(Equal(".25 vcpu"))
	g.Expect(td.Spec.Memory).To(Equal(".5 gb"))
	g.Expect(td.Status.Cpu).To(Equal("256"))
	g.Expect(td.Status.Memory).To(Equal("512"))
	rev := revisions(g, ns)[1]
	g.Expect(rev).NotTo(BeNil())
	g.Expect(rev.Spec.Cpu).To(Equal(".25 vcpu"))
	g.Expect(rev.Spec.Memory).To(Equal(".5 gb"))
	g.Expect(rev.Status.Cpu).To(Equal("256"))
	g.Expect(rev.Status.Memory).To(Equal("512"))

	// The same size written another way is another spec, and so another
	// revision, as in ECS (every RegisterTaskDefinition is one); it
	// reports the same size.
	td.Spec.Cpu, td.Spec.Memory = "256", "0.5GB"
	g.Expect(direct.Update(context.Background(), td)).To(Succeed())
	reconcile(g, r, td)
	g.Expect(direct.Get(context.Background(), client.ObjectKeyFromObject(td), td)).To(Succeed())
	g.Expect(td.Status.Revision).To(Equal(int32(2)))
	g.Expect([]string{td.Status.Cpu, td.Status.Memory}).To(Equal([]string{"256", "512"}))
}
