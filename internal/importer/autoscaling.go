package importer

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

// itemKind is what an Application Auto Scaling object is.
type itemKind int

const (
	kindTarget itemKind = iota
	kindPolicy
	kindAction
)

// kindInfo describes a kind of AAS object: where the Describe* output
// lists it, its shapes, and the members that have no place in Berth.
type kindInfo struct {
	// list is the member of the Describe* output that lists the objects.
	list string
	// element and request are the output element's shape and the
	// Register/Put* input's.
	element, request string
	// call is the AAS call that takes the object.
	call string
	// nameMember names the object within its target ("" for a target).
	nameMember string
	// what is the object in words.
	what string
	// dropped are the members Berth has no place for, with the reason.
	dropped map[string]string
}

const (
	reasonARN          = "an ARN AAS assigns; the ScalableTarget's name identifies it in Berth"
	reasonCreationTime = "read-only: AAS sets it (Kubernetes sets metadata.creationTimestamp)"
)

var kinds = [...]kindInfo{
	kindTarget: {
		list: "ScalableTargets", element: "ScalableTarget", request: "RegisterScalableTargetRequest",
		call: "RegisterScalableTarget", what: "scalable target",
		dropped: map[string]string{
			"ScalableTargetARN": reasonARN,
			"CreationTime":      reasonCreationTime,
			"PredictedCapacity": "read-only: predictive scaling's forecast (Berth has no predictive scaling)",
			"Tags":              "Berth's ScalableTarget has no tags: use metadata.labels or metadata.annotations",
		},
	},
	kindPolicy: {
		list: "ScalingPolicies", element: "ScalingPolicy", request: "PutScalingPolicyRequest",
		call: "PutScalingPolicy", nameMember: "PolicyName", what: "scaling policy",
		dropped: map[string]string{"PolicyARN": reasonARN, "CreationTime": reasonCreationTime},
	},
	kindAction: {
		list: "ScheduledActions", element: "ScheduledAction", request: "PutScheduledActionRequest",
		call: "PutScheduledAction", nameMember: "ScheduledActionName", what: "scheduled action",
		dropped: map[string]string{"ScheduledActionARN": reasonARN, "CreationTime": reasonCreationTime},
	},
}

// identityMembers name a policy's or action's scalable target: in Berth
// they are the ScalableTarget's.
var identityMembers = []string{"ServiceNamespace", "ResourceId", "ScalableDimension"}

// Members of a scaling policy that the import handles itself.
const (
	memberAlarms     = "Alarms"
	memberPredictive = "PredictiveScalingPolicyConfiguration"
)

// notCarried reports whether a member of kind k's shapes has no member of
// its own in the ScalableTarget: dropped, the target's identity, a
// policy's AAS alarms, or predictive scaling (the policy is skipped).
func notCarried(k itemKind, member string) bool {
	if _, ok := kinds[k].dropped[member]; ok {
		return true
	}
	if k == kindTarget {
		return false
	}
	for _, m := range identityMembers {
		if m == member {
			return true
		}
	}
	return k == kindPolicy && (member == memberAlarms || member == memberPredictive)
}

// targetKey identifies a scalable target, as AAS does.
type targetKey struct {
	namespace, resourceID, dimension string
}

// entry is a scaling policy or scheduled action of a target.
type entry struct {
	name, source, label string
	fields              map[string]any
	// step: a StepScaling policy, whose alarms must be written in;
	// alarmNames are the names AAS gave for them.
	step       bool
	alarmNames []string
}

// target is what the inputs say about one scalable target.
type target struct {
	key        targetKey
	registered bool
	source     string
	spec       map[string]any
	policies   []*entry
	actions    []*entry
}

// AutoScaling collects Application Auto Scaling JSON from several inputs
// and merges what names the same scalable target (service namespace,
// resource ID and scalable dimension) into one ScalableTarget: its
// RegisterScalableTarget input with its scaling policies and scheduled
// actions.
type AutoScaling struct {
	seen  []*target
	byKey map[targetKey]*target
}

// IsAutoScaling reports whether doc (parsed JSON) is Application Auto
// Scaling JSON: the output of describe-scalable-targets,
// describe-scaling-policies or describe-scheduled-actions, or the input of
// RegisterScalableTarget, PutScalingPolicy or PutScheduledAction, alone or
// in an array.
func IsAutoScaling(doc any) bool {
	switch x := doc.(type) {
	case map[string]any:
		return isDescribeOutput(x) || isAASObject(x)
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); !ok || !isAASObject(m) {
				return false
			}
		}
		return len(x) > 0
	}
	return false
}

