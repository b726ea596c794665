package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil"
	"github.com/berth-dev/berth/internal/translate"
)

// The corpus tests import every task definition of a directory as `berth
// import` does, apply it to a real API server with strict field validation,
// translate what is accepted into the pods of a standalone task and of a
// service task, and have the API server validate those pods (a server-side
// dry run). Every file must be accepted and give valid pods, except the
// ones listed in the expectations tables: files that are not JSON, and
// files ECS itself would refuse, with the message that must name the
// offending field. The outcome of every file is a report. One runner
// serves both corpora: the project's own fixtures (testdata/corpus,
// TestCorpusFixtures, run by `make test`; report
// testdata/corpus/report.md) and the real-world corpus kept outside the
// repository (TestCorpus, build tag corpus, run by `make corpus`; report
// docs/corpus.md).

// Outcomes of a corpus file.
const (
	outcomeAccepted = "accepted"
	outcomeRejected = "rejected at admission (expected)"
	outcomeNotJSON  = "not JSON"
)

// taskDefCorpus is a directory of task definitions and its expectations.
type taskDefCorpus struct {
	// dir holds the *.json files.
	dir string
	// namespace is where their TaskDefinitions are created.
	namespace string
	// notJSON are the files that are not JSON at all, with the reason.
	notJSON map[string]string
	// rejected are the files ECS itself would refuse, with a substring of
	// the API server's message (which names the field) and the reason.
	rejected map[string]struct{ message, reason string }
}

type corpusRow struct {
	file, outcome, detail string
	notes                 []translate.Note
	changes               []Change
}

// run checks every file of the corpus and returns a row for each, in file
// name order. It fails the test when the directory has no files or when an
// entry of the expectations tables names no file.
func (cp taskDefCorpus) run(t *testing.T) []corpusRow {
	t.Helper()
	c := apiClient
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	namespaceWithAccount(t, ctx, cp.namespace)
	strict := client.WithFieldValidation(c, metav1.FieldValidationStrict)

	files, err := filepath.Glob(filepath.Join(cp.dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", cp.dir, err)
	}
	sort.Strings(files)
	seen := map[string]bool{}
	var rows []corpusRow
	for _, path := range files {
		file := filepath.Base(path)
		seen[file] = true
		row := corpusRow{file: file}
		t.Run(file, func(t *testing.T) {
			row = cp.check(t, ctx, c, strict, path)
		})
		rows = append(rows, row)
	}
	for _, f := range slices.Sorted(maps.Keys(cp.notJSON)) {
		if !seen[f] {
			t.Errorf("%s is listed as not JSON but is not in %s", f, cp.dir)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(cp.rejected)) {
		if !seen[f] {
			t.Errorf("%s is listed as rejected but is not in %s", f, cp.dir)
		}
	}
	return rows
}

func (cp taskDefCorpus) check(t *testing.T, ctx context.Context, c, strict client.Client, path string) corpusRow {
	file := filepath.Base(path)
	row := corpusRow{file: file}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Name: testutil.CorpusObjectName(file), Namespace: cp.namespace}
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		opts.Family = FamilyFromFileName(strings.TrimSuffix(file, ".json"))
	}
	res, err := Import(raw, opts)
	if err != nil {
		reason, listed := cp.notJSON[file]
		if !listed {
			t.Fatalf("import failed, and the file is not listed as not JSON: %v", err)
		}
		row.outcome, row.detail = outcomeNotJSON, reason
		return row
	}
	if reason, listed := cp.notJSON[file]; listed {
		t.Fatalf("listed as not JSON (%s), but imports", reason)
	}
	row.changes = res.Changes
	obj := &unstructured.Unstructured{Object: res.Object}
	err = strict.Create(ctx, obj)
	want, expectReject := cp.rejected[file]
	switch {
	case err == nil && expectReject:
		t.Cleanup(func() { _ = c.Delete(context.Background(), obj) })
		t.Fatalf("accepted, but listed as rejected (%q)", want.message)
	case err != nil && !expectReject:
		t.Fatalf("rejected at admission: %v", err)
	case err != nil && !strings.Contains(err.Error(), want.message):
		t.Fatalf("rejected, but not with %q: %v", want.message, err)
	case err != nil:
		row.outcome, row.detail = outcomeRejected, want.reason+": "+want.message
		return row
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), obj) })

	td := &ecsv1alpha1.TaskDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, td); err != nil {
		t.Fatal(err)
	}
	spec := &td.Spec.RegisterTaskDefinitionInput
	notes, err := translate.Report(spec)
	var invalid *translate.InvalidError
	if errors.As(err, &invalid) {
		t.Fatalf("Berth cannot run it: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	row.notes = notes
	placement := translate.Placement{LaunchType: ecsv1alpha1.LaunchTypeEc2}
	for _, compat := range spec.RequiresCompatibilities {
		if compat == ecsv1alpha1.CompatibilityFargate {
			placement.LaunchType = ecsv1alpha1.LaunchTypeFargate
		}
	}
	for _, kind := range []translate.TaskKind{translate.StandaloneTask, translate.ServiceTask} {
		pt, err := translate.TranslatePod(spec, placement, kind)
		if err != nil {
			t.Fatalf("translate (%v): %v", kind, err)
		}
		pod := &corev1.Pod{}
		pod.Name, pod.Namespace, pod.Annotations = td.Name, cp.namespace, pt.Annotations
		if err := convert(pt.Spec, &pod.Spec); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, pod, client.DryRunAll); err != nil {
			t.Fatalf("the translated pod (kind %v, %s) fails Kubernetes validation: %v", kind, placement.LaunchType, err)
		}
	}
	row.outcome = outcomeAccepted
	return row
}

// convert turns an apply configuration into the typed object.
func convert(from, to any) error {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(from)
	if err != nil {
		return err
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u, to)
}

// countOutcomes counts the rows by outcome ("" for a file whose check
// failed).
func countOutcomes(rows []corpusRow) map[string]int {
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.outcome]++
	}
	return counts
}

// renderReport writes the report of rows under a title and an intro
// paragraph (Markdown, wrapped, without the final newline).
func renderReport(title, intro string, rows []corpusRow) []byte {
	var b bytes.Buffer
	counts := countOutcomes(rows)
	fmt.Fprintf(&b, `# %s

%s

%d files: %d accepted, %d rejected at admission (expected: ECS refuses them too), %d not JSON
(templates).

| File | Outcome | Imported with | Fields approximated (A) or unsupported (U) |
|---|---|---|---|
`, title, intro, len(rows), counts[outcomeAccepted], counts[outcomeRejected], counts[outcomeNotJSON])
	for _, r := range rows {
		var changes, notes []string
		for _, c := range r.changes {
			changes = append(changes, c.Action+" `"+c.Path+"`")
		}
		for _, n := range r.notes {
			notes = append(notes, string(n.Level[0])+" `"+n.Path+"`")
		}
		outcome := r.outcome
		if r.detail != "" {
			outcome += ": " + strings.ReplaceAll(r.detail, "|", "\\|")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.file, outcome, strings.Join(changes, ", "), strings.Join(notes, ", "))
	}
	return b.Bytes()
}

// checkReport compares the report at path with want, after writing want
// there with -update; regenerate says how to rewrite it.
func checkReport(t *testing.T, path string, want []byte, regenerate string) {
	t.Helper()
	if *update && t.Failed() {
		t.Fatalf("not rewriting %s: some files failed their checks", path)
	}
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run %s)", err, regenerate)
	}
	if !bytes.Equal(have, want) {
		t.Errorf("%s is out of date: run %s", path, regenerate)
	}
}
