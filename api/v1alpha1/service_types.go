package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ServiceSpec is ECS's CreateService input, member for member. serviceName
// defaults to metadata.name; cluster names a Cluster in the same namespace
// (default "default").
//
// +kubebuilder:validation:XValidation:rule=`!has(self.launchType) || !has(self.capacityProviderStrategy) || size(self.capacityProviderStrategy) == 0`,message="Specifying both a launchType and capacityProviderStrategy is not supported. Remove one and try again."
// +kubebuilder:validation:XValidation:rule=`!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.filter(i, has(i.base) && i.base > 0).size() <= 1`,message="Only one capacity provider in a capacity provider strategy can have a base defined",fieldPath=".capacityProviderStrategy"
// +kubebuilder:validation:XValidation:rule=`!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.all(i, self.capacityProviderStrategy.exists_one(j, j.capacityProvider == i.capacityProvider))`,message="Each capacity provider may appear only once in a capacity provider strategy",fieldPath=".capacityProviderStrategy"
// +kubebuilder:validation:XValidation:rule=`(has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON') || has(self.desiredCount)`,message="desiredCount is required when schedulingStrategy is REPLICA or isn't specified",fieldPath=".desiredCount"
// +kubebuilder:validation:XValidation:rule=`!(has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON' && has(self.capacityProviderStrategy) && size(self.capacityProviderStrategy) > 0)`,message="A capacity provider strategy can't be used with the DAEMON scheduling strategy"
// +kubebuilder:validation:XValidation:rule=`!(has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON' && has(self.launchType) && self.launchType == 'FARGATE')`,message="The daemon scheduling strategy does not support the FARGATE launch type.",fieldPath=".launchType"
// +kubebuilder:validation:XValidation:rule=`(has(self.schedulingStrategy) ? self.schedulingStrategy : 'REPLICA') == (has(oldSelf.schedulingStrategy) ? oldSelf.schedulingStrategy : 'REPLICA')`,message="schedulingStrategy cannot be changed: create a new service",fieldPath=".schedulingStrategy"
// +kubebuilder:validation:XValidation:rule=`(has(self.cluster) ? self.cluster : 'default') == (has(oldSelf.cluster) ? oldSelf.cluster : 'default')`,message="cluster cannot be changed: create a new service in the other cluster",fieldPath=".cluster"
// +kubebuilder:validation:XValidation:rule=`(has(self.serviceName) ? self.serviceName : "") == (has(oldSelf.serviceName) ? oldSelf.serviceName : "")`,message="serviceName cannot be changed",fieldPath=".serviceName"
type ServiceSpec struct {
	CreateServiceInput `json:",inline"`
}

