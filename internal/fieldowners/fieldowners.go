// Package fieldowners finds, and takes back, the part of an object's spec
// that a field manager other than Berth's has written: a `kubectl edit` of
// a Service's Deployment, a `kubectl scale`, a `kubectl rollout restart`.
//
// Berth's children are written with server-side apply, and a no-op
// reconcile skips the apply while the object carries the hash of what Berth
// applied last. An edit by someone else leaves that hash in place, so the
// skip alone would keep the edit forever. The API server records who wrote
// what in metadata.managedFields: an entry of another manager owning part of
// spec is the edit. Berth then moves those fields into its own apply entry
// (Reclaim) and applies again, which sets each of them back or, when Berth
// does not set it (an extra environment variable, spec.paused), removes it.
// Fields outside spec (labels and annotations someone adds) are left alone.
package fieldowners

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// spec matches the paths under the top-level field whose foreign owners
// are reported.
var spec = fieldpath.MakePrefixMatcherOrDie("spec")

// specFields is the part of an entry's field set under spec; nil when the
// entry owns nothing there (or its set cannot be read).
func specFields(e *metav1.ManagedFieldsEntry) *fieldpath.Set {
	if e.FieldsV1 == nil || e.Subresource == "status" {
		return nil
	}
	s := &fieldpath.Set{}
	if err := s.FromJSON(e.FieldsV1.GetRawReader()); err != nil {
		return nil
	}
	if under := s.FilterIncludeMatches(spec); !under.Empty() {
		return under
	}
	return nil
}

// foreign: the entry is another manager's than owner (Berth's own updates,
// such as a scale by merge patch, are not foreign).
func foreign(e *metav1.ManagedFieldsEntry, owner string) bool {
	return e.Manager != owner
}

// Summarize is a cache transform for objects whose spec owner owns: it
// keeps of managedFields only the entries of other managers that own part
// of spec, without their field sets, which is all Foreign needs (most
// objects keep none, so the cache holds no managedFields for them).
// Objects whose labels sel does not match (someone else's) keep none.
func Summarize(owner string, sel labels.Selector) func(any) (any, error) {
	return func(obj any) (any, error) {
		o, ok := obj.(metav1.Object)
		if !ok {
			return obj, nil
		}
		var kept []metav1.ManagedFieldsEntry
		if sel.Matches(labels.Set(o.GetLabels())) {
			for _, e := range o.GetManagedFields() {
				if foreign(&e, owner) && specFields(&e) != nil {
					e.FieldsV1 = nil
					kept = append(kept, e)
				}
			}
		}
		o.SetManagedFields(kept)
		return obj, nil
	}
}

// Foreign names, sorted, the managers other than owner that own part of
// obj's spec (none: nil). It reads objects as the API server returns them
// and as Summarize keeps them (entries without a field set).
func Foreign(obj metav1.Object, owner string) []string {
	var by []string
	for _, e := range obj.GetManagedFields() {
		if foreign(&e, owner) && e.Subresource != "status" && (e.FieldsV1 == nil || specFields(&e) != nil) && !slices.Contains(by, e.Manager) {
			by = append(by, e.Manager)
		}
	}
	slices.Sort(by)
	return by
}

// Reclaim reads obj afresh through r (managedFields and all) and, if other
// managers own part of its spec, moves those fields into owner's apply
// entry, in one JSON patch that fails with a conflict if the object changed
// since it was read. Owner's next apply then decides each of them. The same
// patch removes annotation forget (if set): the caller's record that its
// apply may be skipped, so that a caller stopped between the patch and the
// apply does not skip it afterwards. It reports whether it wrote; obj is
// left as read or as patched.
func Reclaim(ctx context.Context, c client.Client, r client.Reader, obj client.Object, owner, forget string) (bool, error) {
	if err := r.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return false, err
	}
	entries, err := reclaimed(obj.GetManagedFields(), owner)
	if err != nil {
		return false, err
	}
	if reflect.DeepEqual(entries, obj.GetManagedFields()) {
		return false, nil
	}
	ops := []map[string]any{
		{"op": "replace", "path": "/metadata/managedFields", "value": entries},
		// "replace", not "test": a changed object is a 409 Conflict from
		// storage, which the caller retries.
		{"op": "replace", "path": "/metadata/resourceVersion", "value": obj.GetResourceVersion()},
	}
	if _, ok := obj.GetAnnotations()[forget]; ok && forget != "" {
		ops = append(ops, map[string]any{"op": "remove", "path": "/metadata/annotations/" + pointerEscape.Replace(forget)})
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return false, err
	}
	if err := c.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, patch)); err != nil {
		return false, fmt.Errorf("take back the fields other managers own: %w", err)
	}
	return true, nil
}

// pointerEscape escapes a key for a JSON pointer (RFC 6901).
var pointerEscape = strings.NewReplacer("~", "~0", "/", "~1")

// reclaimed is managedFields with every spec field of the other managers'
// entries moved into owner's Apply entry (created, in the apiVersion of the
// entries taken from, if there is none); entries left owning nothing are
// dropped.
func reclaimed(entries []metav1.ManagedFieldsEntry, owner string) ([]metav1.ManagedFieldsEntry, error) {
	taken, apiVersion := fieldpath.NewSet(), ""
	var out []metav1.ManagedFieldsEntry
	for _, e := range entries {
		if under := specFields(&e); under != nil && foreign(&e, owner) {
			all := &fieldpath.Set{}
			if err := all.FromJSON(e.FieldsV1.GetRawReader()); err != nil {
				return nil, err
			}
			taken, apiVersion = taken.Union(under), e.APIVersion
			rest := all.Difference(under)
			if rest.Empty() {
				continue
			}
			raw, err := rest.ToJSON()
			if err != nil {
				return nil, err
			}
			e.FieldsV1 = metav1.NewFieldsV1(string(raw))
		}
		out = append(out, e)
	}
	if taken.Empty() {
		return entries, nil
	}
	i := -1
	for j := range out {
		if out[j].Manager == owner && out[j].Operation == metav1.ManagedFieldsOperationApply && out[j].Subresource == "" {
			i = j
			break
		}
	}
	if i < 0 {
		out = append(out, metav1.ManagedFieldsEntry{Manager: owner, Operation: metav1.ManagedFieldsOperationApply,
			APIVersion: apiVersion, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1("{}")})
		i = len(out) - 1
	}
	mine := &fieldpath.Set{}
	if err := mine.FromJSON(out[i].FieldsV1.GetRawReader()); err != nil {
		return nil, err
	}
	raw, err := mine.Union(taken).ToJSON()
	if err != nil {
		return nil, err
	}
	out[i].FieldsV1 = metav1.NewFieldsV1(string(raw))
	return out, nil
}
