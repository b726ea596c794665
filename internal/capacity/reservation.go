package capacity

import (
	"fmt"
	"sort"
	"time"
)

// Resources are amounts of CPU (millicores), memory (bytes) and pod slots.
type Resources struct {
	MilliCPU int64
	Memory   int64
	Pods     int64
}

func (r Resources) fits(need Resources) bool {
	return need.MilliCPU <= r.MilliCPU && need.Memory <= r.Memory && need.Pods <= r.Pods
}

func (r Resources) minus(o Resources) Resources {
	return Resources{MilliCPU: r.MilliCPU - o.MilliCPU, Memory: r.Memory - o.Memory, Pods: r.Pods - o.Pods}
}

// Instance is one node of a pool, as ECS sees a container instance.
type Instance struct {
	Name string
	// Allocatable is what the node offers; Requested what the pods bound to
	// it request.
	Allocatable, Requested Resources
	// Tasks counts the non-daemon pods bound to the node that have not
	// finished: an instance with tasks is needed (it counts toward M).
	Tasks int
	// Draining: cordoned; no task is placed on it.
	Draining bool
	// NotReady: the node is lost (its kubelet stopped reporting): the
	// scheduler places no task on it, so its free room is no capacity. A
	// node still starting is not NotReady here.
	NotReady bool
	// Provisioned: created by Berth's provisioner, which may remove it.
	Provisioned bool
	// Created is when the node was created.
	Created time.Time
}

// ScalingInput is what managed scaling decides from.
type ScalingInput struct {
	Instances []Instance
	// Provisioning are the requests of the pool's tasks that the scheduler
	// could not place (ECS's PROVISIONING tasks).
	Provisioning []Resources
	// Shape is what a new node offers.
	Shape Resources
	// TargetCapacity is managedScaling.targetCapacity (1–100).
	TargetCapacity int32
	// MinStep and MaxStep bound how many nodes one scale-out adds
	// (minimumScalingStepSize, maximumScalingStepSize).
	MinStep, MaxStep int32
	// MinSize and MaxSize bound the pool (the Auto Scaling group's sizes).
	MinSize, MaxSize int32
	// Warmup is instanceWarmupPeriod: a node younger than this is not
	// removed.
	Warmup time.Duration
	// ScaleInAfter is how long the reservation must stay below the target
	// before nodes are removed (ECS's scale-in alarm: 15 minutes).
	ScaleInAfter time.Duration
	// BelowSince is when the reservation fell below the target (zero: it
	// is not below).
	BelowSince time.Time
	Now        time.Time
}

// ScalingDecision is what managed scaling does now.
type ScalingDecision struct {
	// M is the number of instances the pool's tasks need; N the number it
	// has; Reservation is CapacityProviderReservation = M / N × 100.
	M, N, Reservation int32
	// Desired is the pool size managed scaling aims at.
	Desired int32
	// Add is how many nodes to create now; Remove the nodes to delete now.
	Add    int32
	Remove []string
	// Unplaceable counts provisioning tasks that would not fit even an empty
	// node of the pool's shape: no scale-out helps them.
	Unplaceable int
	// BelowSince is the new BelowSince.
	BelowSince time.Time
	// Recheck is when to decide again (0: on the next change).
	Recheck time.Duration
	// Message describes the decision.
	Message string
}

// Reservation is CapacityProviderReservation as ECS computes it: M / N ×
// 100, rounded to the nearest percent; 200 when tasks wait for a pool with
// no instance, 100 when the pool and its tasks are both empty.
func Reservation(m, n int32) int32 {
	switch {
	case n == 0 && m > 0:
		return 200
	case n == 0:
		return 100
	}
	return int32((int64(m)*100 + int64(n)/2) / int64(n))
}