// ServiceStatus is what DescribeServices shows, plus Kubernetes conditions.
type ServiceStatus struct {
	// conditions: Ready (steady state: one deployment, running == desired),
	// TaskDefinitionResolved, ClusterResolved, CapacityProviderReady,
	// DeploymentAvailable, and Reconciling/Stalled while true.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration: the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// serviceName: the ECS service name.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	ServiceName string `json:"serviceName,omitempty"`

	// serviceArn: arn:aws:ecs:<region>:<account>:service/<cluster>/<serviceName>.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ServiceArn string `json:"serviceArn,omitempty"`

	// clusterArn: the ARN of the service's cluster.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ClusterArn string `json:"clusterArn,omitempty"`

	// status: ACTIVE, DRAINING or INACTIVE.
	// +optional
	Status ServiceStatusValue `json:"status,omitempty"`

	// taskDefinition: the ARN of the revision the service runs.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	TaskDefinition string `json:"taskDefinition,omitempty"`

	// desiredCount: the number of tasks the service keeps running.
	// +optional
	DesiredCount *int32 `json:"desiredCount,omitempty"`

	// runningCount: tasks in the RUNNING state, counted from the pods.
	// +optional
	RunningCount *int32 `json:"runningCount,omitempty"`

	// pendingCount: tasks in the PENDING state, counted from the pods.
	// +optional
	PendingCount *int32 `json:"pendingCount,omitempty"`

	// launchType: the launch type the tasks use, when one is set.
	// +optional
	LaunchType LaunchType `json:"launchType,omitempty"`

	// capacityProviders: the capacity providers the tasks are placed on.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=255
	CapacityProviders []string `json:"capacityProviders,omitempty"`

	// capacityProviderTasks: how the tasks split over the capacity providers
	// of a strategy (Berth): desiredCount by the strategy's base and weight
	// (docs/capacity.md gives the rule), running and pending as counted.
	// +optional
	// +listType=map
	// +listMapKey=capacityProvider
	// +kubebuilder:validation:MaxItems=20
	CapacityProviderTasks []CapacityProviderTasks `json:"capacityProviderTasks,omitempty"`

	// selector: the label selector of the service's pods (scale subresource).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Selector string `json:"selector,omitempty"`

	// enableExecuteCommand: whether ECS Exec is on for the service's tasks.
	// Its Kubernetes equivalent is `kubectl exec` into a task's pod, which
	// RBAC (pods/exec) allows or not; Berth does not gate it.
	// +optional
	EnableExecuteCommand bool `json:"enableExecuteCommand,omitempty"`

	// deployments: the service's deployments, as DescribeServices lists
	// them: the PRIMARY one first, then the ACTIVE ones (still running
	// tasks), then INACTIVE ones Berth keeps for rollback and for the record
	// of a failed deployment.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	Deployments []ServiceDeployment `json:"deployments,omitempty"`

	// serviceDeployments: the service's deployments as
	// ListServiceDeployments and DescribeServiceDeployments show them (ECS's
	// ServiceDeployment), newest first, kept after they end: the last 10
	// (ECS keeps 90 days).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	ServiceDeployments []ServiceDeploymentRecord `json:"serviceDeployments,omitempty"`

	// serviceRevisions: the service revisions those deployments deployed,
	// as DescribeServiceRevisions shows them (ECS's ServiceRevision),
	// newest first, the last 10.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	ServiceRevisions []ServiceRevision `json:"serviceRevisions,omitempty"`

	// events: the service's event log, newest first, at most 100, with
	// ECS's own wording. Each is also a Kubernetes Event.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	Events []ServiceEvent `json:"events,omitempty"`

	// fieldNotes: the members of the spec that Berth approximates or does
	// not support (docs/compatibility/create-service.md), so that none is dropped
	// silently; summed up in the FullySupported condition.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	FieldNotes []FieldNote `json:"fieldNotes,omitempty"`

	// strategy: the service's BLUE_GREEN, LINEAR or CANARY deployment, in
	// progress or the last one (Berth; docs/services.md, "Blue/green, linear
	// and canary deployments"): which Kubernetes Deployment runs each
	// revision, the traffic weights, and the deployment's lifecycle state.
	// +optional
	Strategy *ServiceStrategyStatus `json:"strategy,omitempty"`
}

