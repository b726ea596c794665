package translate

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// TestHPAGolden translates each ScalableTarget of testdata/hpa/targets.yaml
// into its HorizontalPodAutoscaler (or the error, or nothing) and compares
// the lot with testdata/hpa/want.golden.yaml (-update rewrites it).
func TestHPAGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/hpa/targets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var svc *ecsv1alpha1.Service
	var targets []*ecsv1alpha1.ScalableTarget
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil || meta.Kind == "" {
			continue
		}
		switch meta.Kind {
		case "Service":
			svc = &ecsv1alpha1.Service{}
			if err := yaml.UnmarshalStrict([]byte(doc), svc); err != nil {
				t.Fatal(err)
			}
		case "ScalableTarget":
			st := &ecsv1alpha1.ScalableTarget{}
			if err := yaml.UnmarshalStrict([]byte(doc), st); err != nil {
				t.Fatal(err)
			}
			targets = append(targets, st)
		}
	}
	var out bytes.Buffer
	for _, st := range targets {
		ss := st.Spec.SuspendedState
		hpa, err := HPA(HPAInput{Target: st, Service: svc, Min: st.Spec.MinCapacity, Max: st.Spec.MaxCapacity,
			ScaleInOff: ss != nil && ss.DynamicScalingInSuspended, ScaleOutOff: ss != nil && ss.DynamicScalingOutSuspended})
		v := orError(hpa, err)
		if err == nil && hpa == nil {
			v = map[string]string{"target": st.Name, "hpa": "none"}
		}
		b, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	golden := "testdata/hpa/want.golden.yaml"
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/translate -run TestHPAGolden -update)", err)
	}
	if diff := cmp.Diff(string(want), out.String()); diff != "" {
		t.Errorf("HPAs differ from %s (-want +got):\n%s", golden, diff)
	}
}

func TestTargetGroupName(t *testing.T) {
	if got := TargetGroupName("app/my-alb/778d41231b141a0f/targetgroup/my-alb-target-group/943f017f100becff"); got != "my-alb-target-group" {
		t.Errorf("got %q", got)
	}
}
