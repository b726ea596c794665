package importer

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/names"
)

// resourceKind describes an ECS resource that has a Berth kind whose spec
// is the resource's Create* input: where ECS's JSON holds it, its shapes,
// and what has no place in Berth. The members are sorted by ECS's shapes
// (the wire types of internal/awsapi/ecswire, generated from ECS's API
// model): a member of the Create* request is carried as it is, a member
// only the output element has is read-only and dropped, any other is kept
// for the API server to refuse by name. ECS's JSON names are Berth's, so
// nothing is renamed below the top level.
type resourceKind struct {
	// kind is Berth's kind; what is the resource in words.
	kind, what string
	// list and single are the members of ECS's output that hold the
	// resources: the Describe* output's list, and the one of
	// Create/Update/Delete*'s.
	list, single string
	// describe and create are the ECS calls whose output and input the
	// import reads.
	describe, create string
	// nameMember holds the resource's ECS name.
	nameMember string
	// marks are members that only this resource's JSON has at its top.
	marks []string
	// request and element are the members of ECS's shapes: the Create*
	// request and the Describe* output's element.
	request, element map[string]bool
	// renamed are output members carried under a request member's name.
	renamed map[string]rename
	// berth are output members that Berth's spec has although the Create*
	// request has not.
	berth map[string]bool
	// dropped are the members Berth has no place for, with the reason.
	dropped map[string]string
	// gone are the statuses of a deleted resource, with what they mean.
	gone map[string]string
	// namespaced: the object lives in a namespace (--namespace).
	namespaced bool
}

// rename is an output member's request member.
type rename struct {
	to, reason string
	// shortName: the value is an ARN and the request member takes the name.
	shortName bool
}

// shapeMembers are the members of an ECS shape: the JSON names of the
// fields of its generated wire type.
func shapeMembers(t reflect.Type) map[string]bool {
	m := map[string]bool{}
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}

var (
	serviceKind = &resourceKind{
		kind: "Service", what: "service", list: "services", single: "service",
		describe: "DescribeServices", create: "CreateService", nameMember: "serviceName",
		marks:   []string{"serviceName", "serviceArn"},
		request: shapeMembers(reflect.TypeFor[ecswire.CreateServiceRequest]()),
		element: shapeMembers(reflect.TypeFor[ecswire.Service]()),
		renamed: map[string]rename{
			"clusterArn": {to: "cluster", shortName: true,
				reason: "the cluster's name, from its ARN: a Service names its Cluster, in its namespace, by the ECS cluster name"},
			"roleArn": {to: "role", reason: "CreateService's role takes the role's name or ARN"},
		},
		dropped: map[string]string{
			"clientToken": "the idempotency token of one CreateService call; a manifest is applied again and again",
		},
		gone:       map[string]string{"INACTIVE": "deleted", "DRAINING": "being deleted"},
		namespaced: true,
	}
	clusterKind = &resourceKind{
		kind: "Cluster", what: "cluster", list: "clusters", single: "cluster",
		describe: "DescribeClusters", create: "CreateCluster", nameMember: "clusterName",
		marks:      []string{"clusterName"},
		request:    shapeMembers(reflect.TypeFor[ecswire.CreateClusterRequest]()),
		element:    shapeMembers(reflect.TypeFor[ecswire.Cluster]()),
		gone:       map[string]string{"INACTIVE": "deleted"},
		namespaced: true,
	}
	capacityProviderKind = &resourceKind{
		kind: "CapacityProvider", what: "capacity provider", list: "capacityProviders", single: "capacityProvider",
		describe: "DescribeCapacityProviders", create: "CreateCapacityProvider", nameMember: "name",
		marks:   []string{"capacityProviderArn", memberASGProvider, memberMIProvider},
		request: shapeMembers(reflect.TypeFor[ecswire.CreateCapacityProviderRequest]()),
		element: shapeMembers(reflect.TypeFor[ecswire.CapacityProvider]()),
		berth:   map[string]bool{"type": true},
		gone:    map[string]string{"INACTIVE": "deleted"},
	}
	// resourceKinds in the order a single resource's JSON is recognised:
	// a service's output names its cluster (clusterArn), a cluster's its
	// capacity providers (names, not objects).
	resourceKinds = []*resourceKind{serviceKind, capacityProviderKind, clusterKind}
)

// Members of a capacity provider that the import reads itself.
const (
	memberASGProvider = "autoScalingGroupProvider"
	memberMIProvider  = "managedInstancesProvider"
)

// isObject: obj is one resource of kind k, the Create* input or an
// output element.
func (k *resourceKind) isObject(obj map[string]any) bool {
	for _, m := range k.marks {
		if _, ok := obj[m]; ok {
			return true
		}
	}
	return false
}

