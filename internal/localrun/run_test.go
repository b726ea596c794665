package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/operator"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRun is `make run` end to end: everything comes up, the samples'
// services reach steady state, the output says what to do next, and
// cancelling (Ctrl-C) stops every process and removes the working directory.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	ready := make(chan *localcp.ControlPlane, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, RunOptions{Out: out, Samples: true, Namespace: "default", OnReady: func(cp *localcp.ControlPlane) { ready <- cp }})
	}()
	var cp *localcp.ControlPlane
	select {
	case cp = <-ready:
	case err := <-done:
		t.Fatalf("Run returned before it was ready: %v\n%s", err, out.String())
	case <-time.After(4 * time.Minute):
		t.Fatalf("Run not ready after 4 minutes:\n%s", out.String())
	}
	for _, want := range []string{"export KUBECONFIG=", "kubectl get ecs", "Ctrl-C"} {
		if !bytes.Contains([]byte(out.String()), []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	admin, err := client.New(cp.AdminConfig(), client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, name := range []string{"web", "worker"} {
		for {
			svc := &ecsv1alpha1.Service{}
			err := admin.Get(ctx, client.ObjectKey{Namespace: "default", Name: name}, svc)
			if err == nil && meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady) &&
				svc.Status.RunningCount != nil && *svc.Status.RunningCount == *svc.Spec.DesiredCount {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("service %s not steady: err=%v status=%+v", name, err, svc.Status)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	// The printed exports are enough for the AWS CLI, as a user pastes them.
	env := os.Environ()
	for _, line := range strings.Split(out.String(), "\n") {
		if kv, ok := strings.CutPrefix(strings.TrimSpace(line), "export AWS_"); ok {
			env = append(env, "AWS_"+kv)
		}
	}
	cmd := exec.CommandContext(ctx, "aws", "ecs", "describe-services", "--cluster", "default", "--services", "web", "--output", "json")
	cmd.Env = append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	got, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(got), `"serviceName": "web"`) || !strings.Contains(string(got), `"runningCount": 3`) {
		t.Errorf("aws ecs describe-services with the printed exports: %v\n%s\noutput:\n%s", err, got, out.String())
	}

	// The sample tasks' output is served as CloudWatch Logs, and grows.
	events := func() int {
		t.Helper()
		cmd := exec.CommandContext(ctx, "aws", "logs", "filter-log-events", "--log-group-name", "/ecs/web", "--output", "json")
		cmd.Env = append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		got, err := cmd.CombinedOutput()
		var res struct{ Events []struct{ Message string } }
		if err != nil || json.Unmarshal(got, &res) != nil {
			t.Fatalf("aws logs filter-log-events: %v\n%s", err, got)
		}
		return len(res.Events)
	}
	first := events()
	if first < 20 {
		t.Errorf("the sample tasks' log streams hold %d events, want the 20 lines of history at least", first)
	}
	time.Sleep(3 * sampleLogInterval)
	if later := events(); later <= first {
		t.Errorf("the sample output did not grow: %d events, then %d", first, later)
	}

	dir := cp.Dir()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not stop within a minute of Ctrl-C")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("working directory %s still exists (err %v); output:\n%s", dir, err, out.String())
	}
	cs, err := kubernetes.NewForConfig(cp.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Discovery().ServerVersion(); err == nil {
		t.Error("the API server still answers after Run returned")
	}
}
