package importer

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil"
)

// trimAASModel keeps of the model what the import walks: the shapes
// reachable from aasRoots, with their type, members, required members and
// list element.
func trimAASModel(t *testing.T, raw []byte) []byte {
	t.Helper()
	var full struct {
		Metadata struct {
			APIVersion string `json:"apiVersion"`
		} `json:"metadata"`
		Shapes map[string]struct {
			Type     string   `json:"type"`
			Required []string `json:"required"`
			Members  map[string]struct {
				Shape string `json:"shape"`
			} `json:"members"`
			Member struct {
				Shape string `json:"shape"`
			} `json:"member"`
		} `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &full); err != nil {
		t.Fatal(err)
	}
	out := aasModelFile{APIVersion: full.Metadata.APIVersion, Roots: aasRoots, Shapes: map[string]aasShape{}}
	var visit func(name string)
	visit = func(name string) {
		if _, done := out.Shapes[name]; done {
			return
		}
		s, ok := full.Shapes[name]
		if !ok {
			t.Fatalf("the model has no shape %s", name)
		}
		shape := aasShape{Type: s.Type, Required: s.Required, Member: s.Member.Shape}
		out.Shapes[name] = shape
		if len(s.Members) > 0 {
			shape.Members = map[string]string{}
			for m, ref := range s.Members {
				shape.Members[m] = ref.Shape
			}
			out.Shapes[name] = shape
			for _, ref := range shape.Members {
				visit(ref)
			}
		}
		if shape.Member != "" {
			visit(shape.Member)
		}
	}
	for _, r := range aasRoots {
		visit(r)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestAASModelIsTheReference checks that aas_model.json is the trimmed
// models/application-autoscaling/service-2.json (-update
// rewrites it).
func TestAASModelIsTheReference(t *testing.T) {
	want := trimAASModel(t, testutil.Model(t, "application-autoscaling/service-2.json"))
	if *update {
		if err := os.WriteFile("aas_model.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(want, aasModelJSON) {
		t.Fatal("aas_model.json is not the trimmed reference model: run go test ./internal/importer -run TestAASModelIsTheReference -update")
	}
}

// TestAASNamesMatchGoTypes walks the model's shapes and the ScalableTarget's
// Go types together: every member the import carries converts to the JSON
// name of a field of the matching Go type, of the matching type (structure,
// list, timestamp as metav1.Time, integer, double, boolean, string), and
// every field comes from a member, except Berth's own (the policies and
// actions of a target, the alarms of a policy).
func TestAASNamesMatchGoTypes(t *testing.T) {
	for _, c := range []struct {
		kind      itemKind
		goType    reflect.Type
		berthOnly []string
	}{
		{kindTarget, reflect.TypeFor[ecsv1alpha1.ScalableTargetSpec](), []string{"scalingPolicies", "scheduledActions"}},
		{kindPolicy, reflect.TypeFor[ecsv1alpha1.ScalingPolicy](), []string{"alarms"}},
		{kindAction, reflect.TypeFor[ecsv1alpha1.ScheduledAction](), nil},
	} {
		info := kinds[c.kind]
		members := map[string]string{}
		for _, s := range []string{info.request, info.element} {
			for m, shape := range aasModel.Shapes[s].Members {
				if !notCarried(c.kind, m) {
					members[m] = shape
				}
			}
		}
		checkStruct(t, info.element, members, c.goType, c.berthOnly)
	}
}

func checkStruct(t *testing.T, path string, members map[string]string, typ reflect.Type, berthOnly []string) {
	t.Helper()
	fields := map[string]reflect.Type{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	for m, shape := range members {
		name := memberName(m)
		ft, ok := fields[name]
		if !ok {
			t.Errorf("%s.%s converts to %s, which %v has not", path, m, name, typ)
			continue
		}
		delete(fields, name)
		checkValue(t, path+"."+m, shape, ft)
	}
	for name := range fields {
		if !slices.Contains(berthOnly, name) {
			t.Errorf("%v.%s comes from no member of %s", typ, name, path)
		}
	}
}

func checkValue(t *testing.T, path, shapeName string, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	s := aasModel.Shapes[shapeName]
	want := map[string][]reflect.Kind{
		"string": {reflect.String}, "integer": {reflect.Int32, reflect.Int64},
		"double": {reflect.Float64}, "boolean": {reflect.Bool},
		"structure": {reflect.Struct}, "list": {reflect.Slice},
	}[s.Type]
	switch {
	case s.Type == "timestamp":
		if typ != reflect.TypeFor[metav1.Time]() {
			t.Errorf("%s: a timestamp, but %v", path, typ)
		}
	case !slices.Contains(want, typ.Kind()):
		t.Errorf("%s: %s %s, but %v", path, s.Type, shapeName, typ)
	case s.Type == "structure":
		checkStruct(t, path, s.Members, typ, nil)
	case s.Type == "list" && typ.Elem() == reflect.TypeFor[runtime.RawExtension]():
		// Metric math: kept as converted JSON; Berth refuses it at admission.
	case s.Type == "list":
		checkValue(t, path+"[]", s.Member, typ.Elem())
	}
}

func TestParseTimestamp(t *testing.T) {
	want := time.Date(2024, 4, 1, 6, 30, 0, 0, time.UTC)
	for _, in := range []any{
		int64(1711953000), float64(1711953000), 1.7119530001e9, "1711953000", "1711953000.25",
		"2024-04-01T06:30:00Z", "2024-04-01T08:30:00+02:00", "2024-04-01T08:30:00.123456+02:00",
		"2024-04-01T06:30:00", "2024-04-01 06:30:00", "2024-04-01 08:30:00+02:00", "2024-04-01T06:30:00.5+0000",
	} {
		got, ok := parseTimestamp(in)
		if !ok || !got.Truncate(time.Second).Equal(want) {
			t.Errorf("parseTimestamp(%#v) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if got, ok := parseTimestamp("2024-04-01"); !ok || !got.Equal(time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a date: %v %v", got, ok)
	}
	for _, in := range []any{"next monday", true, "", float64(1e15)} {
		if _, ok := parseTimestamp(in); ok {
			t.Errorf("parseTimestamp(%#v) read a time", in)
		}
	}
}
