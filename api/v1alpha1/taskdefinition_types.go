package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TaskDefinitionSpec is ECS's RegisterTaskDefinition input, member for member,
// plus how many revisions Berth keeps ACTIVE.
//
// +kubebuilder:validation:XValidation:rule=`self.containerDefinitions.exists(c, !has(c.essential) || c.essential)`,message="At least one essential container is required: every container has essential: false (essential defaults to true)",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule=`self.containerDefinitions.all(c, self.containerDefinitions.exists_one(d, d.name == c.name))`,message="Container names must be unique within a task definition",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule=`self.containerDefinitions.all(c, !has(c.dependsOn) || (!(c.name in c.dependsOn.map(d, d.containerName)) && c.dependsOn.all(d, d.containerName in self.containerDefinitions.map(e, e.name))))`,message="dependsOn.containerName must name another container of this task definition",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule=`self.containerDefinitions.all(c, !has(c.dependsOn) || c.dependsOn.all(d, !(d.condition in ['COMPLETE', 'SUCCESS']) || !self.containerDefinitions.exists(e, e.name == d.containerName && (!has(e.essential) || e.essential))))`,message="dependsOn condition COMPLETE or SUCCESS cannot be set on an essential container: mark the container it depends on essential: false",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule=`self.containerDefinitions.all(c, !has(c.dependsOn) || c.dependsOn.all(d, d.condition != 'HEALTHY' || !self.containerDefinitions.exists(e, e.name == d.containerName && !has(e.healthCheck))))`,message="dependsOn condition HEALTHY needs a healthCheck on the container it depends on",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule=`!has(self.cpu) || self.cpu.matches('^[0-9]+$|^([0-9]+|[0-9]*[.][0-9]+) *[vV][cC][pP][uU]$') && (self.cpu.matches('^[0-9]+$') ? self.cpu.matches('^0*[0-9]{1,10}$') && int(self.cpu) <= 2147483647 : double(self.cpu.lowerAscii().replace('vcpu', "").trim()) * 1024.0 <= 2147483647.0)`,message="Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide. Use CPU units (\"1024\") or vCPUs (\"1 vCPU\", \".25 vcpu\").",fieldPath=".cpu"
// +kubebuilder:validation:XValidation:rule=`!has(self.memory) || self.memory.matches('^[0-9]+$|^([0-9]+|[0-9]*[.][0-9]+) *[gG][bB]$') && (self.memory.matches('^[0-9]+$') ? self.memory.matches('^0*[0-9]{1,10}$') && int(self.memory) <= 2147483647 : double(self.memory.lowerAscii().replace('gb', "").trim()) * 1024.0 <= 2147483647.0)`,message="Invalid 'memory' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide. Use MiB (\"2048\") or GB (\"2 GB\", \".5 gb\").",fieldPath=".memory"
// +kubebuilder:validation:XValidation:rule=`!has(self.requiresCompatibilities) || !self.requiresCompatibilities.exists(c, c == 'FARGATE') || (has(self.networkMode) && self.networkMode == 'awsvpc')`,message="Fargate only supports network mode 'awsvpc'",fieldPath=".networkMode"
// +kubebuilder:validation:XValidation:rule=`!has(self.requiresCompatibilities) || !self.requiresCompatibilities.exists(c, c == 'FARGATE') || (has(self.cpu) && has(self.memory))`,message="Fargate requires that 'cpu' and 'memory' be defined at the task level"
// +kubebuilder:validation:XValidation:rule=`!has(self.requiresCompatibilities) || !self.requiresCompatibilities.exists(c, c == 'FARGATE') || !has(self.cpu) || !(self.cpu.matches('^[0-9]+$|^([0-9]+|[0-9]*[.][0-9]+) *[vV][cC][pP][uU]$') && (self.cpu.matches('^[0-9]+$') ? self.cpu.matches('^0*[0-9]{1,10}$') && int(self.cpu) <= 2147483647 : double(self.cpu.lowerAscii().replace('vcpu', "").trim()) * 1024.0 <= 2147483647.0)) || (self.cpu.matches('^[0-9]+$') ? int(self.cpu) : int(double(self.cpu.lowerAscii().replace('vcpu', "").trim()) * 1024.0)) in [256, 512, 1024, 2048, 4096, 8192, 16384]`,message="Invalid 'cpu' setting for task: Fargate supports 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units (0.25 to 16 vCPU)",fieldPath=".cpu"
// +kubebuilder:validation:XValidation:rule=`!has(self.requiresCompatibilities) || !self.requiresCompatibilities.exists(c, c == 'FARGATE') || !has(self.cpu) || !has(self.memory) || !(self.cpu.matches('^[0-9]+$|^([0-9]+|[0-9]*[.][0-9]+) *[vV][cC][pP][uU]$') && (self.cpu.matches('^[0-9]+$') ? self.cpu.matches('^0*[0-9]{1,10}$') && int(self.cpu) <= 2147483647 : double(self.cpu.lowerAscii().replace('vcpu', "").trim()) * 1024.0 <= 2147483647.0)) || !(self.memory.matches('^[0-9]+$|^([0-9]+|[0-9]*[.][0-9]+) *[gG][bB]$') && (self.memory.matches('^[0-9]+$') ? self.memory.matches('^0*[0-9]{1,10}$') && int(self.memory) <= 2147483647 : double(self.memory.lowerAscii().replace('gb', "").trim()) * 1024.0 <= 2147483647.0)) || [self.cpu.matches('^[0-9]+$') ? int(self.cpu) : int(double(self.cpu.lowerAscii().replace('vcpu', "").trim()) * 1024.0)].all(c, [self.memory.matches('^[0-9]+$') ? int(self.memory) : int(double(self.memory.lowerAscii().replace('gb', "").trim()) * 1024.0)].all(m, !(c in [256, 512, 1024, 2048, 4096, 8192, 16384]) || (c == 256 && m in [512, 1024, 2048]) || (c == 512 && m >= 1024 && m <= 4096 && m % 1024 == 0) || (c == 1024 && m >= 2048 && m <= 8192 && m % 1024 == 0) || (c == 2048 && m >= 4096 && m <= 16384 && m % 1024 == 0) || (c == 4096 && m >= 8192 && m <= 30720 && m % 1024 == 0) || (c == 8192 && m >= 16384 && m <= 61440 && m % 4096 == 0) || (c == 16384 && m >= 32768 && m <= 122880 && m % 8192 == 0)))`,messageExpression=`'No Fargate configuration exists for given values: ' + self.cpu + ' CPU, ' + self.memory + ' memory'`,fieldPath=".memory"
// +kubebuilder:validation:XValidation:rule=`!has(self.networkMode) || !(self.networkMode in ['awsvpc', 'host']) || self.containerDefinitions.all(c, !has(c.portMappings) || c.portMappings.all(p, !has(p.hostPort) || p.hostPort == 0 || !has(p.containerPort) || p.hostPort == p.containerPort))`,messageExpression=`'When networkMode=' + self.networkMode + ', the host ports and container ports in port mappings must match.'`,fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule=`has(self.memory) || self.containerDefinitions.all(c, has(c.memory) || has(c.memoryReservation))`,message="Invalid setting for container: at least one of 'memory' or 'memoryReservation' must be specified for every container when the task has no task-level memory",fieldPath=".containerDefinitions"
type TaskDefinitionSpec struct {
	RegisterTaskDefinitionInput `json:",inline"`

	// revisionHistoryLimit: how many of the newest revisions stay ACTIVE. Older
	// revisions become INACTIVE, as `aws ecs deregister-task-definition` makes
	// them: running services keep them, new references are refused. Default 10.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`

	// deregisteredRevisions: revisions to deregister, as `aws ecs
	// deregister-task-definition` does: they become INACTIVE, running tasks
	// and services keep them, and new references are refused. A revision
	// once deregistered stays INACTIVE. Changing this list registers no new
	// revision.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=1000
	// +kubebuilder:validation:items:Minimum=1
	DeregisteredRevisions []int32 `json:"deregisteredRevisions,omitempty"`

	// registration: a token the ECS API's RegisterTaskDefinition sets: a new
	// value registers a new revision even when the definition is unchanged,
	// as every ECS RegisterTaskDefinition call does. Manifests leave it
	// unset: an unchanged apply registers nothing.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Registration string `json:"registration,omitempty"`
}

