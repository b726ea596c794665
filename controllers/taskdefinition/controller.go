// Package taskdefinition registers every distinct spec of a TaskDefinition
// family as an immutable, numbered TaskDefinitionRevision, and keeps the
// newest revisionHistoryLimit revisions ACTIVE.
package taskdefinition

import (
	"context"
	"fmt"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/translate"
	"github.com/berth-dev/berth/internal/watch"
)

// Name is the controller's name in logs and metrics.
const Name = "taskdefinition"

// Reconciler reconciles TaskDefinitions.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Clock    clock.PassiveClock
	Account  names.Account
	Options  controller.Options
	// Features are the cluster's Kubernetes features, for the fidelity
	// report (zero: the newest).
	Features translate.Features
}

// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitions,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitions/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitionrevisions,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitions/finalizers,verbs=update
// +kubebuilder:rbac:groups=ecs.berth.dev,resources=taskdefinitionrevisions/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		WithOptions(r.Options).
		For(&ecsv1alpha1.TaskDefinition{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&ecsv1alpha1.TaskDefinitionRevision{}).
		Watches(&ecsv1alpha1.TaskDefinition{}, handler.EnqueueRequestsFromMapFunc(r.sameFamily)).
		// Labels only: a metadata-only cache of namespaces.
		WatchesMetadata(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.inNamespace), builder.WithPredicates(enforceChanged())).
		Complete(r)
}

// sameFamily wakes the other claimants of a family when one changes, so
// that a family conflict clears when its winner goes away.
func (r *Reconciler) sameFamily(ctx context.Context, o client.Object) []ctrl.Request {
	td := o.(*ecsv1alpha1.TaskDefinition)
	var list ecsv1alpha1.TaskDefinitionList
	if err := r.Client.List(ctx, &list, client.InNamespace(td.Namespace), client.MatchingFields{resolve.IndexFamily: td.Spec.Family}); err != nil {
		return nil
	}
	return watch.Requests(list.Items, func(o *ecsv1alpha1.TaskDefinition) bool { return o.Name != td.Name })
}

// Reconcile registers the current spec as a revision when it differs from
// the latest, and updates ACTIVE/INACTIVE and the status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	td := &ecsv1alpha1.TaskDefinition{}
	if err := r.Client.Get(ctx, req.NamespacedName, td); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("taskDefinition", klog.KObj(td)))
	if !td.DeletionTimestamp.IsZero() {
		// Revisions are owned by the family and garbage-collected with it.
		return ctrl.Result{}, nil
	}
	stored := td.DeepCopy()
	err := r.reconcileNormal(ctx, td)
	if err != nil && patch.IgnoreNamespaceTerminating(err) == nil {
		return ctrl.Result{}, nil // the namespace's deletion deletes the TaskDefinition too
	}
	r.emitTransitionEvents(stored, td)
	if _, perr := patch.Status(ctx, r.Client, stored, td); perr != nil && err == nil {
		err = perr
	}
	return ctrl.Result{}, err
}

