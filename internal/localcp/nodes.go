package localcp

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-dev/berth/internal/localcp/kwoknode"
)

// Defaults for the NodePool resources.
const (
	DefaultNodeCPU    = "4"
	DefaultNodeMemory = "16Gi"
	DefaultNodePods   = "110"
)

// nodesReadyTimeout bounds how long CreateNodes waits for its nodes.
const nodesReadyTimeout = 5 * time.Minute

// NodePool describes a group of identical simulated nodes.
type NodePool struct {
	// Name prefixes the node names: <Name>-0, <Name>-1, ...
	Name string
	// Count is the number of nodes.
	Count int
	// Labels are added to every node, next to kubernetes.io/hostname,
	// kubernetes.io/os=linux, kubernetes.io/arch=amd64 and type=kwok.
	Labels map[string]string
	// Taints are set on every node.
	Taints []corev1.Taint
	// CPU, Memory and Pods are each node's capacity and allocatable amount,
	// as resource quantities; empty means DefaultNodeCPU, DefaultNodeMemory
	// and DefaultNodePods.
	CPU, Memory, Pods string
}

// CreateNodes creates p.Count kwok nodes named <p.Name>-<i> and waits until
// all are Ready and free of the node.kubernetes.io/not-ready taint, that is
// until pods can be scheduled on them (a few seconds), or at most 5 minutes.
// Nodes that already exist are left as they are.
func (c *ControlPlane) CreateNodes(ctx context.Context, p NodePool) error {
	if p.Name == "" || p.Count < 1 {
		return fmt.Errorf("node pool needs a name and a positive count, got %q and %d", p.Name, p.Count)
	}
	capacity, err := p.resources()
	if err != nil {
		return err
	}
	names := make([]string, p.Count)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", p.Name, i)
		node := p.node(names[i], capacity)
		if _, err := c.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", names[i], err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, nodesReadyTimeout)
	defer cancel()
	return c.waitFor(ctx, fmt.Sprintf("node pool %s to be ready", p.Name), func(ctx context.Context) error {
		return c.nodesSchedulable(ctx, names)
	})
}

// resources parses the pool's capacity, applying the defaults.
func (p NodePool) resources() (corev1.ResourceList, error) {
	list := corev1.ResourceList{}
	for name, value := range map[corev1.ResourceName]string{
		corev1.ResourceCPU:    orDefault(p.CPU, DefaultNodeCPU),
		corev1.ResourceMemory: orDefault(p.Memory, DefaultNodeMemory),
		corev1.ResourcePods:   orDefault(p.Pods, DefaultNodePods),
	} {
		q, err := resource.ParseQuantity(value)
		if err != nil {
			return nil, fmt.Errorf("node pool %s: %s %q: %w", p.Name, name, value, err)
		}
		list[name] = q
	}
	return list, nil
}

// node returns the Node object of one pool member.
func (p NodePool) node(name string, capacity corev1.ResourceList) *corev1.Node {
	labels := map[string]string{
		corev1.LabelHostname:   name,
		corev1.LabelOSStable:   "linux",
		corev1.LabelArchStable: "amd64",
		"type":                 "kwok",
	}
	for k, v := range p.Labels {
		labels[k] = v
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.NodeSpec{Taints: append([]corev1.Taint(nil), p.Taints...)},
		Status: corev1.NodeStatus{
			Capacity:    capacity.DeepCopy(),
			Allocatable: capacity.DeepCopy(),
		},
	}
	kwoknode.Annotate(node)
	return node
}

// nodesSchedulable returns nil once every named node is Ready and no longer
// carries the not-ready taint, which kube-controller-manager lifts.
func (c *ControlPlane) nodesSchedulable(ctx context.Context, names []string) error {
	list, err := c.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	byName := make(map[string]*corev1.Node, len(list.Items))
	for i := range list.Items {
		byName[list.Items[i].Name] = &list.Items[i]
	}
	pending, first := 0, ""
	for _, name := range names {
		if node := byName[name]; node == nil || !nodeReady(node) || hasTaint(node, corev1.TaintNodeNotReady) {
			if pending == 0 {
				first = name
			}
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("%d of %d nodes not yet ready and untainted, for example %s", pending, len(names), first)
	}
	return nil
}

func nodeReady(node *corev1.Node) bool {
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

func hasTaint(node *corev1.Node, key string) bool {
	for _, t := range node.Spec.Taints {
		if t.Key == key {
			return true
		}
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
