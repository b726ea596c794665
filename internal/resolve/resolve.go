// Package resolve finds the objects an ECS Service or Task refers to: its
// cluster, its task definition revision and the capacity providers. It reads
// through the manager's cache, using the field indexes registered here.
package resolve

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/translate"
)

// Field index names.
const (
	// IndexFamily indexes TaskDefinitions and TaskDefinitionRevisions by
	// spec.family, and Services and Tasks by the family their
	// taskDefinition names.
	IndexFamily = "ecs.berth.dev/family"
	// IndexCluster indexes Services and Tasks by their cluster's object name.
	IndexCluster = "ecs.berth.dev/cluster"
	// IndexNodeName indexes pods by the node they are bound to.
	IndexNodeName = "spec.nodeName"
	// IndexPool indexes pods by the capacity providers (pools) they may
	// run on.
	IndexPool = "ecs.berth.dev/pool"
	// IndexResourceID indexes Services and ScalableTargets by the
	// Application Auto Scaling resource ID, service/<cluster>/<service>,
	// and MetricAlarms by the service their metric's dimensions name.
	// (MetricAlarms are also indexed by alarm name: alarms.IndexAlarmName.)
	IndexResourceID = "ecs.berth.dev/resource-id"
	// IndexService indexes what Berth makes for a Service (its
	// Deployments, their pods, its Kubernetes Services) by the Service's
	// object name: a reconcile reads its own objects, not every one of its
	// namespace through a label selector (a scan of the namespace: 5,000
	// Services in one namespace made each reconcile read 10,000 objects).
	IndexService = "ecs.berth.dev/service"
)

// ServiceOf is what IndexService indexes an object by: the name of the
// Service whose objects are labelled as Berth's with it.
func ServiceOf(o client.Object) []string {
	l := o.GetLabels()
	if l[ecsv1alpha1.LabelManagedBy] != ecsv1alpha1.ManagedByValue || l[ecsv1alpha1.LabelService] == "" {
		return nil
	}
	return []string{l[ecsv1alpha1.LabelService]}
}

// OfService are the list options that read the objects Berth made for
// svc from the cache: by IndexService, then by the Service's selector.
func OfService(svc *ecsv1alpha1.Service) []client.ListOption {
	return []client.ListOption{client.InNamespace(svc.Namespace), client.MatchingFields{IndexService: svc.Name},
		client.MatchingLabels(translate.ServiceSelector(svc))}
}

// ResourceID is a Service's Application Auto Scaling resource ID:
// service/<cluster>/<serviceName>.
func ResourceID(svc *ecsv1alpha1.Service) string {
	return names.ServiceResourceID(names.ClusterName(svc.Spec.Cluster), names.ServiceName(svc.Spec.ServiceName, svc.Name))
}

// FieldIndexer is the part of a manager that registers indexes.
type FieldIndexer interface {
	IndexField(ctx context.Context, obj client.Object, field string, extract client.IndexerFunc) error
}

// SetupIndexes registers the field indexes Berth's controllers list by.
func SetupIndexes(ctx context.Context, idx FieldIndexer) error {
	if err := SetupIndexesOf(ctx, idx, func(client.Object) bool { return true }); err != nil {
		return err
	}
	return SetupServiceIndexes(ctx, idx)
}

// SetupServiceIndexes registers IndexService on the kinds the Service
// controller makes (only where it runs: an index makes the cache watch
// its kind).
func SetupServiceIndexes(ctx context.Context, idx FieldIndexer) error {
	for _, obj := range []client.Object{&corev1.Pod{}, &appsv1.Deployment{}, &corev1.Service{}} {
		if err := idx.IndexField(ctx, obj, IndexService, ServiceOf); err != nil {
			return fmt.Errorf("index %T by %s: %w", obj, IndexService, err)
		}
	}
	return nil
}

