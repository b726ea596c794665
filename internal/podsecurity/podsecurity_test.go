package podsecurity

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/translate"
)

// fargate is a plain Fargate task definition: one essential container,
// awsvpc, as the ECS console writes it.
func fargate(mut ...func(*ecsv1alpha1.RegisterTaskDefinitionInput)) *ecsv1alpha1.RegisterTaskDefinitionInput {
	td := &ecsv1alpha1.RegisterTaskDefinitionInput{
		Family: "web", NetworkMode: ecsv1alpha1.NetworkModeAwsvpc, Cpu: "256", Memory: "512",
		RequiresCompatibilities: []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityFargate},
		ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{
			Name: "app", Image: "public.ecr.aws/nginx/nginx:1", Essential: ptr.To(true),
			PortMappings: []ecsv1alpha1.PortMapping{{ContainerPort: ptr.To[int32](80)}},
		}},
	}
	for _, m := range mut {
		m(td)
	}
	return td
}

func app(td *ecsv1alpha1.RegisterTaskDefinitionInput) *ecsv1alpha1.ContainerDefinition {
	return &td.ContainerDefinitions[0]
}

// hardened is what a task definition sets so that its pods meet
// restricted: a numeric non-root user, no-new-privileges, every
// capability dropped.
func hardened(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
	app(td).User = "1000"
	app(td).DockerSecurityOptions = []string{"no-new-privileges"}
	app(td).LinuxParameters = &ecsv1alpha1.LinuxParameters{Capabilities: &ecsv1alpha1.KernelCapabilities{Drop: []string{"ALL"}}}
}

// evaluate translates td as the Service controller does and evaluates its
// pod template.
func evaluate(t *testing.T, td *ecsv1alpha1.RegisterTaskDefinitionInput) Result {
	t.Helper()
	pt, err := translate.TranslatePodWith(td, translate.Placement{LaunchType: ecsv1alpha1.LaunchTypeFargate}, translate.ServiceTask, translate.Features{})
	if err != nil {
		t.Fatal(err)
	}
	meta, spec, err := Pod(pt.Annotations, pt.Spec)
	if err != nil {
		t.Fatal(err)
	}
	return Evaluate(meta, spec)
}

const (
	reasonEscalation = `allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)`
	reasonCaps       = `unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"])`
	reasonNonRoot    = `runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)`
)

