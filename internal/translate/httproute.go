package translate

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1ac "sigs.k8s.io/gateway-api/applyconfiguration/apis/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	deploystrategy "github.com/berth-dev/berth/internal/strategy"
)

// AnnotationGateway, on an ECS Service, names the Gateway (the load
// balancer) whose listener carries its load balancers' production traffic:
// "<name>" (in the Service's namespace), "<namespace>/<name>", or
// "<namespace>/<name>/<listener>" to attach to one listener (the parent
// reference's sectionName). A Service without it gets no HTTPRoute, even
// where the cluster has Gateway API: its traffic is shifted by the ratio of
// ready tasks behind the target group's Kubernetes Service (ServingSplit).
const AnnotationGateway = "ecs.berth.dev/gateway"

// AnnotationTestGateway, on an ECS Service, names the Gateway and listener
// of its test listener (loadBalancers[].advancedConfiguration.
// testListenerRule), in AnnotationGateway's forms. Without it the test route
// attaches where the production route does, and matches only requests with
// the header TestTrafficHeader: TestTrafficHeaderValue (as an ALB test
// listener rule on the production listener would match a header).
const AnnotationTestGateway = "ecs.berth.dev/test-gateway"

// TestTrafficHeader and TestTrafficHeaderValue select test traffic on a
// listener shared with production traffic.
const (
	TestTrafficHeader      = "X-Berth-Test"
	TestTrafficHeaderValue = "true"
)

// RoleTestListener is the role (LabelRole) of what carries test traffic:
// the test HTTPRoute, and the test Kubernetes Service.
const RoleTestListener = "test-listener"

// Traffic is how a Service's load balancer traffic is split between its two
// service revisions during a BLUE_GREEN, LINEAR or CANARY deployment, as
// internal/strategy decides it.
type Traffic struct {
	// Blue and Green are the deployment ids (ecs-svc/…, also the service
	// revisions' ids) of the source and the target revision. Blue is ""
	// when one revision serves alone (no deployment in progress, or Blue
	// equal to Green): then every route sends all its traffic to Green,
	// whatever the weights.
	Blue, Green string
	// Production and Test are the weights of the production and the test
	// listener, in tenths of a percent (internal/strategy's
	// Output.Production and Output.Test: Blue+Green is its Whole, 1000).
	Production, Test deploystrategy.Weights
}

// HTTPRoutes translates a Service's load balancers into the HTTPRoutes that
// carry their traffic, one production route per target group
// (names.ProductionRoute) and one test route per target group whose entry
// has advancedConfiguration.testListenerRule (names.TestRoute). Each route
// has one rule, matching every request of its listener (ECS's listener
// rules' conditions are not in the Service, so neither hostnames nor paths
// are set), with a backendRef to each revision's Kubernetes Service
// (names.RevisionService) on the entry's containerPort, weighted by
// t.Production or t.Test.
//
// Weights: an HTTPRoute backendRef's weight is relative (0 to 1,000,000),
// so strategy's tenths of a percent are the weights unchanged: 750/250 is
// 75 % to blue, 25 % to green, and a weight of 0 sends nothing. Both
// backendRefs stay on the route while a deployment runs, so that each step
// changes only weights. A route with one revision has one backendRef of
// weight 1000 (Whole).
//
// Parent: the Gateway of AnnotationGateway (AnnotationTestGateway for test
// routes). Without AnnotationGateway, or without load balancers, there is
// no route (nil, no error). A malformed annotation is an InvalidError on it.
// Entries that KubeServices refuses (no target group, no containerPort) are
// left out: it reports them. Of several entries naming one target group,
// the first gives its route the port.
//
// Every load balancer gets an HTTPRoute, whatever its listener's protocol:
// Berth does not tell an Application from a Network Load Balancer, and
// routes a Network Load Balancer's TCP target group as HTTP.
func HTTPRoutes(svc *ecsv1alpha1.Service, t Traffic) ([]*gatewayv1ac.HTTPRouteApplyConfiguration, error) {
	if len(svc.Spec.LoadBalancers) == 0 || svc.Annotations[AnnotationGateway] == "" {
		return nil, nil
	}
	if err := checkWeights(t, t.Production); err != nil {
		return nil, err
	}
	prod, test, err := routeParents(svc)
	if err != nil {
		return nil, err
	}
	shared := test.overlaps(prod, svc.Namespace)
	var routes []*gatewayv1ac.HTTPRouteApplyConfiguration
	seen := map[string]bool{}
	for _, lb := range svc.Spec.LoadBalancers {
		tg := names.ObjectName(targetGroupName(lb))
		if tg == "" || lb.ContainerPort == nil || seen[tg] {
			continue
		}
		seen[tg] = true
		port := *lb.ContainerPort
		routes = append(routes, route(svc, names.ProductionRoute(tg), RoleLoadBalancer, prod,
			gatewayv1ac.HTTPRouteRule().WithBackendRefs(backendRefs(tg, port, t, t.Production)...)))
		if lb.AdvancedConfiguration == nil || lb.AdvancedConfiguration.TestListenerRule == "" {
			continue
		}
		if err := checkWeights(t, t.Test); err != nil {
			return nil, err
		}
		rule := gatewayv1ac.HTTPRouteRule().WithBackendRefs(backendRefs(tg, port, t, t.Test)...)
		if shared {
			rule.WithMatches(gatewayv1ac.HTTPRouteMatch().WithHeaders(gatewayv1ac.HTTPHeaderMatch().
				WithType(gatewayv1.HeaderMatchExact).
				WithName(TestTrafficHeader).
				WithValue(TestTrafficHeaderValue)))
		}
		routes = append(routes, route(svc, names.TestRoute(tg), RoleTestListener, test, rule))
	}
	return routes, nil
}

