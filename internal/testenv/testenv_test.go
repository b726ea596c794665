package testenv_test

import (
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/kubeversion"
	deploystrategy "github.com/berth-dev/berth/internal/strategy"
	"github.com/berth-dev/berth/internal/testenv"
	"github.com/berth-dev/berth/internal/translate"
)

// TestGatewayAPI: with WithGatewayAPI the API server serves HTTPRoute (as
// the operator detects it), and accepts the HTTPRoutes translate.HTTPRoutes
// builds, step after step, under the CRD's schema and CEL rules.
func TestGatewayAPI(t *testing.T) {
	g := NewWithT(t)
	root, _ := filepath.Abs("../..")
	began := time.Now()
	env, err := testenv.Start(root, testenv.WithGatewayAPI())
	t.Cleanup(env.Stop)
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("envtest with the Gateway API CRDs started in %s", time.Since(began).Round(time.Millisecond))

	served, err := kubeversion.ServesHTTPRoute(t.Context(), env.Config)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(served).To(BeTrue(), "HTTPRoute v1 served")

	ns := env.Namespace(t)
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, UID: "6f1c2a9e-0000-4000-8000-000000000001",
		Annotations: map[string]string{translate.AnnotationGateway: "edge/public/https"}}}
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{
		TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/0123456789abcdef",
		ContainerName:  "app", ContainerPort: ptr.To[int32](8080),
		AdvancedConfiguration: &ecsv1alpha1.AdvancedConfiguration{TestListenerRule: "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/shop/1/2/3"},
	}}
	const blue, green = "ecs-svc/1111111111222222222", "ecs-svc/3333333333444444444"
	for _, step := range []deploystrategy.Weights{deploystrategy.AllBlue, {Blue: 750, Green: 250}, {Blue: 500, Green: 500}, deploystrategy.AllGreen} {
		routes, err := translate.HTTPRoutes(svc, translate.Traffic{Blue: blue, Green: green, Production: step, Test: deploystrategy.AllGreen})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(routes).To(HaveLen(2))
		for _, r := range routes {
			// The owner does not exist: the route is applied as it is, and
			// the garbage collector does not run in envtest.
			g.Expect(env.Direct.Apply(t.Context(), r, client.FieldOwner("berth-test"), client.ForceOwnership)).To(Succeed(), "apply HTTPRoute %s", *r.Name)
		}
		got := &gatewayv1.HTTPRoute{}
		g.Expect(env.Direct.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "web-tg"}, got)).To(Succeed())
		g.Expect(got.Spec.Rules).To(HaveLen(1))
		var weights []int32
		for _, b := range got.Spec.Rules[0].BackendRefs {
			weights = append(weights, ptr.Deref(b.Weight, -1))
		}
		g.Expect(weights).To(Equal([]int32{step.Blue, step.Green}), "production weights after the step %v", step)
	}
	test := &gatewayv1.HTTPRoute{}
	g.Expect(env.Direct.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "web-tg-test"}, test)).To(Succeed())
	g.Expect(test.Spec.Rules[0].Matches).To(HaveLen(1))
	g.Expect(test.Spec.Rules[0].Matches[0].Headers).To(ConsistOf(HaveField("Name", gatewayv1.HTTPHeaderName(translate.TestTrafficHeader))))
}