// isOutput: obj is ECS output holding resources of kind k: a Describe*
// output's list of objects, or the object of a Create/Update/Delete*
// output.
func (k *resourceKind) isOutput(obj map[string]any) bool {
	if _, ok := obj[k.single].(map[string]any); ok {
		return true
	}
	list, ok := obj[k.list].([]any)
	if !ok {
		return false
	}
	for _, e := range list {
		if _, isObject := e.(map[string]any); !isObject {
			return false
		}
	}
	return true
}

// resourceOf tells what ECS resource doc (parsed JSON) holds, and whether
// it is one resource (rather than ECS output that holds them).
func resourceOf(doc any) (k *resourceKind, single bool) {
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, false
	}
	for _, k := range resourceKinds {
		if k.isObject(obj) {
			return k, true
		}
	}
	for _, k := range resourceKinds {
		if k.isOutput(obj) {
			return k, false
		}
	}
	return nil, false
}

// ParseResource parses raw JSON and returns it when it holds ECS services,
// clusters or capacity providers: the output of aws ecs describe-services,
// describe-clusters or describe-capacity-providers, the output of a
// Create/Update/Delete call of one, or CreateService, CreateCluster or
// CreateCapacityProvider input (or an element of a Describe* output).
func ParseResource(raw []byte) (any, bool) {
	var doc any
	if err := utiljson.Unmarshal(bytes.TrimSpace(raw), &doc); err != nil {
		return nil, false
	}
	k, _ := resourceOf(doc)
	return doc, k != nil
}

// resource is one service, cluster or capacity provider to import.
type resource struct {
	kind *resourceKind
	// source and path say where it is: the input, its place in it.
	source, path string
	// name is the ECS name ("" when the input has none).
	name string
	// cluster is a service's cluster name.
	cluster string
	spec    map[string]any
}

// Resources collects the ECS services, clusters and capacity providers of
// several inputs and makes a Service, Cluster or CapacityProvider manifest
// of each.
type Resources struct {
	objects []*resource
}

// Len is the number of resources collected.
func (rs *Resources) Len() int { return len(rs.objects) }

// resourceCollector adds one input's resources.
type resourceCollector struct {
	rs      *Resources
	kind    *resourceKind
	source  string
	changes []Change
	errs    []error
}

// Add adds one input (parsed JSON that ParseResource accepts), named source
// in messages. It returns what it dropped, converted, kept or skipped, and
// the resources it cannot import.
func (rs *Resources) Add(source string, doc any) ([]Change, []error) {
	k, single := resourceOf(doc)
	c := &resourceCollector{rs: rs, kind: k, source: source}
	obj, _ := doc.(map[string]any)
	switch {
	case k == nil:
		c.errs = append(c.errs, fmt.Errorf("%s: not an ECS service, cluster or capacity provider", source))
	case single:
		c.object(obj, "", "")
	default:
		c.output(obj)
	}
	return c.changes, c.errs
}

// change records a change, once per action and path: the members of a
// list's elements are reported once for all (services[*].deployments).
func (c *resourceCollector) change(path, action, reason string) {
	for _, old := range c.changes {
		if old.Path == path && old.Action == action {
			return
		}
	}
	c.changes = append(c.changes, Change{Path: path, Action: action, Reason: reason})
}

func (c *resourceCollector) fail(label string, err error) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s: %w", c.source, label, err))
}

// output adds the resources of ECS output and reports the rest of it: its
// failures, a next page, other members.
func (c *resourceCollector) output(obj map[string]any) {
	k := c.kind
	if v, ok := obj[k.single]; ok {
		c.object(v, k.single, k.single)
	}
	if v, ok := obj[k.list]; ok {
		list, isList := v.([]any)
		if !isList {
			c.fail(k.list, errors.New("not a list"))
		}
		for i, e := range list {
			c.object(e, fmt.Sprintf("%s[%d]", k.list, i), k.list+"[*]")
		}
	}
	for _, m := range sortedKeys(obj) {
		switch m {
		case k.single, k.list:
		case "failures":
			c.failures(obj[m])
		case "nextToken":
			c.change(m, "dropped", fmt.Sprintf("more pages follow (the AWS CLI stopped at --max-items or --no-paginate): import every page, or the %ss on the others are missing", k.what))
		default:
			c.change(m, "dropped", fmt.Sprintf("a member of ECS's output, not of a %s", k.what))
		}
	}
}