func (r *Reconciler) reconcileNormal(ctx context.Context, td *ecsv1alpha1.TaskDefinition) error {
	pod := translatePod(td, r.Features)
	setPodSecurity(td, pod)
	if winner, err := r.familyOwner(ctx, td); err != nil {
		return err
	} else if winner != "" {
		msg := fmt.Sprintf("family %s is already registered by TaskDefinition %s in this namespace; one object per family", td.Spec.Family, winner)
		setStalled(td, ReasonFamilyConflict, msg)
		return nil
	}
	family, err := r.familyRevisions(ctx, td)
	if err != nil {
		return err
	}
	var revs []*ecsv1alpha1.TaskDefinitionRevision
	for _, rev := range family {
		if metav1.IsControlledBy(rev, td) {
			revs = append(revs, rev)
		}
	}
	hash := SpecHash(&td.Spec.RegisterTaskDefinitionInput)
	latest := latestRevision(revs)
	if err := translate.CheckTaskDefinitionLength(&td.Spec.RegisterTaskDefinitionInput); err != nil {
		// Over ECS's 64 KiB: ECS refuses the request, with this message;
		// so does Berth (internal/translate/registersize.go says what is
		// measured). The revisions registered before stay as they are.
		setStalled(td, ecsv1alpha1.ReasonInvalidTaskDefinition, err.Error())
		return nil
	}
	notes, err := translate.ReportWith(&td.Spec.RegisterTaskDefinitionInput, r.Features)
	if err != nil {
		// ECS refuses to register such a definition; so does Berth. The
		// revisions registered before stay as they are.
		setStalled(td, ecsv1alpha1.ReasonInvalidTaskDefinition, err.Error())
		return nil
	}
	number, name := td.Status.Revision, td.Status.LatestRevisionName
	switch {
	case latest != nil && latest.Annotations[ecsv1alpha1.AnnotationSpecHash] == hash &&
		latest.Annotations[ecsv1alpha1.AnnotationRegistration] == td.Spec.Registration:
		number, name = latest.Spec.Revision, latest.Name
	case !registered(td):
		// A spec not registered yet: a new revision, numbered after every
		// revision of the family that still exists (one being deleted, or
		// one of a deleted TaskDefinition of the same family, included).
		// A spec registered already whose revision was deleted is not
		// registered again: deleting a revision must not roll the
		// family's services.
		next := max(td.Status.Revision, revisionNumber(latestRevision(family))) + 1
		created, err := r.registerIfAdmitted(ctx, td, next, hash, pod)
		if err != nil || created == nil {
			return err // nil: refused by the namespace's Pod Security level
		}
		revs = append(revs, created)
		number, name = created.Spec.Revision, created.Name
	}
	active, err := r.applyHistoryLimit(ctx, td, revs)
	if err != nil {
		return err
	}
	setRegistered(td, number, name, active, r.Account, notes)
	return nil
}

// registered tells whether the TaskDefinition's current spec was
// registered already (as status.revision).
func registered(td *ecsv1alpha1.TaskDefinition) bool {
	c := meta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ConditionReady)
	return td.Status.Revision > 0 && td.Status.ObservedGeneration == td.Generation &&
		c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == td.Generation
}

// familyOwner returns the name of another TaskDefinition that claimed the
// same family first (oldest, then by name), or "".
func (r *Reconciler) familyOwner(ctx context.Context, td *ecsv1alpha1.TaskDefinition) (string, error) {
	var list ecsv1alpha1.TaskDefinitionList
	if err := r.Client.List(ctx, &list, client.InNamespace(td.Namespace), client.MatchingFields{resolve.IndexFamily: td.Spec.Family}); err != nil {
		return "", fmt.Errorf("list TaskDefinitions of family %s: %w", td.Spec.Family, err)
	}
	for _, other := range list.Items {
		if other.Name == td.Name || !other.DeletionTimestamp.IsZero() {
			continue
		}
		if other.CreationTimestamp.Before(&td.CreationTimestamp) ||
			(other.CreationTimestamp.Equal(&td.CreationTimestamp) && other.Name < td.Name) {
			return other.Name, nil
		}
	}
	return "", nil
}

// familyRevisions are the revisions of td's family in its namespace,
// whoever controls them.
func (r *Reconciler) familyRevisions(ctx context.Context, td *ecsv1alpha1.TaskDefinition) ([]*ecsv1alpha1.TaskDefinitionRevision, error) {
	var list ecsv1alpha1.TaskDefinitionRevisionList
	if err := r.Client.List(ctx, &list, client.InNamespace(td.Namespace), client.MatchingFields{resolve.IndexFamily: td.Spec.Family}); err != nil {
		return nil, fmt.Errorf("list revisions of %s: %w", td.Spec.Family, err)
	}
	res := make([]*ecsv1alpha1.TaskDefinitionRevision, len(list.Items))
	for i := range list.Items {
		res[i] = &list.Items[i]
	}
	return res, nil
}

