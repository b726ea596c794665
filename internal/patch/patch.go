// Package patch writes an object's status once per reconcile, and only when
// it changed, as a merge patch with an optimistic lock.
package patch

import (
	"context"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Status patches obj's status against stored (the object as read at the top
// of the reconcile) when the two statuses differ; it writes nothing
// otherwise. It reports whether it wrote.
func Status(ctx context.Context, c client.Client, stored, obj client.Object) (bool, error) {
	wrote, err := StatusOrConflict(ctx, c, stored, obj)
	if apierrors.IsConflict(err) {
		// A newer version exists; its watch event reconciles again.
		return false, nil
	}
	return wrote, err
}

// StatusOrConflict is Status that returns the conflict error (the object
// changed since it was read), for callers that act only once the status is
// stored.
func StatusOrConflict(ctx context.Context, c client.Client, stored, obj client.Object) (bool, error) {
	if equality.Semantic.DeepEqual(statusOf(stored), statusOf(obj)) {
		return false, nil
	}
	if err := c.Status().Patch(ctx, obj, client.MergeFromWithOptions(stored, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) {
			return false, err
		}
		return false, fmt.Errorf("patch status of %T %s: %w", obj, client.ObjectKeyFromObject(obj), err)
	}
	return true, nil
}

func statusOf(o client.Object) any {
	v := reflect.ValueOf(o).Elem().FieldByName("Status")
	if !v.IsValid() {
		return nil
	}
	return v.Interface()
}

// OwnedStatus patches the status fields obj changed against stored, when
// the statuses differ, as a merge patch without an optimistic lock: for a
// controller that is the only writer of the fields it changes while other
// controllers write other fields of the same status (the merge patch holds
// only the changed fields, so it neither conflicts with nor overwrites
// theirs). It reports whether it wrote.
func OwnedStatus(ctx context.Context, c client.Client, stored, obj client.Object) (bool, error) {
	if equality.Semantic.DeepEqual(statusOf(stored), statusOf(obj)) {
		return false, nil
	}
	if err := c.Status().Patch(ctx, obj, client.MergeFrom(stored)); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("patch status of %T %s: %w", obj, client.ObjectKeyFromObject(obj), err)
	}
	return true, nil
}
