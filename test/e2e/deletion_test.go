package e2e

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/controllers/cluster"
	"github.com/berth-dev/berth/controllers/revision"
)

// Deletion as ECS does it: deleting a TaskDefinition (a GitOps prune) or
// one of its revisions never breaks the services running it, and a
// Cluster stays while any of its services or tasks exist.

// TestDeletedTaskDefinitionKeepsItsServices: the TaskDefinition of a
// running service is deleted; the revision the service runs stays
// (DELETE_IN_PROGRESS, saying who uses it), the service keeps its tasks
// and scales 3 → 5; re-created with a new image, the TaskDefinition
// registers the next revision and the service rolls to it; then the old
// revision goes. Deleting that new revision alone registers nothing and
// leaves the service as it is.
func TestDeletedTaskDefinitionKeepsItsServices(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	Expect(admin.Create(ctx, rollTaskDefinition("prune", "public.ecr.aws/example/prune:1", nil))).To(Succeed())
	Expect(admin.Create(ctx, rollService("prune", "prune", 3, 200, 100, nil))).To(Succeed())
	expectStable(t, "prune", 3, "1")

	td := &ecsv1alpha1.TaskDefinition{}
	Expect(admin.Get(ctx, key("prune"), td)).To(Succeed())
	Expect(admin.Delete(ctx, td)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("prune"), &ecsv1alpha1.TaskDefinition{})).To(Satisfy(apierrors.IsNotFound))
		rev := &ecsv1alpha1.TaskDefinitionRevision{}
		g.Expect(admin.Get(ctx, key("prune-1"), rev)).To(Succeed())
		g.Expect(rev.DeletionTimestamp).NotTo(BeNil())
		g.Expect(rev.Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionDeleteInProgress))
		c := meta.FindStatusCondition(rev.Status.Conditions, ecsv1alpha1.ConditionReconciling)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(revision.ReasonInUse))
		g.Expect(c.Message).To(ContainSubstring("in use by Service prune"))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())

	scale(t, "prune", 5)
	expectStable(t, "prune", 5, "1")

	again := rollTaskDefinition("prune", "public.ecr.aws/example/prune:2", nil)
	Expect(admin.Create(ctx, again)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("prune"), again)).To(Succeed())
		g.Expect(again.Status.Revision).To(Equal(int32(2)), "numbered after the revision that still exists")
	}).WithTimeout(timeout).Should(Succeed())
	expectStable(t, "prune", 5, "2")
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("prune-1"), &ecsv1alpha1.TaskDefinitionRevision{})).To(Satisfy(apierrors.IsNotFound))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())

	// The revision alone: nothing is registered again, nothing rolls.
	Expect(admin.Delete(ctx, &ecsv1alpha1.TaskDefinitionRevision{ObjectMeta: objectMeta("prune-2")})).To(Succeed())
	Eventually(func(g Gomega) {
		rev := &ecsv1alpha1.TaskDefinitionRevision{}
		g.Expect(admin.Get(ctx, key("prune-2"), rev)).To(Succeed())
		g.Expect(rev.Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionDeleteInProgress))
	}).WithTimeout(timeout).Should(Succeed())
	Consistently(func(g Gomega) {
		var revs ecsv1alpha1.TaskDefinitionRevisionList
		g.Expect(admin.List(ctx, &revs, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelTaskDefinition: "prune"})).To(Succeed())
		g.Expect(revs.Items).To(HaveLen(1))
		g.Expect(revs.Items[0].Name).To(Equal("prune-2"))
		g.Expect(revs.Items[0].Status.Status).To(Equal(ecsv1alpha1.TaskDefinitionDeleteInProgress))
		svc := getService(g, "prune")
		g.Expect(svc.Status.TaskDefinition).To(HaveSuffix(":2"))
		g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
	}).WithTimeout(10 * time.Second).WithPolling(time.Second).Should(Succeed())

	Expect(admin.Delete(ctx, getService(Default, "prune"))).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("prune-2"), &ecsv1alpha1.TaskDefinitionRevision{})).To(Satisfy(apierrors.IsNotFound))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	Expect(admin.Delete(ctx, again)).To(Succeed())
}

// TestClusterStaysWhileServicesDrain: a Cluster deleted while one of its
// services is DRAINING, its task held by a finalizer, stays (ECS's
// ClusterContainsServicesException, then ClusterContainsTasksException)
// until the task is gone.
func TestClusterStaysWhileServicesDrain(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	const hold = "e2e.berth.dev/hold"
	cl := &ecsv1alpha1.Cluster{ObjectMeta: objectMeta("draining")}
	cl.Spec.ClusterName = "draining"
	cl.Spec.CapacityProviders = []string{"ec2"}
	Expect(admin.Create(ctx, cl)).To(Succeed())
	Expect(admin.Create(ctx, rollTaskDefinition("drainer", "public.ecr.aws/example/drainer:1", nil))).To(Succeed())
	svc := rollService("drainer", "drainer", 1, 200, 100, nil)
	svc.Spec.Cluster = "draining"
	Expect(admin.Create(ctx, svc)).To(Succeed())
	expectStable(t, "drainer", 1, "1")

	pod := servicePods(Default, "drainer")[0]
	pod.Finalizers = append(pod.Finalizers, hold)
	Expect(admin.Update(ctx, &pod)).To(Succeed())
	Expect(admin.Delete(ctx, svc)).To(Succeed())
	Expect(admin.Delete(ctx, cl)).To(Succeed())
	deleting := func(g Gomega) *ecsv1alpha1.Cluster {
		got := &ecsv1alpha1.Cluster{}
		g.Expect(admin.Get(ctx, key("draining"), got)).To(Succeed())
		g.Expect(got.DeletionTimestamp).NotTo(BeNil())
		return got
	}
	// The service is DRAINING until its task is gone; the cluster stays,
	// saying why.
	Eventually(func(g Gomega) {
		c := meta.FindStatusCondition(deleting(g).Status.Conditions, cluster.ConditionDeleting)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(cluster.ReasonClusterContainsServices))
		g.Expect(c.Message).To(ContainSubstring("DRAINING (1)"))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	Consistently(func(g Gomega) { deleting(g) }).WithTimeout(5 * time.Second).Should(Succeed())

	Expect(admin.Get(ctx, client.ObjectKeyFromObject(&pod), &pod)).To(Succeed())
	pod.Finalizers = removeString(pod.Finalizers, hold)
	Expect(admin.Update(ctx, &pod)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("draining"), &ecsv1alpha1.Cluster{})).To(Satisfy(apierrors.IsNotFound))
		g.Expect(admin.Get(ctx, key("drainer"), &ecsv1alpha1.Service{})).To(Satisfy(apierrors.IsNotFound))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	Expect(admin.Delete(ctx, &ecsv1alpha1.TaskDefinition{ObjectMeta: objectMeta("drainer")})).To(Succeed())
}

func removeString(list []string, s string) []string {
	var res []string
	for _, x := range list {
		if x != s {
			res = append(res, x)
		}
	}
	return res
}

// scale sets a service's desiredCount.
func scale(t *testing.T, name string, desired int32) {
	t.Helper()
	Eventually(func(g Gomega) {
		svc := getService(g, name)
		svc.Spec.DesiredCount = ptr.To(desired)
		g.Expect(admin.Update(context.Background(), svc)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
}

func objectMeta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }
