package translate

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	netutils "k8s.io/utils/net"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

// maxPortRange is the largest containerPortRange expanded into ports.
const maxPortRange = 100

// sysctlName is Kubernetes' sysctl name format.
var sysctlName = regexp.MustCompile(`^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`)

func containerPath(i int) *field.Path { return field.NewPath("containerDefinitions").Index(i) }

// container translates one container definition.
func (b *builder) container(i int, defs []ecsv1alpha1.ContainerDefinition, vols map[string]podVolume, o ordering) *corev1ac.ContainerApplyConfiguration {
	c := &defs[i]
	path := containerPath(i)
	name := names.Container(c.Name)
	ct := corev1ac.Container().WithName(name).WithImage(c.Image)
	// Docker's ENTRYPOINT is Kubernetes' command; Docker's CMD is args.
	if len(c.EntryPoint) > 0 {
		ct.WithCommand(c.EntryPoint...)
	}
	if len(c.Command) > 0 {
		ct.WithArgs(c.Command...)
	}
	if c.WorkingDirectory != "" {
		ct.WithWorkingDir(c.WorkingDirectory)
	}
	b.env(i, c, ct)
	b.ports(i, c, ct)
	if res := b.containerResources(i, c); res != nil {
		ct.WithResources(res)
	}
	ct.WithVolumeMounts(b.mounts(i, defs, vols, map[int]bool{})...)
	if sc := b.securityContext(i, c, ct, name); sc != nil {
		ct.WithSecurityContext(sc)
	}
	if c.Interactive != nil && *c.Interactive {
		ct.WithStdin(true)
	}
	if c.PseudoTerminal != nil && *c.PseudoTerminal {
		ct.WithTTY(true)
	}
	b.probes(i, c, ct, o)
	b.uniqueMountPaths(path, ct)
	b.restart(i, c, ct, o.roles[i])
	b.pullSecret(i, c)
	b.containerMeta(i, c, name)
	return ct
}

// probes: the health check as a readiness probe, and as a startup probe
// on a sidecar others wait on to be HEALTHY.
func (b *builder) probes(i int, c *ecsv1alpha1.ContainerDefinition, ct *corev1ac.ContainerApplyConfiguration, o ordering) {
	if c.HealthCheck == nil {
		return
	}
	hp := containerPath(i).Child("healthCheck").String()
	if probe := b.readinessProbe(hp, c.HealthCheck); probe != nil {
		ct.WithReadinessProbe(probe)
	}
	if o.roles[i] == roleSidecar && o.healthyGate[i] {
		if probe := b.startupProbe(hp, c.HealthCheck, o.startTimeout[i]); probe != nil {
			ct.WithStartupProbe(probe)
		}
	}
}

func (b *builder) uniqueMountPaths(path *field.Path, ct *corev1ac.ContainerApplyConfiguration) {
	seen := map[string]bool{}
	for _, m := range ct.VolumeMounts {
		if m.MountPath == nil {
			continue
		}
		if seen[*m.MountPath] {
			b.errs = append(b.errs, field.Duplicate(path.Child("mountPoints"), *m.MountPath))
		}
		seen[*m.MountPath] = true
	}
}

