package cluster

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
)

// A cluster that names a capacity provider twice, or more of them than the
// status holds, still gets its status: each provider listed once, the
// first 20. Found by test/reliability's fuzzer (R6): the status patch was
// refused (a duplicate key of the list map) on every reconcile, forever.
func TestClusterStatusWithDuplicateOrManyProviders(t *testing.T) {
	for _, tc := range []struct {
		name      string
		providers []string
		want      int
	}{
		{"duplicate", []string{"ec2", "ec2", "FARGATE"}, 2},
		// The schema allows no more (ECS's quota): every one is listed.
		{"many", manyProviders(maxStatusProviders), maxStatusProviders},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			cl := h.cluster(tc.providers...)
			h.reconcile(cl.Name) // the finalizer, and the status: no error
			h.g.Expect(h.get(cl)).To(Succeed())
			h.g.Expect(cl.Status.ObservedGeneration).To(Equal(cl.Generation))
			seen := map[string]bool{}
			for _, p := range cl.Status.CapacityProviders {
				h.g.Expect(seen).NotTo(HaveKey(p.Name))
				seen[p.Name] = true
			}
			h.g.Expect(cl.Status.CapacityProviders).To(HaveLen(tc.want))
			h.g.Expect(cl.Status.CapacityProviders[0].Name).To(Equal(tc.providers[0]))
			h.writes.Take()
			h.reconcile(cl.Name)
			h.g.Expect(h.writes.Take()).To(BeEmpty(), "a reconcile with nothing new writes nothing")
		})
	}
}

func manyProviders(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("pool-%d", i)
	}
	return out
}