// SetupIndexesOf registers the indexes of the kinds keep accepts (an index
// makes the cache watch its kind, so a process that reads few kinds sets up
// only theirs).
func SetupIndexesOf(ctx context.Context, idx FieldIndexer, keep func(client.Object) bool) error {
	refFamily := func(ref string) []string {
		r, err := names.ParseTaskDefinition(ref)
		if err != nil {
			return nil
		}
		return []string{r.Family}
	}
	indexes := []struct {
		obj     client.Object
		field   string
		extract client.IndexerFunc
	}{
		{&ecsv1alpha1.TaskDefinition{}, IndexFamily, func(o client.Object) []string {
			return []string{o.(*ecsv1alpha1.TaskDefinition).Spec.Family}
		}},
		{&ecsv1alpha1.TaskDefinitionRevision{}, IndexFamily, func(o client.Object) []string {
			return []string{o.(*ecsv1alpha1.TaskDefinitionRevision).Spec.Family}
		}},
		{&ecsv1alpha1.Service{}, IndexFamily, func(o client.Object) []string {
			return refFamily(o.(*ecsv1alpha1.Service).Spec.TaskDefinition)
		}},
		{&ecsv1alpha1.Task{}, IndexFamily, func(o client.Object) []string {
			return refFamily(o.(*ecsv1alpha1.Task).Spec.TaskDefinition)
		}},
		{&ecsv1alpha1.Service{}, IndexCluster, func(o client.Object) []string {
			return []string{names.ObjectName(names.ClusterName(o.(*ecsv1alpha1.Service).Spec.Cluster))}
		}},
		{&ecsv1alpha1.Task{}, IndexCluster, func(o client.Object) []string {
			return []string{names.ObjectName(names.ClusterName(o.(*ecsv1alpha1.Task).Spec.Cluster))}
		}},
		{&ecsv1alpha1.Service{}, IndexResourceID, func(o client.Object) []string {
			return []string{ResourceID(o.(*ecsv1alpha1.Service))}
		}},
		{&ecsv1alpha1.ScalableTarget{}, IndexResourceID, func(o client.Object) []string {
			return []string{o.(*ecsv1alpha1.ScalableTarget).Spec.ResourceID}
		}},
		{&ecsv1alpha1.MetricAlarm{}, IndexResourceID, func(o client.Object) []string {
			if id := alarms.ResourceID(o.(*ecsv1alpha1.MetricAlarm)); id != "" {
				return []string{id}
			}
			return nil
		}},
		{&ecsv1alpha1.MetricAlarm{}, alarms.IndexAlarmName, func(o client.Object) []string {
			return []string{alarms.Name(o.(*ecsv1alpha1.MetricAlarm))}
		}},
		{&corev1.Pod{}, IndexPool, func(o client.Object) []string {
			return translate.PodPools(o.(*corev1.Pod))
		}},
		{&corev1.Pod{}, IndexNodeName, func(o client.Object) []string {
			if n := o.(*corev1.Pod).Spec.NodeName; n != "" {
				return []string{n}
			}
			return nil
		}},
	}
	for _, i := range indexes {
		if !keep(i.obj) {
			continue
		}
		if err := idx.IndexField(ctx, i.obj, i.field, i.extract); err != nil {
			return fmt.Errorf("index %T by %s: %w", i.obj, i.field, err)
		}
	}
	return nil
}

// Problem is a reference that does not resolve: a condition reason and an
// ECS-style message. It is the user's to fix (or another object's to appear).
type Problem struct {
	Condition string
	Reason    string
	Message   string
}

func (p *Problem) Error() string { return p.Message }

// Waiting tells whether the problem is an object that may still appear or
// change (a Cluster, an ACTIVE revision of the family, a CapacityProvider,
// or one associated with the cluster): objects applied together, as
// GitOps tools apply them, appear in any order, so the referrer waits for
// it (conditions.Waiting). Any other problem is the user's to fix
// (Stalled).
func (p *Problem) Waiting() bool {
	switch p.Reason {
	case ecsv1alpha1.ReasonClusterNotFound, ecsv1alpha1.ReasonTaskDefinitionNotFound,
		ecsv1alpha1.ReasonCapacityProviderNotFound, ecsv1alpha1.ReasonNoCapacityProvider:
		return true
	}
	return false
}

// Cluster returns the ECS cluster named by ref ("" = default) in namespace.
func Cluster(ctx context.Context, c client.Reader, namespace, ref string) (*ecsv1alpha1.Cluster, error) {
	name := names.ClusterName(ref)
	cl := &ecsv1alpha1.Cluster{}
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: names.ObjectName(name)}, cl)
	if apierrors.IsNotFound(err) {
		return nil, &Problem{Condition: ecsv1alpha1.ConditionClusterResolved, Reason: ecsv1alpha1.ReasonClusterNotFound,
			Message: fmt.Sprintf("ClusterNotFoundException: Cluster not found: no Cluster %q in namespace %s", names.ObjectName(name), namespace)}
	}
	if err != nil {
		return nil, fmt.Errorf("get Cluster %s/%s: %w", namespace, names.ObjectName(name), err)
	}
	return cl, nil
}

