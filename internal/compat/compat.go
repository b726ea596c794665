// Package compat says how faithfully Berth honours each member of the AWS
// API inputs its kinds' specs are: one table per input (CreateService,
// RunTask, CreateCluster, CreateCapacityProvider, RegisterScalableTarget,
// PutScalingPolicy, PutScheduledAction; RegisterTaskDefinition's lives with
// the translation in internal/translate), generated into docs/compatibility/,
// and the walk that lists, for one object, the members it sets that are not
// exact (status.fieldNotes, summed up in the FullySupported condition). A
// test fails when an API model has a member a table lacks, so no member is
// ever dropped silently.
package compat

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
)

// Level is how faithfully Berth honours a member.
type Level = ecsv1alpha1.FidelityLevel

// Levels of fidelity.
const (
	// Exact: Kubernetes does what ECS does (only in tables: an exact member
	// gets no note).
	Exact Level = "Exact"
	// Approximated: the member has an effect, with a documented difference.
	Approximated = ecsv1alpha1.FidelityApproximated
	// Unsupported: the member is stored but has no effect.
	Unsupported = ecsv1alpha1.FidelityUnsupported
)

// Note is a member of an object's spec that Berth does not honour exactly.
type Note = ecsv1alpha1.FieldNote

// Member is how Berth honours one member of an input.
type Member struct {
	// Level is the member's fidelity when it is set. A member exact for
	// some values only is Exact here, and the kind's own notes report the
	// values concerned.
	Level Level
	// Kubernetes says what the member becomes.
	Kubernetes string
}

// E, A and U build table entries.
func E(k string) Member { return Member{Level: Exact, Kubernetes: k} }

// A is an approximated member.
func A(k string) Member { return Member{Level: Approximated, Kubernetes: k} }

// U is an unsupported member.
func U(k string) Member { return Member{Level: Unsupported, Kubernetes: k} }

// Table maps each member of an input, by its path in the spec's JSON
// ("[]" stands for every element of a list), to how Berth honours it.
type Table map[string]Member

// Layout is how a kind's spec is made of inputs: its Root table, and
// tables for lists of other inputs held in the spec (a ScalableTarget's
// scalingPolicies are PutScalingPolicy inputs), by their generic path
// ("scalingPolicies[]").
type Layout struct {
	Root   Table
	Nested map[string]Table
}

// Report lists the members set in spec (any value that marshals to the
// kind's spec JSON) whose table entry is not Exact, with own (the kind's
// notes that depend on values) first in precedence: a member own covers, or
// one below it, is not reported again. Sorted by path, deterministic.
// Members outside the tables (Berth's own additions, map keys) are covered
// by their parent's entry.
func (l Layout) Report(spec any, own []Note) []Note {
	raw, err := json.Marshal(spec)
	if err != nil {
		panic(err) // plain data
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		panic(err)
	}
	w := &walker{layout: l, own: own, notes: append([]Note(nil), own...)}
	w.walk(l.Root, "", "", doc, false, false)
	sort.SliceStable(w.notes, func(i, j int) bool { return w.notes[i].Path < w.notes[j].Path })
	return dedupe(w.notes)
}

// Report is Layout{Root: t}.Report.
func (t Table) Report(spec any, own []Note) []Note {
	return Layout{Root: t}.Report(spec, own)
}

type walker struct {
	layout     Layout
	own, notes []Note
}

// covered: own notes path, or a member below it.
func (w *walker) covered(path string) bool {
	for _, n := range w.own {
		if n.Path == path || strings.HasPrefix(n.Path, path+".") || strings.HasPrefix(n.Path, path+"[") {
			return true
		}
	}
	return false
}

