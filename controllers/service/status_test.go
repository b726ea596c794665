package service

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/resolve"
	"github.com/berth-dev/berth/internal/rollout"
	"github.com/berth-dev/berth/internal/translate"
)

func svc(desired int32) *ecsv1alpha1.Service {
	s := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "team", Generation: 2}}
	s.Spec.TaskDefinition = "web"
	s.Spec.DesiredCount = ptr.To(desired)
	return s
}

func deployment(hash string, gen, observed, replicas, updated, ready, available int32) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: int64(gen)}}
	d.Spec.Template.Annotations = map[string]string{ecsv1alpha1.AnnotationTemplateHash: hash}
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: int64(observed), Replicas: replicas, UpdatedReplicas: updated, ReadyReplicas: ready, AvailableReplicas: available}
	return d
}

func deps(d *appsv1.Deployment) []*appsv1.Deployment {
	if d == nil {
		return nil
	}
	return []*appsv1.Deployment{d}
}

func resolved(s *ecsv1alpha1.Service, d *appsv1.Deployment) *scope {
	rev := &ecsv1alpha1.TaskDefinitionRevision{}
	rev.Spec.Family, rev.Spec.Revision = "web", 4
	cp := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "fargate"}}
	cp.Spec.Name = "FARGATE"
	sc := &scope{svc: s, cluster: &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, revision: rev, running: rev,
		placement:   translate.Placement{LaunchType: ecsv1alpha1.LaunchTypeFargate, Providers: []*ecsv1alpha1.CapacityProvider{cp}},
		deployments: deps(d), want: rollout.Target{ID: "ecs-svc/1", Hash: "h1"}, now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}
	// Pods as the Deployment's status counts them: ready ones of the
	// current template, then the others of an older one.
	if d != nil {
		for i := range d.Status.Replicas {
			p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i), UID: types.UID(fmt.Sprintf("u%d", i))}}
			p.Annotations = map[string]string{ecsv1alpha1.AnnotationTemplateHash: "h1"}
			if i >= d.Status.UpdatedReplicas {
				p.Annotations[ecsv1alpha1.AnnotationTemplateHash] = "h0"
			}
			p.Status.Phase = corev1.PodPending
			if i < d.Status.ReadyReplicas {
				p.Status.Phase = corev1.PodRunning
			}
			sc.pods = append(sc.pods, p)
		}
	}
	sc.plan = rollout.Plan((&Reconciler{}).planInput(sc))
	return sc
}

type condSummary struct {
	Type, Status, Reason string
	Gen                  int64
}

func summary(conds []metav1.Condition) []condSummary {
	var res []condSummary
	for _, c := range conds {
		res = append(res, condSummary{c.Type, string(c.Status), c.Reason, c.ObservedGeneration})
	}
	return res
}

var sortConds = cmpopts.SortSlices(func(a, b condSummary) bool { return a.Type < b.Type })

