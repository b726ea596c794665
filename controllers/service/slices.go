package service

import (
	"context"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/capacity"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
)

// listDeployments reads the Deployments the Service controls: one, or one
// per capacity provider of a sliced placement (and those of a strategy it
// no longer has, until they are retired).
func (r *Reconciler) listDeployments(ctx context.Context, s *scope) error {
	var list appsv1.DeploymentList
	if err := r.Client.List(ctx, &list, resolve.OfService(s.svc)...); err != nil {
		return fmt.Errorf("list Deployments: %w", err)
	}
	s.deployments = nil
	for i := range list.Items {
		if metav1.IsControlledBy(&list.Items[i], s.svc) {
			s.deployments = append(s.deployments, &list.Items[i])
		}
	}
	sort.Slice(s.deployments, func(i, j int) bool { return s.deployments[i].Name < s.deployments[j].Name })
	return nil
}

// liveDeployment is the Service's Deployment of that name, or nil.
func (s *scope) liveDeployment(name string) *appsv1.Deployment {
	for _, d := range s.deployments {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// checkNames makes sure no Deployment the Service does not control has the
// name of one it wants: applying would take it over.
func (r *Reconciler) checkNames(ctx context.Context, s *scope, want []*appsv1ac.DeploymentApplyConfiguration) error {
	for _, w := range want {
		if s.liveDeployment(*w.Name) != nil {
			continue
		}
		d := &appsv1.Deployment{}
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: s.svc.Namespace, Name: *w.Name}, d)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("get Deployment %s: %w", *w.Name, err)
		}
		if !metav1.IsControlledBy(d, s.svc) {
			// Reported once, as a Warning event, when the Service becomes Stalled.
			return &resolve.Problem{Condition: ecsv1alpha1.ConditionDeploymentAvailable, Reason: ecsv1alpha1.ReasonResourceNotOwned,
				Message: fmt.Sprintf("Deployment %s exists and is not controlled by this Service; delete or rename it", d.Name)}
		}
	}
	return nil
}

// workload sums what the Service's Deployments report, for the scheduler.
// Their template is one hash only when all of them (a retiring one too)
// carry it; every wanted slice must exist.
func workload(deps []*appsv1.Deployment, want []*appsv1ac.DeploymentApplyConfiguration) rollout.Workload {
	w := rollout.Workload{Exists: len(deps) > 0, Observed: true}
	for i, d := range deps {
		hash := d.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash]
		if i == 0 {
			w.Hash = hash
		} else if hash != w.Hash {
			w.Hash = ""
		}
		w.Observed = w.Observed && d.Status.ObservedGeneration >= d.Generation
		w.Replicas += d.Status.Replicas
		w.Updated += d.Status.UpdatedReplicas
		w.Available += d.Status.AvailableReplicas
	}
	for _, a := range want {
		found := false
		for _, d := range deps {
			found = found || d.Name == *a.Name
		}
		w.Exists = w.Exists && found
	}
	return w
}

// rolling tells whether a slice's Deployment is about to change template
// or still runs pods of an older one. It reads nothing Berth's own writes
// change (a generation, a replica count), so that sharing the rollout
// bounds does not feed on itself.
func rolling(d *appsv1.Deployment, hash string) bool {
	if d == nil {
		return true
	}
	return d.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash] != hash || d.Status.Replicas > d.Status.UpdatedReplicas
}

