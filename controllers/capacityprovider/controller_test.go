package capacityprovider

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/capacity"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/translate"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func node(name string, ready corev1.ConditionStatus) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}}}
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi"), corev1.ResourcePods: resource.MustParse("10")}
	return n
}

func pod(name, nodeName string, phase corev1.PodPhase, cpu, mem string) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team", UID: types.UID("uid-" + name),
		Labels: map[string]string{ecsv1alpha1.LabelService: "web", ecsv1alpha1.LabelCluster: "default"}}}
	p.Spec.NodeName = nodeName
	p.Spec.NodeSelector = map[string]string{ecsv1alpha1.LabelCapacityProvider: "fargate-spot"}
	p.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}
	p.Spec.Containers = []corev1.Container{{Name: "app"}}
	p.Status.Phase = phase
	st := metav1.NewTime(t0.Add(-time.Minute))
	p.Status.StartTime = &st
	return p
}

func TestSetStatus(t *testing.T) {
	cp := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "fargate-spot", Generation: 2}}
	cp.Spec.Name = "FARGATE_SPOT"
	nodes := []corev1.Node{node("a", corev1.ConditionTrue), node("b", corev1.ConditionFalse), node("c", corev1.ConditionTrue)}
	nodes[2].Spec.Unschedulable = true
	pods := []corev1.Pod{
		pod("p1", "a", corev1.PodRunning, "500m", "1Gi"),
		pod("p2", "a", corev1.PodPending, "250m", "512Mi"),
		pod("p3", "", corev1.PodPending, "250m", "512Mi"),
		pod("p4", "elsewhere", corev1.PodRunning, "1", "1Gi"),
	}
	p := newPool(cp, nodes, pods)
	SetStatus(cp, p, names.DefaultAccount)
	st := cp.Status
	if st.Name != "FARGATE_SPOT" || st.CapacityProviderArn != "arn:aws:ecs:us-east-1:000000000000:capacity-provider/FARGATE_SPOT" {
		t.Fatalf("identity: %+v", st)
	}
	if *st.Nodes != 3 || *st.ReadyNodes != 2 || *st.RegisteredContainerInstancesCount != 3 {
		t.Fatalf("nodes = %d, ready = %d", *st.Nodes, *st.ReadyNodes)
	}
	if *st.RunningTasksCount != 1 || *st.PendingTasksCount != 2 {
		t.Fatalf("running %d pending %d, want 1 and 2 (one placed, one not)", *st.RunningTasksCount, *st.PendingTasksCount)
	}
	a := st.ContainerInstances[0]
	want := ecsv1alpha1.ContainerInstance{EC2InstanceID: "a", Status: "ACTIVE", AgentConnected: true, RegisteredCPU: 2048, RegisteredMemory: 4096,
		RemainingCPU: 2048 - 768, RemainingMemory: 4096 - 1536, RunningTasksCount: 1, PendingTasksCount: 1}
	if a != want {
		t.Errorf("container instance a = %+v\nwant %+v", a, want)
	}
	if st.ContainerInstances[2].Status != "DRAINING" || st.ContainerInstances[1].AgentConnected {
		t.Errorf("c = %+v (cordoned: DRAINING), b = %+v (not Ready)", st.ContainerInstances[2], st.ContainerInstances[1])
	}
	ready := meta.FindStatusCondition(st.Conditions, ecsv1alpha1.ConditionReady)
	if st.ObservedGeneration != 2 || len(st.Conditions) != 2 || ready == nil || ready.Message != "ACTIVE with 2 of 3 nodes Ready" ||
		!meta.IsStatusConditionTrue(st.Conditions, ecsv1alpha1.ConditionFullySupported) {
		t.Fatalf("conditions: %+v (want Ready and FullySupported)", st.Conditions)
	}
	if len(p.pending) != 1 || p.pending[0].Name != "p3" {
		t.Errorf("pending = %v, want p3", p.pending)
	}
	if got := p.instances()[0]; got.Tasks != 2 || got.Requested.MilliCPU != 750 {
		t.Errorf("instance a = %+v, want 2 tasks requesting 750m", got)
	}
}

