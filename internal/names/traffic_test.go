package names

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

// The traffic objects' names are what the controller finds them by, as
// the child names are.
func TestTrafficNames(t *testing.T) {
	const id = "ecs-svc/0123456789012345678"
	for _, c := range []struct{ got, want string }{
		{ProductionRoute("web-tg"), "web-tg"},
		{TestRoute("web-tg"), "web-tg-test"},
		{TestService("web-tg"), "web-tg-test"},
		{RevisionService("web-tg", id), "web-tg-0123456789"},
		{ShortRevisionID(id), "0123456789"},
		{ShortRevisionID("ecs-svc/123"), "123"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if RevisionService("web", id) == RevisionService("web", "ecs-svc/0123456780012345678") {
		t.Error("revisions whose first 10 digits differ must not share a Service")
	}
}

// TestTrafficNamesFit: a target group Service name of up to 63 characters
// still gives DNS labels of at most 63, distinct for distinct bases.
func TestTrafficNamesFit(t *testing.T) {
	const id = "ecs-svc/9876543210987654321"
	long := strings.Repeat("a", 50) + "-" + strings.Repeat("b", 12)
	other := strings.Repeat("a", 50) + "-" + strings.Repeat("c", 12)
	for _, base := range []string{long, other, strings.Repeat("x", 52) + "-", "web"} {
		for _, n := range []string{TestRoute(base), TestService(base), RevisionService(base, id)} {
			if errs := validation.IsDNS1035Label(n); len(errs) > 0 {
				t.Errorf("%q (from %q): %v", n, base, errs)
			}
		}
	}
	if RevisionService(long, id) == RevisionService(other, id) {
		t.Errorf("long bases that differ collide: %q", RevisionService(long, id))
	}
	if got := RevisionService(long, id); !strings.HasSuffix(got, "-9876543210") || len(got) != 63 {
		t.Errorf("RevisionService(long) = %q (%d characters), want 63 ending in the short revision id", got, len(got))
	}
}
