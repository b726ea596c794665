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
