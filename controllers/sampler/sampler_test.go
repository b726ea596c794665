package sampler

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/ecsmetrics"
)

func service(name, ecsName, cluster string, desired, running, pending int32) *ecsv1alpha1.Service {
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}
	svc.Spec.ServiceName = ecsName
	svc.Spec.Cluster = cluster
	svc.Status.DesiredCount, svc.Status.RunningCount, svc.Status.PendingCount = &desired, &running, &pending
	return svc
}

// pod is a task pod with a task-level reservation (pod-level requests), ready or not.
func pod(name string, labels map[string]string, cpu, mem string, ready bool) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue}}}
	for k, v := range labels {
		p.Labels[k] = v
	}
	p.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}
	p.Spec.Containers = []corev1.Container{{Name: "app"}}
	p.Status.Phase = corev1.PodRunning
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	return p
}

// stopping sets the deadline with which Berth stops a task's pod.
func stopping(p *corev1.Pod) *corev1.Pod {
	p.Spec.ActiveDeadlineSeconds = ptr.To[int64](1)
	return p
}

func objects() ([]ecsv1alpha1.Service, []ecsv1alpha1.Cluster, []corev1.Pod) {
	svcs := []ecsv1alpha1.Service{*service("web", "", "arn:aws:ecs:us-east-1:000000000000:cluster/Prod_1", 2, 2, 0), *service("api-obj", "api", "", 1, 0, 1)}
	cluster := ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "prod-1"}}
	cluster.Spec.ClusterName = "Prod_1"
	pods := []corev1.Pod{
		*pod("web-a", map[string]string{ecsv1alpha1.LabelService: "web", ecsv1alpha1.LabelCluster: "prod-1"}, "256m", "512Mi", true),
		*pod("web-b", map[string]string{ecsv1alpha1.LabelService: "web", ecsv1alpha1.LabelCluster: "prod-1"}, "256m", "512Mi", true),
		*pod("api-a", map[string]string{ecsv1alpha1.LabelService: "api-obj", ecsv1alpha1.LabelCluster: "default"}, "1", "1Gi", false),
		*pod("job", map[string]string{ecsv1alpha1.LabelTask: "job", ecsv1alpha1.LabelCluster: "prod-1"}, "512m", "1Gi", true),
		*pod("gone", map[string]string{ecsv1alpha1.LabelService: "deleted", ecsv1alpha1.LabelCluster: "prod-1"}, "1", "1Gi", true),
		// A task web's scheduler stopped, kept for its logs, its containers
		// still stopping: neither web's nor a standalone task.
		*pod("web-stopped", map[string]string{ecsv1alpha1.LabelStoppedService: "web", ecsv1alpha1.LabelCluster: "prod-1"}, "256m", "512Mi", true),
		// A standalone task being stopped (its deadline set): not running.
		*stopping(pod("job-stopping", map[string]string{ecsv1alpha1.LabelTask: "job-stopping", ecsv1alpha1.LabelCluster: "prod-1"}, "512m", "1Gi", true)),
	}
	return svcs, []ecsv1alpha1.Cluster{cluster}, pods
}