// TaskDefinitionRevisionStatusValue is ECS's task definition status.
// +kubebuilder:validation:Enum=ACTIVE;INACTIVE;DELETE_IN_PROGRESS
type TaskDefinitionRevisionStatusValue string

// Task definition statuses.
const (
	TaskDefinitionActive           TaskDefinitionRevisionStatusValue = "ACTIVE"
	TaskDefinitionInactive         TaskDefinitionRevisionStatusValue = "INACTIVE"
	TaskDefinitionDeleteInProgress TaskDefinitionRevisionStatusValue = "DELETE_IN_PROGRESS"
)

// FidelityLevel is how faithfully Berth honours a field.
// +kubebuilder:validation:Enum=Approximated;Unsupported
type FidelityLevel string

// Fidelity levels of a field note.
const (
	FidelityApproximated FidelityLevel = "Approximated"
	FidelityUnsupported  FidelityLevel = "Unsupported"
)

// FieldNote is a member of a spec that Berth does not honour
// exactly (docs/compatibility.md and docs/compatibility/ list every member).
type FieldNote struct {
	// path: the field, with list indexes (containerDefinitions[0].ulimits).
	// +required
	// +kubebuilder:validation:MaxLength=512
	Path string `json:"path"`

	// level: Approximated (it has an effect, with a documented difference)
	// or Unsupported (stored, without effect).
	// +required
	Level FidelityLevel `json:"level"`

	// message: what Berth does instead, and why.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message"`
}