// ServiceStrategyStatus is where a service's BLUE_GREEN, LINEAR or CANARY
// deployment stands. Its two revisions run in two Kubernetes Deployments
// (slots) that take turns: the target (green) revision starts in the slot
// production does not use, and becomes production when the deployment
// succeeds.
type ServiceStrategyStatus struct {
	// production: the Kubernetes Deployment whose tasks serve production
	// traffic when no deployment is in progress; during one, the source
	// (blue) revision's.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Production string `json:"production"`
	// deploymentId, templateHash and target: the deployment in progress
	// or the last one (green), the hash of its pod template, and the
	// Kubernetes Deployment that runs it.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	DeploymentID string `json:"deploymentId,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=64
	TemplateHash string `json:"templateHash,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Target string `json:"target,omitempty"`
	// sourceDeploymentId and sourceTemplateHash: the deployment it
	// replaces (blue).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SourceDeploymentID string `json:"sourceDeploymentId,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SourceTemplateHash string `json:"sourceTemplateHash,omitempty"`
	// strategy: BLUE_GREEN, LINEAR or CANARY (CODE_DEPLOY services deploy
	// BLUE_GREEN).
	// +optional
	Strategy DeploymentStrategy `json:"strategy,omitempty"`
	// status and lifecycleStage: the deployment's ServiceDeployment status
	// and lifecycle stage.
	// +optional
	Status ServiceDeploymentState `json:"status,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=64
	LifecycleStage string `json:"lifecycleStage,omitempty"`
	// productionTraffic and testTraffic: the share of the production and
	// the test listeners' traffic each revision gets, in tenths of a
	// percent.
	// +optional
	ProductionTraffic *TrafficWeights `json:"productionTraffic,omitempty"`
	// +optional
	TestTraffic *TrafficWeights `json:"testTraffic,omitempty"`
	// state: the deployment's lifecycle state machine (internal/strategy's
	// State): stage, hook executions, rollback.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	State *runtime.RawExtension `json:"state,omitempty"`
	// deploymentConfiguration: the service's deploymentConfiguration as
	// the deployment started, which it keeps to its end (its strategy,
	// steps, bake times and hooks), as ECS's ServiceDeployment does.
	// +optional
	DeploymentConfiguration *DeploymentConfiguration `json:"deploymentConfiguration,omitempty"`
}

// TrafficWeights splits a listener's traffic between the source (blue)
// and the target (green) revision, in tenths of a percent: blue + green is
// 1000.
type TrafficWeights struct {
	// +required
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Blue int32 `json:"blue"`
	// +required
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Green int32 `json:"green"`
}

// DeploymentStatus is an ECS service deployment's status.
// +kubebuilder:validation:Enum=PRIMARY;ACTIVE;INACTIVE
type DeploymentStatus string

// Deployment statuses.
const (
	// DeploymentPrimary: the most recent deployment, the one tasks are
	// started for.
	DeploymentPrimary DeploymentStatus = "PRIMARY"
	// DeploymentActive: an older deployment that still runs tasks.
	DeploymentActive DeploymentStatus = "ACTIVE"
	// DeploymentInactive: a deployment completely replaced.
	DeploymentInactive DeploymentStatus = "INACTIVE"
)

// RolloutState is an ECS deployment's rolloutState.
// +kubebuilder:validation:Enum=IN_PROGRESS;COMPLETED;FAILED
type RolloutState string

// Rollout states.
const (
	RolloutInProgress RolloutState = "IN_PROGRESS"
	RolloutCompleted  RolloutState = "COMPLETED"
	RolloutFailed     RolloutState = "FAILED"
)

// ServiceDeployment is one of a service's deployments, as DescribeServices
// shows it (ECS's Deployment shape). A deployment is one pod template of the
// Service's Kubernetes Deployment, that is one of its ReplicaSets.
type ServiceDeployment struct {
	// id: ecs-svc/ followed by 19 digits, derived from the Service's UID and
	// the pod template; it is also each of its tasks' startedBy (the pod
	// annotation ecs.berth.dev/started-by).
	// +required
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"id"`

	// status: PRIMARY, ACTIVE or INACTIVE.
	// +required
	Status DeploymentStatus `json:"status"`

	// taskDefinition: the ARN of the task definition revision the
	// deployment runs.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	TaskDefinition string `json:"taskDefinition"`

	// templateHash: Berth's hash of the deployment's pod template (the pod
	// annotation ecs.berth.dev/template-hash).
	// +required
	// +kubebuilder:validation:MaxLength=64
	TemplateHash string `json:"templateHash"`

	// desiredCount: the number of tasks the deployment should run.
	// +required
	DesiredCount int32 `json:"desiredCount"`

	// pendingCount: tasks of the deployment not yet RUNNING.
	// +required
	PendingCount int32 `json:"pendingCount"`

	// runningCount: tasks of the deployment in the RUNNING state.
	// +required
	RunningCount int32 `json:"runningCount"`

	// failedTasks: consecutive tasks of the deployment that failed to
	// start, exited, or failed their health checks; a task that becomes
	// healthy resets it (the circuit breaker's failure count).
	// +required
	FailedTasks int32 `json:"failedTasks"`

	// rolloutState: IN_PROGRESS, COMPLETED or FAILED.
	// +required
	RolloutState RolloutState `json:"rolloutState"`

	// rolloutStateReason: why the deployment is in its rolloutState.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	RolloutStateReason string `json:"rolloutStateReason,omitempty"`

	// launchType: the launch type the deployment's tasks use, when one is set.
	// +optional
	LaunchType LaunchType `json:"launchType,omitempty"`

	// createdAt: when the deployment was created.
	// +required
	CreatedAt metav1.Time `json:"createdAt"`

	// updatedAt: when the deployment last changed state or failure count.
	// +required
	UpdatedAt metav1.Time `json:"updatedAt"`

	// alarms: the deployment alarms watched for this deployment (ECS's
	// ServiceDeploymentAlarms): MONITORING while it is in progress,
	// TRIGGERED when one went into ALARM (the deployment failed),
	// MONITORING_COMPLETE once it completed, DISABLED when an alarm was
	// already in ALARM as it started (ECS then does not watch them) or for
	// a rollback.
	// +optional
	Alarms *DeploymentAlarmsState `json:"alarms,omitempty"`

	// failedBy: what failed the deployment, when it FAILED (Berth):
	// CircuitBreaker, Alarms or StopServiceDeployment.
	// +optional
	FailedBy DeploymentFailure `json:"failedBy,omitempty"`

	// rollbackFrom: the id of the failed deployment this one is a rollback
	// from, while it is (Berth).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	RollbackFrom string `json:"rollbackFrom,omitempty"`

	// bakeUntil: with deployment alarms, a deployment whose tasks all run
	// healthy stays IN_PROGRESS, its alarms watched, until then (Berth:
	// ECS computes a bake time from the alarms; docs/services.md says how
	// Berth does).
	// +optional
	BakeUntil *metav1.Time `json:"bakeUntil,omitempty"`
}

