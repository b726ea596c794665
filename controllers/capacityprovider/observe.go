package capacityprovider

import (
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourcehelper "k8s.io/component-helpers/resource"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/capacity"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
)

// Annotations of the nodes and pods the provisioner manages.
const (
	// AnnotationProvisionedBy marks a node Berth's provisioner created (and
	// may delete).
	AnnotationProvisionedBy = "ecs.berth.dev/provisioned-by"
	// AnnotationProvisionedFor is the UID of the task a Fargate node was
	// created for.
	AnnotationProvisionedFor = "ecs.berth.dev/provisioned-for"
	// AnnotationSpotInterruption, set on a node, reclaims it as a Spot
	// interruption does: its tasks get the two-minute warning (SIGTERM) and
	// stop with stopCode SpotInterruption, and the node goes.
	AnnotationSpotInterruption = "ecs.berth.dev/spot-interruption"
)

// pool is what a reconcile sees of a capacity provider's pool.
type pool struct {
	cp    *ecsv1alpha1.CapacityProvider
	nodes []*corev1.Node
	// onNode are the pods bound to each node of the pool.
	onNode map[string][]*corev1.Pod
	// pending are the pool's pods that no node runs yet.
	pending []*corev1.Pod
	// byUID are all pods seen, by UID.
	byUID map[string]*corev1.Pod
}

// provisionsFor tells whether a pending pod is this pool's to provision
// for: the first pool it may run on.
func provisionsFor(pod *corev1.Pod, cp string) bool {
	pools := translate.PodPools(pod)
	return len(pools) > 0 && pools[0] == cp
}

// daemon: a pod of a DaemonSet (a DAEMON service's task), which does not
// make an instance needed.
func daemon(pod *corev1.Pod) bool {
	for _, o := range pod.OwnerReferences {
		if o.Kind == "DaemonSet" {
			return true
		}
	}
	return false
}

// newPool sorts the pods into the pool's.
func newPool(cp *ecsv1alpha1.CapacityProvider, nodes []corev1.Node, pods []corev1.Pod) *pool {
	p := &pool{cp: cp, onNode: map[string][]*corev1.Pod{}, byUID: map[string]*corev1.Pod{}}
	inPool := map[string]bool{}
	for i := range nodes {
		p.nodes = append(p.nodes, &nodes[i])
		inPool[nodes[i].Name] = true
	}
	sort.Slice(p.nodes, func(i, j int) bool { return p.nodes[i].Name < p.nodes[j].Name })
	for i := range pods {
		pod := &pods[i]
		p.byUID[string(pod.UID)] = pod
		switch {
		case pod.Spec.NodeName != "":
			if inPool[pod.Spec.NodeName] {
				p.onNode[pod.Spec.NodeName] = append(p.onNode[pod.Spec.NodeName], pod)
			}
		case pod.DeletionTimestamp.IsZero() && !taskstate.Finished(pod) && provisionsFor(pod, cp.Name):
			p.pending = append(p.pending, pod)
		}
	}
	return p
}

// requests are what a pod reserves.
func requests(pod *corev1.Pod) capacity.Resources {
	r := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	return capacity.Resources{MilliCPU: r.Cpu().MilliValue(), Memory: r.Memory().Value(), Pods: 1}
}

func allocatable(n *corev1.Node) capacity.Resources {
	a := n.Status.Allocatable
	return capacity.Resources{MilliCPU: a.Cpu().MilliValue(), Memory: a.Memory().Value(), Pods: a.Pods().Value()}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// lost: the node's kubelet stopped reporting (the node lifecycle
// controller set Ready to Unknown). A node whose kubelet reports NotReady
// (one still starting) is not lost: its room is about to be there.
func lost(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionUnknown
		}
	}
	return false
}

// draining: the node is cordoned (ECS's DRAINING container instance) or
// being reclaimed.
func draining(n *corev1.Node) bool {
	_, reclaimed := n.Annotations[AnnotationSpotInterruption]
	return n.Spec.Unschedulable || reclaimed || !n.DeletionTimestamp.IsZero() || fenced(n)
}

