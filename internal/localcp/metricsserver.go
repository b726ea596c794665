package localcp

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	discoveryv1ac "k8s.io/client-go/applyconfigurations/discovery/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// metrics-server serves metrics.k8s.io (PodMetrics, NodeMetrics), which
// HorizontalPodAutoscalers and `kubectl top` read, as an aggregated API: it
// scrapes each node's resource metrics, which kwok simulates from the pods'
// kwok.x-k8s.io/usage-cpu and kwok.x-k8s.io/usage-memory annotations, and
// kube-apiserver forwards metrics.k8s.io requests to it.
const (
	// metricsServerName names the process, its Service and EndpointSlice.
	metricsServerName = "metrics-server"
	// metricsServerNamespace holds the Service and the EndpointSlice.
	metricsServerNamespace = metav1.NamespaceSystem
	// metricsAPIServiceName is the APIService of metrics.k8s.io/v1beta1.
	metricsAPIServiceName = "v1beta1.metrics.k8s.io"
	// metricsServicePort is the Service's port; kube-apiserver maps it, by
	// its name, to the EndpointSlice's port, metrics-server's secure port.
	metricsServicePort     = 443
	metricsServicePortName = "https"
	// metricsResolution is how often metrics-server scrapes kwok: its
	// minimum, 10 seconds. A CPU rate needs two scrapes, and metrics-server
	// drops a container's first point if kwok reports no CPU used yet, so a
	// pod's usage appears 10-40 seconds after it runs, and a change of its
	// annotations 10-20 seconds after the change.
	metricsResolution = "10s"
	// kubeletRequestTimeout bounds one scrape of kwok (on loopback, it
	// takes milliseconds); metrics-server wants it below 90 % of the
	// resolution, so the default of 10 seconds would not do.
	kubeletRequestTimeout = "5s"
	// fieldManager owns what the control plane applies itself.
	fieldManager = "berth-localcp"
)

// apiServiceResource is kube-aggregator's APIService, used through the
// dynamic client: Berth does not depend on k8s.io/kube-aggregator.
var apiServiceResource = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// metricsServerArgs are metrics-server's flags. It serves on loopback with a
// self-signed certificate (kube-apiserver skips its verification). It uses
// the admin kubeconfig, as kube-controller-manager does, to read nodes and
// pods and to authenticate (front-proxy CA) and authorize the requests
// kube-apiserver forwards. It scrapes every node at its InternalIP (kwok
// reports 127.0.0.1) and kubelet port (kwok reports its own server's), on
// the path of the node's metrics.k8s.io/resource-metrics-path annotation
// (kwoknode.Annotate), accepting kwok's self-signed certificate.
func metricsServerArgs(l *layout) []string {
	return []string{
		"--kubeconfig=" + l.kubeconfig,
		"--authentication-kubeconfig=" + l.kubeconfig,
		"--authorization-kubeconfig=" + l.kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(l.ports.metricsServer),
		"--cert-dir=" + filepath.Join(l.dir, metricsServerName),
		"--kubelet-insecure-tls",
		"--kubelet-use-node-status-port",
		"--kubelet-preferred-address-types=InternalIP",
		"--metric-resolution=" + metricsResolution,
		"--kubelet-request-timeout=" + kubeletRequestTimeout,
	}
}

// registerMetricsAPI makes kube-apiserver forward metrics.k8s.io to
// metrics-server on loopback, with no non-loopback address involved: a
// Service without selector, an EndpointSlice of it whose one endpoint is
// "127.0.0.1" (an FQDN slice: IPv4 slices reject loopback addresses; FQDN
// slices are deprecated, but still served in 1.37), reached directly thanks
// to --enable-aggregator-routing, and the APIService. It server-side
// applies them, so a repeated call changes nothing.
func (c *ControlPlane) registerMetricsAPI(ctx context.Context) error {
	opts := metav1.ApplyOptions{FieldManager: fieldManager, Force: true}
	svc := corev1ac.Service(metricsServerName, metricsServerNamespace).
		WithSpec(corev1ac.ServiceSpec().WithPorts(corev1ac.ServicePort().
			WithName(metricsServicePortName).WithPort(metricsServicePort).WithProtocol(corev1.ProtocolTCP)))
	if _, err := c.client.CoreV1().Services(metricsServerNamespace).Apply(ctx, svc, opts); err != nil {
		return fmt.Errorf("apply the metrics-server Service: %w", err)
	}
	if err := c.applyMetricsEndpointSlice(ctx, opts); err != nil {
		return err
	}
	if _, err := c.dynamic.Resource(apiServiceResource).Apply(ctx, metricsAPIServiceName, metricsAPIService(), opts); err != nil {
		return fmt.Errorf("apply the APIService %s: %w", metricsAPIServiceName, err)
	}
	return nil
}