// ParseAutoScaling parses raw JSON and returns it when it is Application
// Auto Scaling JSON.
func ParseAutoScaling(raw []byte) (any, bool) {
	var doc any
	if err := utiljson.Unmarshal(bytes.TrimSpace(raw), &doc); err != nil {
		return nil, false
	}
	return doc, IsAutoScaling(doc)
}

// isDescribeOutput: obj has a Describe* output's list.
func isDescribeOutput(obj map[string]any) bool {
	for _, info := range kinds {
		if _, ok := obj[info.list]; ok {
			return true
		}
	}
	return false
}

// isAASObject: a Register/Put* input or a Describe* element, by the
// members that identify a scalable target.
func isAASObject(obj map[string]any) bool {
	for _, m := range identityMembers {
		if _, ok := obj[m]; ok {
			return true
		}
	}
	return false
}

// objectKind is the kind of a single AAS object, by its name member.
func objectKind(obj map[string]any) itemKind {
	for _, k := range []itemKind{kindPolicy, kindAction} {
		if _, ok := obj[kinds[k].nameMember]; ok {
			return k
		}
	}
	return kindTarget
}

// collector adds one input's objects.
type collector struct {
	a       *AutoScaling
	source  string
	changes []Change
	errs    []error
}

// Add adds one input (parsed JSON that IsAutoScaling accepts), named
// source in messages. It returns what it dropped, converted or skipped,
// and the objects AAS would refuse.
func (a *AutoScaling) Add(source string, doc any) ([]Change, []error) {
	c := &collector{a: a, source: source}
	switch x := doc.(type) {
	case map[string]any:
		if isDescribeOutput(x) {
			c.describeOutput(x)
		} else {
			c.object(x, "", objectKind(x))
		}
	case []any:
		for i, e := range x {
			obj, _ := e.(map[string]any)
			c.object(obj, fmt.Sprintf("[%d]", i), objectKind(obj))
		}
	default:
		c.errs = append(c.errs, fmt.Errorf("%s: not Application Auto Scaling JSON", source))
	}
	return c.changes, c.errs
}

func (c *collector) change(path, action, reason string) {
	c.changes = append(c.changes, Change{Path: path, Action: action, Reason: reason})
}

func (c *collector) fail(label string, err error) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s: %w", c.source, label, err))
}

// describeOutput adds the objects of a Describe* output (several lists
// may share one object) and drops the rest of the wrapper.
func (c *collector) describeOutput(obj map[string]any) {
	listed := map[string]bool{}
	for k, info := range kinds {
		v, ok := obj[info.list]
		if !ok {
			continue
		}
		listed[info.list] = true
		list, isList := v.([]any)
		if !isList {
			c.fail(info.list, errors.New("not a list"))
			continue
		}
		for i, e := range list {
			o, _ := e.(map[string]any)
			c.object(o, fmt.Sprintf("%s[%d]", info.list, i), itemKind(k))
		}
	}
	for _, k := range sortedKeys(obj) {
		switch {
		case listed[k]:
		case k == "NextToken":
			c.change(k, "dropped", "more pages follow (the AWS CLI stopped at --max-items or --no-paginate): import every page, or the objects on the others are missing")
		default:
			c.change(k, "dropped", "a member of the Describe* output wrapper, not of a scalable target, policy or scheduled action")
		}
	}
}

// label names an object in messages: its path, or the call it is the
// input of.
func label(path string, info kindInfo) string {
	if path != "" {
		return path
	}
	return info.call + " input"
}

// identity reads the members that name the object's target, and its name,
// which the call requires (AAS refuses the call without them).
func identity(obj map[string]any, info kindInfo) (targetKey, string, error) {
	if obj == nil {
		return targetKey{}, "", errors.New("not a JSON object")
	}
	for _, m := range aasModel.Shapes[info.request].Required {
		if _, ok := obj[m]; !ok {
			return targetKey{}, "", fmt.Errorf("%s has no %s, which %s requires", info.what, m, info.call)
		}
	}
	str := func(m string) (string, error) {
		s, ok := obj[m].(string)
		if !ok || s == "" {
			return "", fmt.Errorf("%s: not a non-empty string", m)
		}
		return s, nil
	}
	var key targetKey
	var err error
	for i, dst := range []*string{&key.namespace, &key.resourceID, &key.dimension} {
		if *dst, err = str(identityMembers[i]); err != nil {
			return key, "", err
		}
	}
	name := ""
	if info.nameMember != "" {
		if name, err = str(info.nameMember); err != nil {
			return key, "", err
		}
	}
	return key, name, nil
}

