package v1alpha1

import (
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The validation suite creates valid and invalid Berth objects through a
// real kube-apiserver with the generated CRDs installed, and checks each
// rejection's field path and message: the OpenAPI schema and CEL rules are
// Berth's first line of ECS validation.

// createCase is one object to create and the expected outcome: accepted when
// want is empty, else rejected as Invalid with exactly those causes.
type createCase struct {
	name string
	kind string
	// objName is metadata.name; default: <prefix>-<kind>-<case index>.
	objName string
	spec    string
	want    []cause
}

func objectName(c createCase, i int) string {
	if c.objName != "" {
		return c.objName
	}
	return fmt.Sprintf("%s-%d", strings.ToLower(c.kind), i)
}

func runCreateCases(t *testing.T, prefix string, cases []createCase) {
	t.Helper()
	c, _ := testEnv(t)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := validationNamespace
			if tc.kind == "CapacityProvider" {
				ns = ""
			}
			name := objectName(tc, i)
			if tc.objName == "" {
				name = prefix + "-" + name
			}
			obj := newObject(t, tc.kind, ns, name, tc.spec)
			err := c.Create(testContext(t), obj)
			if err == nil {
				deleteAfter(t, c, obj)
			}
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("expected the object to be accepted, got: %v", err)
				}
				return
			}
			expectCauses(t, err, tc.want...)
		})
	}
}

// invalidValue is how the API server words a failed schema check on value.
func invalidValue(value, msg string) string { return fmt.Sprintf("Invalid value: %s: %s", value, msg) }

// rule is how the API server words a failed CEL rule (x-kubernetes-validations).
func rule(msg string) string { return "Invalid value: " + msg }

// rulesSkipped is the cause the API server adds when a schema error (a
// missing required field, a bad enum value, too many items) kept it from
// evaluating the CEL rules.
var rulesSkipped = cause{"<nil>", `Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`}

const minimalContainer = `
  - name: app
    image: public.ecr.aws/nginx/nginx:latest
    memoryReservation: 64`

// ECS's messages for a task cpu or memory it cannot read, then the forms
// Berth accepts (internal/translate's ErrTaskCPUMessage and TaskCPUHint; a
// test there checks that the rules say so).
const (
	cpuMessage    = `Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide. Use CPU units ("1024") or vCPUs ("1 vCPU", ".25 vcpu").`
	memoryMessage = `Invalid 'memory' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide. Use MiB ("2048") or GB ("2 GB", ".5 gb").`
)

