package localcp_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/localcp"
)

func TestDebugManual(t *testing.T) {
	if os.Getenv("LCP_DEBUG") == "" {
		t.Skip()
	}
	os.RemoveAll("/tmp/lcpdebug")
	t0 := time.Now()
	cp, err := localcp.Start(t.Context(), localcp.Options{Dir: "/tmp/lcpdebug", Out: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("start %s", time.Since(t0))
	if err := cp.CreateNodes(t.Context(), localcp.NodePool{Name: "p", Count: 3}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("kubectl", "--kubeconfig", cp.KubeconfigPath(), "get", "nodes", "-o", "wide").CombinedOutput()
	t.Logf("%s %v", out, err)
	out, err = exec.Command("kubectl", "--kubeconfig", cp.KubeconfigPath(), "get", "pods", "-A").CombinedOutput()
	t.Logf("%s %v", out, err)
	t0 = time.Now()
	t.Log(cp.Stop())
	t.Logf("stop %s", time.Since(t0))
}
