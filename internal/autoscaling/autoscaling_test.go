package autoscaling

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/schedule"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func steps(s ...ecsv1alpha1.StepAdjustment) []ecsv1alpha1.StepAdjustment { return s }

func step(lo, hi *float64, adj int32) ecsv1alpha1.StepAdjustment {
	return ecsv1alpha1.StepAdjustment{MetricIntervalLowerBound: lo, MetricIntervalUpperBound: hi, ScalingAdjustment: adj}
}

func TestStepIntervals(t *testing.T) {
	// The AWS user guide's example: threshold 50; +1 for [0,10), +2 for
	// [10,20), +3 for [20, inf).
	s := steps(step(ptr.To(0.0), ptr.To(10.0), 1), step(ptr.To(10.0), ptr.To(20.0), 2), step(ptr.To(20.0), nil, 3))
	for _, c := range []struct {
		breach float64
		want   int32
		ok     bool
	}{{0, 1, true}, {9.99, 1, true}, {10, 2, true}, {19.9, 2, true}, {20, 3, true}, {500, 3, true}, {-0.1, 0, false}} {
		got, ok := Step(s, c.breach, c.breach >= 0)
		if ok != c.ok || (ok && got.ScalingAdjustment != c.want) {
			t.Errorf("Step(%v) = %d, %v; want %d, %v", c.breach, got.ScalingAdjustment, ok, c.want, c.ok)
		}
	}
	// Below the threshold the upper bound is inclusive: a scale-in policy
	// with -1 for (-10, 0] and -2 for (-inf, -10].
	in := steps(step(ptr.To(-10.0), ptr.To(0.0), -1), step(nil, ptr.To(-10.0), -2))
	for _, c := range []struct {
		breach float64
		want   int32
	}{{0, -1}, {0 - 1e-9, -1}, {-10, -2}, {-9.9, -1}, {-40, -2}} {
		// A LessThanOrEqualToThreshold alarm at exactly the threshold:
		// breach 0, read on the side below.
		if got, ok := Step(in, c.breach, false); !ok || got.ScalingAdjustment != c.want {
			t.Errorf("Step(%v) = %d, %v; want %d", c.breach, got.ScalingAdjustment, ok, c.want)
		}
	}
}

func TestValidateSteps(t *testing.T) {
	for _, c := range []struct {
		name  string
		steps []ecsv1alpha1.StepAdjustment
		err   string
	}{
		{"contiguous", steps(step(ptr.To(0.0), ptr.To(10.0), 1), step(ptr.To(10.0), nil, 2)), ""},
		{"one unbounded", steps(step(nil, nil, 1)), ""},
		{"overlap", steps(step(ptr.To(0.0), ptr.To(15.0), 1), step(ptr.To(10.0), nil, 2)), "overlap"},
		{"gap", steps(step(ptr.To(0.0), ptr.To(10.0), 1), step(ptr.To(20.0), nil, 2)), "gap between 10.0 and 20.0"},
	} {
		err := ValidateSteps(c.steps)
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
	}
}