func TestEvaluateTranslatedTaskDefinitions(t *testing.T) {
	for _, tc := range []struct {
		name string
		td   *ecsv1alpha1.RegisterTaskDefinitionInput
		want Result
	}{{
		// Berth's default: ECS runs a container as its image's user, with
		// Docker's default capabilities and privilege escalation allowed;
		// Berth keeps that, and adds only the RuntimeDefault seccomp
		// profile (Docker's default, which ECS tasks run with).
		name: "plain Fargate task meets baseline",
		td:   fargate(),
		want: Result{Level: Baseline, Reasons: []string{reasonEscalation, reasonCaps, reasonNonRoot}},
	}, {
		name: "numeric non-root user, no-new-privileges and capabilities drop ALL meet restricted",
		td:   fargate(hardened),
		want: Result{Level: Restricted},
	}, {
		name: "hardened, as root",
		td:   fargate(hardened, func(td *ecsv1alpha1.RegisterTaskDefinitionInput) { app(td).User = "0" }),
		want: Result{Level: Baseline, Reasons: []string{reasonNonRoot, `runAsUser=0 (container "app" must not set runAsUser=0)`}},
	}, {
		name: "hardened, as a user name (the image resolves it)",
		td:   fargate(hardened, func(td *ecsv1alpha1.RegisterTaskDefinitionInput) { app(td).User = "nginx" }),
		want: Result{Level: Baseline, Reasons: []string{reasonNonRoot}},
	}, {
		name: "hardened, adding NET_BIND_SERVICE",
		td: fargate(hardened, func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
			app(td).LinuxParameters.Capabilities.Add = []string{"NET_BIND_SERVICE"}
		}),
		want: Result{Level: Restricted},
	}, {
		name: "privileged container",
		td:   fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) { app(td).Privileged = ptr.To(true) }),
		want: Result{Level: Privileged, Reasons: []string{`privileged (container "app" must not set securityContext.privileged=true)`}},
	}, {
		name: "a capability Docker grants by default",
		td: fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
			app(td).LinuxParameters = &ecsv1alpha1.LinuxParameters{Capabilities: &ecsv1alpha1.KernelCapabilities{Add: []string{"CHOWN"}}}
		}),
		want: Result{Level: Baseline, Reasons: []string{
			reasonEscalation,
			`unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]; container "app" must not include "CHOWN" in securityContext.capabilities.add)`,
			reasonNonRoot,
		}},
	}, {
		name: "a capability beyond Docker's defaults",
		td: fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
			app(td).LinuxParameters = &ecsv1alpha1.LinuxParameters{Capabilities: &ecsv1alpha1.KernelCapabilities{Add: []string{"NET_ADMIN", "SYS_TIME"}}}
		}),
		want: Result{Level: Privileged, Reasons: []string{`non-default capabilities (container "app" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add)`}},
	}, {
		// The API server defaults hostPort to containerPort on the host
		// network, so admission names both.
		name: "networkMode host",
		td: fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
			td.NetworkMode = ecsv1alpha1.NetworkModeHost
			td.RequiresCompatibilities = []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityEc2}
		}),
		want: Result{Level: Privileged, Reasons: []string{`host namespaces (hostNetwork=true)`, `hostPort (container "app" uses hostPort 80)`}},
	}, {
		name: "bridge with a host port",
		td: fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
			td.NetworkMode = ecsv1alpha1.NetworkModeBridge
			td.RequiresCompatibilities = []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityEc2}
			app(td).PortMappings[0].HostPort = ptr.To[int32](8080)
		}),
		want: Result{Level: Privileged, Reasons: []string{`hostPort (container "app" uses hostPort 8080)`}},
	}, {
		name: "pidMode and ipcMode host",
		td: fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
			td.PidMode, td.IpcMode = ecsv1alpha1.PidModeHost, ecsv1alpha1.IpcModeHost
			td.RequiresCompatibilities = []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityEc2}
		}),
		want: Result{Level: Privileged, Reasons: []string{`host namespaces (hostPID=true, hostIPC=true)`}},
	}, {
		name: "a bind mount host volume",
		td: fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
			td.Volumes = []ecsv1alpha1.Volume{{Name: "data", Host: &ecsv1alpha1.HostVolumeProperties{SourcePath: "/srv/data"}}}
			app(td).MountPoints = []ecsv1alpha1.MountPoint{{SourceVolume: "data", ContainerPath: "/data"}}
		}),
		want: Result{Level: Privileged, Reasons: []string{`hostPath volumes (volume "data")`}},
	}, {
		// Berth's FireLens router reads the node's pod log files.
		name: "FireLens",
		td: fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
			app(td).LogConfiguration = &ecsv1alpha1.LogConfiguration{LogDriver: ecsv1alpha1.LogDriverAwsfirelens, Options: map[string]string{"Name": "stdout"}}
			td.ContainerDefinitions = append(td.ContainerDefinitions, ecsv1alpha1.ContainerDefinition{
				Name: "log_router", Image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable", Essential: ptr.To(true),
				FirelensConfiguration: &ecsv1alpha1.FirelensConfiguration{Type: ecsv1alpha1.FirelensConfigurationTypeFluentbit},
			})
		}),
		want: Result{Level: Privileged, Reasons: []string{`hostPath volumes (volume "berth-pod-logs")`}},
	}, {
		name: "a sysctl outside the safe set",
		td: fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
			app(td).SystemControls = []ecsv1alpha1.SystemControl{{Namespace: "net.core.somaxconn", Value: "1024"}}
		}),
		want: Result{Level: Privileged, Reasons: []string{`forbidden sysctls (net.core.somaxconn)`}},
	}, {
		name: "AppArmor unconfined",
		td: fargate(hardened, func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
			app(td).DockerSecurityOptions = append(app(td).DockerSecurityOptions, "apparmor:unconfined")
		}),
		want: Result{Level: Privileged, Reasons: []string{`forbidden AppArmor profile (container "app" must not set AppArmor profile type to "Unconfined")`}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, evaluate(t, tc.td)); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s", diff)
			}
		})
	}
}

