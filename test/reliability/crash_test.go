package reliability

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/controllers/capacityprovider"
	"github.com/berth-dev/berth/internal/localrun"
)

// timeout bounds every wait for convergence.
var timeout = 2 * time.Minute

// crashFlow is an operation an operator process is killed in the middle
// of (R2). setup runs with a healthy operator; act is the user's request
// the armed operator crashes while serving; check runs once a healthy
// operator has restarted, and asserts that the flow completed with exactly
// one of each child.
type crashFlow struct {
	name  string
	setup func(t *testing.T, id string)
	act   func(t *testing.T, id string)
	check func(t *testing.T, id string)
}

// crashPoint is a flow and the write after which the operator dies.
type crashPoint struct {
	flow  string
	after int
}

func crashFlows() map[string]crashFlow {
	flows := map[string]crashFlow{}
	for _, f := range []crashFlow{
		{
			name: "create-service",
			act:  func(t *testing.T, id string) { createService(t, id, "app", 2) },
			check: func(t *testing.T, id string) {
				expectServiceSteady(t, id, 2, "1")
			},
		},
		{
			name: "rollout",
			setup: func(t *testing.T, id string) {
				createTaskDefinition(t, id, "public.ecr.aws/example/app:1")
				createService(t, id, id, 2)
				expectServiceSteady(t, id, 2, "1")
			},
			act: func(t *testing.T, id string) {
				updateTaskDefinitionImage(t, id, "public.ecr.aws/example/app:2")
			},
			check: func(t *testing.T, id string) {
				expectServiceSteady(t, id, 2, "2")
			},
		},
		{
			// A new revision whose tasks crash as they start: the circuit
			// breaker fails it and rolls back.
			name: "breaker-rollback",
			setup: func(t *testing.T, id string) {
				createTaskDefinition(t, id, "public.ecr.aws/example/app:1")
				svc := newService(id, id, 2)
				svc.Spec.PropagateTags = ecsv1alpha1.PropagateTagsTaskDefinition
				svc.Spec.DeploymentConfiguration = &ecsv1alpha1.DeploymentConfiguration{
					DeploymentCircuitBreaker: &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true},
				}
				Expect(admin.Create(context.Background(), svc)).To(Succeed())
				expectServiceSteady(t, id, 2, "1")
			},
			act: func(t *testing.T, id string) {
				Eventually(func() error {
					td := &ecsv1alpha1.TaskDefinition{}
					if err := admin.Get(context.Background(), key(id), td); err != nil {
						return err
					}
					td.Spec.ContainerDefinitions[0].Image = "public.ecr.aws/example/app:broken"
					// Berth's kwok stage berth-container-exit.
					td.Spec.Tags = []ecsv1alpha1.Tag{{Key: "stage.berth.dev/container-exit", Value: "true"}}
					return admin.Update(context.Background(), td)
				}).WithTimeout(timeout).Should(Succeed())
			},
			check: func(t *testing.T, id string) {
				Eventually(func(g Gomega) {
					svc := &ecsv1alpha1.Service{}
					g.Expect(admin.Get(context.Background(), key(id), svc)).To(Succeed())
					failed := 0
					for _, d := range svc.Status.Deployments {
						if d.RolloutState == ecsv1alpha1.RolloutFailed {
							failed++
							g.Expect(d.RolloutStateReason).To(Equal("ECS deployment circuit breaker: tasks failed to start."))
						}
					}
					g.Expect(failed).To(Equal(1), "deployments: %+v", svc.Status.Deployments)
				}).WithTimeout(timeout).Should(Succeed())
				expectServiceSteady(t, id, 2, "1")
			},
		},
		{
			name: "delete-service",
			setup: func(t *testing.T, id string) {
				createService(t, id, "app", 2)
				expectServiceSteady(t, id, 2, "1")
			},
			act: func(t *testing.T, id string) {
				Expect(admin.Delete(context.Background(), &ecsv1alpha1.Service{ObjectMeta: objectMeta(id)})).To(Succeed())
			},
			check: func(t *testing.T, id string) { expectServiceGone(t, id) },
		},
		{
			name: "run-task",
			act:  func(t *testing.T, id string) { createTask(t, id) },
			check: func(t *testing.T, id string) {
				expectTaskRunning(t, id)
			},
		},
		{
			name: "stop-task",
			setup: func(t *testing.T, id string) {
				createTask(t, id)
				expectTaskRunning(t, id)
			},
			act: func(t *testing.T, id string) { stopTask(t, id, "reliability: stop") },
			check: func(t *testing.T, id string) {
				expectTaskStopped(t, id, "reliability: stop")
			},
		},
		{
			// RunTask on FARGATE: Berth provisions a node of the task's size
			// for it (kwok), once.
			name: "fargate-task",
			act: func(t *testing.T, id string) {
				task := &ecsv1alpha1.Task{ObjectMeta: objectMeta(id)}
				task.Spec.TaskDefinition, task.Spec.LaunchType = "app", ecsv1alpha1.LaunchTypeFargate
				Expect(admin.Create(context.Background(), task)).To(Succeed())
			},
			check: func(t *testing.T, id string) {
				expectTaskRunning(t, id)
				var pods corev1.PodList
				Expect(admin.List(context.Background(), &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelTask: id})).To(Succeed())
				Expect(pods.Items).To(HaveLen(1))
				Expect(nodesProvisionedFor(t, pods.Items[0].UID)).To(HaveLen(1), "nodes made for the task")
			},
		},
		{
			// Managed scale-in of an EC2-style pool: the Service goes to 0,
			// its nodes are fenced and removed (after 1 s below target).
			name: "scale-in",
			setup: func(t *testing.T, id string) {
				createScalingPool(t, id)
				svc := newService(id, "app", 2)
				svc.Spec.Cluster = id
				svc.Spec.LaunchType = ""
				svc.Spec.CapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{{CapacityProvider: id, Weight: ptr.To[int32](1)}}
				Expect(admin.Create(context.Background(), svc)).To(Succeed())
				expectServiceSteady(t, id, 2, "1")
				Expect(poolNodes(t, id)).To(HaveLen(2), "one node per task (pods: 1)")
			},
			act: func(t *testing.T, id string) {
				Eventually(func() error {
					svc := &ecsv1alpha1.Service{}
					if err := admin.Get(context.Background(), key(id), svc); err != nil {
						return err
					}
					svc.Spec.DesiredCount = ptr.To[int32](0)
					return admin.Update(context.Background(), svc)
				}).WithTimeout(timeout).Should(Succeed())
			},
			check: func(t *testing.T, id string) {
				Eventually(func(g Gomega) {
					g.Expect(poolNodes(t, id)).To(BeEmpty(), "the pool's nodes, removed by scale-in")
					var pods corev1.PodList
					g.Expect(admin.List(context.Background(), &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: id})).To(Succeed())
					g.Expect(pods.Items).To(BeEmpty())
				}).WithTimeout(timeout).WithPolling(500 * time.Millisecond).Should(Succeed())
				Expect(admin.Delete(context.Background(), &ecsv1alpha1.Service{ObjectMeta: objectMeta(id)})).To(Succeed())
				expectServiceGone(t, id)
			},
		},
	} {
		flows[f.name] = f
	}
	return flows
}