// Scale runs ECS managed scaling once. M is the instances that run at least
// one task, or, when tasks are provisioning, N plus the new instances a
// first-fit-decreasing packing of those tasks needs (after filling the free
// room of the instances the pool has, so never fewer than N). The pool aims at
// ceil(M × 100 / targetCapacity) instances within its minimum and maximum
// size; a scale-out adds between minimumScalingStepSize and
// maximumScalingStepSize instances; a scale-in waits until the reservation
// has stayed below the target for ScaleInAfter and removes only empty
// instances that Berth provisioned and that are past their warm-up.
func Scale(in ScalingInput) ScalingDecision {
	target := in.TargetCapacity
	if target <= 0 || target > 100 {
		target = 100
	}
	d := ScalingDecision{N: int32(len(in.Instances))}
	extra, unplaceable := pack(in.Instances, in.Provisioning, in.Shape)
	d.Unplaceable = unplaceable
	if len(in.Provisioning) > 0 {
		// Tasks are waiting for capacity: the pool needs every instance it
		// has (the empty ones are where the waiting tasks fit) and the new
		// ones the packing needs; it never scales in under them.
		d.M = d.N + extra
	} else {
		for _, i := range in.Instances {
			if i.Tasks > 0 {
				d.M++
			}
		}
	}
	d.Reservation = Reservation(d.M, d.N)
	desired := int32((int64(d.M)*100 + int64(target) - 1) / int64(target))
	d.Desired = min(max(desired, in.MinSize), max(in.MaxSize, in.MinSize))
	switch {
	case d.Desired > d.N:
		step := min(max(d.Desired-d.N, max(in.MinStep, 1)), maxStep(in.MaxStep))
		d.Add = min(step, max(in.MaxSize, in.MinSize)-d.N)
		d.Message = fmt.Sprintf("CapacityProviderReservation %d%% above target %d%%: adding %d instances (%d needed, %d running)", d.Reservation, target, d.Add, d.M, d.N)
	case d.Desired < d.N:
		d.scaleIn(in)
	default:
		d.Message = fmt.Sprintf("CapacityProviderReservation %d%% at target %d%% (%d needed, %d running)", d.Reservation, target, d.M, d.N)
	}
	if d.Unplaceable > 0 {
		d.Message += fmt.Sprintf("; %d tasks do not fit an empty instance of the pool", d.Unplaceable)
	}
	return d
}

func maxStep(s int32) int32 {
	if s <= 0 {
		return 10000
	}
	return s
}

// scaleIn removes empty provisioned instances once the reservation has
// been below the target long enough.
func (d *ScalingDecision) scaleIn(in ScalingInput) {
	d.BelowSince = in.BelowSince
	if d.BelowSince.IsZero() {
		d.BelowSince = in.Now
	}
	if wait := d.BelowSince.Add(in.ScaleInAfter).Sub(in.Now); wait > 0 {
		d.Recheck = wait
		d.Message = fmt.Sprintf("CapacityProviderReservation %d%% below target: %d instances would go after %s below it", d.Reservation, d.N-d.Desired, in.ScaleInAfter)
		return
	}
	var candidates []Instance
	for _, i := range in.Instances {
		if !i.Provisioned || i.Tasks > 0 {
			continue
		}
		if young := i.Created.Add(in.Warmup).Sub(in.Now); young > 0 {
			if d.Recheck == 0 || young < d.Recheck {
				d.Recheck = young
			}
			continue
		}
		candidates = append(candidates, i)
	}
	// The newest go first, as an Auto Scaling group's default termination
	// policy favours keeping older instances balanced; names break ties.
	sort.Slice(candidates, func(a, b int) bool {
		if !candidates[a].Created.Equal(candidates[b].Created) {
			return candidates[a].Created.After(candidates[b].Created)
		}
		return candidates[a].Name < candidates[b].Name
	})
	for _, c := range candidates {
		if int32(len(d.Remove)) == d.N-d.Desired {
			break
		}
		d.Remove = append(d.Remove, c.Name)
	}
	d.Message = fmt.Sprintf("CapacityProviderReservation %d%% below target: removing %d empty instances (%d needed, %d running)", d.Reservation, len(d.Remove), d.M, d.N)
}

// pack places the provisioning tasks, largest first, on the free room of
// the schedulable (neither draining nor NotReady) instances and then on new instances of the pool's shape
// (first fit decreasing); it returns how many new instances that takes and
// how many tasks fit nowhere.
func pack(instances []Instance, tasks []Resources, shape Resources) (extra int32, unplaceable int) {
	if len(tasks) == 0 {
		return 0, 0
	}
	sorted := append([]Resources(nil), tasks...)
	sort.SliceStable(sorted, func(a, b int) bool {
		if sorted[a].MilliCPU != sorted[b].MilliCPU {
			return sorted[a].MilliCPU > sorted[b].MilliCPU
		}
		return sorted[a].Memory > sorted[b].Memory
	})
	var bins []Resources
	for _, i := range instances {
		if !i.Draining && !i.NotReady {
			bins = append(bins, i.Allocatable.minus(i.Requested))
		}
	}
	for _, t := range sorted {
		if t.Pods == 0 {
			t.Pods = 1
		}
		placed := false
		for b := range bins {
			if bins[b].fits(t) {
				bins[b] = bins[b].minus(t)
				placed = true
				break
			}
		}
		if placed {
			continue
		}
		if !shape.fits(t) {
			unplaceable++
			continue
		}
		bins = append(bins, shape.minus(t))
		extra++
	}
	return extra, unplaceable
}