// env: environment as values, secrets as Secret key references (the
// kubelet reads them; the operator never does), environmentFiles as
// ConfigMaps. Explicit environment wins over files, as in ECS.
func (b *builder) env(i int, c *ecsv1alpha1.ContainerDefinition, ct *corev1ac.ContainerApplyConfiguration) {
	path := containerPath(i)
	for k, kv := range c.Environment {
		if kv.Name == "" || strings.Contains(kv.Name, "=") {
			b.errs = append(b.errs, field.Invalid(path.Child("environment").Index(k).Child("name"), kv.Name, "an environment variable needs a name without '='"))
			continue
		}
		ct.WithEnv(corev1ac.EnvVar().WithName(kv.Name).WithValue(kv.Value))
	}
	for k, s := range c.Secrets {
		p := path.Child("secrets").Index(k)
		if s.Name == "" || strings.Contains(s.Name, "=") {
			b.errs = append(b.errs, field.Invalid(p.Child("name"), s.Name, "an environment variable needs a name without '='"))
			continue
		}
		ref, err := ResolveSecret(s.ValueFrom)
		if err != nil {
			b.errs = append(b.errs, field.Invalid(p.Child("valueFrom"), s.ValueFrom, err.Error()))
			continue
		}
		if ref.Version != "" {
			b.note(p.Child("valueFrom").String(), Approximated,
				fmt.Sprintf("the pinned version %q is not applied: Kubernetes Secret %s holds one version", ref.Version, ref.Name))
		}
		ct.WithEnv(corev1ac.EnvVar().WithName(s.Name).WithValueFrom(corev1ac.EnvVarSource().
			WithSecretKeyRef(corev1ac.SecretKeySelector().WithName(ref.Name).WithKey(ref.Key))))
	}
	for k, f := range c.EnvironmentFiles {
		p := path.Child("environmentFiles").Index(k)
		cm, err := ConfigMapForEnvironmentFile(f.Value)
		if err != nil {
			b.errs = append(b.errs, field.Invalid(p.Child("value"), f.Value, err.Error()))
			continue
		}
		ct.WithEnvFrom(corev1ac.EnvFromSource().WithConfigMapRef(corev1ac.ConfigMapEnvSource().WithName(cm)))
	}
}

// ports: each portMapping is a container port (a range is expanded up to
// maxPortRange ports); a static hostPort in bridge mode is kept; ECS port
// names that are valid IANA service names are carried over.
func (b *builder) ports(i int, c *ecsv1alpha1.ContainerDefinition, ct *corev1ac.ContainerApplyConfiguration) {
	for k, pm := range c.PortMappings {
		p := containerPath(i).Child("portMappings").Index(k)
		proto := corev1.ProtocolTCP
		if pm.Protocol == ecsv1alpha1.TransportProtocolUdp {
			proto = corev1.ProtocolUDP
		}
		switch {
		case pm.ContainerPortRange != "":
			b.portRange(p, pm.ContainerPortRange, proto, ct)
		case pm.ContainerPort != nil && *pm.ContainerPort > 0:
			if port := b.port(p, pm, proto); port != nil {
				ct.WithPorts(port)
			}
		}
	}
}

func (b *builder) portRange(p *field.Path, r string, proto corev1.Protocol, ct *corev1ac.ContainerApplyConfiguration) {
	lo, hi, err := parsePortRange(r)
	if err != nil {
		b.errs = append(b.errs, field.Invalid(p.Child("containerPortRange"), r, err.Error()))
		return
	}
	if hi-lo+1 > maxPortRange {
		b.note(p.Child("containerPortRange").String(), Unsupported,
			fmt.Sprintf("a range of %d ports is not declared on the container (at most %d are); the ports are still reachable on the pod's IP", hi-lo+1, maxPortRange))
		return
	}
	for port := lo; port <= hi; port++ {
		if b.claimPort(port, proto) {
			ct.WithPorts(corev1ac.ContainerPort().WithContainerPort(port).WithProtocol(proto))
		}
	}
}

