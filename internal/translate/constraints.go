package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/cql"
	"github.com/berth-dev/berth/internal/names"
)

// LabelGroup is the ECS task group of a standalone task's pod (a service's
// tasks are its group, "service:<name>", through LabelService).
const LabelGroup = "ecs.berth.dev/group"

// Scheduler profiles of placement strategies (docs/capacity.md): the local
// control plane's kube-scheduler runs them; another cluster needs them
// configured (Features.SchedulerProfiles).
const (
	SchedulerBinpackCPU    = "berth-binpack-cpu"
	SchedulerBinpackMemory = "berth-binpack-memory"
	SchedulerRandom        = "berth-random"
)

// GroupLabelValue is a task group as a label value: characters a label
// value cannot hold become '.', and a group too long for one is hashed.
func GroupLabelValue(group string) string {
	v := invalidLabelChars.ReplaceAllString(group, ".")
	v = strings.Trim(v, ".-_")
	if len(v) > 63 {
		sum := sha256.Sum256([]byte(group))
		v = strings.Trim(v[:46], ".-_") + "." + hex.EncodeToString(sum[:])[:16]
	}
	return v
}

var invalidLabelChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// groupSelector are the labels that select the tasks of an ECS task group.
func groupSelector(group string) map[string]string {
	if svc, ok := strings.CutPrefix(group, "service:"); ok && svc != "" {
		return map[string]string{ecsv1alpha1.LabelService: names.ObjectName(svc)}
	}
	return map[string]string{LabelGroup: GroupLabelValue(group)}
}

// constraint is one placement constraint from the task definition or the
// service or task, with its field path.
type constraint struct {
	path       *field.Path
	typ        string
	expression string
}

func constraints(td *ecsv1alpha1.RegisterTaskDefinitionInput, p Placement) []constraint {
	var res []constraint
	for i, c := range td.PlacementConstraints {
		res = append(res, constraint{field.NewPath("placementConstraints").Index(i), string(c.Type), c.Expression})
	}
	for i, c := range p.Constraints {
		res = append(res, constraint{field.NewPath("spec", "placementConstraints").Index(i), string(c.Type), c.Expression})
	}
	return res
}

