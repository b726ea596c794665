package v1alpha1

import (
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMarkersSurviveGofmt guards the CEL rules against `go fmt` (run by
// `make fmt` and `make verify`): gofmt rewrites doc comments, and turns a
// pair of single quotes into a typographic quote, so a rule with the CEL
// empty string (two single quotes) would be silently corrupted in the source and then in the
// CRDs. Write "" in rules instead.
func TestMarkersSurviveGofmt(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		formatted, err := format.Source(src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		before, after := markerLines(string(src)), markerLines(string(formatted))
		if len(before) != len(after) {
			t.Errorf("%s: gofmt changes the number of marker lines (%d → %d)", f, len(before), len(after))
			continue
		}
		for i := range before {
			checked++
			if before[i] != after[i] {
				t.Errorf("%s: gofmt rewrites a marker:\n  %s\n→ %s", f, before[i], after[i])
			}
		}
	}
	if checked == 0 {
		t.Fatal("no +kubebuilder markers found")
	}
}

func markerLines(src string) []string {
	var res []string
	for _, l := range strings.Split(src, "\n") {
		if strings.Contains(l, "+kubebuilder:") {
			res = append(res, strings.TrimSpace(l))
		}
	}
	return res
}