func (b *builder) port(p *field.Path, pm ecsv1alpha1.PortMapping, proto corev1.Protocol) *corev1ac.ContainerPortApplyConfiguration {
	if !b.claimPort(*pm.ContainerPort, proto) {
		b.note(p.Child("containerPort").String(), Approximated,
			fmt.Sprintf("port %d/%s is declared by another container of the task; containers of a pod share one network namespace", *pm.ContainerPort, proto))
		return nil
	}
	port := corev1ac.ContainerPort().WithContainerPort(*pm.ContainerPort).WithProtocol(proto)
	if pm.Name != "" {
		n := strings.ToLower(pm.Name)
		if len(validation.IsValidPortName(n)) == 0 && !b.portNames[n] {
			b.portNames[n] = true
			port.WithName(n)
		} else {
			b.note(p.Child("name").String(), Approximated,
				fmt.Sprintf("port name %q is not a valid, unique Kubernetes port name (an IANA service name of at most 15 characters); the port is unnamed", pm.Name))
		}
	}
	if b.networkMode == ecsv1alpha1.NetworkModeBridge {
		if pm.HostPort != nil && *pm.HostPort > 0 {
			port.WithHostPort(*pm.HostPort)
		} else {
			b.note(p.Child("hostPort").String(), Approximated,
				"bridge mode without a hostPort asks for a dynamic host port, which Kubernetes does not allocate: reach the task on its pod IP or through a Service")
		}
	}
	return port
}

func (b *builder) claimPort(port int32, proto corev1.Protocol) bool {
	key := fmt.Sprintf("%d/%s", port, proto)
	if b.portsSeen[key] {
		return false
	}
	b.portsSeen[key] = true
	return true
}

func parsePortRange(s string) (int32, int32, error) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("a port range is written <first>-<last>")
	}
	a, err1 := strconv.ParseInt(strings.TrimSpace(lo), 10, 32)
	z, err2 := strconv.ParseInt(strings.TrimSpace(hi), 10, 32)
	if err1 != nil || err2 != nil || a < 1 || z > 65535 || a > z {
		return 0, 0, fmt.Errorf("a port range is written <first>-<last>, 1 ≤ first ≤ last ≤ 65535")
	}
	return int32(a), int32(z), nil
}

// securityContext: user, privileged, readonlyRootFilesystem, Linux
// capabilities, /dev/shm and tmpfs, and the Docker security options
// Kubernetes has fields for.
func (b *builder) securityContext(i int, c *ecsv1alpha1.ContainerDefinition, ct *corev1ac.ContainerApplyConfiguration, name string) *corev1ac.SecurityContextApplyConfiguration {
	path := containerPath(i)
	if b.windows {
		b.windowsSecurity(path, c)
		return nil
	}
	sc := corev1ac.SecurityContext()
	if c.User != "" {
		if uid, gid, ok := parseUser(c.User); ok {
			sc.WithRunAsUser(uid)
			if uid != 0 {
				// True of a non-zero runAsUser anyway; stated, so that
				// Pod Security admission's restricted level sees it.
				sc.WithRunAsNonRoot(true)
			}
			if gid >= 0 {
				sc.WithRunAsGroup(gid)
			}
		} else {
			b.note(path.Child("user").String(), Approximated,
				fmt.Sprintf("user %q is a name: Kubernetes takes numeric IDs only, so the image's default user runs the container", c.User))
		}
	}
	if c.Privileged != nil && *c.Privileged {
		sc.WithPrivileged(true)
	}
	if c.ReadonlyRootFilesystem != nil && *c.ReadonlyRootFilesystem {
		sc.WithReadOnlyRootFilesystem(true)
	}
	if lp := c.LinuxParameters; lp != nil {
		b.linuxParameters(path.Child("linuxParameters"), lp, sc, ct, name)
	}
	for k, opt := range c.DockerSecurityOptions {
		b.dockerSecurityOption(path.Child("dockerSecurityOptions").Index(k).String(), opt, sc)
	}
	if reflect.ValueOf(*sc).IsZero() {
		return nil
	}
	return sc
}

func (b *builder) windowsSecurity(path *field.Path, c *ecsv1alpha1.ContainerDefinition) {
	for _, f := range []struct {
		on   bool
		name string
	}{
		{c.User != "", "user"}, {c.Privileged != nil && *c.Privileged, "privileged"},
		{c.ReadonlyRootFilesystem != nil && *c.ReadonlyRootFilesystem, "readonlyRootFilesystem"},
		{c.LinuxParameters != nil, "linuxParameters"},
	} {
		if f.on {
			b.note(path.Child(f.name).String(), Unsupported, "not available for Windows containers")
		}
	}
}