func TestValidationTaskDefinition(t *testing.T) {
	fargate := func(cpu, memory, networkMode string) string {
		return fmt.Sprintf(`
family: web
requiresCompatibilities: [FARGATE]
networkMode: %s
cpu: %q
memory: %q
containerDefinitions:`+minimalContainer, networkMode, cpu, memory)
	}
	elevenContainers := "family: big\ncontainerDefinitions:\n"
	for i := range 11 {
		elevenContainers += fmt.Sprintf("  - {name: c%d, image: busybox, memoryReservation: 64}\n", i)
	}

	runCreateCases(t, "td", []createCase{
		{name: "valid minimal", kind: "TaskDefinition", spec: `
family: minimal
containerDefinitions:` + minimalContainer},
		{name: "container memory or task memory required", kind: "TaskDefinition", spec: `
family: nomem
containerDefinitions:
  - {name: app, image: busybox}`, want: []cause{
			{"spec.containerDefinitions", rule("Invalid setting for container: at least one of 'memory' or 'memoryReservation' must be specified for every container when the task has no task-level memory")},
		}},
		{name: "valid Fargate 256/512", kind: "TaskDefinition", spec: fargate("256", "512", "awsvpc")},
		{name: "valid Fargate 1 vCPU/2 GB", kind: "TaskDefinition", spec: fargate("1 vCPU", "2 GB", "awsvpc")},
		{name: "valid Fargate 0.25 vCPU/0.5 GB", kind: "TaskDefinition", spec: fargate("0.25 vCPU", "0.5 GB", "awsvpc")},
		{name: "valid Fargate 16384/122880", kind: "TaskDefinition", spec: fargate("16384", "122880", "awsvpc")},
		{name: "valid EC2 with any cpu", kind: "TaskDefinition", spec: `
family: ec2
requiresCompatibilities: [EC2]
networkMode: bridge
cpu: "300"
memory: "700"
containerDefinitions:` + minimalContainer},
		{name: "Fargate cpu not in the table", kind: "TaskDefinition", spec: fargate("300", "512", "awsvpc"), want: []cause{
			{"spec.cpu", rule("Invalid 'cpu' setting for task: Fargate supports 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units (0.25 to 16 vCPU)")},
		}},
		{name: "Fargate cpu/memory pair not in the table", kind: "TaskDefinition", spec: fargate("256", "4096", "awsvpc"), want: []cause{
			{"spec.memory", rule("No Fargate configuration exists for given values: 256 CPU, 4096 memory")},
		}},
		{name: "Fargate with bridge network mode", kind: "TaskDefinition", spec: fargate("256", "512", "bridge"), want: []cause{
			{"spec.networkMode", rule("Fargate only supports network mode 'awsvpc'")},
		}},
		{name: "Fargate without network mode", kind: "TaskDefinition", spec: `
family: web
requiresCompatibilities: [FARGATE]
cpu: "256"
memory: "512"
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec.networkMode", rule("Fargate only supports network mode 'awsvpc'")},
		}},
		{name: "Fargate without cpu", kind: "TaskDefinition", spec: `
family: web
requiresCompatibilities: [FARGATE]
networkMode: awsvpc
memory: "512"
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec", rule("Fargate requires that 'cpu' and 'memory' be defined at the task level")},
		}},
		{name: "cpu not a number", kind: "TaskDefinition", spec: `
family: web
cpu: "lots"
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec.cpu", rule(cpuMessage)},
		}},
		// Every form ECS documents (RegisterTaskDefinition's cpu and memory,
		// Fargate's task size table), in any case, with or without a space.
		{name: "valid Fargate .25 vcpu/.5 gb", kind: "TaskDefinition", spec: fargate(".25 vcpu", ".5 gb", "awsvpc")},
		{name: "valid Fargate .5 vCPU/1GB", kind: "TaskDefinition", spec: fargate(".5 vCPU", "1GB", "awsvpc")},
		{name: "valid Fargate 1vcpu/2 gb", kind: "TaskDefinition", spec: fargate("1vcpu", "2 gb", "awsvpc")},
		{name: "valid Fargate 2 VCPU/4 Gb", kind: "TaskDefinition", spec: fargate("2 VCPU", "4 Gb", "awsvpc")},
		{name: "Fargate .25 vcpu with 4 GB", kind: "TaskDefinition", spec: fargate(".25 vcpu", "4 GB", "awsvpc"), want: []cause{
			{"spec.memory", rule("No Fargate configuration exists for given values: .25 vcpu CPU, 4 GB memory")},
		}},
		{name: "Fargate .3 vcpu not in the table", kind: "TaskDefinition", spec: fargate(".3 vcpu", "1 GB", "awsvpc"), want: []cause{
			{"spec.cpu", rule("Invalid 'cpu' setting for task: Fargate supports 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units (0.25 to 16 vCPU)")},
		}},
		{name: "cpu in cores", kind: "TaskDefinition", spec: `
family: web
cpu: "1 cpu"
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec.cpu", rule(cpuMessage)},
		}},
		{name: "cpu with a leading space", kind: "TaskDefinition", spec: `
family: web
cpu: " 256"
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec.cpu", rule(cpuMessage)},
		}},
		{name: "memory in MiB with a unit", kind: "TaskDefinition", spec: `
family: web
memory: "512 MiB"
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec.memory", rule(memoryMessage)},
		}},
		{name: "memory with a dot and no digits", kind: "TaskDefinition", spec: `
family: web
memory: ". gb"
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec.memory", rule(memoryMessage)},
		}},
		{name: "no essential container", kind: "TaskDefinition", spec: `
family: web
containerDefinitions:
  - {name: a, image: busybox, essential: false, memoryReservation: 64}
  - {name: b, image: busybox, essential: false, memoryReservation: 64}`, want: []cause{
			{"spec.containerDefinitions", rule("At least one essential container is required: every container has essential: false (essential defaults to true)")},
		}},
		{name: "one essential container of two", kind: "TaskDefinition", spec: `
family: web
containerDefinitions:
  - {name: a, image: busybox, essential: false, memoryReservation: 64}
  - {name: b, image: busybox, essential: true, memoryReservation: 64}`},
		{name: "duplicate container names", kind: "TaskDefinition", spec: `
family: web
containerDefinitions:
  - {name: app, image: busybox, memoryReservation: 64}
  - {name: app, image: nginx, memoryReservation: 64}`, want: []cause{
			{"spec.containerDefinitions", rule("Container names must be unique within a task definition")},
		}},
		{name: "dependsOn a missing container", kind: "TaskDefinition", spec: `
family: web
containerDefinitions:
  - name: app
    image: busybox
    memoryReservation: 64
    dependsOn: [{containerName: init, condition: COMPLETE}]`, want: []cause{
			{"spec.containerDefinitions", rule("dependsOn.containerName must name another container of this task definition")},
		}},
		{name: "dependsOn itself", kind: "TaskDefinition", spec: `
family: web
containerDefinitions:
  - name: app
    image: busybox
    memoryReservation: 64
    dependsOn: [{containerName: app, condition: START}]`, want: []cause{
			{"spec.containerDefinitions", rule("dependsOn.containerName must name another container of this task definition")},
		}},
		{name: "dependsOn another container", kind: "TaskDefinition", spec: `
family: web
containerDefinitions:
  - {name: init, image: busybox, essential: false, memoryReservation: 64}
  - name: app
    image: busybox
    memoryReservation: 64
    dependsOn: [{containerName: init, condition: SUCCESS}]`},
		{name: "SUCCESS on an essential container", kind: "TaskDefinition", spec: `
family: web
containerDefinitions:
  - {name: init, image: busybox, memoryReservation: 64}
  - name: app
    image: busybox
    memoryReservation: 64
    dependsOn: [{containerName: init, condition: SUCCESS}]`, want: []cause{
			{"spec.containerDefinitions", rule("dependsOn condition COMPLETE or SUCCESS cannot be set on an essential container: mark the container it depends on essential: false")},
		}},
		{name: "HEALTHY on a container without healthCheck", kind: "TaskDefinition", spec: `
family: web
containerDefinitions:
  - {name: envoy, image: envoy, memoryReservation: 64}
  - name: app
    image: busybox
    memoryReservation: 64
    dependsOn: [{containerName: envoy, condition: HEALTHY}]`, want: []cause{
			{"spec.containerDefinitions", rule("dependsOn condition HEALTHY needs a healthCheck on the container it depends on")},
		}},
		{name: "HEALTHY on a container with a healthCheck", kind: "TaskDefinition", spec: `
family: web
containerDefinitions:
  - {name: envoy, image: envoy, memoryReservation: 64, healthCheck: {command: [CMD, "true"]}}
  - name: app
    image: busybox
    memoryReservation: 64
    dependsOn: [{containerName: envoy, condition: HEALTHY}]`},
		{name: "family with illegal characters", kind: "TaskDefinition", spec: `
family: "my family!"
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec.family", invalidValue(`"my family!"`, "spec.family in body should match '^[a-zA-Z0-9_-]+$'")},
		}},
		{name: "container without image", kind: "TaskDefinition", spec: `
family: web
containerDefinitions:
  - name: app`, want: []cause{
			{"spec.containerDefinitions[0].image", "Required value"}, rulesSkipped,
		}},
		{name: "bad networkMode enum", kind: "TaskDefinition", spec: `
family: web
networkMode: foo
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec.networkMode", `Unsupported value: "foo": supported values: "bridge", "host", "awsvpc", "none"`}, rulesSkipped,
		}},
		{name: "awsvpc hostPort differs from containerPort", kind: "TaskDefinition", spec: `
family: web
networkMode: awsvpc
containerDefinitions:
  - name: app
    image: kibana
    memoryReservation: 64
    portMappings: [{containerPort: 5601, hostPort: 80}]`, want: []cause{
			{"spec.containerDefinitions", rule("When networkMode=awsvpc, the host ports and container ports in port mappings must match.")},
		}},
		{name: "host hostPort differs from containerPort", kind: "TaskDefinition", spec: `
family: web
networkMode: host
containerDefinitions:
  - name: app
    image: kibana
    memoryReservation: 64
    portMappings: [{containerPort: 5601, hostPort: 80}]`, want: []cause{
			{"spec.containerDefinitions", rule("When networkMode=host, the host ports and container ports in port mappings must match.")},
		}},
		{name: "awsvpc hostPort equal or blank", kind: "TaskDefinition", spec: `
family: web
networkMode: awsvpc
containerDefinitions:
  - name: app
    image: kibana
    memoryReservation: 64
    portMappings: [{containerPort: 5601, hostPort: 5601}, {containerPort: 8080}]`},
		{name: "bridge static hostPort", kind: "TaskDefinition", spec: `
family: web
networkMode: bridge
containerDefinitions:
  - name: app
    image: kibana
    memoryReservation: 64
    portMappings: [{containerPort: 5601, hostPort: 80}, {containerPort: 8080, hostPort: 0}]`},
		{name: "eleven containers", kind: "TaskDefinition", spec: elevenContainers, want: []cause{
			{"spec.containerDefinitions", "Too many: 11: must have at most 10 items"}, rulesSkipped,
		}},
		{name: "name over 240 characters", kind: "TaskDefinition", objName: strings.Repeat("t", 241), spec: `
family: web
containerDefinitions:` + minimalContainer, want: []cause{
			{"<nil>", rule("metadata.name must be at most 240 characters, so that revision names fit")},
		}},
		// Every ECS integer is an int32: a task size past 2147483647 (CPU
		// units or MiB, after the conversion of vCPU and GB) is one ECS
		// cannot read, refused with ECS's message; internal/translate's
		// parser refuses the same values (TaskCPUUnits). Before the bound,
		// such values were admitted, and on Fargate the int() of a
		// 20-digit value failed the rules with a CEL type-conversion error.
		{name: "cpu past int32", kind: "TaskDefinition", spec: `
family: web
cpu: "2147483648"
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec.cpu", rule(cpuMessage)},
		}},
		{name: "cpu of int32's maximum", kind: "TaskDefinition", spec: `
family: web
cpu: "2147483647"
containerDefinitions:` + minimalContainer},
		{name: "cpu with leading zeros", kind: "TaskDefinition", spec: `
family: web
cpu: "000000000000000000000256"
containerDefinitions:` + minimalContainer},
		{name: "Fargate cpu past int64", kind: "TaskDefinition", spec: fargate("99999999999999999999", "512", "awsvpc"), want: []cause{
			{"spec.cpu", rule(cpuMessage)},
		}},
		{name: "Fargate vCPU past int32", kind: "TaskDefinition", spec: fargate("2097152 vcpu", "512", "awsvpc"), want: []cause{
			{"spec.cpu", rule(cpuMessage)},
		}},
		{name: "Fargate vCPU past int64", kind: "TaskDefinition", spec: fargate("9999999999999999999999 vcpu", "512", "awsvpc"), want: []cause{
			{"spec.cpu", rule(cpuMessage)},
		}},
		{name: "memory past int32", kind: "TaskDefinition", spec: `
family: web
memory: "3000000000"
containerDefinitions:` + minimalContainer, want: []cause{
			{"spec.memory", rule(memoryMessage)},
		}},
		{name: "Fargate memory past int64", kind: "TaskDefinition", spec: fargate("256", "99999999999999999999", "awsvpc"), want: []cause{
			{"spec.memory", rule(memoryMessage)},
		}},
		{name: "Fargate GB past int32", kind: "TaskDefinition", spec: fargate("256", "2097152 GB", "awsvpc"), want: []cause{
			{"spec.memory", rule(memoryMessage)},
		}},
	})
}

