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

	// desiredStatus: RUNNING (default), or STOPPED to stop the task as
	// StopTask does: its containers get SIGTERM, then SIGKILL after the
	// stopTimeout, and it is STOPPED with stopCode UserInitiated. A stopped
	// task cannot be started again.
	// +optional
	DesiredStatus DesiredTaskStatus `json:"desiredStatus,omitempty"`

	// stopReason: StopTask's reason, shown as the task's stoppedReason.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	StopReason string `json:"stopReason,omitempty"`
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

	// healthStatus: HEALTHY or UNHEALTHY by the container's healthCheck,
	// UNKNOWN without one or before it has a result.
	// +optional
	HealthStatus HealthStatus `json:"healthStatus,omitempty"`

	// logGroup and logStream: where awslogs would have put the container's
	// output (prefix/container-name/task-id); here it is in the pod's log.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	LogGroup string `json:"logGroup,omitempty"`

	// logStream: see logGroup.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	LogStream string `json:"logStream,omitempty"`
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

	// healthStatus: HEALTHY when every essential container with a
	// healthCheck is healthy, UNHEALTHY when one is not, UNKNOWN otherwise.
	// +optional
	HealthStatus HealthStatus `json:"healthStatus,omitempty"`

	// group: the task group (default family:<family>).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Group string `json:"group,omitempty"`

	// startedBy: who started the task (RunTask's startedBy).
	// +optional
	// +kubebuilder:validation:MaxLength=128
	StartedBy string `json:"startedBy,omitempty"`

	// stoppingAt: when the task began to stop.
	// +optional
	StoppingAt *metav1.Time `json:"stoppingAt,omitempty"`

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

	// fieldNotes: the members of the spec that Berth approximates or does
	// not support (docs/compatibility/run-task.md), so that none is dropped
	// silently; summed up in the FullySupported condition.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	FieldNotes []FieldNote `json:"fieldNotes,omitempty"`
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

	// spec: RunTask's input, immutable once run, and desiredStatus and
	// stopReason to stop it.
	// +required
	// +kubebuilder:validation:XValidation:rule=`has(self.capacityProviderStrategy) == has(oldSelf.capacityProviderStrategy) && (!has(self.capacityProviderStrategy) || self.capacityProviderStrategy == oldSelf.capacityProviderStrategy) && has(self.cluster) == has(oldSelf.cluster) && (!has(self.cluster) || self.cluster == oldSelf.cluster) && has(self.enableECSManagedTags) == has(oldSelf.enableECSManagedTags) && (!has(self.enableECSManagedTags) || self.enableECSManagedTags == oldSelf.enableECSManagedTags) && has(self.enableExecuteCommand) == has(oldSelf.enableExecuteCommand) && (!has(self.enableExecuteCommand) || self.enableExecuteCommand == oldSelf.enableExecuteCommand) && has(self.group) == has(oldSelf.group) && (!has(self.group) || self.group == oldSelf.group) && has(self.launchType) == has(oldSelf.launchType) && (!has(self.launchType) || self.launchType == oldSelf.launchType) && has(self.networkConfiguration) == has(oldSelf.networkConfiguration) && (!has(self.networkConfiguration) || self.networkConfiguration == oldSelf.networkConfiguration) && has(self.overrides) == has(oldSelf.overrides) && (!has(self.overrides) || self.overrides == oldSelf.overrides) && has(self.placementConstraints) == has(oldSelf.placementConstraints) && (!has(self.placementConstraints) || self.placementConstraints == oldSelf.placementConstraints) && has(self.placementStrategy) == has(oldSelf.placementStrategy) && (!has(self.placementStrategy) || self.placementStrategy == oldSelf.placementStrategy) && has(self.platformVersion) == has(oldSelf.platformVersion) && (!has(self.platformVersion) || self.platformVersion == oldSelf.platformVersion) && has(self.propagateTags) == has(oldSelf.propagateTags) && (!has(self.propagateTags) || self.propagateTags == oldSelf.propagateTags) && has(self.referenceId) == has(oldSelf.referenceId) && (!has(self.referenceId) || self.referenceId == oldSelf.referenceId) && has(self.startedBy) == has(oldSelf.startedBy) && (!has(self.startedBy) || self.startedBy == oldSelf.startedBy) && has(self.tags) == has(oldSelf.tags) && (!has(self.tags) || self.tags == oldSelf.tags) && has(self.taskDefinition) == has(oldSelf.taskDefinition) && (!has(self.taskDefinition) || self.taskDefinition == oldSelf.taskDefinition) && has(self.clientToken) == has(oldSelf.clientToken) && (!has(self.clientToken) || self.clientToken == oldSelf.clientToken) && has(self.volumeConfigurations) == has(oldSelf.volumeConfigurations) && (!has(self.volumeConfigurations) || self.volumeConfigurations == oldSelf.volumeConfigurations)`,message="A task cannot be changed once it has been run: stop it (desiredStatus: STOPPED) and run a new one"
	// +kubebuilder:validation:XValidation:rule=`!has(oldSelf.desiredStatus) || oldSelf.desiredStatus != 'STOPPED' || (has(self.desiredStatus) && self.desiredStatus == 'STOPPED')`,message="A stopped task cannot be started again: run a new one",fieldPath=".desiredStatus"
	// +kubebuilder:validation:XValidation:rule=`!has(oldSelf.stopReason) || (has(self.stopReason) && self.stopReason == oldSelf.stopReason)`,message="stopReason cannot be changed once given",fieldPath=".stopReason"
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
