package cloudwatch

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/awsapi/cwwire"
)

var update = flag.Bool("update", false, "rewrite the CloudWatch operations table in docs/metrics.md")

// TestEveryOperationIsAccounted: what the table says is served has a
// handler, and only that; every operation has a reason.
func TestEveryOperationIsAccounted(t *testing.T) {
	h := New(Options{})
	for _, op := range cwwire.Operations {
		s := SupportOf(op)
		if served := h.Served(op); served != (s.Level != Unsupported) {
			t.Errorf("%s: the table says %s, but a handler is set: %v", op, s.Level, served)
		}
		if s.Level != Served && s.Note == "" {
			t.Errorf("%s is %s: say what is missing or why", op, s.Level)
		}
	}
	for op := range served {
		if _, _, known := h.Handler(op, nil); !known {
			t.Errorf("served lists %s, which the CloudWatch model does not have", op)
		}
	}
}

const begin, end = "<!-- cloudwatch operations: begin (go test ./internal/awsapi/cloudwatch -update) -->\n", "<!-- cloudwatch operations: end -->\n"

// TestOperationsTableIsCurrent checks the generated table in docs/metrics.md.
func TestOperationsTableIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "..", "docs", "metrics.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s has no CloudWatch operations table markers", path)
	}
	want := append(append(append([]byte{}, doc[:i+len(begin)]...), table()...), doc[j:]...)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(doc, want) {
		t.Fatalf("the CloudWatch operations table in %s is out of date: go test ./internal/awsapi/cloudwatch -update", path)
	}
}

func table() []byte {
	ops := append([]string{}, cwwire.Operations...)
	sort.Strings(ops)
	var b strings.Builder
	count := map[Level]int{}
	b.WriteString("| Operation | Berth | Notes |\n|---|---|---|\n")
	for _, op := range ops {
		s := SupportOf(op)
		count[s.Level]++
		if s.Level != Unsupported {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", op, s.Level, s.Note)
		}
	}
	b.WriteString("\nUnsupported, with the reason they answer with (InvalidAction):\n\n")
	byNote := map[string][]string{}
	var notes []string
	for _, op := range ops {
		if s := SupportOf(op); s.Level == Unsupported {
			if byNote[s.Note] == nil {
				notes = append(notes, s.Note)
			}
			byNote[s.Note] = append(byNote[s.Note], op)
		}
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "- %s: %s.\n", n, strings.Join(byNote[n], ", "))
	}
	fmt.Fprintf(&b, "\n%d operations in the model (botocore's CloudWatch 2010-08-01): %d served, %d partial, %d unsupported.\n",
		len(ops), count[Served], count[Partial], count[Unsupported])
	return []byte(b.String())
}
