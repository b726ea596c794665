package translate

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// ResourceGPU is the extended resource an ECS GPU requirement becomes.
const ResourceGPU corev1.ResourceName = "nvidia.com/gpu"

// cpuMillis converts ECS CPU units (1024 per vCPU) to Kubernetes
// millicores, rounding up so that a share is never 0.
func cpuMillis(units int64) int64 {
	return (units*1000 + 1023) / 1024
}

// fargateSizes are Fargate's valid task sizes: CPU units → memory MiB.
var fargateSizes = []struct {
	cpu      int64
	mem      []int64
	min, max int64
	step     int64
}{
	{cpu: 256, mem: []int64{512, 1024, 2048}},
	{cpu: 512, min: 1024, max: 4096, step: 1024},
	{cpu: 1024, min: 2048, max: 8192, step: 1024},
	{cpu: 2048, min: 4096, max: 16384, step: 1024},
	{cpu: 4096, min: 8192, max: 30720, step: 1024},
	{cpu: 8192, min: 16384, max: 61440, step: 4096},
	{cpu: 16384, min: 32768, max: 122880, step: 8192},
}

// FargateSize is the smallest valid Fargate task size with at least cpu
// units and mem MiB, as Fargate (and EKS Fargate) rounds a task up; ok is
// false when no size is large enough.
func FargateSize(cpu, mem int64) (sizeCPU, sizeMem int64, ok bool) {
	for _, s := range fargateSizes {
		if s.cpu < cpu {
			continue
		}
		mems := s.mem
		for m := s.min; s.step > 0 && m <= s.max; m += s.step {
			mems = append(mems, m)
		}
		for _, m := range mems {
			if m >= mem {
				return s.cpu, m, true
			}
		}
	}
	return 0, 0, false
}

// FargateSizeLabel words a Fargate size as EKS Fargate's CapacityProvisioned
// annotation does: "0.25vCPU 0.5GB".
func FargateSizeLabel(cpu, mem int64) string {
	return strconv.FormatFloat(float64(cpu)/1024, 'f', -1, 64) + "vCPU " +
		strconv.FormatFloat(float64(mem)/1024, 'f', -1, 64) + "GB"
}

// containerResources: cpu is a share (a request, no limit; on Windows a
// cap), memory the hard limit, memoryReservation the soft one (the request;
// memory when there is none), GPUs an extended resource.
func (b *builder) containerResources(i int, c *ecsv1alpha1.ContainerDefinition) *corev1ac.ResourceRequirementsApplyConfiguration {
	path := containerPath(i)
	requests := corev1.ResourceList{}
	limits := corev1.ResourceList{}
	if c.Cpu != nil && *c.Cpu > 0 {
		q := *resource.NewMilliQuantity(cpuMillis(int64(*c.Cpu)), resource.DecimalSI)
		requests[corev1.ResourceCPU] = q
		if b.windows {
			limits[corev1.ResourceCPU] = q
		}
	}
	if c.Memory != nil && *c.Memory > 0 {
		limits[corev1.ResourceMemory] = mebibytes(int64(*c.Memory))
		requests[corev1.ResourceMemory] = mebibytes(int64(*c.Memory))
	}
	if c.MemoryReservation != nil && *c.MemoryReservation > 0 {
		requests[corev1.ResourceMemory] = mebibytes(int64(*c.MemoryReservation))
		if c.Memory != nil && *c.Memory > 0 && *c.MemoryReservation > *c.Memory {
			b.errs = append(b.errs, field.Invalid(path.Child("memoryReservation"), *c.MemoryReservation,
				fmt.Sprintf("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified, and 'memoryReservation' must be less than 'memory'", c.Name)))
		}
	}
	b.extendedResources(path, c.ResourceRequirements, requests, limits)
	return requirements(requests, limits)
}

