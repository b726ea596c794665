// Package sampler records ECS's CloudWatch metrics (internal/ecsmetrics)
// every interval: it reads the operator's cached Services, Clusters and task
// pods and the pods' resource metrics (metrics.k8s.io, served by
// metrics-server), records a sample of every series in a Store (which the
// AWS API endpoint's CloudWatch answers from) and sets the services'
// Prometheus gauges on the operator's metrics endpoint. It is a thin shell:
// what a sample is, is ecsmetrics.Compute's and Tasks'.
package sampler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	resourcehelper "k8s.io/component-helpers/resource"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/ecsmetrics"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/taskstate"
)

// The sampler reads the task pods' resource metrics; Services, Clusters and
// pods it reads from the cache the controllers already have.
// +kubebuilder:rbac:groups=metrics.k8s.io,resources=pods,verbs=get;list

// Usage is a pod's use: CPU in millicores, memory in bytes.
type Usage struct{ CPU, Memory int64 }

// UsageReader reads the use of the task pods of every namespace.
type UsageReader func(ctx context.Context) (map[types.NamespacedName]Usage, error)

// Sampler samples every Store.Interval(), at multiples of it (a 60 s
// interval samples at every whole minute, as ECS publishes).
type Sampler struct {
	// Reader reads Services, Clusters and pods (the manager's cache).
	Reader client.Reader
	// Usage reads the pods' use (ResourceMetrics).
	Usage UsageReader
	Store *ecsmetrics.Store
	// Gauges, if set, get the services' figures.
	Gauges *Gauges
	Clock  clock.Clock
	Log    logr.Logger

	usageErr string
}

// NeedLeaderElection: every replica samples, so that each keeps the series
// (they read the same objects: their samples agree).
func (s *Sampler) NeedLeaderElection() bool { return false }

// Start samples until ctx ends.
func (s *Sampler) Start(ctx context.Context) error {
	iv := s.Store.Interval()
	for {
		now := s.Clock.Now()
		next := now.Truncate(iv).Add(iv)
		select {
		case <-ctx.Done():
			return nil
		case <-s.Clock.After(next.Sub(now)):
		}
		if err := s.Sample(ctx, next); err != nil && ctx.Err() == nil {
			s.Log.Error(err, "Failed to sample the ECS metrics")
		}
	}
}