func TestTasks(t *testing.T) {
	svcs, clusters, pods := objects()
	usage := map[types.NamespacedName]Usage{
		{Namespace: "ns", Name: "web-a"}: {CPU: 128, Memory: 256 << 20},
		{Namespace: "ns", Name: "job"}:   {CPU: 512, Memory: 1 << 30},
	}
	states, tasks := Tasks(svcs, clusters, pods, usage)
	wantStates := []ecsmetrics.ServiceState{
		{Namespace: "ns", Cluster: "Prod_1", Service: "web", Desired: ptr.To[int32](2), Running: ptr.To[int32](2), Pending: ptr.To[int32](0)},
		{Namespace: "ns", Cluster: "default", Service: "api", Desired: ptr.To[int32](1), Running: ptr.To[int32](0), Pending: ptr.To[int32](1)},
	}
	if diff := cmp.Diff(wantStates, states); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	wantTasks := []ecsmetrics.Task{
		{Namespace: "ns", Cluster: "Prod_1", Service: "web", Running: true, HasUsage: true, CPUUsed: 128, CPUReserved: 256, MemoryUsed: 256 << 20, MemoryReserved: 512 << 20},
		{Namespace: "ns", Cluster: "Prod_1", Service: "web", Running: true, CPUReserved: 256, MemoryReserved: 512 << 20},
		{Namespace: "ns", Cluster: "default", Service: "api", CPUReserved: 1000, MemoryReserved: 1 << 30},
		// A standalone task: its cluster's ECS name from the Cluster.
		{Namespace: "ns", Cluster: "Prod_1", Running: true, HasUsage: true, CPUUsed: 512, CPUReserved: 512, MemoryUsed: 1 << 30, MemoryReserved: 1 << 30},
		// The pod of a deleted Service, and a stopped service task, are not counted.
		{Namespace: "ns", Cluster: "Prod_1", CPUReserved: 512, MemoryReserved: 1 << 30},
	}
	if diff := cmp.Diff(wantTasks, tasks); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
}

func TestTasks_ContainerReservations(t *testing.T) {
	// Without a task-level size, a task reserves what its containers do.
	p := pod("web-a", map[string]string{ecsv1alpha1.LabelService: "web"}, "1", "1Gi", true)
	p.Spec.Resources = nil
	p.Spec.Containers = []corev1.Container{
		{Name: "app", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("300m"), corev1.ResourceMemory: resource.MustParse("256Mi")}}},
		{Name: "log", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}}},
	}
	_, tasks := Tasks([]ecsv1alpha1.Service{*service("web", "", "", 1, 1, 0)}, nil, []corev1.Pod{*p}, nil)
	if len(tasks) != 1 || tasks[0].CPUReserved != 400 || tasks[0].MemoryReserved != 320<<20 {
		t.Errorf("tasks = %+v, want 400m and 320Mi reserved", tasks)
	}
}

func TestPodUsage(t *testing.T) {
	obj := map[string]any{"containers": []any{
		map[string]any{"name": "app", "usage": map[string]any{"cpu": "250m", "memory": "100Mi"}},
		map[string]any{"name": "log", "usage": map[string]any{"cpu": "1500000n", "memory": "1Ki"}},
	}}
	got, err := podUsage(obj)
	// 251.5m: rounded up once, after the sum.
	if err != nil || got != (Usage{CPU: 252, Memory: 100<<20 + 1024}) {
		t.Errorf("podUsage = %+v, %v", got, err)
	}
	if _, err := podUsage(map[string]any{"containers": []any{map[string]any{"usage": map[string]any{"cpu": "lots", "memory": "1"}}}}); err == nil {
		t.Error("an unparsable quantity is an error")
	}
}

