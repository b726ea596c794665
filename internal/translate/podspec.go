package translate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

// TaskKind is what a pod runs: a Service's task or a standalone Task.
type TaskKind int

const (
	// ServiceTask pods belong to a Deployment: restartPolicy Always.
	ServiceTask TaskKind = iota
	// StandaloneTask pods are never restarted: when one stops, the task
	// is STOPPED.
	StandaloneTask
)

// Kubernetes labels for the runtime platform.
const (
	labelArch         = "kubernetes.io/arch"
	labelOS           = "kubernetes.io/os"
	labelWindowsBuild = "node.kubernetes.io/windows-build"
)

// windowsBuilds are the node.kubernetes.io/windows-build values of the
// Windows Server versions ECS names.
var windowsBuilds = map[ecsv1alpha1.OSFamily]string{
	ecsv1alpha1.OSFamilyWindowsServer2016Full: "10.0.14393",
	ecsv1alpha1.OSFamilyWindowsServer2019Full: "10.0.17763",
	ecsv1alpha1.OSFamilyWindowsServer2019Core: "10.0.17763",
	ecsv1alpha1.OSFamilyWindowsServer2004Core: "10.0.19041",
	ecsv1alpha1.OSFamilyWindowsServer20h2Core: "10.0.19042",
	ecsv1alpha1.OSFamilyWindowsServer2022Core: "10.0.20348",
	ecsv1alpha1.OSFamilyWindowsServer2022Full: "10.0.20348",
	ecsv1alpha1.OSFamilyWindowsServer2025Core: "10.0.26100",
	ecsv1alpha1.OSFamilyWindowsServer2025Full: "10.0.26100",
}

// InvalidError is a task definition Berth cannot run, with the offending
// fields.
type InvalidError struct {
	Errs field.ErrorList
}

func (e *InvalidError) Error() string {
	return "invalid task definition: " + e.Errs.ToAggregate().Error()
}

// PodTemplate is a translated task: the pod's annotations and spec. (The
// fidelity notes of a translation are Report's.)
type PodTemplate struct {
	Annotations map[string]string
	Spec        *corev1ac.PodSpecApplyConfiguration
}

// containerMeta is what the containers annotation records of a container.
type containerMeta struct {
	Name        string `json:"name"`
	Essential   bool   `json:"essential"`
	HealthCheck bool   `json:"healthCheck,omitempty"`
	StartPeriod int32  `json:"startPeriod,omitempty"`
	Interval    int32  `json:"interval,omitempty"`
	Retries     int32  `json:"retries,omitempty"`
	// LogGroup and LogStreamPrefix are awslogs' names, when it is used.
	LogGroup        string `json:"logGroup,omitempty"`
	LogStreamPrefix string `json:"logStreamPrefix,omitempty"`
}

// ContainerInfo is the containers annotation of a pod, decoded.
type ContainerInfo = containerMeta

// DecodeContainers reads a pod's containers annotation: Kubernetes
// container name → what the task definition says of it.
func DecodeContainers(annotation string) (map[string]ContainerInfo, error) {
	res := map[string]ContainerInfo{}
	if annotation == "" {
		return res, nil
	}
	err := json.Unmarshal([]byte(annotation), &res)
	return res, err
}

// builder carries one translation.
type builder struct {
	spec        *corev1ac.PodSpecApplyConfiguration
	annotations map[string]string
	errs        field.ErrorList
	notes       []Note

	features                      Features
	windows, fargate, serviceTask bool
	networkMode                   ecsv1alpha1.NetworkMode

	portsSeen, portNames map[string]bool
	shareProcesses       bool
	grace                int64
	dnsServers           []string
	dnsSearches          []string
	hosts                map[string][]string
	hostname             string
	sysctls              map[string]string
	dockerLabels         map[string]map[string]string
	logConfigs           map[string]LogConfig
	containersMeta       map[string]containerMeta
	pullSecrets          map[string]bool
}

func (b *builder) note(path string, level Level, msg string) {
	b.notes = append(b.notes, Note{Path: path, Level: level, Message: msg})
}

// TranslatePod translates a task definition revision placed on p into a pod
// template: ECS's container semantics as described field by field in
// docs/compatibility.md. It returns an *InvalidError when the definition
// cannot run (an error ECS would give at registration or at launch).
func TranslatePod(td *ecsv1alpha1.RegisterTaskDefinitionInput, p Placement, kind TaskKind) (PodTemplate, error) {
	return TranslatePodWith(td, p, kind, Features{})
}

// TranslatePodWith is TranslatePod for a cluster with the given features.
func TranslatePodWith(td *ecsv1alpha1.RegisterTaskDefinitionInput, p Placement, kind TaskKind, f Features) (PodTemplate, error) {
	b, err := translate(td, p, kind, f)
	if err != nil {
		return PodTemplate{}, err
	}
	return PodTemplate{Annotations: b.annotations, Spec: b.spec}, nil
}

