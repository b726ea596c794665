package service

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/compat"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/translate"
)

// computeStatus derives the whole status from the scope: the Service, what
// resolved, and the scheduler's decision. It returns the service events it
// added.
func computeStatus(s *scope, cfg translate.Config) []rollout.Message {
	svc := s.svc
	st := &svc.Status
	gen := svc.Generation
	clusterName := names.ClusterName(svc.Spec.Cluster)
	st.ServiceName = serviceName(svc)
	st.ClusterArn = cfg.Account.ClusterArn(clusterName)
	st.ServiceArn = cfg.Account.ServiceArn(clusterName, st.ServiceName)
	st.Status = ecsv1alpha1.ServiceActive
	st.DesiredCount = svc.Spec.DesiredCount
	if isDaemon(svc) {
		// One task per node of the pools.
		st.DesiredCount = ptr.To(daemonDesired(s.daemonSet))
	}
	st.Selector = labels.SelectorFromSet(translate.ServiceSelector(svc)).String()
	st.EnableExecuteCommand = ptr.Deref(svc.Spec.EnableExecuteCommand, false)
	notes := compat.Bound(compat.ServiceNotes(&svc.Spec))
	st.FieldNotes = notes
	compat.SetCondition(&st.Conditions, gen, notes, "service", "docs/compatibility/create-service.md")
	setResolvedConditions(s)

	if s.problem != nil {
		setCounts(st, s.deployments)
		if s.problem.Waiting() {
			conditions.Waiting(&st.Conditions, gen, s.problem.Message)
		} else {
			conditions.Summarize(&st.Conditions, gen, conditions.Stalled, s.problem.Reason, s.problem.Message)
		}
		st.ObservedGeneration = gen
		return nil
	}
	st.Deployments = s.plan.Deployments
	st.ServiceDeployments, st.ServiceRevisions = rollout.Keep(history(s, cfg, clusterName))
	st.Strategy = nil
	if l := s.lifecycle; l != nil {
		st.Strategy = l.status
		for i := range st.ServiceDeployments {
			if l.status.DeploymentID != "" && st.ServiceDeployments[i].ID == l.status.DeploymentID {
				st.ServiceDeployments[i].LifecycleStage = l.status.LifecycleStage
			}
		}
	}
	var added []rollout.Message
	st.Events, added = rollout.Record(st.Events, s.plan.Messages, string(svc.UID), s.now)
	st.TaskDefinition = cfg.Account.TaskDefinitionArn(s.running.Spec.Family, s.running.Spec.Revision)
	st.LaunchType = s.placement.LaunchType
	st.CapacityProviders = s.placement.ProviderNames()
	if len(st.CapacityProviders) == 0 {
		st.CapacityProviders = nil
	}
	st.CapacityProviderTasks = splitCounts(s)
	var running, pending int32
	for _, d := range st.Deployments {
		running += d.RunningCount
		pending += d.PendingCount
	}
	st.RunningCount, st.PendingCount = ptr.To(running), ptr.To(pending)
	setDeploymentConditions(s)
	st.ObservedGeneration = gen
	return added
}

