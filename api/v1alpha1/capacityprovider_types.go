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
	// kwok (simulated nodes, the local control plane). With kwok, a FARGATE
	// or FARGATE_SPOT pool gets one right-sized node per task, created for
	// it and removed after it; an EC2_AUTOSCALING pool with managed scaling
	// grows and shrinks by nodes of nodeShape. Default none.
	// +optional
	Provisioner NodeProvisioner `json:"provisioner,omitempty"`

	// minSize: the fewest nodes managed scaling keeps (the Auto Scaling
	// group's MinSize). Default 0.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	MinSize *int32 `json:"minSize,omitempty"`

	// maxSize: the most nodes managed scaling creates (the Auto Scaling
	// group's MaxSize). Default 100.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	MaxSize *int32 `json:"maxSize,omitempty"`

	// scaleInAfterSeconds: how long CapacityProviderReservation must stay
	// below targetCapacity before managed scaling removes nodes. Default
	// 900: the 15 one-minute data points of ECS's scale-in alarm.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	ScaleInAfterSeconds *int32 `json:"scaleInAfterSeconds,omitempty"`

	// instanceType: the node.kubernetes.io/instance-type label of
	// provisioned nodes (the attribute ecs.instance-type).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	InstanceType string `json:"instanceType,omitempty"`

	// zones: the availability zones provisioned nodes are spread over,
	// in turn (label topology.kubernetes.io/zone, the attribute
	// ecs.availability-zone).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=63
	Zones []string `json:"zones,omitempty"`

	// price: the price table of cost estimates for FARGATE and FARGATE_SPOT
	// pools. Default: AWS's us-east-1 Linux/x86 prices (FARGATE $0.04048
	// per vCPU-hour and $0.004445 per GB-hour; FARGATE_SPOT $0.01334053 and
	// $0.00146489).
	// +optional
	Price *PriceTable `json:"price,omitempty"`
}

// PriceTable is a price per vCPU-hour and per GB-hour, in US dollars, as
// decimal strings.
type PriceTable struct {
	// vcpuHour: the price of one vCPU for one hour.
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9]{1,6}(\.[0-9]{1,10})?$`
	VCPUHour string `json:"vcpuHour"`
	// gbHour: the price of one GB of memory for one hour.
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9]{1,6}(\.[0-9]{1,10})?$`
	GBHour string `json:"gbHour"`
}

// CapacityProviderSpec is ECS's CreateCapacityProvider input, member for
// member, plus the kind of capacity and its node pool.
//
// +kubebuilder:validation:XValidation:rule=`self.type == 'EC2_AUTOSCALING' || !has(self.autoScalingGroupProvider)`,message="autoScalingGroupProvider is only valid for EC2_AUTOSCALING capacity providers",fieldPath=".autoScalingGroupProvider"
// +kubebuilder:validation:XValidation:rule=`!has(self.nodePool) || !has(self.nodePool.minSize) || !has(self.nodePool.maxSize) || self.nodePool.minSize <= self.nodePool.maxSize`,message="nodePool.minSize must not be greater than nodePool.maxSize",fieldPath=".nodePool.minSize"
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

	// registeredContainerInstancesCount: the pool's nodes (ECS's container
	// instances), as the cluster counts them.
	// +optional
	RegisteredContainerInstancesCount *int32 `json:"registeredContainerInstancesCount,omitempty"`

	// runningTasksCount: the pool's tasks in the RUNNING state.
	// +optional
	RunningTasksCount *int32 `json:"runningTasksCount,omitempty"`

	// pendingTasksCount: the pool's tasks not yet RUNNING, placed or not.
	// +optional
	PendingTasksCount *int32 `json:"pendingTasksCount,omitempty"`

	// managedScaling: CapacityProviderReservation and what managed scaling
	// aims at (EC2_AUTOSCALING pools with managed scaling ENABLED).
	// +optional
	ManagedScaling *ManagedScalingState `json:"managedScaling,omitempty"`

	// containerInstances: the pool's nodes as DescribeContainerInstances
	// shows them (the first 100 by name).
	// +optional
	// +listType=map
	// +listMapKey=ec2InstanceId
	// +kubebuilder:validation:MaxItems=100
	ContainerInstances []ContainerInstance `json:"containerInstances,omitempty"`

	// cost: what the pool's tasks used and an estimate of what they cost
	// (FARGATE and FARGATE_SPOT pools), accrued each minute.
	// +optional
	Cost *Cost `json:"cost,omitempty"`

	// fieldNotes: the members of the spec that Berth approximates or does
	// not support (docs/compatibility/create-capacity-provider.md), so that none is dropped
	// silently; summed up in the FullySupported condition.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	FieldNotes []FieldNote `json:"fieldNotes,omitempty"`
}

