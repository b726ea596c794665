package translate

import (
	"fmt"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/capacity"
	"github.com/berth-dev/berth/internal/names"
)

// Placement is where a task's pods may run: the node pools of one or more
// capacity providers.
type Placement struct {
	// LaunchType is the launch type, when the tasks use one.
	LaunchType ecsv1alpha1.LaunchType
	// Providers are the capacity providers the tasks run on, in the order
	// they were named.
	Providers []*ecsv1alpha1.CapacityProvider
	// Strategy is the capacity provider strategy in force, when one is.
	Strategy []ecsv1alpha1.CapacityProviderStrategyItem
	// Constraints and Strategies are the service's or task's
	// placementConstraints and placementStrategy (the task definition's
	// constraints apply too).
	Constraints []ecsv1alpha1.PlacementConstraint
	Strategies  []ecsv1alpha1.PlacementStrategy
	// Group is the tasks' ECS task group: "service:<name>" for a service,
	// the task's group (default "family:<family>") for a standalone task.
	Group string
	// NodeValues are the label values of the pools' nodes, by key, which
	// memberOf patterns (=~, wildcards) are matched against.
	NodeValues map[string][]string
}

// ProviderNames are the ECS names of the placement's capacity providers.
func (p Placement) ProviderNames() []string {
	res := make([]string, 0, len(p.Providers))
	for _, cp := range p.Providers {
		res = append(res, ProviderName(cp))
	}
	return res
}

// ProviderName is a capacity provider's ECS name.
func ProviderName(cp *ecsv1alpha1.CapacityProvider) string {
	if cp.Spec.Name != "" {
		return cp.Spec.Name
	}
	return cp.Name
}

// PlacementError says why tasks cannot be placed, as a condition reason
// and an ECS-style message.
type PlacementError struct {
	Reason  string
	Message string
}

func (e *PlacementError) Error() string { return e.Message }

// PlacementInput is what placement is resolved from.
type PlacementInput struct {
	LaunchType ecsv1alpha1.LaunchType
	Strategy   []ecsv1alpha1.CapacityProviderStrategyItem
	// Cluster is the ECS cluster (nil when it does not exist).
	Cluster *ecsv1alpha1.Cluster
	// CapacityProviders are all capacity providers, by object name.
	CapacityProviders map[string]*ecsv1alpha1.CapacityProvider
	// Constraints, Strategies and Group are the service's or task's
	// placement constraints, placement strategy and task group.
	Constraints []ecsv1alpha1.PlacementConstraint
	Strategies  []ecsv1alpha1.PlacementStrategy
	Group       string
}

// ResolvePlacement applies ECS's rules: launchType and
// capacityProviderStrategy are exclusive; with neither, the cluster's
// default strategy applies, and without one, launch type EC2. A strategy may
// only name capacity providers associated with the cluster.
func ResolvePlacement(in PlacementInput) (Placement, error) {
	p, err := resolveProviders(in)
	p.Constraints, p.Strategies, p.Group = in.Constraints, in.Strategies, in.Group
	if err != nil {
		return p, err
	}
	if errs := ValidatePlacement(in.Constraints, in.Strategies); len(errs) > 0 {
		return p, &PlacementError{Reason: ecsv1alpha1.ReasonInvalidParameter, Message: "InvalidParameterException: " + errs.ToAggregate().Error()}
	}
	return p, nil
}

func resolveProviders(in PlacementInput) (Placement, error) {
	if in.LaunchType != "" {
		return placeLaunchType(in)
	}
	strategy := in.Strategy
	if len(strategy) == 0 && in.Cluster != nil {
		strategy = in.Cluster.Spec.DefaultCapacityProviderStrategy
	}
	if len(strategy) == 0 {
		in.LaunchType = ecsv1alpha1.LaunchTypeEc2
		return placeLaunchType(in)
	}
	return placeStrategy(in, strategy)
}

func placeLaunchType(in PlacementInput) (Placement, error) {
	p := Placement{LaunchType: in.LaunchType}
	switch in.LaunchType {
	case ecsv1alpha1.LaunchTypeFargate:
		cp, ok := in.CapacityProviders[names.ObjectName(string(ecsv1alpha1.CapacityProviderFargate))]
		if !ok || cp.Spec.Type != ecsv1alpha1.CapacityProviderFargate {
			return p, &PlacementError{Reason: ecsv1alpha1.ReasonCapacityProviderNotFound,
				Message: "launchType FARGATE needs the FARGATE capacity provider (CapacityProvider \"fargate\" of type FARGATE); ask your platform team to create it"}
		}
		p.Providers = []*ecsv1alpha1.CapacityProvider{cp}
	case ecsv1alpha1.LaunchTypeEc2:
		for _, ref := range clusterProviders(in.Cluster) {
			cp, ok := in.CapacityProviders[names.ObjectName(ref)]
			if ok && cp.Spec.Type == ecsv1alpha1.CapacityProviderEC2AutoScaling {
				p.Providers = append(p.Providers, cp)
			}
		}
		if len(p.Providers) == 0 {
			return p, &PlacementError{Reason: ecsv1alpha1.ReasonNoCapacityProvider,
				Message: "No Container Instances were found in your cluster: launch type EC2 runs on the EC2_AUTOSCALING capacity providers associated with the cluster, and it has none"}
		}
	default:
		return p, &PlacementError{Reason: ecsv1alpha1.ReasonUnsupported,
			Message: fmt.Sprintf("launchType %s is not supported by Berth; use FARGATE, EC2 or a capacity provider strategy", in.LaunchType)}
	}
	return p, nil
}

