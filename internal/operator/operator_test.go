package operator

import (
	"testing"

	"k8s.io/client-go/rest"
)

// A rest.Config built by hand (a ServiceAccount token, a kubeconfig) has
// QPS 0, which client-go turns into 5 requests per second; the manager must
// not inherit that cap, and must keep a limit that was set on purpose.
func TestNewManagerLiftsTheDefaultClientRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		qps       float32
		burst     int
		wantQPS   float32
		wantBurst int
	}{
		{"unset", 0, 0, -1, 0},
		{"set on purpose", 50, 100, 50, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &rest.Config{Host: "https://127.0.0.1:1", QPS: tc.qps, Burst: tc.burst}
			mgr, err := NewManager(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := mgr.GetConfig()
			if got.QPS != tc.wantQPS || got.Burst != tc.wantBurst {
				t.Errorf("manager config QPS %v burst %d, want %v and %d", got.QPS, got.Burst, tc.wantQPS, tc.wantBurst)
			}
			if cfg.QPS != tc.qps {
				t.Errorf("the caller's config was modified: QPS %v", cfg.QPS)
			}
		})
	}
}
