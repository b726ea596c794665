package v1alpha1

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/internal/testutil"
)

// The schema-coverage test walks every ECS request shape Berth accepts, member
// by member, alongside the openAPIV3Schema of the CRD that embeds it, and
// fails when a member is missing, renamed, of the wrong JSON type, or when an
// enum's values differ from the ECS model. It needs no API server.

// coverageExceptions are model members deliberately absent from a CRD. Keep
// this list short and explained: hack/ecsgen/config.go (skipMembers) must
// agree with it.
var coverageExceptions = map[string]string{
	"RunTaskRequest.count": "one Task object is one task; run N tasks by creating N objects",
}

// coverageExtras are CRD spec properties that are Berth's own, not ECS
// members. Any other property the model does not know is reported as a
// rename.
var coverageExtras = map[string]string{
	"TaskDefinition.spec.revisionHistoryLimit":  "how many revisions stay ACTIVE",
	"TaskDefinition.spec.deregisteredRevisions": "DeregisterTaskDefinition, declaratively",
	"TaskDefinition.spec.registration":          "the ECS API's token: every RegisterTaskDefinition call registers a revision",
	"Task.spec.desiredStatus":                   "StopTask: STOPPED stops the task",
	"Task.spec.stopReason":                      "StopTask's reason",
	"TaskDefinitionRevision.spec.revision":      "the revision number",
	"CapacityProvider.spec.type":                "FARGATE, FARGATE_SPOT or EC2_AUTOSCALING",
	"CapacityProvider.spec.nodePool":            "the Kubernetes nodes behind the provider",
}

// coverageRoots pairs each request shape with the CRD (file and kind) whose
// .spec carries it.
var coverageRoots = []struct {
	shape string
	crd   string
	kind  string
}{
	{"RegisterTaskDefinitionRequest", "ecs.berth.dev_taskdefinitions.yaml", "TaskDefinition"},
	{"RegisterTaskDefinitionRequest", "ecs.berth.dev_taskdefinitionrevisions.yaml", "TaskDefinitionRevision"},
	{"CreateServiceRequest", "ecs.berth.dev_services.yaml", "Service"},
	{"RunTaskRequest", "ecs.berth.dev_tasks.yaml", "Task"},
	{"CreateClusterRequest", "ecs.berth.dev_clusters.yaml", "Cluster"},
	{"CreateCapacityProviderRequest", "ecs.berth.dev_capacityproviders.yaml", "CapacityProvider"},
}

// minVisitedMembers guards against a vacuous pass (a walk that stops early).
const minVisitedMembers = 300

type ecsRef struct {
	Shape string `json:"shape"`
}

type ecsShape struct {
	Type    string            `json:"type"`
	Members map[string]ecsRef `json:"members"`
	Member  *ecsRef           `json:"member"`
	Key     *ecsRef           `json:"key"`
	Value   *ecsRef           `json:"value"`
	Enum    []string          `json:"enum"`
	// Document marks a Smithy document: free JSON, no fixed members.
	Document bool `json:"document"`
}

type ecsModel struct {
	Shapes map[string]ecsShape `json:"shapes"`
}

// moduleRoot is the directory holding go.mod.
func moduleRoot(t testing.TB) string { return testutil.ModuleRoot(t) }

func loadECSModel(t *testing.T) ecsModel {
	t.Helper()
	const path = "models/ecs/service-2.json"
	raw := testutil.Model(t, "ecs/service-2.json")
	var m ecsModel
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	if len(m.Shapes) == 0 {
		t.Fatalf("%s has no shapes", path)
	}
	return m
}

