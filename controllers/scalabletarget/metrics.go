package scalabletarget

import (
	"github.com/berth-dev/berth/internal/alarms"
)

// MetricsReader reads the CPU and memory use and reservation of a
// service's running tasks (alarms.ResourceMetrics in the operator).
type MetricsReader = alarms.UsageReader

// +kubebuilder:rbac:groups=metrics.k8s.io,resources=pods,verbs=get;list
