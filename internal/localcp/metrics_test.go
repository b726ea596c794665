package localcp_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/localcp/kwoknode"
)

const (
	usageCPUAnnotation    = "kwok.x-k8s.io/usage-cpu"
	usageMemoryAnnotation = "kwok.x-k8s.io/usage-memory"
	// metricsTimeout bounds each wait for metrics: metrics-server scrapes
	// every 15 seconds and a CPU rate needs two scrapes.
	metricsTimeout = 90 * time.Second
)

var (
	podMetricsResource  = schema.GroupVersionResource{Group: "metrics.k8s.io", Version: "v1beta1", Resource: "pods"}
	nodeMetricsResource = schema.GroupVersionResource{Group: "metrics.k8s.io", Version: "v1beta1", Resource: "nodes"}
)

// TestPodMetrics checks the metrics pipeline: the usage annotations of kwok
// pods become their PodMetrics and follow a change, on a node of a pool and
// on a node created Ready as Berth's kwok provisioner creates them; nodes
// have NodeMetrics; and a HorizontalPodAutoscaler on CPU utilization scales
// a Deployment of kwok pods out and back in.
func TestPodMetrics(t *testing.T) {
	ctx := t.Context()
	cp := startControlPlane(t)
	client := kubernetes.NewForConfigOrDie(cp.AdminConfig())
	dyn := dynamic.NewForConfigOrDie(cp.AdminConfig())
	g := NewWithT(t)

	g.Expect(cp.CreateNodes(ctx, localcp.NodePool{Name: "pool", Count: 1})).To(Succeed())
	_, err := client.CoreV1().Nodes().Create(ctx, readyNode("provisioned"), metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	for _, name := range []string{"pool-0", "provisioned"} {
		g.Eventually(func(g Gomega) {
			node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(node.Annotations).To(HaveKeyWithValue(kwoknode.MetricsPathAnnotation, "/metrics/nodes/"+name+"/metrics/resource"))
			g.Expect(node.Status.Addresses).To(ContainElement(corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}))
			g.Expect(node.Status.DaemonEndpoints.KubeletEndpoint.Port).NotTo(BeZero())
		}).WithContext(ctx).WithTimeout(eventuallyTimeout).WithPolling(pollInterval).Should(Succeed(), "node %s", name)
	}

	// The HorizontalPodAutoscaler's Deployment starts first: its wait for
	// metrics overlaps the other pods'.
	hpaCreated := startHPA(ctx, t, client)

	pods := map[string]string{"pool-0": "on-pool", "provisioned": "on-provisioned"}
	created := time.Now()
	for node, name := range pods {
		pod := usagePod(name, "400m", "300Mi")
		pod.Spec.NodeSelector = map[string]string{corev1.LabelHostname: node}
		_, err = client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
	}
	for _, name := range pods {
		g.Eventually(func(g Gomega) {
			cpu, mem := podUsage(ctx, g, dyn, metav1.NamespaceDefault, name)
			g.Expect(cpu).To(BeNumerically("~", 400, 40))
			g.Expect(mem).To(BeEquivalentTo(300 << 20)) // 300Mi
		}).WithContext(ctx).WithTimeout(metricsTimeout).WithPolling(time.Second).Should(Succeed(), "pod %s", name)
		t.Logf("PodMetrics of %s showed 400m cpu %s after the pods' creation", name, time.Since(created).Round(time.Second))
	}

	changed := time.Now()
	for _, name := range pods {
		setUsage(ctx, t, client, metav1.NamespaceDefault, name, "100m")
	}
	for _, name := range pods {
		g.Eventually(func(g Gomega) {
			cpu, _ := podUsage(ctx, g, dyn, metav1.NamespaceDefault, name)
			g.Expect(cpu).To(BeNumerically("~", 100, 10))
		}).WithContext(ctx).WithTimeout(metricsTimeout).WithPolling(time.Second).Should(Succeed(), "pod %s", name)
		t.Logf("PodMetrics of %s followed the change to 100m cpu %s after it", name, time.Since(changed).Round(time.Second))
	}

	for node := range pods {
		nm, err := dyn.Resource(nodeMetricsResource).Get(ctx, node, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred(), "NodeMetrics of %s", node)
		cpu, _, _ := unstructured.NestedString(nm.Object, "usage", "cpu")
		g.Expect(cpu).NotTo(BeEmpty(), "NodeMetrics of %s", node)
	}

	checkHPA(ctx, t, client, hpaCreated)
}

// readyNode is a kwok node created Ready, as Berth's kwok provisioner
// creates them: kwok's node-initialize stage skips it.
func readyNode(name string) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi"), corev1.ResourcePods: resource.MustParse("110"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}},
		Status: corev1.NodeStatus{
			Capacity: capacity, Allocatable: capacity,
			Conditions: []corev1.NodeCondition{{
				Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
			}},
		},
	}
	kwoknode.Annotate(node)
	return node
}