func placeStrategy(in PlacementInput, strategy []ecsv1alpha1.CapacityProviderStrategyItem) (Placement, error) {
	p := Placement{Strategy: strategy}
	associated := map[string]bool{}
	for _, ref := range clusterProviders(in.Cluster) {
		associated[names.ObjectName(ref)] = true
	}
	var items []capacity.Item
	fargate, ec2 := false, false
	for _, item := range strategy {
		objName := names.ObjectName(item.CapacityProvider)
		cp, ok := in.CapacityProviders[objName]
		if !ok {
			return p, &PlacementError{Reason: ecsv1alpha1.ReasonCapacityProviderNotFound,
				Message: fmt.Sprintf("The specified capacity provider %s does not exist (no CapacityProvider %q)", item.CapacityProvider, objName)}
		}
		if !associated[objName] {
			return p, &PlacementError{Reason: ecsv1alpha1.ReasonCapacityProviderNotFound,
				Message: fmt.Sprintf("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster: %s", item.CapacityProvider)}
		}
		items = append(items, capacity.Item{Name: item.CapacityProvider, Base: base(item), Weight: weight(item)})
		if cp.Spec.Type == ecsv1alpha1.CapacityProviderEC2AutoScaling {
			ec2 = true
		} else {
			fargate = true
		}
		p.Providers = append(p.Providers, cp)
	}
	if fargate && ec2 {
		return p, &PlacementError{Reason: ecsv1alpha1.ReasonInvalidParameter,
			Message: "InvalidParameterException: A capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again."}
	}
	if err := capacity.ValidateStrategy(items); err != nil {
		return p, &PlacementError{Reason: ecsv1alpha1.ReasonInvalidParameter, Message: "InvalidParameterException: " + err.Error()}
	}
	return p, nil
}

// Sliced tells whether the tasks run as one Deployment per capacity
// provider: a strategy of several providers, whose base and weights a
// single Deployment cannot honour.
func (p Placement) Sliced() bool { return len(p.Strategy) > 1 && len(p.Providers) == len(p.Strategy) }

// Slice is the placement of the tasks of the i-th provider of a sliced
// placement.
func (p Placement) Slice(i int) Placement {
	q := p
	q.Providers = p.Providers[i : i+1]
	return q
}

// Items is the strategy in force as capacity.Items (one item of weight 1
// for a placement without a strategy).
func (p Placement) Items() []capacity.Item {
	if len(p.Strategy) == 0 {
		return []capacity.Item{{Name: string(p.LaunchType), Weight: 1}}
	}
	items := make([]capacity.Item, len(p.Strategy))
	for i, it := range p.Strategy {
		items[i] = capacity.Item{Name: it.CapacityProvider, Base: base(it), Weight: weight(it)}
	}
	return items
}

func clusterProviders(c *ecsv1alpha1.Cluster) []string {
	if c == nil {
		return nil
	}
	return c.Spec.CapacityProviders
}

func weight(i ecsv1alpha1.CapacityProviderStrategyItem) int32 {
	if i.Weight == nil {
		return 0
	}
	return *i.Weight
}

func base(i ecsv1alpha1.CapacityProviderStrategyItem) int32 {
	if i.Base == nil {
		return 0
	}
	return *i.Base
}

// nodeSelection is how a placement constrains pods: a node selector when
// one pool is possible, node affinity over the pools otherwise, and
// tolerations of every pool's taints.
type nodeSelection struct {
	nodeSelector map[string]string
	poolNames    []string
	tolerations  []corev1.Toleration
}

func selectNodes(p Placement) nodeSelection {
	var sel nodeSelection
	var taints []corev1.Taint
	for _, cp := range p.Providers {
		taints = append(taints, cp.Spec.NodePool.Taints...)
	}
	if len(p.Providers) == 1 {
		cp := p.Providers[0]
		sel.nodeSelector = map[string]string{ecsv1alpha1.LabelCapacityProvider: cp.Name}
		for k, v := range cp.Spec.NodePool.NodeLabels {
			sel.nodeSelector[k] = v
		}
	} else {
		for _, cp := range p.Providers {
			sel.poolNames = append(sel.poolNames, cp.Name)
		}
		sort.Strings(sel.poolNames)
	}
	seen := map[string]bool{}
	for _, t := range taints {
		key := t.Key + "=" + t.Value + ":" + string(t.Effect)
		if seen[key] {
			continue
		}
		seen[key] = true
		sel.tolerations = append(sel.tolerations, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOpEqual, Value: t.Value, Effect: t.Effect})
	}
	sort.Slice(sel.tolerations, func(i, j int) bool {
		a, b := sel.tolerations[i], sel.tolerations[j]
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		if a.Value != b.Value {
			return a.Value < b.Value
		}
		return a.Effect < b.Effect
	})
	return sel
}

// PodPools are the capacity providers (object names) a pod may run on,
// from its slice label, its node selector or its node affinity, sorted.
func PodPools(pod *corev1.Pod) []string {
	if v := pod.Labels[ecsv1alpha1.LabelCapacityProvider]; v != "" {
		return []string{v}
	}
	if v := pod.Spec.NodeSelector[ecsv1alpha1.LabelCapacityProvider]; v != "" {
		return []string{v}
	}
	var res []string
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, r := range t.MatchExpressions {
				if r.Key == ecsv1alpha1.LabelCapacityProvider && r.Operator == corev1.NodeSelectorOpIn {
					res = append(res, r.Values...)
				}
			}
		}
	}
	sort.Strings(res)
	return slices.Compact(res)
}
