package translate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// ApplyOverrides returns the task definition a RunTask with overrides runs,
// as ECS applies them: per container, command and resourceRequirements
// replace the definition's, environment variables replace those of the same
// name and add the others, environment files are added, cpu, memory and
// memoryReservation replace; at the task level, cpu, memory,
// ephemeralStorage and the roles replace. td is not modified. Overriding a
// container the definition does not have is an error, as in ECS.
func ApplyOverrides(td *ecsv1alpha1.RegisterTaskDefinitionInput, o *ecsv1alpha1.TaskOverride) (*ecsv1alpha1.RegisterTaskDefinitionInput, error) {
	if o == nil {
		return td, nil
	}
	res := td.DeepCopy()
	if o.Cpu != "" {
		res.Cpu = o.Cpu
	}
	if o.Memory != "" {
		res.Memory = o.Memory
	}
	if o.EphemeralStorage != nil {
		res.EphemeralStorage = o.EphemeralStorage.DeepCopy()
	}
	if o.TaskRoleArn != "" {
		res.TaskRoleArn = o.TaskRoleArn
	}
	if o.ExecutionRoleArn != "" {
		res.ExecutionRoleArn = o.ExecutionRoleArn
	}
	for i, co := range o.ContainerOverrides {
		p := field.NewPath("overrides", "containerOverrides").Index(i).Child("name")
		var c *ecsv1alpha1.ContainerDefinition
		for j := range res.ContainerDefinitions {
			if res.ContainerDefinitions[j].Name == co.Name {
				c = &res.ContainerDefinitions[j]
			}
		}
		if c == nil {
			return nil, &InvalidError{Errs: field.ErrorList{field.NotFound(p, co.Name)}}
		}
		if len(co.Command) > 0 {
			c.Command = append([]string(nil), co.Command...)
		}
		for _, kv := range co.Environment {
			replaced := false
			for k := range c.Environment {
				if c.Environment[k].Name == kv.Name {
					c.Environment[k].Value, replaced = kv.Value, true
				}
			}
			if !replaced {
				c.Environment = append(c.Environment, kv)
			}
		}
		c.EnvironmentFiles = append(c.EnvironmentFiles, co.EnvironmentFiles...)
		if co.Cpu != nil {
			c.Cpu = ptrInt32(*co.Cpu)
		}
		if co.Memory != nil {
			c.Memory = ptrInt32(*co.Memory)
		}
		if co.MemoryReservation != nil {
			c.MemoryReservation = ptrInt32(*co.MemoryReservation)
		}
		if len(co.ResourceRequirements) > 0 {
			c.ResourceRequirements = append([]ecsv1alpha1.ResourceRequirement(nil), co.ResourceRequirements...)
		}
	}
	if len(o.InferenceAcceleratorOverrides) > 0 {
		return nil, &InvalidError{Errs: field.ErrorList{field.Forbidden(field.NewPath("overrides", "inferenceAcceleratorOverrides"),
			fmt.Sprintf("Elastic Inference is retired by AWS; %d accelerator overrides cannot be applied", len(o.InferenceAcceleratorOverrides)))}}
	}
	return res, nil
}

func ptrInt32(v int32) *int32 { return &v }
