package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterSpec is ECS's CreateCluster input, member for member. clusterName
// defaults to metadata.name.
//
// +kubebuilder:validation:XValidation:rule=`!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.filter(i, has(i.base) && i.base > 0).size() <= 1`,message="Only one capacity provider in a capacity provider strategy can have a base defined",fieldPath=".defaultCapacityProviderStrategy"
// +kubebuilder:validation:XValidation:rule=`!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.all(i, has(self.capacityProviders) && i.capacityProvider in self.capacityProviders)`,message="The specified capacity provider strategy includes a capacity provider that is not associated with the cluster: add it to capacityProviders",fieldPath=".defaultCapacityProviderStrategy"
type ClusterSpec struct {
	CreateClusterInput `json:",inline"`
}

// ClusterStatus is what DescribeClusters shows, plus Kubernetes conditions.
type ClusterStatus struct {
	// conditions: Ready is True when every associated capacity provider exists.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration: the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// clusterName: the ECS cluster name.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	ClusterName string `json:"clusterName,omitempty"`

	// clusterArn: arn:aws:ecs:<region>:<account>:cluster/<clusterName>.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ClusterArn string `json:"clusterArn,omitempty"`

	// status: ACTIVE; while a deleted cluster still has services or tasks
	// (ECS refuses DeleteCluster then; Kubernetes defers it), still ACTIVE
	// with the condition Deleting saying why.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Status string `json:"status,omitempty"`

	// registeredContainerInstancesCount: the nodes of the cluster's
	// EC2-style capacity providers.
	// +optional
	RegisteredContainerInstancesCount *int32 `json:"registeredContainerInstancesCount,omitempty"`

	// runningTasksCount: the cluster's tasks (services' and standalone) in
	// the RUNNING state.
	// +optional
	RunningTasksCount *int32 `json:"runningTasksCount,omitempty"`

	// pendingTasksCount: the cluster's tasks not yet RUNNING.
	// +optional
	PendingTasksCount *int32 `json:"pendingTasksCount,omitempty"`

	// activeServicesCount: the cluster's services that are ACTIVE.
	// +optional
	ActiveServicesCount *int32 `json:"activeServicesCount,omitempty"`

	// statistics: DescribeClusters' STATISTICS: runningEC2TasksCount,
	// runningFargateTasksCount, pendingEC2TasksCount,
	// pendingFargateTasksCount, activeEC2ServiceCount,
	// activeFargateServiceCount, drainingEC2ServiceCount,
	// drainingFargateServiceCount.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Statistics []KeyValuePair `json:"statistics,omitempty"`

	// capacityProviders: per capacity provider of the cluster, its tasks of
	// this cluster and its container instances (Berth).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=20
	CapacityProviders []ClusterCapacityProvider `json:"capacityProviders,omitempty"`

	// cost: what the cluster's Fargate tasks used and cost, summed from its
	// capacity providers' status.cost.
	// +optional
	Cost *CostFigures `json:"cost,omitempty"`

	// fieldNotes: the members of the spec that Berth approximates or does
	// not support (docs/compatibility/create-cluster.md), so that none is dropped
	// silently; summed up in the FullySupported condition.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	FieldNotes []FieldNote `json:"fieldNotes,omitempty"`
}

// ClusterCapacityProvider is one capacity provider's statistics in a
// cluster.
type ClusterCapacityProvider struct {
	// name: the capacity provider's ECS name.
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`
	// runningTasksCount and pendingTasksCount: the cluster's tasks on it.
	RunningTasksCount int32 `json:"runningTasksCount"`
	PendingTasksCount int32 `json:"pendingTasksCount"`
	// registeredContainerInstancesCount: its nodes (shared by the clusters
	// it is associated with).
	RegisteredContainerInstancesCount int32 `json:"registeredContainerInstancesCount"`
}

// Cluster is an ECS cluster. A namespace plays the part of an AWS account:
// the clusters, task definitions, services and tasks of one team live in it.
// metadata.name is clusterName in lower case with '_' turned into '-'.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ecscluster,categories=ecs
// +kubebuilder:printcolumn:name="ClusterName",type=string,JSONPath=`.status.clusterName`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Services",type=integer,JSONPath=`.status.activeServicesCount`
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.runningTasksCount`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.pendingTasksCount`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule=`!has(self.spec) || !has(self.spec.clusterName) || self.spec.clusterName.lowerAscii().replace('_', '-') == self.metadata.name`,message="metadata.name must be spec.clusterName in lower case with '_' replaced by '-'"
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec: CreateCluster's input.
	// +optional
	Spec ClusterSpec `json:"spec,omitempty"`

	// status: what DescribeClusters shows.
	// +optional
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Clusters.
//
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cluster `json:"items"`
}