func TestValidationTaskDefinitionRevisionImmutable(t *testing.T) {
	c, _ := testEnv(t)
	ctx := testContext(t)
	rev := &TaskDefinitionRevision{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: validationNamespace},
		Spec: TaskDefinitionRevisionSpec{
			Revision: 1,
			RegisterTaskDefinitionInput: RegisterTaskDefinitionInput{
				Family:               "web",
				ContainerDefinitions: []ContainerDefinition{{Name: "app", Image: "nginx:1.27"}},
			},
		},
	}
	if err := c.Create(ctx, rev); err != nil {
		t.Fatalf("creating the revision: %v", err)
	}
	deleteAfter(t, c, rev)

	t.Run("spec change rejected", func(t *testing.T) {
		changed := rev.DeepCopy()
		changed.Spec.ContainerDefinitions[0].Image = "nginx:1.28"
		expectCauses(t, c.Update(ctx, changed), cause{"<nil>", rule("Task definition revisions are immutable: edit the TaskDefinition to register a new revision")})
	})
	t.Run("label change allowed", func(t *testing.T) {
		labelled := rev.DeepCopy()
		labelled.Labels = map[string]string{"ecs.berth.dev/family": "web"}
		if err := c.Update(ctx, labelled); err != nil {
			t.Fatalf("a metadata change must be allowed: %v", err)
		}
		rev = labelled
	})
	t.Run("status change allowed", func(t *testing.T) {
		deregistered := rev.DeepCopy()
		deregistered.Status.Status = TaskDefinitionInactive
		deregistered.Status.DeregisteredAt = ptr.To(metav1.Now())
		if err := c.Status().Update(ctx, deregistered); err != nil {
			t.Fatalf("a status change must be allowed: %v", err)
		}
	})
}

