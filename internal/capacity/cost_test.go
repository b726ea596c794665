package capacity

import (
	"math"
	"testing"
	"time"
)

func TestAccrue(t *testing.T) {
	web := CostKey{Namespace: "team", Cluster: "default", Service: "web"}
	tasks := []RunningTask{
		{Key: web, VCPU: 0.25, GB: 0.5, Since: t0.Add(-time.Hour)},
		{Key: web, VCPU: 1, GB: 2, Since: t0.Add(30 * time.Second)},
	}
	got := Accrue(nil, tasks, time.Time{}, t0)
	if len(got) != 0 {
		t.Fatalf("the first accrual starts the clock, got %v", got)
	}
	got = Accrue(nil, tasks, t0, t0.Add(time.Minute))
	// 0.25 × 60 + 1 × 30 = 45 vCPU-s; 0.5 × 60 + 2 × 30 = 90 GB-s.
	if u := got[web]; u.VCPUSeconds != 45 || u.GBSeconds != 90 {
		t.Fatalf("usage %+v, want 45 vCPU-s and 90 GB-s", u)
	}
	again := Accrue(got, tasks, t0.Add(time.Minute), t0.Add(2*time.Minute))
	if u := again[web]; u.VCPUSeconds != 45+75 || u.GBSeconds != 90+150 {
		t.Fatalf("usage %+v, want it to grow by 75 and 150", u)
	}
	if got[web].VCPUSeconds != 45 {
		t.Fatal("Accrue changed its input")
	}
	// One hour of 1 vCPU and 2 GB on Fargate: 0.04048 + 2 × 0.004445.
	u := Usage{VCPUSeconds: 3600, GBSeconds: 7200}
	if c := u.Cost(FargatePrice); math.Abs(c-0.04937) > 1e-9 {
		t.Errorf("cost %v, want 0.04937", c)
	}
	if u.Cost(FargateSpotPrice) >= u.Cost(FargatePrice) {
		t.Error("Spot is not cheaper")
	}
	top := Top(map[CostKey]Usage{web: u, {Namespace: "a"}: {VCPUSeconds: 1}, {Namespace: "b"}: {VCPUSeconds: 1}}, FargatePrice, 2)
	if len(top) != 2 || top[0] != web || top[1].Namespace != "a" {
		t.Errorf("Top = %v", top)
	}
}
