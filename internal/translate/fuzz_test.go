package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// FuzzTranslatePod feeds task definitions (seeded with the golden cases and
// the corpus) to the translation: it must not panic, must give the same
// output for the same input, and must give a pod spec that passes the
// structural checks of Kubernetes validation that concern what it
// generates, or a typed *InvalidError. (The corpus test has the API server
// validate real pods; this covers inputs nobody wrote.)
func FuzzTranslatePod(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/input.yaml")
	for _, path := range seeds {
		raw, _ := os.ReadFile(path)
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			if !strings.Contains(doc, "kind: TaskDefinitionRevision") {
				continue
			}
			var rev ecsv1alpha1.TaskDefinitionRevision
			if err := yaml.Unmarshal([]byte(doc), &rev); err == nil {
				b, _ := json.Marshal(rev.Spec.RegisterTaskDefinitionInput)
				f.Add(b)
			}
		}
	}
	// The project's own corpus fixtures (internal/importer's corpus test).
	corpus, _ := filepath.Glob(filepath.Join("..", "importer", "testdata", "corpus", "taskdefs", "*.json"))
	for _, path := range corpus {
		raw, _ := os.ReadFile(path)
		f.Add(raw)
	}
	// Hostile input (hostile_test.go): JSON nested deeper than the decoder
	// reads, and a definition over ECS's 64 KiB.
	f.Add([]byte(`{"family":"deep","containerDefinitions":[{"name":"app","image":"nginx"}],"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`))
	big, _ := json.Marshal(withValue(strings.Repeat("x", 70<<10)))
	f.Add(big)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var td ecsv1alpha1.RegisterTaskDefinitionInput
		if err := json.Unmarshal(raw, &td); err != nil || len(td.ContainerDefinitions) == 0 {
			return
		}
		for _, p := range []Placement{{}, {LaunchType: ecsv1alpha1.LaunchTypeFargate}} {
			for _, kind := range []TaskKind{ServiceTask, StandaloneTask} {
				features := Features{}
				if len(raw)%2 == 1 {
					features.KubernetesMinor = 33 // an older cluster, for half the inputs
				}
				first, err := TranslatePodWith(&td, p, kind, features)
				if err != nil {
					var invalid *InvalidError
					if !errors.As(err, &invalid) || len(invalid.Errs) == 0 {
						t.Fatalf("an error that is not an *InvalidError with field errors: %v", err)
					}
					continue
				}
				again, _ := TranslatePodWith(&td, p, kind, features)
				a, _ := json.Marshal(first)
				b, _ := json.Marshal(again)
				if !bytes.Equal(a, b) {
					t.Fatalf("two translations of one input differ:\n%s\n%s", a, b)
				}
				var spec corev1.PodSpec
				u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(first.Spec)
				if err != nil {
					t.Fatal(err)
				}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, &spec); err != nil {
					t.Fatal(err)
				}
				if problems := checkPodSpec(&spec); len(problems) > 0 {
					t.Fatalf("invalid pod spec for %s:\n%s\n%s", kind, strings.Join(problems, "\n"), a)
				}
			}
		}
	})
}

// checkPodSpec applies the rules of Kubernetes pod validation that concern
// what the translation generates: names, references, ports, quantities,
// probes, DNS and host aliases.
func checkPodSpec(spec *corev1.PodSpec) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		if errs := validation.IsDNS1123Label(v.Name); len(errs) > 0 {
			bad("volume %q: %v", v.Name, errs)
		}
		if volumes[v.Name] {
			bad("volume %q twice", v.Name)
		}
		volumes[v.Name] = true
	}
	names := map[string]bool{}
	podRequests := corev1.ResourceList{}
	all := append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...)
	if len(spec.Containers) == 0 {
		bad("no containers")
	}
	for _, c := range all {
		if errs := validation.IsDNS1123Label(c.Name); len(errs) > 0 {
			bad("container %q: %v", c.Name, errs)
		}
		if names[c.Name] {
			bad("container %q twice", c.Name)
		}
		names[c.Name] = true
		if c.Image == "" {
			bad("container %s has no image", c.Name)
		}
		paths := map[string]bool{}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				bad("container %s mounts unknown volume %q", c.Name, m.Name)
			}
			if m.MountPath == "" || paths[m.MountPath] {
				bad("container %s: mount path %q empty or twice", c.Name, m.MountPath)
			}
			paths[m.MountPath] = true
		}
		portNames := map[string]bool{}
		for _, p := range c.Ports {
			if p.ContainerPort < 1 || p.ContainerPort > 65535 || p.HostPort < 0 || p.HostPort > 65535 {
				bad("container %s: port %d/%d out of range", c.Name, p.ContainerPort, p.HostPort)
			}
			if p.Name != "" {
				if errs := validation.IsValidPortName(p.Name); len(errs) > 0 || portNames[p.Name] {
					bad("container %s: port name %q invalid or twice", c.Name, p.Name)
				}
				portNames[p.Name] = true
			}
		}
		for _, e := range c.Env {
			if e.Name == "" || strings.Contains(e.Name, "=") {
				bad("container %s: env name %q", c.Name, e.Name)
			}
		}
		for name, q := range c.Resources.Requests {
			if q.Sign() < 0 {
				bad("container %s: negative request %s", c.Name, name)
			}
			if l, ok := c.Resources.Limits[name]; ok && q.Cmp(l) > 0 {
				bad("container %s: request %s %s above the limit %s", c.Name, name, q.String(), l.String())
			}
			sum := podRequests[name]
			sum.Add(q)
			podRequests[name] = sum
		}
		for _, p := range []*corev1.Probe{c.ReadinessProbe, c.StartupProbe} {
			if p != nil && (p.PeriodSeconds < 1 || p.TimeoutSeconds < 1 || p.FailureThreshold < 1 || p.Exec == nil || len(p.Exec.Command) == 0) {
				bad("container %s: invalid probe %+v", c.Name, p)
			}
		}
	}
	if spec.Resources != nil {
		for name, q := range spec.Resources.Requests {
			if sum, ok := podRequests[name]; ok && sum.Cmp(q) > 0 {
				bad("pod requests %s %s below the containers' %s", name, q.String(), sum.String())
			}
		}
	}
	for _, h := range spec.HostAliases {
		for _, n := range h.Hostnames {
			if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
				bad("host alias %q: %v", n, errs)
			}
		}
	}
	if spec.DNSConfig != nil && len(spec.DNSConfig.Nameservers) > 3 {
		bad("more than 3 nameservers")
	}
	if spec.TerminationGracePeriodSeconds != nil && *spec.TerminationGracePeriodSeconds < 0 {
		bad("negative grace period")
	}
	return problems
}