// createScalingPool creates an EC2-style capacity provider named name with
// managed scaling over kwok nodes of one task each, that scales in after
// 1 s below target, and a Cluster of the same name with it.
func createScalingPool(t *testing.T, name string) {
	t.Helper()
	cp := &ecsv1alpha1.CapacityProvider{}
	Expect(yaml.Unmarshal([]byte(fmt.Sprintf(`
metadata: {name: %[1]s}
spec:
  type: EC2_AUTOSCALING
  autoScalingGroupProvider:
    managedScaling: {status: ENABLED, targetCapacity: 100, instanceWarmupPeriod: 1}
    managedTerminationProtection: ENABLED
  nodePool:
    provisioner: kwok
    minSize: 0
    maxSize: 4
    scaleInAfterSeconds: 1
    nodeShape: {cpu: "1", memory: 1Gi, pods: "1"}
    taints:
    - {key: ecs.berth.dev/capacity-provider, value: %[1]s, effect: NoSchedule}
`, name)), cp)).To(Succeed())
	Expect(admin.Create(context.Background(), cp)).To(Succeed())
	t.Cleanup(func() { _ = admin.Delete(context.Background(), cp) })
	cl := &ecsv1alpha1.Cluster{ObjectMeta: objectMeta(name)}
	cl.Spec.CapacityProviders = []string{name}
	Expect(admin.Create(context.Background(), cl)).To(Succeed())
}

// poolNodes are the nodes of capacity provider cp's pool.
func poolNodes(t *testing.T, cp string) []string {
	t.Helper()
	var nodes corev1.NodeList
	Expect(admin.List(context.Background(), &nodes, client.MatchingLabels{ecsv1alpha1.LabelCapacityProvider: cp})).To(Succeed())
	var names []string
	for _, n := range nodes.Items {
		names = append(names, n.Name)
	}
	return names
}

