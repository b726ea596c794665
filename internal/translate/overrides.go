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
	for i := range o.ContainerOverrides {
		if err := overrideContainer(res, i, &o.ContainerOverrides[i]); err != nil {
			return nil, err
		}
	}
	if n := len(o.InferenceAcceleratorOverrides); n > 0 { //nolint:staticcheck // deprecated by ECS, and refused here for that reason
		return nil, &InvalidError{Errs: field.ErrorList{field.Forbidden(field.NewPath("overrides", "inferenceAcceleratorOverrides"),
			fmt.Sprintf("Elastic Inference is retired by AWS; %d accelerator overrides cannot be applied", n))}}
	}
	return res, nil
}

// overrideContainer applies the i-th container override to td.
func overrideContainer(td *ecsv1alpha1.RegisterTaskDefinitionInput, i int, co *ecsv1alpha1.ContainerOverride) error {
	var c *ecsv1alpha1.ContainerDefinition
	for j := range td.ContainerDefinitions {
		if td.ContainerDefinitions[j].Name == co.Name {
			c = &td.ContainerDefinitions[j]
		}
	}
	if c == nil {
		return &InvalidError{Errs: field.ErrorList{field.NotFound(field.NewPath("overrides", "containerOverrides").Index(i).Child("name"), co.Name)}}
	}
	if len(co.Command) > 0 {
		c.Command = append([]string(nil), co.Command...)
	}
	for _, kv := range co.Environment {
		c.Environment = setEnv(c.Environment, kv)
	}
	c.EnvironmentFiles = append(c.EnvironmentFiles, co.EnvironmentFiles...)
	c.Cpu = overrideInt(c.Cpu, co.Cpu)
	c.Memory = overrideInt(c.Memory, co.Memory)
	c.MemoryReservation = overrideInt(c.MemoryReservation, co.MemoryReservation)
	if len(co.ResourceRequirements) > 0 {
		c.ResourceRequirements = append([]ecsv1alpha1.ResourceRequirement(nil), co.ResourceRequirements...)
	}
	return nil
}

// setEnv replaces the variable of kv's name, or adds it.
func setEnv(env []ecsv1alpha1.KeyValuePair, kv ecsv1alpha1.KeyValuePair) []ecsv1alpha1.KeyValuePair {
	for k := range env {
		if env[k].Name == kv.Name {
			env[k].Value = kv.Value
			return env
		}
	}
	return append(env, kv)
}

func overrideInt(v, o *int32) *int32 {
	if o == nil {
		return v
	}
	return ptrInt32(*o)
}

func ptrInt32(v int32) *int32 { return &v }
