package v1alpha1

// Condition types. Ready is the summary every kind has; Reconciling and
// Stalled follow kstatus and are present only while True.
const (
	// ConditionReady is True when the object's ECS state is what was asked
	// for: a TaskDefinition's current spec is registered as a revision, a
	// Service is at steady state (one deployment, running == desired), a
	// Task is RUNNING, a Cluster or CapacityProvider is ACTIVE.
	ConditionReady = "Ready"
	// ConditionReconciling is True while Berth is making progress towards
	// Ready (kstatus "InProgress").
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when Berth cannot make progress without a
	// change from the user or another object (kstatus "Failed").
	ConditionStalled = "Stalled"

	// ConditionTaskDefinitionResolved is True when a Service's or Task's
	// taskDefinition names an existing ACTIVE revision.
	ConditionTaskDefinitionResolved = "TaskDefinitionResolved"
	// ConditionClusterResolved is True when the ECS cluster named by a
	// Service or Task exists.
	ConditionClusterResolved = "ClusterResolved"
	// ConditionCapacityProviderReady is True when the launch type or
	// capacity provider strategy resolves to existing node pools.
	ConditionCapacityProviderReady = "CapacityProviderReady"
	// ConditionFullySupported is True when Berth honours every member set
	// in a spec exactly; False (reason FieldsApproximated or
	// UnsupportedFields) summarises status.fieldNotes, which lists each
	// field Berth approximates or stores without effect.
	ConditionFullySupported = "FullySupported"
	// ConditionDeploymentAvailable is True when the Service's Deployment
	// has all desired tasks running the requested revision.
	ConditionDeploymentAvailable = "DeploymentAvailable"
)

// Condition reasons.
const (
	// ReasonSucceeded: the condition holds.
	ReasonSucceeded = "Succeeded"
	// ReasonProgressing: work is under way.
	ReasonProgressing = "Progressing"
	// ReasonInternalError: an input could not be read; the condition is Unknown.
	ReasonInternalError = "InternalError"
	// ReasonDependencyNotReady: Berth waits for an object that may still
	// appear (a Cluster, a task definition revision, a CapacityProvider, a
	// Service): Ready=False and Reconciling=True, never Stalled, with ECS's
	// wording of what is missing in the message.
	ReasonDependencyNotReady = "DependencyNotReady"

	// ReasonRevisionRegistered: a new task definition revision was created.
	ReasonRevisionRegistered = "RevisionRegistered"
	// ReasonTaskDefinitionNotFound: no TaskDefinition or revision matches.
	ReasonTaskDefinitionNotFound = "TaskDefinitionNotFound"
	// ReasonTaskDefinitionInactive: the referenced revision is INACTIVE.
	ReasonTaskDefinitionInactive = "TaskDefinitionInactive"
	// ReasonInvalidTaskDefinitionReference: taskDefinition is not family,
	// family:revision or an ARN.
	ReasonInvalidTaskDefinitionReference = "InvalidTaskDefinitionReference"
	// ReasonServiceInactive: the Event recorded when a deleted service's
	// last task has stopped (its note is names.ServiceInactiveNote).
	ReasonServiceInactive = "ServiceInactive"
	// ReasonClusterNotFound: ECS's ClusterNotFoundException.
	ReasonClusterNotFound = "ClusterNotFound"
	// ReasonCapacityProviderNotFound: a named capacity provider does not exist.
	ReasonCapacityProviderNotFound = "CapacityProviderNotFound"
	// ReasonNoCapacityProvider: neither a launch type, a strategy, nor a
	// cluster default strategy places the tasks.
	ReasonNoCapacityProvider = "NoCapacityProvider"
	// ReasonUnsupportedFields: members are set that Berth does not honour yet.
	ReasonUnsupportedFields = "UnsupportedFields"
	// ReasonFieldsApproximated: every member set has an effect, some with a
	// documented difference from ECS.
	ReasonFieldsApproximated = "FieldsApproximated"
	// ReasonInvalidTaskDefinition: the task definition cannot run, for a
	// reason ECS gives at registration or launch that admission rules
	// cannot see (a dependsOn cycle, a missing volume, ...).
	ReasonInvalidTaskDefinition = "InvalidTaskDefinition"
	// ReasonPodSecurityViolation: the task definition's pods would not
	// meet the Pod Security level their namespace enforces, so it is not
	// registered (docs/podsecurity.md).
	ReasonPodSecurityViolation = "PodSecurityViolation"
	// ReasonUnsupported: the spec asks for something Berth cannot do yet.
	ReasonUnsupported = "Unsupported"
	// ReasonResourceNotOwned: an object with Berth's name exists and is
	// not controlled by this object; Berth does not adopt it.
	ReasonResourceNotOwned = "ResourceNotOwned"
	// ReasonRolloutInProgress: the Deployment is rolling to a new revision
	// or scaling.
	ReasonRolloutInProgress = "RolloutInProgress"
	// ReasonDeploymentFailed: the deployment circuit breaker failed the
	// service's deployment.
	ReasonDeploymentFailed = "DeploymentFailed"
	// ReasonRolledBack: the deployment the spec asks for failed and the
	// service runs the last deployment that completed.
	ReasonRolledBack = "RolledBack"
	// ReasonInvalidParameter: the spec is invalid in a way that involves
	// another object (ECS's InvalidParameterException), such as a load
	// balancer's container port the task definition does not map.
	ReasonInvalidParameter = "InvalidParameter"
	// ReasonServiceNotFound: a ScalableTarget's resourceId names no
	// Service (Application Auto Scaling's "ECS service doesn't exist").
	ReasonServiceNotFound = "ServiceNotFound"
	// ReasonScalingInactive: the HorizontalPodAutoscaler of a
	// ScalableTarget cannot scale yet (no metrics, or a desired count of 0).
	ReasonScalingInactive = "ScalingInactive"
	// ReasonSteadyState: the service has reached a steady state.
	ReasonSteadyState = "SteadyState"
	// ReasonAlarmEvaluated: a MetricAlarm has been evaluated (Ready=True,
	// whatever its stateValue: ALARM is its value, not a failure).
	ReasonAlarmEvaluated = "AlarmEvaluated"
	// ReasonWaitingForData: a MetricAlarm waits for its first datapoint
	// (Reconciling=True).
	ReasonWaitingForData = "WaitingForData"
	// ReasonDuplicateAlarmName: another MetricAlarm of the namespace has the
	// same alarmName and was created first (Stalled=True).
	ReasonDuplicateAlarmName = "DuplicateAlarmName"
	// ReasonAlarmStateChanged: the Event recorded when a MetricAlarm's
	// stateValue changes.
	ReasonAlarmStateChanged = "AlarmStateChanged"
	// ReasonTaskPending, ReasonTaskRunning, ReasonTaskStopped: Task lifecycle.
	ReasonTaskPending = "TaskPending"
	ReasonTaskRunning = "TaskRunning"
	ReasonTaskStopped = "TaskStopped"
	// ReasonEditReverted: the Event recorded when Berth undoes another
	// field manager's edit of the spec of an object it owns (a kubectl edit
	// or scale of a Service's Deployment).
	ReasonEditReverted = "EditReverted"
	// ReasonDeploymentStarted: the Kubernetes Event of a Service's new
	// deployment replacing another (a rollout started).
	ReasonDeploymentStarted = "DeploymentStarted"
)

