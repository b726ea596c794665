package cluster

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
)

func TestSetStatus(t *testing.T) {
	cl := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "prod-east", Generation: 3}}
	cl.Spec.ClusterName = "Prod_East"
	cl.Spec.CapacityProviders = []string{"FARGATE", "my_asg"}
	cps := map[string]*ecsv1alpha1.CapacityProvider{"fargate": {}}

	SetStatus(cl, cps, names.DefaultAccount)
	if cl.Status.ClusterArn != "arn:aws:ecs:us-east-1:000000000000:cluster/Prod_East" || cl.Status.Status != "ACTIVE" {
		t.Fatalf("status = %+v", cl.Status)
	}
	if conditions.IsTrue(cl.Status.Conditions, ecsv1alpha1.ConditionReady) || !conditions.IsTrue(cl.Status.Conditions, ecsv1alpha1.ConditionStalled) {
		t.Fatalf("a missing capacity provider must stall the cluster: %+v", cl.Status.Conditions)
	}
	cps["my-asg"] = &ecsv1alpha1.CapacityProvider{}
	SetStatus(cl, cps, names.DefaultAccount)
	if !conditions.IsTrue(cl.Status.Conditions, ecsv1alpha1.ConditionReady) || conditions.IsTrue(cl.Status.Conditions, ecsv1alpha1.ConditionStalled) {
		t.Fatalf("with every provider present the cluster is Ready: %+v", cl.Status.Conditions)
	}
	if cl.Status.ObservedGeneration != 3 {
		t.Errorf("observedGeneration = %d", cl.Status.ObservedGeneration)
	}
}
