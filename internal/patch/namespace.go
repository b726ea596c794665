package patch

import (
	"errors"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// IgnoreNamespaceTerminating is nil when err is (or wraps) the API server
// refusing to create an object because its namespace is being deleted,
// and err otherwise. Nothing is to be done then (the namespace's deletion
// deletes the object that asked too), and retrying would only fill the
// log.
func IgnoreNamespaceTerminating(err error) error {
	var status apierrors.APIStatus
	if errors.As(err, &status) && apierrors.HasStatusCause(status.(error), corev1.NamespaceTerminatingCause) {
		return nil
	}
	return err
}
