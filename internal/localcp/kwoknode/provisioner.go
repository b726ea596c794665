package kwoknode

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/berth-dev/berth/internal/provision"
)

// Provisioner creates simulated nodes: Node objects kwok manages.
type Provisioner struct {
	Client client.Client
}

var _ provision.Provisioner = Provisioner{}

// Node is the Node object kwok simulates for req: Ready from the start,
// as a node registers once its kubelet runs (kwok keeps it so), with
// kwok's annotations, owned by the request's owner.
func Node(req provision.NodeRequest) *corev1.Node {
	labels := maps.Clone(req.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels["type"] = "kwok"
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: req.Name, Labels: labels, Annotations: maps.Clone(req.Annotations)},
		Spec:       corev1.NodeSpec{Taints: append([]corev1.Taint(nil), req.Taints...)},
		Status: corev1.NodeStatus{
			Capacity:    req.Resources.DeepCopy(),
			Allocatable: req.Resources.DeepCopy(),
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				Message: "simulated by kwok", LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
		},
	}
	if req.Owner.UID != "" {
		n.OwnerReferences = []metav1.OwnerReference{req.Owner}
	}
	Annotate(n) // kwok simulates it, metrics-server scrapes kwok's metrics for it
	return n
}

// Create implements provision.Provisioner.
func (k Provisioner) Create(ctx context.Context, req provision.NodeRequest) error {
	n := Node(req)
	err := k.Client.Create(ctx, n)
	switch {
	case apierrors.IsAlreadyExists(err):
		return nil // created by an earlier reconcile the cache has not shown yet
	case err != nil:
		return fmt.Errorf("create node %s: %w", n.Name, err)
	}
	logf.FromContext(ctx).Info("Created node", "node", klog.KObj(n))
	return nil
}

// Delete implements provision.Provisioner.
func (k Provisioner) Delete(ctx context.Context, n *corev1.Node) error {
	pre := client.Preconditions{UID: &n.UID}
	if n.ResourceVersion != "" {
		pre.ResourceVersion = &n.ResourceVersion
	}
	err := k.Client.Delete(ctx, n, pre)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case apierrors.IsConflict(err):
		return err
	case err != nil:
		return fmt.Errorf("delete node %s: %w", n.Name, err)
	}
	logf.FromContext(ctx).Info("Deleted node", "node", klog.KObj(n))
	return nil
}
