package capacityprovider

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

func node(ready corev1.ConditionStatus) corev1.Node {
	return corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}}}
}

func TestSetStatus(t *testing.T) {
	cp := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "fargate-spot", Generation: 2}}
	cp.Spec.Name = "FARGATE_SPOT"
	SetStatus(cp, []corev1.Node{node(corev1.ConditionTrue), node(corev1.ConditionFalse), node(corev1.ConditionTrue)}, names.DefaultAccount)
	st := cp.Status
	if st.Name != "FARGATE_SPOT" || st.CapacityProviderArn != "arn:aws:ecs:us-east-1:000000000000:capacity-provider/FARGATE_SPOT" {
		t.Fatalf("identity: %+v", st)
	}
	if *st.Nodes != 3 || *st.ReadyNodes != 2 {
		t.Fatalf("nodes = %d, ready = %d", *st.Nodes, *st.ReadyNodes)
	}
	if st.ObservedGeneration != 2 || len(st.Conditions) != 1 || st.Conditions[0].Message != "ACTIVE with 2 of 3 nodes Ready" {
		t.Fatalf("conditions: %+v", st.Conditions)
	}
}
