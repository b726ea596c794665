package localcp_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/berth-dev/berth/internal/localcp"
)

const (
	capacityProviderLabel = "ecs.berth.dev/capacity-provider"
	ec2TaintKey           = "ecs.berth.dev/dedicated"
	chaosPrefix           = "pod-container-running-failed.stage.kwok.x-k8s.io"
	eventuallyTimeout     = 90 * time.Second
	pollInterval          = 250 * time.Millisecond
)

func TestControlPlane(t *testing.T) {
	ctx := t.Context()
	began := time.Now()
	cp, err := localcp.Start(ctx, localcp.Options{})
	if errors.Is(err, localcp.ErrBinariesMissing) {
		t.Fatalf("the local control plane binaries are missing; run `make k8s-bin` first: %v", err)
	}
	if err != nil {
		t.Fatalf("start control plane: %v", err)
	}
	t.Logf("Start took %s; working dir %s", time.Since(began).Round(time.Millisecond), cp.Dir())
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cp.Stop()
		}
	})
	client := kubernetes.NewForConfigOrDie(cp.AdminConfig())

	t.Run("kubeconfig file", func(t *testing.T) { testKubeconfig(t, cp) })
	t.Run("node pools", func(t *testing.T) { testNodePools(ctx, t, cp, client) })
	t.Run("deployment on the ec2 pool", func(t *testing.T) { testDeployment(ctx, t, client) })
	t.Run("failing container", func(t *testing.T) { testFailingContainer(ctx, t, client) })
	t.Run("container logs", func(t *testing.T) { testContainerLogs(ctx, t, cp, client) })
	t.Run("service account is not admin", func(t *testing.T) { testServiceAccount(ctx, t, cp) })
	t.Run("gateway api", func(t *testing.T) { testGatewayAPI(ctx, t, cp) })

	if t.Failed() {
		logTails(t, cp.Dir())
	}
	pids, dir := cp.PIDs(), cp.Dir()
	if len(pids) != 6 {
		t.Errorf("expected 6 processes, got %v", pids)
	}
	stopped = true
	if err := cp.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if err := cp.Stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
	for name, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) still exists after Stop (kill -0: %v)", name, pid, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("working dir %s still exists after Stop (stat: %v)", dir, err)
	}
}

// testKubeconfig checks that the admin kubeconfig file is usable on its own.
func testKubeconfig(t *testing.T, cp *localcp.ControlPlane) {
	cfg, err := clientcmd.BuildConfigFromFlags("", cp.KubeconfigPath())
	if err != nil {
		t.Fatalf("load kubeconfig: %v", err)
	}
	c := kubernetes.NewForConfigOrDie(cfg)
	if _, err := c.CoreV1().Namespaces().Get(t.Context(), "kube-system", metav1.GetOptions{}); err != nil {
		t.Fatalf("get kube-system with the kubeconfig: %v", err)
	}
}

