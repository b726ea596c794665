package gatewayapi

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"testing"
)

// pinnedModule asks the go command for the sigs.k8s.io/gateway-api module
// go.mod pins: its version and its folder in the module cache (downloaded
// from the Go module proxy if it is not there yet).
func pinnedModule(t *testing.T) (version, dir string) {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		t.Fatalf("go mod download sigs.k8s.io/gateway-api: %v", err)
	}
	var mod struct{ Version, Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download sigs.k8s.io/gateway-api: no module folder in %q (%v)", out, err)
	}
	return mod.Version, mod.Dir
}

// TestCRDsMatchPinnedModule: every embedded CRD is, byte for byte, the
// standard channel's file of the module version go.mod pins, and says that
// version; a changed pin without `go generate ./internal/gatewayapi/`
// fails here.
func TestCRDsMatchPinnedModule(t *testing.T) {
	version, dir := pinnedModule(t)
	names, err := files()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no CRD embedded")
	}
	for _, n := range names {
		got, err := fs.ReadFile(crds, n)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, "config", "crd", "standard", path.Base(n)))
		if err != nil {
			t.Errorf("%s is not a standard-channel CRD of sigs.k8s.io/gateway-api %s: %v", n, version, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from sigs.k8s.io/gateway-api %s: run go generate ./internal/gatewayapi/", n, version)
		}
	}
	all, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range all {
		if v := crd.Annotations["gateway.networking.k8s.io/bundle-version"]; v != version {
			t.Errorf("CRD %s is of bundle %s, go.mod pins %s", crd.Name, v, version)
		}
		if c := crd.Annotations["gateway.networking.k8s.io/channel"]; c != "standard" {
			t.Errorf("CRD %s is of the %s channel, want standard", crd.Name, c)
		}
	}
}

// TestCRDs: the kinds Berth needs are there, served at v1, and the
// unstructured form carries what the typed one does.
func TestCRDs(t *testing.T) {
	all, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, crd := range all {
		if crd.Spec.Group != Group {
			t.Errorf("CRD %s: group %s", crd.Name, crd.Spec.Group)
		}
		served := false
		for _, v := range crd.Spec.Versions {
			served = served || (v.Name == "v1" && v.Served)
		}
		if !served {
			t.Errorf("CRD %s does not serve v1", crd.Name)
		}
		kinds = append(kinds, crd.Spec.Names.Kind)
	}
	slices.Sort(kinds)
	if want := []string{"Gateway", "GatewayClass", "HTTPRoute", "ReferenceGrant"}; !slices.Equal(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
	objs, err := Objects()
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(all) {
		t.Fatalf("%d objects, %d CRDs", len(objs), len(all))
	}
	for i, o := range objs {
		if o.GetName() != all[i].Name || o.GetKind() != "CustomResourceDefinition" {
			t.Errorf("object %d is %s %s, want CustomResourceDefinition %s", i, o.GetKind(), o.GetName(), all[i].Name)
		}
		if _, ok := o.Object["status"]; ok {
			t.Errorf("object %s carries a status", o.GetName())
		}
	}
}
