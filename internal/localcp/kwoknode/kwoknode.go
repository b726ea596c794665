// Package kwoknode holds what makes a Node object a node that kwok
// simulates: the annotations every simulated node carries, whoever creates
// it (the local control plane's node pools or Berth's kwok provisioner),
// and that provisioner (Provisioner, behind internal/provision's
// interface). It does not pull in the local control plane's process code.
package kwoknode

import (
	corev1 "k8s.io/api/core/v1"
)

const (
	// Annotation marks a Node as simulated by kwok; kwok manages only nodes
	// that carry it with the value Value.
	Annotation = "kwok.x-k8s.io/node"
	// Value is Annotation's value on a simulated node.
	Value = "fake"
	// MetricsPathAnnotation tells metrics-server (0.7 and later) the path of
	// a node's resource metrics on its kubelet address. kwok serves the
	// simulated metrics of every node on one server, under a path per node
	// (see MetricsPath), instead of the kubelet's /metrics/resource.
	MetricsPathAnnotation = "metrics.k8s.io/resource-metrics-path"
)

// MetricsPath is where kwok serves the resource metrics of the node
// nodeName: /metrics/nodes/<nodeName>/metrics/resource, the path of kwok's
// metrics-resource Metric object.
func MetricsPath(nodeName string) string {
	return "/metrics/nodes/" + nodeName + "/metrics/resource"
}

// Annotate marks n, whose name must be set, as a kwok node whose resource
// metrics metrics-server can scrape.
func Annotate(n *corev1.Node) {
	if n.Annotations == nil {
		n.Annotations = map[string]string{}
	}
	n.Annotations[Annotation] = Value
	n.Annotations[MetricsPathAnnotation] = MetricsPath(n.Name)
}
