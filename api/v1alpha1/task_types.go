package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TaskSpec is ECS's RunTask input, member for member, except `count`: one
// Task object is one task.
//
// +kubebuilder:validation:XValidation:rule=`!has(self.launchType) || !has(self.capacityProviderStrategy) || size(self.capacityProviderStrategy) == 0`,message="Specifying both a launchType and capacityProviderStrategy is not supported. Remove one and try again."
// +kubebuilder:validation:XValidation:rule=`!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.filter(i, has(i.base) && i.base > 0).size() <= 1`,message="Only one capacity provider in a capacity provider strategy can have a base defined",fieldPath=".capacityProviderStrategy"
// +kubebuilder:validation:XValidation:rule=`!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.all(i, self.capacityProviderStrategy.exists_one(j, j.capacityProvider == i.capacityProvider))`,message="Each capacity provider may appear only once in a capacity provider strategy",fieldPath=".capacityProviderStrategy"
type TaskSpec struct {
	RunTaskInput `json:",inline"`
}

// ContainerStatus is one container of a task, as DescribeTasks shows it.
type ContainerStatus struct {
	// name: the container name.
	// +required
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`

	// lastStatus: PENDING, RUNNING or STOPPED.
	// +optional
	LastStatus TaskStatusValue `json:"lastStatus,omitempty"`

	// exitCode: the container's exit code, once it stopped.
	// +optional
	ExitCode *int32 `json:"exitCode,omitempty"`

	// reason: why the container stopped or is not running.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason,omitempty"`

	// image: the image the container runs.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image,omitempty"`

	// essential: whether the task stops when this container exits.
	// +optional
	Essential *bool `json:"essential,omitempty"`
}

// TaskStatus is what DescribeTasks shows, plus Kubernetes conditions.
type TaskStatus struct {
	// conditions: Ready is True while the task is RUNNING.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration: the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// taskArn: arn:aws:ecs:<region>:<account>:task/<cluster>/<task id>.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	TaskArn string `json:"taskArn,omitempty"`

	// clusterArn: the task's cluster.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ClusterArn string `json:"clusterArn,omitempty"`

	// taskDefinitionArn: the revision the task runs.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`

	// lastStatus: PENDING, RUNNING or STOPPED.
	// +optional
	LastStatus TaskStatusValue `json:"lastStatus,omitempty"`

	// desiredStatus: RUNNING, or STOPPED once the task is stopping.
	// +optional
	DesiredStatus TaskStatusValue `json:"desiredStatus,omitempty"`

	// launchType: the launch type, when one is set.
	// +optional
	LaunchType LaunchType `json:"launchType,omitempty"`

	// capacityProviderName: the capacity provider the task was placed on.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	CapacityProviderName string `json:"capacityProviderName,omitempty"`

	// createdAt: when the task was created.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`

	// startedAt: when the task moved to RUNNING.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`

	// stoppedAt: when the task moved to STOPPED.
	// +optional
	StoppedAt *metav1.Time `json:"stoppedAt,omitempty"`

	// stopCode: why the task stopped (ECS stopCode).
	// +optional
	StopCode TaskStopCode `json:"stopCode,omitempty"`

	// stoppedReason: why the task stopped, in ECS's words.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	StoppedReason string `json:"stoppedReason,omitempty"`

	// containers: the task's containers.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	Containers []ContainerStatus `json:"containers,omitempty"`

	// podName: the pod that runs the task.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	PodName string `json:"podName,omitempty"`
}

// Task is a standalone ECS task: RunTask's input as a spec. Berth runs it as
// one Pod that is never restarted. A task cannot be changed once run.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ecstask,categories=ecs
// +kubebuilder:printcolumn:name="Last",type=string,JSONPath=`.status.lastStatus`
// +kubebuilder:printcolumn:name="Desired",type=string,JSONPath=`.status.desiredStatus`
// +kubebuilder:printcolumn:name="TaskDefinition",type=string,JSONPath=`.status.taskDefinitionArn`
// +kubebuilder:printcolumn:name="StopCode",type=string,JSONPath=`.status.stopCode`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.stoppedReason`,priority=1
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name must be at most 63 characters: it is used as a label value"
type Task struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec: RunTask's input. Immutable.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="A task cannot be changed once it has been run: stop it and run a new one"
	Spec TaskSpec `json:"spec"`

	// status: what DescribeTasks shows.
	// +optional
	Status TaskStatus `json:"status,omitempty"`
}

// TaskList is a list of Tasks.
//
// +kubebuilder:object:root=true
type TaskList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Task `json:"items"`
}
