package localcp

import (
	"slices"
	"strings"
	"testing"
)

func TestProfilesAndAuditFlags(t *testing.T) {
	l := &layout{dir: "/cp", pki: &pkiFiles{}}
	has := func(args []string, flag string) bool { return slices.Contains(args, flag) }
	unthrottled := []string{"--kube-api-qps=5000", "--kube-api-burst=10000"}

	def := apiserverArgs(l, Options{})
	for _, a := range def {
		if strings.HasPrefix(a, "--max-requests-inflight") || strings.HasPrefix(a, "--enable-priority-and-fairness") || strings.HasPrefix(a, "--audit-") {
			t.Errorf("default profile without audit: unexpected kube-apiserver flag %s", a)
		}
	}
	for _, f := range unthrottled {
		if has(controllerManagerArgs(l, ProfileDefault), f) {
			t.Errorf("default profile: unexpected client flag %s", f)
		}
		if !has(controllerManagerArgs(l, ProfileUnthrottled), f) {
			t.Errorf("unthrottled profile: kube-controller-manager lacks %s", f)
		}
	}
	if cfg := string(schedulerConfig(l, ProfileDefault)); strings.Contains(cfg, "qps") || !strings.Contains(cfg, "schedulerName: berth-binpack-memory") {
		t.Errorf("default profile: kube-scheduler's configuration:\n%s", cfg)
	}
	if cfg := string(schedulerConfig(l, ProfileUnthrottled)); !strings.Contains(cfg, "qps: 5000") || !strings.Contains(cfg, "burst: 10000") {
		t.Errorf("unthrottled profile: kube-scheduler's configuration lacks the client limits:\n%s", cfg)
	}
	up := apiserverArgs(l, Options{Profile: ProfileUnthrottled, AuditPolicy: []byte("kind: Policy")})
	for _, f := range []string{
		"--max-requests-inflight=0", "--max-mutating-requests-inflight=0", "--enable-priority-and-fairness=false",
		"--audit-policy-file=/cp/audit-policy.yaml", "--audit-log-path=/cp/audit.log", "--audit-log-format=json",
	} {
		if !has(up, f) {
			t.Errorf("unthrottled profile with audit: kube-apiserver lacks %s", f)
		}
	}
}

func TestMetricsFlags(t *testing.T) {
	l := &layout{dir: "/cp", kubeconfig: "/cp/kubeconfig", pki: &pkiFiles{}, ports: ports{kwok: 10247, metricsServer: 4443}}
	for _, f := range []string{"--horizontal-pod-autoscaler-sync-period=5s", "--horizontal-pod-autoscaler-cpu-initialization-period=10s"} {
		if !slices.Contains(controllerManagerArgs(l, ProfileDefault), f) {
			t.Errorf("kube-controller-manager lacks %s", f)
		}
	}
	ms := metricsServerArgs(l)
	for _, f := range []string{"--secure-port=4443", "--bind-address=127.0.0.1", "--kubelet-use-node-status-port", "--kubelet-preferred-address-types=InternalIP"} {
		if !slices.Contains(ms, f) {
			t.Errorf("metrics-server lacks %s: %v", f, ms)
		}
	}
	args, _, err := kwokArgs(t.TempDir(), l.kubeconfig, l.ports.kwok, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"--node-ip=127.0.0.1", "--node-port=10247", "--server-address=127.0.0.1:10247"} {
		if !slices.Contains(args, f) {
			t.Errorf("kwok lacks %s: %v", f, args)
		}
	}
	cfg, err := kwokConfig(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []string{"kind: KwokConfiguration", "podPlayStageParallelism: 32", "kind: Metric", "kind: ClusterResourceUsage", "name: berth-node-endpoint", "name: node-initialize"} {
		if !strings.Contains(string(cfg), obj) {
			t.Errorf("kwok's configuration lacks %q", obj)
		}
	}
	bare, err := kwokConfig(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(bare), "kind: Metric") || strings.Contains(string(bare), "kind: ClusterResourceUsage") || !strings.Contains(string(bare), "name: node-initialize") {
		t.Error("NoMetrics: kwok's configuration must have the stages and no metrics")
	}
}