func loadCRDSpecSchema(t *testing.T, file, kind string) *apiextensionsv1.JSONSchemaProps {
	t.Helper()
	path := filepath.Join(moduleRoot(t), "config", "crd", "bases", file)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading CRD: %v", err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	if crd.Spec.Names.Kind != kind {
		t.Fatalf("%s: kind %q, want %q", file, crd.Spec.Names.Kind, kind)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name != GroupVersion.Version {
			continue
		}
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			t.Fatalf("%s: version %s has no schema", file, v.Name)
		}
		spec, ok := v.Schema.OpenAPIV3Schema.Properties["spec"]
		if !ok {
			t.Fatalf("%s: no .spec in the schema", file)
		}
		return &spec
	}
	t.Fatalf("%s: no version %s", file, GroupVersion.Version)
	return nil
}

type coverageWalker struct {
	model   ecsModel
	kind    string
	visited int
	errs    []string
}

func (w *coverageWalker) errorf(format string, args ...any) {
	w.errs = append(w.errs, fmt.Sprintf(format, args...))
}

// wantJSONType is the OpenAPI type (and integer format) of a model type.
func wantJSONType(modelType string) (typ, format string, ok bool) {
	switch modelType {
	case "structure":
		return "object", "", true
	case "list":
		return "array", "", true
	case "map":
		return "object", "", true
	case "string":
		return "string", "", true
	case "integer":
		return "integer", "int32", true
	case "long":
		return "integer", "int64", true
	case "boolean":
		return "boolean", "", true
	case "double":
		return "number", "", true
	}
	return "", "", false
}

// walk compares the model shape named shapeName with schema s, at path.
// stack holds the shapes being walked, to stop on recursive shapes.
func (w *coverageWalker) walk(path, shapeName string, s *apiextensionsv1.JSONSchemaProps, stack []string) {
	sh, ok := w.model.Shapes[shapeName]
	if !ok {
		w.errorf("%s: shape %s is not in the model", path, shapeName)
		return
	}
	typ, format, ok := wantJSONType(sh.Type)
	if !ok {
		w.errorf("%s: model type %q (shape %s) has no JSON mapping in this test", path, sh.Type, shapeName)
		return
	}
	if s.Type != typ {
		w.errorf("%s: CRD type %q, want %q (model %s %s)", path, s.Type, typ, sh.Type, shapeName)
		return
	}
	if format != "" && s.Format != format {
		w.errorf("%s: CRD integer format %q, want %q (model %s %s)", path, s.Format, format, sh.Type, shapeName)
	}
	if slices.Contains(stack, shapeName) {
		return // recursive shape: already being compared above
	}
	stack = append(stack, shapeName)

	switch {
	case sh.Document:
		// Free JSON: the CRD must keep whatever it holds.
		if s.XPreserveUnknownFields == nil || !*s.XPreserveUnknownFields {
			w.errorf("%s: document shape %s: the CRD must set x-kubernetes-preserve-unknown-fields, or the API server drops its content", path, shapeName)
		}
		if len(s.Properties) > 0 {
			w.errorf("%s: document shape %s has fixed properties in the CRD", path, shapeName)
		}
		w.visited++
		return
	}
	switch sh.Type {
	case "structure":
		w.structure(path, shapeName, sh, s, stack)
	case "list":
		if sh.Member == nil {
			w.errorf("%s: list shape %s has no member", path, shapeName)
			return
		}
		if s.Items == nil || s.Items.Schema == nil {
			w.errorf("%s: CRD array has no items schema", path)
			return
		}
		w.walk(path+"[]", sh.Member.Shape, s.Items.Schema, stack)
	case "map":
		if sh.Key == nil || sh.Value == nil {
			w.errorf("%s: map shape %s has no key or value", path, shapeName)
			return
		}
		if kt := w.model.Shapes[sh.Key.Shape].Type; kt != "string" {
			w.errorf("%s: map key type %q: only string keys fit a JSON object", path, kt)
		}
		if s.AdditionalProperties == nil || s.AdditionalProperties.Schema == nil {
			w.errorf("%s: CRD object for map %s has no additionalProperties schema", path, shapeName)
			return
		}
		if len(s.Properties) > 0 {
			w.errorf("%s: CRD object for map %s has fixed properties", path, shapeName)
		}
		w.walk(path+"{}", sh.Value.Shape, s.AdditionalProperties.Schema, stack)
	case "string":
		w.enum(path, sh, s)
	}
}