// Revision resolves a taskDefinition reference (family, family:revision or
// ARN) to a revision: the latest ACTIVE one for a bare family. current, if
// not "", is the object name of the revision already running: ECS lets
// existing users keep an
// INACTIVE revision, or one being deleted (DELETE_IN_PROGRESS), but
// refuses new references to one. A bare family never resolves to a
// revision older than current: deregistering or deleting the revision a
// service runs leaves the service running it, as in ECS.
func Revision(ctx context.Context, c client.Reader, namespace, ref, current string) (*ecsv1alpha1.TaskDefinitionRevision, error) {
	r, err := names.ParseTaskDefinition(ref)
	if err != nil {
		return nil, &Problem{Condition: ecsv1alpha1.ConditionTaskDefinitionResolved, Reason: ecsv1alpha1.ReasonInvalidTaskDefinitionReference, Message: err.Error()}
	}
	var list ecsv1alpha1.TaskDefinitionRevisionList
	if err := c.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{IndexFamily: r.Family}); err != nil {
		return nil, fmt.Errorf("list TaskDefinitionRevisions of family %s: %w", r.Family, err)
	}
	var rev *ecsv1alpha1.TaskDefinitionRevision
	if r.Revision != 0 {
		rev, err = pinned(list.Items, r, current)
	} else {
		rev = latest(list.Items, current)
	}
	if rev == nil && err == nil {
		err = notFound(r, namespace)
	}
	return rev, err
}

// pinned is revision r.Revision, unless it is INACTIVE or being deleted
// and not current.
func pinned(revs []ecsv1alpha1.TaskDefinitionRevision, r names.TaskDefinitionRef, current string) (*ecsv1alpha1.TaskDefinitionRevision, error) {
	for i := range revs {
		if rev := &revs[i]; rev.Spec.Revision == r.Revision {
			if !activeRevision(rev) && rev.Name != current {
				return nil, inactive(r, rev)
			}
			return rev, nil
		}
	}
	return nil, nil
}

// latest is the latest ACTIVE revision, or current when that is newer.
func latest(revs []ecsv1alpha1.TaskDefinitionRevision, current string) *ecsv1alpha1.TaskDefinitionRevision {
	var best, running *ecsv1alpha1.TaskDefinitionRevision
	for i := range revs {
		rev := &revs[i]
		if current != "" && rev.Name == current {
			running = rev
		}
		if activeRevision(rev) && (best == nil || rev.Spec.Revision > best.Spec.Revision) {
			best = rev
		}
	}
	if running != nil && (best == nil || best.Spec.Revision < running.Spec.Revision) {
		return running
	}
	return best
}

// activeRevision: ACTIVE, and not being deleted.
func activeRevision(rev *ecsv1alpha1.TaskDefinitionRevision) bool {
	return rev.DeletionTimestamp.IsZero() && rev.Status.Status != ecsv1alpha1.TaskDefinitionInactive
}

// notFound is the Problem of a reference no revision matches (yet).
func notFound(r names.TaskDefinitionRef, namespace string) *Problem {
	return &Problem{Condition: ecsv1alpha1.ConditionTaskDefinitionResolved, Reason: ecsv1alpha1.ReasonTaskDefinitionNotFound,
		Message: fmt.Sprintf("Unable to describe task definition %s: no ACTIVE revision of family %s in namespace %s", r, r.Family, namespace)}
}

// inactive is the Problem of a new reference to a revision that is
// INACTIVE or being deleted.
func inactive(r names.TaskDefinitionRef, rev *ecsv1alpha1.TaskDefinitionRevision) *Problem {
	state := "INACTIVE"
	if !rev.DeletionTimestamp.IsZero() {
		state = "being deleted (DELETE_IN_PROGRESS)"
	}
	return &Problem{Condition: ecsv1alpha1.ConditionTaskDefinitionResolved, Reason: ecsv1alpha1.ReasonTaskDefinitionInactive,
		Message: fmt.Sprintf("TaskDefinition is inactive: %s is %s; running tasks keep it, but it cannot be newly used", r, state)}
}

// InUse resolves the task definition ARN of a deployment that runs tasks
// (or the rollback target) to its revision, whatever its state: INACTIVE
// and DELETE_IN_PROGRESS revisions stay usable by those already using
// them.
func InUse(ctx context.Context, c client.Reader, namespace, arn string) (*ecsv1alpha1.TaskDefinitionRevision, error) {
	r, err := names.ParseTaskDefinition(arn)
	if err != nil || r.Revision == 0 {
		return nil, &Problem{Condition: ecsv1alpha1.ConditionTaskDefinitionResolved, Reason: ecsv1alpha1.ReasonInvalidTaskDefinitionReference,
			Message: fmt.Sprintf("deployment's task definition %q is not family:revision or an ARN", arn)}
	}
	var list ecsv1alpha1.TaskDefinitionRevisionList
	if err := c.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{IndexFamily: r.Family}); err != nil {
		return nil, fmt.Errorf("list TaskDefinitionRevisions of family %s: %w", r.Family, err)
	}
	for i := range list.Items {
		if list.Items[i].Spec.Revision == r.Revision {
			return &list.Items[i], nil
		}
	}
	return nil, &Problem{Condition: ecsv1alpha1.ConditionTaskDefinitionResolved, Reason: ecsv1alpha1.ReasonTaskDefinitionNotFound,
		Message: fmt.Sprintf("Unable to describe task definition %s: no revision %d of family %s in namespace %s", r, r.Revision, r.Family, namespace)}
}