func TestValidationService(t *testing.T) {
	runCreateCases(t, "svc", []createCase{
		{name: "valid replica", kind: "Service", spec: `
taskDefinition: web
desiredCount: 2
launchType: FARGATE`},
		{name: "valid strategy", kind: "Service", spec: `
taskDefinition: web
desiredCount: 6
capacityProviderStrategy:
  - {capacityProvider: FARGATE, base: 1, weight: 1}
  - {capacityProvider: FARGATE_SPOT, weight: 4}`},
		{name: "launchType and strategy", kind: "Service", spec: `
taskDefinition: web
desiredCount: 1
launchType: FARGATE
capacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]`, want: []cause{
			{"spec", rule("Specifying both a launchType and capacityProviderStrategy is not supported. Remove one and try again.")},
		}},
		{name: "two items with a base", kind: "Service", spec: `
taskDefinition: web
desiredCount: 1
capacityProviderStrategy:
  - {capacityProvider: FARGATE, base: 1, weight: 1}
  - {capacityProvider: FARGATE_SPOT, base: 2, weight: 1}`, want: []cause{
			{"spec.capacityProviderStrategy", rule("Only one capacity provider in a capacity provider strategy can have a base defined")},
		}},
		{name: "duplicate provider", kind: "Service", spec: `
taskDefinition: web
desiredCount: 1
capacityProviderStrategy:
  - {capacityProvider: FARGATE, weight: 1}
  - {capacityProvider: FARGATE, weight: 2}`, want: []cause{
			{"spec.capacityProviderStrategy", rule("Each capacity provider may appear only once in a capacity provider strategy")},
		}},
		{name: "weight over 1000", kind: "Service", spec: `
taskDefinition: web
desiredCount: 1
capacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1001}]`, want: []cause{
			{"spec.capacityProviderStrategy[0].weight", invalidValue("1001", "spec.capacityProviderStrategy[0].weight in body should be less than or equal to 1000")},
		}},
		{name: "replica without desiredCount", kind: "Service", spec: `
taskDefinition: web`, want: []cause{
			{"spec.desiredCount", rule("desiredCount is required when schedulingStrategy is REPLICA or isn't specified")},
		}},
		{name: "explicit REPLICA without desiredCount", kind: "Service", spec: `
taskDefinition: web
schedulingStrategy: REPLICA`, want: []cause{
			{"spec.desiredCount", rule("desiredCount is required when schedulingStrategy is REPLICA or isn't specified")},
		}},
		{name: "daemon without desiredCount", kind: "Service", spec: `
taskDefinition: web
schedulingStrategy: DAEMON
launchType: EC2`},
		{name: "daemon with a strategy", kind: "Service", spec: `
taskDefinition: web
schedulingStrategy: DAEMON
capacityProviderStrategy: [{capacityProvider: ec2, weight: 1}]`, want: []cause{
			{"spec", rule("A capacity provider strategy can't be used with the DAEMON scheduling strategy")},
		}},
		{name: "daemon on Fargate", kind: "Service", spec: `
taskDefinition: web
schedulingStrategy: DAEMON
launchType: FARGATE`, want: []cause{
			{"spec.launchType", rule("The daemon scheduling strategy does not support the FARGATE launch type.")},
		}},
		{name: "name over 63 characters", kind: "Service", objName: strings.Repeat("s", 64), spec: `
taskDefinition: web
desiredCount: 1`, want: []cause{
			{"<nil>", rule("metadata.name must be at most 63 characters: it is used as a label value")},
		}},
	})
}