func TestAdjust(t *testing.T) {
	cfg := func(typ ecsv1alpha1.AdjustmentType, mag *int32) *ecsv1alpha1.StepScalingPolicyConfiguration {
		return &ecsv1alpha1.StepScalingPolicyConfiguration{AdjustmentType: typ, MinAdjustmentMagnitude: mag}
	}
	for _, c := range []struct {
		name          string
		cfg           *ecsv1alpha1.StepScalingPolicyConfiguration
		adj, cur, out int32
	}{
		{"change", cfg(ecsv1alpha1.AdjustmentChangeInCapacity, nil), 2, 4, 6},
		{"exact", cfg(ecsv1alpha1.AdjustmentExactCapacity, nil), 7, 4, 7},
		{"percent truncates", cfg(ecsv1alpha1.AdjustmentPercentChangeInCapacity, nil), 50, 5, 7},       // +2.5 → +2
		{"percent below 1 is 1", cfg(ecsv1alpha1.AdjustmentPercentChangeInCapacity, nil), 10, 4, 5},    // +0.4 → +1
		{"percent above -1 is -1", cfg(ecsv1alpha1.AdjustmentPercentChangeInCapacity, nil), -10, 4, 3}, // -0.4 → -1
		{"percent negative truncates", cfg(ecsv1alpha1.AdjustmentPercentChangeInCapacity, nil), -25, 30, 23},
		// The user guide's example: 25 % of 4 tasks is 1, at least 2.
		{"min magnitude", cfg(ecsv1alpha1.AdjustmentPercentChangeInCapacity, ptr.To[int32](2)), 25, 4, 6},
		{"min magnitude scale-in", cfg(ecsv1alpha1.AdjustmentPercentChangeInCapacity, ptr.To[int32](2)), -25, 4, 2},
	} {
		if got := Adjust(c.cfg, c.adj, c.cur); got != c.out {
			t.Errorf("%s: Adjust(%d, %d) = %d, want %d", c.name, c.adj, c.cur, got, c.out)
		}
	}
}

func stepPolicy(adj int32, cooldown int32) *ecsv1alpha1.ScalingPolicy {
	return &ecsv1alpha1.ScalingPolicy{PolicyName: "out", PolicyType: ecsv1alpha1.PolicyTypeStep,
		StepScalingPolicyConfiguration: &ecsv1alpha1.StepScalingPolicyConfiguration{
			AdjustmentType: ecsv1alpha1.AdjustmentChangeInCapacity, Cooldown: ptr.To(cooldown),
			StepAdjustments: steps(step(ptr.To(0.0), ptr.To(20.0), adj), step(ptr.To(20.0), nil, adj+1)),
		}}
}

func TestRunStepCooldowns(t *testing.T) {
	rng := Range{Min: 1, Max: 20}
	p := stepPolicy(2, 60)
	// First scale-out: 10 → 12.
	d := RunStep(StepInput{Policy: p, Above: true, Breach: 5, Current: 10, Range: rng, Now: t0})
	if d.Desired != 12 || d.Status.LastScaleOutFrom == nil || *d.Status.LastScaleOutFrom != 10 {
		t.Fatalf("first scale-out: %d, from %v", d.Desired, d.Status.LastScaleOutFrom)
	}
	// Within the cooldown the same step adds nothing...
	d2 := RunStep(StepInput{Policy: p, Above: true, Status: d.Status, Breach: 5, Current: 12, Range: rng, Now: t0.Add(30 * time.Second)})
	if d2.Desired != 12 || !strings.Contains(d2.Reason, "cooldown") {
		t.Errorf("same step in cooldown: %d (%s), want 12", d2.Desired, d2.Reason)
	}
	// ...and a larger step (+3) adds only the difference (the user
	// guide's example: the previous 2 count towards it).
	d3 := RunStep(StepInput{Policy: p, Above: true, Status: d.Status, Breach: 25, Current: 12, Range: rng, Now: t0.Add(30 * time.Second)})
	if d3.Desired != 13 {
		t.Errorf("larger step in cooldown: %d, want 13", d3.Desired)
	}
	// After the cooldown the step applies to the current capacity.
	d4 := RunStep(StepInput{Policy: p, Above: true, Status: d.Status, Breach: 5, Current: 12, Range: rng, Now: t0.Add(61 * time.Second)})
	if d4.Desired != 14 {
		t.Errorf("after cooldown: %d, want 14", d4.Desired)
	}
	// The maximum bounds it.
	d5 := RunStep(StepInput{Policy: p, Above: true, Breach: 5, Current: 20, Range: rng, Now: t0})
	if d5.Desired != 20 || !strings.Contains(d5.Reason, "maximum capacity (20)") {
		t.Errorf("at max: %d (%s)", d5.Desired, d5.Reason)
	}
	// Suspended scale-out.
	d6 := RunStep(StepInput{Policy: p, Above: true, Breach: 5, Current: 10, Range: rng, ScaleOutBlocked: "dynamic scale-out is suspended", Now: t0})
	if d6.Desired != 10 || d6.Reason != "dynamic scale-out is suspended" {
		t.Errorf("suspended: %d (%s)", d6.Desired, d6.Reason)
	}
}

