package translate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func TestUnsupported(t *testing.T) {
	td := &ecsv1alpha1.RegisterTaskDefinitionInput{
		Family: "web", NetworkMode: ecsv1alpha1.NetworkModeAwsvpc, Cpu: "256", Memory: "512",
		ExecutionRoleArn: "arn:aws:iam::1:role/x",
		ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{
			{
				Name: "app", Image: "nginx", Cpu: ptr.To[int32](128),
				Environment:  []ecsv1alpha1.KeyValuePair{{Name: "A", Value: "1"}},
				PortMappings: []ecsv1alpha1.PortMapping{{ContainerPort: ptr.To[int32](80), HostPort: ptr.To[int32](80), AppProtocol: ecsv1alpha1.ApplicationProtocolHttp}},
				HealthCheck:  &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "true"}, Retries: ptr.To[int32](3)},
			},
			{Name: "sidecar", Image: "envoy", Secrets: []ecsv1alpha1.Secret{{Name: "S", ValueFrom: "arn:aws:ssm:x"}}},
		},
	}
	want := []string{
		"containerDefinitions[].healthCheck",
		"containerDefinitions[].portMappings[].appProtocol",
		"containerDefinitions[].portMappings[].hostPort",
		"containerDefinitions[].secrets",
		"cpu",
		"executionRoleArn",
		"memory",
	}
	if diff := cmp.Diff(want, Unsupported(td)); diff != "" {
		t.Errorf("Unsupported (-want +got):\n%s", diff)
	}
	minimal := &ecsv1alpha1.RegisterTaskDefinitionInput{Family: "f", ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "a", Image: "b", Memory: ptr.To[int32](64)}}}
	if got := Unsupported(minimal); len(got) != 0 {
		t.Errorf("a minimal task definition is fully honoured, got %v", got)
	}
}
