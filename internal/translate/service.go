package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

// Roles of the Kubernetes Services a Service gets (label
// ecs.berth.dev/role).
const (
	RoleLoadBalancer    = "load-balancer"
	RoleServiceRegistry = "service-registry"
	RoleServiceConnect  = "service-connect"
)

// LabelRole tells why a Kubernetes Service exists.
const LabelRole = "ecs.berth.dev/role"

// AnnotationLoadBalancerType, on an ECS Service, sets the type of the
// Kubernetes Services of its load balancers: ClusterIP (the default),
// NodePort or LoadBalancer (kind with cloud-provider-kind, k3d's servicelb).
const AnnotationLoadBalancerType = "ecs.berth.dev/load-balancer-type"

// KubeServices translates the ways a Service is reached into Kubernetes
// Services that select its tasks; only ready tasks are endpoints, as a
// target group routes only to healthy targets:
//   - loadBalancers: one Service per target group (named after it, from
//     targetGroupArn or loadBalancerName), with the containerPorts;
//   - serviceRegistries (Cloud Map): a headless Service named after the
//     ECS service, with A (and SRV) records;
//   - serviceConnectConfiguration: one Service per client alias, named
//     dnsName (default: discoveryName, else portName), on the alias port,
//     so that http://<alias>:<port> works in the namespace as on ECS.
//
// Several entries that name the same Service merge their ports.
func KubeServices(svc *ecsv1alpha1.Service, td *ecsv1alpha1.RegisterTaskDefinitionInput) ([]*corev1ac.ServiceApplyConfiguration, error) {
	k := kubeServices{svc: svc, td: td, byName: map[string]*kubeService{}}
	k.loadBalancers()
	k.registries()
	k.serviceConnect()
	if len(k.errs) > 0 {
		return nil, &InvalidError{Errs: k.errs}
	}
	return k.build(), nil
}

type kubeService struct {
	role     string
	headless bool
	ports    map[string]corev1.ServicePort
}

type kubeServices struct {
	svc    *ecsv1alpha1.Service
	td     *ecsv1alpha1.RegisterTaskDefinitionInput
	byName map[string]*kubeService
	errs   field.ErrorList
}

func specPath() *field.Path { return field.NewPath("spec") }

// containerPort finds a container's port mapping: by container name and
// port, or by port mapping name; it returns the mapping's port and
// protocol.
func (k *kubeServices) containerPort(container string, port int32, portName string) (int32, corev1.Protocol, bool) {
	for _, c := range k.td.ContainerDefinitions {
		if container != "" && c.Name != container {
			continue
		}
		for _, pm := range c.PortMappings {
			if pm.ContainerPort == nil {
				continue
			}
			if (portName != "" && pm.Name == portName) || (portName == "" && *pm.ContainerPort == port) {
				proto := corev1.ProtocolTCP
				if pm.Protocol == ecsv1alpha1.TransportProtocolUdp {
					proto = corev1.ProtocolUDP
				}
				return *pm.ContainerPort, proto, true
			}
		}
	}
	return 0, "", false
}

func (k *kubeServices) add(p *field.Path, name, role string, headless bool, port corev1.ServicePort) {
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		k.errs = append(k.errs, field.Invalid(p, name, "becomes the Kubernetes Service name, which must be a DNS label: "+strings.Join(errs, "; ")))
		return
	}
	s := k.byName[name]
	if s == nil {
		s = &kubeService{role: role, headless: headless, ports: map[string]corev1.ServicePort{}}
		k.byName[name] = s
	} else if s.role != role {
		k.errs = append(k.errs, field.Duplicate(p, name))
		return
	}
	if port.Port == 0 {
		// A headless Service for A records only has no port.
		return
	}
	port.Name = strings.ToLower(string(port.Protocol)) + "-" + strconv.Itoa(int(port.Port))
	s.ports[port.Name] = port
}