func TestValidationServiceUpdate(t *testing.T) {
	c, _ := testEnv(t)
	ctx := testContext(t)
	svc := &Service{
		ObjectMeta: metav1.ObjectMeta{Name: "moving", Namespace: validationNamespace},
		Spec: ServiceSpec{CreateServiceInput: CreateServiceInput{
			TaskDefinition: "web",
			DesiredCount:   ptr.To[int32](1),
		}},
	}
	if err := c.Create(ctx, svc); err != nil {
		t.Fatalf("creating the service: %v", err)
	}
	deleteAfter(t, c, svc)
	t.Run("desiredCount change allowed", func(t *testing.T) {
		scaled := svc.DeepCopy()
		scaled.Spec.DesiredCount = ptr.To[int32](3)
		if err := c.Update(ctx, scaled); err != nil {
			t.Fatalf("scaling must be allowed: %v", err)
		}
		svc = scaled
	})
	t.Run("explicit default cluster allowed", func(t *testing.T) {
		same := svc.DeepCopy()
		same.Spec.Cluster = "default"
		if err := c.Update(ctx, same); err != nil {
			t.Fatalf("naming the default cluster explicitly must be allowed: %v", err)
		}
		svc = same
	})
	t.Run("cluster change rejected", func(t *testing.T) {
		moved := svc.DeepCopy()
		moved.Spec.Cluster = "other"
		expectCauses(t, c.Update(ctx, moved), cause{"spec.cluster", rule("cluster cannot be changed: create a new service in the other cluster")})
	})
	t.Run("schedulingStrategy change rejected", func(t *testing.T) {
		daemon := svc.DeepCopy()
		daemon.Spec.SchedulingStrategy = SchedulingStrategyDaemon
		expectCauses(t, c.Update(ctx, daemon), cause{"spec.schedulingStrategy", rule("schedulingStrategy cannot be changed: create a new service")})
	})
	t.Run("serviceName change rejected", func(t *testing.T) {
		renamed := svc.DeepCopy()
		renamed.Spec.ServiceName = "other"
		expectCauses(t, c.Update(ctx, renamed), cause{"spec.serviceName", rule("serviceName cannot be changed")})
	})
}

