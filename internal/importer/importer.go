// Package importer turns ECS JSON, in the shapes people keep it, into Berth
// manifests, and says what it dropped and why.
//
// Application Auto Scaling JSON for ECS services (autoscaling.go) becomes
// ScalableTarget manifests: describe-scalable-targets,
// describe-scaling-policies and describe-scheduled-actions output, or
// RegisterScalableTarget, PutScalingPolicy and PutScheduledAction input;
// everything that names the same scalable target, across inputs, is merged
// into one ScalableTarget. Member names are converted by walking the JSON
// with AAS's API model (aas_model.json).
//
// Task definition JSON becomes a TaskDefinition manifest. It accepts:
//
//   - RegisterTaskDefinition's input (aws ecs register-task-definition
//     --cli-input-json, the ECS console's JSON tab);
//   - the output of aws ecs describe-task-definition: the
//     {"taskDefinition": ..., "tags": [...]} wrapper is unwrapped and the
//     read-only members (taskDefinitionArn, revision, status, ...) are
//     dropped;
//   - a bare containerDefinitions array, as Terraform's
//     container_definitions keeps it (the family is then given).
//
// Members that are neither RegisterTaskDefinition input nor read-only
// output are kept, so that the API server rejects them by name, as ECS
// rejects an unknown parameter.
//
// ECS services, clusters and capacity providers (resources.go) become
// Service, Cluster and CapacityProvider manifests, one per resource: the
// output of aws ecs describe-services, describe-clusters and
// describe-capacity-providers (the {"services": [...], "failures": [...]}
// wrapper is unwrapped and its failures reported), the output of a
// Create/Update/Delete call ({"service": ...}), or CreateService,
// CreateCluster and CreateCapacityProvider input. Their specs are the
// Create* input, so each member is sorted by ECS's shapes (the generated
// wire types of internal/awsapi/ecswire): a member of the Create* request
// is carried, one only the output has is read-only and dropped (except
// clusterArn and roleArn, which become a service's cluster, by name, and
// role), any other is kept for the API server to name. Deleted resources,
// ECS's FARGATE and FARGATE_SPOT, and Managed Instances providers are
// skipped.
package importer

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// readOnly are the members of DescribeTaskDefinition's output that are not
// RegisterTaskDefinition input.
var readOnly = []string{
	"compatibilities",
	"deleteRequestedAt",
	"deregisteredAt",
	"registeredAt",
	"registeredBy",
	"requiresAttributes",
	"revision",
	"status",
	"taskDefinitionArn",
}

// Options are what the input may not say.
type Options struct {
	// Name is the object's name; default: the family, or the ECS name
	// of a service, cluster or capacity provider, in lower case with '_'
	// as '-'.
	Name string
	// Namespace is the objects' namespace (not a CapacityProvider's,
	// which is cluster-scoped); default: none (kubectl's).
	Namespace string
	// Family is the family of a bare containerDefinitions array, or
	// overrides the input's.
	Family string
}

// Change is something the import did to the input.
type Change struct {
	// Path is the member, as a JSON path in the input's names.
	Path string
	// Action is "dropped" or "converted"; for Application Auto Scaling
	// objects also "skipped" (not imported), "incomplete" (a StepScaling
	// policy without its alarms), "replaced" or "merged" (a policy or
	// action given twice, a target registered twice), "kept" (a member
	// AAS's model does not have, for the API server to refuse by name);
	// for services, clusters and capacity providers also "skipped",
	// "kept" (a member ECS's shapes do not have, or one Berth reads
	// differently) and "added" (a member Berth requires that ECS's JSON
	// leaves implicit).
	Action string
	// Reason says why.
	Reason string
}

func (c Change) String() string { return fmt.Sprintf("%s %s: %s", c.Action, c.Path, c.Reason) }

// Result is an imported task definition, scalable target, service,
// cluster or capacity provider.
type Result struct {
	// Object is the manifest, as unstructured content.
	Object map[string]any
	// Changes lists what was dropped or converted: for a task definition
	// sorted by path; for a scalable target, service, cluster or capacity
	// provider what building it changed (what the inputs lost is in the
	// changes of AutoScaling.Add and Resources.Add).
	Changes []Change
	// Label names a scalable target in messages (its resource ID), or a
	// service, cluster or capacity provider (its kind and ECS name).
	Label string
	// todos are the StepScaling policies whose alarms must be written in.
	todos []alarmTodo
}

