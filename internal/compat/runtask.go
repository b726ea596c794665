package compat

import (
	"fmt"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// RunTask is how Berth honours each member of RunTask's input, a Task's
// spec (beside Berth's own desiredStatus and stopReason, StopTask's).
var RunTask = Table{
	"taskDefinition":       E("the TaskDefinitionRevision it names (family, family:revision or ARN); the latest ACTIVE revision for a family, resolved when the task starts"),
	"cluster":              E("the Cluster of that name in the namespace (default: default)"),
	"count":                E("not in the spec: one Task object is one task; RunTask at the ECS API endpoint creates count Tasks (1 to 10)"),
	"clientToken":          E("RunTask's idempotency token at the ECS API endpoint: a repeated call answers with the tasks it started; stored on the Task"),
	"group":                E("the task group (default family:<family>): status.group, and the pod label task:group placement constraints select"),
	"startedBy":            E("status.startedBy; ListTasks filters by it"),
	"referenceId":          U("stored without effect: ECS reserves it for its own use"),
	"tags":                 E("stored; DescribeTasks (include TAGS) and ListTagsForResource show them"),
	"tags[].key":           E("stored"),
	"tags[].value":         E("stored"),
	"propagateTags":        E("NONE: no tags are propagated, as without it; TASK_DEFINITION and SERVICE are reported"),
	"enableECSManagedTags": E("false: no managed tags, as without it; true is reported"),
	"enableExecuteCommand": A("shown by DescribeTasks; kubectl exec into the task's pod is RBAC's decision (pods/exec), not this flag's"),
	"platformVersion":      U("Fargate platform versions do not exist here: Fargate-style pools run on the cluster's Kubernetes"),

	"launchType": E("FARGATE: the FARGATE capacity provider's pool; EC2: the pools of the cluster's EC2_AUTOSCALING providers; EXTERNAL and MANAGED_INSTANCES are reported"),
	"capacityProviderStrategy": E("the pool of the strategy's provider; a strategy of several providers is reported " +
		"(base and weight split several tasks, and a Task is one)"),
	"capacityProviderStrategy[].capacityProvider": E("the CapacityProvider of that name, associated with the cluster"),
	"capacityProviderStrategy[].base":             E("the tasks the provider gets first (see capacityProviderStrategy)"),
	"capacityProviderStrategy[].weight":           E("the provider's share of the tasks beyond the bases (see capacityProviderStrategy)"),

	"placementConstraints":              E("distinctInstance → pod anti-affinity on the node against the task's group; memberOf → node and pod affinity (docs/capacity.md)"),
	"placementConstraints[].type":       E("distinctInstance or memberOf"),
	"placementConstraints[].expression": E("the cluster query language; =~ and wildcard patterns match the values the pools' nodes have when the task is placed; agentConnected, agentVersion, registeredAt and runningTasksCount are refused"),
	"placementStrategy":                 E("spread → topology spread constraints over the task's group; binpack and random → scheduler profiles (docs/capacity.md)"),
	"placementStrategy[].type":          E("spread, binpack or random"),
	"placementStrategy[].field":         E("spread: instanceId, host or attribute:<name>; binpack: cpu or memory"),

	"networkConfiguration":                                    A("awsvpc: the task has its own IP on the pod network; see the members"),
	"networkConfiguration.awsvpcConfiguration":                A("see its members"),
	"networkConfiguration.awsvpcConfiguration.subnets":        U("the task gets its address from the pod network, not from subnets"),
	"networkConfiguration.awsvpcConfiguration.securityGroups": U("not applied: write NetworkPolicies for the task's labels"),
	"networkConfiguration.awsvpcConfiguration.assignPublicIp": U("the task has a pod network address only"),

	"overrides": E("the task runs its task definition with the overrides applied as ECS applies them; " +
		"a container the definition does not have keeps the task from starting, as ECS refuses it"),
	"overrides.cpu":                                        E("replaces the task's cpu: pod-level requests = limits; on Fargate capacity, rounded up to a Fargate size"),
	"overrides.memory":                                     E("replaces the task's memory: pod-level requests = limits; on Fargate capacity, rounded up to a Fargate size"),
	"overrides.ephemeralStorage":                           A("replaces the task definition's: an ephemeral-storage request and limit on the first essential container (Kubernetes limits it per container)"),
	"overrides.ephemeralStorage.sizeInGiB":                 A("see ephemeralStorage"),
	"overrides.taskRoleArn":                                A("replaces the task definition's: recorded in the pod annotation ecs.berth.dev/task-role-arn; no AWS credentials are given to the containers"),
	"overrides.executionRoleArn":                           A("not needed: the kubelet pulls images (imagePullSecrets) and reads Secrets with its own identity"),
	"overrides.inferenceAcceleratorOverrides":              U("refused: the task does not start (InvalidTaskDefinition), Elastic Inference being retired by AWS"),
	"overrides.inferenceAcceleratorOverrides[].deviceName": U("see inferenceAcceleratorOverrides"),
	"overrides.inferenceAcceleratorOverrides[].deviceType": U("see inferenceAcceleratorOverrides"),

	"overrides.containerOverrides":                                E("see its members"),
	"overrides.containerOverrides[].name":                         E("the container overridden (one the task definition has)"),
	"overrides.containerOverrides[].command":                      E("replaces the container's command (args)"),
	"overrides.containerOverrides[].environment":                  E("variables replace those of the same name and are added otherwise"),
	"overrides.containerOverrides[].environment[].name":           E("env[].name"),
	"overrides.containerOverrides[].environment[].value":          E("env[].value"),
	"overrides.containerOverrides[].environmentFiles":             A("added to the container's: envFrom a ConfigMap named after the S3 object, as the task definition's (docs/secrets.md)"),
	"overrides.containerOverrides[].environmentFiles[].type":      E("s3 is the only type"),
	"overrides.containerOverrides[].environmentFiles[].value":     A("the S3 object ARN names the ConfigMap"),
	"overrides.containerOverrides[].cpu":                          E("replaces the container's cpu: resources.requests.cpu"),
	"overrides.containerOverrides[].memory":                       E("replaces the container's memory: resources.limits.memory"),
	"overrides.containerOverrides[].memoryReservation":            E("replaces the container's memoryReservation: resources.requests.memory"),
	"overrides.containerOverrides[].resourceRequirements":         E("replace the container's: GPU → the extended resource nvidia.com/gpu; InferenceAccelerator is reported"),
	"overrides.containerOverrides[].resourceRequirements[].type":  E("GPU → nvidia.com/gpu"),
	"overrides.containerOverrides[].resourceRequirements[].value": E("the quantity"),

	"volumeConfigurations": U("Amazon EBS volumes are not provisioned per task: a task definition volume configuredAtLaunch uses the PersistentVolumeClaim named after it"),
}

func init() {
	for _, m := range taskEBSMembers {
		RunTask["volumeConfigurations[]."+m] = U("see volumeConfigurations")
	}
}

// taskEBSMembers are the members below volumeConfigurations[], none of
// which is applied.
var taskEBSMembers = []string{
	"name",
	"managedEBSVolume",
	"managedEBSVolume.encrypted",
	"managedEBSVolume.filesystemType",
	"managedEBSVolume.iops",
	"managedEBSVolume.kmsKeyId",
	"managedEBSVolume.roleArn",
	"managedEBSVolume.sizeInGiB",
	"managedEBSVolume.snapshotId",
	"managedEBSVolume.tagSpecifications",
	"managedEBSVolume.tagSpecifications[].propagateTags",
	"managedEBSVolume.tagSpecifications[].resourceType",
	"managedEBSVolume.tagSpecifications[].tags",
	"managedEBSVolume.tagSpecifications[].tags[].key",
	"managedEBSVolume.tagSpecifications[].tags[].value",
	"managedEBSVolume.terminationPolicy",
	"managedEBSVolume.terminationPolicy.deleteOnTermination",
	"managedEBSVolume.throughput",
	"managedEBSVolume.volumeInitializationRate",
	"managedEBSVolume.volumeType",
}

// TaskLayout is a Task's spec: RunTask's input (desiredStatus and
// stopReason are Berth's, outside the table).
var TaskLayout = Layout{Root: RunTask}

// TaskNotes are the notes of a Task's spec: the members whose fidelity
// depends on their value, then every other member set that is not exact.
func TaskNotes(spec *ecsv1alpha1.TaskSpec) []Note {
	var own []Note
	switch lt := spec.LaunchType; lt {
	case ecsv1alpha1.LaunchTypeExternal, ecsv1alpha1.LaunchTypeManagedInstances:
		own = append(own, Note{Path: "launchType", Level: Unsupported,
			Message: string(lt) + " is not supported: the task does not start (Stalled); use FARGATE, EC2 or a capacity provider strategy"})
	}
	if n := len(spec.CapacityProviderStrategy); n > 1 {
		own = append(own, Note{Path: "capacityProviderStrategy", Level: Approximated,
			Message: fmt.Sprintf("the task may run on the pool of any of the %d providers (the scheduler picks): base and weight split several tasks, and a Task is one", n)})
	}
	switch spec.PropagateTags {
	case ecsv1alpha1.PropagateTagsTaskDefinition:
		own = append(own, Note{Path: "propagateTags", Level: Unsupported,
			Message: "TASK_DEFINITION: the task definition's tags are not copied to the task"})
	case ecsv1alpha1.PropagateTagsService:
		own = append(own, Note{Path: "propagateTags", Level: Unsupported,
			Message: "SERVICE: a standalone task has no service (ECS refuses it for RunTask); stored without effect"})
	}
	if spec.EnableECSManagedTags != nil && *spec.EnableECSManagedTags {
		own = append(own, Note{Path: "enableECSManagedTags", Level: Unsupported,
			Message: "true: the managed tag aws:ecs:clusterName is not added to standalone tasks"})
	}
	if o := spec.Overrides; o != nil {
		for i, co := range o.ContainerOverrides {
			for j, rr := range co.ResourceRequirements {
				if rr.Type != ecsv1alpha1.ResourceTypeGpu {
					own = append(own, Note{Path: fmt.Sprintf("overrides.containerOverrides[%d].resourceRequirements[%d]", i, j), Level: Unsupported,
						Message: fmt.Sprintf("resource type %s (Elastic Inference) is no longer available in ECS and has no Kubernetes equivalent: not applied", rr.Type)})
				}
			}
		}
	}
	return TaskLayout.Report(spec, own)
}
