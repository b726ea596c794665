// Package docs holds the project's documentation; its test checks that the
// figures and facts README.md and PROJECT state agree with their sources.
package docs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/internal/translate"
)

func read(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// find returns the submatches of re in text, failing when it is absent.
func find(t *testing.T, what, text string, re *regexp.Regexp) []string {
	t.Helper()
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("%s: no match for %s", what, re)
	}
	return m[1:]
}

// TestReadmeFigures: the counts README.md quotes are the generated reports'
// (docs/compatibility.md is checked against the ECS model and the
// compatibility table by internal/translate's tests; docs/corpus.md by the
// corpus test, `make corpus`).
func TestReadmeFigures(t *testing.T) {
	readme := read(t, "README.md")
	compat := find(t, "docs/compatibility.md", read(t, "docs/compatibility.md"),
		regexp.MustCompile(`(\d+) members: (\d+) exact, (\d+) approximated, (\d+) unsupported\.`))
	said := find(t, "README.md", readme,
		regexp.MustCompile(`lists all (\d+) members of RegisterTaskDefinition's input — (\d+) exact, (\d+) approximated, (\d+) unsupported`))
	if !slices.Equal(compat, said) {
		t.Errorf("README.md says %v members/exact/approximated/unsupported, docs/compatibility.md %v", said, compat)
	}
	corpus := find(t, "docs/corpus.md", read(t, "docs/corpus.md"),
		regexp.MustCompile(`(\d+) files: (\d+) accepted, (\d+) rejected at admission \(expected: ECS refuses them too\), (\d+) not JSON`))
	said = find(t, "README.md", readme,
		regexp.MustCompile(`the (\d+)-file real-world corpus: (\d+) accepted, (\d+) rejected as ECS would, (\d+) templates`))
	if !slices.Equal(corpus, said) {
		t.Errorf("README.md says %v files/accepted/rejected/templates, docs/corpus.md %v", said, corpus)
	}
	api := read(t, "docs/ecs-api.md")
	for _, model := range []string{"ECS", "Application Auto Scaling"} {
		table := find(t, "docs/ecs-api.md", api, regexp.MustCompile(`(\d+) operations in the model \(botocore's `+model+` [0-9-]+\): (\d+) served, (\d+) partial, (\d+) unsupported\.`))
		said := find(t, "README.md", readme, regexp.MustCompile(`of the (\d+) `+model+` operations (\d+) served, (\d+) partial, (\d+) unsupported`))
		if !slices.Equal(table, said) {
			t.Errorf("README.md says %v %s operations/served/partial/unsupported, docs/ecs-api.md %v", said, model, table)
		}
	}
	table := find(t, "docs/logs.md", read(t, "docs/logs.md"), regexp.MustCompile(`(\d+) operations in the model \(botocore's CloudWatch Logs [0-9-]+\): (\d+) served, (\d+) partial, (\d+) unsupported\.`))
	said = find(t, "README.md", readme, regexp.MustCompile(`of the (\d+) CloudWatch Logs operations (\d+) served, (\d+) partial, (\d+) unsupported`))
	if !slices.Equal(table, said) {
		t.Errorf("README.md says %v CloudWatch Logs operations/served/partial/unsupported, docs/logs.md %v", said, table)
	}
}

// TestReadmePins: the versions README.md says are pinned are the ones the
// build uses.
func TestReadmePins(t *testing.T) {
	pins := find(t, "README.md", strings.Join(strings.Fields(read(t, "README.md")), " "),
		regexp.MustCompile(`Pinned: (.*?\.)(?: |$)`))[0]
	gomod, makefile, buildK8s := read(t, "go.mod"), read(t, "Makefile"), read(t, "hack/build-k8s.sh")
	etcdMod := read(t, "hack/tools/etcd/go.mod")
	want := map[string]string{
		"Go":                       find(t, "go.mod", gomod, regexp.MustCompile(`(?m)^go (\d+\.\d+)`))[0],
		"controller-runtime":       find(t, "go.mod", gomod, regexp.MustCompile(`sigs\.k8s\.io/controller-runtime (v\S+)`))[0],
		"k8s.io/*":                 find(t, "go.mod", gomod, regexp.MustCompile(`k8s\.io/client-go (v\S+)`))[0],
		"Kubernetes":               "v" + find(t, "Makefile", makefile, regexp.MustCompile(`K8S_VERSION \?= (\S+)`))[0],
		"etcd":                     find(t, "hack/tools/etcd/go.mod", etcdMod, regexp.MustCompile(`go\.etcd\.io/etcd/server/v3 (v\S+)`))[0],
		"kwok":                     find(t, "hack/build-k8s.sh", buildK8s, regexp.MustCompile(`KWOK_VERSION:-(v[^}]+)`))[0],
		"metrics-server":           find(t, "hack/build-k8s.sh", buildK8s, regexp.MustCompile(`METRICS_SERVER_VERSION:-(v[^}]+)`))[0],
		"Gateway API":              find(t, "go.mod", gomod, regexp.MustCompile(`sigs\.k8s\.io/gateway-api (v\S+)`))[0],
		"oldest tested Kubernetes": "v" + find(t, "Makefile", makefile, regexp.MustCompile(`K8S_MIN_VERSION \?= (\S+)`))[0],
		"controller-tools":         find(t, "Makefile", makefile, regexp.MustCompile(`CONTROLLER_TOOLS_VERSION \?= (\S+)`))[0],
		"kustomize":                find(t, "Makefile", makefile, regexp.MustCompile(`KUSTOMIZE_VERSION \?= (\S+)`))[0],
		"golangci-lint":            find(t, "Makefile", makefile, regexp.MustCompile(`GOLANGCI_LINT_VERSION \?= (\S+)`))[0],
	}
	for name, version := range want {
		if !strings.Contains(pins, name+" "+version) {
			t.Errorf("README.md's Pinned line lacks %q: %s", name+" "+version, pins)
		}
	}
}