// ManagedScalingState is managed scaling's view of a pool.
type ManagedScalingState struct {
	// capacityProviderReservation: M / N × 100, as ECS publishes it in
	// CloudWatch (AWS/ECS/ManagedScaling).
	CapacityProviderReservation int32 `json:"capacityProviderReservation"`
	// instancesNeeded: M, the instances the pool's tasks need.
	InstancesNeeded int32 `json:"instancesNeeded"`
	// instances: N, the instances the pool has.
	Instances int32 `json:"instances"`
	// desiredInstances: what managed scaling aims at.
	DesiredInstances int32 `json:"desiredInstances"`
	// belowTargetSince: since when the reservation has been below
	// targetCapacity (scale-in waits for scaleInAfterSeconds).
	// +optional
	BelowTargetSince *metav1.Time `json:"belowTargetSince,omitempty"`
	// lastScaledAt: when nodes were last added or removed.
	// +optional
	LastScaledAt *metav1.Time `json:"lastScaledAt,omitempty"`
}

// ContainerInstance is a node of a pool as ECS shows a container instance.
type ContainerInstance struct {
	// ec2InstanceId: the node's name.
	// +kubebuilder:validation:MaxLength=253
	EC2InstanceID string `json:"ec2InstanceId"`
	// status: ACTIVE, or DRAINING when the node is cordoned.
	// +kubebuilder:validation:MaxLength=32
	Status string `json:"status"`
	// agentConnected: the node is Ready.
	AgentConnected bool `json:"agentConnected"`
	// registeredCpu and registeredMemory: the node's allocatable CPU in CPU
	// units (1,024 per vCPU) and memory in MiB.
	RegisteredCPU    int64 `json:"registeredCpu"`
	RegisteredMemory int64 `json:"registeredMemory"`
	// remainingCpu and remainingMemory: what the tasks on it do not
	// reserve.
	RemainingCPU    int64 `json:"remainingCpu"`
	RemainingMemory int64 `json:"remainingMemory"`
	// runningTasksCount and pendingTasksCount: its tasks.
	RunningTasksCount int32 `json:"runningTasksCount"`
	PendingTasksCount int32 `json:"pendingTasksCount"`
}

// CostFigures are what tasks used and what that is estimated to cost, as
// decimal strings.
type CostFigures struct {
	// vcpuSeconds and gbSeconds: vCPU-seconds and GB-seconds of running
	// tasks.
	// +kubebuilder:validation:MaxLength=32
	VCPUSeconds string `json:"vcpuSeconds"`
	// +kubebuilder:validation:MaxLength=32
	GBSeconds string `json:"gbSeconds"`
	// estimatedCostUSD: at the pool's price table.
	// +kubebuilder:validation:MaxLength=32
	EstimatedCostUSD string `json:"estimatedCostUSD"`
}

// Cost is a pool's cost figures, and the same per service.
type Cost struct {
	CostFigures `json:",inline"`
	// accruedAt: when the figures were last brought up to date.
	// +optional
	AccruedAt *metav1.Time `json:"accruedAt,omitempty"`
	// byService: the same figures per namespace, cluster and service
	// (service empty: standalone tasks), the 100 most expensive.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	ByService []ServiceCost `json:"byService,omitempty"`
}

// ServiceCost is the cost of one service's (or one cluster's standalone)
// tasks.
type ServiceCost struct {
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`
	// +kubebuilder:validation:MaxLength=255
	Cluster string `json:"cluster"`
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Service     string `json:"service,omitempty"`
	CostFigures `json:",inline"`
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
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.runningTasksCount`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.pendingTasksCount`
// +kubebuilder:printcolumn:name="CPR",type=integer,JSONPath=`.status.managedScaling.capacityProviderReservation`,priority=1
// +kubebuilder:printcolumn:name="Cost",type=string,JSONPath=`.status.cost.estimatedCostUSD`,priority=1
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