func TestComputeStatus(t *testing.T) {
	cfg := translate.Config{Account: names.DefaultAccount}
	cases := []struct {
		name        string
		scope       *scope
		wantConds   []condSummary
		wantRunning int32
		wantPending int32
	}{
		{
			name:  "steady state",
			scope: resolved(svc(3), deployment("h1", 5, 5, 3, 3, 3, 3)),
			wantConds: []condSummary{
				{"FullySupported", "True", "Succeeded", 2},
				{"Ready", "True", "SteadyState", 2}, {"ClusterResolved", "True", "Succeeded", 2},
				{"TaskDefinitionResolved", "True", "Succeeded", 2}, {"CapacityProviderReady", "True", "Succeeded", 2},
				{"DeploymentAvailable", "True", "SteadyState", 2},
			},
			wantRunning: 3,
		},
		{
			name:  "rolling: old and new tasks",
			scope: resolved(svc(3), deployment("h1", 6, 6, 4, 1, 3, 3)),
			wantConds: []condSummary{
				{"FullySupported", "True", "Succeeded", 2},
				{"Ready", "False", "RolloutInProgress", 2}, {"Reconciling", "True", "RolloutInProgress", 2},
				{"ClusterResolved", "True", "Succeeded", 2}, {"TaskDefinitionResolved", "True", "Succeeded", 2},
				{"CapacityProviderReady", "True", "Succeeded", 2}, {"DeploymentAvailable", "False", "RolloutInProgress", 2},
			},
			wantRunning: 3, wantPending: 1,
		},
		{
			name:  "deployment not yet observed the new template: not completed, but its tasks run (services-stable)",
			scope: resolved(svc(3), deployment("old", 6, 5, 3, 3, 3, 3)),
			wantConds: []condSummary{
				{"FullySupported", "True", "Succeeded", 2},
				{"Ready", "True", "SteadyState", 2},
				{"ClusterResolved", "True", "Succeeded", 2}, {"TaskDefinitionResolved", "True", "Succeeded", 2},
				{"CapacityProviderReady", "True", "Succeeded", 2}, {"DeploymentAvailable", "False", "RolloutInProgress", 2},
			},
			wantRunning: 3,
		},
		{
			name: "task definition not found: waiting for it, not stalled",
			scope: &scope{svc: svc(1), cluster: &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
				problem: &resolve.Problem{Condition: ecsv1alpha1.ConditionTaskDefinitionResolved, Reason: ecsv1alpha1.ReasonTaskDefinitionNotFound, Message: "no"}},
			wantConds: []condSummary{
				{"FullySupported", "True", "Succeeded", 2},
				{"Ready", "False", "DependencyNotReady", 2}, {"Reconciling", "True", "DependencyNotReady", 2},
				{"ClusterResolved", "True", "Succeeded", 2}, {"TaskDefinitionResolved", "False", "TaskDefinitionNotFound", 2},
			},
		},
		{
			name: "cluster not found: waiting for it; later conditions not evaluated",
			scope: &scope{svc: svc(1),
				problem: &resolve.Problem{Condition: ecsv1alpha1.ConditionClusterResolved, Reason: ecsv1alpha1.ReasonClusterNotFound, Message: "no"}},
			wantConds: []condSummary{
				{"FullySupported", "True", "Succeeded", 2},
				{"Ready", "False", "DependencyNotReady", 2}, {"Reconciling", "True", "DependencyNotReady", 2},
				{"ClusterResolved", "False", "ClusterNotFound", 2},
			},
		},
		{
			name: "inactive revision: the user must change the reference",
			scope: &scope{svc: svc(1), cluster: &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
				problem: &resolve.Problem{Condition: ecsv1alpha1.ConditionTaskDefinitionResolved, Reason: ecsv1alpha1.ReasonTaskDefinitionInactive, Message: "inactive"}},
			wantConds: []condSummary{
				{"FullySupported", "True", "Succeeded", 2},
				{"Ready", "False", "TaskDefinitionInactive", 2}, {"Stalled", "True", "TaskDefinitionInactive", 2},
				{"ClusterResolved", "True", "Succeeded", 2}, {"TaskDefinitionResolved", "False", "TaskDefinitionInactive", 2},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			computeStatus(c.scope, cfg)
			st := c.scope.svc.Status
			if diff := cmp.Diff(c.wantConds, summary(st.Conditions), sortConds); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if st.ObservedGeneration != 2 {
				t.Errorf("observedGeneration = %d", st.ObservedGeneration)
			}
			if got := ptr.Deref(st.RunningCount, -1); got != c.wantRunning {
				t.Errorf("runningCount = %d, want %d", got, c.wantRunning)
			}
			if got := ptr.Deref(st.PendingCount, -1); got != c.wantPending {
				t.Errorf("pendingCount = %d, want %d", got, c.wantPending)
			}
			if st.ServiceArn != "arn:aws:ecs:us-east-1:000000000000:service/default/web" {
				t.Errorf("serviceArn = %q", st.ServiceArn)
			}
			if st.Selector != "app.kubernetes.io/managed-by=berth,ecs.berth.dev/service=web" {
				t.Errorf("selector = %q", st.Selector)
			}
		})
	}
}

// A status computed twice from the same world is identical: no hot loop.
func TestComputeStatusStable(t *testing.T) {
	cfg := translate.Config{Account: names.DefaultAccount}
	s := resolved(svc(3), deployment("h1", 5, 5, 3, 3, 3, 3))
	computeStatus(s, cfg)
	first := s.svc.Status.DeepCopy()
	s.plan = rollout.Plan((&Reconciler{}).planInput(s))
	computeStatus(s, cfg)
	if diff := cmp.Diff(first, &s.svc.Status); diff != "" {
		t.Fatalf("second computation changed the status:\n%s", diff)
	}
}

// Sharing the rollout bounds between slices must not depend on what the
// apply itself changes: a Deployment whose generation Berth just bumped,
// or which is scaling up, is not rolling.
func TestRollingIgnoresOwnWrites(t *testing.T) {
	d := deployment("h1", 7, 6, 3, 3, 3, 3)
	d.Spec.Replicas = ptr.To[int32](5)
	if rolling(d, "h1") {
		t.Error("a Deployment of the wanted template that is being scaled (and not yet observed) is not rolling")
	}
	if !rolling(d, "h2") || !rolling(nil, "h1") {
		t.Error("a template change, or a Deployment to create, is rolling")
	}
	d.Status.Replicas = 4
	if !rolling(d, "h1") {
		t.Error("pods of an older template still run: rolling")
	}
}
