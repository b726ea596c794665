package capacity

import (
	"reflect"
	"testing"
	"time"
)

const gi = int64(1) << 30

var (
	t0    = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	shape = Resources{MilliCPU: 2000, Memory: 4 * gi, Pods: 110}
	task  = Resources{MilliCPU: 1000, Memory: 2 * gi, Pods: 1}
)

func TestReservation(t *testing.T) {
	for _, tc := range []struct{ m, n, want int32 }{
		{0, 0, 100}, {3, 0, 200}, {3, 3, 100}, {1, 3, 33}, {2, 3, 67}, {5, 4, 125}, {0, 2, 0},
	} {
		if got := Reservation(tc.m, tc.n); got != tc.want {
			t.Errorf("Reservation(%d, %d) = %d, want %d", tc.m, tc.n, got, tc.want)
		}
	}
}

func instances(n int, tasks ...int) []Instance {
	res := make([]Instance, n)
	for i := range res {
		res[i] = Instance{Name: string(rune('a' + i)), Allocatable: shape, Provisioned: true, Created: t0}
		if i < len(tasks) {
			res[i].Tasks = tasks[i]
			res[i].Requested = Resources{MilliCPU: int64(tasks[i]) * task.MilliCPU, Memory: int64(tasks[i]) * task.Memory, Pods: int64(tasks[i])}
		}
	}
	return res
}

func pending(n int) []Resources {
	res := make([]Resources, n)
	for i := range res {
		res[i] = task
	}
	return res
}

func TestScale(t *testing.T) {
	base := ScalingInput{Shape: shape, TargetCapacity: 100, MinStep: 1, MaxStep: 10000, MaxSize: 100,
		ScaleInAfter: 15 * time.Minute, Warmup: 5 * time.Minute, Now: t0.Add(time.Hour)}
	for _, tc := range []struct {
		name   string
		edit   func(*ScalingInput)
		m, n   int32
		cpr    int32
		add    int32
		remove []string
	}{
		{"empty pool, no task: nothing to do", func(*ScalingInput) {}, 0, 0, 100, 0, nil},
		{"empty pool, 6 tasks of half a node: M = 3, CPR 200, add 3", func(in *ScalingInput) { in.Provisioning = pending(6) }, 3, 0, 200, 3, nil},
		{"maximumScalingStepSize caps a step", func(in *ScalingInput) { in.Provisioning = pending(6); in.MaxStep = 2 }, 3, 0, 200, 2, nil},
		{"minimumScalingStepSize raises a step", func(in *ScalingInput) { in.Provisioning = pending(1); in.MinStep = 3 }, 1, 0, 200, 3, nil},
		{"the pool's maximum size caps it", func(in *ScalingInput) { in.Provisioning = pending(6); in.MaxSize = 2 }, 3, 0, 200, 2, nil},
		{"provisioning tasks fill free room first", func(in *ScalingInput) {
			in.Instances = instances(2, 1, 1)
			in.Provisioning = pending(3)
		}, 3, 2, 150, 1, nil},
		{"targetCapacity 50 keeps as much spare", func(in *ScalingInput) {
			in.Instances = instances(2, 2, 2)
			in.TargetCapacity = 50
		}, 2, 2, 100, 2, nil},
		{"at target: all instances busy", func(in *ScalingInput) { in.Instances = instances(3, 2, 1, 2) }, 3, 3, 100, 0, nil},
		{"below target, not yet for 15 minutes", func(in *ScalingInput) {
			in.Instances = instances(3, 2)
			in.BelowSince = in.Now.Add(-time.Minute)
		}, 1, 3, 33, 0, nil},
		{"below target for 15 minutes: empty instances go, newest first", func(in *ScalingInput) {
			in.Instances = instances(3, 2)
			in.Instances[1].Created = t0.Add(time.Minute)
			in.BelowSince = in.Now.Add(-15 * time.Minute)
		}, 1, 3, 33, 0, []string{"b", "c"}},
		{"instances Berth did not provision and warming instances stay", func(in *ScalingInput) {
			in.Instances = instances(3, 2)
			in.Instances[1].Provisioned = false
			in.Instances[2].Created = in.Now.Add(-time.Minute)
			in.BelowSince = in.Now.Add(-time.Hour)
		}, 1, 3, 33, 0, nil},
		{"minimum size holds", func(in *ScalingInput) {
			in.Instances = instances(3)
			in.MinSize = 2
			in.BelowSince = in.Now.Add(-time.Hour)
		}, 0, 3, 0, 0, []string{"a"}},
		{"below the minimum size: grow", func(in *ScalingInput) { in.MinSize = 2 }, 0, 0, 100, 2, nil},
		{"a task larger than the shape is unplaceable", func(in *ScalingInput) {
			in.Provisioning = []Resources{{MilliCPU: 4000, Memory: gi, Pods: 1}}
		}, 0, 0, 100, 0, nil},
		{"tasks about to be placed on empty instances: no scale-in under them", func(in *ScalingInput) {
			in.Instances = instances(3)
			in.Provisioning = pending(2)
			in.BelowSince = in.Now.Add(-time.Hour)
		}, 3, 3, 100, 0, nil},
		{"draining instances take no provisioning task", func(in *ScalingInput) {
			in.Instances = instances(1)
			in.Instances[0].Draining = true
			in.Provisioning = pending(1)
		}, 2, 1, 200, 1, nil},
		{"a NotReady (lost) instance's free room is no capacity", func(in *ScalingInput) {
			in.Instances = instances(1)
			in.Instances[0].NotReady = true
			in.Provisioning = pending(1)
		}, 2, 1, 200, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.edit(&in)
			d := Scale(in)
			if d.M != tc.m || d.N != tc.n || d.Reservation != tc.cpr || d.Add != tc.add || !reflect.DeepEqual(d.Remove, tc.remove) {
				t.Errorf("Scale = M %d N %d CPR %d add %d remove %v, want M %d N %d CPR %d add %d remove %v (%s)",
					d.M, d.N, d.Reservation, d.Add, d.Remove, tc.m, tc.n, tc.cpr, tc.add, tc.remove, d.Message)
			}
		})
	}
}

func TestScaleInClock(t *testing.T) {
	in := ScalingInput{Instances: instances(2), Shape: shape, TargetCapacity: 100, ScaleInAfter: 15 * time.Minute, MaxSize: 10, Now: t0}
	d := Scale(in)
	if !d.BelowSince.Equal(t0) || d.Recheck != 15*time.Minute || len(d.Remove) != 0 {
		t.Fatalf("first sight below target: BelowSince %v Recheck %v Remove %v", d.BelowSince, d.Recheck, d.Remove)
	}
	in.BelowSince, in.Now = d.BelowSince, t0.Add(15*time.Minute)
	if d = Scale(in); len(d.Remove) != 2 {
		t.Fatalf("after 15 minutes: Remove %v, want both", d.Remove)
	}
	in.Instances = instances(2, 1, 1)
	if d = Scale(in); !d.BelowSince.IsZero() {
		t.Fatalf("back at target: BelowSince %v, want zero", d.BelowSince)
	}
}