func TestValidationTask(t *testing.T) {
	runCreateCases(t, "task", []createCase{
		{name: "launchType and strategy", kind: "Task", spec: `
taskDefinition: web
launchType: EC2
capacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}]`, want: []cause{
			{"spec", rule("Specifying both a launchType and capacityProviderStrategy is not supported. Remove one and try again.")},
		}},
		{name: "two items with a base", kind: "Task", spec: `
taskDefinition: web
capacityProviderStrategy:
  - {capacityProvider: FARGATE, base: 1, weight: 1}
  - {capacityProvider: FARGATE_SPOT, base: 1, weight: 1}`, want: []cause{
			{"spec.capacityProviderStrategy", rule("Only one capacity provider in a capacity provider strategy can have a base defined")},
		}},
		{name: "duplicate provider", kind: "Task", spec: `
taskDefinition: web
capacityProviderStrategy:
  - {capacityProvider: FARGATE, weight: 1}
  - {capacityProvider: FARGATE, weight: 1}`, want: []cause{
			{"spec.capacityProviderStrategy", rule("Each capacity provider may appear only once in a capacity provider strategy")},
		}},
		{name: "name over 63 characters", kind: "Task", objName: strings.Repeat("t", 64), spec: `
taskDefinition: web`, want: []cause{
			{"<nil>", rule("metadata.name must be at most 63 characters: it is used as a label value")},
		}},
	})

	c, _ := testEnv(t)
	ctx := testContext(t)
	task := &Task{
		ObjectMeta: metav1.ObjectMeta{Name: "one-off", Namespace: validationNamespace},
		Spec:       TaskSpec{RunTaskInput: RunTaskInput{TaskDefinition: "web:1", LaunchType: LaunchTypeFargate}},
	}
	if err := c.Create(ctx, task); err != nil {
		t.Fatalf("creating the task: %v", err)
	}
	deleteAfter(t, c, task)
	t.Run("spec change rejected", func(t *testing.T) {
		changed := task.DeepCopy()
		changed.Spec.TaskDefinition = "web:2"
		expectCauses(t, c.Update(ctx, changed), cause{"spec", rule("A task cannot be changed once it has been run: stop it (desiredStatus: STOPPED) and run a new one")})
	})
	t.Run("stop allowed, restart and a new reason rejected", func(t *testing.T) {
		stopped := task.DeepCopy()
		stopped.Spec.DesiredStatus = DesiredTaskStatus(TaskStopped)
		stopped.Spec.StopReason = "Scaling down"
		if err := c.Update(ctx, stopped); err != nil {
			t.Fatalf("StopTask must be allowed: %v", err)
		}
		again := stopped.DeepCopy()
		again.Spec.DesiredStatus = DesiredTaskStatus(TaskRunning)
		again.Spec.StopReason = "changed"
		expectCauses(t, c.Update(ctx, again),
			cause{"spec.desiredStatus", rule("A stopped task cannot be started again: run a new one")},
			cause{"spec.stopReason", rule("stopReason cannot be changed once given")})
		*task = *stopped
	})
	t.Run("status change allowed", func(t *testing.T) {
		running := task.DeepCopy()
		running.Status.LastStatus = TaskRunning
		if err := c.Status().Update(ctx, running); err != nil {
			t.Fatalf("a status change must be allowed: %v", err)
		}
	})
}

