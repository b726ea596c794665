package compat

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// TestSpecsAreTheInputs fills every field of each kind's spec and checks
// that each member of its JSON is a member of one of the kind's inputs (or
// one of Berth's own, Input.Berth): a spec field whose JSON name differs
// from the model's would be in no table, and the walk would skip it
// without a word.
func TestSpecsAreTheInputs(t *testing.T) {
	specs := map[string]any{
		"Service":          &ecsv1alpha1.ServiceSpec{},
		"Cluster":          &ecsv1alpha1.ClusterSpec{},
		"CapacityProvider": &ecsv1alpha1.CapacityProviderSpec{},
		"Task":             &ecsv1alpha1.TaskSpec{},
		"ScalableTarget":   &ecsv1alpha1.ScalableTargetSpec{},
	}
	for _, in := range Inputs {
		if _, ok := specs[in.Kind]; !ok {
			t.Errorf("%s: kind %s has no spec in this test", in.Operation, in.Kind)
		}
	}
	for kind, spec := range specs {
		fill(reflect.ValueOf(spec).Elem(), 0)
		raw, err := json.Marshal(spec)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		var paths []string
		genericPaths(doc, "", &paths)
		if len(paths) < 10 {
			t.Fatalf("%s: only %d members in a filled spec: %q", kind, len(paths), paths)
		}
		for _, p := range paths {
			if !inATable(kind, p) {
				t.Errorf("%s: spec.%s is in none of the kind's tables nor Berth's own members (a JSON name that is not the model's?)", kind, p)
			}
		}
	}
}

// inATable tells whether a generic path of a kind's spec is a member of
// one of its inputs, or under one of Berth's own members.
func inATable(kind, p string) bool {
	var best *Input
	for i := range Inputs {
		in := &Inputs[i]
		if in.Kind != kind || (in.Where != "" && !strings.HasPrefix(p, in.Where+".")) {
			continue
		}
		if best == nil || len(in.Where) > len(best.Where) {
			best = in
		}
	}
	if best == nil {
		return false
	}
	rel := p
	if best.Where != "" {
		rel = strings.TrimPrefix(p, best.Where+".")
	}
	if _, ok := best.Table[rel]; ok {
		return true
	}
	for _, b := range best.Berth {
		if rel == b || strings.HasPrefix(rel, b+".") || strings.HasPrefix(rel, b+"[") {
			return true
		}
	}
	// A key of a map member (logConfiguration.options): the model has
	// nothing below the member.
	for i := strings.LastIndex(rel, "."); i > 0; i = strings.LastIndex(rel[:i], ".") {
		if _, ok := best.Table[rel[:i]]; ok {
			return !hasBelow(best.Table, rel[:i])
		}
	}
	return false
}

func hasBelow(t Table, member string) bool {
	for m := range t {
		if strings.HasPrefix(m, member+".") || strings.HasPrefix(m, member+"[") {
			return true
		}
	}
	return false
}

// fill sets every field of v: pointers allocated, one element in lists and
// maps, non-zero scalars. Structs of other packages (metav1.Time,
// resource.Quantity, runtime.RawExtension) are left zero: they are leaves.
func fill(v reflect.Value, depth int) {
	if depth > 32 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), depth+1)
	case reflect.Struct:
		if v.Type().PkgPath() != reflect.TypeFor[ecsv1alpha1.ServiceSpec]().PkgPath() {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), depth+1)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	}
}

// genericPaths lists the members of a JSON document ("[]" for every
// element of a list), sorted.
func genericPaths(v any, path string, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := join(path, k)
			*out = append(*out, p)
			genericPaths(e, p, out)
		}
	case []any:
		for _, e := range x {
			genericPaths(e, path+"[]", out)
		}
	}
	sort.Strings(*out)
}
