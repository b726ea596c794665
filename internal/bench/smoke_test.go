package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	RunRoleIfChild() // the operator child is this test binary, re-executed
	os.Exit(m.Run())
}

// TestSmoke is `make bench-smoke`: 20 Services through Berth and through
// the baseline, then an operator restart over them that must write
// nothing (M2), counted from kube-apiserver's audit log. It fails CI when
// a change makes a no-op reconcile write again.
func TestSmoke(t *testing.T) {
	const n = 20
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r, err := Measure(ctx, Options{
		Unthrottled: []Cell{{Services: n, Tasks: 1}}, Pairs: 1, Steady: n, NoMemory: true,
		NodesPerPool: 2, PodsPerNode: 110, Concurrency: 4, Quick: true, Timeout: 3 * time.Minute,
		Log: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.M1) != 1 || len(r.M1[0].Runs) != 2 {
		t.Fatalf("want one M1 cell with a baseline and a Berth run, got %+v", r.M1)
	}
	for _, run := range r.M1[0].Runs {
		// Positive control: the audit log attributes each side's writes.
		if got := run.Writes[run.Side]; got < n {
			t.Errorf("%s run: %d mutating requests by %s in the audit log, want at least %d (one Deployment per Service)", run.Side, got, run.Side, n)
		}
		if run.Seconds <= 0 || len(run.Pods) == 0 {
			t.Errorf("%s run: no convergence recorded: %+v", run.Side, run)
		}
	}
	// The write budget: what a new Service costs (audit log).
	if b := r.WritesPerService; b == nil {
		t.Error("no writes_per_service in the report")
	} else {
		t.Logf("writes per new Service: %.2f, and %.2f of Cluster and capacity provider status (%s)", b.PerService, b.Shared, b.split())
		if b.PerService > smokeWritesCeiling {
			t.Errorf("a new Service costs %.2f operator writes (%s), more than the budget of %.0f (%.2f allowed here for timing)",
				b.PerService, b.split(), b.Target, smokeWritesCeiling)
		}
	}
	m2 := r.M2
	if m2 == nil {
		t.Fatal("M2 was not measured")
	}
	if m2.ReconcilesObserved < n {
		t.Errorf("the restarted operator ran %d reconciles, want at least %d: it did not resync", m2.ReconcilesObserved, n)
	}
	if m2.MutatingRequests != 0 || m2.ResourceVersionChanges != 0 {
		t.Errorf("a no-op resync wrote: %d mutating requests %v, %d resourceVersion changes", m2.MutatingRequests, m2.ByVerbResource, m2.ResourceVersionChanges)
	}
	dir := t.TempDir()
	if err := WriteReport(dir, r); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err != nil {
		t.Error(err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
