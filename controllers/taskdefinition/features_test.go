package taskdefinition

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/translate"
)

// Berth asks the API server its version and, where the cluster lacks a
// Kubernetes feature, falls back (translate.Features). These tests hold
// that table to the API server they run on: a field of a feature the table
// says the version has must be kept, and one it says the version lacks must
// be dropped (an API server drops the fields of a disabled feature gate
// without an error, so an object that passes validation may still have
// lost them); and what Berth translates for that version must be kept
// whole. `make test-k8s-min` runs them on the oldest version Berth
// supports.

// featureField is the pod fields of a feature of translate.Features.
type featureField struct {
	name  string
	has   func(translate.Features) bool
	field *regexp.Regexp
}

// matches: path (as diffKept gives it) is a field of the feature.
func (f featureField) matches(path string) bool {
	path, _, _ = strings.Cut(path, " ")
	return f.field.MatchString(path)
}

// featureFields says which feature a pod field belongs to.
var featureFields = []featureField{
	{"pod-level resources", translate.Features.PodLevelResources, regexp.MustCompile(`^spec\.resources(\.|$)`)},
	{"container restart rules", translate.Features.ContainerRestartRules, regexp.MustCompile(`^spec\.containers\[\d+\]\.restartPolicy(Rules)?(\.|\[|$)`)},
	{"hostnameOverride", translate.Features.HostnameOverride, regexp.MustCompile(`^spec\.hostnameOverride$`)},
}

// probe uses every feature of the table: a task size, a hostname that is
// not a DNS label, and a container restart policy with ignored exit codes
// (restartPolicy and restartPolicyRules) next to a container without one
// (restartPolicy Never in a service task).
func probe() *ecsv1alpha1.RegisterTaskDefinitionInput {
	return &ecsv1alpha1.RegisterTaskDefinitionInput{Family: "probe", Cpu: "512", Memory: "1024", ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{
		{Name: "app", Image: "nginx:1", Hostname: "api.corp", RestartPolicy: &ecsv1alpha1.ContainerRestartPolicy{Enabled: true, IgnoredExitCodes: []int32{0}}},
		{Name: "worker", Image: "busybox:1"},
	}}
}

// TestFeaturesMatchServer: the newest translation's fields are kept by the
// API server exactly for the features the table gives its version.
func TestFeaturesMatchServer(t *testing.T) {
	ctx, ns := podNamespace(t)
	for _, kind := range []translate.TaskKind{translate.ServiceTask, translate.StandaloneTask} {
		newest, err := translate.TranslatePod(probe(), translate.Placement{}, kind)
		if err != nil {
			t.Fatal(err)
		}
		sent, lost := dryRunPod(t, ctx, ns, "probe", newest)
		t.Logf("kind %v: the API server (1.%d) dropped or changed %d fields of the newest translation: %v", kind, features.KubernetesMinor, len(lost), lost)
		for _, f := range featureFields {
			used := slices.ContainsFunc(leafPaths("", sent), f.matches)
			if !used {
				t.Fatalf("kind %v: the newest translation of the probe uses no %s field", kind, f.name)
			}
			dropped := slices.ContainsFunc(lost, f.matches)
			if has := f.has(features); has == dropped {
				t.Errorf("kind %v: translate.Features says Kubernetes 1.%d has %s: %v, but the API server dropped its fields: %v", kind, features.KubernetesMinor, f.name, has, dropped)
			}
		}
		for _, p := range lost {
			if !slices.ContainsFunc(featureFields, func(f featureField) bool { return f.matches(p) }) {
				t.Errorf("kind %v: the API server (1.%d) dropped or changed %s, a field of no feature in translate.Features", kind, features.KubernetesMinor, p)
			}
		}
	}
}