func TestValidationCluster(t *testing.T) {
	runCreateCases(t, "cluster", []createCase{
		{name: "clusterName does not match metadata.name", kind: "Cluster", objName: "other", spec: `
clusterName: My_Cluster`, want: []cause{
			{"<nil>", rule("metadata.name must be spec.clusterName in lower case with '_' replaced by '-'")},
		}},
		{name: "clusterName matches metadata.name", kind: "Cluster", objName: "my-cluster", spec: `
clusterName: My_Cluster`},
		{name: "no clusterName", kind: "Cluster", objName: "default", spec: `{}`},
		{name: "no spec at all", kind: "Cluster", objName: "bare", spec: ``},
		{name: "default strategy names an unassociated provider", kind: "Cluster", objName: "prod", spec: `
clusterName: prod
capacityProviders: [FARGATE]
defaultCapacityProviderStrategy:
  - {capacityProvider: FARGATE, weight: 1}
  - {capacityProvider: FARGATE_SPOT, weight: 1}`, want: []cause{
			{"spec.defaultCapacityProviderStrategy", rule("The specified capacity provider strategy includes a capacity provider that is not associated with the cluster: add it to capacityProviders")},
		}},
		{name: "default strategy of associated providers", kind: "Cluster", objName: "staging", spec: `
clusterName: staging
capacityProviders: [FARGATE, FARGATE_SPOT]
defaultCapacityProviderStrategy:
  - {capacityProvider: FARGATE, base: 1, weight: 1}
  - {capacityProvider: FARGATE_SPOT, weight: 4}`},
		{name: "default strategy with two bases", kind: "Cluster", objName: "two-bases", spec: `
clusterName: two-bases
capacityProviders: [FARGATE, FARGATE_SPOT]
defaultCapacityProviderStrategy:
  - {capacityProvider: FARGATE, base: 1, weight: 1}
  - {capacityProvider: FARGATE_SPOT, base: 1, weight: 4}`, want: []cause{
			{"spec.defaultCapacityProviderStrategy", rule("Only one capacity provider in a capacity provider strategy can have a base defined")},
		}},
		// A capacity provider's name has at most 255 characters, and a
		// cluster at most 20 of them (ECS's quota): what the cluster's
		// status lists per provider must fit its schema too.
		{name: "capacity provider name over 255 characters", kind: "Cluster", objName: "long-cp", spec: `
clusterName: long-cp
capacityProviders: [FARGATE, ` + strings.Repeat("b", 256) + `]`, want: []cause{
			{"spec.capacityProviders[1]", "Too long: may not be more than 255 bytes"}, rulesSkipped,
		}},
		{name: "21 capacity providers", kind: "Cluster", objName: "many-cps", spec: `
clusterName: many-cps
capacityProviders: [` + manyProviders(21) + `]`, want: []cause{
			{"spec.capacityProviders", "Too many: 21: must have at most 20 items"}, rulesSkipped,
		}},
		{name: "20 capacity providers", kind: "Cluster", objName: "twenty-cps", spec: `
clusterName: twenty-cps
capacityProviders: [` + manyProviders(20) + `]`},
	})
}

// manyProviders is a YAML flow list's items: n capacity provider names.
func manyProviders(n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("cp-%d", i)
	}
	return strings.Join(ps, ", ")
}