func TestGauges(t *testing.T) {
	g := NewGauges()
	reg := prometheus.NewRegistry()
	for _, c := range g.Collectors() {
		reg.MustRegister(c)
	}
	svcs, clusters, pods := objects()
	usage := map[types.NamespacedName]Usage{{Namespace: "ns", Name: "web-a"}: {CPU: 128, Memory: 128 << 20}, {Namespace: "ns", Name: "web-b"}: {CPU: 256, Memory: 128 << 20}}
	g.Set(ecsmetrics.Compute(Tasks(svcs, clusters, pods, usage)))
	want := `
# HELP berth_service_cpu_utilization_percent An ECS service's CPUUtilization (AWS/ECS): its running tasks' CPU used over reserved, in percent, at the last sample.
# TYPE berth_service_cpu_utilization_percent gauge
berth_service_cpu_utilization_percent{cluster="Prod_1",namespace="ns",service="web"} 75
# HELP berth_service_desired_tasks An ECS service's desired tasks (its desiredCount), at the last sample.
# TYPE berth_service_desired_tasks gauge
berth_service_desired_tasks{cluster="Prod_1",namespace="ns",service="web"} 2
berth_service_desired_tasks{cluster="default",namespace="ns",service="api"} 1
# HELP berth_service_memory_utilization_percent An ECS service's MemoryUtilization (AWS/ECS): its running tasks' memory used over reserved, in percent, at the last sample.
# TYPE berth_service_memory_utilization_percent gauge
berth_service_memory_utilization_percent{cluster="Prod_1",namespace="ns",service="web"} 25
# HELP berth_service_pending_tasks An ECS service's PENDING tasks (its pendingCount), at the last sample.
# TYPE berth_service_pending_tasks gauge
berth_service_pending_tasks{cluster="Prod_1",namespace="ns",service="web"} 0
berth_service_pending_tasks{cluster="default",namespace="ns",service="api"} 1
# HELP berth_service_running_tasks An ECS service's RUNNING tasks (its runningCount), at the last sample.
# TYPE berth_service_running_tasks gauge
berth_service_running_tasks{cluster="Prod_1",namespace="ns",service="web"} 2
berth_service_running_tasks{cluster="default",namespace="ns",service="api"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	// web is deleted: its series go; api's stay.
	g.Set(ecsmetrics.Compute(Tasks(svcs[1:], clusters, pods, usage)))
	if n := testutil.CollectAndCount(reg); n != 3 {
		t.Errorf("%d series after web's deletion, want api's 3", n)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP berth_service_running_tasks An ECS service's RUNNING tasks (its runningCount), at the last sample.
# TYPE berth_service_running_tasks gauge
berth_service_running_tasks{cluster="default",namespace="ns",service="api"} 0
`), GaugeRunningTasks); err != nil {
		t.Error(err)
	}
}

func TestSampler(t *testing.T) {
	svcs, clusters, pods := objects()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := ecsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	b := fake.NewClientBuilder().WithScheme(scheme)
	for i := range svcs {
		b.WithObjects(&svcs[i])
	}
	for i := range clusters {
		b.WithObjects(&clusters[i])
	}
	for i := range pods {
		b.WithObjects(&pods[i])
	}
	use := map[types.NamespacedName]Usage{{Namespace: "ns", Name: "web-a"}: {CPU: 128, Memory: 128 << 20}, {Namespace: "ns", Name: "web-b"}: {CPU: 128, Memory: 128 << 20}}
	var usageErr error
	start := time.Date(2026, 7, 1, 12, 0, 30, 0, time.UTC)
	clk := clocktesting.NewFakeClock(start)
	store := ecsmetrics.NewStore(time.Hour, time.Minute)
	s := &Sampler{Reader: b.Build(), Store: store, Clock: clk, Log: logr.Discard(), Gauges: NewGauges(),
		Usage: func(context.Context) (map[types.NamespacedName]Usage, error) {
			if usageErr != nil {
				return nil, usageErr
			}
			return use, nil
		}}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	// Samples at whole minutes: 12:01, 12:02, then 12:03 without the
	// metrics API.
	for i := range 3 {
		waitFor(t, clk.HasWaiters)
		if i == 2 {
			usageErr = errors.New("the server could not find the requested resource")
		}
		clk.Step(time.Minute)
		waitFor(t, func() bool { return len(points(store, ecsmetrics.RunningTaskCount)) == i+1 })
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var times []string
	for _, p := range points(store, ecsmetrics.CPUUtilization) {
		times = append(times, p.Time.Format("15:04:05"))
		if avg, _ := p.Stat(ecsmetrics.Average); avg != 50 {
			t.Errorf("web's CPU at %s: %v, want 50", p.Time, avg)
		}
	}
	// 12:03 has no utilization: the metrics API did not answer.
	if diff := cmp.Diff([]string{"12:01:00", "12:02:00"}, times); diff != "" {
		t.Errorf("sample times (-want +got):\n%s", diff)
	}
	if n := len(points(store, ecsmetrics.RunningTaskCount)); n != 3 {
		t.Errorf("web's RunningTaskCount has %d points, want 3 (counts need no metrics API)", n)
	}
}

func points(store *ecsmetrics.Store, metric string) []ecsmetrics.Point {
	for _, se := range store.Series("ns") {
		if se.MetricName == metric && se.Service == "web" {
			return se.Points
		}
	}
	return nil
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}