// TestTranslationKeptByServer: what Berth translates for the API server's
// version (the probe, and the task definition of every golden case of
// internal/translate) is valid there and kept whole.
func TestTranslationKeptByServer(t *testing.T) {
	ctx, ns := podNamespace(t)
	defs := map[string]*ecsv1alpha1.RegisterTaskDefinitionInput{"probe": probe()}
	inputs, _ := filepath.Glob(filepath.Join("..", "..", "internal", "translate", "testdata", "*", "input.yaml"))
	if len(inputs) == 0 {
		t.Fatal("no golden cases in internal/translate/testdata")
	}
	for _, in := range inputs {
		raw, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			var meta struct{ Kind string }
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			if meta.Kind != "TaskDefinitionRevision" {
				continue
			}
			rev := &ecsv1alpha1.TaskDefinitionRevision{}
			if err := yaml.Unmarshal([]byte(doc), rev); err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			defs[filepath.Base(filepath.Dir(in))] = &rev.Spec.RegisterTaskDefinitionInput
		}
	}
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		td := defs[name]
		placement := translate.Placement{LaunchType: ecsv1alpha1.LaunchTypeEc2}
		if slices.Contains(td.RequiresCompatibilities, ecsv1alpha1.CompatibilityFargate) {
			placement.LaunchType = ecsv1alpha1.LaunchTypeFargate
		}
		for _, kind := range []translate.TaskKind{translate.ServiceTask, translate.StandaloneTask} {
			pt, err := translate.TranslatePodWith(td, placement, kind, features)
			if err != nil {
				t.Errorf("%s (kind %v): %v", name, kind, err)
				continue
			}
			if _, lost := dryRunPod(t, ctx, ns, name, pt); len(lost) > 0 {
				t.Errorf("%s (kind %v): the API server (1.%d) dropped or changed fields Berth translated for it: %s", name, kind, features.KubernetesMinor, strings.Join(lost, ", "))
			}
		}
	}
}

// podNamespace creates a namespace with the default ServiceAccount, which
// the ServiceAccount admission plugin needs for pods.
func podNamespace(t *testing.T) (context.Context, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	ns := namespace(t)
	if err := direct.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return ctx, ns
}

// dryRunPod has the API server validate the pod of pt (a server-side dry
// run, strict field validation: a field the server does not know is an
// error), and returns what was sent and the paths of the fields the server
// did not keep as sent.
func dryRunPod(t *testing.T, ctx context.Context, ns, name string, pt translate.PodTemplate) (sent map[string]any, lost []string) {
	t.Helper()
	spec, err := runtime.DefaultUnstructuredConverter.ToUnstructured(pt.Spec)
	if err != nil {
		t.Fatal(err)
	}
	pod := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	pod.SetAPIVersion("v1")
	pod.SetKind("Pod")
	pod.SetName(name)
	pod.SetNamespace(ns)
	pod.SetAnnotations(pt.Annotations)
	sent = pod.DeepCopy().Object
	strict := client.WithFieldValidation(direct, metav1.FieldValidationStrict)
	if err := strict.Create(ctx, pod, client.DryRunAll); err != nil {
		t.Fatalf("%s: the translated pod fails validation on the API server (1.%d): %v", name, features.KubernetesMinor, err)
	}
	return sent, diffKept("spec", sent["spec"], pod.Object["spec"])
}

// diffKept lists the paths below prefix of the non-empty members of sent
// that got lacks or holds with another value (lists are compared by index:
// the API server appends, e.g. the service account token's volume).
func diffKept(prefix string, sent, got any) []string {
	var res []string
	switch s := sent.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(s)) {
			if empty(s[k]) {
				continue
			}
			gv, ok := g[k]
			if !ok {
				res = append(res, prefix+"."+k)
				continue
			}
			res = append(res, diffKept(prefix+"."+k, s[k], gv)...)
		}
	case []any:
		g, _ := got.([]any)
		for i := range s {
			p := prefix + "[" + strconv.Itoa(i) + "]"
			if i >= len(g) {
				res = append(res, p)
				continue
			}
			res = append(res, diffKept(p, s[i], g[i])...)
		}
	default:
		if !reflect.DeepEqual(sent, got) {
			res = append(res, fmt.Sprintf("%s (sent %v, kept %v)", prefix, sent, got))
		}
	}
	return res
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// leafPaths lists the paths of the non-empty leaves of a JSON-like tree,
// e.g. spec.containers[0].restartPolicy.
func leafPaths(prefix string, v any) []string {
	var res []string
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			res = append(res, leafPaths(p, x[k])...)
		}
	case []any:
		for i, el := range x {
			res = append(res, leafPaths(prefix+"["+strconv.Itoa(i)+"]", el)...)
		}
	case nil:
	default:
		res = append(res, prefix)
	}
	return res
}
