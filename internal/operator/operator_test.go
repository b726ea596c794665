package operator

import (
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// A rest.Config built by hand (a ServiceAccount token, a kubeconfig) has
// QPS 0, which client-go turns into 5 requests per second; the manager must
// not inherit that cap, and must keep a limit that was set on purpose.
func TestWithoutDefaultRateLimit(t *testing.T) {
	limiter := flowcontrol.NewTokenBucketRateLimiter(1, 1)
	for _, tc := range []struct {
		name      string
		cfg       *rest.Config
		wantQPS   float32
		wantBurst int
	}{
		{"unset", &rest.Config{}, -1, 0},
		{"set on purpose", &rest.Config{QPS: 50, Burst: 100}, 50, 100},
		{"own limiter", &rest.Config{RateLimiter: limiter}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := *tc.cfg
			got := withoutDefaultRateLimit(tc.cfg)
			if got.QPS != tc.wantQPS || got.Burst != tc.wantBurst {
				t.Errorf("QPS %v burst %d, want %v and %d", got.QPS, got.Burst, tc.wantQPS, tc.wantBurst)
			}
			if tc.cfg.QPS != before.QPS || tc.cfg.Burst != before.Burst {
				t.Errorf("the caller's config was modified: QPS %v burst %d", tc.cfg.QPS, tc.cfg.Burst)
			}
		})
	}
}
