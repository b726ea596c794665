package ecsmetrics

import (
	"math"
	"slices"
)

// Task is one task (pod) as a sampling saw it.
type Task struct {
	Namespace, Cluster string
	// Service is the ECS name of the task's service; empty for a
	// standalone task.
	Service string
	// Running: the task is RUNNING (its pod is ready). Only running tasks
	// count, as ECS publishes utilization for running tasks only.
	Running bool
	// HasUsage: the resource metrics API (metrics.k8s.io) reported the
	// task's use.
	HasUsage bool
	// CPU in millicores and memory in bytes, used and reserved (the task's
	// cpu and memory, or its containers' reservations when it has none).
	CPUUsed, CPUReserved       int64
	MemoryUsed, MemoryReserved int64
}

// ServiceState is a service's counts as its status shows them (nil:
// unknown, not published).
type ServiceState struct {
	Namespace, Cluster, Service string
	Desired, Running, Pending   *int32
}

type groupKey struct{ ns, cluster, service string }

// Compute returns the samples of one sampling: per service, its
// utilization (AWS/ECS) and its counts and resources (Container Insights);
// per cluster, the same over all its tasks, its service count and task
// count. Samples are sorted by ID.
func Compute(services []ServiceState, tasks []Task) []Sample {
	var out []Sample
	add := func(k groupKey, ns, name string, d Datum) {
		out = append(out, Sample{ID: ID{Namespace: k.ns, MetricNS: ns, MetricName: name, Cluster: k.cluster, Service: k.service}, Datum: d})
	}
	byGroup := map[groupKey][]Task{}
	clusters := map[groupKey]int{} // services per cluster
	for _, t := range tasks {
		c := groupKey{t.Namespace, t.Cluster, ""}
		byGroup[c] = append(byGroup[c], t)
		if _, ok := clusters[c]; !ok {
			clusters[c] = 0
		}
		if t.Service != "" {
			s := groupKey{t.Namespace, t.Cluster, t.Service}
			byGroup[s] = append(byGroup[s], t)
		}
	}
	for _, s := range services {
		k := groupKey{s.Namespace, s.Cluster, s.Service}
		clusters[groupKey{s.Namespace, s.Cluster, ""}]++
		for name, v := range map[string]*int32{RunningTaskCount: s.Running, PendingTaskCount: s.Pending, DesiredTaskCount: s.Desired} {
			if v != nil {
				add(k, NamespaceContainerInsights, name, Value(float64(*v)))
			}
		}
		resources(k, byGroup[k], add)
	}
	for c, n := range clusters {
		add(c, NamespaceContainerInsights, ServiceCount, Value(float64(n)))
		running := 0
		for _, t := range byGroup[c] {
			if t.Running {
				running++
			}
		}
		add(c, NamespaceContainerInsights, TaskCount, Value(float64(running)))
		resources(c, byGroup[c], add)
	}
	slices.SortFunc(out, func(a, b Sample) int { return a.Compare(b.ID) })
	return out
}

// cpuUnits turns millicores into ECS CPU units (1,024 a vCPU).
func cpuUnits(m int64) float64 { return float64(m) * 1024 / 1000 }

// megabytes turns bytes into the megabytes (MiB) ECS counts memory in.
func megabytes(b int64) float64 { return float64(b) / (1 << 20) }

// resources adds a group's utilization and resources over its running
// tasks: CPUUtilization and MemoryUtilization over the tasks that report
// use and reserve some (none: not published, as ECS publishes nothing for
// a service without running tasks), and the CPU and memory used and
// reserved.
func resources(k groupKey, tasks []Task, add func(groupKey, string, string, Datum)) {
	var cpu, mem Datum
	var cpuUsed, cpuRes, memUsed, memRes int64
	running, reporting := 0, 0
	for _, t := range tasks {
		if !t.Running {
			continue
		}
		running++
		cpuRes += t.CPUReserved
		memRes += t.MemoryReserved
		if !t.HasUsage {
			continue
		}
		reporting++
		cpuUsed += t.CPUUsed
		memUsed += t.MemoryUsed
		cpu = cpu.Merge(utilization(t.CPUUsed, t.CPUReserved))
		mem = mem.Merge(utilization(t.MemoryUsed, t.MemoryReserved))
	}
	if cpu.SampleCount > 0 {
		add(k, NamespaceECS, CPUUtilization, cpu)
	}
	if mem.SampleCount > 0 {
		add(k, NamespaceECS, MemoryUtilization, mem)
	}
	if running > 0 {
		add(k, NamespaceContainerInsights, CPUReserved, Value(cpuUnits(cpuRes)))
		add(k, NamespaceContainerInsights, MemoryReserved, Value(megabytes(memRes)))
	}
	if reporting > 0 {
		add(k, NamespaceContainerInsights, CPUUtilized, Value(cpuUnits(cpuUsed)))
		add(k, NamespaceContainerInsights, MemoryUtilized, Value(megabytes(memUsed)))
	}
}

// utilization is one task's use over its reservation, in percent; empty
// without a reservation.
func utilization(used, reserved int64) Datum {
	if reserved <= 0 {
		return Datum{}
	}
	p := 100 * float64(used) / float64(reserved)
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return Datum{}
	}
	return Datum{SampleCount: 1, Sum: p, Min: p, Max: p, Used: float64(used), Reserved: float64(reserved)}
}
