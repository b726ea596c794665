package alarms

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	resourcehelper "k8s.io/component-helpers/resource"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/ecsmetrics"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
)

// TaskUsage is one running task's use and reservation of CPU (millicores)
// and memory (bytes), as the resource metrics API and its pod show them.
type TaskUsage struct {
	CPUUsed, CPUReserved       int64
	MemoryUsed, MemoryReserved int64
}

// UsageReader reads the CPU and memory use and reservation of a service's
// running tasks.
type UsageReader interface {
	TaskUsage(ctx context.Context, svc *ecsv1alpha1.Service) ([]TaskUsage, error)
}

// podMetricsList is the resource metrics API's list of pod metrics.
var podMetricsList = schema.GroupVersionKind{Group: "metrics.k8s.io", Version: "v1beta1", Kind: "PodMetricsList"}

// ResourceMetrics reads task usage from the Kubernetes resource metrics
// API (metrics.k8s.io, served by metrics-server) and reservations from the
// pods, as the HorizontalPodAutoscaler does: pod-level requests when the
// pod has them, else the sum of its containers'.
type ResourceMetrics struct {
	// Pods reads pods (the manager's cache).
	Pods client.Reader
	// Metrics reads the metrics API (an uncached reader: it has no watch).
	Metrics client.Reader
}

// TaskUsage implements UsageReader: the service's ready task pods that
// the metrics API reports.
func (m ResourceMetrics) TaskUsage(ctx context.Context, svc *ecsv1alpha1.Service) ([]TaskUsage, error) {
	sel := labels.SelectorFromSet(translate.ServiceSelector(svc))
	var pods corev1.PodList
	if err := m.Pods.List(ctx, &pods, client.InNamespace(svc.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, fmt.Errorf("list pods of service %s: %w", svc.Name, err)
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(podMetricsList)
	if err := m.Metrics.List(ctx, list, client.InNamespace(svc.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, fmt.Errorf("read the resource metrics API (metrics.k8s.io) for service %s: %w", svc.Name, err)
	}
	used := map[string][2]int64{}
	for _, item := range list.Items {
		used[item.GetName()] = podUsage(item.Object)
	}
	var out []TaskUsage
	for i := range pods.Items {
		pod := &pods.Items[i]
		u, ok := used[pod.Name]
		if !ok || !taskstate.Ready(pod) || !pod.DeletionTimestamp.IsZero() {
			continue
		}
		req := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
		out = append(out, TaskUsage{
			CPUUsed: u[0], CPUReserved: req.Cpu().MilliValue(),
			MemoryUsed: u[1], MemoryReserved: req.Memory().Value(),
		})
	}
	return out, nil
}

// podUsage sums a PodMetrics object's containers: CPU in millicores,
// memory in bytes.
func podUsage(obj map[string]any) [2]int64 {
	var sum [2]int64
	containers, _, _ := unstructured.NestedSlice(obj, "containers")
	for _, c := range containers {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		usage, _, _ := unstructured.NestedStringMap(cm, "usage")
		if q, err := resource.ParseQuantity(usage["cpu"]); err == nil {
			sum[0] += q.MilliValue()
		}
		if q, err := resource.ParseQuantity(usage["memory"]); err == nil {
			sum[1] += q.Value()
		}
	}
	return sum
}

// usesTasks says whether a metric is computed from the tasks' use (the
// others come from the Services' status).
func usesTasks(metricName string) bool {
	switch metricName {
	case ecsmetrics.CPUUtilization, ecsmetrics.MemoryUtilization, ecsmetrics.CPUUtilized, ecsmetrics.CPUReserved,
		ecsmetrics.MemoryUtilized, ecsmetrics.MemoryReserved:
		return true
	}
	return false
}

// ReadSource reads src's statistic now over svcs (the source's service, or
// its cluster's services): the figure internal/ecsmetrics computes for the
// CloudWatch API from the same inputs (the Services' status, their running
// tasks' use as usage reads it). OK is false when the metric has no value
// (no task reports its use, a count the status does not have yet).
//
// A cluster's TaskCount is its services' running tasks (their status'
// runningCount; standalone tasks are left out), and a cluster without
// services has a ServiceCount and TaskCount of 0.
func ReadSource(ctx context.Context, usage UsageReader, src Source, svcs []ecsv1alpha1.Service) (Sample, error) {
	if src.Service == "" && (src.MetricName == ecsmetrics.TaskCount || src.MetricName == ecsmetrics.ServiceCount && len(svcs) == 0) {
		var n int32
		for i := range svcs {
			n += ptr.Deref(svcs[i].Status.RunningCount, 0)
		}
		v, ok := ecsmetrics.Value(float64(n)).Stat(src.Statistic)
		return Sample{Value: v, OK: ok}, nil
	}
	var states []ecsmetrics.ServiceState
	var tasks []ecsmetrics.Task
	ns := ""
	for i := range svcs {
		svc := &svcs[i]
		ns = svc.Namespace
		name := names.ServiceName(svc.Spec.ServiceName, svc.Name)
		states = append(states, ecsmetrics.ServiceState{Namespace: ns, Cluster: src.Cluster, Service: name,
			Desired: svc.Status.DesiredCount, Running: svc.Status.RunningCount, Pending: svc.Status.PendingCount})
		if !usesTasks(src.MetricName) {
			continue
		}
		used, err := usage.TaskUsage(ctx, svc)
		if err != nil {
			return Sample{}, err
		}
		for _, u := range used {
			tasks = append(tasks, ecsmetrics.Task{Namespace: ns, Cluster: src.Cluster, Service: name, Running: true, HasUsage: true,
				CPUUsed: u.CPUUsed, CPUReserved: u.CPUReserved, MemoryUsed: u.MemoryUsed, MemoryReserved: u.MemoryReserved})
		}
	}
	want := ecsmetrics.ID{Namespace: ns, MetricNS: src.MetricNS, MetricName: src.MetricName, Cluster: src.Cluster, Service: src.Service}
	for _, s := range ecsmetrics.Compute(states, tasks) {
		if s.ID == want {
			v, ok := s.Stat(src.Statistic)
			return Sample{Value: v, OK: ok}, nil
		}
	}
	return Sample{}, nil
}