// routeParents reads where the production and the test routes attach:
// AnnotationGateway, and AnnotationTestGateway (default: the production
// Gateway).
func routeParents(svc *ecsv1alpha1.Service) (prod, test gatewayRef, err error) {
	annotations := field.NewPath("metadata", "annotations")
	var errs field.ErrorList
	if prod, err = parseGatewayRef(svc.Annotations[AnnotationGateway]); err != nil {
		errs = append(errs, field.Invalid(annotations.Key(AnnotationGateway), svc.Annotations[AnnotationGateway], err.Error()))
	}
	test = prod
	if v := svc.Annotations[AnnotationTestGateway]; v != "" {
		if test, err = parseGatewayRef(v); err != nil {
			errs = append(errs, field.Invalid(annotations.Key(AnnotationTestGateway), v, err.Error()))
		}
	}
	if len(errs) > 0 {
		return prod, test, &InvalidError{Errs: errs}
	}
	return prod, test, nil
}

// checkWeights refuses weights w no route of t can carry: a negative one,
// or both 0 while two revisions serve (a route whose backends all weigh 0
// answers every request with an error).
func checkWeights(t Traffic, w deploystrategy.Weights) error {
	if w.Blue < 0 || w.Green < 0 || (t.Blue != "" && t.Blue != t.Green && w.Blue+w.Green == 0) {
		return fmt.Errorf("traffic weights %d/%d: want two weights of at least 0, not both 0", w.Blue, w.Green)
	}
	return nil
}

// route is one HTTPRoute of svc, attached to parent, with one rule.
func route(svc *ecsv1alpha1.Service, name, role string, parent gatewayRef, rule *gatewayv1ac.HTTPRouteRuleApplyConfiguration) *gatewayv1ac.HTTPRouteApplyConfiguration {
	labels := ServiceSelector(svc)
	labels[LabelRole] = role
	return gatewayv1ac.HTTPRoute(name, svc.Namespace).
		WithLabels(labels).
		WithOwnerReferences(ownerRef(ecsv1alpha1.GroupVersion.String(), "Service", svc.Name, string(svc.UID))).
		WithSpec(gatewayv1ac.HTTPRouteSpec().
			WithParentRefs(parent.apply()).
			WithRules(rule))
}

// backendRefs are the revisions' Services, blue first, weighted by w.
func backendRefs(tg string, port int32, t Traffic, w deploystrategy.Weights) []*gatewayv1ac.HTTPBackendRefApplyConfiguration {
	ref := func(deploymentID string, weight int32) *gatewayv1ac.HTTPBackendRefApplyConfiguration {
		return gatewayv1ac.HTTPBackendRef().
			WithGroup("").
			WithKind("Service").
			WithName(gatewayv1.ObjectName(names.RevisionService(tg, deploymentID))).
			WithPort(port).
			WithWeight(weight)
	}
	if t.Blue == "" || t.Blue == t.Green {
		return []*gatewayv1ac.HTTPBackendRefApplyConfiguration{ref(t.Green, deploystrategy.Whole)}
	}
	return []*gatewayv1ac.HTTPBackendRefApplyConfiguration{ref(t.Blue, w.Blue), ref(t.Green, w.Green)}
}

