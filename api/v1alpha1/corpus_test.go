package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// The corpus test sends real-world ECS documents (../shared/corpus: task
// definitions and create-service inputs collected from public repositories)
// through the API server as Berth objects, with strict field validation so
// that no unknown or misspelt member is silently dropped. Every file must be
// accepted, except the ones listed below with the reason they are invalid
// for ECS itself.

// describeOutputFields are the read-only members of DescribeTaskDefinition's
// output (TaskDefinition shape) that are not RegisterTaskDefinition input.
// Documents saved from `aws ecs describe-task-definition` carry them; they are
// dropped before the document is sent, as `aws ecs register-task-definition
// --cli-input-json` users must. Nothing else is dropped.
var describeOutputFields = []string{
	"taskDefinitionArn",
	"revision",
	"status",
	"requiresAttributes",
	"compatibilities",
	"registeredAt",
	"registeredBy",
	"deregisteredAt",
}

// corpusNotJSON are files that are not JSON at all (templates with
// unquoted placeholders, comments, trailing commas).
var corpusNotJSON = map[string]string{
	"taskdefs/RaduLupan__terraform-windows-containers__ecs-fargate-container-definition.json.tpl.json":       "Terraform templatefile: bare ${container_port} placeholders",
	"taskdefs/aws-observability__aws-otel-collector__examples-ecs-aws-cloudwatch-ecs-ec2-sidecar.json":       "bare {{command}} mustache placeholder",
	"taskdefs/aws-samples__amazon-ecs-firelens-examples__examples-fluent-bit-dynatrace-task-definition.json": "missing comma (line 34)",
	"taskdefs/aws__aws-app-mesh-examples__walkthroughs-fargate-envoy-container.json":                         "jq/envsubst template: bare $ENVOY_IMAGE",
	"taskdefs/aws__aws-app-mesh-examples__walkthroughs-fargate-fargate-colorteller-task-def.json":            "jq template: bare $NAME and spliced $..._CONTAINER_JSON",
	"taskdefs/aws__aws-app-mesh-examples__walkthroughs-fargate-xray-container.json":                          "envsubst template: bare $ECS_SERVICE_LOG_GROUP",
	"taskdefs/aws__aws-for-fluent-bit__load_tests-task_definitions-cloudwatch.json":                          "envsubst template: bare $LOG_CONFIGURATION",
}

// corpusContainerLists are files that hold a bare containerDefinitions list
// (Terraform's container_definitions), not a task definition. They are
// wrapped as {family: <file name>, containerDefinitions: <list>} so that the
// container definitions are still checked.
var corpusContainerLists = map[string]bool{
	"taskdefs/kyhsa93__terraform-aws-ecs-example__container-definitions.json":       true,
	"taskdefs/warpstreamlabs__terraform-aws-warpstream__container-definitions.json": true,
}

// corpusRejected are the files ECS itself would refuse, with a substring of
// the API server's message and the reason.
var corpusRejected = map[string]string{
	// An UpdateService input: it names the service with "service", which is
	// not a CreateService member (ECS: "Unknown parameter in input").
	"services/aws-samples__sample-amazon-ecs-blue-green-deployment-patterns__ecs-bluegreen-service-connect-service_backend_update.template.json": `unknown field "spec.service"`,
	// Exported by ecspresso from DescribeServices: platformFamily and
	// resourceManagementType are members of the Service output, not of
	// CreateService's input (ECS: "Unknown parameter in input").
	"services/neilkuan__cdk-agent-broker__ecs-service-def.json": `unknown field "spec.platformFamily", unknown field "spec.resourceManagementType"`,
	// Documentation template: family "<TASK_NAME>" is an unfilled
	// placeholder; ECS allows only letters, digits, '_' and '-'.
	"taskdefs/DataDog__documentation__static-resources-json-datadog-agent-ecs-fargate.json":                  `spec.family: Invalid value: "<TASK_NAME>": spec.family in body should match '^[a-zA-Z0-9_-]+$'`,
	"taskdefs/DataDog__documentation__static-resources-json-datadog-agent-ecs-managed-instances-daemon.json": `spec.family: Invalid value: "<TASK_NAME>": spec.family in body should match '^[a-zA-Z0-9_-]+$'`,
	// Template with unfilled {{launchtype}}/{{networkmode}} placeholders in
	// family, networkMode and requiresCompatibilities.
	"taskdefs/aws-samples__amazon-cloudwatch-container-insights__ecs-task-definition-templates-deployment-mode-replica-service-cwagent-prometheus-cwagent-prometheus-task-definition.json": `spec.networkMode: Unsupported value: "{{networkmode}}"`,
	// awsvpc with hostPort 80 for containerPort 5601: under awsvpc (and host)
	// hostPort must be blank or equal to containerPort (PortMapping docs).
	"taskdefs/aws-samples__aws-containers-task-definitions__kibana-kibana_ec2.json": "When networkMode=awsvpc, the host ports and container ports in port mappings must match.",
	// ECS agent test fixture: portBindings is Docker's name, not a
	// ContainerDefinition member (ECS uses portMappings).
	"taskdefs/aws__amazon-ecs-agent__agent-functional_tests-testdata-taskdefinitions-security-opt-nonewprivileges-task-definition.json": `unknown field "spec.containerDefinitions[0].portBindings"`,
	// ECS agent test fixture: inferenceDevices is the agent's internal name;
	// the API's ContainerDefinition has resourceRequirements of type
	// InferenceAccelerator instead.
	"taskdefs/aws__amazon-ecs-agent__agent-functional_tests-testdata-taskdefinitions-task-elastic-inference-task-definition.json": `unknown field "spec.containerDefinitions[0].inferenceDevices"`,
	// A bare containerDefinitions fragment for Terraform, which sets the
	// task-level memory outside it. Registered on its own, as wrapped here,
	// ECS refuses it: a container without memory or memoryReservation needs
	// a task-level memory.
	"taskdefs/warpstreamlabs__terraform-aws-warpstream__container-definitions.json": "at least one of 'memory' or 'memoryReservation' must be specified",
}

