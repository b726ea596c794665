package cql

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Attribute label keys: the node labels ECS's built-in attributes read, and
// the prefix of custom attributes (attribute:stack → ecs.attribute/stack).
const (
	CustomAttributePrefix = "ecs.attribute/"
	// LabelUnsatisfiable is required of nodes when an expression can match
	// none (a regular expression no node value matches): no node has it.
	LabelUnsatisfiable = "ecs.berth.dev/unsatisfiable"
)

var builtinAttributes = map[string]string{
	"ecs.instance-type":     corev1.LabelInstanceTypeStable,
	"ecs.availability-zone": corev1.LabelTopologyZone,
	"ecs.os-type":           corev1.LabelOSStable,
	"ecs.cpu-architecture":  corev1.LabelArchStable,
}

// archValues are ECS's names for Kubernetes' architectures.
var archValues = map[string]string{"x86_64": "amd64", "arm64": "arm64", "aarch64": "arm64", "i386": "386"}

// maxTerms bounds the node selector terms an expression expands into.
const maxTerms = 16

// Affinity is what an expression requires of a task's node and of the
// tasks beside it.
type Affinity struct {
	// NodeTerms are alternatives (ORed); each is a conjunction. Nil: no
	// requirement on the node.
	NodeTerms [][]corev1.NodeSelectorRequirement
	// Groups are task:group requirements: the node must (Affinity) or must
	// not (AntiAffinity) run a task of one of Values.
	Groups []GroupRequirement
}

// GroupRequirement is a task:group requirement.
type GroupRequirement struct {
	Anti   bool
	Values []string
}

// Values gives, for a node label key, the values the nodes the task may run
// on carry (sorted); regular expressions and wildcards become the list of
// values they match, as a node selector cannot match a pattern.
type Values func(key string) []string

// NodeKey is the node label an ECS subject reads, or an error when
// Kubernetes has no node label for it.
func NodeKey(subject string) (string, error) {
	if subject == "ec2InstanceId" {
		return corev1.LabelHostname, nil
	}
	name, ok := strings.CutPrefix(subject, "attribute:")
	if !ok {
		return "", fmt.Errorf("%s cannot be expressed as a Kubernetes node selector; Berth supports attribute:<name>, ec2InstanceId and task:group", subject)
	}
	if key, ok := builtinAttributes[name]; ok {
		return key, nil
	}
	key := CustomAttributePrefix + name
	if errs := validation.IsQualifiedName(key); len(errs) > 0 {
		return "", fmt.Errorf("attribute %q becomes the node label %q, which is not a valid label key: %s", name, key, strings.Join(errs, "; "))
	}
	return key, nil
}

// ToAffinity translates an expression. "task:group" comparisons must hold
// whatever the rest (they are joined to it with and, not under or).
func ToAffinity(e Expr, values Values) (Affinity, error) {
	var a Affinity
	nodePart, err := splitGroups(nnf(e, false), &a)
	if err != nil {
		return a, err
	}
	if nodePart == nil {
		return a, nil
	}
	terms, err := dnf(nodePart)
	if err != nil {
		return a, err
	}
	for _, term := range terms {
		reqs, ok, err := requirements(term, values)
		if err != nil {
			return a, err
		}
		if ok {
			a.NodeTerms = append(a.NodeTerms, reqs)
		}
	}
	if len(a.NodeTerms) == 0 {
		a.NodeTerms = [][]corev1.NodeSelectorRequirement{{{Key: LabelUnsatisfiable, Operator: corev1.NodeSelectorOpExists}}}
	}
	return a, nil
}

// lit is a comparison, possibly negated.
type lit struct {
	c   *Cmp
	neg bool
}

// nnf pushes negations down to the comparisons.
func nnf(e Expr, neg bool) Expr {
	switch x := e.(type) {
	case *Not:
		return nnf(x.X, !neg)
	case *And:
		if neg {
			return &Or{L: nnf(x.L, true), R: nnf(x.R, true)}
		}
		return &And{L: nnf(x.L, false), R: nnf(x.R, false)}
	case *Or:
		if neg {
			return &And{L: nnf(x.L, true), R: nnf(x.R, true)}
		}
		return &Or{L: nnf(x.L, false), R: nnf(x.R, false)}
	case *Cmp:
		if neg {
			return &Not{X: x}
		}
		return x
	}
	return e
}

