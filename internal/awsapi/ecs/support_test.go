package ecs

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/awsapi/ecswire"
)

var update = flag.Bool("update", false, "rewrite the operations table in docs/ecs-api.md")

// TestEveryOperationIsAccounted fails when the model has an operation the
// table does not list, or the table lists one the model does not have, or
// the table and the handlers disagree.
func TestEveryOperationIsAccounted(t *testing.T) {
	h := New(Options{})
	for _, op := range ecswire.Operations {
		s, ok := Operations[op]
		if !ok {
			t.Errorf("the ECS model has %s: say in Operations (support.go) whether Berth serves it", op)
			continue
		}
		if served := h.Served(op); served != (s.Level != Unsupported) {
			t.Errorf("%s: the table says %s, but a handler is set: %v", op, s.Level, served)
		}
		if s.Level != Served && s.Note == "" {
			t.Errorf("%s is %s: say what is missing or why", op, s.Level)
		}
	}
	for op := range Operations {
		if _, _, known := h.Handler(op, nil); !known {
			t.Errorf("Operations lists %s, which the ECS model does not have", op)
		}
	}
}

const begin, end = "<!-- operations: begin (go test ./internal/awsapi/ecs -update) -->\n", "<!-- operations: end -->\n"

// TestOperationsTableIsCurrent checks the generated table in docs/ecs-api.md.
func TestOperationsTableIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "..", "docs", "ecs-api.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s has no operations table markers", path)
	}
	want := append(append(append([]byte{}, doc[:i+len(begin)]...), table()...), doc[j:]...)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(doc, want) {
		t.Fatalf("the operations table in %s is out of date: go test ./internal/awsapi/ecs -update", path)
	}
}

func table() []byte {
	ops := append([]string{}, ecswire.Operations...)
	sort.Strings(ops)
	count := map[Level]int{}
	var b strings.Builder
	b.WriteString("| Operation | Berth | Notes |\n|---|---|---|\n")
	for _, op := range ops {
		s := Operations[op]
		count[s.Level]++
		fmt.Fprintf(&b, "| %s | %s | %s |\n", op, s.Level, s.Note)
	}
	fmt.Fprintf(&b, "\n%d operations in the model (botocore's ECS 2014-11-13): %d served, %d partial, %d unsupported.\n",
		len(ops), count[Served], count[Partial], count[Unsupported])
	return []byte(b.String())
}
