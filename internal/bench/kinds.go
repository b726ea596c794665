package bench

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// K1Result is what the operator costs per kind: its Go memory (after a
// collection) and CPU as objects of each kind are added to a running
// operator, and as Services grow to their largest count (M3 at scale).
type K1Result struct {
	// Services are the operator's memory at each count of Services
	// (desiredCount 0: their tasks' cost is the Task rows' and M5's).
	Services []K1Point `json:"services"`
	// Kinds are the cost of 1,000 objects of each kind.
	Kinds []KindCost `json:"kinds"`
}

// K1Point is the operator over Services Services.
type K1Point struct {
	Services int     `json:"services"`
	GoMiB    float64 `json:"goMiB"`
	RSSMiB   float64 `json:"rssMiB"`
	// Seconds to bring the last step's Services to Ready.
	Seconds float64 `json:"seconds"`
}

// KindCost is the operator's cost for Objects objects of Kind, scaled to
// 1,000.
type KindCost struct {
	Kind    string `json:"kind"`
	Objects int    `json:"objects"`
	// Seconds from the first create to every object Ready.
	Seconds             float64 `json:"seconds"`
	GoMiBPer1000        float64 `json:"goMiBPer1000"`
	CPUSecondsPer1000   float64 `json:"cpuSecondsPer1000"`
	WhatEachObjectCosts string  `json:"whatEachObjectCosts"`
}

// k1Namespace holds K1's objects; the control plane is torn down after it,
// so nothing is deleted.
const k1Namespace = "k1"

// k1 adds, to the running operator, Services in steps up to the last of
// o.K1Services (desiredCount 0), then o.K1PerKind TaskDefinitions,
// ScalableTargets (on the first Services) and standalone Tasks, and
// measures the operator after each step. It runs last: it deletes nothing.
func (h *Harness) k1(ctx context.Context, o Options) (*K1Result, error) {
	res := &K1Result{}
	if err := h.createNamespace(ctx, k1Namespace, true, 1); err != nil {
		return nil, err
	}
	before, err := h.operator.Memory(ctx)
	if err != nil {
		return nil, err
	}
	have, cpu := 0, 0.0
	var took float64
	for _, target := range o.K1Services {
		from := have
		cost, err := h.k1Step(ctx, o, "Service", target-from, func(ctx context.Context, i int) error {
			return h.admin.Create(ctx, service(k1Namespace, from+i, 0))
		}, func(context.Context) (int, error) { return h.rec.Progress(k1Namespace).Services, nil }, target)
		if err != nil {
			return nil, err
		}
		have, took = target, took+cost.Seconds
		cpu += cost.CPUSecondsPer1000 * float64(target-from) / 1000
		m, err := h.operator.Memory(ctx)
		if err != nil {
			return nil, err
		}
		res.Services = append(res.Services, K1Point{Services: target, GoMiB: m.GoMiB, RSSMiB: m.RSSMiB, Seconds: cost.Seconds})
		h.logf("K1: %d Services (desiredCount 0): operator %.1f MiB Go, %.1f MiB RSS; the last %d Ready in %.1fs",
			target, m.GoMiB, m.RSSMiB, target-from, cost.Seconds)
		if target == have && target == o.K1Services[len(o.K1Services)-1] {
			res.Kinds = append(res.Kinds, KindCost{Kind: "Service", Objects: target, Seconds: round3(took),
				GoMiBPer1000: round3((m.GoMiB - before.GoMiB) * 1000 / float64(target)), CPUSecondsPer1000: round3(cpu * 1000 / float64(target)),
				WhatEachObjectCosts: "the Service and its Deployment (in the cache); desiredCount 0, so no task"})
		}
	}
	n := o.K1PerKind
	steps := []struct {
		kind, what string
		// count is n, or fewer where each object needs one of the Services.
		count  int
		create func(ctx context.Context, i int) error
		ready  func(ctx context.Context) (int, error)
	}{
		{"TaskDefinition", "the TaskDefinition and its TaskDefinitionRevision", n, func(ctx context.Context, i int) error {
			td := taskDefinition(k1Namespace)
			td.Name, td.Spec.Family = fmt.Sprintf("family-%05d", i), fmt.Sprintf("family-%05d", i)
			return h.admin.Create(ctx, td)
		}, func(ctx context.Context) (int, error) { return h.countReady(ctx, &ecsv1alpha1.TaskDefinitionList{}) }},
		{"ScalableTarget", "the ScalableTarget (no scaling policy: no HorizontalPodAutoscaler)", min(n, have), func(ctx context.Context, i int) error {
			st := &ecsv1alpha1.ScalableTarget{ObjectMeta: metav1.ObjectMeta{Namespace: k1Namespace, Name: fmt.Sprintf("st-%05d", i)}}
			st.Spec.ServiceNamespace = "ecs"
			st.Spec.ResourceID = "service/default/" + service(k1Namespace, i, 0).Name
			st.Spec.ScalableDimension = "ecs:service:DesiredCount"
			st.Spec.MinCapacity, st.Spec.MaxCapacity = 0, 1
			return h.admin.Create(ctx, st)
		}, func(ctx context.Context) (int, error) { return h.countReady(ctx, &ecsv1alpha1.ScalableTargetList{}) }},
		{"Task", "the Task and its pod (slim, in the cache)", n, func(ctx context.Context, i int) error {
			t := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: k1Namespace, Name: fmt.Sprintf("task-%05d", i)}}
			t.Spec.TaskDefinition = Family + ":1"
			t.Spec.LaunchType = ecsv1alpha1.LaunchTypeFargate
			return h.admin.Create(ctx, t)
		}, func(ctx context.Context) (int, error) { return h.countReady(ctx, &ecsv1alpha1.TaskList{}) }},
	}
	for _, s := range steps {
		m0, err := h.operator.Memory(ctx)
		if err != nil {
			return nil, err
		}
		already, err := s.ready(ctx)
		if err != nil {
			return nil, err
		}
		if s.count == 0 {
			continue
		}
		cost, err := h.k1Step(ctx, o, s.kind, s.count, s.create, s.ready, already+s.count)
		if err != nil {
			return nil, err
		}
		m, err := h.operator.Memory(ctx)
		if err != nil {
			return nil, err
		}
		cost.GoMiBPer1000 = round3((m.GoMiB - m0.GoMiB) * 1000 / float64(s.count))
		cost.WhatEachObjectCosts = s.what
		res.Kinds = append(res.Kinds, cost)
		h.logf("K1: %d %ss: %.1f MiB and %.1f CPU s per 1,000, Ready in %.1fs", s.count, s.kind, cost.GoMiBPer1000, cost.CPUSecondsPer1000, cost.Seconds)
	}
	return res, nil
}

