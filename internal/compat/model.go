package compat

import (
	"encoding/json"
	"fmt"
	"sort"
	"unicode"
	"unicode/utf8"
)

// Members lists every member of an input shape of an AWS API model
// (botocore's service-2.json), recursively: "[]" stands for every list
// element, map values are leaves, a structure that contains itself is
// walked once. Names are as the spec's JSON writes them: the model's, with
// a lower-case first letter (Application Auto Scaling's ResourceId is
// resourceId; ECS's are already so). Sorted.
func Members(model []byte, shape string) ([]string, error) {
	var m struct {
		Shapes map[string]struct {
			Type    string
			Members map[string]struct{ Shape string }
			Member  struct{ Shape string }
		}
	}
	if err := json.Unmarshal(model, &m); err != nil {
		return nil, err
	}
	if _, ok := m.Shapes[shape]; !ok {
		return nil, fmt.Errorf("no shape %s in the model", shape)
	}
	var out []string
	stack := map[string]bool{}
	var walk func(shape, path string)
	walk = func(shape, path string) {
		s := m.Shapes[shape]
		switch s.Type {
		case "structure":
			if stack[shape] {
				return
			}
			stack[shape] = true
			defer delete(stack, shape)
			for name, mem := range s.Members {
				p := join(path, LowerFirst(name))
				out = append(out, p)
				walk(mem.Shape, p)
			}
		case "list":
			walk(s.Member.Shape, path+"[]")
		}
	}
	walk(shape, "")
	sort.Strings(out)
	return out, nil
}

// LowerFirst lower-cases a name's first letter (RoleARN → roleARN).
func LowerFirst(name string) string {
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToLower(r)) + name[n:]
}