func TestPoolsOf(t *testing.T) {
	p := corev1.Pod{}
	p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
			{Key: ecsv1alpha1.LabelCapacityProvider, Operator: corev1.NodeSelectorOpIn, Values: []string{"ec2-b", "ec2-a"}}}}}}}}
	if got := translate.PodPools(&p); strings.Join(got, ",") != "ec2-a,ec2-b" || !provisionsFor(&p, "ec2-a") || provisionsFor(&p, "ec2-b") {
		t.Errorf("PodPools = %v: the first sorted pool provisions", got)
	}
	p.Labels = map[string]string{ecsv1alpha1.LabelCapacityProvider: "fargate"}
	if got := translate.PodPools(&p); len(got) != 1 || got[0] != "fargate" {
		t.Errorf("a slice's pod: PodPools = %v", got)
	}
}

func TestAccrueCost(t *testing.T) {
	cp := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "fargate-spot"}}
	cp.Spec.Type = ecsv1alpha1.CapacityProviderFargateSpot
	nodes := []corev1.Node{node("a", corev1.ConditionTrue)}
	p := newPool(cp, nodes, []corev1.Pod{pod("p1", "a", corev1.PodRunning, "1", "2Gi")})
	c, next := accrueCost(cp, nil, p, t0, DefaultCostInterval)
	if next != DefaultCostInterval || c.VCPUSeconds != "60.000" || c.GBSeconds != "120.000" {
		t.Fatalf("first accrual from the task's start: %+v next %v", c, next)
	}
	if same, wait := accrueCost(cp, c, p, t0.Add(10*time.Second), DefaultCostInterval); same != c || wait != 50*time.Second {
		t.Fatalf("within the minute: nothing new (%+v, %v)", same, wait)
	}
	c2, _ := accrueCost(cp, c, p, t0.Add(time.Minute), DefaultCostInterval)
	if c2.VCPUSeconds != "120.000" || len(c2.ByService) != 1 || c2.ByService[0].Service != "web" || c2.ByService[0].VCPUSeconds != "120.000" {
		t.Fatalf("after a minute: %+v", c2)
	}
	want := capacity.Usage{VCPUSeconds: 120, GBSeconds: 240}.Cost(capacity.FargateSpotPrice)
	if c2.EstimatedCostUSD != capacity.Format(want, 6) {
		t.Errorf("cost %s, want %s at the Spot price", c2.EstimatedCostUSD, capacity.Format(want, 6))
	}
	idle := newPool(cp, nodes, nil)
	c3, next := accrueCost(cp, c2, idle, t0.Add(2*time.Minute), DefaultCostInterval)
	if c3.AccruedAt != nil || next != 0 || c3.VCPUSeconds != "120.000" {
		t.Fatalf("no task: the clock stops, figures stay: %+v", c3)
	}
	if c4, _ := accrueCost(cp, c3, idle, t0.Add(time.Hour), DefaultCostInterval); c4 != c3 {
		t.Fatalf("idle pool: nothing changes, so nothing is written")
	}
}

// A lost node (Ready Unknown: its kubelet stopped reporting) offers
// managed scaling no room; a node whose kubelet reports NotReady (still
// starting) and one that has no Ready condition yet keep theirs.
func TestLostNodeOffersNoRoom(t *testing.T) {
	node := func(name string, ready ...corev1.ConditionStatus) corev1.Node {
		n := corev1.Node{}
		n.Name = name
		n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi"), corev1.ResourcePods: resource.MustParse("110")}
		for _, s := range ready {
			n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeReady, Status: s})
		}
		return n
	}
	cp := &ecsv1alpha1.CapacityProvider{}
	p := newPool(cp, []corev1.Node{node("ready", corev1.ConditionTrue), node("lost", corev1.ConditionUnknown),
		node("starting", corev1.ConditionFalse), node("registering")}, nil)
	got := map[string]bool{}
	for _, in := range p.instances() {
		got[in.Name] = in.NotReady
	}
	if want := map[string]bool{"ready": false, "lost": true, "starting": false, "registering": false}; !reflect.DeepEqual(got, want) {
		t.Errorf("NotReady = %v, want %v", got, want)
	}
}