// setDeploymentConditions sets DeploymentAvailable (the deployment the spec
// asks for completed) and the summary: Ready is ECS's steady state (one
// deployment, running == desired), also after a rollback; a failed
// deployment with nothing to roll back to is Stalled; anything else is
// Reconciling.
func setDeploymentConditions(s *scope) {
	st := &s.svc.Status
	gen := s.svc.Generation
	prim := primary(st.Deployments)
	wanted := find(st.Deployments, s.want.Hash)
	switch {
	case prim == nil:
		conditions.Set(&st.Conditions, gen, ecsv1alpha1.ConditionDeploymentAvailable, false, ecsv1alpha1.ReasonRolloutInProgress, "Waiting for the first deployment")
		conditions.Summarize(&st.Conditions, gen, conditions.Progressing, ecsv1alpha1.ReasonRolloutInProgress, "Waiting for the first deployment")
	case prim.RolloutState == ecsv1alpha1.RolloutFailed:
		msg := fmt.Sprintf("service %s (deployment %s) deployment failed: %s", st.ServiceName, prim.ID, strings.TrimSuffix(prim.RolloutStateReason, "."))
		if prim.FailedTasks > 0 {
			msg += fmt.Sprintf(" (%d failed tasks)", prim.FailedTasks)
		}
		msg += ". "
		if run := s.plan.Run; run != nil {
			msg += fmt.Sprintf("The tasks of deployment %s (%s) keep running; update the service to deploy again.", run.ID, run.TaskDefinition)
		} else {
			msg += "No deployment completed before it, so no task runs; update the service to deploy again."
		}
		conditions.Set(&st.Conditions, gen, ecsv1alpha1.ConditionDeploymentAvailable, false, ecsv1alpha1.ReasonDeploymentFailed, msg)
		conditions.Summarize(&st.Conditions, gen, conditions.Stalled, ecsv1alpha1.ReasonDeploymentFailed, msg)
	case wanted != nil && wanted != prim && wanted.RolloutState == ecsv1alpha1.RolloutFailed:
		msg := fmt.Sprintf("Deployment %s of %s failed (%s); rolled back to deployment %s of %s (%s)",
			wanted.ID, wanted.TaskDefinition, wanted.RolloutStateReason, prim.ID, prim.TaskDefinition, prim.RolloutState)
		conditions.Set(&st.Conditions, gen, ecsv1alpha1.ConditionDeploymentAvailable, false, ecsv1alpha1.ReasonRolledBack, msg)
		summarize(s, prim)
	case prim.RolloutState == ecsv1alpha1.RolloutCompleted:
		conditions.Set(&st.Conditions, gen, ecsv1alpha1.ConditionDeploymentAvailable, true, ecsv1alpha1.ReasonSteadyState,
			fmt.Sprintf("%s (deployment %s completed)", countMessage(prim), prim.ID))
		summarize(s, prim)
	default:
		conditions.Set(&st.Conditions, gen, ecsv1alpha1.ConditionDeploymentAvailable, false, ecsv1alpha1.ReasonRolloutInProgress,
			fmt.Sprintf("Deployment %s in progress: %s", prim.ID, countMessage(prim)))
		summarize(s, prim)
	}
}

func summarize(s *scope, prim *ecsv1alpha1.ServiceDeployment) {
	st := &s.svc.Status
	if s.plan.Steady {
		conditions.Summarize(&st.Conditions, s.svc.Generation, conditions.Ready, ecsv1alpha1.ReasonSteadyState,
			fmt.Sprintf("service %s has reached a steady state.", st.ServiceName))
		return
	}
	conditions.Summarize(&st.Conditions, s.svc.Generation, conditions.Progressing, ecsv1alpha1.ReasonRolloutInProgress,
		fmt.Sprintf("Deployment %s %s: %s; %d deployments running tasks", prim.ID, prim.RolloutState, countMessage(prim), activeCount(st.Deployments)))
}

func countMessage(d *ecsv1alpha1.ServiceDeployment) string {
	return fmt.Sprintf("%d of %d tasks running, %d pending, %d failed", d.RunningCount, d.DesiredCount, d.PendingCount, d.FailedTasks)
}

func activeCount(ds []ecsv1alpha1.ServiceDeployment) int {
	n := 0
	for _, d := range ds {
		if d.Status != ecsv1alpha1.DeploymentInactive {
			n++
		}
	}
	return n
}

func primary(ds []ecsv1alpha1.ServiceDeployment) *ecsv1alpha1.ServiceDeployment {
	for i := range ds {
		if ds[i].Status == ecsv1alpha1.DeploymentPrimary {
			return &ds[i]
		}
	}
	return nil
}

func find(ds []ecsv1alpha1.ServiceDeployment, hash string) *ecsv1alpha1.ServiceDeployment {
	for i := range ds {
		if ds[i].TemplateHash == hash {
			return &ds[i]
		}
	}
	return nil
}

func serviceName(svc *ecsv1alpha1.Service) string {
	return names.ServiceName(svc.Spec.ServiceName, svc.Name)
}

// setResolvedConditions sets TaskDefinitionResolved, ClusterResolved and
// CapacityProviderReady: True up to the first problem, the problem's
// condition False, the ones after it Unknown (not evaluated).
func setResolvedConditions(s *scope) {
	st := &s.svc.Status
	gen := s.svc.Generation
	order := []string{ecsv1alpha1.ConditionClusterResolved, ecsv1alpha1.ConditionTaskDefinitionResolved, ecsv1alpha1.ConditionCapacityProviderReady}
	failed := -1
	if s.problem != nil {
		for i, c := range order {
			if c == s.problem.Condition {
				failed = i
			}
		}
		if failed < 0 {
			// The problem is about the Deployment itself.
			conditions.Set(&st.Conditions, gen, s.problem.Condition, false, s.problem.Reason, s.problem.Message)
			if s.cluster == nil || s.revision == nil {
				return
			}
		}
	}
	for i, c := range order {
		switch {
		case failed >= 0 && i == failed:
			conditions.Set(&st.Conditions, gen, c, false, s.problem.Reason, s.problem.Message)
		case failed >= 0 && i > failed:
			meta.RemoveStatusCondition(&st.Conditions, c)
		default:
			conditions.Set(&st.Conditions, gen, c, true, ecsv1alpha1.ReasonSucceeded, resolvedMessage(s, c))
		}
	}
}