func TestValidationCapacityProvider(t *testing.T) {
	runCreateCases(t, "cp", []createCase{
		{name: "FARGATE", kind: "CapacityProvider", objName: "fargate", spec: `
name: FARGATE
type: FARGATE`},
		{name: "FARGATE_SPOT", kind: "CapacityProvider", objName: "fargate-spot", spec: `
name: FARGATE_SPOT
type: FARGATE_SPOT`},
		{name: "name does not match metadata.name", kind: "CapacityProvider", objName: "spot", spec: `
name: FARGATE_SPOT
type: FARGATE_SPOT`, want: []cause{
			{"<nil>", rule("metadata.name must be spec.name in lower case with '_' replaced by '-'")},
		}},
		{name: "autoScalingGroupProvider on FARGATE", kind: "CapacityProvider", objName: "fargate-asg", spec: `
type: FARGATE
autoScalingGroupProvider:
  autoScalingGroupArn: arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/asg`, want: []cause{
			{"spec.autoScalingGroupProvider", rule("autoScalingGroupProvider is only valid for EC2_AUTOSCALING capacity providers")},
		}},
		{name: "EC2_AUTOSCALING with an ASG", kind: "CapacityProvider", objName: "ec2-pool", spec: `
name: ec2-pool
type: EC2_AUTOSCALING
autoScalingGroupProvider:
  autoScalingGroupArn: arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/asg
  managedScaling: {status: ENABLED, targetCapacity: 90}`},
		{name: "without type", kind: "CapacityProvider", objName: "untyped", spec: `
name: untyped`, want: []cause{
			{"spec.type", "Required value"}, rulesSkipped,
		}},
		{name: "name over 63 characters", kind: "CapacityProvider", objName: strings.Repeat("c", 64), spec: `
type: FARGATE`, want: []cause{
			{"<nil>", rule("metadata.name must be at most 63 characters: it is used as a label value")},
		}},
		{name: "node pool minSize over maxSize", kind: "CapacityProvider", objName: "inverted-pool", spec: `
name: inverted-pool
type: EC2_AUTOSCALING
nodePool: {minSize: 5, maxSize: 2}`, want: []cause{
			{"spec.nodePool.minSize", rule("nodePool.minSize must not be greater than nodePool.maxSize")},
		}},
		{name: "managed instances", kind: "CapacityProvider", objName: "managed", spec: `
name: managed
type: EC2_AUTOSCALING
managedInstancesProvider:
  infrastructureRoleArn: arn:aws:iam::123456789012:role/ecsInfrastructureRole
  instanceLaunchTemplate:
    ec2InstanceProfileArn: arn:aws:iam::123456789012:instance-profile/ecsInstanceRole
    networkConfiguration: {subnets: [subnet-1]}`, want: []cause{
			{"spec.managedInstancesProvider", rule("managedInstancesProvider (MANAGED_INSTANCES) is not supported by Berth")},
		}},
	})
}

// TestValidationStrictFieldValidation shows why the corpus test (and any
// GitOps client) should ask for strict field validation: by default a
// misspelt ECS member is dropped with only a warning.
func TestValidationStrictFieldValidation(t *testing.T) {
	c, strict := testEnv(t)
	ctx := testContext(t)
	spec := `
family: typo
containerDefinitions:
  - name: app
    imagee: nginx
    image: nginx
    memoryReservation: 64`

	err := strict.Create(ctx, newObject(t, "TaskDefinition", validationNamespace, "typo-strict", spec))
	if err == nil {
		t.Fatal("strict field validation must reject an unknown field")
	}
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `unknown field "spec.containerDefinitions[0].imagee"`) {
		t.Fatalf("want BadRequest naming spec.containerDefinitions[0].imagee, got: %v", err)
	}

	// RunTask's count is deliberately not a Task member (one Task object is
	// one task): strictly, it is an unknown field too.
	err = strict.Create(ctx, newObject(t, "Task", validationNamespace, "counted", "taskDefinition: web\ncount: 2"))
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `unknown field "spec.count"`) {
		t.Fatalf("want BadRequest naming spec.count, got: %v", err)
	}

	// The same object through the default client: accepted, field dropped.
	loose := newObject(t, "TaskDefinition", validationNamespace, "typo-loose", spec)
	if err := c.Create(ctx, loose); err != nil {
		t.Fatalf("without strict validation the object is accepted: %v", err)
	}
	deleteAfter(t, c, loose)
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(loose.GroupVersionKind())
	if err := c.Get(ctx, client.ObjectKeyFromObject(loose), got); err != nil {
		t.Fatal(err)
	}
	containers, _, _ := unstructured.NestedSlice(got.Object, "spec", "containerDefinitions")
	if len(containers) != 1 {
		t.Fatalf("containers: %v", containers)
	}
	if _, ok := containers[0].(map[string]any)["imagee"]; ok {
		t.Fatal("the unknown field was stored")
	}

	// A typed client cannot even send it: Go structs drop unknown JSON. That
	// is why the corpus test sends unstructured objects.
	var td TaskDefinition
	if err := c.Get(ctx, client.ObjectKeyFromObject(loose), &td); err != nil {
		t.Fatal(err)
	}
	if td.Spec.ContainerDefinitions[0].Image != "nginx" {
		t.Fatalf("image: %q", td.Spec.ContainerDefinitions[0].Image)
	}
}