// YAML renders the manifest, with a commented alarm skeleton in each
// StepScaling policy that has no alarms.
func (r *Result) YAML() ([]byte, error) {
	out, err := yaml.Marshal(r.Object)
	if err != nil || len(r.todos) == 0 {
		return out, err
	}
	return insertAlarmTodos(out, r.todos)
}

var notFamily = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// FamilyFromFileName derives an ECS family from a file name: what is not a
// letter, digit, '_' or '-' becomes '-', cut to 255 characters.
func FamilyFromFileName(name string) string {
	f := strings.Trim(notFamily.ReplaceAllString(name, "-"), "-")
	if len(f) > 255 {
		f = f[:255]
	}
	return f
}

// Import converts raw ECS JSON into a TaskDefinition manifest.
func Import(raw []byte, opts Options) (*Result, error) {
	var doc any
	// Unmarshal keeps integers as int64, as the API server would read them.
	if err := utiljson.Unmarshal(bytes.TrimSpace(raw), &doc); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	res := &Result{}
	spec, err := taskDefinition(doc, opts, res)
	if err != nil {
		return nil, err
	}
	res.normalize(spec)
	if opts.Family != "" {
		spec["family"] = opts.Family
	}
	family, _ := spec["family"].(string)
	name := opts.Name
	if name == "" {
		name = ObjectName(family)
	}
	if name == "" {
		return nil, fmt.Errorf("the task definition has no family: give one")
	}
	meta := map[string]any{"name": name}
	if opts.Namespace != "" {
		meta["namespace"] = opts.Namespace
	}
	res.Object = map[string]any{
		"apiVersion": ecsv1alpha1.GroupVersion.String(),
		"kind":       "TaskDefinition",
		"metadata":   meta,
		"spec":       spec,
	}
	sort.Slice(res.Changes, func(i, j int) bool { return res.Changes[i].Path < res.Changes[j].Path })
	return res, nil
}

// taskDefinition finds the task definition in the document: the document
// itself, the taskDefinition of describe-task-definition's output, or a
// bare containerDefinitions array.
func taskDefinition(doc any, opts Options, res *Result) (map[string]any, error) {
	switch x := doc.(type) {
	case []any:
		if opts.Family == "" {
			return nil, fmt.Errorf("a bare containerDefinitions array has no family: give one")
		}
		return map[string]any{"containerDefinitions": x}, nil
	case map[string]any:
		inner, ok := x["taskDefinition"].(map[string]any)
		if !ok {
			return x, nil
		}
		for k, v := range x {
			switch k {
			case "taskDefinition":
			case "tags":
				// describe-task-definition --include TAGS puts the tags
				// beside the task definition.
				if _, has := inner["tags"]; !has {
					inner["tags"] = v
				}
			default:
				res.Changes = append(res.Changes, Change{Path: k, Action: "dropped",
					Reason: "a member of DescribeTaskDefinition's output wrapper, not of the task definition"})
			}
		}
		return inner, nil
	default:
		return nil, fmt.Errorf("neither a task definition (a JSON object) nor a containerDefinitions array")
	}
}

// normalize drops the read-only members and writes a numeric task cpu or
// memory as the string RegisterTaskDefinition takes.
func (res *Result) normalize(spec map[string]any) {
	for _, k := range readOnly {
		if _, ok := spec[k]; ok {
			delete(spec, k)
			res.Changes = append(res.Changes, Change{Path: k, Action: "dropped",
				Reason: "read-only: DescribeTaskDefinition reports it; RegisterTaskDefinition does not take it"})
		}
	}
	for _, k := range []string{"cpu", "memory"} {
		if s, converted := numberToString(spec[k]); converted {
			spec[k] = s
			res.Changes = append(res.Changes, Change{Path: k, Action: "converted",
				Reason: fmt.Sprintf("a number, as CloudFormation writes it; RegisterTaskDefinition takes the string %q", s)})
		}
	}
}

// ObjectName is the default TaskDefinition name of a family: lower case,
// '_' as '-', cut to 240 characters (so that revision names fit); "" when
// that is not a valid name.
func ObjectName(family string) string {
	n := strings.Trim(strings.ReplaceAll(strings.ToLower(family), "_", "-"), "-")
	if len(n) > 240 {
		n = strings.TrimRight(n[:240], "-")
	}
	if len(validation.IsDNS1123Subdomain(n)) > 0 {
		return ""
	}
	return n
}

func numberToString(v any) (string, bool) {
	switch n := v.(type) {
	case int64:
		return strconv.FormatInt(n, 10), true
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64), true
	}
	return "", false
}
