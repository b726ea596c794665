package translate

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Level is how faithfully Berth honours an ECS field: the API's fidelity
// levels, and Exact for the compatibility table.
type Level = ecsv1alpha1.FidelityLevel

// Levels of fidelity.
const (
	// Exact: Kubernetes does what ECS does (only in the table: an exact
	// field gets no note).
	Exact Level = "Exact"
	// Approximated: the field has an effect, with a documented difference.
	Approximated = ecsv1alpha1.FidelityApproximated
	// Unsupported: the field is stored but has no effect.
	Unsupported = ecsv1alpha1.FidelityUnsupported
)

// Note is a field of a task definition that Berth does not honour exactly,
// as the revision's status lists it.
type Note = ecsv1alpha1.FieldNote

// report lists the fields set in td that are not honoured exactly: the
// translation's own notes (which depend on values), and for every other set
// member whose table entry is not Exact, that entry. Sorted by path.
func (b *builder) report(td *ecsv1alpha1.RegisterTaskDefinitionInput) []Note {
	raw, err := json.Marshal(td)
	if err != nil {
		panic(err) // plain data
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		panic(err)
	}
	w := &noteWalker{own: b.notes, notes: append([]Note(nil), b.notes...)}
	w.walk("", "", doc, false)
	sort.SliceStable(w.notes, func(i, j int) bool { return w.notes[i].Path < w.notes[j].Path })
	return dedupe(w.notes)
}

// noteWalker walks a task definition's JSON for members set whose table
// entry is not Exact.
type noteWalker struct {
	own, notes []Note
}

// covered: the translation noted path, or a field below it.
func (w *noteWalker) covered(path string) bool {
	for _, n := range w.own {
		if n.Path == path || strings.HasPrefix(n.Path, path+".") || strings.HasPrefix(n.Path, path+"[") {
			return true
		}
	}
	return false
}

func (w *noteWalker) walk(path, generic string, v any, member bool) {
	if member {
		m, known := Compatibility[generic]
		if !known {
			// Members outside the table (maps' keys) are covered by
			// their parent's entry.
			return
		}
		if m.Level != Exact {
			if !w.covered(path) {
				w.notes = append(w.notes, Note{Path: path, Level: m.Level, Message: m.Kubernetes})
			}
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
			w.walk(joinPath(path, k), joinPath(generic, k), x[k], true)
		}
	case []any:
		for i, el := range x {
			w.walk(path+"["+strconv.Itoa(i)+"]", generic+"[]", el, false)
		}
	}
}

func joinPath(path, key string) string {
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

// Report is the fidelity report of a task definition on default (EC2-style)
// capacity: the fields a service task's translation does not honour
// exactly, or the error that stops it running. It is computed apart from
// TranslatePod, which the reconcilers call and which needs none of it.
func Report(td *ecsv1alpha1.RegisterTaskDefinitionInput) ([]Note, error) {
	return ReportWith(td, Features{})
}

// ReportWith is Report for a cluster with the given features.
func ReportWith(td *ecsv1alpha1.RegisterTaskDefinitionInput, f Features) ([]Note, error) {
	b, err := translate(td, Placement{}, ServiceTask, f)
	if err != nil {
		return nil, err
	}
	return b.report(td), nil
}