func (w *coverageWalker) structure(path, shapeName string, sh ecsShape, s *apiextensionsv1.JSONSchemaProps, stack []string) {
	if s.AdditionalProperties != nil {
		w.errorf("%s: CRD object for structure %s has additionalProperties", path, shapeName)
	}
	if s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields {
		w.errorf("%s: CRD object for structure %s preserves unknown fields", path, shapeName)
	}
	root := len(stack) == 1
	names := make([]string, 0, len(sh.Members))
	for n := range sh.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, member := range names {
		mpath := path + "." + member
		if _, ok := coverageExceptions[shapeName+"."+member]; ok {
			if _, present := s.Properties[member]; present {
				w.errorf("%s: listed as a deliberate exception but present in the CRD: drop it from coverageExceptions", mpath)
			}
			continue
		}
		w.visited++
		prop, ok := s.Properties[member]
		if !ok {
			w.errorf("%s: missing from the CRD (shape %s)", mpath, sh.Members[member].Shape)
			continue
		}
		w.walk(mpath, sh.Members[member].Shape, &prop, stack)
	}
	for name := range s.Properties {
		if _, ok := sh.Members[name]; ok {
			continue
		}
		if root {
			if _, ok := coverageExtras[w.kind+".spec."+name]; ok {
				continue
			}
		}
		w.errorf("%s.%s: in the CRD but not a member of %s (renamed, or an undeclared extra)", path, name, shapeName)
	}
}

func (w *coverageWalker) enum(path string, sh ecsShape, s *apiextensionsv1.JSONSchemaProps) {
	var got []string
	for _, e := range s.Enum {
		var v string
		if err := json.Unmarshal(e.Raw, &v); err != nil {
			w.errorf("%s: CRD enum value %s is not a string", path, string(e.Raw))
			continue
		}
		got = append(got, v)
	}
	want := slices.Clone(sh.Enum)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		var missing, extra []string
		for _, v := range want {
			if !slices.Contains(got, v) {
				missing = append(missing, v)
			}
		}
		for _, v := range got {
			if !slices.Contains(want, v) {
				extra = append(extra, v)
			}
		}
		w.errorf("%s: enum differs from the model: missing %q, extra %q", path, missing, extra)
	}
}

func TestSchemaCoverage(t *testing.T) {
	m := loadECSModel(t)

	// Every exception must name a real model member, or it hides nothing.
	for k := range coverageExceptions {
		shape, member, _ := strings.Cut(k, ".")
		if _, ok := m.Shapes[shape].Members[member]; !ok {
			t.Errorf("coverage exception %s names no model member", k)
		}
	}

	// Walk every root first, so that the total below does not depend on
	// which subtests -run selects.
	total := 0
	for _, r := range coverageRoots {
		spec := loadCRDSpecSchema(t, r.crd, r.kind)
		w := &coverageWalker{model: m, kind: r.kind}
		w.walk(r.shape, r.shape, spec, nil)
		total += w.visited
		t.Run(r.kind, func(t *testing.T) {
			for _, e := range w.errs {
				t.Error(e)
			}
			if w.visited == 0 {
				t.Errorf("%s: no member visited", r.shape)
			}
			t.Logf("%s → %s .spec: %d members compared", r.shape, r.kind, w.visited)
		})
	}
	for k := range coverageExtras {
		kind, _, _ := strings.Cut(k, ".")
		found := false
		for _, r := range coverageRoots {
			found = found || r.kind == kind
		}
		if !found {
			t.Errorf("coverage extra %s names no covered kind", k)
		}
	}
	if total <= minVisitedMembers {
		t.Fatalf("only %d members compared; expected more than %d (is the walk broken?)", total, minVisitedMembers)
	}
	t.Logf("%d ECS members compared with the CRDs", total)
}
