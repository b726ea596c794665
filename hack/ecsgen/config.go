package main

// root is a request shape whose members become (part of) a Berth spec.
type root struct{ shape string }

// roots are the ECS request shapes Berth's kinds accept; everything reachable
// from them is generated.
var roots = []root{
	{"RegisterTaskDefinitionRequest"},
	{"CreateServiceRequest"},
	{"RunTaskRequest"},
	{"CreateClusterRequest"},
	{"CreateCapacityProviderRequest"},
}

// renames gives request shapes the names the AWS SDK for Go v2 uses; they are
// embedded inline in the hand-written specs.
var renames = map[string]string{
	"RegisterTaskDefinitionRequest": "RegisterTaskDefinitionInput",
	"CreateServiceRequest":          "CreateServiceInput",
	"RunTaskRequest":                "RunTaskInput",
	"CreateClusterRequest":          "CreateClusterInput",
	"CreateCapacityProviderRequest": "CreateCapacityProviderInput",
}

// skipMembers are members a Kubernetes object replaces. Each is listed, with
// the reason, in docs/api.md, and the schema-coverage test knows them.
var skipMembers = map[string]bool{
	// One Task object is one task; run N tasks by creating N objects.
	"RunTaskRequest.count": true,
}

// extraRequired are members ECS rejects when absent although the model does
// not mark them required.
var extraRequired = map[string][]string{
	"ContainerDefinition": {"name", "image"},
}

// notRequired are members the model requires that Berth defaults from the
// Kubernetes object (metadata.name) or that have no meaning off AWS.
var notRequired = map[string][]string{
	"CreateServiceRequest":          {"serviceName"},
	"CreateCapacityProviderRequest": {"name"},
	"AutoScalingGroupProvider":      {"autoScalingGroupArn"},
}

// defaultMaxItems bounds every list the model leaves unbounded, so that CEL
// cost estimation accepts the rules that walk them.
const defaultMaxItems = 100

// defaultMaxProperties bounds every map.
const defaultMaxProperties = 256

// listBounds are ECS's own limits for lists, where they are known.
var listBounds = map[string]int{
	// "Container definitions per task definition: 10" (ECS service quota, not adjustable).
	"RegisterTaskDefinitionRequest.containerDefinitions":    10,
	"RegisterTaskDefinitionRequest.placementConstraints":    10,
	"RegisterTaskDefinitionRequest.requiresCompatibilities": 4,
	"ContainerDefinition.dependsOn":                         10,
	"ContainerDefinition.environment":                       1000,
	"ContainerDefinition.secrets":                           1000,
	"ContainerOverride.environment":                         1000,
	"CreateServiceRequest.capacityProviderStrategy":         20,
	"RunTaskRequest.capacityProviderStrategy":               20,
	"CreateClusterRequest.defaultCapacityProviderStrategy":  20,
	// "Capacity providers per cluster: 20" (ECS service quota).
	"CreateClusterRequest.capacityProviders":    20,
	"CreateServiceRequest.placementConstraints": 10,
	"CreateServiceRequest.placementStrategy":    5,
	"RunTaskRequest.placementConstraints":       10,
	"RunTaskRequest.placementStrategy":          5,
	"CreateServiceRequest.loadBalancers":        5,
}

// familyPattern is ECS's rule for family and container names: "Up to 255
// letters (uppercase and lowercase), numbers, underscores, and hyphens".
const familyPattern = `+kubebuilder:validation:Pattern=` + "`" + `^[a-zA-Z0-9_-]+$` + "`"

// memberMarkers are extra markers for single members.
var memberMarkers = map[string][]string{
	"RegisterTaskDefinitionRequest.family": {"+kubebuilder:validation:MinLength=1", "+kubebuilder:validation:MaxLength=255", familyPattern},
	"RegisterTaskDefinitionRequest.cpu":    {"+kubebuilder:validation:MaxLength=32"},
	"RegisterTaskDefinitionRequest.memory": {"+kubebuilder:validation:MaxLength=32"},
	"ContainerDefinition.name":             {"+kubebuilder:validation:MinLength=1", "+kubebuilder:validation:MaxLength=255", familyPattern},
	"ContainerDefinition.image":            {"+kubebuilder:validation:MinLength=1", "+kubebuilder:validation:MaxLength=1024"},
	"ContainerDependency.containerName":    {"+kubebuilder:validation:MaxLength=255"},
	"CreateServiceRequest.serviceName":     {"+kubebuilder:validation:MaxLength=255", familyPattern},
	"CreateServiceRequest.taskDefinition":  {"+kubebuilder:validation:MaxLength=1024"},
	"CreateServiceRequest.cluster":         {"+kubebuilder:validation:MaxLength=1024"},
	"RunTaskRequest.taskDefinition":        {"+kubebuilder:validation:MinLength=1", "+kubebuilder:validation:MaxLength=1024"},
	"RunTaskRequest.cluster":               {"+kubebuilder:validation:MaxLength=1024"},
	"CreateClusterRequest.clusterName":     {"+kubebuilder:validation:MaxLength=255", familyPattern},
	"CreateCapacityProviderRequest.name":   {"+kubebuilder:validation:MaxLength=255"},
	// A capacity provider's name is at most 255 characters (CreateCapacityProvider).
	"CreateClusterRequest.capacityProviders":        {"+kubebuilder:validation:items:MaxLength=255"},
	"CapacityProviderStrategyItem.capacityProvider": {"+kubebuilder:validation:MinLength=1", "+kubebuilder:validation:MaxLength=255"},
	"ContainerDefinition.essential":                 {},
}

// typeMarkers are extra type-level markers (CEL rules that concern one shape).
var typeMarkers = map[string][]string{}
