package names

import (
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestHookJob(t *testing.T) {
	e := HookExecution{Deployment: "ecs-svc/1234567890123456789", Stage: "POST_SCALE_UP", Hook: 0}
	if got := HookJob("web", e, 1); !regexp.MustCompile(`^web-hook-[0-9a-f]{10}-1$`).MatchString(got) {
		t.Errorf("HookJob = %q", got)
	}
	// Every part of the execution, and the service, changes the hash; the
	// attempt only the suffix.
	base := HookJob("web", e, 1)
	variants := map[string]string{
		"service":    HookJob("api", e, 1),
		"deployment": HookJob("web", HookExecution{Deployment: "ecs-svc/1", Stage: e.Stage}, 1),
		"stage":      HookJob("web", HookExecution{Deployment: e.Deployment, Stage: "PRE_SCALE_UP"}, 1),
		"step":       HookJob("web", HookExecution{Deployment: e.Deployment, Stage: e.Stage, Step: 1}, 1),
		"hook":       HookJob("web", HookExecution{Deployment: e.Deployment, Stage: e.Stage, Hook: 1}, 1),
		"rollback":   HookJob("web", HookExecution{Deployment: e.Deployment, Stage: e.Stage, Rollback: true}, 1),
	}
	for what, got := range variants {
		if got[len(got)-13:] == base[len(base)-13:] {
			t.Errorf("%s: %q has the hash of %q", what, got, base)
		}
	}
	if got := HookJob("web", e, 2); got != strings.TrimSuffix(base, "1")+"2" {
		t.Errorf("attempt 2 = %q, want the same hash as %q", got, base)
	}
	if HookJob("web", e, 1) != base {
		t.Error("HookJob is not deterministic")
	}
	// Long and dotted names still make a DNS label of at most 63.
	for _, svc := range []string{strings.Repeat("a", 253), "my.service.example", strings.Repeat("ab.", 20), "x"} {
		got := HookJob(svc, e, 2147483647)
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("HookJob(%q) = %q: %v", svc, got, errs)
		}
	}
}

func TestHookExecutionID(t *testing.T) {
	e := HookExecution{Deployment: "ecs-svc/1", Stage: "TEST_TRAFFIC_SHIFT"}
	id := e.ID()
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("ID = %q, want a version 8 UUID", id)
	}
	if e.ID() != id {
		t.Error("ID is not deterministic")
	}
	e.Rollback = true
	if e.ID() == id {
		t.Error("a rollback invocation has the ID of the forward one")
	}
}

func TestHookLabels(t *testing.T) {
	cases := []struct{ in, want string }{
		{in: "ecs-svc/1234567890123456789", want: "1234567890123456789"},
		{in: "ecs-svc/ab/cd"},
		{in: "ecs-svc/" + strings.Repeat("9", 70)},
	}
	for _, c := range cases {
		got := HookDeploymentLabel(c.in)
		if c.want != "" && got != c.want {
			t.Errorf("HookDeploymentLabel(%q) = %q, want %q", c.in, got, c.want)
		}
		if errs := validation.IsValidLabelValue(got); len(errs) > 0 || got == "" {
			t.Errorf("HookDeploymentLabel(%q) = %q: %v", c.in, got, errs)
		}
	}
	if got := HookServiceLabel("web"); got != "web" {
		t.Errorf("HookServiceLabel(web) = %q", got)
	}
	long := HookServiceLabel(strings.Repeat("a", 100))
	if errs := validation.IsValidLabelValue(long); len(errs) > 0 {
		t.Errorf("HookServiceLabel(long) = %q: %v", long, errs)
	}
	if long == HookServiceLabel(strings.Repeat("a", 101)) {
		t.Error("two long names share a label value")
	}
}
