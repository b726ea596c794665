// Package provision is the boundary between Berth's capacity providers and
// what makes their nodes: a Provisioner creates a node Berth asks for and
// removes one. The local control plane's is kwok's (simulated nodes,
// internal/localcp/kwoknode); a Karpenter NodePool or a Cluster API
// MachineDeployment provisioner would create the machine behind the node
// (a NodeClaim or Machine of the request's labels, taints and resources)
// and remove it, the node registering itself.
package provision

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodeRequest is a node a pool needs: its name, the labels ECS placement
// reads (pool, zone, instance type, OS, architecture), annotations, the
// pool's taints, its allocatable resources, and its owner.
type NodeRequest struct {
	Name        string
	Labels      map[string]string
	Annotations map[string]string
	Taints      []corev1.Taint
	Resources   corev1.ResourceList
	// Owner is the CapacityProvider whose pool the node is in. What the
	// provisioner creates (the node, a NodeClaim, a Machine) is its
	// dependent, so that deleting the CapacityProvider removes the pool's
	// nodes (Kubernetes' garbage collector), as deleting a Karpenter
	// NodePool removes its NodeClaims.
	Owner metav1.OwnerReference
}

// Provisioner makes and removes the nodes of a pool.
type Provisioner interface {
	// Create makes the node req asks for; one that exists already is no
	// error (a retry after the cache lagged).
	Create(ctx context.Context, req NodeRequest) error
	// Delete removes node n as it was read: same UID and, when set,
	// resourceVersion (a conflict error says it changed); already gone is
	// no error.
	Delete(ctx context.Context, n *corev1.Node) error
}