func (r *Reconciler) register(ctx context.Context, td *ecsv1alpha1.TaskDefinition, n int32, hash string) (*ecsv1alpha1.TaskDefinitionRevision, error) {
	rev := &ecsv1alpha1.TaskDefinitionRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:      names.Revision(td.Name, n),
			Namespace: td.Namespace,
			Labels: map[string]string{
				ecsv1alpha1.LabelManagedBy:      ecsv1alpha1.ManagedByValue,
				ecsv1alpha1.LabelTaskDefinition: td.Name,
				ecsv1alpha1.LabelRevision:       fmt.Sprint(n),
			},
			Annotations: map[string]string{ecsv1alpha1.AnnotationSpecHash: hash},
			// Set at creation, so that protecting it costs no write.
			Finalizers: []string{ecsv1alpha1.FinalizerRevisionInUse},
		},
		Spec: ecsv1alpha1.TaskDefinitionRevisionSpec{
			RegisterTaskDefinitionInput: *td.Spec.RegisterTaskDefinitionInput.DeepCopy(),
			Revision:                    n,
		},
	}
	if td.Spec.Registration != "" {
		rev.Annotations[ecsv1alpha1.AnnotationRegistration] = td.Spec.Registration
	}
	if err := controllerutil.SetControllerReference(td, rev, r.Client.Scheme()); err != nil {
		return nil, err
	}
	if err := r.Client.Create(ctx, rev); err != nil {
		// AlreadyExists means our cache is behind: the retry sees the revision.
		return nil, fmt.Errorf("create TaskDefinitionRevision %s: %w", rev.Name, err)
	}
	logf.FromContext(ctx).Info("Registered task definition revision", "revision", klog.KObj(rev), "number", n)
	r.Recorder.Eventf(td, rev, corev1.EventTypeNormal, ReasonRevisionRegistered, "Register",
		"Registered task definition %s:%d", td.Spec.Family, n)
	return rev, nil
}

// applyHistoryLimit keeps the newest revisionHistoryLimit revisions ACTIVE
// and deregisters (INACTIVE) the older ones. It returns the ACTIVE count.
func (r *Reconciler) applyHistoryLimit(ctx context.Context, td *ecsv1alpha1.TaskDefinition, revs []*ecsv1alpha1.TaskDefinitionRevision) (int32, error) {
	limit := int32(DefaultRevisionHistoryLimit)
	if td.Spec.RevisionHistoryLimit != nil {
		limit = *td.Spec.RevisionHistoryLimit
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].Spec.Revision > revs[j].Spec.Revision })
	var active int32
	i := int32(0)
	for _, rev := range revs {
		if !rev.DeletionTimestamp.IsZero() {
			// DELETE_IN_PROGRESS: its status is the revision controller's.
			continue
		}
		stored := rev.DeepCopy()
		wantActive := i < limit && !slices.Contains(td.Spec.DeregisteredRevisions, rev.Spec.Revision)
		i++
		if wantActive && rev.Status.Status == ecsv1alpha1.TaskDefinitionInactive {
			// A revision once deregistered stays INACTIVE, as in ECS.
			wantActive = false
		}
		setRevisionStatus(rev, wantActive, r.Account, r.Features, r.Clock.Now())
		if wantActive {
			active++
		}
		if _, err := patch.Status(ctx, r.Client, stored, rev); err != nil {
			return active, err
		}
	}
	return active, nil
}

func latestRevision(revs []*ecsv1alpha1.TaskDefinitionRevision) *ecsv1alpha1.TaskDefinitionRevision {
	var latest *ecsv1alpha1.TaskDefinitionRevision
	for _, rev := range revs {
		if latest == nil || rev.Spec.Revision > latest.Spec.Revision {
			latest = rev
		}
	}
	return latest
}

func revisionNumber(rev *ecsv1alpha1.TaskDefinitionRevision) int32 {
	if rev == nil {
		return 0
	}
	return rev.Spec.Revision
}

func (r *Reconciler) emitTransitionEvents(stored, td *ecsv1alpha1.TaskDefinition) {
	now := meta.FindStatusCondition(td.Status.Conditions, ecsv1alpha1.ConditionFullySupported)
	if now == nil || now.Status != metav1.ConditionFalse {
		return
	}
	if before := meta.FindStatusCondition(stored.Status.Conditions, ecsv1alpha1.ConditionFullySupported); before != nil && before.Message == now.Message {
		return
	}
	r.Recorder.Eventf(td, nil, corev1.EventTypeWarning, ecsv1alpha1.ReasonUnsupportedFields, "Register", "%s", now.Message)
}
