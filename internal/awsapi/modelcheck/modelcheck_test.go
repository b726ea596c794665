package modelcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "models", "ecs", "service-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	good := `{"service":{"serviceName":"web","status":"ACTIVE","desiredCount":2,"createdAt":1764800000.5,"launchType":"FARGATE",
		"deployments":[{"id":"ecs-svc/1","rolloutState":"COMPLETED"}]}}`
	if p := m.Validate("CreateServiceResponse", []byte(good)); len(p) > 0 {
		t.Errorf("a valid answer was refused: %v", p)
	}
	for doc, want := range map[string]string{
		`{"service":{"launchType":"LAMBDA"}}`:                                                  `"LAMBDA" is not a value of LaunchType`,
		`{"service":{"createdAt":"2026-12-04T00:00:00Z"}}`:                                     "wants a number",
		`{"service":{"desiredCount":"2"}}`:                                                     "wants a number",
		`{"service":{"colour":"blue"}}`:                                                        "has no member colour",
		`{"failures":[{"arn":"x"}],"services":[{"tags":[{}]}]}`:                                "", // Tag has no required members
		`{"taskDefinition":{"containerDefinitions":[{"portMappings":[{"protocol":"sctp"}]}]}}`: `"sctp" is not a value of TransportProtocol`,
	} {
		shape := "CreateServiceResponse"
		if strings.Contains(doc, "failures") {
			shape = "DescribeServicesResponse"
		}
		if strings.Contains(doc, "taskDefinition") {
			shape = "DescribeTaskDefinitionResponse"
		}
		p := strings.Join(m.Validate(shape, []byte(doc)), "\n")
		if want == "" && p != "" || want != "" && !strings.Contains(p, want) {
			t.Errorf("%s: got %q, want %q", doc, p, want)
		}
	}
	if p := m.Validate("ListClustersRequest", []byte(`{}`)); len(p) > 0 {
		t.Errorf("%v", p)
	}
	if p := m.Validate("DeleteClusterRequest", []byte(`{}`)); len(p) != 1 || !strings.Contains(p[0], "required member cluster missing") {
		t.Errorf("a missing required member was not reported: %v", p)
	}
}
