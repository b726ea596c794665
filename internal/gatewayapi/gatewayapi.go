// Package gatewayapi holds the Gateway API CRDs Berth installs where it runs
// its own API server (the local control plane of `make run` and the e2e
// suite, and the envtest suites that ask for them): GatewayClass, Gateway,
// HTTPRoute and ReferenceGrant of the standard channel, copied byte for
// byte from the sigs.k8s.io/gateway-api module go.mod pins (gen.go, run by
// `go generate` and make generate), so that nothing is fetched at run time.
// TestCRDsMatchPinnedModule checks the copy against the module.
//
// No Gateway controller comes with them: the objects are accepted and
// validated, and no traffic flows (kwok runs no containers).
package gatewayapi

import (
	"embed"
	"fmt"
	"io/fs"
	"path"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

//go:generate go run gen.go

//go:embed crds/*.yaml
var crds embed.FS

// Group is the Gateway API's API group.
const Group = "gateway.networking.k8s.io"

// files are the embedded CRD files, by name.
func files() ([]string, error) {
	entries, err := fs.ReadDir(crds, "crds")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, path.Join("crds", e.Name()))
	}
	return out, nil
}

// CRDs are the CRDs, in file name order, as typed objects (envtest installs
// these).
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	names, err := files()
	if err != nil {
		return nil, err
	}
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(names))
	for _, n := range names {
		data, err := fs.ReadFile(crds, n)
		if err != nil {
			return nil, err
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			return nil, fmt.Errorf("gateway API CRD %s: %w", n, err)
		}
		out = append(out, crd)
	}
	return out, nil
}

// Objects are the CRDs, in file name order, as unstructured objects (for a
// dynamic client's server-side apply). They carry no status.
func Objects() ([]*unstructured.Unstructured, error) {
	names, err := files()
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, 0, len(names))
	for _, n := range names {
		data, err := fs.ReadFile(crds, n)
		if err != nil {
			return nil, err
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(data, &obj.Object); err != nil {
			return nil, fmt.Errorf("gateway API CRD %s: %w", n, err)
		}
		unstructured.RemoveNestedField(obj.Object, "status")
		out = append(out, obj)
	}
	return out, nil
}