func (k *kubeServices) loadBalancers() {
	for i, lb := range k.svc.Spec.LoadBalancers {
		p := specPath().Child("loadBalancers").Index(i)
		tg := targetGroupName(lb)
		if tg == "" {
			k.errs = append(k.errs, field.Required(p.Child("targetGroupArn"), "a target group ARN or a loadBalancerName names the Kubernetes Service"))
			continue
		}
		port := ptrValue(lb.ContainerPort)
		cport, proto, ok := k.containerPort(lb.ContainerName, port, "")
		if !ok {
			k.errs = append(k.errs, field.Invalid(p.Child("containerPort"), port,
				fmt.Sprintf("The container %s did not have a container port %d defined.", lb.ContainerName, port)))
			continue
		}
		k.add(p.Child("targetGroupArn"), names.ObjectName(tg), RoleLoadBalancer, false,
			corev1.ServicePort{Port: cport, TargetPort: intstr.FromInt32(cport), Protocol: proto})
	}
}

// targetGroupName is the target group's name from its ARN
// (arn:aws:elasticloadbalancing:…:targetgroup/<name>/<id>), or a bare
// name, or the Classic Load Balancer's name.
func targetGroupName(lb ecsv1alpha1.LoadBalancer) string {
	if arn := lb.TargetGroupArn; arn != "" {
		if i := strings.Index(arn, ":targetgroup/"); i >= 0 {
			return strings.SplitN(arn[i+len(":targetgroup/"):], "/", 2)[0]
		}
		return names.ShortName(arn)
	}
	return lb.LoadBalancerName
}

func (k *kubeServices) registries() {
	for i, r := range k.svc.Spec.ServiceRegistries {
		p := specPath().Child("serviceRegistries").Index(i)
		port := ptrValue(r.ContainerPort)
		if port == 0 {
			port = ptrValue(r.Port)
		}
		cport, proto, ok := k.containerPort(r.ContainerName, port, "")
		if !ok && port != 0 {
			k.errs = append(k.errs, field.Invalid(p.Child("containerPort"), port,
				fmt.Sprintf("The container %s did not have a container port %d defined.", r.ContainerName, port)))
			continue
		}
		sp := corev1.ServicePort{Port: cport, TargetPort: intstr.FromInt32(cport), Protocol: proto}
		if !ok {
			// A records only: a headless Service needs no port.
			sp = corev1.ServicePort{}
		}
		k.add(p, names.ObjectName(serviceNameOf(k.svc)), RoleServiceRegistry, true, sp)
	}
}

func (k *kubeServices) serviceConnect() {
	sc := k.svc.Spec.ServiceConnectConfiguration
	if sc == nil || !sc.Enabled {
		return
	}
	for i, s := range sc.Services {
		p := specPath().Child("serviceConnectConfiguration", "services").Index(i)
		cport, proto, ok := k.containerPort("", 0, s.PortName)
		if !ok {
			k.errs = append(k.errs, field.Invalid(p.Child("portName"), s.PortName, "no portMappings entry of the task definition has this name"))
			continue
		}
		discovery := s.DiscoveryName
		if discovery == "" {
			discovery = s.PortName
		}
		if len(s.ClientAliases) == 0 {
			k.add(p.Child("discoveryName"), aliasName(discovery, k.svc.Namespace), RoleServiceConnect, false,
				corev1.ServicePort{Port: cport, TargetPort: intstr.FromInt32(cport), Protocol: proto})
			continue
		}
		for j, a := range s.ClientAliases {
			dns := a.DnsName
			if dns == "" {
				dns = discovery
			}
			k.add(p.Child("clientAliases").Index(j).Child("dnsName"), aliasName(dns, k.svc.Namespace), RoleServiceConnect, false,
				corev1.ServicePort{Port: a.Port, TargetPort: intstr.FromInt32(cport), Protocol: proto})
		}
	}
}

// aliasName is the Kubernetes Service that answers a Service Connect DNS
// name: the name itself, or its first label when the rest names the
// namespace (<name>.<namespace>, <name>.<namespace>.svc...), which
// Kubernetes DNS resolves too.
func aliasName(dns, namespace string) string {
	first, rest, found := strings.Cut(strings.ToLower(dns), ".")
	if found && (rest == namespace || strings.HasPrefix(rest, namespace+".svc")) {
		return first
	}
	return strings.ToLower(dns)
}