func resolvedMessage(s *scope, c string) string {
	switch c {
	case ecsv1alpha1.ConditionClusterResolved:
		return fmt.Sprintf("Cluster %s", s.cluster.Name)
	case ecsv1alpha1.ConditionTaskDefinitionResolved:
		if s.revision == nil {
			return ""
		}
		msg := fmt.Sprintf("%s resolved to %s:%d", s.svc.Spec.TaskDefinition, s.revision.Spec.Family, s.revision.Spec.Revision)
		if notes := s.revision.Status.FieldNotes; len(notes) > 0 {
			msg += fmt.Sprintf("; %d fields approximated or not supported (see the revision's status.fieldNotes)", len(notes))
		}
		return msg
	default:
		msg := "Placed on " + strings.Join(s.placement.ProviderNames(), ", ")
		if s.placement.Sliced() {
			msg += " (one Deployment per provider: base, then weight)"
		}
		if notes := translate.PlacementNotes(s.placement, s.features); len(notes) > 0 {
			msg += "; " + strings.Join(notes, "; ")
		}
		return msg
	}
}

// setCounts counts tasks from the Deployment: runningCount is ready pods,
// pendingCount the others.
func setCounts(st *ecsv1alpha1.ServiceStatus, deps []*appsv1.Deployment) {
	var running, all int32
	for _, d := range deps {
		running += d.Status.ReadyReplicas
		all += d.Status.Replicas
	}
	st.RunningCount = ptr.To(running)
	st.PendingCount = ptr.To(max(all-running, 0))
}

func stalledReason(svc *ecsv1alpha1.Service) string {
	if c := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionStalled); c != nil {
		return c.Reason
	}
	return ""
}

func stalledMessage(svc *ecsv1alpha1.Service) string {
	if c := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionStalled); c != nil {
		return c.Message
	}
	return ""
}

// history is what keeping the service's deployments and revisions takes.
func history(s *scope, cfg translate.Config, cluster string) rollout.History {
	svc := s.svc
	name := svc.Status.ServiceName
	h := rollout.History{
		Previous: svc.Status.ServiceDeployments, Revisions: svc.Status.ServiceRevisions, Deployments: s.plan.Deployments,
		DeploymentArn: func(suffix string) string { return cfg.Account.ServiceDeploymentArn(cluster, name, suffix) },
		RevisionArn:   func(id string) string { return cfg.Account.ServiceRevisionArn(cluster, name, id) },
		Snapshot:      func() ecsv1alpha1.ServiceRevision { return snapshot(s, cfg) },
		Threshold:     rollout.Threshold(ptr.Deref(svc.Status.DesiredCount, 0)),
		Now:           s.now,
	}
	if dc := svc.Spec.DeploymentConfiguration; dc != nil {
		h.Breaker = dc.DeploymentCircuitBreaker
	}
	return h
}

// snapshot is the service revision the spec asks for: what of the
// Service's spec its tasks run with.
func snapshot(s *scope, cfg translate.Config) ecsv1alpha1.ServiceRevision {
	spec := s.svc.Spec.DeepCopy()
	rev := ecsv1alpha1.ServiceRevision{
		TaskDefinition:           cfg.Account.TaskDefinitionArn(s.revision.Spec.Family, s.revision.Spec.Revision),
		LaunchType:               s.placement.LaunchType,
		CapacityProviderStrategy: spec.CapacityProviderStrategy,
		PlatformVersion:          spec.PlatformVersion,
		LoadBalancers:            spec.LoadBalancers,
		ServiceRegistries:        spec.ServiceRegistries,
		NetworkConfiguration:     spec.NetworkConfiguration,
	}
	for _, c := range s.revision.Spec.ContainerDefinitions {
		rev.ContainerImages = append(rev.ContainerImages, ecsv1alpha1.ContainerImage{ContainerName: c.Name, Image: c.Image})
	}
	return rev
}