// requirements are the lists as an apply configuration; nil when empty.
func requirements(requests, limits corev1.ResourceList) *corev1ac.ResourceRequirementsApplyConfiguration {
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

// extendedResources: GPUs as nvidia.com/gpu; Elastic Inference is reported.
func (b *builder) extendedResources(path *field.Path, reqs []ecsv1alpha1.ResourceRequirement, requests, limits corev1.ResourceList) {
	for j, rr := range reqs {
		p := path.Child("resourceRequirements").Index(j)
		if rr.Type != ecsv1alpha1.ResourceTypeGpu {
			b.note(p.String(), Unsupported, fmt.Sprintf("resource type %s (Elastic Inference) is no longer available in ECS and has no Kubernetes equivalent", rr.Type))
			continue
		}
		n, err := strconv.ParseInt(rr.Value, 10, 32)
		if err != nil || n < 1 {
			b.errs = append(b.errs, field.Invalid(p.Child("value"), rr.Value, "the number of GPUs must be a positive integer"))
			continue
		}
		limits[ResourceGPU] = *resource.NewQuantity(n, resource.DecimalSI)
		requests[ResourceGPU] = *resource.NewQuantity(n, resource.DecimalSI)
	}
}

// podResources: the task-level cpu and memory are the task's size — a hard
// cap and, as ECS reserves them for placement, the request too — so they
// become pod-level requests and limits (Guaranteed QoS). On the
// Fargate-style pool a task is sized up to a valid Fargate size, computed
// from its containers when the task has no size of its own.
func (b *builder) podResources(td *ecsv1alpha1.RegisterTaskDefinitionInput, sumCPU, sumMem int64) *corev1ac.ResourceRequirementsApplyConfiguration {
	cpu, mem, hasCPU, hasMem, ok := b.taskSize(td, sumCPU, sumMem)
	if !ok {
		return nil
	}
	if b.windows {
		if hasCPU || hasMem {
			b.note("cpu", Approximated, "task-level cpu and memory are not applied to Windows tasks (Kubernetes has no pod-level resources on Windows; ECS ignores task cpu for Windows containers on EC2)")
		}
		return nil
	}
	if b.fargate {
		var ok bool
		if cpu, mem, ok = b.fargateSize(td, cpu, mem, hasCPU, hasMem, sumCPU, sumMem); !ok {
			return nil
		}
		hasCPU, hasMem = true, true
	}
	if !hasCPU && !hasMem {
		return nil
	}
	list := corev1.ResourceList{}
	if hasCPU {
		list[corev1.ResourceCPU] = *resource.NewMilliQuantity(cpuMillis(cpu), resource.DecimalSI)
	}
	if hasMem {
		list[corev1.ResourceMemory] = mebibytes(mem)
	}
	return corev1ac.ResourceRequirements().WithRequests(list).WithLimits(list.DeepCopy())
}

// taskSize parses the task's cpu and memory and checks that its containers
// fit in them, as ECS does at registration.
func (b *builder) taskSize(td *ecsv1alpha1.RegisterTaskDefinitionInput, sumCPU, sumMem int64) (cpu, mem int64, hasCPU, hasMem, ok bool) {
	cpu, hasCPU, err := TaskCPUUnits(td.Cpu)
	if err != nil {
		b.errs = append(b.errs, field.Invalid(field.NewPath("cpu"), td.Cpu, err.Error()+" "+TaskCPUHint))
		return 0, 0, false, false, false
	}
	mem, hasMem, err = TaskMemoryMiB(td.Memory)
	if err != nil {
		b.errs = append(b.errs, field.Invalid(field.NewPath("memory"), td.Memory, err.Error()+" "+TaskMemoryHint))
		return 0, 0, false, false, false
	}
	if hasCPU && sumCPU > cpu {
		b.errs = append(b.errs, field.Invalid(field.NewPath("cpu"), td.Cpu,
			fmt.Sprintf("Invalid 'cpu' setting for task: the containers reserve %d CPU units in total, more than the task's %d", sumCPU, cpu)))
	}
	if hasMem && sumMem > mem {
		b.errs = append(b.errs, field.Invalid(field.NewPath("memory"), td.Memory,
			fmt.Sprintf("Invalid 'memory' setting for task: the containers reserve %d MiB in total, more than the task's %d MiB", sumMem, mem)))
	}
	return cpu, mem, hasCPU, hasMem, true
}

// fargateSize is the Fargate size a task runs as: the smallest that fits
// its own size and its containers'.
func (b *builder) fargateSize(td *ecsv1alpha1.RegisterTaskDefinitionInput, cpu, mem int64, hasCPU, hasMem bool, sumCPU, sumMem int64) (int64, int64, bool) {
	needCPU, needMem := max(cpu, sumCPU), max(mem, sumMem)
	sc, sm, ok := FargateSize(needCPU, needMem)
	if !ok {
		b.errs = append(b.errs, field.Invalid(field.NewPath("memory"), td.Memory,
			fmt.Sprintf("No Fargate configuration exists for given values: %d CPU units, %d MiB memory", needCPU, needMem)))
		return 0, 0, false
	}
	if !hasCPU || !hasMem || sc != cpu || sm != mem {
		b.note("cpu", Approximated, fmt.Sprintf("the task runs on Fargate capacity sized %s (%d CPU units, %d MiB), the smallest Fargate size that fits it", FargateSizeLabel(sc, sm), sc, sm))
	}
	b.annotations[ecsv1alpha1.AnnotationFargateSize] = FargateSizeLabel(sc, sm)
	return sc, sm, true
}

func mebibytes(n int64) resource.Quantity {
	return *resource.NewQuantity(n*1024*1024, resource.BinarySI)
}