// TestOldestMinor: the Kubernetes version make test-k8s-min tests is the
// one below which the operator warns at start-up.
func TestOldestMinor(t *testing.T) {
	minor := find(t, "Makefile", read(t, "Makefile"), regexp.MustCompile(`K8S_MIN_VERSION \?= \d+\.(\d+)\.`))[0]
	if minor != strconv.Itoa(translate.OldestTestedMinor) {
		t.Errorf("the Makefile tests Kubernetes 1.%s as the oldest, translate.OldestTestedMinor is %d", minor, translate.OldestTestedMinor)
	}
}

// TestProjectKinds: PROJECT lists exactly the kinds the CRDs define.
func TestProjectKinds(t *testing.T) {
	var project struct {
		Resources []struct {
			Kind string `json:"kind"`
		} `json:"resources"`
	}
	if err := yaml.Unmarshal([]byte(read(t, "PROJECT")), &project); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, r := range project.Resources {
		listed = append(listed, r.Kind)
	}
	crds, err := filepath.Glob(filepath.Join("..", "config", "crd", "bases", "*.yaml"))
	if err != nil || len(crds) == 0 {
		t.Fatalf("no CRDs: %v", err)
	}
	var defined []string
	for _, f := range crds {
		var crd struct {
			Spec struct {
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
			} `json:"spec"`
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(raw, &crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		defined = append(defined, crd.Spec.Names.Kind)
	}
	slices.Sort(listed)
	slices.Sort(defined)
	if !slices.Equal(listed, defined) {
		t.Errorf("PROJECT lists %v, the CRDs define %v", listed, defined)
	}
}

// TestReliabilityFigures: docs/reliability.md quotes every figure of the
// last `make reliability` (docs/reliability/figures.json, written by the
// suite) word for word, and names the run's commit.
func TestReliabilityFigures(t *testing.T) {
	doc := read(t, "docs/reliability.md")
	var figures map[string]string
	if err := json.Unmarshal([]byte(read(t, "docs/reliability/figures.json")), &figures); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"R1-kill", "R1-graceful", "R1-writes", "R2", "R3-5s", "R3-15s", "R3-90s", "R7", "R9"} {
		if figures[id] == "" {
			t.Errorf("docs/reliability/figures.json has no figure %s: run make reliability", id)
		}
	}
	for id, text := range figures {
		if !strings.Contains(doc, text) {
			t.Errorf("docs/reliability.md does not quote figure %s of docs/reliability/figures.json: %q", id, text)
		}
	}
}

// TestReadmeBenchVerdicts: README.md's benchmark tables are the verdicts
// of the committed reports (docs/bench, and docs/bench-large once it is
// committed; written by berth-bench) row for row:
// | metric | target | measured | ✅/❌ |.
func TestReadmeBenchVerdicts(t *testing.T) {
	readme := read(t, "README.md")
	for _, report := range []string{"docs/bench/results.json", "docs/bench-large/results.json"} {
		if _, err := os.Stat(filepath.Join("..", report)); report != "docs/bench/results.json" && os.IsNotExist(err) {
			continue
		}
		var r struct {
			Verdicts []struct {
				Metric, Target, Measured string
				Pass                     bool
			}
		}
		if err := json.Unmarshal([]byte(read(t, report)), &r); err != nil {
			t.Fatalf("%s: %v", report, err)
		}
		if len(r.Verdicts) == 0 {
			t.Errorf("%s has no verdicts", report)
		}
		cell := strings.NewReplacer("|", `\|`).Replace
		for _, v := range r.Verdicts {
			mark := "❌"
			if v.Pass {
				mark = "✅"
			}
			row := "| " + cell(v.Metric) + " | " + cell(v.Target) + " | " + cell(v.Measured) + " | " + mark + " |"
			if !strings.Contains(readme, row) {
				t.Errorf("README.md lacks %s's verdict row\n%s", report, row)
			}
		}
	}
}
