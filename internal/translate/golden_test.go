package translate

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenInput is one test case: ECS objects in, Kubernetes objects out.
type goldenInput struct {
	services  []*ecsv1alpha1.Service
	tasks     []*ecsv1alpha1.Task
	revisions []*ecsv1alpha1.TaskDefinitionRevision
	clusters  []*ecsv1alpha1.Cluster
	providers map[string]*ecsv1alpha1.CapacityProvider
}

func loadInput(t *testing.T, path string) goldenInput {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in := goldenInput{providers: map[string]*ecsv1alpha1.CapacityProvider{}}
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		var obj runtime.Object
		switch meta.Kind {
		case "Service":
			s := &ecsv1alpha1.Service{}
			in.services, obj = append(in.services, s), s
		case "Task":
			s := &ecsv1alpha1.Task{}
			in.tasks, obj = append(in.tasks, s), s
		case "TaskDefinitionRevision":
			s := &ecsv1alpha1.TaskDefinitionRevision{}
			in.revisions, obj = append(in.revisions, s), s
		case "Cluster":
			s := &ecsv1alpha1.Cluster{}
			in.clusters, obj = append(in.clusters, s), s
		case "CapacityProvider":
			s := &ecsv1alpha1.CapacityProvider{}
			obj = s
			defer func() { in.providers[s.Name] = s }()
		default:
			t.Fatalf("%s: unexpected kind %q", path, meta.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return in
}

// render translates every Service and Task of a case, in file order.
func render(t *testing.T, in goldenInput) []byte {
	t.Helper()
	cfg := Config{Account: names.DefaultAccount}
	if len(in.revisions) != 1 {
		t.Fatalf("want exactly one TaskDefinitionRevision, got %d", len(in.revisions))
	}
	r := in.revisions[0]
	rev := Revision{TaskDefinition: r.Labels[ecsv1alpha1.LabelTaskDefinition], Number: r.Spec.Revision, Spec: &r.Spec.RegisterTaskDefinitionInput}
	var cluster *ecsv1alpha1.Cluster
	if len(in.clusters) > 0 {
		cluster = in.clusters[0]
	}
	var out bytes.Buffer
	emit := func(v any) {
		b, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	for _, svc := range in.services {
		p, err := ResolvePlacement(PlacementInput{LaunchType: svc.Spec.LaunchType, Strategy: svc.Spec.CapacityProviderStrategy, Cluster: cluster, CapacityProviders: in.providers})
		if err != nil {
			t.Fatalf("placement: %v", err)
		}
		d, err := Deployment(svc, rev, p, cfg)
		emit(orError(d, err))
	}
	for _, task := range in.tasks {
		p, err := ResolvePlacement(PlacementInput{LaunchType: task.Spec.LaunchType, Strategy: task.Spec.CapacityProviderStrategy, Cluster: cluster, CapacityProviders: in.providers})
		if err != nil {
			t.Fatalf("placement: %v", err)
		}
		pod, err := TaskPod(task, rev, p, cfg)
		emit(orError(pod, err))
	}
	notes, err := Report(rev.Spec)
	emit(map[string]any{"fieldNotes": notes, "error": errString(err)})
	return out.Bytes()
}

// orError is v, or the error's message when there is one.
func orError(v any, err error) any {
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	return v
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/input.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, input := range dirs {
		dir := filepath.Dir(input)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := render(t, loadInput(t, input))
			golden := filepath.Join(dir, "want.golden.yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/translate -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("translation differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestDeterministic renders every case many times: the output must be
// byte-identical each time (maps are sorted, nothing depends on time).
func TestDeterministic(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/*/input.yaml")
	for _, input := range dirs {
		in := loadInput(t, input)
		first := render(t, in)
		for i := 0; i < 1000; i++ {
			if got := render(t, in); !bytes.Equal(first, got) {
				t.Fatalf("%s: run %d differs from run 0", input, i)
			}
		}
	}
}