// failures reports the resources ECS could not describe: there is nothing
// of them to import.
func (c *resourceCollector) failures(v any) {
	list, _ := v.([]any)
	for i, e := range list {
		f, _ := e.(map[string]any)
		arn, _ := f["arn"].(string)
		reason, _ := f["reason"].(string)
		if detail, ok := f["detail"].(string); ok && detail != "" {
			reason += " (" + detail + ")"
		}
		c.change(fmt.Sprintf("failures[%d]", i), "dropped", fmt.Sprintf("ECS could not describe %s: %s; nothing of it to import", arn, reason))
	}
}

// object adds one resource: path is its place in the input ("" for the
// whole input), at the path its members are reported under (the elements
// of a list share one, services[*]).
func (c *resourceCollector) object(v any, path, at string) {
	k := c.kind
	lbl := path
	if lbl == "" {
		lbl = k.create + " input"
	}
	obj, ok := v.(map[string]any)
	if !ok {
		c.fail(lbl, errors.New("not a JSON object"))
		return
	}
	name, _ := obj[k.nameMember].(string)
	if reason := k.skip(obj, name); reason != "" {
		c.change(lbl, "skipped", reason)
		return
	}
	spec := make(map[string]any, len(obj))
	for _, m := range sortedKeys(obj) {
		c.member(spec, obj, m, at)
	}
	if err := c.finish(spec, at); err != nil {
		c.fail(lbl, err)
		return
	}
	res := &resource{kind: k, source: c.source, path: lbl, name: name, spec: spec}
	if k == serviceKind {
		cluster, _ := spec["cluster"].(string)
		res.cluster = names.ClusterName(cluster)
	}
	c.rs.objects = append(c.rs.objects, res)
}

// member carries, renames, drops or keeps member m of obj.
func (c *resourceCollector) member(spec, obj map[string]any, m, at string) {
	k, path, v := c.kind, join(at, m), obj[m]
	switch {
	case k.dropped[m] != "":
		c.change(path, "dropped", k.dropped[m])
	case k.request[m] || k.berth[m]:
		spec[m] = v
	case m == "roleArn" && serviceLinkedRole(v):
		c.change(path, "dropped", "ECS's service-linked role (AWSServiceRoleForECS), which ECS uses when a service is given no role")
	case k.renamed[m].to != "":
		r := k.renamed[m]
		if _, given := obj[r.to]; given {
			c.change(path, "dropped", fmt.Sprintf("%s is given too", r.to))
			return
		}
		if s, isString := v.(string); isString && r.shortName {
			v = names.ShortName(s)
		}
		spec[r.to] = v
		c.change(path, "converted", fmt.Sprintf("to %s, %s", r.to, r.reason))
	case k.element[m]:
		c.change(path, "dropped", fmt.Sprintf("read-only: %s reports it; %s does not take it", k.describe, k.create))
	default:
		spec[m] = v
		c.change(path, "kept", fmt.Sprintf("neither a member of ECS's %s input nor of its %s output: kept as it is, so that the API server names it", k.create, k.describe))
	}
}

// serviceLinkedRole: v is the ARN of ECS's service-linked role.
func serviceLinkedRole(v any) bool {
	s, _ := v.(string)
	return strings.Contains(s, ":role/aws-service-role/ecs.amazonaws.com/")
}

// skip says why a resource is not imported: it is deleted, or Berth has
// its own or none of its kind.
func (k *resourceKind) skip(obj map[string]any, name string) string {
	status, _ := obj["status"].(string)
	if what, ok := k.gone[status]; ok {
		return fmt.Sprintf("%s %s is %s (%s): not imported", k.what, name, status, what)
	}
	if k != capacityProviderKind {
		return ""
	}
	typ, _ := obj["type"].(string)
	switch {
	case name == string(ecsv1alpha1.CapacityProviderFargate) || name == string(ecsv1alpha1.CapacityProviderFargateSpot):
		return fmt.Sprintf("%s is ECS's own capacity provider: Berth has its own, the platform team's CapacityProvider %s (config/samples/01_capacityproviders.yaml), with its node pool", name, names.ObjectName(name))
	case obj[memberMIProvider] != nil || typ == "MANAGED_INSTANCES":
		return fmt.Sprintf("Amazon ECS Managed Instances capacity provider %s: Berth has none (the API server refuses managedInstancesProvider)", name)
	}
	return ""
}

