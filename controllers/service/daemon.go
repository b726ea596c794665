package service

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/translate"
)

// A DAEMON service runs one task on each node of its capacity providers'
// pools: a DaemonSet. Its desired count is the number of those nodes.

func isDaemon(svc *ecsv1alpha1.Service) bool {
	return svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon
}

func daemonDesired(ds *appsv1.DaemonSet) int32 {
	if ds == nil {
		return 0
	}
	return ds.Status.DesiredNumberScheduled
}

func daemonWorkload(ds *appsv1.DaemonSet) rollout.Workload {
	return rollout.Workload{
		Exists: true, Hash: ds.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash],
		Observed: ds.Status.ObservedGeneration >= ds.Generation,
		Replicas: ds.Status.CurrentNumberScheduled + ds.Status.NumberMisscheduled,
		Updated:  ds.Status.UpdatedNumberScheduled, Available: ds.Status.NumberAvailable,
	}
}

func (r *Reconciler) getDaemonSet(ctx context.Context, s *scope) error {
	ds := &appsv1.DaemonSet{}
	found, err := r.getOwned(ctx, s.svc, ds, "DaemonSet")
	if found {
		s.daemonSet = ds
	}
	return err
}

// reconcileDaemon runs the scheduler for a DAEMON service and applies its
// DaemonSet: the deployment the spec asks for, or the one the circuit
// breaker returned to. A first deployment that failed keeps its template
// (a DaemonSet cannot run no task), and keeps being retried.
func (r *Reconciler) reconcileDaemon(ctx context.Context, s *scope) error {
	nodes := daemonDesired(s.daemonSet)
	want, err := translate.DaemonSet(s.svc, resolve.AsTranslateRevision(s.revision), s.placement, r.Config, nodes)
	if err != nil {
		return invalidRevision(s.revision, err)
	}
	if err := r.schedule(ctx, s, want.Spec.Template.Annotations); err != nil {
		return err
	}
	s.running = s.revision
	if run := s.plan.Run; run != nil && run.TemplateHash != s.want.Hash {
		rev, err := resolve.InUse(ctx, r.Client, s.svc.Namespace, run.TaskDefinition)
		if err != nil {
			return err
		}
		if want, err = translate.DaemonSet(s.svc, resolve.AsTranslateRevision(rev), s.placement, r.Config, nodes); err != nil {
			return invalidRevision(rev, err)
		}
		s.running = rev
	}
	if err := r.applyDaemonSet(ctx, s, want); err != nil {
		return err
	}
	return r.reconcileKubeServices(ctx, s)
}

func (r *Reconciler) applyDaemonSet(ctx context.Context, s *scope, want *appsv1ac.DaemonSetApplyConfiguration) error {
	applied := translate.AppliedHash(want)
	want.WithAnnotations(map[string]string{AnnotationAppliedHash: applied})
	if ds := s.daemonSet; ds != nil {
		edited, err := r.revertEdit(ctx, s, ds)
		if err != nil {
			return err
		}
		if !edited && ds.Annotations[AnnotationAppliedHash] == applied {
			return nil
		}
	}
	if err := r.Client.Apply(ctx, want, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply DaemonSet %s: %w", *want.Name, err)
	}
	if ds, err := fromApply[appsv1.DaemonSet](want); err == nil {
		r.edits.wrote(ds)
	}
	logf.FromContext(ctx).Info("Applied DaemonSet", "daemonSet", klog.KRef(s.svc.Namespace, *want.Name),
		"templateHash", want.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash])
	return nil
}