// ValidatePlacement checks a service's or task's placementConstraints and
// placementStrategy as ECS would at CreateService or RunTask, and as far as
// Kubernetes can express them.
func ValidatePlacement(cs []ecsv1alpha1.PlacementConstraint, ss []ecsv1alpha1.PlacementStrategy) field.ErrorList {
	var errs field.ErrorList
	for i, c := range cs {
		p := field.NewPath("spec", "placementConstraints").Index(i)
		if _, err := constraintAffinity(constraint{p, string(c.Type), c.Expression}, nil); err != nil {
			errs = append(errs, err)
		}
	}
	for i, s := range ss {
		if _, _, err := strategy(field.NewPath("spec", "placementStrategy").Index(i), s); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// constraintAffinity translates one constraint: distinctInstance, or a
// memberOf expression of the cluster query language.
func constraintAffinity(c constraint, values cql.Values) (cql.Affinity, *field.Error) {
	switch c.typ {
	case "distinctInstance":
		if c.expression != "" {
			return cql.Affinity{}, field.Invalid(c.path.Child("expression"), c.expression, "distinctInstance takes no expression")
		}
		return cql.Affinity{}, nil
	case "memberOf":
	default:
		return cql.Affinity{}, field.NotSupported(c.path.Child("type"), c.typ, []string{"distinctInstance", "memberOf"})
	}
	if c.expression == "" {
		return cql.Affinity{}, field.Required(c.path.Child("expression"), "memberOf needs a cluster query language expression")
	}
	e, err := cql.Parse(c.expression)
	if err != nil {
		return cql.Affinity{}, field.Invalid(c.path.Child("expression"), c.expression, err.Error())
	}
	a, err := cql.ToAffinity(e, values)
	if err != nil {
		return cql.Affinity{}, field.Invalid(c.path.Child("expression"), c.expression, err.Error())
	}
	return a, nil
}

// strategy translates one placement strategy: a topology key to spread
// over, or a scheduler profile.
func strategy(p *field.Path, s ecsv1alpha1.PlacementStrategy) (topologyKey, scheduler string, err *field.Error) {
	switch s.Type {
	case ecsv1alpha1.PlacementStrategyTypeSpread:
		switch s.Field {
		case "instanceId", "host":
			return corev1.LabelHostname, "", nil
		case "":
			return "", "", field.Required(p.Child("field"), "spread needs a field: instanceId, host or attribute:<name>")
		}
		key, kerr := cql.NodeKey(s.Field)
		if kerr != nil {
			return "", "", field.Invalid(p.Child("field"), s.Field, kerr.Error())
		}
		return key, "", nil
	case ecsv1alpha1.PlacementStrategyTypeBinpack:
		switch strings.ToLower(s.Field) {
		case "cpu":
			return "", SchedulerBinpackCPU, nil
		case "memory":
			return "", SchedulerBinpackMemory, nil
		}
		return "", "", field.NotSupported(p.Child("field"), s.Field, []string{"cpu", "memory"})
	case ecsv1alpha1.PlacementStrategyTypeRandom:
		return "", SchedulerRandom, nil
	}
	return "", "", field.NotSupported(p.Child("type"), s.Type, []string{"spread", "binpack", "random"})
}

// placementRules are the pod's scheduling rules from placement: node
// affinity (the pools, when several, and every memberOf expression, all of
// which must hold), pod affinity and anti-affinity (task:group,
// distinctInstance), topology spread (spread) and the scheduler profile
// (binpack, random).
func (b *builder) placementRules(td *ecsv1alpha1.RegisterTaskDefinitionInput, p Placement, pools []string) {
	r := rules{terms: [][]corev1.NodeSelectorRequirement{nil}}
	if len(pools) > 0 {
		r.terms = [][]corev1.NodeSelectorRequirement{{{Key: ecsv1alpha1.LabelCapacityProvider, Operator: corev1.NodeSelectorOpIn, Values: pools}}}
	}
	var values cql.Values
	if p.NodeValues != nil {
		values = func(key string) []string { return p.NodeValues[key] }
	}
	own := groupSelector(p.Group)
	for _, c := range constraints(td, p) {
		a, err := constraintAffinity(c, values)
		if err != nil {
			b.errs = append(b.errs, err)
			continue
		}
		if c.typ == "distinctInstance" {
			if p.Group != "" {
				r.anti = append(r.anti, podTerm(own))
			}
			continue
		}
		if err := r.add(c, a); err != nil {
			b.errs = append(b.errs, err)
			return
		}
	}
	if affinity := r.affinity(); affinity != nil {
		b.spec.WithAffinity(affinity)
	}
	b.strategies(p, own)
}

// rules are the scheduling rules constraints add up to.
type rules struct {
	// terms are node selector terms (alternatives of conjunctions).
	terms [][]corev1.NodeSelectorRequirement
	// pod and anti are required pod affinity and anti-affinity terms.
	pod, anti []*corev1ac.PodAffinityTermApplyConfiguration
}

// add joins a memberOf expression's affinity to the rules: its node terms
// with and, its task:group requirements as pod (anti-)affinity.
func (r *rules) add(c constraint, a cql.Affinity) *field.Error {
	if a.NodeTerms != nil {
		if r.terms = product(r.terms, a.NodeTerms); len(r.terms) > 16 {
			return field.Invalid(c.path.Child("expression"), c.expression, "together with the other constraints, it expands into more than 16 alternatives of node requirements")
		}
	}
	for _, g := range a.Groups {
		for _, v := range g.Values {
			if g.Anti {
				r.anti = append(r.anti, podTerm(groupSelector(v)))
			} else {
				r.pod = append(r.pod, podTerm(groupSelector(v)))
			}
		}
	}
	return nil
}

// affinity is the rules as a pod's affinity (nil: none).
func (r *rules) affinity() *corev1ac.AffinityApplyConfiguration {
	affinity := corev1ac.Affinity()
	set := false
	if len(r.terms) > 1 || len(r.terms[0]) > 0 {
		ns := corev1ac.NodeSelector()
		for _, t := range r.terms {
			term := corev1ac.NodeSelectorTerm()
			for _, req := range t {
				term.WithMatchExpressions(corev1ac.NodeSelectorRequirement().WithKey(req.Key).WithOperator(req.Operator).WithValues(req.Values...))
			}
			ns.WithNodeSelectorTerms(term)
		}
		affinity.WithNodeAffinity(corev1ac.NodeAffinity().WithRequiredDuringSchedulingIgnoredDuringExecution(ns))
		set = true
	}
	if len(r.pod) > 0 {
		affinity.WithPodAffinity(corev1ac.PodAffinity().WithRequiredDuringSchedulingIgnoredDuringExecution(r.pod...))
		set = true
	}
	if len(r.anti) > 0 {
		affinity.WithPodAntiAffinity(corev1ac.PodAntiAffinity().WithRequiredDuringSchedulingIgnoredDuringExecution(r.anti...))
		set = true
	}
	if !set {
		return nil
	}
	return affinity
}

// strategies: spread becomes a topology spread constraint over the task
// group (skew 1, a preference as ECS's spread is); binpack and random
// select Berth's scheduler profile, when the cluster has them.
func (b *builder) strategies(p Placement, own map[string]string) {
	seen := map[string]bool{}
	for i, s := range p.Strategies {
		path := field.NewPath("spec", "placementStrategy").Index(i)
		key, scheduler, err := strategy(path, s)
		if err != nil {
			b.errs = append(b.errs, err)
			continue
		}
		switch {
		case key != "" && !seen[key] && p.Group != "":
			seen[key] = true
			b.spec.WithTopologySpreadConstraints(corev1ac.TopologySpreadConstraint().
				WithMaxSkew(1).WithTopologyKey(key).WithWhenUnsatisfiable(corev1.ScheduleAnyway).
				WithLabelSelector(metav1ac.LabelSelector().WithMatchLabels(own)))
		case scheduler != "" && b.spec.SchedulerName == nil && b.features.SchedulerProfiles:
			b.spec.WithSchedulerName(scheduler)
		}
	}
}

func podTerm(sel map[string]string) *corev1ac.PodAffinityTermApplyConfiguration {
	return corev1ac.PodAffinityTerm().WithTopologyKey(corev1.LabelHostname).
		WithLabelSelector(metav1ac.LabelSelector().WithMatchLabels(sel))
}

// product is the conjunction of two sets of alternatives.
func product(a, b [][]corev1.NodeSelectorRequirement) [][]corev1.NodeSelectorRequirement {
	var res [][]corev1.NodeSelectorRequirement
	for _, x := range a {
		for _, y := range b {
			res = append(res, append(append([]corev1.NodeSelectorRequirement(nil), x...), y...))
		}
	}
	return res
}

// PlacementNotes say what of a placement Kubernetes only approximates or
// this cluster cannot do, for the status of the service or task.
func PlacementNotes(p Placement, f Features) []string {
	var notes []string
	for _, s := range p.Strategies {
		if s.Type == ecsv1alpha1.PlacementStrategyTypeBinpack || s.Type == ecsv1alpha1.PlacementStrategyTypeRandom {
			if !f.SchedulerProfiles {
				notes = append(notes, fmt.Sprintf("placementStrategy %s is not applied: the cluster's scheduler has no %s profile (docs/capacity.md)", s.Type, SchedulerBinpackCPU))
			}
		}
	}
	sort.Strings(notes)
	return notes
}

// NodeValues collects, for the label keys constraints match patterns
// against, the values the nodes carry (sorted, distinct).
func NodeValues(nodes []corev1.Node) map[string][]string {
	set := map[string]map[string]bool{}
	for _, n := range nodes {
		for k, v := range n.Labels {
			if set[k] == nil {
				set[k] = map[string]bool{}
			}
			set[k][v] = true
		}
	}
	res := make(map[string][]string, len(set))
	for k, vs := range set {
		for v := range vs {
			res[k] = append(res[k], v)
		}
		sort.Strings(res[k])
	}
	return res
}

// NeedsNodeValues tells whether a placement's constraints match patterns
// against node label values.
func NeedsNodeValues(td *ecsv1alpha1.RegisterTaskDefinitionInput, p Placement) bool {
	for _, c := range constraints(td, p) {
		if e, err := cql.Parse(c.expression); err == nil && c.typ == "memberOf" && cql.NeedsValues(e) {
			return true
		}
	}
	return false
}