// nodesProvisionedFor are the nodes Berth made for the pod of uid.
func nodesProvisionedFor(t *testing.T, uid types.UID) []string {
	t.Helper()
	var nodes corev1.NodeList
	Expect(admin.List(context.Background(), &nodes)).To(Succeed())
	var names []string
	for _, n := range nodes.Items {
		if n.Annotations[capacityprovider.AnnotationProvisionedFor] == string(uid) {
			names = append(names, n.Name)
		}
	}
	return names
}

// TestCrashBetweenWrites (R2) kills the operator right after one of its
// writes in the middle of each flow, restarts it, and checks that the flow
// completes with exactly one of each child: no task started twice, no
// duplicate Deployment, ReplicaSet or pod, counts and deployments[] right.
func TestCrashBetweenWrites(t *testing.T) {
	RegisterTestingT(t)
	ensureBase(t)
	flows := crashFlows()
	if crashSeed != 0 {
		t.Logf("random kill points from seed %d (BERTH_RELIABILITY_SEED)", crashSeed)
	}
	outer := t
	// The healthy operator outlives each subtest: its cleanup is the
	// parent's.
	healthy := startOperator(outer, "r2-healthy", procOptions{})
	crashed, beyond := 0, 0
	for i, pt := range crashPoints {
		f, ok := flows[pt.flow]
		if !ok {
			t.Fatalf("no flow %q", pt.flow)
		}
		id := fmt.Sprintf("r2-%s-%d-%d", pt.flow, pt.after, i)
		passed := t.Run(id, func(t *testing.T) {
			RegisterTestingT(t)
			if f.setup != nil {
				f.setup(t, id)
			}
			healthy.stop(t)
			p := startOperator(t, "r2-crashing", procOptions{crashAfter: pt.after})
			waitSynced(t, p)
			p.arm(t)
			f.act(t, id)
			write, err := awaitCrash(t, p, 20*time.Second)
			switch {
			case errors.Is(err, errNoCrash):
				beyond++
				t.Logf("%s made fewer than %d writes: no crash", pt.flow, pt.after)
			case err != nil:
				t.Fatal(err)
			default:
				crashed++
				t.Logf("killed %s", write)
			}
			healthy = startOperator(outer, "r2-healthy", procOptions{})
			f.check(t, id)
		})
		RegisterTestingT(t) // the subtest registered its own t
		if !passed {
			break // the operator may be down: later points would only time out
		}
	}
	figure(t, "R2", "%d crash points, %d crashed mid-flow, %d beyond the flow's last write", len(crashPoints), crashed, beyond)
	Expect(crashed).To(BeNumerically(">", 0), "no crash point fell inside a flow")
}

// waitSynced waits until the process's caches have synced. Its controllers
// may still be going through the existing objects: a no-op resync writes
// nothing (R5), so the writes counted are the flow's.
func waitSynced(t *testing.T, p *proc) {
	t.Helper()
	waitForLine(t, p, markSynced, time.Minute)
}

var baseReady bool