func TestRunStepScaleIn(t *testing.T) {
	rng := Range{Min: 2, Max: 20}
	p := stepPolicy(-3, 60)
	d := RunStep(StepInput{Policy: p, Above: true, Breach: 5, Current: 10, Range: rng, Now: t0})
	if d.Desired != 7 || d.Status.LastScaleInTime == nil {
		t.Fatalf("scale-in: %d", d.Desired)
	}
	d2 := RunStep(StepInput{Policy: p, Above: true, Status: d.Status, Breach: 5, Current: 7, Range: rng, Now: t0.Add(59 * time.Second)})
	if d2.Desired != 7 {
		t.Errorf("scale-in within cooldown: %d, want 7", d2.Desired)
	}
	d3 := RunStep(StepInput{Policy: p, Above: true, Status: d.Status, Breach: 5, Current: 4, Range: rng, Now: t0.Add(60 * time.Second)})
	if d3.Desired != 2 {
		t.Errorf("scale-in to the minimum: %d, want 2", d3.Desired)
	}
	d4 := RunStep(StepInput{Policy: p, Above: true, Breach: 5, Current: 10, Range: rng, ScaleInBlocked: "scale-in is turned off while deployment ecs-svc/1 is in progress", Now: t0})
	if d4.Desired != 10 || !strings.Contains(d4.Reason, "deployment") {
		t.Errorf("during a deployment: %d (%s)", d4.Desired, d4.Reason)
	}
}

