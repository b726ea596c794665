// Package supporttable checks, for the tests of an AWS API's handlers
// (internal/awsapi/ecs, logs, cloudwatch), that the table of which
// operations Berth serves agrees with the handlers and the model, and writes
// that table into the docs between two markers.
package supporttable

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/awsapi/support"
)

// The levels of support (internal/awsapi/support).
const (
	Served      = support.Served
	Partial     = support.Partial
	Unsupported = support.Unsupported
)

// Support is one operation's level and what is missing or why.
type Support = support.Support

// Handlers are an API's generated handlers (the *wire packages').
type Handlers interface {
	// Served tells whether op has a handler.
	Served(op string) bool
	// Handler decodes and calls op; known is false for an operation the
	// model does not have.
	Handler(op string, decode func(any) error) (call func(context.Context) (any, error), served, known bool)
}

// Table is an API's table of support.
type Table struct {
	// API names the API in messages ("ECS").
	API string
	// Operations are the model's operations.
	Operations []string
	// Support says how far Berth serves op; ok is false when the table
	// does not say (an API whose table has a default answers true).
	Support func(op string) (s Support, ok bool)
	// Listed are the operations the table names one by one: each must be
	// one of the model's.
	Listed []string
}

// CheckAccounted fails t when the model has an operation the table does
// not account for, the table lists one the model does not have, the table
// and the handlers disagree on whether it is served, or an operation not
// fully served has no note.
func (tb Table) CheckAccounted(t testing.TB, h Handlers) {
	t.Helper()
	for _, op := range tb.Operations {
		s, ok := tb.Support(op)
		if !ok {
			t.Errorf("the %s model has %s: say in the table whether Berth serves it", tb.API, op)
			continue
		}
		if served := h.Served(op); served != (s.Level != Unsupported) {
			t.Errorf("%s: the table says %s, but a handler is set: %v", op, s.Level, served)
		}
		if s.Level != Served && s.Note == "" {
			t.Errorf("%s is %s: say what is missing or why", op, s.Level)
		}
	}
	for _, op := range tb.Listed {
		if _, _, known := h.Handler(op, nil); !known {
			t.Errorf("the table lists %s, which the %s model does not have", op, tb.API)
		}
	}
}

// Write writes the table in Markdown: a row per operation, sorted, then a
// line that counts them by level against model (as "botocore's ECS
// 2014-11-13" names it). With unsupportedHeading, unsupported operations
// have no row: they follow the rows under that heading, grouped by note.
func (tb Table) Write(b *strings.Builder, model, unsupportedHeading string) {
	ops := slices.Sorted(slices.Values(tb.Operations))
	of := func(op string) Support { s, _ := tb.Support(op); return s }
	count := map[support.Level]int{}
	b.WriteString("| Operation | Berth | Notes |\n|---|---|---|\n")
	for _, op := range ops {
		s := of(op)
		count[s.Level]++
		if s.Level != Unsupported || unsupportedHeading == "" {
			fmt.Fprintf(b, "| %s | %s | %s |\n", op, s.Level, s.Note)
		}
	}
	if unsupportedHeading != "" {
		fmt.Fprintf(b, "\n%s\n\n", unsupportedHeading)
		byNote := map[string][]string{}
		var notes []string
		for _, op := range ops {
			if s := of(op); s.Level == Unsupported {
				if byNote[s.Note] == nil {
					notes = append(notes, s.Note)
				}
				byNote[s.Note] = append(byNote[s.Note], op)
			}
		}
		for _, n := range notes {
			fmt.Fprintf(b, "- %s: %s.\n", n, strings.Join(byNote[n], ", "))
		}
	}
	fmt.Fprintf(b, "\n%d operations in the model (botocore's %s): %d served, %d partial, %d unsupported.\n",
		len(ops), model, count[Served], count[Partial], count[Unsupported])
}

// CheckDoc fails t when the part of the file at path between the lines
// begin and end (each with its newline) is not table; with update it
// writes table there instead.
func CheckDoc(t testing.TB, path, begin, end string, table []byte, update bool) {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s has no markers %q and %q", path, begin, end)
	}
	want := slices.Concat(doc[:i+len(begin)], table, doc[j:])
	if update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(doc, want) {
		t.Fatalf("the table after %q in %s is out of date: run the test with -update", strings.TrimSpace(begin), path)
	}
}