// Well-known labels and annotations Berth puts on the objects it creates.
const (
	// LabelManagedBy is set to ManagedByValue on every object Berth creates.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of LabelManagedBy.
	ManagedByValue = "berth"
	// LabelService names the ECS Service a Deployment or pod belongs to.
	LabelService = "ecs.berth.dev/service"
	// LabelTask names the ECS Task a pod belongs to.
	LabelTask = "ecs.berth.dev/task"
	// LabelCluster names the ECS cluster of a Service's or Task's pods.
	LabelCluster = "ecs.berth.dev/cluster"
	// LabelTaskDefinition names the TaskDefinition object of a revision or pod.
	LabelTaskDefinition = "ecs.berth.dev/task-definition"
	// LabelRevision is the revision number of a TaskDefinitionRevision or pod.
	LabelRevision = "ecs.berth.dev/revision"
	// LabelCapacityProvider marks the nodes of a capacity provider's pool
	// and the tasks placed on it.
	LabelCapacityProvider = "ecs.berth.dev/capacity-provider"
	// LabelSlot marks the Deployment, and the tasks, of the alternate slot
	// of a Service that deploys BLUE_GREEN, LINEAR or CANARY
	// (names.AlternateDeployment), so that its selector is its own.
	LabelSlot = "ecs.berth.dev/slot"
	// LabelServing marks the tasks a LINEAR or CANARY deployment's
	// production listener serves from during a step, where there is no
	// Gateway API: so many of each revision's that their share of the
	// endpoints is the step's weight (docs/services.md).
	LabelServing = "ecs.berth.dev/serving"
	// TaintRemoving (NoSchedule) fences a node Berth is about to remove
	// (an idle Fargate node, a managed scale-in, a reclaimed Spot node):
	// no task is placed on it while Berth checks, live, that none runs
	// there; AnnotationRemovingSince is when it was fenced.
	TaintRemoving           = "ecs.berth.dev/removing"
	AnnotationRemovingSince = "ecs.berth.dev/removing-since"
	// FinalizerRevisionInUse keeps a deleted TaskDefinitionRevision
	// (DELETE_IN_PROGRESS) while a Service's deployment or a task uses it:
	// ECS never breaks a running service, and deleting a TaskDefinition (a
	// GitOps prune) deletes its revisions.
	FinalizerRevisionInUse = "ecs.berth.dev/revision-in-use"
	// AnnotationSpecHash is the content hash of a revision's spec.
	AnnotationSpecHash = "ecs.berth.dev/spec-hash"
	// AnnotationRegistration on a TaskDefinitionRevision is the
	// TaskDefinition's spec.registration it was registered for.
	AnnotationRegistration = "ecs.berth.dev/registration"
	// AnnotationTaskDefinitionArn is the task definition ARN a pod runs.
	AnnotationTaskDefinitionArn = "ecs.berth.dev/task-definition-arn"
	// AnnotationTemplateHash is the hash of a translated pod template.
	AnnotationTemplateHash = "ecs.berth.dev/template-hash"
	// AnnotationStartedBy is a service task's startedBy: the id of its
	// deployment (ecs-svc/...).
	AnnotationStartedBy = "ecs.berth.dev/started-by"
	// AnnotationForceNewDeployment, set on a Service to a new value (a
	// timestamp), starts a new deployment of the same task definition, as
	// UpdateService's forceNewDeployment (and kubectl rollout restart) do.
	AnnotationForceNewDeployment = "ecs.berth.dev/force-new-deployment"
	// AnnotationStopDeployment, set on a Service to a deployment's id
	// (ecs-svc/...) or service deployment ARN, is StopServiceDeployment:
	// the deployment, if it is in progress, stops, and rolls back unless
	// AnnotationStopDeploymentType is ABORT.
	AnnotationStopDeployment = "ecs.berth.dev/stop-deployment"
	// AnnotationStopDeploymentType is StopServiceDeployment's stopType:
	// ROLLBACK (the default) or ABORT.
	AnnotationStopDeploymentType = "ecs.berth.dev/stop-deployment-type"
	// AnnotationTags holds the ECS tags propagated to a task (JSON object).
	AnnotationTags = "ecs.berth.dev/tags"
	// AnnotationContainers maps a pod's container names to what the task
	// definition says of them (ECS name, essential, health check start
	// period), as JSON, for the controllers that follow the pod.
	AnnotationContainers = "ecs.berth.dev/containers"
	// AnnotationFargateSize is the Fargate size a task runs as, worded as
	// EKS Fargate's CapacityProvisioned annotation ("0.25vCPU 0.5GB").
	AnnotationFargateSize = "ecs.berth.dev/fargate-size"
	// AnnotationDockerLabels holds the containers' dockerLabels as JSON,
	// container name → label → value.
	AnnotationDockerLabels = "ecs.berth.dev/docker-labels"
	// AnnotationLogConfiguration holds the containers' logConfiguration as
	// JSON, container name → {logDriver, options}, with the awslogs group and
	// stream prefix where log agents can find them.
	AnnotationLogConfiguration = "ecs.berth.dev/log-configuration"
	// AnnotationFirelensConfig holds the FireLens configuration generated
	// for the task; the router container reads it through a downward API
	// volume.
	AnnotationFirelensConfig = "ecs.berth.dev/firelens-config"
	// AnnotationTaskRoleArn is the task role the containers would assume.
	AnnotationTaskRoleArn = "ecs.berth.dev/task-role-arn"
	// AnnotationStopCode and AnnotationStoppedReason, on a pod, are why
	// something other than the task's controller stopped it (a Spot
	// interruption).
	AnnotationStopCode      = "ecs.berth.dev/stop-code"
	AnnotationStoppedReason = "ecs.berth.dev/stopped-reason"
	// LabelStoppedService names the ECS Service of a task its scheduler
	// stopped: the pod is kept (out of its ReplicaSet and the Service's
	// selector, its containers stopped) so that its logs and exit codes
	// stay readable for the stopped-task retention; AnnotationStoppedAt is
	// when it was stopped (RFC 3339) and AnnotationExitCodes the exit codes
	// its containers had then (JSON, container name → code).
	LabelStoppedService = "ecs.berth.dev/stopped-service"
	AnnotationStoppedAt = "ecs.berth.dev/stopped-at"
	AnnotationExitCodes = "ecs.berth.dev/exit-codes"
	// AnnotationSetAlarmState, on a MetricAlarm, is CloudWatch's
	// SetAlarmState in declarative form: OK, ALARM or INSUFFICIENT_DATA,
	// with AnnotationSetAlarmStateReason (the stateReason),
	// AnnotationSetAlarmStateReasonData (the stateReasonData JSON) and
	// AnnotationSetAlarmStateAt (any string, e.g. a timestamp, to set the
	// same state and reason again). Berth applies each distinct set once
	// (status.setAlarmState); the state holds until the next evaluation
	// changes it. docs/alarms.md.
	AnnotationSetAlarmState           = "ecs.berth.dev/set-alarm-state"
	AnnotationSetAlarmStateReason     = "ecs.berth.dev/set-alarm-state-reason"
	AnnotationSetAlarmStateReasonData = "ecs.berth.dev/set-alarm-state-reason-data"
	AnnotationSetAlarmStateAt         = "ecs.berth.dev/set-alarm-state-at"
)
