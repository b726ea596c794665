package translate

import (
	"path/filepath"
	"testing"
)

// BenchmarkDeployment measures one Service's translation (the operator's
// per-reconcile cost before any API call).
func BenchmarkDeployment(b *testing.B) {
	t := &testing.T{}
	in := loadInput(t, filepath.Join("testdata", "fargate-service", "input.yaml"))
	cfg := Config{}
	r := in.revisions[0]
	rev := Revision{Number: r.Spec.Revision, Spec: &r.Spec.RegisterTaskDefinitionInput}
	p, err := ResolvePlacement(PlacementInput{LaunchType: in.services[0].Spec.LaunchType, Cluster: in.clusters[0], CapacityProviders: in.providers})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Deployment(in.services[0], rev, p, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
