package translate

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

// cpuMillis converts ECS CPU units (1024 per vCPU) to Kubernetes
// millicores, rounding up so that a share is never 0.
func cpuMillis(units int32) int64 {
	return (int64(units)*1000 + 1023) / 1024
}

// PodSpec translates a task definition revision placed on p into a pod spec.
// restartPolicy is Always for a Service's tasks and Never for a standalone
// Task.
//
// What is translated today: image, entryPoint → command, command → args,
// environment, workingDirectory, portMappings, cpu (a request of
// cpu×1000/1024 millicores, no limit), memory (the limit) and
// memoryReservation (the request). The rest of the container definition is
// the subject of later work and is listed in README.md.
func PodSpec(td *ecsv1alpha1.RegisterTaskDefinitionInput, p Placement, restartPolicy corev1.RestartPolicy) *corev1ac.PodSpecApplyConfiguration {
	spec := corev1ac.PodSpec().
		WithRestartPolicy(restartPolicy).
		// ECS tasks do not talk to the Kubernetes API and get no
		// Docker-link environment variables.
		WithAutomountServiceAccountToken(false).
		WithEnableServiceLinks(false).
		WithSecurityContext(corev1ac.PodSecurityContext().
			WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault)))
	for i := range td.ContainerDefinitions {
		spec.WithContainers(container(&td.ContainerDefinitions[i]))
	}
	sel := selectNodes(p)
	if len(sel.nodeSelector) > 0 {
		spec.WithNodeSelector(sel.nodeSelector)
	}
	if len(sel.poolNames) > 0 {
		req := corev1ac.NodeSelectorRequirement().
			WithKey(ecsv1alpha1.LabelCapacityProvider).
			WithOperator(corev1.NodeSelectorOpIn).
			WithValues(sel.poolNames...)
		terms := corev1ac.NodeSelector().WithNodeSelectorTerms(corev1ac.NodeSelectorTerm().WithMatchExpressions(req))
		spec.WithAffinity(corev1ac.Affinity().WithNodeAffinity(
			corev1ac.NodeAffinity().WithRequiredDuringSchedulingIgnoredDuringExecution(terms)))
	}
	for _, t := range sel.tolerations {
		spec.WithTolerations(corev1ac.Toleration().WithKey(t.Key).WithOperator(t.Operator).WithValue(t.Value).WithEffect(t.Effect))
	}
	return spec
}

func container(c *ecsv1alpha1.ContainerDefinition) *corev1ac.ContainerApplyConfiguration {
	ct := corev1ac.Container().WithName(names.Container(c.Name)).WithImage(c.Image)
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
	for _, kv := range c.Environment {
		ct.WithEnv(corev1ac.EnvVar().WithName(kv.Name).WithValue(kv.Value))
	}
	for _, pm := range c.PortMappings {
		if port := containerPort(pm); port != nil {
			ct.WithPorts(port)
		}
	}
	if res := resources(c); res != nil {
		ct.WithResources(res)
	}
	return ct
}

func containerPort(pm ecsv1alpha1.PortMapping) *corev1ac.ContainerPortApplyConfiguration {
	if pm.ContainerPort == nil || *pm.ContainerPort < 1 {
		// A port range (containerPortRange) has no single port to declare.
		return nil
	}
	port := corev1ac.ContainerPort().WithContainerPort(*pm.ContainerPort)
	proto := corev1.ProtocolTCP
	if pm.Protocol == ecsv1alpha1.TransportProtocolUdp {
		proto = corev1.ProtocolUDP
	}
	port.WithProtocol(proto)
	// ECS port names are longer and freer than Kubernetes' IANA service
	// names; only names Kubernetes accepts are carried over.
	if pm.Name != "" && len(validation.IsValidPortName(strings.ToLower(pm.Name))) == 0 {
		port.WithName(strings.ToLower(pm.Name))
	}
	return port
}

func resources(c *ecsv1alpha1.ContainerDefinition) *corev1ac.ResourceRequirementsApplyConfiguration {
	requests := corev1.ResourceList{}
	limits := corev1.ResourceList{}
	if c.Cpu != nil && *c.Cpu > 0 {
		requests[corev1.ResourceCPU] = *resource.NewMilliQuantity(cpuMillis(*c.Cpu), resource.DecimalSI)
	}
	if c.Memory != nil && *c.Memory > 0 {
		limits[corev1.ResourceMemory] = mebibytes(*c.Memory)
	}
	if c.MemoryReservation != nil && *c.MemoryReservation > 0 {
		requests[corev1.ResourceMemory] = mebibytes(*c.MemoryReservation)
	}
	if len(requests) == 0 && len(limits) == 0 {
		return nil
	}
	res := corev1ac.ResourceRequirements()
	if len(requests) > 0 {
		res.WithRequests(requests)
	}
	if len(limits) > 0 {
		res.WithLimits(limits)
	}
	return res
}

func mebibytes(n int32) resource.Quantity {
	return resource.MustParse(fmt.Sprintf("%dMi", n))
}