// ensureBase applies the capacity providers and the cluster of the
// samples, and the shared task definition "app".
func ensureBase(t *testing.T) {
	t.Helper()
	if baseReady {
		return
	}
	ctx := context.Background()
	for _, f := range []string{"01_capacityproviders.yaml", "02_cluster.yaml"} {
		applySample(t, f)
	}
	createTaskDefinition(t, "app", "public.ecr.aws/example/app:1")
	p := startOperator(t, "base", procOptions{})
	Eventually(func(g Gomega) {
		cl := &ecsv1alpha1.Cluster{}
		g.Expect(admin.Get(ctx, key("default"), cl)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(cl.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
		td := &ecsv1alpha1.TaskDefinition{}
		g.Expect(admin.Get(ctx, key("app"), td)).To(Succeed())
		g.Expect(td.Status.Revision).To(Equal(int32(1)))
	}).WithTimeout(timeout).Should(Succeed())
	p.stop(t)
	baseReady = true
}

func key(name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func createTaskDefinition(t *testing.T, family, image string) {
	t.Helper()
	td := &ecsv1alpha1.TaskDefinition{ObjectMeta: objectMeta(family)}
	td.Spec.Family = family
	td.Spec.ContainerDefinitions = []ecsv1alpha1.ContainerDefinition{{
		Name: "app", Image: image, Essential: ptr.To(true), Cpu: ptr.To[int32](32), MemoryReservation: ptr.To[int32](32),
		// With a health check, a deployment completes once its tasks are
		// healthy, not after ECS's 40 s of stability.
		HealthCheck: &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "true"}, Interval: ptr.To[int32](5), Retries: ptr.To[int32](1)},
	}}
	Expect(admin.Create(context.Background(), td)).To(Succeed())
}

func updateTaskDefinitionImage(t *testing.T, family, image string) {
	t.Helper()
	Eventually(func() error {
		td := &ecsv1alpha1.TaskDefinition{}
		if err := admin.Get(context.Background(), key(family), td); err != nil {
			return err
		}
		td.Spec.ContainerDefinitions[0].Image = image
		return admin.Update(context.Background(), td)
	}).WithTimeout(timeout).Should(Succeed())
}

func createService(t *testing.T, name, family string, desired int32) {
	t.Helper()
	Expect(admin.Create(context.Background(), newService(name, family, desired))).To(Succeed())
}

func newService(name, family string, desired int32) *ecsv1alpha1.Service {
	svc := &ecsv1alpha1.Service{ObjectMeta: objectMeta(name)}
	svc.Spec.TaskDefinition = family
	svc.Spec.DesiredCount = ptr.To(desired)
	return svc
}

func createTask(t *testing.T, name string) {
	t.Helper()
	task := &ecsv1alpha1.Task{ObjectMeta: objectMeta(name)}
	task.Spec.TaskDefinition = "app"
	Expect(admin.Create(context.Background(), task)).To(Succeed())
}

func stopTask(t *testing.T, name, reason string) {
	t.Helper()
	Eventually(func() error {
		task := &ecsv1alpha1.Task{}
		if err := admin.Get(context.Background(), key(name), task); err != nil {
			return err
		}
		task.Spec.DesiredStatus = ecsv1alpha1.DesiredTaskStatus(ecsv1alpha1.TaskStopped)
		task.Spec.StopReason = reason
		return admin.Update(context.Background(), task)
	}).WithTimeout(timeout).Should(Succeed())
}

// startedTask matches the task names in a service event "has started N
// tasks: (task a) (task b)."
var startedTask = regexp.MustCompile(`\(task ([^)]+)\)`)

// expectServiceSteady waits until the service is Ready with running ==
// desired, one PRIMARY deployment COMPLETED, one Deployment, one
// ReplicaSet with replicas, and desired pods of revision; then checks that
// it stays so (no task started twice) and that its events name each
// started task once.
func expectServiceSteady(t *testing.T, name string, desired int32, revision string) {
	t.Helper()
	ctx := context.Background()
	steady := func(g Gomega) {
		svc := &ecsv1alpha1.Service{}
		g.Expect(admin.Get(ctx, key(name), svc)).To(Succeed())
		g.Expect(svc.Status.ObservedGeneration).To(Equal(svc.Generation))
		g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue(), "conditions: %+v", svc.Status.Conditions)
		g.Expect(svc.Status.RunningCount).To(Equal(ptr.To(desired)))
		g.Expect(svc.Status.PendingCount).To(Equal(ptr.To[int32](0)))
		g.Expect(svc.Status.Deployments).NotTo(BeEmpty())
		// A FAILED deployment the spec still asks for is kept, INACTIVE
		// (docs/services.md); nothing else but the PRIMARY.
		for _, d := range svc.Status.Deployments[1:] {
			g.Expect(d.Status).To(Equal(ecsv1alpha1.DeploymentInactive), "deployments: %+v", svc.Status.Deployments)
			g.Expect(d.RolloutState).To(Equal(ecsv1alpha1.RolloutFailed), "deployments: %+v", svc.Status.Deployments)
		}
		g.Expect(svc.Status.Deployments[0].Status).To(Equal(ecsv1alpha1.DeploymentPrimary))
		g.Expect(svc.Status.Deployments[0].RolloutState).To(Equal(ecsv1alpha1.RolloutCompleted))
		g.Expect(svc.Status.Deployments[0].RunningCount).To(Equal(desired))
		// The status has recorded the revision's deployment, not only its
		// pods (which kwok may run before the status write lands).
		g.Expect(svc.Status.Deployments[0].TaskDefinition).To(HaveSuffix(":"+revision), "deployments: %+v", svc.Status.Deployments)
		started := map[string]int{}
		var messages []string
		for _, e := range svc.Status.Events {
			messages = append(messages, e.Message)
			if !strings.Contains(e.Message, " has started ") {
				continue
			}
			for _, m := range startedTask.FindAllStringSubmatch(e.Message, -1) {
				started[m[1]]++
			}
		}
		for task, n := range started {
			g.Expect(n).To(Equal(1), "task %s reported started %d times; events:\n%s", task, n, strings.Join(messages, "\n"))
		}
		selector := client.MatchingLabels{ecsv1alpha1.LabelService: name}
		var deployments appsv1.DeploymentList
		g.Expect(admin.List(ctx, &deployments, client.InNamespace(ns), selector)).To(Succeed())
		g.Expect(deployments.Items).To(HaveLen(1))
		var sets appsv1.ReplicaSetList
		g.Expect(admin.List(ctx, &sets, client.InNamespace(ns), selector)).To(Succeed())
		withReplicas := 0
		for _, rs := range sets.Items {
			if ptr.Deref(rs.Spec.Replicas, 0) > 0 {
				withReplicas++
			}
		}
		g.Expect(withReplicas).To(Equal(1), "ReplicaSets with replicas")
		var pods corev1.PodList
		g.Expect(admin.List(ctx, &pods, client.InNamespace(ns), selector)).To(Succeed())
		g.Expect(pods.Items).To(HaveLen(int(desired)))
		for _, p := range pods.Items {
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning), "pod %s", p.Name)
			g.Expect(p.Labels[ecsv1alpha1.LabelRevision]).To(Equal(revision), "pod %s", p.Name)
		}
	}
	Eventually(steady).WithTimeout(timeout).WithPolling(500 * time.Millisecond).Should(Succeed())
	Consistently(steady).WithTimeout(3 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
}