// instances are the pool's nodes as managed scaling sees them: a node
// fenced for removal is on its way out and is not one.
func (p *pool) instances() []capacity.Instance {
	res := make([]capacity.Instance, 0, len(p.nodes))
	for _, n := range p.nodes {
		if fenced(n) {
			continue
		}
		in := capacity.Instance{Name: n.Name, Allocatable: allocatable(n), Draining: draining(n), NotReady: lost(n),
			Provisioned: n.Annotations[AnnotationProvisionedBy] != "", Created: n.CreationTimestamp.Time}
		for _, pod := range p.onNode[n.Name] {
			if taskstate.Finished(pod) {
				continue
			}
			r := requests(pod)
			in.Requested.MilliCPU += r.MilliCPU
			in.Requested.Memory += r.Memory
			in.Requested.Pods++
			if !daemon(pod) {
				in.Tasks++
			}
		}
		res = append(res, in)
	}
	return res
}

// provisioning are the requests of the pool's pending pods the scheduler
// found no room for (ECS's PROVISIONING tasks), or has not tried yet.
func (p *pool) provisioning() []capacity.Resources {
	var res []capacity.Resources
	for _, pod := range p.pending {
		if taskstate.Unschedulable(pod) == nil && scheduledCondition(pod) {
			continue
		}
		res = append(res, requests(pod))
	}
	return res
}

func scheduledCondition(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return true
		}
	}
	return false
}

// running: the pod's task is RUNNING (ECS's lifecycle as far as the pool
// is concerned: the pod runs and has not been asked to stop).
func running(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodRunning && pod.DeletionTimestamp.IsZero()
}

// containerInstances are the pool's nodes as DescribeContainerInstances
// shows them, and the pool's running and pending task counts.
func (p *pool) containerInstances() (list []ecsv1alpha1.ContainerInstance, runningTasks, pendingTasks int32) {
	for _, n := range p.nodes {
		a := allocatable(n)
		ci := ecsv1alpha1.ContainerInstance{EC2InstanceID: n.Name, Status: "ACTIVE", AgentConnected: nodeReady(n),
			RegisteredCPU: a.MilliCPU * 1024 / 1000, RegisteredMemory: a.Memory >> 20}
		if draining(n) {
			ci.Status = "DRAINING"
		}
		var used capacity.Resources
		for _, pod := range p.onNode[n.Name] {
			if taskstate.Finished(pod) || !pod.DeletionTimestamp.IsZero() {
				continue
			}
			r := requests(pod)
			used.MilliCPU += r.MilliCPU
			used.Memory += r.Memory
			if running(pod) {
				ci.RunningTasksCount++
			} else {
				ci.PendingTasksCount++
			}
		}
		ci.RemainingCPU = (a.MilliCPU - used.MilliCPU) * 1024 / 1000
		ci.RemainingMemory = (a.Memory - used.Memory) >> 20
		runningTasks += ci.RunningTasksCount
		pendingTasks += ci.PendingTasksCount
		if len(list) < 100 {
			list = append(list, ci)
		}
	}
	return list, runningTasks, pendingTasks + int32(len(p.pending))
}

// runningTasks are the pool's running tasks with their size, for cost.
func (p *pool) runningTasks() []capacity.RunningTask {
	var res []capacity.RunningTask
	for _, n := range p.nodes {
		for _, pod := range p.onNode[n.Name] {
			if !running(pod) {
				continue
			}
			r := requests(pod)
			t := capacity.RunningTask{
				Key: capacity.CostKey{Namespace: pod.Namespace, Cluster: pod.Labels[ecsv1alpha1.LabelCluster], Service: taskstate.ServiceOf(pod)},
				// Fargate bills the task's size; GB here is GiB, as Fargate's
				// table ("0.5GB" = 512 MiB).
				VCPU: float64(r.MilliCPU) / 1000, GB: float64(r.Memory) / (1 << 30),
			}
			if pod.Status.StartTime != nil {
				t.Since = pod.Status.StartTime.Time
			}
			res = append(res, t)
		}
	}
	return res
}

// fargateSize is a pod's size in Fargate's words ("0.25vCPU 0.5GB").
func fargateSize(r capacity.Resources) string {
	cpu := capacity.Format(float64(r.MilliCPU)/1000, 3)
	mem := capacity.Format(float64(r.Memory)/(1<<30), 3)
	return trimZeros(cpu) + "vCPU " + trimZeros(mem) + "GB"
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// age is how long ago t was.
func age(t time.Time, now time.Time) time.Duration { return now.Sub(t) }