func (w *walker) walk(t Table, path, generic string, v any, member, under bool) {
	if nested, ok := w.layout.Nested[generic]; ok && generic != "" {
		t, generic = nested, ""
	} else if member {
		var descend bool
		if under, descend = w.member(t, path, generic, under); !descend {
			return
		}
	}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			w.walk(t, join(path, k), join(generic, k), x[k], true, under)
		}
	case []any:
		for i, el := range x {
			w.walk(t, path+"["+strconv.Itoa(i)+"]", generic+"[]", el, false, under)
		}
	}
}

// member notes a member set at path whose entry is not Exact, and says
// whether to walk below it, and whether what is below is under a reported
// member.
func (w *walker) member(t Table, path, generic string, under bool) (below, descend bool) {
	m, known := t[generic]
	if !known {
		// A list of nested inputs (scalingPolicies), in no table itself:
		// its elements are walked with their own table. Other members
		// outside the tables are covered by their parent's entry.
		return under, w.layout.holds(generic)
	}
	if m.Level == Exact {
		return under, true
	}
	// Below a reported member, an entry that only points to it ("see
	// networkConfiguration") adds nothing.
	if pointer := under && strings.HasPrefix(m.Kubernetes, "see "); !pointer && !w.covered(path) {
		w.notes = append(w.notes, Note{Path: path, Level: m.Level, Message: m.Kubernetes})
	}
	// Nothing below an unsupported member has an effect; below an
	// approximated one, what is not supported is reported for itself.
	return true, m.Level != Unsupported
}

// holds tells whether generic (a member in no table) leads to a nested
// input: "scalingPolicies" holds "scalingPolicies[]".
func (l Layout) holds(generic string) bool {
	for p := range l.Nested {
		if strings.HasPrefix(p, generic+"[") || strings.HasPrefix(p, generic+".") {
			return true
		}
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func dedupe(notes []Note) []Note {
	res := notes[:0]
	for i, n := range notes {
		if i > 0 && n == notes[i-1] {
			continue
		}
		res = append(res, n)
	}
	return res
}

// MaxNotes is how many notes a status holds.
const MaxNotes = 256

// Bound bounds notes to what a status holds: at most MaxNotes, paths and
// messages cut to the schema's lengths.
func Bound(notes []Note) []Note {
	var res []Note
	for _, n := range notes {
		if len(res) == MaxNotes {
			break
		}
		res = append(res, Note{Path: truncate(n.Path, 512), Level: n.Level, Message: truncate(n.Message, 1024)})
	}
	return res
}

// SetCondition sets the FullySupported condition from notes: True when
// there is none, otherwise False with how many members are approximated and
// which are not supported. what names the object ("service",
// "task definition"); doc is the compatibility document to read.
func SetCondition(conds *[]metav1.Condition, gen int64, notes []Note, what, doc string) {
	if len(notes) == 0 {
		conditions.Set(conds, gen, ecsv1alpha1.ConditionFullySupported, true, ecsv1alpha1.ReasonSucceeded,
			fmt.Sprintf("Berth honours every field of this %s exactly", what))
		return
	}
	reason, msg := Message(notes, doc)
	conditions.Set(conds, gen, ecsv1alpha1.ConditionFullySupported, false, reason, msg)
}

// Message sums notes up: how many members are approximated and which are
// not supported.
func Message(notes []Note, doc string) (reason, msg string) {
	var approx int
	var unsupported []string
	for _, n := range notes {
		if n.Level == Unsupported {
			unsupported = append(unsupported, n.Path)
		} else {
			approx++
		}
	}
	reason = ecsv1alpha1.ReasonFieldsApproximated
	var parts []string
	if len(unsupported) > 0 {
		reason = ecsv1alpha1.ReasonUnsupportedFields
		parts = append(parts, fmt.Sprintf("%d not supported (stored without effect): %s", len(unsupported), strings.Join(unsupported, ", ")))
	}
	if approx > 0 {
		parts = append(parts, fmt.Sprintf("%d approximated", approx))
	}
	return reason, truncate(strings.Join(parts, "; ")+" (status.fieldNotes says how; "+doc+" lists every field)", 32768)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
