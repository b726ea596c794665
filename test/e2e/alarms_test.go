package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// TestDeploymentAlarmRollsBack: a ROLLING service whose deployments watch
// a CloudWatch-style alarm on its tasks' CPU (deploymentConfiguration.
// alarms with rollback). Revision 2's tasks use far more CPU than they
// reserve; the alarm goes into ALARM while the deployment is in progress
// (its rollout, then its bake time), the deployment fails with ECS's
// events and rolls back to revision 1, and the service deployment records
// the rollback.
func TestDeploymentAlarmRollsBack(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	Expect(admin.Create(ctx, rollTaskDefinition("alarmed", "public.ecr.aws/example/app:1", nil))).To(Succeed())
	Expect(admin.Create(ctx, rollService("alarmed", "alarmed", 2, 200, 100, nil))).To(Succeed())
	alarm := &ecsv1alpha1.MetricAlarm{}
	alarm.Name, alarm.Namespace = "alarmed-cpu", ns
	alarm.Spec = ecsv1alpha1.MetricAlarmSpec{
		Namespace: "AWS/ECS", MetricName: "CPUUtilization", Statistic: ecsv1alpha1.StatisticMaximum,
		Dimensions: []ecsv1alpha1.MetricDimension{{Name: "ClusterName", Value: "default"}, {Name: "ServiceName", Value: "alarmed"}},
		// One breaching datapoint of 10 s alarms; 6 periods make a
		// one-minute bake time.
		Period: ptr.To[int32](10), EvaluationPeriods: ptr.To[int32](6), DatapointsToAlarm: ptr.To[int32](1),
		Threshold: ptr.To(50.0), ComparisonOperator: ecsv1alpha1.AlarmComparisonOperator(ecsv1alpha1.GreaterThanThreshold),
	}
	Expect(admin.Create(ctx, alarm)).To(Succeed())
	good := expectStable(t, "alarmed", 2, "1")
	goodID := good.Status.Deployments[0].ID
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key(alarm.Name), alarm)).To(Succeed())
		g.Expect(alarm.Status.StateValue).To(Equal(ecsv1alpha1.AlarmStateOK), "%+v", alarm.Status)
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())

	Eventually(func(g Gomega) {
		svc := &ecsv1alpha1.Service{}
		g.Expect(admin.Get(ctx, key("alarmed"), svc)).To(Succeed())
		svc.Spec.DeploymentConfiguration.Alarms = &ecsv1alpha1.DeploymentAlarms{AlarmNames: []string{"alarmed-cpu"}, Enable: true, Rollback: true}
		g.Expect(admin.Update(ctx, svc)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
	updateTaskDefinition(t, "alarmed", "public.ecr.aws/example/app:2", nil, 2)

	// Revision 2's tasks use a whole CPU (kwok's usage annotation) of the
	// 32 units they reserve.
	svc := &ecsv1alpha1.Service{}
	var failedID string
	Eventually(func(g Gomega) {
		for _, p := range servicePods(g, "alarmed") {
			if p.Labels[ecsv1alpha1.LabelRevision] == "2" && p.Annotations["kwok.x-k8s.io/usage-cpu"] == "" {
				g.Expect(client.IgnoreNotFound(admin.Patch(ctx, &p, client.RawPatch("application/merge-patch+json",
					[]byte(`{"metadata":{"annotations":{"kwok.x-k8s.io/usage-cpu":"1"}}}`))))).To(Succeed())
			}
		}
		g.Expect(admin.Get(ctx, key("alarmed"), svc)).To(Succeed())
		var failed *ecsv1alpha1.ServiceDeployment
		for i, d := range svc.Status.Deployments {
			if strings.HasSuffix(d.TaskDefinition, ":2") {
				failed = &svc.Status.Deployments[i]
			}
		}
		g.Expect(failed).NotTo(BeNil(), "deployments: %+v", svc.Status.Deployments)
		g.Expect(failed.RolloutState).To(Equal(ecsv1alpha1.RolloutFailed), "%+v", failed)
		g.Expect(failed.RolloutStateReason).To(Equal("ECS deployment alarms: alarmed-cpu in ALARM state."))
		g.Expect(failed.Alarms).To(Equal(&ecsv1alpha1.DeploymentAlarmsState{Status: ecsv1alpha1.MonitorTriggered,
			AlarmNames: []string{"alarmed-cpu"}, TriggeredAlarmNames: []string{"alarmed-cpu"}}))
		failedID = failed.ID
	}).WithTimeout(3 * timeout).WithPolling(time.Second).Should(Succeed())

	svc = expectStable(t, "alarmed", 2, "1")
	Expect(svc.Status.Deployments[0].ID).To(Equal(goodID))
	events := eventMessages(svc)
	t.Logf("events:\n%s", events)
	for _, m := range []string{
		fmt.Sprintf("service alarmed (deployment %s) deployment failed: alarm detected.", failedID),
		fmt.Sprintf("service alarmed (deployment %s) rolling back to deployment %s.", failedID, goodID),
	} {
		Expect(events).To(ContainSubstring(m))
	}
	// The service deployment records the rollback, which completes with
	// the alarm still in ALARM (the rollback does not watch it).
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, key("alarmed"), svc)).To(Succeed())
		var rec *ecsv1alpha1.ServiceDeploymentRecord
		for i := range svc.Status.ServiceDeployments {
			if svc.Status.ServiceDeployments[i].ID == failedID {
				rec = &svc.Status.ServiceDeployments[i]
			}
		}
		g.Expect(rec).NotTo(BeNil(), "%+v", svc.Status.ServiceDeployments)
		g.Expect(rec.Status).To(Equal(ecsv1alpha1.ServiceDeploymentRollbackSuccessful), "%+v", rec)
		g.Expect(rec.Rollback).NotTo(BeNil())
		g.Expect(rec.Rollback.ServiceRevisionArn).To(HaveSuffix(strings.TrimPrefix(goodID, "ecs-svc/")))
		g.Expect(svc.Status.Deployments[0].RolloutState).To(Equal(ecsv1alpha1.RolloutCompleted))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	for _, p := range servicePods(Default, "alarmed") {
		Expect(p.Labels[ecsv1alpha1.LabelRevision]).To(Equal("1"))
	}
}