// reconcileDeployments gives each slice its replicas and share of the
// rollout bounds (capacity.PlanSlices), applies the slices that changed,
// and shrinks, then deletes, Deployments of providers the strategy no
// longer names. A converged Service sends no write.
func (r *Reconciler) reconcileDeployments(ctx context.Context, s *scope, runs []*appsv1ac.DeploymentApplyConfiguration) error {
	hash := runs[0].Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash]
	in, retiring := sliceInput(s, runs, hash)
	plan := capacity.PlanSlices(in)
	drain, err := r.findDraining(ctx, s)
	if err != nil {
		return err
	}
	deadlock := translate.Deadlocked(in.Desired, in.MaxPercent, in.MinPercent) && otherTemplates(s.pods, hash)
	for i, run := range runs {
		replicas := plan.Replicas[i]
		if s.plan.Run == nil {
			// A failed first deployment runs no task.
			replicas = 0
		}
		if s.placement.Sliced() || len(s.placement.Providers) == 1 {
			cp := s.placement.Providers[0]
			if s.placement.Sliced() {
				cp = s.placement.Providers[i]
			}
			s.split = append(s.split, ecsv1alpha1.CapacityProviderTasks{CapacityProvider: translate.ProviderName(cp), DesiredCount: replicas})
		}
		// Tasks on DRAINING container instances are replaced first when
		// maximumPercent leaves room.
		replicas += drain.surge(*run.Name, replicas, plan.SurgeShare[i])
		run.Spec.WithReplicas(replicas).WithStrategy(appsv1ac.DeploymentStrategy().
			WithType(appsv1.RollingUpdateDeploymentStrategyType).
			WithRollingUpdate(appsv1ac.RollingUpdateDeployment().
				WithMaxSurge(intstr.FromInt32(plan.Surge[i])).
				WithMaxUnavailable(intstr.FromInt32(plan.Unavailable[i]))))
		if deadlock || plan.Paused[i] {
			run.Spec.WithPaused(true)
		}
		if err := r.applyDeployment(ctx, s, run); err != nil {
			return err
		}
	}
	if err := r.retire(ctx, retiring, plan.Retiring); err != nil {
		return err
	}
	budget, surge := drainBounds(s, in)
	return r.actOnDraining(ctx, s, drain, budget, surge)
}

// sliceInput is what PlanSlices decides from: the live Deployments of the
// slices to run, and those of providers the strategy no longer names.
func sliceInput(s *scope, runs []*appsv1ac.DeploymentApplyConfiguration, hash string) (capacity.SliceInput, []*appsv1.Deployment) {
	maxPercent, minPercent := translate.Percents(s.svc)
	in := capacity.SliceInput{Desired: ptr.Deref(s.svc.Spec.DesiredCount, 0), MaxPercent: maxPercent, MinPercent: minPercent}
	if s.placement.Sliced() {
		in.Items = s.placement.Items()
	} else {
		in.Items = []capacity.Item{{Name: "", Weight: 1}}
	}
	current := map[string]bool{}
	for _, run := range runs {
		current[*run.Name] = true
		live := s.liveDeployment(*run.Name)
		sl := capacity.Slice{Rolling: rolling(live, hash)}
		if live != nil {
			sl.Replicas, sl.Pods = ptr.Deref(live.Spec.Replicas, 1), live.Status.Replicas
			if live.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash] == hash {
				in.NewAvailable += live.Status.AvailableReplicas
			}
		}
		in.Slices = append(in.Slices, sl)
	}
	var retiring []*appsv1.Deployment
	for _, d := range s.deployments {
		if !current[d.Name] {
			retiring = append(retiring, d)
			in.Retiring = append(in.Retiring, capacity.Slice{Replicas: ptr.Deref(d.Spec.Replicas, 1), Pods: d.Status.Replicas})
		}
	}
	return in, retiring
}

// drainBounds: how many healthy tasks may stop before minimumHealthyPercent
// is reached, and whether maximumPercent allows starting replacements
// first.
func drainBounds(s *scope, in capacity.SliceInput) (budget int32, surge bool) {
	maxTasks, minTasks := capacity.TaskBounds(in.Desired, in.MaxPercent, in.MinPercent)
	var healthy int32
	for i := range s.pods {
		if s.pods[i].DeletionTimestamp.IsZero() && taskstate.Ready(&s.pods[i]) {
			healthy++
		}
	}
	return healthy - minTasks, maxTasks > in.Desired
}

