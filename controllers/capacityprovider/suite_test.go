package capacityprovider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/localcp/kwoknode"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/provision"
	"github.com/berth-dev/berth/internal/testenv"
)

// The reconcilers are called directly against envtest's API server (see
// internal/testenv): apply, reconcile, expect. Nodes are made by kwok's
// provisioner (Node objects), recorded.

var env *testenv.Envtest

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, _ := filepath.Abs("../..")
	var err error
	env, err = testenv.Start(root)
	defer env.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// recordingProvisioner is kwok's provisioner on the test's API server,
// recording what it is asked.
type recordingProvisioner struct {
	kwoknode.Provisioner
	mu      sync.Mutex
	created []string
	deleted []string
}

func (p *recordingProvisioner) Create(ctx context.Context, req provision.NodeRequest) error {
	p.mu.Lock()
	p.created = append(p.created, req.Name)
	p.mu.Unlock()
	return p.Provisioner.Create(ctx, req)
}

func (p *recordingProvisioner) Delete(ctx context.Context, n *corev1.Node) error {
	p.mu.Lock()
	p.deleted = append(p.deleted, n.Name)
	p.mu.Unlock()
	return p.Provisioner.Delete(ctx, n)
}

type harness struct {
	t     *testing.T
	g     Gomega
	ns    string
	clock *clocktesting.FakePassiveClock
	prov  *recordingProvisioner
	r     *Reconciler
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, g: NewWithT(t), ns: env.Namespace(t), clock: clocktesting.NewFakePassiveClock(time.Now()),
		prov: &recordingProvisioner{Provisioner: kwoknode.Provisioner{Client: env.Direct}}}
	h.r = &Reconciler{Client: env.Cached, APIReader: env.Direct, Recorder: &testenv.Recorder{}, Clock: h.clock, Account: names.DefaultAccount,
		Provisioners: map[ecsv1alpha1.NodeProvisioner]provision.Provisioner{ecsv1alpha1.NodeProvisionerKwok: h.prov}}
	return h
}

func (h *harness) reconcile(r reconcile.Reconciler, pool string) ctrl.Result {
	h.t.Helper()
	env.Settle(h.g, "", func() client.ObjectList { return &corev1.NodeList{} }, func() client.ObjectList { return &ecsv1alpha1.CapacityProviderList{} })
	env.Settle(h.g, h.ns, func() client.ObjectList { return &corev1.PodList{} })
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Name: pool}})
	h.g.Expect(err).NotTo(HaveOccurred())
	return res
}

// fargatePool is the FARGATE pool, made by kwok's provisioner.
func (h *harness) fargatePool() *ecsv1alpha1.CapacityProvider {
	cp := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "fargate"}}
	cp.Spec.Name, cp.Spec.Type = "FARGATE", ecsv1alpha1.CapacityProviderFargate
	cp.Spec.NodePool.Provisioner = ecsv1alpha1.NodeProvisionerKwok
	if err := env.Direct.Create(context.Background(), cp); err != nil && !apierrors.IsAlreadyExists(err) {
		h.g.Expect(err).NotTo(HaveOccurred())
	}
	return cp
}

// taskPod is a pending Fargate task's pod of 0.25 vCPU and 0.5 GB.
func (h *harness) taskPod(name string) *corev1.Pod {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}}
	pod.Spec.NodeSelector = map[string]string{ecsv1alpha1.LabelCapacityProvider: "fargate"}
	pod.Spec.Containers = []corev1.Container{{Name: "app", Image: "app:1", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("512Mi")}}}}
	h.g.Expect(env.Direct.Create(context.Background(), pod)).To(Succeed())
	return pod
}

func (h *harness) bind(pod *corev1.Pod, node string) {
	h.t.Helper()
	h.g.Expect(env.Direct.SubResource("binding").Create(context.Background(), pod,
		&corev1.Binding{Target: corev1.ObjectReference{Kind: "Node", Name: node}})).To(Succeed())
}

func (h *harness) node(name string) *corev1.Node {
	n := &corev1.Node{}
	h.g.Expect(env.Direct.Get(context.Background(), client.ObjectKey{Name: name}, n)).To(Succeed())
	return n
}