// linuxParameters: capabilities, an init process, /dev/shm, tmpfs; devices
// and swap are reported.
func (b *builder) linuxParameters(lpPath *field.Path, lp *ecsv1alpha1.LinuxParameters, sc *corev1ac.SecurityContextApplyConfiguration, ct *corev1ac.ContainerApplyConfiguration, name string) {
	if caps := lp.Capabilities; caps != nil && (len(caps.Add) > 0 || len(caps.Drop) > 0) {
		kc := corev1ac.Capabilities()
		for _, a := range caps.Add {
			kc.WithAdd(corev1.Capability(strings.TrimPrefix(a, "CAP_")))
		}
		for _, d := range caps.Drop {
			kc.WithDrop(corev1.Capability(strings.TrimPrefix(d, "CAP_")))
		}
		sc.WithCapabilities(kc)
	}
	if lp.InitProcessEnabled != nil && *lp.InitProcessEnabled {
		b.shareProcesses = true
		b.note(lpPath.Child("initProcessEnabled").String(), Approximated,
			"the task's containers share one process namespace whose PID 1 (the pod's pause process) reaps zombies, instead of an init process in each container")
	}
	if lp.SharedMemorySize != nil && *lp.SharedMemorySize > 0 {
		vol := b.memoryVolume("shm", name, 0, *lp.SharedMemorySize)
		ct.WithVolumeMounts(corev1ac.VolumeMount().WithName(vol).WithMountPath("/dev/shm"))
		b.note(lpPath.Child("sharedMemorySize").String(), Approximated,
			"/dev/shm is a memory-backed emptyDir of that size; its pages count against the container's memory")
	}
	b.tmpfs(lpPath, lp.Tmpfs, ct, name)
	if len(lp.Devices) > 0 {
		b.note(lpPath.Child("devices").String(), Unsupported,
			"host devices are not mapped: Kubernetes exposes devices through device plugins (extended resources)")
	}
	if lp.MaxSwap != nil || lp.Swappiness != nil {
		b.note(lpPath.Child("maxSwap").String(), Unsupported,
			"swap is a node-level setting in Kubernetes (the kubelet's memorySwap behaviour), not a container one")
	}
}

func (b *builder) tmpfs(lpPath *field.Path, mounts []ecsv1alpha1.Tmpfs, ct *corev1ac.ContainerApplyConfiguration, name string) {
	for k, t := range mounts {
		if t.ContainerPath == "" {
			b.errs = append(b.errs, field.Required(lpPath.Child("tmpfs").Index(k).Child("containerPath"), "a tmpfs mount needs a containerPath"))
			continue
		}
		vol := b.memoryVolume("tmpfs", name, k, t.Size)
		ct.WithVolumeMounts(corev1ac.VolumeMount().WithName(vol).WithMountPath(t.ContainerPath))
		if len(t.MountOptions) > 0 {
			b.note(lpPath.Child("tmpfs").Index(k).Child("mountOptions").String(), Unsupported,
				"tmpfs mount options are not available for a Kubernetes memory-backed emptyDir")
		}
	}
}

// dockerSecurityOption maps the Docker security options Kubernetes has
// fields for: no-new-privileges, apparmor:<profile>, label:<kind>:<value>.
func (b *builder) dockerSecurityOption(p, opt string, sc *corev1ac.SecurityContextApplyConfiguration) {
	key, value, _ := strings.Cut(opt, ":")
	switch {
	case opt == "no-new-privileges" || opt == "no-new-privileges:true":
		sc.WithAllowPrivilegeEscalation(false)
	case key == "apparmor" && value == "unconfined":
		sc.WithAppArmorProfile(corev1ac.AppArmorProfile().WithType(corev1.AppArmorProfileTypeUnconfined))
	case key == "apparmor" && value != "":
		sc.WithAppArmorProfile(corev1ac.AppArmorProfile().WithType(corev1.AppArmorProfileTypeLocalhost).WithLocalhostProfile(value))
	case key == "label":
		if se := seLinuxOption(value); se != nil {
			sc.WithSELinuxOptions(se)
			return
		}
		b.note(p, Unsupported, fmt.Sprintf("Docker security option %q has no Kubernetes equivalent", opt))
	default:
		b.note(p, Unsupported, fmt.Sprintf("Docker security option %q has no Kubernetes equivalent", opt))
	}
}

