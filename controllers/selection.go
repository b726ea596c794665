package controllers

import (
	"fmt"
	"slices"
	"strings"
)

// The controllers' names, as --controllers names them.
const (
	NameTaskDefinition   = "taskdefinition"
	NameRevision         = "revision"
	NameService          = "service"
	NameTask             = "task"
	NameStoppedTask      = "stoppedtask"
	NameCluster          = "cluster"
	NameScalableTarget   = "scalabletarget"
	NameMetricAlarm      = "metricalarm"
	NameCapacityProvider = "capacityprovider"
	// NameSampler is the ECS metrics sampler (not a controller, but one
	// process's job all the same).
	NameSampler = "sampler"
)

// Names are every controller's name, in the order they are set up.
var Names = []string{NameTaskDefinition, NameRevision, NameService, NameTask, NameStoppedTask, NameCluster,
	NameScalableTarget, NameMetricAlarm, NameCapacityProvider, NameSampler}

// ClusterWide are the controllers that act on state every namespace shares:
// a capacity provider's node pool holds the tasks of every namespace, so its
// scaling counts them all. An operator that watches some namespaces only
// (Options.Namespaces) must not run them; exactly one that watches every
// namespace does (docs/benchmarks.md, "The limit of one operator").
var ClusterWide = []string{NameCapacityProvider}

// Selection is which controllers run, in kube-controller-manager's
// --controllers syntax: "*" every controller, "name" that one, "-name" not
// that one (which wins over "*"). Empty is "*".
type Selection []string

// ParseSelection reads a comma-separated --controllers value.
func ParseSelection(s string) (Selection, error) {
	var sel Selection
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			sel = append(sel, e)
		}
	}
	return sel, sel.Validate()
}

// Validate refuses an unknown name, a name both enabled and disabled, and
// a selection that enables nothing (say "-x" without "*").
func (s Selection) Validate() error {
	for _, e := range s {
		name := strings.TrimPrefix(e, "-")
		if e == "*" {
			continue
		}
		if !slices.Contains(Names, name) {
			return fmt.Errorf("--controllers: unknown controller %q (known: %s)", name, strings.Join(Names, ", "))
		}
		if name != e && slices.Contains(s, name) {
			return fmt.Errorf("--controllers: %q is both enabled and disabled", name)
		}
	}
	if len(s) > 0 && !slices.ContainsFunc(Names, s.Enabled) {
		return fmt.Errorf("--controllers=%s enables no controller (to run all but some: *,-name)", strings.Join(s, ","))
	}
	return nil
}

// Enabled tells whether the controller named name runs.
func (s Selection) Enabled(name string) bool {
	if len(s) == 0 {
		return true
	}
	if slices.Contains(s, "-"+name) {
		return false
	}
	return slices.Contains(s, name) || slices.Contains(s, "*")
}

// All tells whether every controller runs (empty, or "*" alone).
func (s Selection) All() bool {
	return !slices.ContainsFunc(s, func(e string) bool { return e != "*" })
}

// OnlyClusterWide tells whether the controllers that run are cluster-wide
// ones only (ClusterWide).
func (s Selection) OnlyClusterWide() bool {
	for _, n := range Names {
		if s.Enabled(n) && !slices.Contains(ClusterWide, n) {
			return false
		}
	}
	return true
}