func asLit(e Expr) (lit, bool) {
	switch x := e.(type) {
	case *Cmp:
		return lit{c: x}, true
	case *Not:
		if c, ok := x.X.(*Cmp); ok {
			return lit{c: c, neg: true}, true
		}
	}
	return lit{}, false
}

// splitGroups takes the task:group comparisons out of the top-level
// conjunction; it returns what is left (nil: nothing).
func splitGroups(e Expr, a *Affinity) (Expr, error) {
	if x, ok := e.(*And); ok {
		l, err := splitGroups(x.L, a)
		if err != nil {
			return nil, err
		}
		r, err := splitGroups(x.R, a)
		if err != nil {
			return nil, err
		}
		switch {
		case l == nil:
			return r, nil
		case r == nil:
			return l, nil
		}
		return &And{L: l, R: r}, nil
	}
	if l, ok := asLit(e); ok && l.c.Subject == "task:group" {
		g, err := groupRequirement(l)
		if err != nil {
			return nil, err
		}
		a.Groups = append(a.Groups, g)
		return nil, nil
	}
	if mentionsGroup(e) {
		return nil, fmt.Errorf("task:group can only be joined to the rest of the expression with and: Kubernetes pod affinity cannot be one alternative of a node requirement")
	}
	return e, nil
}

func mentionsGroup(e Expr) bool {
	return anyCmp(e, func(c *Cmp) bool { return c.Subject == "task:group" })
}

// anyCmp tells whether a comparison of e satisfies f.
func anyCmp(e Expr, f func(*Cmp) bool) bool {
	switch x := e.(type) {
	case *Cmp:
		return f(x)
	case *Not:
		return anyCmp(x.X, f)
	case *And:
		return anyCmp(x.L, f) || anyCmp(x.R, f)
	case *Or:
		return anyCmp(x.L, f) || anyCmp(x.R, f)
	}
	return false
}

func groupRequirement(l lit) (GroupRequirement, error) {
	g := GroupRequirement{Values: l.c.Values}
	switch l.c.Op {
	case OpEq, OpIn:
	case OpNe, OpNotIn:
		g.Anti = true
	default:
		return g, fmt.Errorf("task:group supports ==, !=, in and not_in, not %s", l.c.Op)
	}
	g.Anti = g.Anti != l.neg
	return g, nil
}

// dnf expands a negation-normal expression into alternatives of
// conjunctions.
func dnf(e Expr) ([][]lit, error) {
	if l, ok := asLit(e); ok {
		return [][]lit{{l}}, nil
	}
	var l, r [][]lit
	var err error
	switch x := e.(type) {
	case *Or:
		if l, r, err = dnfBoth(x.L, x.R, func(a, b int) int { return a + b }); err != nil {
			return nil, err
		}
		return append(l, r...), nil
	case *And:
		if l, r, err = dnfBoth(x.L, x.R, func(a, b int) int { return a * b }); err != nil {
			return nil, err
		}
		var res [][]lit
		for _, a := range l {
			for _, b := range r {
				res = append(res, append(append([]lit(nil), a...), b...))
			}
		}
		return res, nil
	}
	return nil, fmt.Errorf("unexpected expression %s", e)
}

// dnfBoth expands both sides; size is how many alternatives they make
// together, which must stay within maxTerms.
func dnfBoth(le, re Expr, size func(a, b int) int) (l, r [][]lit, err error) {
	if l, err = dnf(le); err != nil {
		return nil, nil, err
	}
	if r, err = dnf(re); err != nil {
		return nil, nil, err
	}
	if size(len(l), len(r)) > maxTerms {
		return nil, nil, fmt.Errorf("the expression expands into more than %d alternatives of node requirements", maxTerms)
	}
	return l, r, nil
}

// requirements turns one conjunction into node selector requirements; ok
// is false when the conjunction can match no node.
func requirements(term []lit, values Values) (reqs []corev1.NodeSelectorRequirement, ok bool, err error) {
	for _, l := range term {
		key, err := NodeKey(l.c.Subject)
		if err != nil {
			return nil, false, err
		}
		r, ok, err := requirement(key, l, values)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", l.c, err)
		}
		if !ok {
			return nil, false, nil
		}
		if r != nil {
			reqs = append(reqs, *r)
		}
	}
	return reqs, true, nil
}