func seLinuxOption(value string) *corev1ac.SELinuxOptionsApplyConfiguration {
	kind, v, ok := strings.Cut(value, ":")
	if !ok {
		return nil
	}
	se := corev1ac.SELinuxOptions()
	switch kind {
	case "user":
		return se.WithUser(v)
	case "role":
		return se.WithRole(v)
	case "type":
		return se.WithType(v)
	case "level":
		return se.WithLevel(v)
	}
	return nil
}

// parseUser reads "uid", "uid:gid" or "root"; gid is -1 when absent.
func parseUser(u string) (uid, gid int64, ok bool) {
	user, group, hasGroup := strings.Cut(u, ":")
	if user == "root" {
		user = "0"
	}
	uid, err := strconv.ParseInt(user, 10, 64)
	if err != nil || uid < 0 || uid > 2147483647 {
		return 0, 0, false
	}
	gid = -1
	if hasGroup {
		if group == "root" {
			group = "0"
		}
		g, err := strconv.ParseInt(group, 10, 64)
		if err != nil || g < 0 || g > 2147483647 {
			return 0, 0, false
		}
		gid = g
	}
	return uid, gid, true
}

// restart: a container with restartPolicy enabled is restarted in place on
// exit, except for the ignored exit codes (KEP-5307 container restart
// rules). Otherwise, in a service task (pod restartPolicy Always), a
// container is not restarted in place: a non-essential one stays stopped,
// as in ECS, and the exit of an essential one stops the task, which the
// operator replaces with a new task. Sidecars (dependencies that keep
// running) are always restarted by the kubelet.
func (b *builder) restart(i int, c *ecsv1alpha1.ContainerDefinition, ct *corev1ac.ContainerApplyConfiguration, r role) {
	path := containerPath(i)
	enabled := c.RestartPolicy != nil && c.RestartPolicy.Enabled
	switch r {
	case roleSidecar:
		ct.WithRestartPolicy(corev1.ContainerRestartPolicyAlways)
		if !enabled && c.Essential != nil && !*c.Essential {
			b.note(path.Child("essential").String(), Approximated,
				fmt.Sprintf("%s runs as a Kubernetes sidecar because other containers depend on it: the kubelet restarts it when it exits, where ECS would leave a non-essential container stopped", c.Name))
		}
		return
	case roleInit:
		if enabled {
			b.note(path.Child("restartPolicy").String(), Approximated,
				"a container others wait on to COMPLETE or SUCCEED runs as an init container; a failed init container is retried as the pod's restartPolicy says")
		}
		return
	}
	if !b.features.ContainerRestartRules() {
		b.restartWithoutRules(path, enabled)
		return
	}
	if !enabled {
		if b.serviceTask {
			ct.WithRestartPolicy(corev1.ContainerRestartPolicyNever)
		}
		return
	}
	if rp := c.RestartPolicy; len(rp.IgnoredExitCodes) > 0 {
		codes := append([]int32(nil), rp.IgnoredExitCodes...)
		sort.Slice(codes, func(a, z int) bool { return codes[a] < codes[z] })
		ct.WithRestartPolicy(corev1.ContainerRestartPolicyNever).
			WithRestartPolicyRules(corev1ac.ContainerRestartRule().
				WithAction(corev1.ContainerRestartRuleActionRestart).
				WithExitCodes(corev1ac.ContainerRestartRuleOnExitCodes().
					WithOperator(corev1.ContainerRestartRuleOnExitCodesOpNotIn).
					WithValues(codes...)))
	} else {
		ct.WithRestartPolicy(corev1.ContainerRestartPolicyAlways)
	}
	if c.RestartPolicy.RestartAttemptPeriod != nil {
		b.note(path.Child("restartPolicy", "restartAttemptPeriod").String(), Approximated,
			"the kubelet restarts with its own exponential back-off (10 s doubling to 5 min) rather than after a restartAttemptPeriod of running time")
	}
}

