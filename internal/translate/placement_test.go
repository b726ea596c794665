package translate

import (
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func cp(name, ecsName string, typ ecsv1alpha1.CapacityProviderType) *ecsv1alpha1.CapacityProvider {
	c := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: name}}
	c.Spec.Name, c.Spec.Type = ecsName, typ
	return c
}

func TestResolvePlacement(t *testing.T) {
	cps := map[string]*ecsv1alpha1.CapacityProvider{
		"fargate":      cp("fargate", "FARGATE", ecsv1alpha1.CapacityProviderFargate),
		"fargate-spot": cp("fargate-spot", "FARGATE_SPOT", ecsv1alpha1.CapacityProviderFargateSpot),
		"ec2-a":        cp("ec2-a", "", ecsv1alpha1.CapacityProviderEC2AutoScaling),
		"ec2-b":        cp("ec2-b", "", ecsv1alpha1.CapacityProviderEC2AutoScaling),
	}
	cluster := &ecsv1alpha1.Cluster{}
	cluster.Spec.CapacityProviders = []string{"FARGATE", "FARGATE_SPOT", "ec2-a", "ec2-b"}
	withDefault := cluster.DeepCopy()
	withDefault.Spec.DefaultCapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{{CapacityProvider: "FARGATE_SPOT", Weight: ptr.To[int32](1)}}
	item := func(name string, base, weight int32) ecsv1alpha1.CapacityProviderStrategyItem {
		return ecsv1alpha1.CapacityProviderStrategyItem{CapacityProvider: name, Base: ptr.To(base), Weight: ptr.To(weight)}
	}
	cases := []struct {
		name       string
		in         PlacementInput
		want       []string
		wantReason string
	}{
		{name: "FARGATE launch type", in: PlacementInput{LaunchType: ecsv1alpha1.LaunchTypeFargate, Cluster: cluster}, want: []string{"FARGATE"}},
		{name: "EC2 launch type: every EC2 provider of the cluster", in: PlacementInput{LaunchType: ecsv1alpha1.LaunchTypeEc2, Cluster: cluster}, want: []string{"ec2-a", "ec2-b"}},
		{name: "nothing: cluster default strategy", in: PlacementInput{Cluster: withDefault}, want: []string{"FARGATE_SPOT"}},
		{name: "nothing and no default: EC2", in: PlacementInput{Cluster: cluster}, want: []string{"ec2-a", "ec2-b"}},
		{name: "strategy", in: PlacementInput{Cluster: cluster, Strategy: []ecsv1alpha1.CapacityProviderStrategyItem{item("FARGATE", 1, 1), item("FARGATE_SPOT", 0, 4)}}, want: []string{"FARGATE", "FARGATE_SPOT"}},
		{name: "EXTERNAL unsupported", in: PlacementInput{LaunchType: ecsv1alpha1.LaunchTypeExternal, Cluster: cluster}, wantReason: ecsv1alpha1.ReasonUnsupported},
		{name: "EC2 with no EC2 provider", in: PlacementInput{LaunchType: ecsv1alpha1.LaunchTypeEc2, Cluster: &ecsv1alpha1.Cluster{}}, wantReason: ecsv1alpha1.ReasonNoCapacityProvider},
		{name: "unknown provider", in: PlacementInput{Cluster: cluster, Strategy: []ecsv1alpha1.CapacityProviderStrategyItem{item("nope", 0, 1)}}, wantReason: ecsv1alpha1.ReasonCapacityProviderNotFound},
		{name: "provider not associated with the cluster", in: PlacementInput{Cluster: &ecsv1alpha1.Cluster{}, Strategy: []ecsv1alpha1.CapacityProviderStrategyItem{item("FARGATE", 0, 1)}}, wantReason: ecsv1alpha1.ReasonCapacityProviderNotFound},
		{name: "all weights zero", in: PlacementInput{Cluster: cluster, Strategy: []ecsv1alpha1.CapacityProviderStrategyItem{item("FARGATE", 1, 0), item("FARGATE_SPOT", 0, 0)}}, wantReason: ecsv1alpha1.ReasonInvalidParameter},
		{name: "a lone provider of weight 0 takes every task", in: PlacementInput{Cluster: cluster, Strategy: []ecsv1alpha1.CapacityProviderStrategyItem{item("FARGATE_SPOT", 0, 0)}}, want: []string{"FARGATE_SPOT"}},
		{name: "Fargate and Auto Scaling group providers do not mix", in: PlacementInput{Cluster: cluster, Strategy: []ecsv1alpha1.CapacityProviderStrategyItem{item("FARGATE", 0, 1), item("ec2-a", 0, 1)}}, wantReason: ecsv1alpha1.ReasonInvalidParameter},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.CapacityProviders = cps
			p, err := ResolvePlacement(c.in)
			if c.wantReason != "" {
				var pe *PlacementError
				if !errors.As(err, &pe) || pe.Reason != c.wantReason {
					t.Fatalf("err = %v, want reason %s", err, c.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := p.ProviderNames()
			if len(got) != len(c.want) {
				t.Fatalf("providers = %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("providers = %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestRolloutBounds(t *testing.T) {
	cases := []struct{ desired, maxP, minP, surge, unavail int32 }{
		{3, 200, 100, 3, 0},
		{4, 150, 50, 2, 2},
		{3, 150, 50, 1, 1},  // max 4.5 → 4 (down); min 1.5 → 2 (up)
		{1, 100, 100, 1, 0}, // neither allows a step: surge one task
		{0, 200, 100, 1, 0},
		{10, 100, 0, 0, 10},
		{10, 150, 50, 5, 5},   // issue 5: never more than 15 tasks, never fewer than 5 healthy
		{10, 200, 100, 10, 0}, // ECS's REPLICA defaults
		{7, 150, 50, 3, 3},    // max 10.5 → 10; min 3.5 → 4
		{5, 125, 75, 1, 1},    // max 6.25 → 6; min 3.75 → 4
		{3, 134, 66, 1, 1},    // max 4.02 → 4; min 1.98 → 2
		{2, 100, 100, 1, 0},   // deadlocked: paused by the controller
	}
	for _, c := range cases {
		s, u := RolloutBounds(c.desired, c.maxP, c.minP)
		if s != c.surge || u != c.unavail {
			t.Errorf("RolloutBounds(%d, %d, %d) = (%d, %d), want (%d, %d)", c.desired, c.maxP, c.minP, s, u, c.surge, c.unavail)
		}
	}
}

// ECS cannot replace a task when maximumPercent allows no task above
// desired and minimumHealthyPercent none below it.
func TestDeadlocked(t *testing.T) {
	cases := []struct {
		desired, maxP, minP int32
		want                bool
	}{
		{1, 100, 100, true},
		{2, 100, 100, true},
		{3, 133, 67, true},  // max 3.99 → 3; min 2.01 → 3
		{3, 134, 66, false}, // max 4.02 → 4
		{1, 200, 100, false},
		{1, 100, 0, false},
		{0, 100, 100, false}, // nothing to replace
		{4, 110, 90, true},   // max 4.4 → 4; min 3.6 → 4
	}
	for _, c := range cases {
		if got := Deadlocked(c.desired, c.maxP, c.minP); got != c.want {
			t.Errorf("Deadlocked(%d, %d, %d) = %v, want %v", c.desired, c.maxP, c.minP, got, c.want)
		}
	}
}

func TestCPUMillis(t *testing.T) {
	for units, want := range map[int64]int64{1024: 1000, 256: 250, 128: 125, 100: 98, 1: 1, 4096: 4000} {
		if got := cpuMillis(units); got != want {
			t.Errorf("cpuMillis(%d) = %d, want %d", units, got, want)
		}
	}
}