// Sample takes one sample, at t.
func (s *Sampler) Sample(ctx context.Context, t time.Time) error {
	var svcs ecsv1alpha1.ServiceList
	if err := s.Reader.List(ctx, &svcs); err != nil {
		return fmt.Errorf("list Services: %w", err)
	}
	var clusters ecsv1alpha1.ClusterList
	if err := s.Reader.List(ctx, &clusters); err != nil {
		return fmt.Errorf("list Clusters: %w", err)
	}
	var pods corev1.PodList
	if err := s.Reader.List(ctx, &pods, client.MatchingLabels{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue}); err != nil {
		return fmt.Errorf("list task pods: %w", err)
	}
	usage, err := s.Usage(ctx)
	// Without the resource metrics API, the counts are still recorded.
	if msg := errString(err); msg != s.usageErr {
		if err != nil {
			s.Log.Info("Read no resource metrics (metrics.k8s.io): utilization is not recorded", "error", msg)
		} else {
			s.Log.Info("Read the resource metrics (metrics.k8s.io) again")
		}
		s.usageErr = msg
	}
	states, tasks := Tasks(svcs.Items, clusters.Items, pods.Items, usage)
	samples := ecsmetrics.Compute(states, tasks)
	s.Store.Record(t, samples)
	if s.Gauges != nil {
		s.Gauges.Set(samples)
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Tasks turns Berth's objects into what ecsmetrics computes from: the
// services' counts (their status) and every task pod, attributed to its
// service (by the pod's service label) or, for a standalone task, to its
// cluster (by the pod's cluster label, the Cluster's object name).
func Tasks(svcs []ecsv1alpha1.Service, clusters []ecsv1alpha1.Cluster, pods []corev1.Pod, usage map[types.NamespacedName]Usage) ([]ecsmetrics.ServiceState, []ecsmetrics.Task) {
	type svcName struct{ cluster, service string }
	byObject := map[types.NamespacedName]svcName{}
	var states []ecsmetrics.ServiceState
	for i := range svcs {
		svc := &svcs[i]
		n := svcName{names.ClusterName(svc.Spec.Cluster), names.ServiceName(svc.Spec.ServiceName, svc.Name)}
		byObject[types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}] = n
		states = append(states, ecsmetrics.ServiceState{Namespace: svc.Namespace, Cluster: n.cluster, Service: n.service,
			Desired: svc.Status.DesiredCount, Running: svc.Status.RunningCount, Pending: svc.Status.PendingCount})
	}
	clusterName := map[types.NamespacedName]string{}
	for i := range clusters {
		c := &clusters[i]
		if name := c.Spec.ClusterName; name != "" {
			clusterName[types.NamespacedName{Namespace: c.Namespace, Name: c.Name}] = name
		}
	}
	var tasks []ecsmetrics.Task
	for i := range pods {
		pod := &pods[i]
		key := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
		t := ecsmetrics.Task{Namespace: pod.Namespace}
		if taskstate.Retired(pod) {
			continue // a service's task its scheduler stopped (kept for its logs)
		}
		if svc, ok := pod.Labels[ecsv1alpha1.LabelService]; ok {
			n, known := byObject[types.NamespacedName{Namespace: pod.Namespace, Name: svc}]
			if !known {
				continue // its Service is gone
			}
			t.Cluster, t.Service = n.cluster, n.service
		} else {
			label, ok := pod.Labels[ecsv1alpha1.LabelCluster]
			if !ok {
				continue
			}
			t.Cluster = label
			if name, ok := clusterName[types.NamespacedName{Namespace: pod.Namespace, Name: label}]; ok {
				t.Cluster = name
			}
		}
		t.Running = !taskstate.Stopping(pod) && pod.Status.Phase == corev1.PodRunning && taskstate.Ready(pod)
		req := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
		t.CPUReserved, t.MemoryReserved = req.Cpu().MilliValue(), req.Memory().Value()
		if u, ok := usage[key]; ok {
			t.HasUsage, t.CPUUsed, t.MemoryUsed = true, u.CPU, u.Memory
		}
		tasks = append(tasks, t)
	}
	return states, tasks
}

// podMetricsList is the resource metrics API's list of pod metrics.
var podMetricsList = schema.GroupVersionKind{Group: "metrics.k8s.io", Version: "v1beta1", Kind: "PodMetricsList"}

// ResourceMetrics reads the task pods' use from metrics.k8s.io through r
// (an uncached reader: the API has no watch), summed over each pod's
// containers.
func ResourceMetrics(r client.Reader) UsageReader {
	return func(ctx context.Context) (map[types.NamespacedName]Usage, error) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(podMetricsList)
		if err := r.List(ctx, list, client.MatchingLabels{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue}); err != nil {
			return nil, fmt.Errorf("list PodMetrics: %w", err)
		}
		out := make(map[types.NamespacedName]Usage, len(list.Items))
		var errs []error
		for _, item := range list.Items {
			u, err := podUsage(item.Object)
			if err != nil {
				errs = append(errs, fmt.Errorf("PodMetrics %s/%s: %w", item.GetNamespace(), item.GetName(), err))
				continue
			}
			out[types.NamespacedName{Namespace: item.GetNamespace(), Name: item.GetName()}] = u
		}
		return out, errors.Join(errs...)
	}
}

// podUsage sums a PodMetrics object's containers (rounded up to the
// millicore once, after the sum).
func podUsage(obj map[string]any) (Usage, error) {
	containers, _, err := unstructured.NestedSlice(obj, "containers")
	if err != nil {
		return Usage{}, err
	}
	var cpu, mem resource.Quantity
	for _, c := range containers {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		usage, _, err := unstructured.NestedStringMap(cm, "usage")
		if err != nil {
			return Usage{}, err
		}
		for k, sum := range map[corev1.ResourceName]*resource.Quantity{corev1.ResourceCPU: &cpu, corev1.ResourceMemory: &mem} {
			q, err := resource.ParseQuantity(usage[string(k)])
			if err != nil {
				return Usage{}, fmt.Errorf("usage %s %q: %w", k, usage[string(k)], err)
			}
			sum.Add(q)
		}
	}
	return Usage{CPU: cpu.MilliValue(), Memory: mem.Value()}, nil
}
