package translate

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func TestResolveSecret(t *testing.T) {
	cases := []struct {
		in   string
		want SecretRef
		err  string
	}{
		{in: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db_Password-a1B2c3",
			want: SecretRef{Name: "prod-db-password", Key: "value", Source: "secretsmanager"}},
		{in: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db",
			want: SecretRef{Name: "prod-db", Key: "value", Source: "secretsmanager"}},
		{in: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf:username::",
			want: SecretRef{Name: "prod-db", Key: "username", Source: "secretsmanager"}},
		{in: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api:key:AWSPREVIOUS:",
			want: SecretRef{Name: "api", Key: "key", Source: "secretsmanager", Version: "AWSPREVIOUS"}},
		{in: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api::AWSCURRENT:e1f2",
			want: SecretRef{Name: "api", Key: "value", Source: "secretsmanager", Version: "AWSCURRENT:e1f2"}},
		{in: "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/Feature_Flags",
			want: SecretRef{Name: "prod-api-feature-flags", Key: "value", Source: "ssm"}},
		{in: "/prod/db.url", want: SecretRef{Name: "prod-db-url", Key: "value", Source: "ssm"}},
		{in: "plain", want: SecretRef{Name: "plain", Key: "value", Source: "ssm"}},
		{in: "arn:aws:s3:::bucket/key", err: "not a Secrets Manager or SSM Parameter Store ARN"},
		{in: "arn:aws:secretsmanager:eu-west-1:1:key:x", err: "not a Secrets Manager secret ARN"},
		{in: "arn:aws:secretsmanager:eu-west-1:1:secret:x:bad/key", err: "cannot be a Kubernetes Secret key"},
		{in: "///", err: "names no SSM parameter"},
	}
	for _, c := range cases {
		got, err := ResolveSecret(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ResolveSecret(%q) error = %v, want %q", c.in, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("ResolveSecret(%q): %v", c.in, err)
		case c.err == "" && got != c.want:
			t.Errorf("ResolveSecret(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestConfigMapForEnvironmentFile(t *testing.T) {
	got, err := ConfigMapForEnvironmentFile("arn:aws:s3:::team-a-config/api/prod.env")
	if err != nil || got != "team-a-config-api-prod" {
		t.Errorf("= %q, %v; want team-a-config-api-prod", got, err)
	}
	if _, err := ConfigMapForEnvironmentFile("s3://bucket/x.env"); err == nil {
		t.Error("an s3:// URL is not an ARN and must be refused")
	}
}

func TestFargateSize(t *testing.T) {
	cases := []struct{ cpu, mem, wantCPU, wantMem int64 }{
		{0, 0, 256, 512},
		{256, 512, 256, 512},
		{300, 512, 512, 1024},
		{256, 3000, 512, 3072},
		{1024, 9000, 2048, 9216},
		{4096, 30721, 8192, 32768},
		{16384, 122880, 16384, 122880},
	}
	for _, c := range cases {
		cpu, mem, ok := FargateSize(c.cpu, c.mem)
		if !ok || cpu != c.wantCPU || mem != c.wantMem {
			t.Errorf("FargateSize(%d, %d) = %d, %d, %v; want %d, %d", c.cpu, c.mem, cpu, mem, ok, c.wantCPU, c.wantMem)
		}
	}
	if _, _, ok := FargateSize(16385, 1); ok {
		t.Error("more than 16 vCPU fits no Fargate size")
	}
	if got := FargateSizeLabel(256, 512); got != "0.25vCPU 0.5GB" {
		t.Errorf("FargateSizeLabel = %q", got)
	}
}

func TestTaskSize(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "1 vCPU": 1024, "0.25 vcpu": 256, "2vCPU": 2048} {
		if got, ok, err := TaskCPUUnits(in); err != nil || !ok || got != want {
			t.Errorf("TaskCPUUnits(%q) = %d, %v, %v; want %d", in, got, ok, err, want)
		}
	}
	for in, want := range map[string]int64{"2048": 2048, "2 GB": 2048, "0.5GB": 512} {
		if got, ok, err := TaskMemoryMiB(in); err != nil || !ok || got != want {
			t.Errorf("TaskMemoryMiB(%q) = %d, %v, %v; want %d", in, got, ok, err, want)
		}
	}
	if _, _, err := TaskCPUUnits("lots"); err == nil {
		t.Error(`TaskCPUUnits("lots") must fail`)
	}
}

func TestParseUser(t *testing.T) {
	for in, want := range map[string][3]int64{"1000": {1000, -1, 1}, "1000:50": {1000, 50, 1}, "root": {0, -1, 1}, "0:root": {0, 0, 1}, "nginx": {0, 0, 0}, "1:x": {0, 0, 0}} {
		uid, gid, ok := parseUser(in)
		got := [3]int64{uid, gid, 0}
		if ok {
			got[2] = 1
		}
		if got != want {
			t.Errorf("parseUser(%q) = %v, want %v", in, got, want)
		}
	}
}

func containers(defs ...ecsv1alpha1.ContainerDefinition) *ecsv1alpha1.RegisterTaskDefinitionInput {
	return &ecsv1alpha1.RegisterTaskDefinitionInput{Family: "f", ContainerDefinitions: defs}
}

func dep(name string, cond ecsv1alpha1.ContainerCondition) ecsv1alpha1.ContainerDependency {
	return ecsv1alpha1.ContainerDependency{ContainerName: name, Condition: cond}
}

// TestInvalidDefinitions: what ECS refuses and admission rules cannot see
// is a typed error naming the field.
func TestInvalidDefinitions(t *testing.T) {
	cases := map[string]struct {
		td   *ecsv1alpha1.RegisterTaskDefinitionInput
		want string
	}{
		"a cycle of three": {containers(
			ecsv1alpha1.ContainerDefinition{Name: "a", Image: "i", DependsOn: []ecsv1alpha1.ContainerDependency{dep("b", "START")}},
			ecsv1alpha1.ContainerDefinition{Name: "b", Image: "i", DependsOn: []ecsv1alpha1.ContainerDependency{dep("c", "START")}},
			ecsv1alpha1.ContainerDefinition{Name: "c", Image: "i", DependsOn: []ecsv1alpha1.ContainerDependency{dep("a", "START")}},
			ecsv1alpha1.ContainerDefinition{Name: "app", Image: "i"},
		), "containerDefinitions: Invalid value: \"a, b, c\": dependsOn has a circular dependency among containers a, b, c"},
		"unknown dependency": {containers(
			ecsv1alpha1.ContainerDefinition{Name: "a", Image: "i", DependsOn: []ecsv1alpha1.ContainerDependency{dep("x", "START")}},
		), `containerDefinitions[0].dependsOn[0].containerName: Not found: "x"`},
		"unknown volume": {containers(
			ecsv1alpha1.ContainerDefinition{Name: "a", Image: "i", MountPoints: []ecsv1alpha1.MountPoint{{SourceVolume: "v", ContainerPath: "/v"}}},
		), `containerDefinitions[0].mountPoints[0].sourceVolume: Not found: "v"`},
		"volumesFrom itself": {containers(
			ecsv1alpha1.ContainerDefinition{Name: "a", Image: "i", VolumesFrom: []ecsv1alpha1.VolumeFrom{{SourceContainer: "a"}}},
		), "containerDefinitions[0].volumesFrom[0].sourceContainer: Invalid value: \"a\": volumesFrom has a circular reference"},
		"names equal in Kubernetes": {containers(
			ecsv1alpha1.ContainerDefinition{Name: "App", Image: "i"},
			ecsv1alpha1.ContainerDefinition{Name: "app", Image: "i"},
		), "containerDefinitions[1].name: Duplicate value"},
		"containers larger than the task": {&ecsv1alpha1.RegisterTaskDefinitionInput{Family: "f", Cpu: "256", ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{
			{Name: "a", Image: "i", Cpu: ptr.To[int32](512)},
		}}, "the containers reserve 512 CPU units in total, more than the task's 256"},
		"secret that is not an ARN of a secret": {containers(
			ecsv1alpha1.ContainerDefinition{Name: "a", Image: "i", Secrets: []ecsv1alpha1.Secret{{Name: "X", ValueFrom: "arn:aws:s3:::b/k"}}},
		), "containerDefinitions[0].secrets[0].valueFrom"},
		"S3 Files volume of an EFS ARN": {&ecsv1alpha1.RegisterTaskDefinitionInput{Family: "f", ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "a", Image: "i"}},
			Volumes: []ecsv1alpha1.Volume{{Name: "w", S3filesVolumeConfiguration: &ecsv1alpha1.S3FilesVolumeConfiguration{FileSystemArn: "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0"}}}},
			`volumes[0].s3filesVolumeConfiguration.fileSystemArn: Invalid value: "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0": must be an S3 Files file system ARN`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := TranslatePod(c.td, Placement{}, ServiceTask)
			var invalid *InvalidError
			if !errors.As(err, &invalid) {
				t.Fatalf("want an *InvalidError, got %v", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// TestDependsOnOrder: dependencies run first, in dependency order, ties in
// definition order; only depended-on containers leave the main list.
func TestDependsOnOrder(t *testing.T) {
	td := containers(
		ecsv1alpha1.ContainerDefinition{Name: "app", Image: "i", DependsOn: []ecsv1alpha1.ContainerDependency{dep("proxy", "START"), dep("migrate", "SUCCESS")}},
		ecsv1alpha1.ContainerDefinition{Name: "proxy", Image: "i", DependsOn: []ecsv1alpha1.ContainerDependency{dep("config", "COMPLETE")}},
		ecsv1alpha1.ContainerDefinition{Name: "migrate", Image: "i", Essential: ptr.To(false), DependsOn: []ecsv1alpha1.ContainerDependency{dep("config", "SUCCESS")}},
		ecsv1alpha1.ContainerDefinition{Name: "config", Image: "i", Essential: ptr.To(false)},
		ecsv1alpha1.ContainerDefinition{Name: "metrics", Image: "i"},
	)
	pod, err := TranslatePod(td, Placement{}, ServiceTask)
	if err != nil {
		t.Fatal(err)
	}
	spec := pod.Spec
	var inits, mains []string
	for _, c := range spec.InitContainers {
		kind := "init"
		if c.RestartPolicy != nil {
			kind = string(*c.RestartPolicy)
		}
		inits = append(inits, *c.Name+":"+kind)
	}
	for _, c := range spec.Containers {
		mains = append(mains, *c.Name)
	}
	if diff := cmp.Diff([]string{"config:init", "proxy:Always", "migrate:init"}, inits); diff != "" {
		t.Errorf("init containers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"app", "metrics"}, mains); diff != "" {
		t.Errorf("containers (-want +got):\n%s", diff)
	}
}

func TestApplyOverrides(t *testing.T) {
	td := containers(ecsv1alpha1.ContainerDefinition{Name: "app", Image: "i", Command: []string{"serve"}, Cpu: ptr.To[int32](256),
		Environment: []ecsv1alpha1.KeyValuePair{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}})
	got, err := ApplyOverrides(td, &ecsv1alpha1.TaskOverride{Cpu: "1024", ContainerOverrides: []ecsv1alpha1.ContainerOverride{{
		Name: "app", Command: []string{"migrate"}, Cpu: ptr.To[int32](512),
		Environment: []ecsv1alpha1.KeyValuePair{{Name: "B", Value: "20"}, {Name: "C", Value: "3"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	c := got.ContainerDefinitions[0]
	if got.Cpu != "1024" || *c.Cpu != 512 || c.Command[0] != "migrate" {
		t.Errorf("overrides not applied: %+v", got)
	}
	if diff := cmp.Diff([]ecsv1alpha1.KeyValuePair{{Name: "A", Value: "1"}, {Name: "B", Value: "20"}, {Name: "C", Value: "3"}}, c.Environment); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	if td.ContainerDefinitions[0].Command[0] != "serve" || *td.ContainerDefinitions[0].Cpu != 256 {
		t.Error("the task definition was modified")
	}
	if _, err := ApplyOverrides(td, &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{{Name: "nope"}}}); err == nil ||
		!strings.Contains(err.Error(), `overrides.containerOverrides[0].name: Not found: "nope"`) {
		t.Errorf("an override of an unknown container: %v", err)
	}
}

func TestFirelens(t *testing.T) {
	app := ecsv1alpha1.ContainerDefinition{Name: "app", Image: "i", LogConfiguration: &ecsv1alpha1.LogConfiguration{
		LogDriver: ecsv1alpha1.LogDriverAwsfirelens, Options: map[string]string{"@type": "stdout", "Name": "x", "bad\nkey": "v"}}}
	if _, err := TranslatePod(containers(app), Placement{}, ServiceTask); err == nil ||
		!strings.Contains(err.Error(), "the awsfirelens log driver needs a container with a firelensConfiguration") {
		t.Errorf("awsfirelens without a FireLens container: %v", err)
	}
	router := ecsv1alpha1.ContainerDefinition{Name: "router", Image: "fluentd", FirelensConfiguration: &ecsv1alpha1.FirelensConfiguration{
		Type: ecsv1alpha1.FirelensConfigurationTypeFluentd, Options: map[string]string{"config-file-type": "file", "config-file-value": "/extra.conf"}}}
	pod, err := TranslatePod(containers(app, router), Placement{}, StandaloneTask)
	if err != nil {
		t.Fatal(err)
	}
	conf := pod.Annotations[ecsv1alpha1.AnnotationFirelensConfig]
	for _, want := range []string{"@type tail", "path /var/log/pods/#{ENV['POD_NAMESPACE']}_#{ENV['POD_NAME']}_#{ENV['POD_UID']}/app/*.log",
		"<match app-firelens-*>\n  @type stdout", "@include /extra.conf", "  bad key v\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("the Fluentd configuration lacks %q:\n%s", want, conf)
		}
	}
	if len(pod.Spec.InitContainers) != 1 || *pod.Spec.InitContainers[0].Name != "router" {
		t.Errorf("the FireLens container must start first, as a sidecar")
	}
}

// TestOlderKubernetes: on a cluster without pod-level resources, container
// restart rules or hostnameOverride, the translation falls back and says so.
func TestOlderKubernetes(t *testing.T) {
	td := &ecsv1alpha1.RegisterTaskDefinitionInput{Family: "f", Cpu: "512", Memory: "1024", ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{
		{Name: "app", Image: "i", Hostname: "api.corp", RestartPolicy: &ecsv1alpha1.ContainerRestartPolicy{Enabled: true}},
	}}
	newest, err := TranslatePod(td, Placement{}, ServiceTask)
	if err != nil {
		t.Fatal(err)
	}
	if newest.Spec.Resources == nil || newest.Spec.HostnameOverride == nil || newest.Spec.Containers[0].RestartPolicy == nil {
		t.Fatalf("the newest Kubernetes: pod resources, hostnameOverride and a container restart policy expected")
	}
	old, err := TranslatePodWith(td, Placement{}, StandaloneTask, Features{KubernetesMinor: 33})
	if err != nil {
		t.Fatal(err)
	}
	s := old.Spec
	if s.Resources != nil || s.HostnameOverride != nil || s.Containers[0].RestartPolicy != nil {
		t.Errorf("1.33 has none of pod resources, hostnameOverride, container restart policies: %+v", s)
	}
	if s.Hostname == nil || *s.Hostname != "api" || s.Subdomain == nil || *s.Subdomain != "corp" {
		t.Errorf("hostname %v subdomain %v, want api and corp", s.Hostname, s.Subdomain)
	}
	var paths []string
	notes, err := ReportWith(td, Features{KubernetesMinor: 33})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		paths = append(paths, string(n.Level)+" "+n.Path)
	}
	// Report is a service task's: its container is restarted in place.
	if diff := cmp.Diff([]string{"Approximated containerDefinitions[0].essential", "Approximated cpu"}, paths); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

// TestSysctlSetTwice: ECS registers a namespaced sysctl that two
// containers set differently (the container started last decides under
// awsvpc); the pod has one value, the last container's, and the
// difference is reported on that container's value.
func TestSysctlSetTwice(t *testing.T) {
	td := containers(
		ecsv1alpha1.ContainerDefinition{Name: "app", Image: "i", SystemControls: []ecsv1alpha1.SystemControl{{Namespace: "net.core.somaxconn", Value: "1024"}}},
		ecsv1alpha1.ContainerDefinition{Name: "proxy", Image: "i", SystemControls: []ecsv1alpha1.SystemControl{
			{Namespace: "net.core.somaxconn", Value: "4096"}, {Namespace: "net.ipv4.tcp_keepalive_time", Value: "60"}}},
	)
	td.NetworkMode = ecsv1alpha1.NetworkModeAwsvpc
	pod, err := TranslatePod(td, Placement{}, ServiceTask)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range pod.Spec.SecurityContext.Sysctls {
		got[*s.Name] = *s.Value
	}
	if diff := cmp.Diff(map[string]string{"net.core.somaxconn": "4096", "net.ipv4.tcp_keepalive_time": "60"}, got); diff != "" {
		t.Errorf("pod sysctls (-want +got):\n%s", diff)
	}
	notes, err := Report(td)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, n := range notes {
		if strings.Contains(n.Path, "systemControls") {
			paths = append(paths, n.Path+" "+string(n.Level))
		}
	}
	if diff := cmp.Diff([]string{"containerDefinitions[1].systemControls[0].value Approximated"}, paths); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}