// applyMetricsEndpointSlice applies the metrics-server Service's one
// endpoint: 127.0.0.1 at metrics-server's secure port. Its client drops the
// warning that FQDN slices are deprecated, known and moot here.
func (c *ControlPlane) applyMetricsEndpointSlice(ctx context.Context, opts metav1.ApplyOptions) error {
	quiet := rest.CopyConfig(c.admin)
	quiet.WarningHandler = rest.NoWarnings{}
	client, err := kubernetes.NewForConfig(quiet)
	if err != nil {
		return fmt.Errorf("create admin client: %w", err)
	}
	slice := discoveryv1ac.EndpointSlice(metricsServerName, metricsServerNamespace).
		WithLabels(map[string]string{
			discoveryv1.LabelServiceName: metricsServerName,
			discoveryv1.LabelManagedBy:   fieldManager,
		}).
		WithAddressType(discoveryv1.AddressTypeFQDN).
		WithEndpoints(discoveryv1ac.Endpoint().
			WithAddresses("127.0.0.1").
			WithConditions(discoveryv1ac.EndpointConditions().WithReady(true))).
		WithPorts(discoveryv1ac.EndpointPort().
			WithName(metricsServicePortName).
			WithPort(int32(c.layout.ports.metricsServer)).
			WithProtocol(corev1.ProtocolTCP))
	if _, err := client.DiscoveryV1().EndpointSlices(metricsServerNamespace).Apply(ctx, slice, opts); err != nil {
		return fmt.Errorf("apply the metrics-server EndpointSlice: %w", err)
	}
	return nil
}

// metricsAPIService registers metrics.k8s.io/v1beta1, served by the
// metrics-server Service, whose self-signed certificate is not verified.
func metricsAPIService() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1",
		"kind":       "APIService",
		"metadata":   map[string]any{"name": metricsAPIServiceName},
		"spec": map[string]any{
			"group":   "metrics.k8s.io",
			"version": "v1beta1",
			"service": map[string]any{
				"namespace": metricsServerNamespace,
				"name":      metricsServerName,
				"port":      int64(metricsServicePort),
			},
			"insecureSkipTLSVerify": true,
			"groupPriorityMinimum":  int64(100),
			"versionPriority":       int64(100),
		},
	}}
}

// metricsAPIAvailable returns nil once kube-apiserver reports the
// metrics.k8s.io APIService Available, that is once it reaches
// metrics-server. Metrics of a pod appear later, 10-40 seconds after it
// runs (see metricsResolution): Start does not wait for them.
func (c *ControlPlane) metricsAPIAvailable(ctx context.Context) error {
	obj, err := c.dynamic.Resource(apiServiceResource).Get(ctx, metricsAPIServiceName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	conds, _, err := unstructured.NestedSlice(obj.Object, "status", "conditions")
	if err != nil {
		return fmt.Errorf("read the conditions of the APIService %s: %w", metricsAPIServiceName, err)
	}
	for _, cond := range conds {
		m, _ := cond.(map[string]any)
		if m["type"] != "Available" {
			continue
		}
		if m["status"] == "True" {
			return nil
		}
		return fmt.Errorf("APIService %s not available: %v: %v", metricsAPIServiceName, m["reason"], m["message"])
	}
	return fmt.Errorf("APIService %s has no Available condition yet", metricsAPIServiceName)
}