func TestDue(t *testing.T) {
	mustParse := func(expr, tz string) schedule.Schedule {
		s, err := schedule.Parse(expr, tz)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a := &ecsv1alpha1.ScheduledAction{ScheduledActionName: "night", Schedule: "cron(0 20 * * ? *)", Timezone: "Europe/Paris"}
	s := mustParse(a.Schedule, a.Timezone)
	// First seen at 12:00 UTC: next run 20:00 Paris = 19:00 UTC.
	st, run := Due(a, s, ecsv1alpha1.ScheduledActionStatus{}, t0)
	if run || st.NextRunTime == nil || !st.NextRunTime.Time.Equal(time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)) || st.Since == nil {
		t.Fatalf("first look: run %v, next %v", run, st.NextRunTime)
	}
	// At 19:00:05 UTC it runs, and the next run is a day later.
	st2, run := Due(a, s, st, time.Date(2026, 11, 26, 19, 0, 5, 0, time.UTC))
	if !run || !st2.LastRunTime.Time.Equal(time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)) || !st2.NextRunTime.Time.Equal(time.Date(2026, 11, 27, 19, 0, 0, 0, time.UTC)) {
		t.Errorf("run: %v, last %v, next %v", run, st2.LastRunTime, st2.NextRunTime)
	}
	// Not again at 19:01.
	if _, run := Due(a, s, st2, time.Date(2026, 11, 26, 19, 1, 0, 0, time.UTC)); run {
		t.Error("ran twice")
	}
	// Three days missed: it runs once, for the latest.
	st3, run := Due(a, s, st2, time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
	if !run || !st3.LastRunTime.Time.Equal(time.Date(2026, 11, 29, 19, 0, 0, 0, time.UTC)) {
		t.Errorf("missed runs: %v, last %v", run, st3.LastRunTime)
	}
	// A new schedule starts afresh.
	b := a.DeepCopy()
	b.Schedule = "rate(5 minutes)"
	st4, run := Due(b, mustParse(b.Schedule, b.Timezone), st3, t0)
	if run || st4.LastRunTime != nil || !st4.NextRunTime.Time.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("new schedule: run %v, last %v, next %v", run, st4.LastRunTime, st4.NextRunTime)
	}
	// An at() in the past never runs; one a few seconds ahead runs once.
	c := &ecsv1alpha1.ScheduledAction{ScheduledActionName: "once", Schedule: "at(2026-11-26T12:00:10)"}
	sc := mustParse(c.Schedule, "")
	st5, run := Due(c, sc, ecsv1alpha1.ScheduledActionStatus{}, t0)
	if run || !st5.NextRunTime.Time.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("at ahead: %v %v", run, st5.NextRunTime)
	}
	st6, run := Due(c, sc, st5, t0.Add(11*time.Second))
	if !run || st6.NextRunTime != nil {
		t.Errorf("at due: run %v, next %v", run, st6.NextRunTime)
	}
	// An at() that passed two minutes before Berth first saw it still runs;
	// one ten minutes past does not.
	late := &ecsv1alpha1.ScheduledAction{ScheduledActionName: "late", Schedule: "at(2026-11-26T11:58:00)"}
	if _, run := Due(late, mustParse(late.Schedule, ""), ecsv1alpha1.ScheduledActionStatus{}, t0); !run {
		t.Error("an at() 2 minutes past, first seen: want it to run")
	}
	stale := &ecsv1alpha1.ScheduledAction{ScheduledActionName: "stale", Schedule: "at(2026-11-26T11:50:00)"}
	if st, run := Due(stale, mustParse(stale.Schedule, ""), ecsv1alpha1.ScheduledActionStatus{}, t0); run || st.NextRunTime != nil {
		t.Error("an at() 10 minutes past: want no run")
	}
	// An endTime stops it.
	d := a.DeepCopy()
	d.EndTime = &metav1.Time{Time: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}
	st7, _ := Due(d, s, st2, time.Date(2026, 11, 26, 19, 1, 0, 0, time.UTC))
	if st7.NextRunTime != nil {
		t.Errorf("after endTime: next %v", st7.NextRunTime)
	}
}

func TestRange(t *testing.T) {
	r := Range{Min: 1, Max: 10}
	if n, err := r.Apply(ecsv1alpha1.ScalableTargetAction{MinCapacity: ptr.To[int32](5)}); err != nil || n != (Range{5, 10}) {
		t.Errorf("min only: %v %v", n, err)
	}
	if _, err := r.Apply(ecsv1alpha1.ScalableTargetAction{MinCapacity: ptr.To[int32](12)}); err == nil {
		t.Error("min above max: want an error")
	}
	if got := (Range{5, 10}).Describe(r); got != "Setting min capacity to 5" {
		t.Errorf("describe: %q", got)
	}
	if r.Clamp(0) != 1 || r.Clamp(11) != 10 || r.Clamp(4) != 4 {
		t.Error("clamp")
	}
	st := &ecsv1alpha1.ScalableTarget{Spec: ecsv1alpha1.ScalableTargetSpec{MinCapacity: 1, MaxCapacity: 10}}
	st.Status = ecsv1alpha1.ScalableTargetStatus{MinCapacity: ptr.To[int32](5), MaxCapacity: ptr.To[int32](8)}
	Register(st)
	if InForce(st) != (Range{5, 8}) {
		t.Errorf("scheduled range in force: %v", InForce(st))
	}
	st.Spec.RoleARN = "arn:aws:iam::1:role/other" // another edit keeps it
	if InForce(st) != (Range{5, 8}) {
		t.Errorf("after an edit that is not a registration: %v", InForce(st))
	}
	st.Spec.MaxCapacity = 12 // a new registration replaces it
	if InForce(st) != (Range{1, 12}) {
		t.Errorf("new registration: %v", InForce(st))
	}
}