// expectServiceGone waits until the service and everything it owned are gone.
func expectServiceGone(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	Eventually(func(g Gomega) {
		err := admin.Get(ctx, key(name), &ecsv1alpha1.Service{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Service still there: %v", err)
		selector := client.MatchingLabels{ecsv1alpha1.LabelService: name}
		for _, list := range []client.ObjectList{&appsv1.DeploymentList{}, &appsv1.ReplicaSetList{}, &corev1.PodList{}, &corev1.ServiceList{}} {
			g.Expect(admin.List(ctx, list, client.InNamespace(ns), selector)).To(Succeed())
			g.Expect(meta.LenList(list)).To(BeZero(), "%T left", list)
		}
	}).WithTimeout(timeout).WithPolling(500 * time.Millisecond).Should(Succeed())
}

// expectTaskRunning waits until the task runs, with its start recorded and
// exactly one pod, and checks it stays so.
func expectTaskRunning(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	running := func(g Gomega) {
		task := &ecsv1alpha1.Task{}
		g.Expect(admin.Get(ctx, key(name), task)).To(Succeed())
		g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskRunning))
		g.Expect(task.Status.StartedAt).NotTo(BeNil())
		g.Expect(task.Status.TaskArn).NotTo(BeEmpty())
		var pods corev1.PodList
		g.Expect(admin.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelTask: name})).To(Succeed())
		g.Expect(pods.Items).To(HaveLen(1))
		g.Expect(pods.Items[0].Status.Phase).To(Equal(corev1.PodRunning))
	}
	Eventually(running).WithTimeout(timeout).WithPolling(500 * time.Millisecond).Should(Succeed())
	Consistently(running).WithTimeout(2 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
}

// expectTaskStopped waits until the task is STOPPED for reason, and its
// pod (at most one) no longer runs.
func expectTaskStopped(t *testing.T, name, reason string) {
	t.Helper()
	ctx := context.Background()
	Eventually(func(g Gomega) {
		task := &ecsv1alpha1.Task{}
		g.Expect(admin.Get(ctx, key(name), task)).To(Succeed())
		g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskStopped))
		g.Expect(task.Status.StoppedAt).NotTo(BeNil())
		g.Expect(task.Status.StartedAt).NotTo(BeNil())
		g.Expect(task.Status.StoppedReason).To(Equal(reason))
		var pods corev1.PodList
		g.Expect(admin.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelTask: name})).To(Succeed())
		g.Expect(len(pods.Items)).To(BeNumerically("<=", 1))
		for _, p := range pods.Items {
			g.Expect(p.Status.Phase).NotTo(Equal(corev1.PodRunning))
		}
	}).WithTimeout(timeout).WithPolling(500 * time.Millisecond).Should(Succeed())
}

func objectMeta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }

// applySample applies one of config/samples' files in ns.
func applySample(t *testing.T, file string) {
	t.Helper()
	root, err := localrun.Root()
	Expect(err).NotTo(HaveOccurred())
	_, err = localrun.ApplyFile(context.Background(), admin, filepath.Join(root, "config", "samples", file), ns)
	Expect(err).NotTo(HaveOccurred())
}