type corpusOutcome int

const (
	corpusAccepted corpusOutcome = iota
	corpusRejectedOutcome
	corpusNotJSONOutcome
)

var nonNameChars = regexp.MustCompile(`[^a-z0-9]+`)

// corpusObjectName derives a DNS label (at most 63 characters, the Service
// limit) from a corpus file name.
func corpusObjectName(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), ".json")
	name := strings.Trim(nonNameChars.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(file))
		name = strings.TrimRight(name[:54], "-") + "-" + hex.EncodeToString(sum[:])[:8]
	}
	return name
}

func TestCorpus(t *testing.T) {
	_, strict := testEnv(t)
	dir := filepath.Join(moduleRoot(t), "..", "shared", "corpus")
	var files []string
	for _, sub := range []string{"taskdefs", "services"} {
		m, err := filepath.Glob(filepath.Join(dir, sub, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Fatalf("no corpus files in %s", filepath.Join(dir, sub))
		}
		files = append(files, m...)
	}
	sort.Strings(files)

	seen := map[string]bool{}
	counts := map[corpusOutcome]int{}
	kinds := map[string]int{}
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		t.Run(rel, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := utiljson.Unmarshal(raw, &doc); err != nil {
				if _, ok := corpusNotJSON[rel]; !ok {
					t.Fatalf("not JSON, and not listed in corpusNotJSON: %v", err)
				}
				counts[corpusNotJSONOutcome]++
				return
			}
			if reason, ok := corpusNotJSON[rel]; ok {
				t.Fatalf("listed as not JSON (%s) but parses", reason)
			}

			kind := "TaskDefinition"
			if strings.HasPrefix(rel, "services/") {
				kind = "Service"
			}
			spec := corpusSpec(t, rel, kind, doc)
			obj := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
			obj.SetAPIVersion(GroupVersion.String())
			obj.SetKind(kind)
			obj.SetNamespace(corpusNamespace)
			obj.SetName(corpusObjectName(rel))

			err = strict.Create(testContext(t), obj)
			want, expectReject := corpusRejected[rel]
			switch {
			case err == nil && expectReject:
				deleteAfter(t, strict, obj)
				t.Fatalf("accepted, but listed in corpusRejected (%q)", want)
			case err == nil:
				deleteAfter(t, strict, obj)
				counts[corpusAccepted]++
				kinds[kind]++
			case !expectReject:
				t.Fatalf("rejected: %v", err)
			case apierrors.IsAlreadyExists(err):
				t.Fatalf("name clash: %v", err)
			case !strings.Contains(err.Error(), want):
				t.Fatalf("rejected, but not with %q: %v", want, err)
			default:
				counts[corpusRejectedOutcome]++
				t.Logf("rejected as expected: %v", err)
			}
		})
	}
	for _, table := range []map[string]string{corpusNotJSON, corpusRejected} {
		for f := range table {
			if !seen[f] {
				t.Errorf("%s is listed in a corpus table but is not in the corpus", f)
			}
		}
	}
	for f := range corpusContainerLists {
		if !seen[f] {
			t.Errorf("%s is listed in corpusContainerLists but is not in the corpus", f)
		}
	}
	t.Logf("corpus: %d files: %d accepted (%d TaskDefinition, %d Service; %d of them bare containerDefinitions lists, wrapped), %d rejected as expected, %d not JSON",
		len(files), counts[corpusAccepted], kinds["TaskDefinition"], kinds["Service"], len(corpusContainerLists), counts[corpusRejectedOutcome], counts[corpusNotJSONOutcome])
}

// corpusSpec turns a corpus document into a spec: it unwraps a
// describe-task-definition output and drops its read-only members, and wraps
// a bare containerDefinitions list.
func corpusSpec(t *testing.T, rel, kind string, doc any) any {
	t.Helper()
	if kind != "TaskDefinition" {
		return doc
	}
	if list, ok := doc.([]any); ok {
		if !corpusContainerLists[rel] {
			t.Fatalf("a JSON array, not listed in corpusContainerLists")
		}
		return map[string]any{
			"family":               corpusObjectName(rel),
			"containerDefinitions": list,
		}
	}
	if corpusContainerLists[rel] {
		t.Fatalf("listed in corpusContainerLists, but not a JSON array")
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return doc // let the API server say what is wrong
	}
	if inner, ok := m["taskDefinition"].(map[string]any); ok && len(m) == 1 {
		m = inner
	}
	for _, f := range describeOutputFields {
		delete(m, f)
	}
	return m
}