// ServiceDeploymentState is a service deployment's status (ECS's
// ServiceDeploymentStatus).
// +kubebuilder:validation:Enum=PENDING;SUCCESSFUL;STOPPED;STOP_REQUESTED;IN_PROGRESS;ROLLBACK_REQUESTED;ROLLBACK_IN_PROGRESS;ROLLBACK_SUCCESSFUL;ROLLBACK_FAILED
type ServiceDeploymentState string

// Service deployment states.
const (
	ServiceDeploymentPending            ServiceDeploymentState = "PENDING"
	ServiceDeploymentSuccessful         ServiceDeploymentState = "SUCCESSFUL"
	ServiceDeploymentStopped            ServiceDeploymentState = "STOPPED"
	ServiceDeploymentStopRequested      ServiceDeploymentState = "STOP_REQUESTED"
	ServiceDeploymentInProgress         ServiceDeploymentState = "IN_PROGRESS"
	ServiceDeploymentRollbackRequested  ServiceDeploymentState = "ROLLBACK_REQUESTED"
	ServiceDeploymentRollbackInProgress ServiceDeploymentState = "ROLLBACK_IN_PROGRESS"
	ServiceDeploymentRollbackSuccessful ServiceDeploymentState = "ROLLBACK_SUCCESSFUL"
	ServiceDeploymentRollbackFailed     ServiceDeploymentState = "ROLLBACK_FAILED"
)

