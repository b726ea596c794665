package awsapi

import (
	"errors"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/berth-dev/berth/internal/awsapi/awsjson"
)

// fromKubernetes turns an error from the Kubernetes API into the error an
// AWS client expects: RBAC's Forbidden is AccessDeniedException, throttling
// is ThrottlingException; an *awsjson.Error passes through; anything else
// is a ServerException.
func fromKubernetes(err error) error {
	var e *awsjson.Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case apierrors.IsForbidden(err):
		return &awsjson.Error{Type: awsjson.AccessDenied, Status: http.StatusBadRequest,
			Message: "User is not authorized to perform this action: " + err.Error()}
	case apierrors.IsTooManyRequests(err):
		return &awsjson.Error{Type: awsjson.Throttling, Message: "Rate exceeded", Status: http.StatusBadRequest}
	case apierrors.IsUnauthorized(err):
		return &awsjson.Error{Type: awsjson.UnrecognizedClient, Message: err.Error(), Status: http.StatusForbidden}
	}
	return &awsjson.Error{Type: "ServerException", Message: err.Error(), Status: http.StatusInternalServerError}
}