// object adds one scalable target, policy or action.
func (c *collector) object(obj map[string]any, path string, k itemKind) {
	info := kinds[k]
	lbl := label(path, info)
	key, name, err := identity(obj, info)
	if err != nil {
		c.fail(lbl, err)
		return
	}
	if key.namespace != ecsv1alpha1.ServiceNamespaceECS {
		c.change(lbl, "skipped", fmt.Sprintf("%s of %s in service namespace %s: Berth scales ECS services only", info.what, key.resourceID, key.namespace))
		return
	}
	if k == kindPolicy && obj["PolicyType"] == string(ecsv1alpha1.PolicyTypePredictive) {
		c.change(lbl, "skipped", fmt.Sprintf("PredictiveScaling policy %s: Berth has no predictive scaling (the API server refuses it)", name))
		return
	}
	rest := c.drop(obj, path, k, key)
	fields, _ := walker{changes: &c.changes}.structure(rest, path, info.element, info.request).(map[string]any)
	t := c.a.target(key)
	switch k {
	case kindTarget:
		c.addTarget(t, fields, lbl)
	case kindPolicy:
		e := &entry{name: name, source: c.source, label: lbl, fields: fields}
		if obj["PolicyType"] == string(ecsv1alpha1.PolicyTypeStep) {
			e.step, e.alarmNames = true, alarmNames(obj[memberAlarms])
			c.change(lbl, "incomplete", stepReason(name, e.alarmNames))
		}
		t.policies = c.put(t.policies, e, "a scaling policy", "PutScalingPolicy replaces a policy", false)
	case kindAction:
		e := &entry{name: name, source: c.source, label: lbl, fields: fields}
		t.actions = c.put(t.actions, e, "a scheduled action", "PutScheduledAction updates an action with the members it is given", true)
	}
}

// drop removes the members Berth has no place for and says why.
func (c *collector) drop(obj map[string]any, path string, k itemKind, key targetKey) map[string]any {
	info := kinds[k]
	rest := make(map[string]any, len(obj))
	hadIdentity := false
	for _, m := range sortedKeys(obj) {
		switch {
		case info.dropped[m] != "":
			c.change(join(path, m), "dropped", info.dropped[m])
		case k == kindPolicy && m == memberAlarms:
			c.change(join(path, m), "dropped", alarmsReason(obj["PolicyType"], alarmNames(obj[m])))
		case k != kindTarget && (m == "ServiceNamespace" || m == "ResourceId" || m == "ScalableDimension"):
			hadIdentity = true
		default:
			rest[m] = obj[m]
		}
	}
	if hadIdentity {
		c.change(join(path, "{ServiceNamespace,ResourceId,ScalableDimension}"), "dropped",
			fmt.Sprintf("the %s goes into the ScalableTarget of %s, which has them", info.what, key.resourceID))
	}
	return rest
}