func testNodePools(ctx context.Context, t *testing.T, cp *localcp.ControlPlane, client kubernetes.Interface) {
	g := NewWithT(t)
	g.Expect(cp.CreateNodes(ctx, localcp.NodePool{
		Name: "fargate", Count: 2,
		Labels: map[string]string{capacityProviderLabel: "fargate"},
	})).To(Succeed())
	g.Expect(cp.CreateNodes(ctx, localcp.NodePool{
		Name: "ec2", Count: 2,
		Labels: map[string]string{capacityProviderLabel: "ec2"},
		Taints: []corev1.Taint{{Key: ec2TaintKey, Value: "ec2", Effect: corev1.TaintEffectNoSchedule}},
		CPU:    "8", Memory: "32Gi",
	})).To(Succeed())

	node, err := client.CoreV1().Nodes().Get(ctx, "ec2-1", metav1.GetOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(node.Labels).To(HaveKeyWithValue(capacityProviderLabel, "ec2"))
	g.Expect(node.Labels).To(HaveKeyWithValue(corev1.LabelHostname, "ec2-1"))
	g.Expect(node.Annotations).To(HaveKeyWithValue(localcp.FakeNodeAnnotation, "fake"))
	g.Expect(node.Spec.Taints).To(ContainElement(HaveField("Key", ec2TaintKey)))
	g.Expect(node.Status.Allocatable.Cpu().String()).To(Equal("8"))
	g.Expect(node.Status.Allocatable.Memory().String()).To(Equal("32Gi"))
}

// testDeployment runs two replicas that select the tainted ec2 pool.
func testDeployment(ctx context.Context, t *testing.T, client kubernetes.Interface) {
	g := NewWithT(t)
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: metav1.NamespaceDefault},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{capacityProviderLabel: "ec2"},
					Tolerations: []corev1.Toleration{{
						Key: ec2TaintKey, Operator: corev1.TolerationOpEqual, Value: "ec2", Effect: corev1.TaintEffectNoSchedule,
					}},
					Containers: []corev1.Container{{Name: "web", Image: "registry.example/web:1"}},
				},
			},
		},
	}
	_, err := client.AppsV1().Deployments(dep.Namespace).Create(ctx, dep, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())

	g.Eventually(func(g Gomega) {
		pods, err := client.CoreV1().Pods(dep.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(pods.Items).To(HaveLen(2))
		for _, pod := range pods.Items {
			g.Expect(pod.Status.Phase).To(Equal(corev1.PodRunning), "pod %s", pod.Name)
			g.Expect(pod.Spec.NodeName).To(HavePrefix("ec2-"), "pod %s", pod.Name)
		}
	}).WithContext(ctx).WithTimeout(eventuallyTimeout).WithPolling(pollInterval).Should(Succeed())
}

// testFailingContainer uses kwok's chaos stage to make a container exit 3.
// testContainerLogs: a kwok Logs object makes a file a pod's container
// log, which pods/log serves with timestamps, as the kubelet would.
func testContainerLogs(ctx context.Context, t *testing.T, cp *localcp.ControlPlane, client kubernetes.Interface) {
	g := NewWithT(t)
	pods, err := client.CoreV1().Pods(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pods.Items).NotTo(BeEmpty())
	pod := pods.Items[0]
	file := filepath.Join(t.TempDir(), "web.log")
	g.Expect(os.WriteFile(file, []byte("2026-12-04T10:00:00.000000001Z stdout F hello\n2026-12-04T10:00:01Z stderr F fatal: boom\n"), 0o600)).To(Succeed())
	logs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
		"metadata": map[string]any{"name": pod.Name, "namespace": pod.Namespace},
		"spec":     map[string]any{"logs": []any{map[string]any{"containers": []any{"web"}, "logsFile": file}}},
	}}
	dyn := dynamic.NewForConfigOrDie(cp.AdminConfig())
	_, err = dyn.Resource(localcp.KwokLogsGVR).Namespace(pod.Namespace).Create(ctx, logs, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func() (string, error) {
		out, err := client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: "web", Timestamps: true}).DoRaw(ctx)
		return string(out), err
	}).WithTimeout(30*time.Second).Should(Equal("2026-12-04T10:00:00.000000001Z hello\n2026-12-04T10:00:01.000000000Z fatal: boom\n"), "the kubelet's fixed-width RFC 3339 timestamps")
}

func testFailingContainer(ctx context.Context, t *testing.T, client kubernetes.Interface) {
	g := NewWithT(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "task",
			Namespace:   metav1.NamespaceDefault,
			Labels:      map[string]string{chaosPrefix: "true"},
			Annotations: map[string]string{chaosPrefix + "/exit-code": "3", chaosPrefix + "/reason": "Error"},
		},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "main", Image: "registry.example/task:1"}},
		},
	}
	_, err := client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())

	g.Eventually(func(g Gomega) {
		got, err := client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Status.Phase).To(Equal(corev1.PodFailed))
		g.Expect(got.Status.ContainerStatuses).To(HaveLen(1))
		term := got.Status.ContainerStatuses[0].State.Terminated
		g.Expect(term).NotTo(BeNil())
		g.Expect(term.ExitCode).To(Equal(int32(3)))
		g.Expect(term.Reason).To(Equal("Error"))
	}).WithContext(ctx).WithTimeout(eventuallyTimeout).WithPolling(pollInterval).Should(Succeed())
}