// ServiceDeploymentRecord is one of a service's deployments as ECS keeps it
// (its ServiceDeployment shape), with the deployment's id.
type ServiceDeploymentRecord struct {
	// id: the deployment's id (ecs-svc/…), as status.deployments and the
	// tasks' startedBy have it.
	// +required
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"id"`
	// serviceDeploymentArn: arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<digits of the id>.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
	// status: PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, STOP_REQUESTED,
	// ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL or
	// ROLLBACK_FAILED.
	// +required
	Status ServiceDeploymentState `json:"status"`
	// statusReason: why it is in its status.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	StatusReason string `json:"statusReason,omitempty"`
	// createdAt, startedAt, finishedAt, stoppedAt and updatedAt: when it
	// was created, started, finished (SUCCESSFUL or rolled back), was
	// stopped, and last changed.
	// +required
	CreatedAt metav1.Time `json:"createdAt"`
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// +optional
	StoppedAt *metav1.Time `json:"stoppedAt,omitempty"`
	// +required
	UpdatedAt metav1.Time `json:"updatedAt"`
	// sourceServiceRevisions: the revisions that ran when it started, with
	// their task counts.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	SourceServiceRevisions []ServiceRevisionSummary `json:"sourceServiceRevisions,omitempty"`
	// targetServiceRevision: the revision it deploys, with its task counts.
	// +required
	TargetServiceRevision ServiceRevisionSummary `json:"targetServiceRevision"`
	// rollback: the rollback, when one happened.
	// +optional
	Rollback *ServiceDeploymentRollback `json:"rollback,omitempty"`
	// deploymentCircuitBreaker: the circuit breaker's status, failure count
	// and threshold.
	// +optional
	DeploymentCircuitBreaker *ServiceDeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	// alarms: the deployment alarms' status.
	// +optional
	Alarms *DeploymentAlarmsState `json:"alarms,omitempty"`
	// lifecycleStage: where a BLUE_GREEN, LINEAR or CANARY deployment is
	// (ECS's ServiceDeploymentLifecycleStage).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	LifecycleStage string `json:"lifecycleStage,omitempty"`
}

// ServiceRevisionSummary is a revision's part in a service deployment
// (ECS's ServiceRevisionSummary).
type ServiceRevisionSummary struct {
	// arn: the service revision's ARN.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Arn string `json:"arn"`
	// requestedTaskCount, runningTaskCount, pendingTaskCount: its tasks.
	// +required
	RequestedTaskCount int32 `json:"requestedTaskCount"`
	// +required
	RunningTaskCount int32 `json:"runningTaskCount"`
	// +required
	PendingTaskCount int32 `json:"pendingTaskCount"`
}

// ServiceDeploymentRollback is ECS's Rollback: why and when a deployment
// rolled back, and to which revision.
type ServiceDeploymentRollback struct {
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason"`
	// +required
	StartedAt metav1.Time `json:"startedAt"`
	// +required
	// +kubebuilder:validation:MaxLength=1024
	ServiceRevisionArn string `json:"serviceRevisionArn"`
}

// ServiceDeploymentCircuitBreaker is ECS's ServiceDeploymentCircuitBreaker.
type ServiceDeploymentCircuitBreaker struct {
	// +required
	Status MonitorStatus `json:"status"`
	// +required
	FailureCount int32 `json:"failureCount"`
	// +required
	Threshold int32 `json:"threshold"`
}

// ServiceRevision is the configuration a service deployment deployed
// (ECS's ServiceRevision): what of the Service's spec its tasks ran with.
type ServiceRevision struct {
	// serviceRevisionArn: arn:aws:ecs:<region>:<account>:service-revision/<cluster>/<service>/<digits of the deployment id>.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	ServiceRevisionArn string `json:"serviceRevisionArn"`
	// +required
	// +kubebuilder:validation:MaxLength=1024
	TaskDefinition string `json:"taskDefinition"`
	// +optional
	LaunchType LaunchType `json:"launchType,omitempty"`
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=255
	PlatformVersion string `json:"platformVersion,omitempty"`
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	LoadBalancers []LoadBalancer `json:"loadBalancers,omitempty"`
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	ServiceRegistries []ServiceRegistry `json:"serviceRegistries,omitempty"`
	// +optional
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration,omitempty"`
	// containerImages: the images of the revision's containers, as written
	// (Berth does not resolve digests).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	ContainerImages []ContainerImage `json:"containerImages,omitempty"`
	// +required
	CreatedAt metav1.Time `json:"createdAt"`
}

