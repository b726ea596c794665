// Package modelcheck validates JSON documents against a shape of an AWS
// service model (botocore's service-2.json): members the model does not
// have, required members missing, enum values outside the model, and
// wrong JSON types (a timestamp must be a number: epoch seconds).
package modelcheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

type ref struct {
	Shape string `json:"shape"`
}

type shape struct {
	Type     string         `json:"type"`
	Members  map[string]ref `json:"members"`
	Required []string       `json:"required"`
	Member   *ref           `json:"member"`
	Value    *ref           `json:"value"`
	Enum     []string       `json:"enum"`
	Document bool           `json:"document"`
}

// Model is a parsed service model.
type Model struct {
	Shapes map[string]shape `json:"shapes"`
}

// Parse reads a service-2.json.
func Parse(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks the JSON document doc against shape name; it returns
// every problem found, each with its path.
func (m *Model) Validate(name string, doc []byte) []string {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return []string{err.Error()}
	}
	var out []string
	m.check("$", name, v, &out)
	return out
}

func (m *Model) check(path, name string, v any, out *[]string) {
	s, ok := m.Shapes[name]
	if !ok {
		*out = append(*out, fmt.Sprintf("%s: shape %s not in the model", path, name))
		return
	}
	bad := func(want string) { *out = append(*out, fmt.Sprintf("%s: %s wants %s, got %T", path, name, want, v)) }
	switch s.Type {
	case "structure":
		if !s.Document {
			m.structure(path, name, s, v, bad, out)
		}
	case "list":
		arr, ok := v.([]any)
		if !ok {
			bad("an array")
			return
		}
		for i, e := range arr {
			m.check(fmt.Sprintf("%s[%d]", path, i), s.Member.Shape, e, out)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object")
			return
		}
		for k, e := range obj {
			m.check(path+"."+k, s.Value.Shape, e, out)
		}
	default:
		scalar(path, name, s, v, bad, out)
	}
}

func (m *Model) structure(path, name string, s shape, v any, bad func(string), out *[]string) {
	obj, ok := v.(map[string]any)
	if !ok {
		bad("an object")
		return
	}
	for _, r := range s.Required {
		if _, ok := obj[r]; !ok {
			*out = append(*out, fmt.Sprintf("%s: required member %s missing (%s)", path, r, name))
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		mr, ok := s.Members[k]
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: %s has no member %s", path, name, k))
			continue
		}
		m.check(path+"."+k, mr.Shape, obj[k], out)
	}
}

func scalar(path, name string, s shape, v any, bad func(string), out *[]string) {
	switch s.Type {
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("a string")
			return
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			*out = append(*out, fmt.Sprintf("%s: %q is not a value of %s", path, str, name))
		}
	case "integer", "long", "double", "float", "timestamp":
		if _, ok := v.(float64); !ok {
			bad("a number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("a boolean")
		}
	case "blob":
		if _, ok := v.(string); !ok {
			bad("a base64 string")
		}
	}
}