// AsTranslateRevision adapts a revision object for translation.
func AsTranslateRevision(rev *ecsv1alpha1.TaskDefinitionRevision) translate.Revision {
	return translate.Revision{
		TaskDefinition: rev.Labels[ecsv1alpha1.LabelTaskDefinition],
		Number:         rev.Spec.Revision,
		Spec:           &rev.Spec.RegisterTaskDefinitionInput,
	}
}

// CapacityProviders returns every capacity provider, by object name.
func CapacityProviders(ctx context.Context, c client.Reader) (map[string]*ecsv1alpha1.CapacityProvider, error) {
	var list ecsv1alpha1.CapacityProviderList
	if err := c.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("list CapacityProviders: %w", err)
	}
	res := make(map[string]*ecsv1alpha1.CapacityProvider, len(list.Items))
	for i := range list.Items {
		res[list.Items[i].Name] = &list.Items[i]
	}
	return res, nil
}

// Placement resolves where tasks run, turning placement errors into Problems.
func Placement(in translate.PlacementInput) (translate.Placement, error) {
	p, err := translate.ResolvePlacement(in)
	var pe *translate.PlacementError
	if errors.As(err, &pe) {
		return p, &Problem{Condition: ecsv1alpha1.ConditionCapacityProviderReady, Reason: pe.Reason, Message: pe.Message}
	}
	return p, err
}

// NodeValues gives a placement the label values of its pools' nodes when
// its constraints match patterns against them (memberOf with =~ or a
// wildcard); otherwise it leaves it as it is.
func NodeValues(ctx context.Context, c client.Reader, td *ecsv1alpha1.RegisterTaskDefinitionInput, p *translate.Placement) error {
	if !translate.NeedsNodeValues(td, *p) {
		return nil
	}
	var all []corev1.Node
	for _, cp := range p.Providers {
		var nodes corev1.NodeList
		if err := c.List(ctx, &nodes, client.MatchingLabels{ecsv1alpha1.LabelCapacityProvider: cp.Name}); err != nil {
			return fmt.Errorf("list nodes of %s: %w", cp.Name, err)
		}
		all = append(all, nodes.Items...)
	}
	p.NodeValues = translate.NodeValues(all)
	return nil
}

// Request is what a Service or Task names: where it runs, and what.
type Request struct {
	Namespace, Cluster, TaskDefinition string
	// Current is the object name of the revision already running ("":
	// none); see Revision.
	Current     string
	LaunchType  ecsv1alpha1.LaunchType
	Strategy    []ecsv1alpha1.CapacityProviderStrategyItem
	Constraints []ecsv1alpha1.PlacementConstraint
	Strategies  []ecsv1alpha1.PlacementStrategy
	// Group is the task group placement spreads over, given the family.
	Group func(family string) string
}

// Target is what a Service's or Task's tasks run: the cluster, the
// revision, and where.
type Target struct {
	Cluster   *ecsv1alpha1.Cluster
	Revision  *ecsv1alpha1.TaskDefinitionRevision
	Placement translate.Placement
}

// Resolve is the one resolution step of Services and Tasks: the cluster,
// the revision, the capacity providers and the placement (with the node
// values its constraints need), in that order. What is found before a
// Problem is returned with it.
func Resolve(ctx context.Context, c client.Reader, req Request) (Target, error) {
	var t Target
	var err error
	if t.Cluster, err = Cluster(ctx, c, req.Namespace, req.Cluster); err != nil {
		return t, err
	}
	if t.Revision, err = Revision(ctx, c, req.Namespace, req.TaskDefinition, req.Current); err != nil {
		return t, err
	}
	cps, err := CapacityProviders(ctx, c)
	if err != nil {
		return t, err
	}
	group := ""
	if req.Group != nil {
		group = req.Group(t.Revision.Spec.Family)
	}
	t.Placement, err = Placement(translate.PlacementInput{
		LaunchType: req.LaunchType, Strategy: req.Strategy,
		Cluster: t.Cluster, CapacityProviders: cps,
		Constraints: req.Constraints, Strategies: req.Strategies,
		Group: group,
	})
	if err != nil {
		return t, err
	}
	return t, NodeValues(ctx, c, &t.Revision.Spec.RegisterTaskDefinitionInput, &t.Placement)
}