// translate runs one translation; the builder keeps its notes for Report.
func translate(td *ecsv1alpha1.RegisterTaskDefinitionInput, p Placement, kind TaskKind, f Features) (*builder, error) {
	b := &builder{
		features:    f,
		spec:        corev1ac.PodSpec(),
		annotations: map[string]string{},
		serviceTask: kind == ServiceTask,
		networkMode: td.NetworkMode,
		portsSeen:   map[string]bool{}, portNames: map[string]bool{},
		grace:          -1,
		hosts:          map[string][]string{},
		sysctls:        map[string]string{},
		dockerLabels:   map[string]map[string]string{},
		logConfigs:     map[string]LogConfig{},
		containersMeta: map[string]containerMeta{},
		pullSecrets:    map[string]bool{},
	}
	if rp := td.RuntimePlatform; rp != nil && rp.OperatingSystemFamily != "" && rp.OperatingSystemFamily != ecsv1alpha1.OSFamilyLinux {
		b.windows = true
	}
	b.fargate = isFargate(p)
	b.build(td, p, kind)
	if len(b.errs) > 0 {
		return nil, &InvalidError{Errs: b.errs}
	}
	return b, nil
}

func isFargate(p Placement) bool {
	if p.LaunchType == ecsv1alpha1.LaunchTypeFargate {
		return true
	}
	if len(p.Providers) == 0 {
		return false
	}
	for _, cp := range p.Providers {
		if cp.Spec.Type != ecsv1alpha1.CapacityProviderFargate && cp.Spec.Type != ecsv1alpha1.CapacityProviderFargateSpot {
			return false
		}
	}
	return true
}

func (b *builder) build(td *ecsv1alpha1.RegisterTaskDefinitionInput, p Placement, kind TaskKind) {
	restart := corev1.RestartPolicyAlways
	if kind == StandaloneTask {
		restart = corev1.RestartPolicyNever
	}
	// ECS tasks do not talk to the Kubernetes API and get no Docker-link
	// environment variables.
	b.spec.WithRestartPolicy(restart).
		WithAutomountServiceAccountToken(false).
		WithEnableServiceLinks(false)
	if b.windows {
		b.spec.WithOS(corev1ac.PodOS().WithName(corev1.Windows))
	}
	b.checkContainerNames(td.ContainerDefinitions)
	fl := b.findFirelens(td.ContainerDefinitions)
	defs := fl.withRouterFirst(td.ContainerDefinitions)
	vols := b.volumes(td)
	o := b.order(defs)
	containers := make([]*corev1ac.ContainerApplyConfiguration, len(defs))
	for i := range defs {
		containers[i] = b.container(i, defs, vols, o)
	}
	sumCPU, sumMem := reserved(defs)
	if fl != nil {
		b.configure(fl, td, containers[fl.router])
	}
	// stopTimeout: the pod's grace period is the longest of its containers'
	// (30 s for those without one, ECS's default); Kubernetes has no
	// per-container grace period.
	if b.grace >= 0 {
		for _, c := range defs {
			if c.StopTimeout == nil {
				b.grace = max(b.grace, 30)
			}
		}
	}
	for _, i := range o.initOrder {
		b.spec.WithInitContainers(containers[i])
	}
	for i := range defs {
		if o.roles[i] == roleMain {
			b.spec.WithContainers(containers[i])
		}
	}
	if len(b.spec.Containers) == 0 {
		b.errs = append(b.errs, field.Invalid(field.NewPath("containerDefinitions"), len(defs),
			"every container is a dependency of another: at least one container must be depended on by none"))
	}
	if res := b.podResources(td, sumCPU, sumMem); res != nil {
		if b.features.PodLevelResources() {
			b.spec.WithResources(res)
		} else {
			b.note("cpu", Approximated, "the cluster's Kubernetes has no pod-level resources (1.34+): the task size is not a pod-wide cap; the containers' own requests and limits apply")
		}
	}
	b.ephemeralStorage(td, containers, o)
	b.podSecurity(td)
	b.network(td)
	b.nodeSelection(td, p)
	b.podMeta(td)
}

