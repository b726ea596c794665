//go:build ignore

// Command gen copies the Gateway API CRDs Berth installs from the
// sigs.k8s.io/gateway-api module that go.mod pins (the module cache, which
// `go mod download` fills from the Go module proxy) into crds/, byte for
// byte. Run it with `go generate ./internal/gatewayapi/` (make generate
// does) after changing the pinned version; TestCRDsMatchPinnedModule fails
// until then.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// files are the standard channel's CRDs Berth uses: GatewayClass, Gateway,
// HTTPRoute and ReferenceGrant.
var files = []string{
	"gateway.networking.k8s.io_gatewayclasses.yaml",
	"gateway.networking.k8s.io_gateways.yaml",
	"gateway.networking.k8s.io_httproutes.yaml",
	"gateway.networking.k8s.io_referencegrants.yaml",
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gatewayapi gen:", err)
		os.Exit(1)
	}
}

func run() error {
	out, err := exec.Command("go", "mod", "download", "-json", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		return fmt.Errorf("go mod download sigs.k8s.io/gateway-api: %w", err)
	}
	var mod struct{ Dir, Version string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return fmt.Errorf("go mod download sigs.k8s.io/gateway-api: no module folder in %q (%v)", out, err)
	}
	old, err := filepath.Glob(filepath.Join("crds", "*.yaml"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(mod.Dir, "config", "crd", "standard", f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join("crds", f), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
