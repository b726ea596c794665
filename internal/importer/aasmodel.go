package importer

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// aasModelJSON is the part of Application Auto Scaling's API model
// (application-autoscaling-service-2.json) that the import walks: the
// shapes reachable from the Describe* outputs and the Register/Put*
// inputs, without their documentation. TestAASModelIsTheReference checks it
// against the model and rewrites it with -update.
//
//go:embed aas_model.json
var aasModelJSON []byte

// aasShape is a shape of the model: its type, and for a structure its
// members (member name → shape name) and the required ones, for a list
// its element shape.
type aasShape struct {
	Type     string            `json:"type"`
	Required []string          `json:"required,omitempty"`
	Members  map[string]string `json:"members,omitempty"`
	Member   string            `json:"member,omitempty"`
}

type aasModelFile struct {
	APIVersion string              `json:"apiVersion"`
	Roots      []string            `json:"roots"`
	Shapes     map[string]aasShape `json:"shapes"`
}

// aasRoots are the shapes the import starts from.
var aasRoots = []string{
	"DescribeScalableTargetsResponse",
	"DescribeScalingPoliciesResponse",
	"DescribeScheduledActionsResponse",
	"RegisterScalableTargetRequest",
	"PutScalingPolicyRequest",
	"PutScheduledActionRequest",
}

var aasModel = func() aasModelFile {
	var m aasModelFile
	if err := json.Unmarshal(aasModelJSON, &m); err != nil {
		panic(fmt.Sprintf("importer: aas_model.json: %v", err))
	}
	return m
}()

// memberName is the Kubernetes name of a model member: the model's name
// with its first letter in lower case (RoleARN → roleARN, ResourceId →
// resourceId), as the ScalableTarget's Go types spell them.
func memberName(m string) string {
	if m == "" {
		return m
	}
	return strings.ToLower(m[:1]) + m[1:]
}

// walker converts AAS JSON to Berth's member names by walking it with the
// model's shapes, and records what it converted.
type walker struct {
	changes *[]Change
}

// structure converts an object of the given structure shapes (the first
// that has a member wins: an output element and its request share most
// members). Members the model does not know are kept as they are, so that
// the API server names them.
func (w walker) structure(v any, path string, shapes ...string) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(obj))
	for _, k := range sortedKeys(obj) {
		shape, known := "", false
		for _, s := range shapes {
			if shape, known = aasModel.Shapes[s].Members[k]; known {
				break
			}
		}
		if !known {
			out[k] = obj[k]
			*w.changes = append(*w.changes, Change{Path: join(path, k), Action: "kept",
				Reason: fmt.Sprintf("not a member of AAS's %s: kept as it is, so that the API server names it", shapes[0])})
			continue
		}
		out[memberName(k)] = w.value(obj[k], join(path, k), shape)
	}
	return out
}

// value converts v, of the named shape.
func (w walker) value(v any, path, shapeName string) any {
	shape := aasModel.Shapes[shapeName]
	switch shape.Type {
	case "structure":
		return w.structure(v, path, shapeName)
	case "list":
		list, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(list))
		for i, e := range list {
			out[i] = w.value(e, fmt.Sprintf("%s[%d]", path, i), shape.Member)
		}
		return out
	case "timestamp":
		return w.timestamp(v, path)
	}
	return v
}

// timestamp writes a timestamp as RFC 3339 in UTC, to the second, as
// metav1.Time does. One that cannot be read is kept, for the API server to
// refuse by name.
func (w walker) timestamp(v any, path string) any {
	t, ok := parseTimestamp(v)
	if !ok {
		return v
	}
	s := t.UTC().Truncate(time.Second).Format(time.RFC3339)
	if orig, isString := v.(string); isString && orig == s {
		return s
	}
	how := "RFC 3339 in UTC, as metav1.Time writes it"
	if !t.Truncate(time.Second).Equal(t) {
		how += "; the fraction of a second dropped"
	}
	*w.changes = append(*w.changes, Change{Path: path, Action: "converted",
		Reason: fmt.Sprintf("%s → %s (%s)", timestampText(v), s, how)})
	return s
}

func timestampText(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// timestampLayouts are the ISO 8601 forms the AWS CLI prints and takes;
// a time without an offset is UTC, as botocore reads it.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseTimestamp reads a timestamp as the AWS CLI prints it: ISO 8601, or
// epoch seconds (the wire format, and the CLI's with
// cli_timestamp_format = none), as a number or a string.
func parseTimestamp(v any) (time.Time, bool) {
	switch x := v.(type) {
	case int64:
		return time.Unix(x, 0), true
	case float64:
		return epoch(x)
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return epoch(f)
		}
		for _, layout := range timestampLayouts {
			if t, err := time.Parse(layout, x); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func epoch(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3), true
}

func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