func alarmNames(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, a := range list {
		if m, ok := a.(map[string]any); ok {
			if n, ok := m["AlarmName"].(string); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

func alarmsReason(policyType any, alarms []string) string {
	switch policyType {
	case string(ecsv1alpha1.PolicyTypeTargetTracking):
		return fmt.Sprintf("the CloudWatch alarms AAS made for the target tracking policy (%s): Berth's HorizontalPodAutoscaler does their work", strings.Join(alarms, ", "))
	case string(ecsv1alpha1.PolicyTypeStep):
		return fmt.Sprintf("AAS gives only the names and ARNs of the CloudWatch alarms that run the policy (%s), not their metric, threshold and periods", strings.Join(alarms, ", "))
	}
	return "AAS's list of the CloudWatch alarms of the policy: Berth has no place for it"
}

func stepReason(policy string, alarms []string) string {
	get := "aws cloudwatch describe-alarms --alarm-names <the alarm's name>"
	if len(alarms) > 0 {
		get = "aws cloudwatch describe-alarms --alarm-names " + shellWords(alarms)
	}
	return fmt.Sprintf("StepScaling policy %s has no alarms: write each CloudWatch alarm that runs it into its alarms, with PutMetricAlarm's members "+
		"(from %s; docs/autoscaling.md). Until then the API server refuses the ScalableTarget (\"A StepScaling policy needs ... at least one alarm\"); "+
		"the manifest has a commented skeleton in the policy", policy, get)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=+-]+$`)

func shellWords(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if shellSafe.MatchString(w) {
			out[i] = w
		} else {
			out[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// target returns what is known of the scalable target key.
func (a *AutoScaling) target(key targetKey) *target {
	if a.byKey == nil {
		a.byKey = map[targetKey]*target{}
	}
	t, ok := a.byKey[key]
	if !ok {
		t = &target{key: key}
		a.byKey[key] = t
		a.seen = append(a.seen, t)
	}
	return t
}

// addTarget registers the target; registering it again updates the
// members given, as RegisterScalableTarget does.
func (c *collector) addTarget(t *target, fields map[string]any, lbl string) {
	if !t.registered {
		t.registered, t.source, t.spec = true, c.source, fields
		return
	}
	for k, v := range fields {
		t.spec[k] = v
	}
	c.change(lbl, "merged", fmt.Sprintf("%s is registered already (in %s): the members given here replace those, as RegisterScalableTarget updates a registered target",
		t.key.resourceID, t.source))
}

// put adds e to list, or replaces (merge: updates) the entry of the same
// name.
func (c *collector) put(list []*entry, e *entry, what, how string, merge bool) []*entry {
	for _, old := range list {
		if old.name != e.name {
			continue
		}
		action := "replaced"
		if merge {
			action = "merged"
			for k, v := range e.fields {
				old.fields[k] = v
			}
			e.fields = old.fields
		}
		c.change(e.label, action, fmt.Sprintf("%s named %s is given already (in %s): %s", what, e.name, old.source, how))
		*old = *e
		return list
	}
	return append(list, e)
}

// Build makes one ScalableTarget per registered target, in the order the
// inputs first name them. A target with policies or actions but no
// registration is an error, as AAS refuses them (ObjectNotFoundException).
func (a *AutoScaling) Build(opts Options) ([]*Result, []error) {
	var errs []error
	var built []*target
	var base []string
	count := map[string]int{}
	for _, t := range a.seen {
		if !t.registered {
			errs = append(errs, t.notFound())
			continue
		}
		name, err := t.objectName()
		if err != nil && opts.Name == "" {
			errs = append(errs, err)
			continue
		}
		built, base = append(built, t), append(base, name)
		count[name]++
	}
	out := make([]*Result, len(built))
	for i, t := range built {
		res := &Result{Label: t.key.resourceID}
		name := base[i]
		switch {
		case opts.Name != "":
			name = opts.Name
		case count[name] > 1:
			cluster, service, _ := serviceOf(t.key.resourceID)
			name = names.ObjectName(cluster + "-" + service)
			res.Changes = append(res.Changes, Change{Path: "metadata.name", Action: "converted",
				Reason: fmt.Sprintf("%s, after the cluster and the service: the inputs have services named %s in several clusters", name, service)})
		}
		t.build(res, name, opts.Namespace)
		out[i] = res
	}
	return out, errs
}

// notFound is AAS's ObjectNotFoundException for the policies and actions
// of an unregistered target.
func (t *target) notFound() error {
	var what []string
	for _, p := range t.policies {
		what = append(what, fmt.Sprintf("scaling policy %s (%s)", p.name, p.source))
	}
	for _, s := range t.actions {
		what = append(what, fmt.Sprintf("scheduled action %s (%s)", s.name, s.source))
	}
	return fmt.Errorf("%s: No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s "+
		"(AAS's ObjectNotFoundException): not imported: %s; give the target too (describe-scalable-targets output or RegisterScalableTarget input)",
		t.key.resourceID, t.key.namespace, t.key.resourceID, t.key.dimension, strings.Join(what, ", "))
}

// serviceOf splits an ECS service's resource ID, service/<cluster>/<service>.
func serviceOf(resourceID string) (cluster, service string, ok bool) {
	parts := strings.Split(resourceID, "/")
	if len(parts) != 3 || parts[0] != "service" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// objectName is the ScalableTarget's default name: the service name, in
// lower case with '_' as '-'.
func (t *target) objectName() (string, error) {
	_, service, ok := serviceOf(t.key.resourceID)
	if !ok {
		return "", fmt.Errorf("%s: the resource ID of an ECS service is service/<cluster-name>/<service-name>", t.key.resourceID)
	}
	name := names.ObjectName(service)
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("%s: %q is not an object name (%s): give --name", t.key.resourceID, name, strings.Join(errs, "; "))
	}
	return name, nil
}

// build writes the ScalableTarget manifest into res.
func (t *target) build(res *Result, name, namespace string) {
	spec := make(map[string]any, len(t.spec)+2)
	for k, v := range t.spec {
		spec[k] = v
	}
	cluster, service, _ := serviceOf(t.key.resourceID)
	if len(t.policies) > 0 {
		var list []any
		for i, p := range t.policies {
			list = append(list, p.fields)
			if p.step {
				res.todos = append(res.todos, alarmTodo{policy: i, alarmNames: p.alarmNames, cluster: cluster, service: service})
			}
		}
		spec["scalingPolicies"] = list
	}
	if len(t.actions) > 0 {
		var list []any
		for _, s := range t.actions {
			list = append(list, s.fields)
		}
		spec["scheduledActions"] = list
	}
	meta := map[string]any{"name": name}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	res.Object = map[string]any{
		"apiVersion": ecsv1alpha1.GroupVersion.String(),
		"kind":       "ScalableTarget",
		"metadata":   meta,
		"spec":       spec,
	}
}