// A pending Fargate task gets a node of its own, once. When another task
// of the same size takes that node first, the waiting task gets another.
// An idle node is fenced (NoSchedule) before it is removed, and removed
// only once the fence has settled and a live read finds no task on it.
func TestFargateNodes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cp := h.fargatePool()
	r := &fargateReconciler{h.r}
	first := h.taskPod("first")
	h.reconcile(r, cp.Name)
	h.reconcile(r, cp.Name)
	h.g.Expect(h.prov.created).To(HaveLen(1), "one node per task, not one per reconcile")
	made := h.prov.created[0]
	h.g.Expect(made).To(Equal(fargateNodeName(cp, string(first.UID), 0)))
	h.g.Expect(env.Direct.Get(context.Background(), client.ObjectKeyFromObject(cp), cp)).To(Succeed())
	h.g.Expect(h.node(made).OwnerReferences).To(ConsistOf(metav1.OwnerReference{APIVersion: "ecs.berth.dev/v1alpha1", Kind: "CapacityProvider",
		Name: cp.Name, UID: cp.UID, Controller: ptr.To(true)}), "deleting the CapacityProvider deletes its nodes")

	// Another task takes it first: the first task gets a second node.
	thief := h.taskPod("thief")
	h.reconcile(r, cp.Name)
	h.g.Expect(h.prov.created).To(ContainElement(fargateNodeName(cp, string(thief.UID), 0)), "the thief's own node, made while it was pending")
	h.bind(thief, made)
	h.reconcile(r, cp.Name)
	h.g.Expect(h.prov.created).To(ContainElement(fargateNodeName(cp, string(first.UID), 1)))
	h.g.Expect(h.prov.created).To(HaveLen(3))

	// The thief stops; its two nodes (the one made for it, and the one it
	// took, which the first task no longer waits for) are idle.
	h.bind(first, fargateNodeName(cp, string(first.UID), 1))
	h.g.Expect(env.Direct.Delete(ctx, thief, client.GracePeriodSeconds(0))).To(Succeed())
	h.clock.SetTime(time.Now().Add(emptyNodeGrace + time.Second))
	h.reconcile(r, cp.Name)
	h.g.Expect(h.prov.deleted).To(BeEmpty(), "fenced first, not deleted")
	for _, name := range []string{made, fargateNodeName(cp, string(thief.UID), 0)} {
		h.g.Expect(fenced(h.node(name))).To(BeTrue(), name)
	}
	h.g.Expect(fenced(h.node(fargateNodeName(cp, string(first.UID), 1)))).To(BeFalse(), "a node with a task stays in service")

	// A task placed on a fenced node before the scheduler saw the fence:
	// the live read finds it, the node stays and goes back in service.
	late := h.taskPod("late")
	h.bind(late, made)
	h.clock.SetTime(h.clock.Now().Add(fenceSettle + time.Second))
	h.reconcile(r, cp.Name)
	h.g.Expect(h.prov.deleted).To(ConsistOf(fargateNodeName(cp, string(thief.UID), 0)))
	h.g.Expect(fenced(h.node(made))).To(BeFalse(), "put back in service")
	h.g.Expect(slices.ContainsFunc(h.node(made).Spec.Taints, func(t corev1.Taint) bool { return t.Key == ecsv1alpha1.TaintRemoving })).To(BeFalse())
}

// A node the pool's provisioner made before nodes had an owner is adopted:
// made a dependent of its CapacityProvider.
func TestProvisionedNodeIsAdopted(t *testing.T) {
	h := newHarness(t)
	cp := h.fargatePool()
	h.g.Expect(env.Direct.Get(context.Background(), client.ObjectKeyFromObject(cp), cp)).To(Succeed())
	req := nodeRequest(cp, "fargate-orphan", corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}, 0)
	req.Owner = metav1.OwnerReference{}
	h.g.Expect(h.prov.Provisioner.Create(context.Background(), req)).To(Succeed())
	h.g.Expect(h.node("fargate-orphan").OwnerReferences).To(BeEmpty())
	h.reconcile(&fargateReconciler{h.r}, cp.Name)
	h.g.Expect(h.node("fargate-orphan").OwnerReferences).To(ConsistOf(HaveField("UID", cp.UID)))
	h.g.Expect(env.Direct.Delete(context.Background(), h.node("fargate-orphan"))).To(Succeed())
}
