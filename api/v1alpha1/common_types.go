package v1alpha1

// Strategy rules shared by Service and Task. They are written out on each
// spec type because CEL rules do not follow inline embedding.

// ServiceStatusValue is ECS's service status.
// +kubebuilder:validation:Enum=ACTIVE;DRAINING;INACTIVE
type ServiceStatusValue string

// Service statuses.
const (
	ServiceActive   ServiceStatusValue = "ACTIVE"
	ServiceDraining ServiceStatusValue = "DRAINING"
	ServiceInactive ServiceStatusValue = "INACTIVE"
)

// TaskStatusValue is an ECS task's lastStatus or desiredStatus.
// +kubebuilder:validation:Enum=PROVISIONING;PENDING;ACTIVATING;RUNNING;DEACTIVATING;STOPPING;DEPROVISIONING;STOPPED
type TaskStatusValue string

// Task statuses, in lifecycle order.
const (
	TaskProvisioning   TaskStatusValue = "PROVISIONING"
	TaskPending        TaskStatusValue = "PENDING"
	TaskActivating     TaskStatusValue = "ACTIVATING"
	TaskRunning        TaskStatusValue = "RUNNING"
	TaskDeactivating   TaskStatusValue = "DEACTIVATING"
	TaskStopping       TaskStatusValue = "STOPPING"
	TaskDeprovisioning TaskStatusValue = "DEPROVISIONING"
	TaskStopped        TaskStatusValue = "STOPPED"
)

// HealthStatus is ECS's healthStatus of a task or container.
// +kubebuilder:validation:Enum=HEALTHY;UNHEALTHY;UNKNOWN
type HealthStatus string

// Health statuses.
const (
	HealthHealthy   HealthStatus = "HEALTHY"
	HealthUnhealthy HealthStatus = "UNHEALTHY"
	HealthUnknown   HealthStatus = "UNKNOWN"
)

// DesiredTaskStatus is what the user asks of a task: RUNNING, or STOPPED
// (StopTask).
// +kubebuilder:validation:Enum=RUNNING;STOPPED
type DesiredTaskStatus string

// TaskStopCode is ECS's stopCode.
// +kubebuilder:validation:Enum=TaskFailedToStart;EssentialContainerExited;UserInitiated;ServiceSchedulerInitiated;SpotInterruption;TerminationNotice
type TaskStopCode string

// Stop codes.
const (
	StopCodeTaskFailedToStart         TaskStopCode = "TaskFailedToStart"
	StopCodeEssentialContainerExited  TaskStopCode = "EssentialContainerExited"
	StopCodeUserInitiated             TaskStopCode = "UserInitiated"
	StopCodeServiceSchedulerInitiated TaskStopCode = "ServiceSchedulerInitiated"
	StopCodeSpotInterruption          TaskStopCode = "SpotInterruption"
	StopCodeTerminationNotice         TaskStopCode = "TerminationNotice"
)
