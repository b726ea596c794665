package translate

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	deploystrategy "github.com/berth-dev/berth/internal/strategy"
)

// routeCase is one case of testdata/httproute/<case>/input.yaml: a
// Service, and the traffic split (a document of kind Traffic).
type routeCase struct {
	svc     *ecsv1alpha1.Service
	traffic Traffic
}

func loadRouteCase(t *testing.T, path string) routeCase {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c routeCase
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil || meta.Kind == "" {
			continue
		}
		switch meta.Kind {
		case "Service":
			c.svc = &ecsv1alpha1.Service{}
			if err := yaml.UnmarshalStrict([]byte(doc), c.svc); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		case "Traffic":
			var tr struct {
				Kind             string
				Blue, Green      string
				Production, Test deploystrategy.Weights
			}
			if err := yaml.UnmarshalStrict([]byte(doc), &tr); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			c.traffic = Traffic{Blue: tr.Blue, Green: tr.Green, Production: tr.Production, Test: tr.Test}
		default:
			t.Fatalf("%s: unexpected kind %q", path, meta.Kind)
		}
	}
	if c.svc == nil {
		t.Fatalf("%s: no Service", path)
	}
	return c
}

// renderRoutes is the case's HTTPRoutes as YAML documents, or its error,
// or "routes: none".
func renderRoutes(t *testing.T, c routeCase) []byte {
	t.Helper()
	routes, err := HTTPRoutes(c.svc, c.traffic)
	var docs []any
	switch {
	case err != nil:
		docs = append(docs, map[string]string{"error": err.Error()})
	case len(routes) == 0:
		docs = append(docs, map[string]string{"routes": "none"})
	}
	for _, r := range routes {
		docs = append(docs, r)
	}
	var out bytes.Buffer
	for _, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	return out.Bytes()
}

// TestHTTPRoutesGolden translates each case of testdata/httproute and
// compares with its want.golden.yaml (-update rewrites them).
func TestHTTPRoutesGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/httproute/*/input.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no HTTPRoute cases: %v", err)
	}
	for _, input := range inputs {
		dir := filepath.Dir(input)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := renderRoutes(t, loadRouteCase(t, input))
			golden := filepath.Join(dir, "want.golden.yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/translate -run TestHTTPRoutesGolden -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("HTTPRoutes differ from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestHTTPRoutesDeterministic renders every case many times: the output
// must be byte-identical each time.
func TestHTTPRoutesDeterministic(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/httproute/*/input.yaml")
	for _, input := range inputs {
		c := loadRouteCase(t, input)
		first := renderRoutes(t, c)
		for i := 0; i < 1000; i++ {
			if got := renderRoutes(t, c); !bytes.Equal(first, got) {
				t.Fatalf("%s: run %d differs from run 0", input, i)
			}
		}
	}
}