// finish adds what Berth's spec needs that ECS's JSON leaves implicit, and
// says what Berth reads differently.
func (c *resourceCollector) finish(spec map[string]any, at string) error {
	switch c.kind {
	case serviceKind:
		// An imported task definition registers as revision 1 of its
		// family (Berth numbers revisions as it registers them), so ECS's
		// revision number would name a revision that never comes: the
		// Service follows the family, whose latest revision is the one
		// imported.
		if td, _ := spec["taskDefinition"].(string); td != "" {
			if r, err := names.ParseTaskDefinition(td); err == nil && (r.Revision != 0 || td != r.Family) {
				spec["taskDefinition"] = r.Family
				c.change(join(at, "taskDefinition"), "converted", fmt.Sprintf("%s to its family %s: Berth numbers an imported family's revisions from 1, "+
					"so ECS's revision would never come; the Service runs the family's latest ACTIVE revision", td, r.Family))
			}
		}
	case capacityProviderKind:
		if _, ok := spec["type"]; ok {
			return nil
		}
		if _, ok := spec[memberASGProvider]; !ok {
			return fmt.Errorf("neither %s nor %s: %s requires one", memberASGProvider, memberMIProvider, c.kind.create)
		}
		spec["type"] = string(ecsv1alpha1.CapacityProviderEC2AutoScaling)
		c.change(join(at, "type"), "added", "EC2_AUTOSCALING: Berth's CapacityProvider names the kind of its capacity, and an Auto Scaling group's is EC2_AUTOSCALING")
	}
	return nil
}

// Build makes a manifest of each resource: capacity providers, then
// clusters, then services, each in the order of the inputs. A service's
// object name is its ECS name by the ECS API's rule; two services of one
// name in several clusters are named after the cluster too. A cluster or
// capacity provider is named after its ECS name, as Berth requires.
func (rs *Resources) Build(opts Options) ([]*Result, []error) {
	var out []*Result
	var errs []error
	count := map[string]int{}
	for _, r := range rs.objects {
		if r.kind == serviceKind {
			count[names.ServiceObject(r.name)]++
		}
	}
	for _, k := range []*resourceKind{capacityProviderKind, clusterKind, serviceKind} {
		for _, r := range rs.objects {
			if r.kind != k {
				continue
			}
			res := &Result{Label: r.label()}
			name, err := r.objectName(opts)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", r.source, r.path, err))
				continue
			}
			if k == serviceKind && opts.Name == "" && count[name] > 1 {
				name = names.ServiceObject(r.cluster + "_" + r.name)
				res.Changes = append(res.Changes, Change{Path: "metadata.name", Action: "converted",
					Reason: fmt.Sprintf("%s, after the cluster and the service: the inputs have services named %s in several clusters", name, r.name)})
			}
			r.build(res, name, opts.Namespace)
			out = append(out, res)
		}
	}
	return out, errs
}

// label names a resource in messages: its kind and ECS name, and a
// service's cluster; or where it is.
func (r *resource) label() string {
	if r.name == "" {
		return r.source + ": " + r.path
	}
	name := r.name
	if r.kind == serviceKind {
		name = r.cluster + "/" + name
	}
	return r.kind.what + " " + name
}

// objectName is the resource's object name. A service's is its ECS name
// as the ECS API names the Services it creates (lower case, '_' as '-',
// and a hash when that is no label), or --name. A cluster's and a
// capacity provider's must be its ECS name in lower case with '_' as '-'
// (the CRDs refuse any other), which must be an object name.
func (r *resource) objectName(opts Options) (string, error) {
	k := r.kind
	switch {
	case k == serviceKind:
		return r.serviceName(opts)
	case r.name == "" && opts.Name != "":
		return opts.Name, nil
	case r.name == "":
		return "", fmt.Errorf("no %s: give --name", k.nameMember)
	}
	name := names.ObjectName(r.name)
	check := validation.IsDNS1123Subdomain
	if k == capacityProviderKind {
		check = validation.IsDNS1123Label // also a label value
	}
	if errs := check(name); len(errs) > 0 {
		return "", fmt.Errorf("%q is not an object name (%s), and Berth names a %s after its %s in lower case with '_' as '-'",
			name, strings.Join(errs, "; "), k.kind, k.nameMember)
	}
	if opts.Name != "" && opts.Name != name {
		return "", fmt.Errorf("--name %s: Berth names a %s after its %s in lower case with '_' as '-': %s", opts.Name, k.kind, k.nameMember, name)
	}
	return name, nil
}

func (r *resource) serviceName(opts Options) (string, error) {
	switch {
	case opts.Name != "":
		return opts.Name, nil
	case r.name == "":
		return "", errors.New("no serviceName, which CreateService requires (or give --name)")
	}
	return names.ServiceObject(r.name), nil
}

// build writes the manifest into res.
func (r *resource) build(res *Result, name, namespace string) {
	meta := map[string]any{"name": name}
	if namespace != "" && r.kind.namespaced {
		meta["namespace"] = namespace
	}
	res.Object = map[string]any{
		"apiVersion": ecsv1alpha1.GroupVersion.String(),
		"kind":       r.kind.kind,
		"metadata":   meta,
		"spec":       r.spec,
	}
}
