package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CapacityProviderType is the kind of capacity behind a capacity provider.
// +kubebuilder:validation:Enum=FARGATE;FARGATE_SPOT;EC2_AUTOSCALING
type CapacityProviderType string

// Capacity provider types.
const (
	CapacityProviderFargate        CapacityProviderType = "FARGATE"
	CapacityProviderFargateSpot    CapacityProviderType = "FARGATE_SPOT"
	CapacityProviderEC2AutoScaling CapacityProviderType = "EC2_AUTOSCALING"
)

// NodeProvisioner says who creates the nodes of a pool.
// +kubebuilder:validation:Enum=none;kwok
type NodeProvisioner string

// Node provisioners.
const (
	// NodeProvisionerNone: Berth only observes nodes that carry the pool's
	// label (the user's own nodes, e.g. k3d agents).
	NodeProvisionerNone NodeProvisioner = "none"
	// NodeProvisionerKwok: simulated kwok nodes (the local control plane).
	NodeProvisionerKwok NodeProvisioner = "kwok"
)

// NodeShape is the size of one node of a pool.
type NodeShape struct {
	// cpu: allocatable CPU of one node.
	// +optional
	CPU *resource.Quantity `json:"cpu,omitempty"`
	// memory: allocatable memory of one node.
	// +optional
	Memory *resource.Quantity `json:"memory,omitempty"`
	// pods: how many pods one node runs.
	// +optional
	Pods *resource.Quantity `json:"pods,omitempty"`
}

// NodePool is what Kubernetes needs to know of the nodes behind a capacity
// provider. A node belongs to the pool when it carries the label
// ecs.berth.dev/capacity-provider=<metadata.name> and every label in
// nodeLabels; tasks placed on the pool select those labels and tolerate its
// taints.
type NodePool struct {
	// nodeLabels: extra labels the pool's nodes carry and tasks select.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	NodeLabels map[string]string `json:"nodeLabels,omitempty"`

	// taints: taints the pool's nodes carry, so that only the pool's tasks
	// land there. Tasks placed on the pool tolerate them. Default: none.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	Taints []corev1.Taint `json:"taints,omitempty"`

	// nodeShape: the allocatable resources of one node.
	// +optional
	NodeShape *NodeShape `json:"nodeShape,omitempty"`

	// provisioner: who creates the nodes: none (observe the user's nodes) or
	// kwok (simulated nodes, the local control plane). Default none.
	// +optional
	Provisioner NodeProvisioner `json:"provisioner,omitempty"`
}

// CapacityProviderSpec is ECS's CreateCapacityProvider input, member for
// member, plus the kind of capacity and its node pool.
//
// +kubebuilder:validation:XValidation:rule=`self.type == 'EC2_AUTOSCALING' || !has(self.autoScalingGroupProvider)`,message="autoScalingGroupProvider is only valid for EC2_AUTOSCALING capacity providers",fieldPath=".autoScalingGroupProvider"
// +kubebuilder:validation:XValidation:rule=`!has(self.managedInstancesProvider)`,message="managedInstancesProvider (MANAGED_INSTANCES) is not supported by Berth",fieldPath=".managedInstancesProvider"
type CapacityProviderSpec struct {
	CreateCapacityProviderInput `json:",inline"`

	// type: FARGATE, FARGATE_SPOT or EC2_AUTOSCALING.
	// +required
	Type CapacityProviderType `json:"type"`

	// nodePool: the Kubernetes nodes behind this capacity provider.
	// +optional
	NodePool NodePool `json:"nodePool,omitempty"`
}

// CapacityProviderStatus is what DescribeCapacityProviders shows.
type CapacityProviderStatus struct {
	// conditions: Ready is True when the provider is ACTIVE.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration: the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// name: the ECS capacity provider name.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name,omitempty"`

	// capacityProviderArn: arn:aws:ecs:<region>:<account>:capacity-provider/<name>.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	CapacityProviderArn string `json:"capacityProviderArn,omitempty"`

	// status: ACTIVE.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Status string `json:"status,omitempty"`

	// nodes: how many nodes of the pool exist.
	// +optional
	Nodes *int32 `json:"nodes,omitempty"`

	// readyNodes: how many of them are Ready.
	// +optional
	ReadyNodes *int32 `json:"readyNodes,omitempty"`
}

// CapacityProvider is an ECS capacity provider: a pool of Kubernetes nodes.
// It is cluster-scoped and belongs to the platform team. metadata.name is the
// ECS name in lower case with '_' turned into '-': FARGATE is "fargate",
// FARGATE_SPOT is "fargate-spot".
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=ecscp,categories=ecs
// +kubebuilder:printcolumn:name="Name",type=string,JSONPath=`.status.name`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Nodes",type=integer,JSONPath=`.status.nodes`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule=`!has(self.spec.name) || self.spec.name.lowerAscii().replace('_', '-') == self.metadata.name`,message="metadata.name must be spec.name in lower case with '_' replaced by '-'"
// +kubebuilder:validation:XValidation:rule=`size(self.metadata.name) <= 63`,message="metadata.name must be at most 63 characters: it is used as a label value"
type CapacityProvider struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec: CreateCapacityProvider's input and the node pool.
	// +required
	Spec CapacityProviderSpec `json:"spec"`

	// status: what DescribeCapacityProviders shows.
	// +optional
	Status CapacityProviderStatus `json:"status,omitempty"`
}

// CapacityProviderList is a list of CapacityProviders.
//
// +kubebuilder:object:root=true
type CapacityProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CapacityProvider `json:"items"`
}
