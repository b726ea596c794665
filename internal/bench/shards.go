package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/controllers"
)

// S1Result is the sharding simulation (the limit of one operator): the
// same Services, spread over Namespaces namespaces, brought to steady state
// by one operator, then by one operator per namespace (a shard, which
// watches and acts in its namespace only) beside one that runs the
// cluster-wide controllers.
type S1Result struct {
	Services   int     `json:"services"`
	Namespaces int     `json:"namespaces"`
	Runs       []S1Run `json:"runs"`
}

// S1Run is one layout's run.
type S1Run struct {
	Layout string `json:"layout"`
	// Seconds from the first create to every Service Ready
	// (services-stable) and every task running.
	Seconds   float64     `json:"seconds"`
	Processes []S1Process `json:"processes"`
	// ControlPlaneCPUSeconds are kube-apiserver's, etcd's and the other
	// control-plane processes' CPU over the run.
	ControlPlaneCPUSeconds map[string]float64 `json:"controlPlaneCPUSeconds"`
}

// S1Process is one operator process of a layout.
type S1Process struct {
	Name        string   `json:"name"`
	Namespaces  []string `json:"namespaces,omitempty"`
	Controllers string   `json:"controllers,omitempty"`
	CPUSeconds  float64  `json:"cpuSeconds"`
	// GoMiB is its Go memory after the run (collected), PeakRSSMiB its
	// peak resident set over its life.
	GoMiB      float64 `json:"goMiB"`
	PeakRSSMiB float64 `json:"peakRSSMiB"`
}

// s1 runs the sharding simulation: services Services (one task each) in
// shards namespaces, under the operator that runs, then under shards
// operators of one namespace each and one for the cluster-wide
// controllers. The operator runs again afterwards.
func (h *Harness) s1(ctx context.Context, o Options) (*S1Result, error) {
	res := &S1Result{Services: o.S1Services, Namespaces: o.S1Shards}
	// A fresh operator, as the shards will be: its peak memory and what it
	// holds are then this run's, not the earlier scenarios'.
	if err := h.StartOperator(ctx); err != nil {
		return nil, err
	}
	single, err := h.s1Run(ctx, o, "one operator", "s1-one", func([]string) ([]*Child, error) {
		return []*Child{h.operator}, nil
	})
	if err != nil {
		return nil, err
	}
	res.Runs = append(res.Runs, single)
	if err := h.StopOperator(); err != nil {
		return nil, err
	}
	var started []*Child
	sharded, err := h.s1Run(ctx, o, fmt.Sprintf("%d shards + cluster-wide", o.S1Shards), "s1-shard", func(nss []string) ([]*Child, error) {
		wide := strings.Join(controllers.ClusterWide, ",")
		c, err := startChildSpec(ctx, childSpec{role: RoleOperator, name: "operator-cluster-wide", concurrency: h.concurrency, controllers: wide},
			h.operatorKubeconfig, h.logDir)
		if err != nil {
			return nil, err
		}
		started = append(started, c)
		for _, ns := range nss {
			c, err := startChildSpec(ctx, childSpec{role: RoleOperator, name: "operator-" + ns, concurrency: h.concurrency,
				namespaces: []string{ns}, controllers: "*,-" + wide}, h.operatorKubeconfig, h.logDir)
			if err != nil {
				return started, err
			}
			started = append(started, c)
		}
		return started, nil
	})
	for _, c := range started {
		err = errors.Join(err, c.Stop())
	}
	if err != nil {
		return nil, errors.Join(err, h.StartOperator(ctx))
	}
	res.Runs = append(res.Runs, sharded)
	return res, h.StartOperator(ctx)
}

// s1Run creates the namespaces (prefix-0, prefix-1, ...), starts the
// layout's operators (start), creates the Services, waits for them and
// records each operator's CPU and memory; then deletes the namespaces.
func (h *Harness) s1Run(ctx context.Context, o Options, layout, prefix string, start func(nss []string) ([]*Child, error)) (S1Run, error) {
	run := S1Run{Layout: layout}
	nss := make([]string, o.S1Shards)
	for i := range nss {
		nss[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	children, err := start(nss)
	if err != nil {
		return run, err
	}
	for _, ns := range nss {
		if err := h.createNamespace(ctx, ns, true, 1); err != nil {
			return run, err
		}
	}
	per := o.S1Services / o.S1Shards
	cpu0 := make([]float64, len(children))
	for i, c := range children {
		cpu0[i] = cpuSeconds(c.cmd.Process.Pid)
	}
	plane0 := h.cpu()
	if run.Seconds, err = h.s1Converge(ctx, o, nss, per); err != nil {
		return run, fmt.Errorf("S1 %s: %w", layout, err)
	}
	run.ControlPlaneCPUSeconds = cpuDelta(plane0, h.cpu())
	delete(run.ControlPlaneCPUSeconds, "operator")
	for i, c := range children {
		m, err := c.Memory(ctx)
		if err != nil {
			return run, err
		}
		p := S1Process{Name: c.Role, CPUSeconds: round3(cpuSeconds(c.cmd.Process.Pid) - cpu0[i]), GoMiB: m.GoMiB, PeakRSSMiB: m.PeakRSSMiB}
		if c != h.operator {
			p.Namespaces, p.Controllers = c.spec.namespaces, c.spec.controllers
		}
		run.Processes = append(run.Processes, p)
	}
	h.logf("S1 %s: %d Services in %d namespaces: %.2fs; %v", layout, per*len(nss), len(nss), run.Seconds, run.Processes)
	for _, ns := range nss {
		if err := h.deleteNamespace(ctx, ns); err != nil {
			return run, err
		}
	}
	return run, nil
}

// s1Converge creates per Services in each of nss and returns the seconds
// until every one is Ready (services-stable) with its task running: the
// operators' work, without the deployments' 40-s wait to complete, which
// both layouts would wait alike.
func (h *Harness) s1Converge(ctx context.Context, o Options, nss []string, per int) (float64, error) {
	begin := time.Now()
	err := parallel(ctx, per*len(nss), 16, func(ctx context.Context, i int) error {
		return h.admin.Create(ctx, service(nss[i%len(nss)], i/len(nss), 1))
	})
	if err != nil {
		return 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	var end time.Time
	for _, ns := range nss {
		p, err := h.rec.WaitFor(wctx, ns, func(p Progress) bool { return p.Pods >= per && p.Deployments >= per && p.Stable >= per })
		if err != nil {
			return 0, fmt.Errorf("namespace %s: %w", ns, err)
		}
		end = latest(end, p.LastPod, p.LastStable)
	}
	return round3(end.Sub(begin).Seconds()), nil
}

// latest is the latest of ts.
func latest(ts ...time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}
