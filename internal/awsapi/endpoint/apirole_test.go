package endpoint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/controllers/sampler"
	"github.com/berth-dev/berth/internal/ecsmetrics"
	"github.com/berth-dev/berth/internal/operator"
)

// manager api samples the CloudWatch metrics itself (cmd/api.go): the
// ClusterRole generated for it (config/api/rbac/role.yaml) lets it read
// what the sampler reads, and the same identity without it may not (the
// negative control).
func TestAPIRoleCanSample(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "config", "api", "rbac", "role.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	var role rbacv1.ClusterRole
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		var r rbacv1.ClusterRole
		g.Expect(yaml.Unmarshal([]byte(doc), &r)).To(Succeed())
		if r.Kind == "ClusterRole" {
			role = r
		}
	}
	g.Expect(role.Rules).NotTo(BeEmpty())
	const user = "berth-api-sampler"
	sample := func() error {
		cfg := rest.CopyConfig(env.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
		c, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
		g.Expect(err).NotTo(HaveOccurred())
		s := &sampler.Sampler{Reader: c, Usage: sampler.ResourceMetrics(c), Store: ecsmetrics.NewStore(ecsmetrics.Retention, ecsmetrics.DefaultInterval),
			Clock: clock.RealClock{}, Log: logf.Log}
		return s.Sample(ctx, clock.RealClock{}.Now())
	}
	g.Expect(sample()).To(MatchError(ContainSubstring("forbidden")), "without the role")

	role.ObjectMeta = metav1.ObjectMeta{Name: user}
	g.Expect(env.Direct.Create(ctx, &role)).To(Succeed())
	g.Expect(env.Direct.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: user},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}})).To(Succeed())
	g.Eventually(sample).Should(Succeed(), "with the role (envtest serves no metrics.k8s.io: the counts are still sampled)")
}
