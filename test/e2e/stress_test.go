//go:build reliability

// The long suites of make reliability (not part of make test): they take
// minutes, and what they show is not a single behaviour but that one holds
// under load.

package e2e

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

const stressPool = `
apiVersion: ecs.berth.dev/v1alpha1
kind: CapacityProvider
metadata:
  name: stress-ec2
spec:
  type: EC2_AUTOSCALING
  autoScalingGroupProvider:
    managedScaling: {status: ENABLED, targetCapacity: 100, instanceWarmupPeriod: 1}
  nodePool:
    provisioner: kwok
    scaleInAfterSeconds: 1
    nodeShape: {cpu: "1", memory: 4Gi, pods: "10"}
`

// TestNoTaskStoppedWithItsNode starts and stops tasks on a Fargate pool
// and on a managed EC2 pool that scales in after 1 s, in 5 waves: each
// of 40 tasks starts while the previous one stops, so that new tasks are
// placed while emptied nodes are being removed. 200 task starts; every
// task this test did not stop keeps RUNNING (none is stopped because its
// node was deleted), and nodes were removed meanwhile.
func TestNoTaskStoppedWithItsNode(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	dumpOnFailure(t, ns)
	cp := &ecsv1alpha1.CapacityProvider{}
	applyYAML(t, stressPool, cp)
	cl := &ecsv1alpha1.Cluster{ObjectMeta: objectMeta("stress")}
	cl.Spec.CapacityProviders = []string{"FARGATE", "stress-ec2"}
	Expect(admin.Create(ctx, cl)).To(Succeed())
	td := fargateTaskDefinition("stress")
	td.Spec.RequiresCompatibilities = append(td.Spec.RequiresCompatibilities, ecsv1alpha1.CompatibilityEc2)
	Expect(admin.Create(ctx, td)).To(Succeed())

	deleted := watchNodeDeletions(t)
	const waves, perPool = 5, 20
	var started []string
	for w := range waves {
		for i := range 2 * perPool {
			task := &ecsv1alpha1.Task{ObjectMeta: objectMeta(fmt.Sprintf("stress-%d-%d", w, i))}
			task.Spec.Cluster = "stress"
			task.Spec.TaskDefinition = "stress"
			if i < perPool {
				task.Spec.LaunchType = ecsv1alpha1.LaunchTypeFargate
			} else {
				task.Spec.CapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{{CapacityProvider: "stress-ec2", Weight: ptr.To[int32](1)}}
			}
			Expect(admin.Create(ctx, task)).To(Succeed())
			started = append(started, task.Name)
		}
		if w > 0 {
			for i := range 2 * perPool {
				stopTask(t, fmt.Sprintf("stress-%d-%d", w-1, i))
			}
		}
		Eventually(func(g Gomega) {
			for i := range 2 * perPool {
				task := &ecsv1alpha1.Task{}
				g.Expect(admin.Get(ctx, key(fmt.Sprintf("stress-%d-%d", w, i)), task)).To(Succeed())
				if task.Status.LastStatus == ecsv1alpha1.TaskStopped {
					StopTrying(fmt.Sprintf("task %s STOPPED: %s %s", task.Name, task.Status.StopCode, task.Status.StoppedReason)).Now()
				}
				g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskRunning), "task %s", task.Name)
			}
		}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	}
	// The last wave stays; the pools scale in under it for a while.
	Consistently(func(g Gomega) {
		for i := range 2 * perPool {
			task := &ecsv1alpha1.Task{}
			g.Expect(admin.Get(ctx, key(fmt.Sprintf("stress-%d-%d", waves-1, i)), task)).To(Succeed())
			g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskRunning), "task %s: %s %s", task.Name, task.Status.StopCode, task.Status.StoppedReason)
		}
	}).WithTimeout(10 * time.Second).WithPolling(time.Second).Should(Succeed())
	Expect(started).To(HaveLen(waves * 2 * perPool))
	for _, name := range started[:len(started)-2*perPool] {
		task := &ecsv1alpha1.Task{}
		Eventually(func(g Gomega) {
			g.Expect(admin.Get(ctx, key(name), task)).To(Succeed())
			g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskStopped))
		}).WithTimeout(timeout).Should(Succeed())
		Expect(task.Status.StartedAt).NotTo(BeNil(), "task %s never ran", name)
		Expect(task.Status.StoppedReason).To(Equal("stress: next wave"), "task %s was stopped by something else than this test", name)
	}
	Expect(deleted.Load()).To(BeNumerically(">=", 10), "nodes removed while the tasks came and went: the race was exercised")
	for i := range 2 * perPool {
		stopTask(t, fmt.Sprintf("stress-%d-%d", waves-1, i))
	}
}

func stopTask(t *testing.T, name string) {
	t.Helper()
	Eventually(func(g Gomega) {
		task := &ecsv1alpha1.Task{}
		g.Expect(admin.Get(context.Background(), key(name), task)).To(Succeed())
		task.Spec.DesiredStatus = ecsv1alpha1.DesiredTaskStatus(ecsv1alpha1.TaskStopped)
		task.Spec.StopReason = "stress: next wave"
		g.Expect(admin.Update(context.Background(), task)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
}

// watchNodeDeletions counts the nodes deleted from now until the test ends.
func watchNodeDeletions(t *testing.T) *atomic.Int64 {
	t.Helper()
	wc, err := client.NewWithWatch(cp.AdminConfig(), client.Options{})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	wi, err := wc.Watch(ctx, &corev1.NodeList{})
	Expect(err).NotTo(HaveOccurred())
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range wi.ResultChan() {
			if ev.Type == watch.Deleted {
				n.Add(1)
			}
		}
	}()
	t.Cleanup(func() { cancel(); wi.Stop(); <-done })
	return &n
}