// applyDeployment applies a Deployment unless the live one already carries
// it and no one else edited it since (revertEdit); a replica count changed
// by hand is put back.
func (r *Reconciler) applyDeployment(ctx context.Context, s *scope, want *appsv1ac.DeploymentApplyConfiguration) error {
	hash := want.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash]
	applied := translate.AppliedHash(want)
	want.WithAnnotations(map[string]string{AnnotationAppliedHash: applied})
	d := s.liveDeployment(*want.Name)
	if d != nil {
		edited, err := r.revertEdit(ctx, s, d)
		if err != nil {
			return err
		}
		if !edited && d.Annotations[AnnotationAppliedHash] == applied &&
			d.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash] == hash &&
			ptr.Equal(d.Spec.Replicas, want.Spec.Replicas) {
			return nil
		}
	}
	if err := r.Client.Apply(ctx, want, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply Deployment %s: %w", *want.Name, err)
	}
	// The apply answered with the Deployment as stored; the cache has not
	// seen it yet. Status is computed from the answer, so that it does not
	// report a Deployment "to be created" that already exists (and need a
	// second write when the cache catches up).
	if d, err := fromApply[appsv1.Deployment](want); err == nil {
		r.edits.wrote(d)
		replaced := false
		for i := range s.deployments {
			if s.deployments[i].Name == d.Name {
				s.deployments[i], replaced = d, true
			}
		}
		if !replaced {
			s.deployments = append(s.deployments, d)
		}
	}
	logf.FromContext(ctx).Info("Applied Deployment", "deployment", klog.KRef(s.svc.Namespace, *want.Name), "templateHash", hash)
	return nil
}

// retire shrinks the Deployments of providers the strategy no longer names
// to what they keep, and deletes those left with no pod.
func (r *Reconciler) retire(ctx context.Context, deps []*appsv1.Deployment, keep []int32) error {
	for i, d := range deps {
		if keep[i] == 0 && d.Status.Replicas == 0 && ptr.Deref(d.Spec.Replicas, 1) == 0 {
			if err := r.Client.Delete(ctx, d, client.Preconditions{UID: &d.UID}); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("delete Deployment %s: %w", d.Name, err)
			}
			logf.FromContext(ctx).Info("Deleted retired Deployment", "deployment", klog.KObj(d))
			continue
		}
		if err := r.scale(ctx, d, keep[i]); err != nil {
			return err
		}
	}
	return nil
}

// scale sets a live Deployment's replicas, leaving the rest of it as it
// is; nothing is written when it has them already.
func (r *Reconciler) scale(ctx context.Context, d *appsv1.Deployment, replicas int32) error {
	if ptr.Deref(d.Spec.Replicas, 1) == replicas {
		return nil
	}
	base := d.DeepCopy()
	d.Spec.Replicas = ptr.To(replicas)
	if err := r.Client.Patch(ctx, d, client.MergeFrom(base), client.FieldOwner(FieldOwner)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("scale Deployment %s: %w", d.Name, err)
	}
	r.edits.wrote(d)
	logf.FromContext(ctx).Info("Scaled Deployment", "deployment", klog.KObj(d), "replicas", replicas)
	return nil
}

// splitCounts fills in the running and pending tasks of each provider of
// the split, from the pods the scheduler counted: a slice's pods carry
// their provider's label; a single provider has them all.
func splitCounts(s *scope) []ecsv1alpha1.CapacityProviderTasks {
	if len(s.split) == 0 {
		return nil
	}
	res := append([]ecsv1alpha1.CapacityProviderTasks(nil), s.split...)
	index := map[string]int{}
	for i, cp := range s.placement.Providers {
		if i < len(res) {
			index[cp.Name] = i
		}
	}
	for i := range s.pods {
		if i >= len(s.plan.Counted) || s.plan.Counted[i] == rollout.TaskNotCounted {
			continue
		}
		at, ok := 0, len(res) == 1
		if !ok {
			at, ok = index[s.pods[i].Labels[ecsv1alpha1.LabelCapacityProvider]]
		}
		if !ok {
			continue
		}
		if s.plan.Counted[i] == rollout.TaskRunning {
			res[at].RunningCount++
		} else {
			res[at].PendingCount++
		}
	}
	return res
}
