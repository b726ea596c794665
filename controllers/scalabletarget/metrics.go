package scalabletarget

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	resourcehelper "k8s.io/component-helpers/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/autoscaling"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
)

// MetricsReader reads the CPU and memory use and reservation of a
// service's running tasks.
type MetricsReader interface {
	TaskUsage(ctx context.Context, svc *ecsv1alpha1.Service) ([]autoscaling.TaskUsage, error)
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

// +kubebuilder:rbac:groups=metrics.k8s.io,resources=pods,verbs=get;list

// TaskUsage implements MetricsReader.
func (m ResourceMetrics) TaskUsage(ctx context.Context, svc *ecsv1alpha1.Service) ([]autoscaling.TaskUsage, error) {
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
	var out []autoscaling.TaskUsage
	for i := range pods.Items {
		pod := &pods.Items[i]
		u, ok := used[pod.Name]
		if !ok || !taskstate.Ready(pod) || !pod.DeletionTimestamp.IsZero() {
			continue
		}
		req := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
		out = append(out, autoscaling.TaskUsage{
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
