package translate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func lbTaskDefinition() *ecsv1alpha1.RegisterTaskDefinitionInput {
	return &ecsv1alpha1.RegisterTaskDefinitionInput{Family: "web", ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{
		Name: "app", Image: "app",
		PortMappings: []ecsv1alpha1.PortMapping{
			{ContainerPort: ptr.To[int32](8080), Name: "http"},
			{ContainerPort: ptr.To[int32](9090), Name: "metrics"},
		},
	}}}
}

func TestKubeServices(t *testing.T) {
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "team", UID: "u"}}
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{
		{TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/6d0ecf831eec9f09", ContainerName: "app", ContainerPort: ptr.To[int32](8080)},
		{TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/6d0ecf831eec9f09", ContainerName: "app", ContainerPort: ptr.To[int32](9090)},
	}
	svc.Spec.ServiceRegistries = []ecsv1alpha1.ServiceRegistry{{RegistryArn: "arn:aws:servicediscovery:us-east-1:000000000000:service/srv-1", ContainerName: "app", ContainerPort: ptr.To[int32](8080)}}
	svc.Spec.ServiceConnectConfiguration = &ecsv1alpha1.ServiceConnectConfiguration{Enabled: true, Namespace: "team", Services: []ecsv1alpha1.ServiceConnectService{
		{PortName: "http", DiscoveryName: "web-api", ClientAliases: []ecsv1alpha1.ServiceConnectClientAlias{{Port: 80, DnsName: "api.team"}, {Port: 8080}}},
	}}
	got, err := KubeServices(svc, lbTaskDefinition())
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, s := range got {
		line := *s.Name + " " + s.Labels[LabelRole]
		if s.Spec.ClusterIP != nil {
			line += " headless"
		}
		for _, p := range s.Spec.Ports {
			line += " " + *p.Name + "->" + p.TargetPort.String()
		}
		if s.Spec.Selector[ecsv1alpha1.LabelService] != "web" || s.OwnerReferences[0].Name == nil || *s.OwnerReferences[0].Name != "web" {
			t.Errorf("%s: selector %v, owner %v", *s.Name, s.Spec.Selector, s.OwnerReferences)
		}
		summary = append(summary, line)
	}
	want := []string{
		"api service-connect tcp-80->8080",
		"web service-registry headless tcp-8080->8080",
		"web-api service-connect tcp-8080->8080",
		"web-tg load-balancer tcp-8080->8080 tcp-9090->9090",
	}
	if strings.Join(summary, "\n") != strings.Join(want, "\n") {
		t.Errorf("services:\n%s\nwant:\n%s", strings.Join(summary, "\n"), strings.Join(want, "\n"))
	}
	// Deterministic.
	again, _ := KubeServices(svc, lbTaskDefinition())
	a, _ := yaml.Marshal(got)
	b, _ := yaml.Marshal(again)
	if string(a) != string(b) {
		t.Error("KubeServices is not deterministic")
	}
}

func TestKubeServicesErrors(t *testing.T) {
	cases := map[string]struct {
		spec ecsv1alpha1.CreateServiceInput
		want string
	}{
		"unmapped container port": {
			spec: ecsv1alpha1.CreateServiceInput{LoadBalancers: []ecsv1alpha1.LoadBalancer{{TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:0:targetgroup/tg/1", ContainerName: "app", ContainerPort: ptr.To[int32](81)}}},
			want: "spec.loadBalancers[0].containerPort: Invalid value: 81: The container app did not have a container port 81 defined.",
		},
		"unknown port name": {
			spec: ecsv1alpha1.CreateServiceInput{ServiceConnectConfiguration: &ecsv1alpha1.ServiceConnectConfiguration{Enabled: true, Services: []ecsv1alpha1.ServiceConnectService{{PortName: "grpc"}}}},
			want: "spec.serviceConnectConfiguration.services[0].portName",
		},
		"alias that is no DNS label": {
			spec: ecsv1alpha1.CreateServiceInput{ServiceConnectConfiguration: &ecsv1alpha1.ServiceConnectConfiguration{Enabled: true, Services: []ecsv1alpha1.ServiceConnectService{
				{PortName: "http", ClientAliases: []ecsv1alpha1.ServiceConnectClientAlias{{Port: 80, DnsName: "api.example.internal"}}}}}},
			want: "spec.serviceConnectConfiguration.services[0].clientAliases[0].dnsName",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "team"}}
			svc.Spec.CreateServiceInput = c.spec
			_, err := KubeServices(svc, lbTaskDefinition())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// With load balancers, a stopping task drains for the deregistration delay.
func TestDeploymentDrainsLoadBalancedTasks(t *testing.T) {
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "team",
		Annotations: map[string]string{AnnotationDeregistrationDelay: "20"}}}
	svc.Spec.DesiredCount = ptr.To[int32](1)
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:0:targetgroup/tg/1", ContainerName: "app", ContainerPort: ptr.To[int32](8080)}}
	d, err := Deployment(svc, Revision{TaskDefinition: "web", Number: 1, Spec: lbTaskDefinition()}, Placement{LaunchType: ecsv1alpha1.LaunchTypeEc2}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	spec := d.Spec.Template.Spec
	if got := *spec.Containers[0].Lifecycle.PreStop.Sleep.Seconds; got != 20 {
		t.Errorf("preStop sleep = %d, want 20", got)
	}
	if got := *spec.TerminationGracePeriodSeconds; got != 50 {
		t.Errorf("terminationGracePeriodSeconds = %d, want 50", got)
	}
	if d.Spec.MinReadySeconds != nil {
		t.Errorf("minReadySeconds = %d: a load-balanced task is healthy when its target is", *d.Spec.MinReadySeconds)
	}
}

// A strategy of several providers runs as one Deployment per provider,
// each on its pool only, all with one template hash and deployment id.
func TestDeploymentsSlicedByProvider(t *testing.T) {
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "team", UID: "u"}}
	svc.Spec.DesiredCount = ptr.To[int32](6)
	fg := cp("fargate", "FARGATE", ecsv1alpha1.CapacityProviderFargate)
	spot := cp("fargate-spot", "FARGATE_SPOT", ecsv1alpha1.CapacityProviderFargateSpot)
	spot.Spec.NodePool.Taints = []corev1.Taint{{Key: "spot", Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	p := Placement{Providers: []*ecsv1alpha1.CapacityProvider{fg, spot}, Strategy: []ecsv1alpha1.CapacityProviderStrategyItem{
		{CapacityProvider: "FARGATE", Base: ptr.To[int32](1), Weight: ptr.To[int32](1)}, {CapacityProvider: "FARGATE_SPOT", Weight: ptr.To[int32](4)}}}
	rev := Revision{TaskDefinition: "web", Number: 1, Spec: lbTaskDefinition()}
	got, err := Deployments(svc, rev, p, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || *got[0].Name != "web-fargate" || *got[1].Name != "web-fargate-spot" {
		t.Fatalf("Deployments = %d, want web-fargate and web-fargate-spot", len(got))
	}
	whole, err := Deployment(svc, rev, p, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range got {
		pool := p.Providers[i].Name
		if d.Spec.Selector.MatchLabels[ecsv1alpha1.LabelCapacityProvider] != pool || d.Spec.Template.Labels[ecsv1alpha1.LabelCapacityProvider] != pool {
			t.Errorf("%s: selector %v, pod labels %v: want %s=%s in both", *d.Name, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels, ecsv1alpha1.LabelCapacityProvider, pool)
		}
		if d.Spec.Template.Spec.NodeSelector[ecsv1alpha1.LabelCapacityProvider] != pool || d.Spec.Template.Spec.Affinity != nil {
			t.Errorf("%s: node selector %v, affinity %v: want its pool only", *d.Name, d.Spec.Template.Spec.NodeSelector, d.Spec.Template.Spec.Affinity)
		}
		for _, k := range []string{ecsv1alpha1.AnnotationTemplateHash, ecsv1alpha1.AnnotationStartedBy} {
			if d.Spec.Template.Annotations[k] != whole.Spec.Template.Annotations[k] {
				t.Errorf("%s: %s = %s, want the whole placement's %s", *d.Name, k, d.Spec.Template.Annotations[k], whole.Spec.Template.Annotations[k])
			}
		}
	}
	if n := len(got[1].Spec.Template.Spec.Tolerations); n != 1 {
		t.Errorf("the spot slice tolerates %d taints, want its pool's 1", n)
	}
	if n := len(got[0].Spec.Template.Spec.Tolerations); n != 0 {
		t.Errorf("the FARGATE slice tolerates %d taints, want none", n)
	}
	// A lone provider is one Deployment named after the Service.
	one, err := Deployments(svc, rev, Placement{LaunchType: ecsv1alpha1.LaunchTypeFargate, Providers: []*ecsv1alpha1.CapacityProvider{fg}}, Config{})
	if err != nil || len(one) != 1 || *one[0].Name != "web" {
		t.Fatalf("a single provider: %v, %d Deployments", err, len(one))
	}
}
