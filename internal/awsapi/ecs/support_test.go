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

	"github.com/berth-dev/berth/internal/awsapi/aas"
	"github.com/berth-dev/berth/internal/awsapi/aaswire"
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
	var b strings.Builder
	b.WriteString("### Amazon ECS (`AmazonEC2ContainerServiceV20141113`)\n\n")
	section(&b, "ECS 2014-11-13", ecswire.Operations, func(op string) (string, string) {
		return string(Operations[op].Level), Operations[op].Note
	})
	b.WriteString("\n### Application Auto Scaling (`AnyScaleFrontendService`)\n\n")
	section(&b, "Application Auto Scaling 2016-02-06", aaswire.Operations, func(op string) (string, string) {
		return string(aas.Operations[op].Level), aas.Operations[op].Note
	})
	return []byte(b.String())
}

func section(b *strings.Builder, model string, operations []string, support func(string) (level, note string)) {
	ops := append([]string{}, operations...)
	sort.Strings(ops)
	count := map[string]int{}
	b.WriteString("| Operation | Berth | Notes |\n|---|---|---|\n")
	for _, op := range ops {
		level, note := support(op)
		count[level]++
		fmt.Fprintf(b, "| %s | %s | %s |\n", op, level, note)
	}
	fmt.Fprintf(b, "\n%d operations in the model (botocore's %s): %d served, %d partial, %d unsupported.\n",
		len(ops), model, count[string(Served)], count[string(Partial)], count[string(Unsupported)])
}

// TestEveryAutoScalingOperationIsAccounted is TestEveryOperationIsAccounted
// for Application Auto Scaling.
func TestEveryAutoScalingOperationIsAccounted(t *testing.T) {
	h := aas.New()
	for _, op := range aaswire.Operations {
		s, ok := aas.Operations[op]
		if !ok {
			t.Errorf("the Application Auto Scaling model has %s: say in aas.Operations whether Berth serves it", op)
			continue
		}
		if served := h.Served(op); served != (s.Level != aas.Unsupported) {
			t.Errorf("%s: the table says %s, but a handler is set: %v", op, s.Level, served)
		}
		if s.Level != aas.Served && s.Note == "" {
			t.Errorf("%s is %s: say what is missing or why", op, s.Level)
		}
	}
	for op := range aas.Operations {
		if _, _, known := h.Handler(op, nil); !known {
			t.Errorf("aas.Operations lists %s, which the model does not have", op)
		}
	}
}