// restartWithoutRules: before Kubernetes 1.35 a container has the pod's
// restart policy. A service task's containers are then restarted in place
// (the operator still replaces the task when it sees an essential
// container's exit); a standalone task's are not restarted.
func (b *builder) restartWithoutRules(path *field.Path, enabled bool) {
	switch {
	case b.serviceTask:
		b.note(path.Child("essential").String(), Approximated,
			"the cluster's Kubernetes has no container restart policies (1.35+): the kubelet restarts an exited container of a service task in place")
	case enabled:
		b.note(path.Child("restartPolicy").String(), Unsupported,
			"the cluster's Kubernetes has no container restart policies (1.35+): a standalone task's containers are not restarted")
	}
}

// pullSecret: repositoryCredentials name a Secrets Manager secret with the
// registry credentials; the pod pulls with the Kubernetes Secret of the same
// name (type kubernetes.io/dockerconfigjson).
func (b *builder) pullSecret(i int, c *ecsv1alpha1.ContainerDefinition) {
	if c.RepositoryCredentials == nil || c.RepositoryCredentials.CredentialsParameter == "" {
		return
	}
	p := containerPath(i).Child("repositoryCredentials", "credentialsParameter")
	ref, err := ResolveSecret(c.RepositoryCredentials.CredentialsParameter)
	if err != nil {
		b.errs = append(b.errs, field.Invalid(p, c.RepositoryCredentials.CredentialsParameter, err.Error()))
		return
	}
	b.pullSecrets[ref.Name] = true
}

// containerMeta records the pod-level settings a container contributes:
// stopTimeout, DNS, hosts, hostname, sysctls, links, labels and logging.
func (b *builder) containerMeta(i int, c *ecsv1alpha1.ContainerDefinition, name string) {
	path := containerPath(i)
	if c.StopTimeout != nil && int64(*c.StopTimeout) > b.grace {
		b.grace = int64(*c.StopTimeout)
	}
	b.dns(path, c)
	b.extraHosts(path, c)
	b.links(path, c)
	b.podHostname(path, c)
	b.systemControls(path, c)
	if len(c.DockerLabels) > 0 {
		b.dockerLabels[name] = c.DockerLabels
	}
	if c.LogConfiguration != nil {
		b.logConfig(i, c, name)
	}
	meta := containerMeta{Name: c.Name, Essential: c.Essential == nil || *c.Essential}
	if c.HealthCheck != nil {
		t := Timing(c.HealthCheck)
		meta.HealthCheck, meta.StartPeriod, meta.Interval, meta.Retries = true, t.StartPeriod, t.Interval, t.Retries
	}
	if lc, ok := b.logConfigs[name]; ok {
		meta.LogGroup, meta.LogStreamPrefix = lc.LogGroup, lc.LogStreamPrefix
	}
	b.containersMeta[name] = meta
}

func (b *builder) dns(path *field.Path, c *ecsv1alpha1.ContainerDefinition) {
	for k, ip := range c.DnsServers {
		if netutils.ParseIPSloppy(ip) == nil {
			b.errs = append(b.errs, field.Invalid(path.Child("dnsServers").Index(k), ip, "must be an IP address"))
			continue
		}
		b.dnsServers = appendUnique(b.dnsServers, ip)
	}
	for k, d := range c.DnsSearchDomains {
		if errs := validation.IsDNS1123Subdomain(strings.ToLower(strings.TrimSuffix(d, "."))); len(errs) > 0 {
			b.errs = append(b.errs, field.Invalid(path.Child("dnsSearchDomains").Index(k), d, strings.Join(errs, "; ")))
			continue
		}
		b.dnsSearches = appendUnique(b.dnsSearches, d)
	}
}