// TaskDefinitionStatus is what DescribeTaskDefinition shows of the latest
// revision, plus Kubernetes conditions.
type TaskDefinitionStatus struct {
	// conditions: Ready is True when the current spec is registered as a revision.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration: the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// revision: the revision the current spec is registered as (ECS `revision`).
	// +optional
	Revision int32 `json:"revision,omitempty"`

	// taskDefinitionArn: the ARN-like identifier of that revision,
	// arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`

	// latestRevisionName: the TaskDefinitionRevision object of that revision.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	LatestRevisionName string `json:"latestRevisionName,omitempty"`

	// activeRevisions: how many revisions of the family are ACTIVE.
	// +optional
	ActiveRevisions int32 `json:"activeRevisions,omitempty"`

	// cpu: the latest revision's task cpu as ECS registers and describes it,
	// in CPU units: "256" for ".25 vCPU". The spec keeps the form it was
	// written in, so that a GitOps tool sees no difference.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Cpu string `json:"cpu,omitempty"`

	// memory: the latest revision's task memory as ECS registers and
	// describes it, in MiB: "512" for ".5 GB".
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Memory string `json:"memory,omitempty"`

	// fieldNotes: the fields of the latest revision that Berth approximates
	// or does not support, so that none is dropped silently.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	FieldNotes []FieldNote `json:"fieldNotes,omitempty"`

	// podSecurity: the Pod Security Standards level the pods of the current
	// spec meet (docs/podsecurity.md). Unset while the spec cannot be
	// translated into a pod.
	// +optional
	PodSecurity *PodSecurity `json:"podSecurity,omitempty"`
}

// PodSecurityLevel is a Pod Security Standards level.
// +kubebuilder:validation:Enum=privileged;baseline;restricted
type PodSecurityLevel string