var negated = map[Op]Op{
	OpEq: OpNe, OpNe: OpEq, OpIn: OpNotIn, OpNotIn: OpIn, OpExists: OpNotExists, OpNotExists: OpExists,
	OpMatches: OpNotMatches, OpNotMatches: OpMatches, OpGt: OpLe, OpLe: OpGt, OpLt: OpGe, OpGe: OpLt,
}

// requirement translates one comparison; nil with ok means no
// requirement (a pattern that excludes nothing).
func requirement(key string, l lit, values Values) (*corev1.NodeSelectorRequirement, bool, error) {
	op := l.c.Op
	if l.neg {
		op = negated[op]
	}
	vals := l.c.Values
	if key == corev1.LabelArchStable {
		vals = make([]string, len(l.c.Values))
		for i, v := range l.c.Values {
			vals[i] = v
			if k, ok := archValues[v]; ok {
				vals[i] = k
			}
		}
	}
	r := &corev1.NodeSelectorRequirement{Key: key}
	switch op {
	case OpExists:
		r.Operator = corev1.NodeSelectorOpExists
		return r, true, nil
	case OpNotExists:
		r.Operator = corev1.NodeSelectorOpDoesNotExist
		return r, true, nil
	case OpGt, OpGe, OpLt, OpLe:
		return ordering(r, op, vals[0])
	}
	in := op == OpEq || op == OpIn || op == OpMatches
	matched, err := expand(key, op, vals, values)
	if err != nil {
		return nil, false, err
	}
	if len(matched) == 0 {
		// No value matches: "in" matches no node, "not in" every one.
		return nil, !in, nil
	}
	r.Operator, r.Values = corev1.NodeSelectorOpIn, matched
	if !in {
		r.Operator = corev1.NodeSelectorOpNotIn
	}
	return r, true, nil
}

// ordering translates >, >=, < and <= into Gt and Lt, which compare
// integers.
func ordering(r *corev1.NodeSelectorRequirement, op Op, v string) (*corev1.NodeSelectorRequirement, bool, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, false, fmt.Errorf("%s compares with an integer only (Kubernetes' Gt and Lt), not %q", op, v)
	}
	r.Operator = corev1.NodeSelectorOpGt
	switch op {
	case OpGe:
		n--
	case OpLt:
		r.Operator = corev1.NodeSelectorOpLt
	case OpLe:
		r.Operator, n = corev1.NodeSelectorOpLt, n+1
	}
	r.Values = []string{strconv.FormatInt(n, 10)}
	return r, true, nil
}

// expand turns patterns (regular expressions; == and in values with *)
// into the sorted node label values they match; plain values stay.
func expand(key string, op Op, vals []string, values Values) ([]string, error) {
	set := map[string]bool{}
	for _, v := range vals {
		var re *regexp.Regexp
		var err error
		switch {
		case op == OpMatches || op == OpNotMatches:
			re, err = regexp.Compile("^(?:" + v + ")$")
		case strings.Contains(v, "*"):
			re, err = regexp.Compile("^" + strings.ReplaceAll(regexp.QuoteMeta(v), `\*`, ".*") + "$")
		default:
			if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				return nil, fmt.Errorf("%q cannot be a node label value: %s", v, strings.Join(errs, "; "))
			}
			set[v] = true
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("invalid regular expression %q: %w", v, err)
		}
		if values == nil {
			continue
		}
		for _, nv := range values(key) {
			if re.MatchString(nv) {
				set[nv] = true
			}
		}
	}
	res := make([]string, 0, len(set))
	for v := range set {
		res = append(res, v)
	}
	sort.Strings(res)
	return res, nil
}

// NeedsValues tells whether translating e needs the nodes' label values
// (it has a regular expression or a wildcard).
func NeedsValues(e Expr) bool {
	return anyCmp(e, func(x *Cmp) bool {
		if x.Op == OpMatches || x.Op == OpNotMatches {
			return true
		}
		for _, v := range x.Values {
			if strings.Contains(v, "*") && (x.Op == OpEq || x.Op == OpNe || x.Op == OpIn || x.Op == OpNotIn) {
				return true
			}
		}
		return false
	})
}