func (b *builder) extraHosts(path *field.Path, c *ecsv1alpha1.ContainerDefinition) {
	for k, h := range c.ExtraHosts {
		p := path.Child("extraHosts").Index(k)
		if netutils.ParseIPSloppy(h.IpAddress) == nil {
			b.errs = append(b.errs, field.Invalid(p.Child("ipAddress"), h.IpAddress, "must be an IP address"))
			continue
		}
		hostname := strings.ToLower(h.Hostname)
		if errs := validation.IsDNS1123Subdomain(hostname); len(errs) > 0 {
			b.errs = append(b.errs, field.Invalid(p.Child("hostname"), h.Hostname, strings.Join(errs, "; ")))
			continue
		}
		b.hosts[h.IpAddress] = appendUnique(b.hosts[h.IpAddress], hostname)
	}
}

// links: the containers of a pod share localhost, so a link's name and
// alias resolve to 127.0.0.1.
func (b *builder) links(path *field.Path, c *ecsv1alpha1.ContainerDefinition) {
	for k, l := range c.Links {
		target, alias, _ := strings.Cut(l, ":")
		for _, n := range []string{target, alias} {
			n = strings.ToLower(n)
			if n == "" {
				continue
			}
			// Kubernetes host aliases are lower-case DNS names.
			if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
				b.note(path.Child("links").Index(k).String(), Approximated,
					fmt.Sprintf("link name %q is not a lower-case DNS name, so it has no host alias; containers of a pod reach each other on localhost", n))
				continue
			}
			b.hosts["127.0.0.1"] = appendUnique(b.hosts["127.0.0.1"], n)
		}
	}
}

func (b *builder) podHostname(path *field.Path, c *ecsv1alpha1.ContainerDefinition) {
	if c.Hostname == "" {
		return
	}
	// Host names are case-insensitive; Kubernetes takes lower case.
	hostname := strings.ToLower(c.Hostname)
	if errs := validation.IsDNS1123Subdomain(hostname); len(errs) > 0 {
		b.errs = append(b.errs, field.Invalid(path.Child("hostname"), c.Hostname, strings.Join(errs, "; ")))
		return
	}
	switch {
	case b.hostname == "":
		b.hostname = hostname
	case b.hostname != hostname:
		b.note(path.Child("hostname").String(), Approximated,
			fmt.Sprintf("the containers of a pod share one hostname: %q (from an earlier container) is used", b.hostname))
	}
}

func (b *builder) systemControls(path *field.Path, c *ecsv1alpha1.ContainerDefinition) {
	for k, s := range c.SystemControls {
		p := path.Child("systemControls").Index(k)
		if !sysctlName.MatchString(s.Namespace) {
			b.errs = append(b.errs, field.Invalid(p.Child("namespace"), s.Namespace, "must be a sysctl name, such as net.core.somaxconn"))
			continue
		}
		// ECS registers different values in different containers: each
		// container has its own under bridge networking, and where the
		// task shares the namespace (awsvpc) the container started last
		// decides. A pod has one value: the last container's, in
		// definition order.
		if old, ok := b.sysctls[s.Namespace]; ok && old != s.Value {
			b.note(p.Child("value").String(), Approximated,
				fmt.Sprintf("the containers of a pod share namespaced sysctls: %s is %q, the last container's value, for every container (%q of an earlier container is not applied); ECS gives each container its own under bridge networking and the last started container's under awsvpc", s.Namespace, s.Value, old))
		}
		b.sysctls[s.Namespace] = s.Value
	}
}

func appendUnique(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, l := range list {
			if l == it {
				found = true
				break
			}
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}
