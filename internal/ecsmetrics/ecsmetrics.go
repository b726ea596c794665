// Package ecsmetrics computes the CloudWatch metrics ECS publishes for
// clusters and services, AWS/ECS's CPUUtilization and MemoryUtilization and
// ECS/ContainerInsights' task and service counts, from what Kubernetes
// shows (the tasks' pods, their resource metrics and Berth's Services), and
// keeps them: one bounded ring of samples per series (Store), with
// CloudWatch's statistics over a period (Buckets).
//
// It is pure: no client, no clock. The recorder (ecsmetrics/recorder) reads
// Kubernetes every interval and records here.
package ecsmetrics

import (
	"strings"
)

// The CloudWatch namespaces Berth publishes.
const (
	NamespaceECS               = "AWS/ECS"
	NamespaceContainerInsights = "ECS/ContainerInsights"
)

// The dimensions of ECS's metrics.
const (
	DimensionClusterName = "ClusterName"
	DimensionServiceName = "ServiceName"
)

// The metrics, by name.
const (
	// CPUUtilization and MemoryUtilization (AWS/ECS, Percent): used over
	// reserved, per service (ClusterName, ServiceName) and per cluster
	// (ClusterName).
	CPUUtilization    = "CPUUtilization"
	MemoryUtilization = "MemoryUtilization"

	// Container Insights (ECS/ContainerInsights) per service.
	RunningTaskCount = "RunningTaskCount"
	PendingTaskCount = "PendingTaskCount"
	DesiredTaskCount = "DesiredTaskCount"
	// Container Insights per cluster.
	ServiceCount = "ServiceCount"
	TaskCount    = "TaskCount"
	// Container Insights per service and per cluster: CPU units (1,024 a
	// vCPU) and megabytes used and reserved by the running tasks.
	CPUUtilized    = "CpuUtilized"
	CPUReserved    = "CpuReserved"
	MemoryUtilized = "MemoryUtilized"
	MemoryReserved = "MemoryReserved"
)

// Units, as CloudWatch's StandardUnit names them.
const (
	UnitPercent   = "Percent"
	UnitCount     = "Count"
	UnitMegabytes = "Megabytes"
	UnitNone      = "None"
)

// Unit is the unit of a metric.
func Unit(metric string) string {
	switch metric {
	case CPUUtilization, MemoryUtilization:
		return UnitPercent
	case RunningTaskCount, PendingTaskCount, DesiredTaskCount, ServiceCount, TaskCount:
		return UnitCount
	case MemoryUtilized, MemoryReserved:
		return UnitMegabytes
	}
	return UnitNone
}

// ID names a series: the Kubernetes namespace that is its account, the
// CloudWatch namespace and metric, and its dimensions (Service empty: the
// cluster's).
type ID struct {
	Namespace  string
	MetricNS   string
	MetricName string
	Cluster    string
	Service    string
}

// Dimension is a dimension's name and value.
type Dimension struct{ Name, Value string }

// Dimensions are the series' dimensions, sorted by name as CloudWatch lists
// them.
func (id ID) Dimensions() []Dimension {
	d := []Dimension{{DimensionClusterName, id.Cluster}}
	if id.Service != "" {
		d = append(d, Dimension{DimensionServiceName, id.Service})
	}
	return d
}

// Compare orders IDs: namespace, CloudWatch namespace, metric, cluster,
// service.
func (id ID) Compare(o ID) int {
	for _, c := range [][2]string{{id.Namespace, o.Namespace}, {id.MetricNS, o.MetricNS}, {id.MetricName, o.MetricName}, {id.Cluster, o.Cluster}, {id.Service, o.Service}} {
		if n := strings.Compare(c[0], c[1]); n != 0 {
			return n
		}
	}
	return 0
}
