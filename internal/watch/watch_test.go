package watch

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func TestRequests(t *testing.T) {
	items := []ecsv1alpha1.Task{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "one"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "two"}},
	}
	if got := Requests(items, nil); len(got) != 2 || got[1].Name != "two" || got[0].Namespace != "a" {
		t.Fatalf("all: %v", got)
	}
	got := Requests(items, func(t *ecsv1alpha1.Task) bool { return t.Name == "two" })
	if len(got) != 1 || got[0].Name != "two" {
		t.Fatalf("filtered: %v", got)
	}
}