// TestHTTPRouteWeights: each step's weights reach the backendRefs as they
// are, blue first; one revision alone gets all the traffic.
func TestHTTPRouteWeights(t *testing.T) {
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "web", "shop"
	svc.Annotations = map[string]string{AnnotationGateway: "edge/public"}
	port := int32(8080)
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/0123456789abcdef", ContainerName: "app", ContainerPort: &port}}
	const blue, green = "ecs-svc/1111111111222222222", "ecs-svc/3333333333444444444"
	type ref struct {
		Name   string
		Weight int32
	}
	refs := func(t *testing.T, tr Traffic) []ref {
		t.Helper()
		routes, err := HTTPRoutes(svc, tr)
		if err != nil || len(routes) != 1 {
			t.Fatalf("HTTPRoutes: %d routes, %v", len(routes), err)
		}
		var out []ref
		for _, b := range routes[0].Spec.Rules[0].BackendRefs {
			out = append(out, ref{string(*b.Name), *b.Weight})
		}
		return out
	}
	for _, c := range []struct {
		name string
		tr   Traffic
		want []ref
	}{
		{"LINEAR step", Traffic{Blue: blue, Green: green, Production: deploystrategy.Weights{Blue: 750, Green: 250}}, []ref{{"web-tg-1111111111", 750}, {"web-tg-3333333333", 250}}},
		{"CANARY 0.1%", Traffic{Blue: blue, Green: green, Production: deploystrategy.Weights{Blue: 999, Green: 1}}, []ref{{"web-tg-1111111111", 999}, {"web-tg-3333333333", 1}}},
		{"all blue keeps green at 0", Traffic{Blue: blue, Green: green, Production: deploystrategy.AllBlue}, []ref{{"web-tg-1111111111", 1000}, {"web-tg-3333333333", 0}}},
		{"one revision", Traffic{Green: green, Production: deploystrategy.AllBlue}, []ref{{"web-tg-3333333333", 1000}}},
		{"blue is green", Traffic{Blue: green, Green: green, Production: deploystrategy.Weights{Blue: 500, Green: 500}}, []ref{{"web-tg-3333333333", 1000}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, refs(t, c.tr)); diff != "" {
				t.Errorf("backendRefs (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []Traffic{
		{Blue: blue, Green: green, Production: deploystrategy.Weights{Blue: -1, Green: 1001}},
		{Blue: blue, Green: green, Production: deploystrategy.Weights{}, Test: deploystrategy.AllGreen},
	} {
		if _, err := HTTPRoutes(svc, bad); err == nil {
			t.Errorf("HTTPRoutes(%+v): no error", bad)
		}
	}
}

func TestParseGatewayRef(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    gatewayRef
		wantErr bool
	}{
		{in: "public", want: gatewayRef{name: "public"}},
		{in: "edge/public", want: gatewayRef{namespace: "edge", name: "public"}},
		{in: " edge/public/https ", want: gatewayRef{namespace: "edge", name: "public", section: "https"}},
		{in: "gw.example.com", want: gatewayRef{name: "gw.example.com"}},
		{in: "a/b/c/d", wantErr: true},
		{in: "/public", wantErr: true},
		{in: "edge/", wantErr: true},
		{in: "Edge/public", wantErr: true},
		{in: "edge/public/HTTPS", wantErr: true},
		{in: "edge/public/", wantErr: true},
	} {
		got, err := parseGatewayRef(c.in)
		if (err != nil) != c.wantErr {
			t.Errorf("parseGatewayRef(%q): error %v, want error %v", c.in, err, c.wantErr)
			continue
		}
		if err == nil && got != c.want {
			t.Errorf("parseGatewayRef(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

// TestRevisionServices: each target group's Service is copied once per
// revision of the split, named after the revision, ClusterIP, with the
// revision role; one revision gives one; without the Gateway annotation,
// none.
func TestRevisionServices(t *testing.T) {
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "web", "ns"
	svc.Annotations = map[string]string{AnnotationGateway: "gw", AnnotationLoadBalancerType: "LoadBalancer"}
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-tg/1", ContainerName: "app", ContainerPort: ptr.To[int32](8080)}}
	td := &ecsv1alpha1.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "app",
		PortMappings: []ecsv1alpha1.PortMapping{{ContainerPort: ptr.To[int32](8080)}}}}}
	lbs, err := KubeServices(svc, td)
	if err != nil || len(lbs) != 1 {
		t.Fatalf("KubeServices: %v, %d", err, len(lbs))
	}
	two, err := RevisionServices(svc, lbs, Traffic{Blue: "ecs-svc/1111111111222", Green: "ecs-svc/3333333333444"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rs := range two {
		got = append(got, rs.DeploymentID+" "+*rs.Service.Name+" "+string(*rs.Service.Spec.Type)+" "+rs.Service.Labels[LabelRole])
	}
	want := []string{"ecs-svc/1111111111222 web-tg-1111111111 ClusterIP revision", "ecs-svc/3333333333444 web-tg-3333333333 ClusterIP revision"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if *lbs[0].Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("the target group's Service was changed: %s", *lbs[0].Spec.Type)
	}
	if one, _ := RevisionServices(svc, lbs, Traffic{Green: "ecs-svc/3333333333444"}); len(one) != 1 {
		t.Errorf("one revision: %d Services", len(one))
	}
	delete(svc.Annotations, AnnotationGateway)
	if none, _ := RevisionServices(svc, lbs, Traffic{Green: "ecs-svc/3333333333444"}); len(none) != 0 {
		t.Errorf("without the Gateway annotation: %d Services", len(none))
	}
}