// PodSecurity is the Pod Security Standards level a task definition's pods
// meet, as Kubernetes's Pod Security admission evaluates them.
type PodSecurity struct {
	// level: the most restrictive level the pods meet, with the checks of
	// Pod Security admission at their latest version: restricted,
	// baseline or privileged.
	// +required
	Level PodSecurityLevel `json:"level"`

	// reasons: why the pods do not meet the next level up, one per failed
	// check, as Pod Security admission words them, in its order. Empty at
	// restricted.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=2048
	Reasons []string `json:"reasons,omitempty"`
}

// TaskDefinition is an ECS task definition family. Its spec is
// RegisterTaskDefinition's input and stays editable, as a Deployment's does;
// every distinct spec it has had is registered as an immutable
// TaskDefinitionRevision numbered 1, 2, 3, ...
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=td;taskdef,categories=ecs
// +kubebuilder:printcolumn:name="Family",type=string,JSONPath=`.spec.family`
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.status.revision`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="ARN",type=string,JSONPath=`.status.taskDefinitionArn`,priority=1
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 240",message="metadata.name must be at most 240 characters, so that revision names fit"
type TaskDefinition struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec: RegisterTaskDefinition's input.
	// +required
	Spec TaskDefinitionSpec `json:"spec"`

	// status: the latest revision and conditions.
	// +optional
	Status TaskDefinitionStatus `json:"status,omitempty"`
}

// TaskDefinitionList is a list of TaskDefinitions.
//
// +kubebuilder:object:root=true
type TaskDefinitionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TaskDefinition `json:"items"`
}

// TaskDefinitionRevisionSpec is one registered revision: the family's spec
// at the time, frozen.
type TaskDefinitionRevisionSpec struct {
	RegisterTaskDefinitionInput `json:",inline"`

	// revision: the revision number, from 1, +1 per registration (ECS `revision`).
	// +required
	// +kubebuilder:validation:Minimum=1
	Revision int32 `json:"revision"`
}

// TaskDefinitionRevisionStatus is the revision's ECS status.
type TaskDefinitionRevisionStatus struct {
	// conditions: Ready is True while the revision is ACTIVE.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration: the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// status: ACTIVE or INACTIVE (ECS `status`).
	// +optional
	Status TaskDefinitionRevisionStatusValue `json:"status,omitempty"`

	// taskDefinitionArn: arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`

	// deregisteredAt: when the revision became INACTIVE.
	// +optional
	DeregisteredAt *metav1.Time `json:"deregisteredAt,omitempty"`

	// cpu: the task cpu as ECS registers and describes it, in CPU units:
	// "256" for ".25 vCPU". The spec keeps the form it was written in.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Cpu string `json:"cpu,omitempty"`

	// memory: the task memory as ECS registers and describes it, in MiB:
	// "512" for ".5 GB".
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Memory string `json:"memory,omitempty"`

	// fieldNotes: the fields of this revision that Berth approximates or does
	// not support, so that none is dropped silently.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	FieldNotes []FieldNote `json:"fieldNotes,omitempty"`
}

// TaskDefinitionRevision is one immutable revision of a task definition
// family, created by Berth from the TaskDefinition's spec. Its spec never
// changes: edit the TaskDefinition to register a new revision.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tdrev,categories=ecs
// +kubebuilder:printcolumn:name="Family",type=string,JSONPath=`.spec.family`
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.spec.revision`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="CPU",type=string,JSONPath=`.status.cpu`,priority=1
// +kubebuilder:printcolumn:name="Memory",type=string,JSONPath=`.status.memory`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.spec == oldSelf.spec",message="Task definition revisions are immutable: edit the TaskDefinition to register a new revision"
type TaskDefinitionRevision struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec: the registered task definition.
	// +required
	Spec TaskDefinitionRevisionSpec `json:"spec"`

	// status: ACTIVE or INACTIVE.
	// +optional
	Status TaskDefinitionRevisionStatus `json:"status,omitempty"`
}

// TaskDefinitionRevisionList is a list of TaskDefinitionRevisions.
//
// +kubebuilder:object:root=true
type TaskDefinitionRevisionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TaskDefinitionRevision `json:"items"`
}