// startControlPlane starts a control plane that the test's cleanup stops.
func startControlPlane(t *testing.T) *localcp.ControlPlane {
	t.Helper()
	began := time.Now()
	cp, err := localcp.Start(t.Context(), localcp.Options{})
	if errors.Is(err, localcp.ErrBinariesMissing) {
		t.Fatalf("the local control plane binaries are missing; run `make k8s-bin` first: %v", err)
	}
	if err != nil {
		t.Fatalf("start control plane: %v", err)
	}
	t.Logf("Start took %s; working dir %s", time.Since(began).Round(time.Millisecond), cp.Dir())
	t.Cleanup(func() {
		if t.Failed() {
			logTails(t, cp.Dir())
		}
		if err := cp.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return cp
}

// usagePod is a pod that requests 500m cpu and 512Mi memory and uses what
// its annotations say.
func usagePod(name, cpu, mem string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   metav1.NamespaceDefault,
			Annotations: map[string]string{usageCPUAnnotation: cpu, usageMemoryAnnotation: mem},
		},
		Spec: usagePodSpec(),
	}
}

func usagePodSpec() corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{
		Name: "app", Image: "registry.example/app:1",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi"),
		}},
	}}}
}

// podUsage returns a pod's cpu (millicores) and memory (bytes) usage from
// its PodMetrics, summed over its containers.
func podUsage(ctx context.Context, g Gomega, dyn dynamic.Interface, namespace, name string) (milliCPU, memory int64) {
	pm, err := dyn.Resource(podMetricsResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	containers, _, err := unstructured.NestedSlice(pm.Object, "containers")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(containers).NotTo(BeEmpty())
	for _, c := range containers {
		usage, _, _ := unstructured.NestedStringMap(c.(map[string]any), "usage")
		cpu, err := resource.ParseQuantity(usage["cpu"])
		g.Expect(err).NotTo(HaveOccurred())
		mem, err := resource.ParseQuantity(usage["memory"])
		g.Expect(err).NotTo(HaveOccurred())
		milliCPU += cpu.MilliValue()
		memory += mem.Value()
	}
	return milliCPU, memory
}

// setUsage changes a pod's simulated cpu usage.
func setUsage(ctx context.Context, t *testing.T, client kubernetes.Interface, namespace, name, cpu string) {
	t.Helper()
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, usageCPUAnnotation, cpu)
	if _, err := client.CoreV1().Pods(namespace).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("set the cpu usage of pod %s/%s to %s: %v", namespace, name, cpu, err)
	}
}

// startHPA creates a one-replica Deployment "busy" whose pods use 400m of
// their 500m cpu request, and a HorizontalPodAutoscaler with a 50 % cpu
// utilization target and no scale-in stabilization, and returns when.
func startHPA(ctx context.Context, t *testing.T, client kubernetes.Interface) time.Time {
	t.Helper()
	g := NewWithT(t)
	labels := map[string]string{"app": "busy"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "busy", Namespace: metav1.NamespaceDefault},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{usageCPUAnnotation: "400m"}},
				Spec:       usagePodSpec(),
			},
		},
	}
	_, err := client.AppsV1().Deployments(dep.Namespace).Create(ctx, dep, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "busy", Namespace: metav1.NamespaceDefault},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "busy"},
			MinReplicas:    ptr.To[int32](1),
			MaxReplicas:    2,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)},
				},
			}},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](0)},
			},
		},
	}
	_, err = client.AutoscalingV2().HorizontalPodAutoscalers(hpa.Namespace).Create(ctx, hpa, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	return time.Now()
}

// checkHPA waits for the HorizontalPodAutoscaler of startHPA to scale out
// to 2 replicas (80 % utilization), then lowers the usage of both pods to
// 100m (20 %) and waits for it to scale back in to 1.
func checkHPA(ctx context.Context, t *testing.T, client kubernetes.Interface, created time.Time) {
	g := NewWithT(t)
	replicas := func(g Gomega) int32 {
		hpa, err := client.AutoscalingV2().HorizontalPodAutoscalers(metav1.NamespaceDefault).Get(ctx, "busy", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		return hpa.Status.DesiredReplicas
	}
	g.Eventually(replicas).WithContext(ctx).WithTimeout(metricsTimeout).WithPolling(time.Second).Should(BeEquivalentTo(2))
	t.Logf("the HorizontalPodAutoscaler scaled out to 2 replicas %s after its creation", time.Since(created).Round(time.Second))

	var pods *corev1.PodList
	g.Eventually(func(g Gomega) {
		var err error
		pods, err = client.CoreV1().Pods(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{LabelSelector: "app=busy"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(pods.Items).To(HaveLen(2))
		for _, p := range pods.Items {
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning), "pod %s", p.Name)
		}
	}).WithContext(ctx).WithTimeout(metricsTimeout).WithPolling(time.Second).Should(Succeed())
	lowered := time.Now()
	for _, p := range pods.Items {
		setUsage(ctx, t, client, p.Namespace, p.Name, "100m")
	}
	g.Eventually(replicas).WithContext(ctx).WithTimeout(metricsTimeout).WithPolling(time.Second).Should(BeEquivalentTo(1))
	t.Logf("the HorizontalPodAutoscaler scaled in to 1 replica %s after the usage was lowered", time.Since(lowered).Round(time.Second))
}
