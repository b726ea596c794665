package localrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// sampleLogInterval is how often the sample tasks write a line.
const sampleLogInterval = 2 * time.Second

// sampleLogLine is the i-th line the sample tasks write: JSON as an
// application logs it, an error every 10th line and a slow request every
// 7th, so that filter patterns such as { $.level = "error" } and
// { $.latency > 500 } find something.
func sampleLogLine(i int) string {
	level, latency := "info", 20+i%50
	switch {
	case i%10 == 9:
		level = "error"
	case i%7 == 6:
		latency = 600 + i%300
	}
	return fmt.Sprintf(`{"level":"%s","msg":"GET /orders/%d","status":%d,"latency":%d}`, level, i, map[bool]int{true: 500, false: 200}[level == "error"], latency)
}

// simulateLogs makes kwok serve one growing log file as the output of every
// container in ns (a ClusterLogs object; the local control plane has no
// container runtime), and appends a line to it every sampleLogInterval
// until ctx ends: `kubectl logs` and the CloudWatch Logs API then show
// output that changes over time. All the sample tasks share the file.
func simulateLogs(ctx context.Context, c client.Client, dir, ns string) error {
	file := filepath.Join(dir, "sample-output.log")
	f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	write := func(i int) error {
		_, err := fmt.Fprintf(f, "%s stdout F %s\n", time.Now().UTC().Format(time.RFC3339Nano), sampleLogLine(i))
		return err
	}
	for i := range 20 { // some history before the first look
		if err := write(i); err != nil {
			_ = f.Close()
			return err
		}
	}
	logs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
		"metadata": map[string]any{"name": "berth-samples"},
		"spec": map[string]any{
			"selector": map[string]any{"matchNamespaces": []any{ns}},
			"logs":     []any{map[string]any{"logsFile": file, "follow": true}},
		},
	}}
	if err := c.Create(ctx, logs); client.IgnoreAlreadyExists(err) != nil {
		_ = f.Close()
		return fmt.Errorf("create kwok ClusterLogs: %w", err)
	}
	go func() {
		defer func() { _ = f.Close() }()
		tick := time.NewTicker(sampleLogInterval)
		defer tick.Stop()
		for i := 20; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if write(i) != nil {
					return
				}
			}
		}
	}()
	return nil
}
