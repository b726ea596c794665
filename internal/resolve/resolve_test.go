package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func revision(n int32, state ecsv1alpha1.TaskDefinitionRevisionStatusValue, deleting bool) *ecsv1alpha1.TaskDefinitionRevision {
	rev := &ecsv1alpha1.TaskDefinitionRevision{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: fmt.Sprintf("web-%d", n)}}
	rev.Spec.Family, rev.Spec.Revision, rev.Status.Status = "web", n, state
	if deleting {
		rev.DeletionTimestamp = &metav1.Time{Time: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)}
		rev.Finalizers = []string{ecsv1alpha1.FinalizerRevisionInUse}
	}
	return rev
}

// Which revision a reference resolves to: the latest ACTIVE one for a
// family, never one older than what runs (a deleted or deregistered
// revision keeps its users), and a pinned one unless it is INACTIVE or
// being deleted and not already running.
func TestRevision(t *testing.T) {
	scheme := runtime.NewScheme()
	_ = ecsv1alpha1.AddToScheme(scheme)
	for _, tc := range []struct {
		name, ref, current string
		revs               []*ecsv1alpha1.TaskDefinitionRevision
		want               string // revision object name, or the Problem's reason
	}{
		{"latest ACTIVE", "web", "", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "ACTIVE", false), revision(2, "ACTIVE", false)}, "web-2"},
		{"a new revision rolls the family", "web", "web-1", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "ACTIVE", false), revision(2, "ACTIVE", false)}, "web-2"},
		{"the running revision being deleted keeps running", "web", "web-2", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "ACTIVE", false), revision(2, "ACTIVE", true)}, "web-2"},
		{"the running revision deregistered keeps running", "web", "web-2", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "ACTIVE", false), revision(2, "INACTIVE", false)}, "web-2"},
		{"a new user of the family gets the latest ACTIVE", "web", "", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "ACTIVE", false), revision(2, "ACTIVE", true)}, "web-1"},
		{"nothing ACTIVE: waiting for one", "web", "", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "INACTIVE", false)}, ecsv1alpha1.ReasonTaskDefinitionNotFound},
		{"pinned", "web:1", "", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "ACTIVE", false), revision(2, "ACTIVE", false)}, "web-1"},
		{"pinned INACTIVE, new user", "web:1", "", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "INACTIVE", false)}, ecsv1alpha1.ReasonTaskDefinitionInactive},
		{"pinned being deleted, new user", "web:1", "", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "ACTIVE", true)}, ecsv1alpha1.ReasonTaskDefinitionInactive},
		{"pinned being deleted, its user", "web:1", "web-1", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "ACTIVE", true)}, "web-1"},
		{"pinned, missing", "web:3", "", []*ecsv1alpha1.TaskDefinitionRevision{revision(1, "ACTIVE", false)}, ecsv1alpha1.ReasonTaskDefinitionNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := fake.NewClientBuilder().WithScheme(scheme).WithIndex(&ecsv1alpha1.TaskDefinitionRevision{}, IndexFamily, func(o client.Object) []string {
				return []string{o.(*ecsv1alpha1.TaskDefinitionRevision).Spec.Family}
			})
			for _, rev := range tc.revs {
				b = b.WithObjects(rev)
			}
			rev, err := Revision(context.Background(), b.Build(), "team", tc.ref, tc.current)
			got := ""
			var problem *Problem
			switch {
			case errors.As(err, &problem):
				got = problem.Reason
			case err != nil:
				t.Fatal(err)
			default:
				got = rev.Name
			}
			if got != tc.want {
				t.Errorf("Revision(%q, current %q) = %s, want %s", tc.ref, tc.current, got, tc.want)
			}
		})
	}
}

// IndexService: a Service's reconcile reads the pods Berth made for it,
// found by the index, and neither another Service's (svc-1 against
// svc-10, the same namespace), nor one of another namespace, nor a pod
// that carries the Service's label without being Berth's.
func TestOfService(t *testing.T) {
	scheme := runtime.NewScheme()
	_ = corev1.AddToScheme(scheme)
	pod := func(ns, name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
	}
	berths := func(svc string) map[string]string {
		return map[string]string{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue, ecsv1alpha1.LabelService: svc}
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithIndex(&corev1.Pod{}, IndexService, ServiceOf).WithObjects(
		pod("team", "svc-1-a", berths("svc-1")),
		pod("team", "svc-1-b", berths("svc-1")),
		pod("team", "svc-10-a", berths("svc-10")),
		pod("other", "svc-1-a", berths("svc-1")),
		pod("team", "not-berths", map[string]string{ecsv1alpha1.LabelService: "svc-1"}),
	).Build()
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "svc-1"}}
	var pods corev1.PodList
	if err := c.List(context.Background(), &pods, OfService(svc)...); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pods.Items {
		got = append(got, p.Namespace+"/"+p.Name)
	}
	if want := []string{"team/svc-1-a", "team/svc-1-b"}; !slices.Equal(got, want) {
		t.Errorf("pods of team/svc-1 = %v, want %v", got, want)
	}
	if got := ServiceOf(pod("team", "x", map[string]string{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue})); got != nil {
		t.Errorf("ServiceOf(a Berth pod of no Service) = %v, want none", got)
	}
}