// The same pod gives the same result, in the same order, every time: the
// status field built from it writes nothing on a no-op reconcile.
func TestEvaluateIsDeterministic(t *testing.T) {
	td := fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
		td.ContainerDefinitions = append(td.ContainerDefinitions,
			ecsv1alpha1.ContainerDefinition{Name: "b", Image: "busybox", Privileged: ptr.To(true)},
			ecsv1alpha1.ContainerDefinition{Name: "a", Image: "busybox", Privileged: ptr.To(true),
				LinuxParameters: &ecsv1alpha1.LinuxParameters{Capabilities: &ecsv1alpha1.KernelCapabilities{Add: []string{"SYS_ADMIN", "NET_ADMIN"}}}})
		td.Volumes = []ecsv1alpha1.Volume{{Name: "z", Host: &ecsv1alpha1.HostVolumeProperties{SourcePath: "/z"}}, {Name: "y", Host: &ecsv1alpha1.HostVolumeProperties{SourcePath: "/y"}}}
	})
	first := evaluate(t, td)
	if first.Level != Privileged || len(first.Reasons) != 3 {
		t.Fatalf("Evaluate = %+v; want privileged with 3 reasons", first)
	}
	for range 50 {
		if diff := cmp.Diff(first, evaluate(t, td)); diff != "" {
			t.Fatalf("Evaluate is not deterministic (-first +now):\n%s", diff)
		}
	}
}

func TestViolation(t *testing.T) {
	pt, err := translate.TranslatePod(fargate(func(td *ecsv1alpha1.RegisterTaskDefinitionInput) { app(td).Privileged = ptr.To(true) }),
		translate.Placement{}, translate.ServiceTask)
	if err != nil {
		t.Fatal(err)
	}
	meta, spec, err := Pod(pt.Annotations, pt.Spec)
	if err != nil {
		t.Fatal(err)
	}
	// kube-apiserver's words, with the failed checks in its order.
	want := `violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true), ` +
		reasonEscalation + ", " + reasonCaps + ", " + reasonNonRoot
	if got := Violation(api.LevelVersion{Level: Restricted, Version: Latest}, meta, spec); got != want {
		t.Errorf("Violation(restricted:latest) =\n%s\nwant\n%s", got, want)
	}
	v130, _ := api.ParseVersion("v1.30")
	if got, want := Violation(api.LevelVersion{Level: Baseline, Version: v130}, meta, spec),
		`violates PodSecurity "baseline:v1.30": privileged (container "app" must not set securityContext.privileged=true)`; got != want {
		t.Errorf("Violation(baseline:v1.30) = %s; want %s", got, want)
	}
	if got := Violation(api.LevelVersion{Level: Privileged, Version: Latest}, meta, spec); got != "" {
		t.Errorf("Violation(privileged) = %q; want none", got)
	}
}

func TestEnforced(t *testing.T) {
	for _, tc := range []struct {
		name    string
		labels  map[string]string
		want    string
		wantErr bool
	}{
		{name: "no labels: the admission controller's default", want: "privileged:latest"},
		{name: "level", labels: map[string]string{api.EnforceLevelLabel: "baseline"}, want: "baseline:latest"},
		{name: "level and version", labels: map[string]string{api.EnforceLevelLabel: "restricted", api.EnforceVersionLabel: "v1.30"}, want: "restricted:v1.30"},
		{name: "audit and warn are not enforced", labels: map[string]string{api.AuditLevelLabel: "restricted", api.WarnLevelLabel: "nonsense"}, want: "privileged:latest"},
		// As the admission controller does: a level it cannot read is
		// restricted, a version latest.
		{name: "unknown level", labels: map[string]string{api.EnforceLevelLabel: "strict"}, want: "restricted:latest", wantErr: true},
		{name: "unknown version", labels: map[string]string{api.EnforceLevelLabel: "baseline", api.EnforceVersionLabel: "1.30"}, want: "baseline:latest", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lv, err := Enforced(tc.labels)
			if lv.String() != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("Enforced = %s, %v; want %s (error: %t)", lv, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestPodWithoutSpec(t *testing.T) {
	meta, spec, err := Pod(map[string]string{"a": "b"}, nil)
	if err != nil || spec == nil || !cmp.Equal(meta, &metav1.ObjectMeta{Annotations: map[string]string{"a": "b"}}) {
		t.Fatalf("Pod(nil) = %v, %v, %v", meta, spec, err)
	}
	if got := Evaluate(meta, spec); got.Level != Restricted {
		t.Errorf("an empty pod: %+v; want restricted", got)
	}
}
