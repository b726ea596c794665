package translate

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// role is how a container of a task definition runs in the pod.
type role int

const (
	// roleMain: a regular container.
	roleMain role = iota
	// roleSidecar: a dependency other containers wait for to START or be
	// HEALTHY, and that keeps running: a native sidecar (an init container
	// with restartPolicy Always), so the kubelet starts it, and waits for
	// its startupProbe, before the containers that depend on it.
	roleSidecar
	// roleInit: a dependency other containers wait for to COMPLETE or
	// SUCCEED: a regular init container, run to completion first.
	roleInit
)

// ordering is the result of dependsOn: each container's role, the order of
// the init containers (sidecars and run-to-completion ones), and which
// sidecars need a startupProbe (a HEALTHY dependency) with how long
// dependants wait for it (the smallest startTimeout among them, 0 if none).
type ordering struct {
	roles        []role
	initOrder    []int
	healthyGate  map[int]bool
	startTimeout map[int]int32
}

// order maps dependsOn onto init containers and native sidecars: every
// container something depends on runs before the others, in an order that
// respects the dependencies among them. Unknown names, self-references,
// cycles, HEALTHY on a container without a healthCheck and COMPLETE or
// SUCCESS on an essential container are errors, as ECS reports them.
func (b *builder) order(defs []ecsv1alpha1.ContainerDefinition) ordering {
	o := ordering{roles: make([]role, len(defs)), healthyGate: map[int]bool{}, startTimeout: map[int]int32{}}
	byName := make(map[string]int, len(defs))
	for i := range defs {
		byName[defs[i].Name] = i
	}
	completion := map[int]bool{}
	running := map[int]bool{}
	deps := make([][]int, len(defs))
	for i := range defs {
		for k, d := range defs[i].DependsOn {
			if j, ok := b.dependency(defs, byName, i, k, d, completion, running, &o); ok {
				deps[i] = append(deps[i], j)
			}
		}
	}
	for j := range defs {
		switch {
		case completion[j]:
			o.roles[j] = roleInit
			if running[j] && o.healthyGate[j] {
				b.note(containerPath(j).String(), Approximated,
					fmt.Sprintf("%s is waited for both to finish and to be HEALTHY; it runs to completion first", defs[j].Name))
				delete(o.healthyGate, j)
			}
		case running[j]:
			o.roles[j] = roleSidecar
		}
	}
	o.initOrder = b.topoSort(defs, o.roles, deps)
	return o
}

// dependency checks container i's k-th dependency and records what it
// asks of the container it names; it returns that container.
func (b *builder) dependency(defs []ecsv1alpha1.ContainerDefinition, byName map[string]int, i, k int, d ecsv1alpha1.ContainerDependency,
	completion, running map[int]bool, o *ordering) (int, bool) {
	p := containerPath(i).Child("dependsOn").Index(k)
	j, ok := byName[d.ContainerName]
	switch {
	case !ok:
		b.errs = append(b.errs, field.NotFound(p.Child("containerName"), d.ContainerName))
		return 0, false
	case j == i:
		b.errs = append(b.errs, field.Invalid(p.Child("containerName"), d.ContainerName, "a container cannot depend on itself"))
		return 0, false
	}
	dep := &defs[j]
	switch d.Condition {
	case ecsv1alpha1.ContainerConditionComplete, ecsv1alpha1.ContainerConditionSuccess:
		if dep.Essential == nil || *dep.Essential {
			b.errs = append(b.errs, field.Invalid(p.Child("condition"), d.Condition,
				fmt.Sprintf("dependency condition %s cannot be set on an essential container: %s is essential", d.Condition, dep.Name)))
		}
		completion[j] = true
		if d.Condition == ecsv1alpha1.ContainerConditionComplete {
			b.note(p.Child("condition").String(), Approximated,
				fmt.Sprintf("COMPLETE waits for %s to exit with code 0 (as SUCCESS does): a Kubernetes init container that fails does not let the next one start", dep.Name))
		}
	case ecsv1alpha1.ContainerConditionHealthy:
		if dep.HealthCheck == nil {
			b.errs = append(b.errs, field.Invalid(p.Child("condition"), d.Condition,
				fmt.Sprintf("dependency condition HEALTHY needs a healthCheck on container %s", dep.Name)))
		}
		running[j] = true
		o.healthyGate[j] = true
	default:
		running[j] = true
	}
	if t := defs[i].StartTimeout; t != nil && *t > 0 {
		if cur, ok := o.startTimeout[j]; !ok || *t < cur {
			o.startTimeout[j] = *t
		}
	}
	return j, true
}

// topoSort orders the dependency containers (Kahn's algorithm, ties broken
// by position in the task definition) and reports a cycle.
func (b *builder) topoSort(defs []ecsv1alpha1.ContainerDefinition, roles []role, deps [][]int) []int {
	pending := map[int]int{}
	dependants := map[int][]int{}
	for i := range defs {
		if roles[i] == roleMain {
			continue
		}
		pending[i] = 0
		for _, j := range deps[i] {
			pending[i]++
			dependants[j] = append(dependants[j], i)
		}
	}
	var order []int
	for len(pending) > 0 {
		next := -1
		for i, n := range pending {
			if n == 0 && (next < 0 || i < next) {
				next = i
			}
		}
		if next < 0 {
			var names []string
			for i := range pending {
				names = append(names, defs[i].Name)
			}
			sort.Strings(names)
			b.errs = append(b.errs, field.Invalid(field.NewPath("containerDefinitions"), strings.Join(names, ", "),
				"dependsOn has a circular dependency among containers "+strings.Join(names, ", ")))
			return order
		}
		order = append(order, next)
		delete(pending, next)
		for _, k := range dependants[next] {
			if _, ok := pending[k]; ok {
				pending[k]--
			}
		}
	}
	return order
}