// checkContainerNames: every container has a name and an image, and the
// names stay distinct as Kubernetes names.
func (b *builder) checkContainerNames(defs []ecsv1alpha1.ContainerDefinition) {
	seen := map[string]string{}
	for i := range defs {
		n := names.Container(defs[i].Name)
		if defs[i].Name == "" {
			b.errs = append(b.errs, field.Required(containerPath(i).Child("name"), "a container needs a name"))
		} else if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
			b.errs = append(b.errs, field.Invalid(containerPath(i).Child("name"), defs[i].Name,
				"up to 255 letters (uppercase and lowercase), numbers, underscores and hyphens are allowed"))
		}
		if defs[i].Image == "" {
			b.errs = append(b.errs, field.Required(containerPath(i).Child("image"), "a container needs an image"))
		}
		if other, dup := seen[n]; dup {
			b.errs = append(b.errs, field.Duplicate(containerPath(i).Child("name"),
				fmt.Sprintf("%s (Kubernetes container names are lower-case DNS labels, so it would be the container %s, as %s is: rename one)", defs[i].Name, n, other)))
		}
		seen[n] = defs[i].Name
	}
}

// reserved is what the containers reserve in total: CPU units, and MiB
// (memoryReservation, or memory without one).
func reserved(defs []ecsv1alpha1.ContainerDefinition) (cpu, mem int64) {
	for i := range defs {
		c := &defs[i]
		if c.Cpu != nil {
			cpu += int64(*c.Cpu)
		}
		switch {
		case c.MemoryReservation != nil:
			mem += int64(*c.MemoryReservation)
		case c.Memory != nil:
			mem += int64(*c.Memory)
		}
	}
	return cpu, mem
}

// ephemeralStorage: the task's ephemeral storage becomes an
// ephemeral-storage request and limit on the first essential container (the
// kubelet limits it per container; Kubernetes has no pod-level
// ephemeral-storage).
func (b *builder) ephemeralStorage(td *ecsv1alpha1.RegisterTaskDefinitionInput, containers []*corev1ac.ContainerApplyConfiguration, o ordering) {
	if td.EphemeralStorage == nil || td.EphemeralStorage.SizeInGiB <= 0 {
		return
	}
	for i, c := range td.ContainerDefinitions {
		if (c.Essential != nil && !*c.Essential) || o.roles[i] != roleMain {
			continue
		}
		q := gibibytes(int64(td.EphemeralStorage.SizeInGiB))
		ct := containers[i]
		if ct.Resources == nil {
			ct.WithResources(corev1ac.ResourceRequirements())
		}
		// WithRequests and WithLimits replace the lists: add to them instead.
		requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
		if ct.Resources.Requests != nil {
			requests = *ct.Resources.Requests
		}
		if ct.Resources.Limits != nil {
			limits = *ct.Resources.Limits
		}
		requests[corev1.ResourceEphemeralStorage] = q
		limits[corev1.ResourceEphemeralStorage] = q
		ct.Resources.WithRequests(requests).WithLimits(limits)
		b.note("ephemeralStorage", Approximated,
			fmt.Sprintf("the task's %d GiB of ephemeral storage is requested and limited on container %s: Kubernetes limits ephemeral storage per container", td.EphemeralStorage.SizeInGiB, c.Name))
		return
	}
}

// podSecurity: secure defaults ECS semantics allow (the RuntimeDefault
// seccomp profile is Docker's default, which ECS tasks run with), the
// process and IPC namespaces, and sysctls.
func (b *builder) podSecurity(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
	psc := corev1ac.PodSecurityContext()
	if !b.windows {
		psc.WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))
	}
	keys := make([]string, 0, len(b.sysctls))
	for k := range b.sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		psc.WithSysctls(corev1ac.Sysctl().WithName(k).WithValue(b.sysctls[k]))
	}
	if !b.windows || len(keys) > 0 {
		b.spec.WithSecurityContext(psc)
	}
	switch td.PidMode {
	case ecsv1alpha1.PidModeHost:
		b.spec.WithHostPID(true)
	case ecsv1alpha1.PidModeTask:
		b.shareProcesses = true
	}
	if b.shareProcesses {
		b.spec.WithShareProcessNamespace(true)
	}
	switch td.IpcMode {
	case ecsv1alpha1.IpcModeHost:
		b.spec.WithHostIPC(true)
	case ecsv1alpha1.IpcModeNone:
		b.note("ipcMode", Approximated, "the containers of a pod always share an IPC namespace; ipcMode none is not available")
	}
	if b.grace >= 0 {
		b.spec.WithTerminationGracePeriodSeconds(b.grace)
	}
	secrets := make([]string, 0, len(b.pullSecrets))
	for s := range b.pullSecrets {
		secrets = append(secrets, s)
	}
	sort.Strings(secrets)
	for _, s := range secrets {
		b.spec.WithImagePullSecrets(corev1ac.LocalObjectReference().WithName(s))
	}
}

