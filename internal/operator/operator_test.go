package operator

import (
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/berth-dev/berth/controllers"
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

// A shard watches its namespaces only, and must leave what every namespace
// shares to an operator that sees them all; each shard elects its leader on
// a Lease of its own, the same for all of its replicas.
func TestShard(t *testing.T) {
	all := Options{}
	shardA := Options{Namespaces: []string{"a", "b"}, Controllers: controllers.Config{Controllers: controllers.Selection{"*", "-capacityprovider"}}}
	shardAReordered := Options{Namespaces: []string{"b", "a"}, Controllers: controllers.Config{Controllers: controllers.Selection{"-capacityprovider", "*"}}}
	shardC := Options{Namespaces: []string{"c"}, Controllers: controllers.Config{Controllers: controllers.Selection{"*", "-capacityprovider"}}}
	clusterWide := Options{Controllers: controllers.Config{Controllers: controllers.Selection{"capacityprovider"}}}

	if err := checkShard(all); err != nil {
		t.Errorf("every namespace, every controller: %v", err)
	}
	if err := checkShard(shardA); err != nil {
		t.Errorf("a shard without the cluster-wide controllers: %v", err)
	}
	err := checkShard(Options{Namespaces: []string{"a"}})
	if err == nil || !strings.Contains(err.Error(), "capacityprovider") {
		t.Errorf("a shard running the capacity providers' controller: %v, want it refused", err)
	}

	if got := LeaderElectionID(all); got != "berth.ecs.berth.dev" {
		t.Errorf("the default Lease is %q", got)
	}
	if got := LeaderElectionID(Options{Controllers: controllers.Config{Controllers: controllers.Selection{"*"}}}); got != "berth.ecs.berth.dev" {
		t.Errorf("--controllers=* changed the Lease to %q", got)
	}
	ids := map[string]string{}
	for name, o := range map[string]Options{"a": shardA, "c": shardC, "cluster-wide": clusterWide, "all": all} {
		id := LeaderElectionID(o)
		if other, dup := ids[id]; dup {
			t.Errorf("shards %s and %s share the Lease %s", name, other, id)
		}
		ids[id] = name
	}
	if LeaderElectionID(shardA) != LeaderElectionID(shardAReordered) {
		t.Error("the same shard, flags in another order, elects on another Lease")
	}

	if namespaces(nil) != nil {
		t.Error("no namespaces must cache every namespace")
	}
	if got := namespaces([]string{"a", "b"}); len(got) != 2 {
		t.Errorf("namespaces a, b: %v", got)
	}
}
