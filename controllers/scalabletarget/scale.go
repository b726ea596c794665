package scalabletarget

import (
	"context"
	"errors"
	"fmt"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// errMoved says the Service's desired count is no longer the one the
// decision started from.
var errMoved = errors.New("the desired count changed since it was read")

// scale sets the Service's desiredCount through its scale subresource, as
// Application Auto Scaling sets an ECS service's: the Service controller
// turns it into tasks within the deployment's bounds. Only the count
// changes; nothing of a deployment in progress is touched. moved reports
// that the count had changed since the reconcile read it (the HPA or a
// user set it): nothing is written then.
func (r *Reconciler) scale(ctx context.Context, s *scope) (moved bool, err error) {
	if s.desired == s.current {
		return false, nil
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		sc := &autoscalingv1.Scale{}
		if err := r.Client.SubResource("scale").Get(ctx, s.svc, sc); err != nil {
			return err
		}
		if sc.Spec.Replicas != s.current {
			return errMoved
		}
		sc.Spec.Replicas = s.desired
		return r.Client.SubResource("scale").Update(ctx, s.svc, client.WithSubResourceBody(sc), client.FieldOwner(FieldOwner))
	})
	if errors.Is(err, errMoved) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("set desired count of service %s to %d: %w", s.svc.Name, s.desired, err)
	}
	logf.FromContext(ctx).Info("Set desired count", "service", s.svc.Name, "from", s.current, "to", s.desired)
	return false, nil
}

// isDesiredCount says whether an activity set a desired count.
func isDesiredCount(a ecsv1alpha1.ScalingActivity) bool {
	return strings.HasPrefix(a.Description, "Setting desired count ")
}
