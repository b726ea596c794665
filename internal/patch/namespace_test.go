package patch

import (
	"errors"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestIgnoreNamespaceTerminating(t *testing.T) {
	terminating := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "p", errors.New("unable to create new content in namespace team because it is being terminated"))
	terminating.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause, Message: "namespace team is being terminated"}}
	if err := IgnoreNamespaceTerminating(fmt.Errorf("create Pod p: %w", terminating)); err != nil {
		t.Errorf("a wrapped refusal in a terminating namespace: %v, want nil", err)
	}
	other := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "p", errors.New("no"))
	if err := IgnoreNamespaceTerminating(fmt.Errorf("create Pod p: %w", other)); err == nil {
		t.Error("another Forbidden was ignored")
	}
}