// ContainerImage is a container's image in a service revision.
type ContainerImage struct {
	// +required
	// +kubebuilder:validation:MaxLength=255
	ContainerName string `json:"containerName"`
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image"`
}

// DeploymentFailure is what failed a deployment.
// +kubebuilder:validation:Enum=CircuitBreaker;Alarms;StopServiceDeployment;Lifecycle
type DeploymentFailure string

// Deployment failures.
const (
	FailedByCircuitBreaker        DeploymentFailure = "CircuitBreaker"
	FailedByAlarms                DeploymentFailure = "Alarms"
	FailedByStopServiceDeployment DeploymentFailure = "StopServiceDeployment"
	// FailedByLifecycle: a BLUE_GREEN, LINEAR or CANARY deployment's
	// lifecycle (a hook that failed or timed out, a stage that timed out).
	FailedByLifecycle DeploymentFailure = "Lifecycle"
)

// MonitorStatus is the status of a deployment's rollback monitors (ECS's
// ServiceDeploymentRollbackMonitorsStatus).
// +kubebuilder:validation:Enum=TRIGGERED;MONITORING;MONITORING_COMPLETE;DISABLED
type MonitorStatus string

// Monitor statuses.
const (
	MonitorTriggered          MonitorStatus = "TRIGGERED"
	MonitorMonitoring         MonitorStatus = "MONITORING"
	MonitorMonitoringComplete MonitorStatus = "MONITORING_COMPLETE"
	MonitorDisabled           MonitorStatus = "DISABLED"
)

// DeploymentAlarmsState is ECS's ServiceDeploymentAlarms: the alarms a
// deployment watches and those that went into ALARM.
type DeploymentAlarmsState struct {
	// status: TRIGGERED, MONITORING, MONITORING_COMPLETE or DISABLED.
	// +required
	Status MonitorStatus `json:"status"`
	// alarmNames: the alarms watched.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=255
	AlarmNames []string `json:"alarmNames,omitempty"`
	// triggeredAlarmNames: those that were in ALARM when the deployment
	// failed.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=255
	TriggeredAlarmNames []string `json:"triggeredAlarmNames,omitempty"`
}

// ServiceEvent is one entry of a service's event log (ECS's ServiceEvent).
type ServiceEvent struct {
	// id: the event's ID, unique within the service.
	// +required
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"id"`

	// createdAt: when the event was recorded.
	// +required
	CreatedAt metav1.Time `json:"createdAt"`

	// message: the event's message, in ECS's wording.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	Message string `json:"message"`
}

// Service is an ECS service: CreateService's input as a spec. Berth runs it
// as a Deployment; `kubectl scale` and an HPA drive desiredCount through the
// scale subresource.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.desiredCount,statuspath=.status.runningCount,selectorpath=.status.selector
// +kubebuilder:resource:shortName=ecssvc;ecsservice,categories=ecs
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.desiredCount`
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.runningCount`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.pendingCount`
// +kubebuilder:printcolumn:name="TaskDefinition",type=string,JSONPath=`.status.taskDefinition`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name must be at most 63 characters: it is used as a label value"
type Service struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec: CreateService's input.
	// +required
	Spec ServiceSpec `json:"spec"`

	// status: what DescribeServices shows.
	// +optional
	Status ServiceStatus `json:"status,omitempty"`
}

// ServiceList is a list of Services.
//
// +kubebuilder:object:root=true
type ServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Service `json:"items"`
}

// CapacityProviderTasks is a service's share of tasks on one capacity
// provider.
type CapacityProviderTasks struct {
	// capacityProvider: the capacity provider's ECS name.
	// +kubebuilder:validation:MaxLength=255
	CapacityProvider string `json:"capacityProvider"`
	// desiredCount: the tasks the strategy places on it.
	DesiredCount int32 `json:"desiredCount"`
	// runningCount: its tasks in the RUNNING state.
	RunningCount int32 `json:"runningCount"`
	// pendingCount: its tasks in the PENDING state.
	PendingCount int32 `json:"pendingCount"`
}
