package service

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/translate"
)

func appliedHash(d *appsv1ac.DeploymentApplyConfiguration) string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // plain data
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// computeStatus derives the whole status from the scope: the Service, what
// resolved, and the live Deployment.
func computeStatus(s *scope, cfg translate.Config) {
	svc := s.svc
	st := &svc.Status
	gen := svc.Generation
	clusterName := names.ClusterName(svc.Spec.Cluster)
	st.ServiceName = serviceName(svc)
	st.ClusterArn = cfg.Account.ClusterArn(clusterName)
	st.ServiceArn = cfg.Account.ServiceArn(clusterName, st.ServiceName)
	st.Status = ecsv1alpha1.ServiceActive
	st.DesiredCount = svc.Spec.DesiredCount
	st.Selector = labels.SelectorFromSet(translate.ServiceSelector(svc)).String()
	setResolvedConditions(s)
	setCounts(st, s.deployment)

	if s.problem != nil {
		conditions.Summarize(&st.Conditions, gen, conditions.Stalled, s.problem.Reason, s.problem.Message)
		st.ObservedGeneration = gen
		return
	}
	st.TaskDefinition = cfg.Account.TaskDefinitionArn(s.revision.Spec.Family, s.revision.Spec.Revision)
	st.LaunchType = s.placement.LaunchType
	st.CapacityProviders = s.placement.ProviderNames()
	if len(st.CapacityProviders) == 0 {
		st.CapacityProviders = nil
	}
	steady, msg := deploymentState(s)
	conditions.Set(&st.Conditions, gen, ecsv1alpha1.ConditionDeploymentAvailable, steady, reasonFor(steady), msg)
	if steady {
		conditions.Summarize(&st.Conditions, gen, conditions.Ready, ecsv1alpha1.ReasonSteadyState,
			fmt.Sprintf("service %s has reached a steady state.", st.ServiceName))
	} else {
		conditions.Summarize(&st.Conditions, gen, conditions.Progressing, ecsv1alpha1.ReasonRolloutInProgress, msg)
	}
	st.ObservedGeneration = gen
}

func reasonFor(steady bool) string {
	if steady {
		return ecsv1alpha1.ReasonSteadyState
	}
	return ecsv1alpha1.ReasonRolloutInProgress
}

func serviceName(svc *ecsv1alpha1.Service) string {
	if svc.Spec.ServiceName != "" {
		return svc.Spec.ServiceName
	}
	return svc.Name
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
		if len(s.placement.Strategy) > 1 {
			msg += " (base/weight split across providers is not implemented yet: tasks may run on any of them)"
		}
		return msg
	}
}

// setCounts counts tasks from the Deployment: runningCount is ready pods,
// pendingCount the others.
func setCounts(st *ecsv1alpha1.ServiceStatus, d *appsv1.Deployment) {
	if d == nil {
		st.RunningCount, st.PendingCount = ptr.To[int32](0), ptr.To[int32](0)
		return
	}
	running := d.Status.ReadyReplicas
	st.RunningCount = ptr.To(running)
	st.PendingCount = ptr.To(max(d.Status.Replicas-running, 0))
}

// deploymentState tells whether the service is at steady state, as `aws ecs
// wait services-stable` means it: one deployment, running == desired.
func deploymentState(s *scope) (bool, string) {
	d := s.deployment
	desired := ptr.Deref(s.svc.Spec.DesiredCount, 0)
	if d == nil {
		return false, "Waiting for the Deployment to be created"
	}
	if d.Status.ObservedGeneration < d.Generation || d.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash] != s.wantHash {
		return false, "Waiting for the Deployment to observe the new task definition"
	}
	st := d.Status
	if st.UpdatedReplicas != desired || st.Replicas != desired || st.AvailableReplicas != desired || st.ReadyReplicas != desired {
		return false, fmt.Sprintf("%d of %d tasks running the current task definition (%d tasks in all, %d running)",
			st.UpdatedReplicas, desired, st.Replicas, st.ReadyReplicas)
	}
	return true, fmt.Sprintf("%d of %d tasks running", st.ReadyReplicas, desired)
}

func isReady(svc *ecsv1alpha1.Service) bool {
	return conditions.IsTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)
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