func serviceNameOf(svc *ecsv1alpha1.Service) string {
	if svc.Spec.ServiceName != "" {
		return svc.Spec.ServiceName
	}
	return svc.Name
}

func ptrValue(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// build makes the Services, sorted by name, ports sorted by name.
func (k *kubeServices) build() []*corev1ac.ServiceApplyConfiguration {
	svcNames := make([]string, 0, len(k.byName))
	for n := range k.byName {
		svcNames = append(svcNames, n)
	}
	sort.Strings(svcNames)
	typ := corev1.ServiceTypeClusterIP
	switch t := corev1.ServiceType(k.svc.Annotations[AnnotationLoadBalancerType]); t {
	case corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
		typ = t
	}
	var res []*corev1ac.ServiceApplyConfiguration
	for _, n := range svcNames {
		s := k.byName[n]
		labels := ServiceSelector(k.svc)
		labels[LabelRole] = s.role
		spec := corev1ac.ServiceSpec().WithSelector(ServiceSelector(k.svc))
		switch {
		case s.headless:
			spec.WithClusterIP(corev1.ClusterIPNone)
		case s.role == RoleLoadBalancer:
			spec.WithType(typ)
		default:
			spec.WithType(corev1.ServiceTypeClusterIP)
		}
		portNames := make([]string, 0, len(s.ports))
		for pn := range s.ports {
			portNames = append(portNames, pn)
		}
		sort.Strings(portNames)
		for _, pn := range portNames {
			sp := s.ports[pn]
			spec.WithPorts(corev1ac.ServicePort().WithName(pn).WithPort(sp.Port).WithTargetPort(sp.TargetPort).WithProtocol(sp.Protocol))
		}
		res = append(res, corev1ac.Service(n, k.svc.Namespace).
			WithLabels(labels).
			WithOwnerReferences(ownerRef(k.svc.GroupVersionKind().GroupVersion().String(), "Service", k.svc.Name, string(k.svc.UID))).
			WithSpec(spec))
	}
	return res
}

// AppliedHash is a short hash of an apply configuration, recorded on the
// object so that an unchanged one is not applied again.
func AppliedHash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// TestListenerServices are the Kubernetes Services through which test
// traffic reaches the revision being deployed, where there is no Gateway
// API: one per target group whose loadBalancers entry has
// advancedConfiguration.testListenerRule, named names.TestService, a copy
// of the target group's Service (lbServices, as KubeServices made them)
// with the role RoleTestListener. The caller points its selector at the
// revision that gets the test traffic.
func TestListenerServices(svc *ecsv1alpha1.Service, lbServices []*corev1ac.ServiceApplyConfiguration) ([]*corev1ac.ServiceApplyConfiguration, error) {
	byName := map[string]*corev1ac.ServiceApplyConfiguration{}
	for _, s := range lbServices {
		byName[*s.Name] = s
	}
	var res []*corev1ac.ServiceApplyConfiguration
	seen := map[string]bool{}
	for _, lb := range svc.Spec.LoadBalancers {
		tg := names.ObjectName(targetGroupName(lb))
		if lb.AdvancedConfiguration == nil || lb.AdvancedConfiguration.TestListenerRule == "" || seen[tg] || byName[tg] == nil {
			continue
		}
		seen[tg] = true
		test, err := cloneService(byName[tg])
		if err != nil {
			return nil, err
		}
		test.WithName(names.TestService(tg)).WithLabels(map[string]string{LabelRole: RoleTestListener})
		res = append(res, test)
	}
	return res, nil
}

// cloneService is a deep copy of a Service's apply configuration.
func cloneService(s *corev1ac.ServiceApplyConfiguration) (*corev1ac.ServiceApplyConfiguration, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	c := &corev1ac.ServiceApplyConfiguration{}
	return c, json.Unmarshal(raw, c)
}
