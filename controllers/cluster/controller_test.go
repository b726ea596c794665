package cluster

import (
	"strings"
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

	SetStatus(cl, &usage{cps: cps}, names.DefaultAccount)
	if cl.Status.ClusterArn != "arn:aws:ecs:us-east-1:000000000000:cluster/Prod_East" || cl.Status.Status != "ACTIVE" {
		t.Fatalf("status = %+v", cl.Status)
	}
	if conditions.IsTrue(cl.Status.Conditions, ecsv1alpha1.ConditionReady) || conditions.IsTrue(cl.Status.Conditions, ecsv1alpha1.ConditionStalled) ||
		!conditions.IsTrue(cl.Status.Conditions, ecsv1alpha1.ConditionReconciling) {
		t.Fatalf("a missing capacity provider may still appear: the cluster waits for it (Reconciling), not Stalled: %+v", cl.Status.Conditions)
	}
	cps["my-asg"] = &ecsv1alpha1.CapacityProvider{}
	SetStatus(cl, &usage{cps: cps, services: 2, running: 3, pending: 1, stats: map[string]int32{"runningFargateTasksCount": 3},
		byProvider: map[string][2]int32{"fargate": {3, 0}, "my-asg": {0, 1}}}, names.DefaultAccount)
	if !conditions.IsTrue(cl.Status.Conditions, ecsv1alpha1.ConditionReady) || conditions.IsTrue(cl.Status.Conditions, ecsv1alpha1.ConditionStalled) {
		t.Fatalf("with every provider present the cluster is Ready: %+v", cl.Status.Conditions)
	}
	if cl.Status.ObservedGeneration != 3 {
		t.Errorf("observedGeneration = %d", cl.Status.ObservedGeneration)
	}
	st := cl.Status
	if *st.ActiveServicesCount != 2 || *st.RunningTasksCount != 3 || *st.PendingTasksCount != 1 || len(st.Statistics) != 8 ||
		st.Statistics[1] != (ecsv1alpha1.KeyValuePair{Name: "runningFargateTasksCount", Value: "3"}) || st.Statistics[0].Value != "0" {
		t.Errorf("counts and statistics: %+v", st)
	}
	if len(st.CapacityProviders) != 2 || st.CapacityProviders[0] != (ecsv1alpha1.ClusterCapacityProvider{Name: "FARGATE", RunningTasksCount: 3}) ||
		st.CapacityProviders[1] != (ecsv1alpha1.ClusterCapacityProvider{Name: "my_asg", PendingTasksCount: 1}) {
		t.Errorf("per provider: %+v", st.CapacityProviders)
	}
}

func TestFromProviders(t *testing.T) {
	cl := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "team"}}
	cl.Spec.CapacityProviders = []string{"FARGATE", "FARGATE_SPOT", "ec2"}
	fg := &ecsv1alpha1.CapacityProvider{}
	fg.Spec.Type = ecsv1alpha1.CapacityProviderFargate
	fg.Status.Cost = &ecsv1alpha1.Cost{ByService: []ecsv1alpha1.ServiceCost{
		{Namespace: "team", Cluster: "default", Service: "web", CostFigures: ecsv1alpha1.CostFigures{VCPUSeconds: "10.000", GBSeconds: "20.000", EstimatedCostUSD: "0.000200"}},
		{Namespace: "other", Cluster: "default", Service: "web", CostFigures: ecsv1alpha1.CostFigures{VCPUSeconds: "99.000", GBSeconds: "99.000", EstimatedCostUSD: "9.000000"}},
	}}
	spot := &ecsv1alpha1.CapacityProvider{}
	spot.Spec.Type = ecsv1alpha1.CapacityProviderFargateSpot
	spot.Status.Cost = &ecsv1alpha1.Cost{ByService: []ecsv1alpha1.ServiceCost{
		{Namespace: "team", Cluster: "default", CostFigures: ecsv1alpha1.CostFigures{VCPUSeconds: "5.000", GBSeconds: "10.000", EstimatedCostUSD: "0.000050"}},
	}}
	ec2 := &ecsv1alpha1.CapacityProvider{}
	ec2.Spec.Type = ecsv1alpha1.CapacityProviderEC2AutoScaling
	three := int32(3)
	ec2.Status.RegisteredContainerInstancesCount = &three
	n, c := fromProviders(cl, map[string]*ecsv1alpha1.CapacityProvider{"fargate": fg, "fargate-spot": spot, "ec2": ec2})
	if n != 3 || c == nil || *c != (ecsv1alpha1.CostFigures{VCPUSeconds: "15.000", GBSeconds: "30.000", EstimatedCostUSD: "0.000250"}) {
		t.Errorf("instances %d, cost %+v: want 3 and this namespace's cluster's entries summed", n, c)
	}
}

// TestSetStatusBoundsProviders: a Cluster stored before its schema bounded
// spec.capacityProviders (20 names of at most 255 characters) still gets a
// status its schema accepts.
func TestSetStatusBoundsProviders(t *testing.T) {
	cl := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "old"}}
	cl.Spec.CapacityProviders = append([]string{"FARGATE", strings.Repeat("b", 256)}, manyProviders(25)...)
	SetStatus(cl, &usage{}, names.DefaultAccount)
	if n := len(cl.Status.CapacityProviders); n != maxStatusProviders {
		t.Fatalf("%d providers listed, want %d", n, maxStatusProviders)
	}
	for _, p := range cl.Status.CapacityProviders {
		if len(p.Name) > maxProviderName {
			t.Fatalf("a %d-character name is listed", len(p.Name))
		}
	}
	if cl.Status.CapacityProviders[0].Name != "FARGATE" || cl.Status.CapacityProviders[1].Name != "pool-0" {
		t.Errorf("providers listed: %v, %v, ...", cl.Status.CapacityProviders[0].Name, cl.Status.CapacityProviders[1].Name)
	}
}