// testServiceAccount checks that ServiceAccountConfig authenticates as the
// ServiceAccount and carries none of the admin's rights.
func testServiceAccount(ctx context.Context, t *testing.T, cp *localcp.ControlPlane) {
	g := NewWithT(t)
	cfg, err := cp.ServiceAccountConfig(ctx, "berth-test", "nobody")
	g.Expect(err).NotTo(HaveOccurred())
	client := kubernetes.NewForConfigOrDie(cfg)

	review, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(review.Status.UserInfo.Username).To(Equal("system:serviceaccount:berth-test:nobody"))

	_, err = client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing nodes as a fresh service account: %v", err)
}

// testGatewayAPI: the Gateway API kinds are served and validated (no
// Gateway controller runs, so nothing accepts the Gateway).
func testGatewayAPI(ctx context.Context, t *testing.T, cp *localcp.ControlPlane) {
	g := NewWithT(t)
	dyn := dynamic.NewForConfigOrDie(cp.AdminConfig())
	gvr := func(resource string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: resource}
	}
	obj := func(kind, name string, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind,
			"metadata": map[string]any{"name": name, "namespace": metav1.NamespaceDefault},
			"spec":     spec,
		}}
	}
	class := obj("GatewayClass", "berth", map[string]any{"controllerName": "example.com/none"})
	class.SetNamespace("")
	_, err := dyn.Resource(gvr("gatewayclasses")).Create(ctx, class, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = dyn.Resource(gvr("gateways")).Namespace(metav1.NamespaceDefault).Create(ctx, obj("Gateway", "public", map[string]any{
		"gatewayClassName": "berth",
		"listeners":        []any{map[string]any{"name": "http", "port": int64(80), "protocol": "HTTP"}},
	}), metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = dyn.Resource(gvr("referencegrants")).Namespace(metav1.NamespaceDefault).Create(ctx, obj("ReferenceGrant", "from-routes", map[string]any{
		"from": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "other"}},
		"to":   []any{map[string]any{"group": "", "kind": "Service"}},
	}), metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	route := func(weight int64) *unstructured.Unstructured {
		return obj("HTTPRoute", "web", map[string]any{
			"parentRefs": []any{map[string]any{"name": "public"}},
			"rules": []any{map[string]any{"backendRefs": []any{
				map[string]any{"name": "web-blue", "port": int64(80), "weight": int64(750)},
				map[string]any{"name": "web-green", "port": int64(80), "weight": weight},
			}}},
		})
	}
	_, err = dyn.Resource(gvr("httproutes")).Namespace(metav1.NamespaceDefault).Create(ctx, route(1_000_001), metav1.CreateOptions{})
	g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "a weight above 1000000 is refused by the CRD's schema: %v", err)
	_, err = dyn.Resource(gvr("httproutes")).Namespace(metav1.NamespaceDefault).Create(ctx, route(250), metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
}

// logTails prints the end of every process log, to explain a failure.
func logTails(t *testing.T, dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
	for _, path := range logs {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		t.Logf("---- %s ----\n%s", filepath.Base(path), strings.Join(lines, "\n"))
	}
}

func TestStartFailsWithoutBinaries(t *testing.T) {
	_, err := localcp.Start(t.Context(), localcp.Options{BinDir: t.TempDir()})
	if !errors.Is(err, localcp.ErrBinariesMissing) || !strings.Contains(err.Error(), "make k8s-bin") {
		t.Fatalf("expected ErrBinariesMissing mentioning `make k8s-bin`, got %v", err)
	}
}

func TestStartReportsEarlyExit(t *testing.T) {
	dir := t.TempDir()
	began := time.Now()
	_, err := localcp.Start(t.Context(), localcp.Options{
		Dir:             dir,
		ExtraKwokStages: []byte("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: broken}\nspec: [not, a, map]\n"),
	})
	if err == nil {
		t.Fatal("expected Start to fail with a broken kwok stage")
	}
	t.Logf("Start failed after %s: %v", time.Since(began).Round(time.Millisecond), err)
	if !strings.Contains(err.Error(), "kwok") || !strings.Contains(err.Error(), "exited early") {
		t.Errorf("expected an early-exit error from kwok, got %v", err)
	}
}