// gatewayRef is a Gateway, and optionally one of its listeners (section);
// namespace "" is the route's.
type gatewayRef struct {
	namespace, name, section string
}

// overlaps: r and o share a listener of one Gateway (a reference without
// a listener is every listener of its Gateway); ns is the routes'
// namespace.
func (r gatewayRef) overlaps(o gatewayRef, ns string) bool {
	nsOf := func(g gatewayRef) string {
		if g.namespace == "" {
			return ns
		}
		return g.namespace
	}
	return nsOf(r) == nsOf(o) && r.name == o.name && (r.section == "" || o.section == "" || r.section == o.section)
}

// parseGatewayRef reads AnnotationGateway's forms: name, namespace/name,
// namespace/name/listener.
func parseGatewayRef(v string) (gatewayRef, error) {
	parts := strings.Split(strings.TrimSpace(v), "/")
	if len(parts) > 3 || slices.Contains(parts, "") {
		return gatewayRef{}, fmt.Errorf("want <name>, <namespace>/<name> or <namespace>/<name>/<listener>")
	}
	var r gatewayRef
	switch len(parts) {
	case 1:
		r.name = parts[0]
	case 2:
		r.namespace, r.name = parts[0], parts[1]
	default:
		r.namespace, r.name, r.section = parts[0], parts[1], parts[2]
	}
	if errs := validation.IsDNS1123Label(r.namespace); r.namespace != "" && len(errs) > 0 {
		return r, fmt.Errorf("namespace %q: %s", r.namespace, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(r.name); len(errs) > 0 {
		return r, fmt.Errorf("gateway name %q: %s", r.name, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(r.section); r.section != "" && len(errs) > 0 {
		return r, fmt.Errorf("listener name %q: %s", r.section, strings.Join(errs, "; "))
	}
	return r, nil
}

func (r gatewayRef) apply() *gatewayv1ac.ParentReferenceApplyConfiguration {
	p := gatewayv1ac.ParentReference().
		WithGroup(gatewayv1.GroupName).
		WithKind("Gateway").
		WithName(gatewayv1.ObjectName(r.name))
	if r.namespace != "" {
		p.WithNamespace(gatewayv1.Namespace(r.namespace))
	}
	if r.section != "" {
		p.WithSectionName(gatewayv1.SectionName(r.section))
	}
	return p
}

// RoleRevision is the role (LabelRole) of a Kubernetes Service that
// selects one service revision's tasks behind a target group: an
// HTTPRoute's backend.
const RoleRevision = "revision"

// RevisionService is one HTTPRoute backend: the Kubernetes Service of one
// revision (its deployment id) behind a target group.
type RevisionService struct {
	DeploymentID string
	Service      *corev1ac.ServiceApplyConfiguration
}

// RevisionServices are the backends of the routes HTTPRoutes makes for t:
// for each target group's Service in lbServices (as KubeServices made
// them) that a route leads to, one copy per revision of t (Green, and Blue
// when it is another), named names.RevisionService, with the role
// RoleRevision. The caller points each selector at its revision's tasks.
// Without AnnotationGateway there are none.
func RevisionServices(svc *ecsv1alpha1.Service, lbServices []*corev1ac.ServiceApplyConfiguration, t Traffic) ([]RevisionService, error) {
	if len(svc.Spec.LoadBalancers) == 0 || svc.Annotations[AnnotationGateway] == "" {
		return nil, nil
	}
	ids := []string{t.Green}
	if t.Blue != "" && t.Blue != t.Green {
		ids = []string{t.Blue, t.Green}
	}
	var res []RevisionService
	for _, lb := range lbServices {
		for _, id := range ids {
			c, err := cloneService(lb)
			if err != nil {
				return nil, err
			}
			c.WithName(names.RevisionService(*lb.Name, id)).WithLabels(map[string]string{LabelRole: RoleRevision})
			if c.Spec != nil {
				// A backend is reached through the Gateway: a ClusterIP
				// Service.
				c.Spec.Type = nil
				c.Spec.WithType(corev1.ServiceTypeClusterIP)
			}
			res = append(res, RevisionService{DeploymentID: id, Service: c})
		}
	}
	return res, nil
}