// network: awsvpc and bridge tasks get the pod network (one IP per task, as
// awsvpc gives); host uses the node's network; DNS servers, search domains,
// extra hosts, links and the hostname are pod-level.
func (b *builder) network(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
	switch td.NetworkMode {
	case ecsv1alpha1.NetworkModeHost:
		b.spec.WithHostNetwork(true).WithDNSPolicy(corev1.DNSDefault)
	case ecsv1alpha1.NetworkModeBridge:
		b.note("networkMode", Approximated,
			"bridge: the task gets its own pod IP, as with awsvpc, and its containers share localhost; dynamic host ports are not allocated")
	case ecsv1alpha1.NetworkModeNone:
		b.note("networkMode", Approximated,
			"none: the pod still gets a network interface; isolate it with a NetworkPolicy")
	}
	if len(b.dnsServers) > 0 {
		b.spec.WithDNSPolicy(corev1.DNSNone)
		dc := corev1ac.PodDNSConfig().WithNameservers(b.dnsServers...)
		if len(b.dnsSearches) > 0 {
			dc.WithSearches(b.dnsSearches...)
		}
		b.spec.WithDNSConfig(dc)
	} else if len(b.dnsSearches) > 0 {
		b.spec.WithDNSConfig(corev1ac.PodDNSConfig().WithSearches(b.dnsSearches...))
	}
	ips := make([]string, 0, len(b.hosts))
	for ip := range b.hosts {
		ips = append(ips, ip)
	}
	sort.Strings(ips)
	for _, ip := range ips {
		b.spec.WithHostAliases(corev1ac.HostAlias().WithIP(ip).WithHostnames(b.hosts[ip]...))
	}
	if b.hostname != "" && td.NetworkMode != ecsv1alpha1.NetworkModeHost {
		b.setHostname()
	}
}

// setHostname: hostnameOverride takes any DNS name; without it (before
// 1.35), a DNS label becomes the pod's hostname, and a longer name its
// first label and subdomain.
func (b *builder) setHostname() {
	if b.features.HostnameOverride() {
		b.spec.WithHostnameOverride(b.hostname)
		return
	}
	host, sub, _ := strings.Cut(b.hostname, ".")
	if len(host) > 63 {
		b.note("containerDefinitions", Approximated, fmt.Sprintf("hostname %q does not fit a Kubernetes pod hostname before 1.35; the pod's name is used", b.hostname))
		return
	}
	b.spec.WithHostname(host)
	if sub != "" && len(validation.IsDNS1123Label(sub)) == 0 {
		b.spec.WithSubdomain(sub)
	}
}

// nodeSelection: the capacity providers' node pools, and the runtime
// platform's architecture and operating system.
func (b *builder) nodeSelection(td *ecsv1alpha1.RegisterTaskDefinitionInput, p Placement) {
	sel := selectNodes(p)
	nodeSelector := map[string]string{}
	for k, v := range sel.nodeSelector {
		nodeSelector[k] = v
	}
	if rp := td.RuntimePlatform; rp != nil {
		switch rp.CpuArchitecture {
		case ecsv1alpha1.CPUArchitectureX8664:
			nodeSelector[labelArch] = "amd64"
		case ecsv1alpha1.CPUArchitectureArm64:
			nodeSelector[labelArch] = "arm64"
		}
		switch {
		case rp.OperatingSystemFamily == ecsv1alpha1.OSFamilyLinux:
			nodeSelector[labelOS] = "linux"
		case b.windows:
			nodeSelector[labelOS] = "windows"
			if build, ok := windowsBuilds[rp.OperatingSystemFamily]; ok {
				nodeSelector[labelWindowsBuild] = build
			}
		}
	}
	if len(nodeSelector) > 0 {
		b.spec.WithNodeSelector(nodeSelector)
	}
	b.placementRules(td, p, sel.poolNames)
	for _, t := range sel.tolerations {
		b.spec.WithTolerations(corev1ac.Toleration().WithKey(t.Key).WithOperator(t.Operator).WithValue(t.Value).WithEffect(t.Effect))
	}
}

// podMeta writes the annotations: containers, Docker labels, logging and
// the task role. encoding/json sorts map keys, so they are deterministic.
func (b *builder) podMeta(td *ecsv1alpha1.RegisterTaskDefinitionInput) {
	b.annotations[ecsv1alpha1.AnnotationContainers] = mustJSON(b.containersMeta)
	if len(b.dockerLabels) > 0 {
		b.annotations[ecsv1alpha1.AnnotationDockerLabels] = mustJSON(b.dockerLabels)
	}
	if len(b.logConfigs) > 0 {
		b.annotations[ecsv1alpha1.AnnotationLogConfiguration] = mustJSON(b.logConfigs)
	}
	if td.TaskRoleArn != "" {
		b.annotations[ecsv1alpha1.AnnotationTaskRoleArn] = td.TaskRoleArn
	}
}

func mustJSON(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data
	}
	return string(raw)
}

func gibibytes(n int64) resource.Quantity { return mebibytes(n * 1024) }

func (k TaskKind) String() string {
	if k == StandaloneTask {
		return "standalone task"
	}
	return "service task"
}
