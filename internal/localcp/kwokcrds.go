package localcp

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// kwokCRDs are kwok's Logs and ClusterLogs kinds (copied from
// sigs.k8s.io/kwok v0.8.0), installed before kwok starts so that it watches
// them (--enable-crds): a Logs object names the file kwok serves as a pod's
// containers' log (CRI log format, as the kubelet writes it), which is how
// the local control plane simulates task output that kubectl logs and the
// CloudWatch Logs API read.
//
//go:embed crds/*.yaml
var kwokCRDs embed.FS

// KwokLogsGVR is the resource of kwok's Logs objects.
var KwokLogsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}

// KwokClusterLogsGVR is the resource of kwok's ClusterLogs objects.
var KwokClusterLogsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "clusterlogs"}

// kwokCRDKinds are the kinds kwok reads from the API server.
const kwokCRDKinds = "Logs,ClusterLogs"

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installKwokCRDs applies kwok's CRDs and waits until they are served.
func (c *ControlPlane) installKwokCRDs(ctx context.Context) error {
	entries, err := fs.ReadDir(kwokCRDs, "crds")
	if err != nil {
		return err
	}
	var objs []*unstructured.Unstructured
	for _, e := range entries {
		data, err := fs.ReadFile(kwokCRDs, "crds/"+e.Name())
		if err != nil {
			return err
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(data, &obj.Object); err != nil {
			return fmt.Errorf("kwok CRD %s: %w", e.Name(), err)
		}
		objs = append(objs, obj)
	}
	names, err := applyCRDs(ctx, c.dynamic, "kwok", objs)
	if err != nil {
		return err
	}
	return c.waitEstablished(ctx, names)
}

// applyCRDs applies CRDs with dyn (what names their origin in errors) and
// returns their names.
func applyCRDs(ctx context.Context, dyn dynamic.Interface, what string, objs []*unstructured.Unstructured) ([]string, error) {
	names := make([]string, 0, len(objs))
	for _, obj := range objs {
		if _, err := dyn.Resource(crdResource).Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
			return nil, fmt.Errorf("apply %s CRD %s: %w", what, obj.GetName(), err)
		}
		names = append(names, obj.GetName())
	}
	return names, nil
}

// waitEstablished waits until the named CRDs are served.
func (c *ControlPlane) waitEstablished(ctx context.Context, names []string) error {
	for _, name := range names {
		if err := c.waitFor(ctx, "CRD "+name+" to be established", func(ctx context.Context) error { return c.crdEstablished(ctx, name) }); err != nil {
			return err
		}
	}
	return nil
}

func (c *ControlPlane) crdEstablished(ctx context.Context, name string) error {
	crd, err := c.dynamic.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, cond := range conds {
		m, _ := cond.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return nil
		}
	}
	return fmt.Errorf("CRD %s is not established yet", name)
}
