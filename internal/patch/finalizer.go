package patch

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// AddFinalizer adds finalizer to obj, and RemoveFinalizer removes it, each
// with a merge patch that carries obj's resourceVersion (an optimistic
// lock): metadata.finalizers is a list that other writers change too, and
// a merge patch replaces it whole, so without the lock one writer's
// finalizer could be lost. They report whether they wrote. The object
// having changed since it was read (a conflict) or gone is not an error:
// the newer version's watch event reconciles again, and nothing was
// written.
func AddFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string, opts ...client.PatchOption) (bool, error) {
	return finalizers(ctx, c, obj, finalizer, true, opts)
}

// RemoveFinalizer: see AddFinalizer.
func RemoveFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string, opts ...client.PatchOption) (bool, error) {
	return finalizers(ctx, c, obj, finalizer, false, opts)
}

func finalizers(ctx context.Context, c client.Client, obj client.Object, finalizer string, add bool, opts []client.PatchOption) (bool, error) {
	if controllerutil.ContainsFinalizer(obj, finalizer) == add {
		return false, nil
	}
	base := obj.DeepCopyObject().(client.Object)
	if add {
		controllerutil.AddFinalizer(obj, finalizer)
	} else {
		controllerutil.RemoveFinalizer(obj, finalizer)
	}
	err := c.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}), opts...)
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
		return false, nil
	default:
		verb := "remove"
		if add {
			verb = "add"
		}
		return false, fmt.Errorf("%s finalizer %s on %T %s: %w", verb, finalizer, obj, client.ObjectKeyFromObject(obj), err)
	}
}
