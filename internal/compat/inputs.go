package compat

// Input is one AWS API input a kind's spec holds, with its table.
type Input struct {
	// Operation is the API operation (CreateService).
	Operation string
	// Model is the API model, under models/ (ecs/service-2.json).
	Model string
	// Shape is the operation's input shape in the model.
	Shape string
	// Kind is the Berth kind whose spec holds the input.
	Kind string
	// Where says where in the kind's spec the input is ("" for the whole
	// spec).
	Where string
	// Table is how Berth honours each member.
	Table Table
	// Berth lists Berth's own members beside the input's, where the input
	// is (a CapacityProvider's type and nodePool): the walk leaves them
	// out, the document names them.
	Berth []string
}

// Doc is the input's generated compatibility document, relative to the
// repository's docs/ (compatibility/create-service.md).
func (in Input) Doc() string {
	return "compatibility/" + kebab(in.Operation) + ".md"
}

// Inputs lists the inputs with a table here (RegisterTaskDefinition's is
// internal/translate's Compatibility, docs/compatibility.md).
var Inputs = []Input{
	{Operation: "CreateService", Model: "ecs/service-2.json", Shape: "CreateServiceRequest", Kind: "Service", Table: CreateService},
	{Operation: "CreateCluster", Model: "ecs/service-2.json", Shape: "CreateClusterRequest", Kind: "Cluster", Table: CreateCluster},
	{Operation: "CreateCapacityProvider", Model: "ecs/service-2.json", Shape: "CreateCapacityProviderRequest", Kind: "CapacityProvider",
		Table: CreateCapacityProvider, Berth: []string{"type", "nodePool"}},
	{Operation: "RunTask", Model: "ecs/service-2.json", Shape: "RunTaskRequest", Kind: "Task", Table: RunTask, Berth: []string{"desiredStatus", "stopReason"}},
	{Operation: "RegisterScalableTarget", Model: "application-autoscaling/service-2.json", Shape: "RegisterScalableTargetRequest", Kind: "ScalableTarget",
		Table: RegisterScalableTarget, Berth: []string{"scalingPolicies", "scheduledActions"}},
	{Operation: "PutScalingPolicy", Model: "application-autoscaling/service-2.json", Shape: "PutScalingPolicyRequest", Kind: "ScalableTarget",
		Where: "scalingPolicies[]", Table: PutScalingPolicy, Berth: []string{"alarms"}},
	{Operation: "PutScheduledAction", Model: "application-autoscaling/service-2.json", Shape: "PutScheduledActionRequest", Kind: "ScalableTarget",
		Where: "scheduledActions[]", Table: PutScheduledAction},
}

func kebab(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b = append(b, '-')
			}
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}
