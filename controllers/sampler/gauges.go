package sampler

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/berth-dev/berth/internal/ecsmetrics"
)

// The services' gauges on the operator's metrics endpoint: the figures
// CloudWatch serves per service, labelled with the ECS names.
const (
	GaugeCPUUtilization    = "berth_service_cpu_utilization_percent"
	GaugeMemoryUtilization = "berth_service_memory_utilization_percent"
	GaugeRunningTasks      = "berth_service_running_tasks"
	GaugePendingTasks      = "berth_service_pending_tasks"
	GaugeDesiredTasks      = "berth_service_desired_tasks"
)

// Labels of the gauges: the Kubernetes namespace, and the ECS cluster and
// service names.
var gaugeLabels = []string{"namespace", "cluster", "service"}

// gaugeOf maps a service metric to its gauge and help.
var gaugeOf = map[string][2]string{
	ecsmetrics.CPUUtilization:    {GaugeCPUUtilization, "An ECS service's CPUUtilization (AWS/ECS): its running tasks' CPU used over reserved, in percent, at the last sample."},
	ecsmetrics.MemoryUtilization: {GaugeMemoryUtilization, "An ECS service's MemoryUtilization (AWS/ECS): its running tasks' memory used over reserved, in percent, at the last sample."},
	ecsmetrics.RunningTaskCount:  {GaugeRunningTasks, "An ECS service's RUNNING tasks (its runningCount), at the last sample."},
	ecsmetrics.PendingTaskCount:  {GaugePendingTasks, "An ECS service's PENDING tasks (its pendingCount), at the last sample."},
	ecsmetrics.DesiredTaskCount:  {GaugeDesiredTasks, "An ECS service's desired tasks (its desiredCount), at the last sample."},
}

// Gauges are the services' gauges. Set replaces every value at each
// sample: a service that has gone (or stopped publishing a figure) loses
// its series.
type Gauges struct {
	vecs map[string]*prometheus.GaugeVec // by metric name

	mu   sync.Mutex
	last map[string]map[[3]string]bool
}

var (
	registered     *Gauges
	registeredOnce sync.Once
)

// RegisteredGauges returns the gauges, registered with controller-runtime's
// registry (the operator's /metrics) once per process.
func RegisteredGauges() *Gauges {
	registeredOnce.Do(func() {
		registered = NewGauges()
		for _, v := range registered.vecs {
			ctrlmetrics.Registry.MustRegister(v)
		}
	})
	return registered
}

// NewGauges returns unregistered gauges.
func NewGauges() *Gauges {
	g := &Gauges{vecs: map[string]*prometheus.GaugeVec{}, last: map[string]map[[3]string]bool{}}
	for metric, nh := range gaugeOf {
		g.vecs[metric] = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: nh[0], Help: nh[1]}, gaugeLabels)
	}
	return g
}

// Collectors are the gauges, to register.
func (g *Gauges) Collectors() []prometheus.Collector {
	var out []prometheus.Collector
	for _, v := range g.vecs {
		out = append(out, v)
	}
	return out
}

// Set sets the gauges from one sampling's samples (the service-level
// ones), and deletes the series no sample has any more.
func (g *Gauges) Set(samples []ecsmetrics.Sample) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := map[string]map[[3]string]bool{}
	for _, s := range samples {
		vec, ok := g.vecs[s.MetricName]
		if !ok || s.Service == "" {
			continue
		}
		v, ok := s.Stat(ecsmetrics.Average)
		if !ok {
			continue
		}
		l := [3]string{s.Namespace, s.Cluster, s.Service}
		vec.WithLabelValues(l[:]...).Set(v)
		if now[s.MetricName] == nil {
			now[s.MetricName] = map[[3]string]bool{}
		}
		now[s.MetricName][l] = true
	}
	for metric, labels := range g.last {
		for l := range labels {
			if !now[metric][l] {
				g.vecs[metric].DeleteLabelValues(l[:]...)
			}
		}
	}
	g.last = now
}
