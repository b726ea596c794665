package kwoknode

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAnnotate(t *testing.T) {
	for _, annotations := range []map[string]string{nil, {"keep": "me"}} {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "ec2-0", Annotations: annotations}}
		Annotate(n)
		want := map[string]string{
			"kwok.x-k8s.io/node":                   "fake",
			"metrics.k8s.io/resource-metrics-path": "/metrics/nodes/ec2-0/metrics/resource",
		}
		if annotations != nil {
			want["keep"] = "me"
		}
		if len(n.Annotations) != len(want) {
			t.Errorf("annotations %v, want %v", n.Annotations, want)
		}
		for k, v := range want {
			if n.Annotations[k] != v {
				t.Errorf("annotation %s = %q, want %q", k, n.Annotations[k], v)
			}
		}
	}
}