// k1Step creates count objects (create(i)) and waits until ready reports
// want; it returns the time and the operator's CPU per 1,000.
func (h *Harness) k1Step(ctx context.Context, o Options, kind string, count int,
	create func(ctx context.Context, i int) error, ready func(ctx context.Context) (int, error), want int) (KindCost, error) {
	cost := KindCost{Kind: kind, Objects: count}
	pid := h.operator.cmd.Process.Pid
	cpu0 := cpuSeconds(pid)
	start := time.Now()
	if err := parallel(ctx, count, 16, create); err != nil {
		return cost, fmt.Errorf("K1 %s: %w", kind, err)
	}
	deadline := time.Now().Add(o.Timeout)
	for {
		got, err := ready(ctx)
		if err != nil {
			return cost, err
		}
		if got >= want {
			break
		}
		if time.Now().After(deadline) {
			return cost, fmt.Errorf("K1 %s: %d of %d Ready after %s", kind, got, want, o.Timeout)
		}
		select {
		case <-ctx.Done():
			return cost, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	cost.Seconds = round3(time.Since(start).Seconds())
	cost.CPUSecondsPer1000 = round3((cpuSeconds(pid) - cpu0) * 1000 / float64(count))
	return cost, nil
}

// countReady counts the objects of list's kind in K1's namespace whose
// Ready condition is True.
func (h *Harness) countReady(ctx context.Context, list client.ObjectList) (int, error) {
	if err := h.admin.List(ctx, list, client.InNamespace(k1Namespace)); err != nil {
		return 0, err
	}
	var conds [][]metav1.Condition
	switch l := list.(type) {
	case *ecsv1alpha1.TaskDefinitionList:
		for i := range l.Items {
			conds = append(conds, l.Items[i].Status.Conditions)
		}
	case *ecsv1alpha1.ScalableTargetList:
		for i := range l.Items {
			conds = append(conds, l.Items[i].Status.Conditions)
		}
	case *ecsv1alpha1.TaskList:
		for i := range l.Items {
			conds = append(conds, l.Items[i].Status.Conditions)
		}
	default:
		return 0, fmt.Errorf("countReady: %T", list)
	}
	n := 0
	for _, c := range conds {
		if meta.IsStatusConditionTrue(c, ecsv1alpha1.ConditionReady) {
			n++
		}
	}
	return n, nil
}
