package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	cmdwait "k8s.io/kubectl/pkg/cmd/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/localrun"
)

// These tests show ECS's deployments on real Deployments, ReplicaSets and
// pods: rollouts bounded by maximumPercent and minimumHealthyPercent, and
// the deployment circuit breaker with and without rollback.

// rollTaskDefinition is a small EC2 task with a health check, so that a
// task is healthy once ready (no 40-second wait).
func rollTaskDefinition(family, image string, tags map[string]string) *ecsv1alpha1.TaskDefinition {
	td := &ecsv1alpha1.TaskDefinition{}
	td.Name, td.Namespace = family, ns
	td.Spec.Family = family
	td.Spec.ContainerDefinitions = []ecsv1alpha1.ContainerDefinition{{
		Name: "app", Image: image, Essential: ptr.To(true), Cpu: ptr.To[int32](32), MemoryReservation: ptr.To[int32](32),
		HealthCheck: &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "true"}, Interval: ptr.To[int32](5), Retries: ptr.To[int32](1)},
	}}
	for k, v := range tags {
		td.Spec.Tags = append(td.Spec.Tags, ecsv1alpha1.Tag{Key: k, Value: v})
	}
	return td
}

func rollService(name, family string, desired, maxPercent, minPercent int32, breaker *ecsv1alpha1.DeploymentCircuitBreaker) *ecsv1alpha1.Service {
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = name, ns
	svc.Spec.TaskDefinition = family
	svc.Spec.DesiredCount = ptr.To(desired)
	svc.Spec.LaunchType = ecsv1alpha1.LaunchTypeEc2
	svc.Spec.PropagateTags = ecsv1alpha1.PropagateTagsTaskDefinition
	svc.Spec.DeploymentConfiguration = &ecsv1alpha1.DeploymentConfiguration{
		MaximumPercent: ptr.To(maxPercent), MinimumHealthyPercent: ptr.To(minPercent), DeploymentCircuitBreaker: breaker,
	}
	return svc
}

// updateTaskDefinition registers a new revision of family with image and tags.
func updateTaskDefinition(t *testing.T, family, image string, tags map[string]string, revision int32) {
	t.Helper()
	Eventually(func(g Gomega) {
		td := &ecsv1alpha1.TaskDefinition{}
		g.Expect(admin.Get(context.Background(), key(family), td)).To(Succeed())
		want := rollTaskDefinition(family, image, tags)
		td.Spec = want.Spec
		g.Expect(admin.Update(context.Background(), td)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
	Eventually(func(g Gomega) {
		td := &ecsv1alpha1.TaskDefinition{}
		g.Expect(admin.Get(context.Background(), key(family), td)).To(Succeed())
		g.Expect(td.Status.Revision).To(Equal(revision))
	}).WithTimeout(timeout).Should(Succeed())
}

// podWatch samples every change of a service's pods: the most tasks
// (pods not being deleted) and the fewest healthy tasks (ready pods not
// being deleted) at any moment.
type podWatch struct {
	mu                 sync.Mutex
	pods               map[types.UID]*corev1.Pod
	maxTasks, minReady int
	revisions          map[string]bool
	cancel             context.CancelFunc
	done               chan struct{}
}

func watchPods(t *testing.T, svc string) *podWatch {
	t.Helper()
	wc, err := client.NewWithWatch(cp.AdminConfig(), client.Options{})
	Expect(err).NotTo(HaveOccurred())
	// The watch starts where a list of the converged service ends, so that
	// its tasks are not replayed one at a time.
	var list corev1.PodList
	Expect(wc.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: svc})).To(Succeed())
	ctx, cancel := context.WithCancel(context.Background())
	w, err := wc.Watch(ctx, &corev1.PodList{}, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: svc},
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}})
	Expect(err).NotTo(HaveOccurred())
	pw := &podWatch{pods: map[types.UID]*corev1.Pod{}, minReady: 1 << 30, revisions: map[string]bool{}, cancel: cancel, done: make(chan struct{})}
	for i := range list.Items {
		pw.pods[list.Items[i].UID] = &list.Items[i]
	}
	pw.observe("", nil)
	go func() {
		defer close(pw.done)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.ResultChan():
				if !ok {
					return
				}
				pod, ok := ev.Object.(*corev1.Pod)
				if !ok {
					continue
				}
				pw.observe(string(ev.Type), pod)
			}
		}
	}()
	return pw
}

func (pw *podWatch) observe(typ string, pod *corev1.Pod) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	switch {
	case pod == nil:
	case typ == "DELETED":
		delete(pw.pods, pod.UID)
	default:
		pw.pods[pod.UID] = pod
	}
	tasks, ready := 0, 0
	for _, p := range pw.pods {
		if !p.DeletionTimestamp.IsZero() || p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			continue
		}
		tasks++
		pw.revisions[p.Labels[ecsv1alpha1.LabelRevision]] = true
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready++
			}
		}
	}
	pw.maxTasks = max(pw.maxTasks, tasks)
	pw.minReady = min(pw.minReady, ready)
}

func (pw *podWatch) stop() (maxTasks, minReady int, revisions map[string]bool) {
	pw.cancel()
	<-pw.done
	pw.mu.Lock()
	defer pw.mu.Unlock()
	return pw.maxTasks, pw.minReady, pw.revisions
}

// kubectlWait runs `kubectl wait --for=condition=Ready` (kubectl's own
// command, as a library) on a Service.
func kubectlWait(name string, wait time.Duration) (_ string, err error) {
	// kubectl exits the process on an error; make it return instead.
	cmdutil.BehaviorOnFatal(func(msg string, code int) { panic(fatal{msg, code}) })
	defer cmdutil.DefaultBehaviorOnFatal()
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(fatal)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("kubectl wait exited %d: %s", f.code, f.msg)
		}
	}()
	flags := genericclioptions.NewConfigFlags(false)
	kubeconfig, namespace := cp.KubeconfigPath(), ns
	flags.KubeConfig, flags.Namespace = &kubeconfig, &namespace
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	cmd := cmdwait.NewCmdWait(cmdutil.NewFactory(flags), streams)
	cmd.SetArgs([]string{"ecsservice/" + name, "--for=condition=Ready", fmt.Sprintf("--timeout=%s", wait)})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err = cmd.Execute()
	return out.String() + errOut.String(), err
}

type fatal struct {
	msg  string
	code int
}

func kstatusOf(g Gomega, name string) status.Status {
	svc := &ecsv1alpha1.Service{}
	g.Expect(admin.Get(context.Background(), key(name), svc)).To(Succeed())
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(svc)
	g.Expect(err).NotTo(HaveOccurred())
	res, err := status.Compute(&unstructured.Unstructured{Object: m})
	g.Expect(err).NotTo(HaveOccurred())
	return res.Status
}

// expectStable waits for ECS's steady state on revision, and checks that
// `kubectl wait --for=condition=Ready` and kstatus agree.
func expectStable(t *testing.T, name string, desired int32, revision string) *ecsv1alpha1.Service {
	t.Helper()
	out, err := kubectlWait(name, timeout)
	Expect(err).NotTo(HaveOccurred(), "kubectl wait: %s", out)
	Expect(out).To(ContainSubstring("condition met"))
	svc := &ecsv1alpha1.Service{}
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(context.Background(), key(name), svc)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
		// ECS's steady state: one deployment, running == desired.
		active := 0
		for _, d := range svc.Status.Deployments {
			if d.Status != ecsv1alpha1.DeploymentInactive {
				active++
			}
		}
		g.Expect(active).To(Equal(1), "deployments: %+v", svc.Status.Deployments)
		g.Expect(svc.Status.RunningCount).To(Equal(ptr.To(desired)))
		g.Expect(svc.Status.TaskDefinition).To(HaveSuffix(":" + revision))
		g.Expect(kstatusOf(g, name)).To(Equal(status.CurrentStatus))
		pods := servicePods(g, name)
		g.Expect(pods).To(HaveLen(int(desired)))
		for _, p := range pods {
			g.Expect(p.Labels[ecsv1alpha1.LabelRevision]).To(Equal(revision))
			g.Expect(p.Annotations[ecsv1alpha1.AnnotationStartedBy]).To(Equal(svc.Status.Deployments[0].ID))
		}
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	return svc
}

func TestRolloutBounds(t *testing.T) {
	RegisterTestingT(t)
	Expect(admin.Create(context.Background(), rollTaskDefinition("roll", "public.ecr.aws/example/app:1", nil))).To(Succeed())
	svc := rollService("roll", "roll", 10, 150, 50, nil)
	Expect(admin.Create(context.Background(), svc)).To(Succeed())
	expectStable(t, "roll", 10, "1")

	// maximumPercent 150, minimumHealthyPercent 50: at most 15 tasks, at
	// least 5 healthy.
	pw := watchPods(t, "roll")
	updateTaskDefinition(t, "roll", "public.ecr.aws/example/app:2", nil, 2)
	expectStable(t, "roll", 10, "2")
	maxTasks, minReady, revs := pw.stop()
	t.Logf("150/50: at most %d tasks, at least %d healthy", maxTasks, minReady)
	Expect(revs).To(HaveKey("2"))
	Expect(maxTasks).To(BeNumerically(">", 10), "the rollout surged")
	Expect(maxTasks).To(BeNumerically("<=", 15))
	Expect(minReady).To(BeNumerically(">=", 5))

	// ECS's defaults, 200 and 100: at most 20 tasks, never fewer than 10
	// healthy.
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(context.Background(), key("roll"), svc)).To(Succeed())
		svc.Spec.DeploymentConfiguration.MaximumPercent = ptr.To[int32](200)
		svc.Spec.DeploymentConfiguration.MinimumHealthyPercent = ptr.To[int32](100)
		g.Expect(admin.Update(context.Background(), svc)).To(Succeed())
	}).WithTimeout(timeout).Should(Succeed())
	expectStable(t, "roll", 10, "2")
	pw = watchPods(t, "roll")
	updateTaskDefinition(t, "roll", "public.ecr.aws/example/app:3", nil, 3)
	expectStable(t, "roll", 10, "3")
	maxTasks, minReady, revs = pw.stop()
	t.Logf("200/100: at most %d tasks, at least %d healthy", maxTasks, minReady)
	Expect(revs).To(HaveKey("3"))
	Expect(maxTasks).To(BeNumerically("<=", 20))
	Expect(minReady).To(BeNumerically(">=", 10))
}

// crashTags make every container of a task exit as soon as it starts
// (Berth's kwok stage berth-container-exit), through the task definition's
// tags propagated to the tasks.
var crashTags = map[string]string{"stage.berth.dev/container-exit": "true"}

func eventMessages(svc *ecsv1alpha1.Service) string {
	var msgs []string
	for _, e := range svc.Status.Events {
		msgs = append(msgs, e.Message)
	}
	return strings.Join(msgs, "\n")
}

func TestCircuitBreakerRollsBack(t *testing.T) {
	RegisterTestingT(t)
	Expect(admin.Create(context.Background(), rollTaskDefinition("cb", "public.ecr.aws/example/app:1", nil))).To(Succeed())
	Expect(admin.Create(context.Background(), rollService("cb", "cb", 4, 200, 100,
		&ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true}))).To(Succeed())
	good := expectStable(t, "cb", 4, "1")
	goodID := good.Status.Deployments[0].ID

	updateTaskDefinition(t, "cb", "public.ecr.aws/example/app:broken", crashTags, 2)
	svc := &ecsv1alpha1.Service{}
	var failedID string
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(context.Background(), key("cb"), svc)).To(Succeed())
		var failed *ecsv1alpha1.ServiceDeployment
		for i, d := range svc.Status.Deployments {
			if strings.HasSuffix(d.TaskDefinition, ":2") {
				failed = &svc.Status.Deployments[i]
			}
		}
		g.Expect(failed).NotTo(BeNil(), "deployments: %+v", svc.Status.Deployments)
		g.Expect(failed.RolloutState).To(Equal(ecsv1alpha1.RolloutFailed))
		// The ECS threshold for 4 tasks: 3 (half, at least 3).
		g.Expect(failed.FailedTasks).To(BeNumerically(">=", 3))
		g.Expect(failed.RolloutStateReason).To(Equal("ECS deployment circuit breaker: tasks failed to start."))
		failedID = failed.ID
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())

	// Rolled back to the deployment that last completed, all tasks running.
	svc = expectStable(t, "cb", 4, "1")
	Expect(svc.Status.Deployments[0].ID).To(Equal(goodID))
	// Steady (Ready) comes first; COMPLETED once its tasks have been
	// healthy long enough.
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(context.Background(), key("cb"), svc)).To(Succeed())
		g.Expect(svc.Status.Deployments[0].ID).To(Equal(goodID))
		g.Expect(svc.Status.Deployments[0].RolloutState).To(Equal(ecsv1alpha1.RolloutCompleted))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	Expect(svc.Spec.TaskDefinition).To(Equal("cb"), "the manifest is not rewritten")
	c := meta.FindStatusCondition(svc.Status.Conditions, ecsv1alpha1.ConditionDeploymentAvailable)
	Expect(c).NotTo(BeNil())
	Expect(c.Reason).To(Equal(ecsv1alpha1.ReasonRolledBack))
	events := eventMessages(svc)
	t.Logf("events:\n%s", events)
	for _, m := range []string{
		"service cb has stopped 1 running tasks: (task ",
		fmt.Sprintf("service cb (deployment %s) deployment failed: tasks failed to start.", failedID),
		fmt.Sprintf("service cb (deployment %s) rolling back to deployment %s.", failedID, goodID),
		fmt.Sprintf("service cb (deployment %s) deployment completed.", goodID),
		"service cb has reached a steady state.",
	} {
		Expect(events).To(ContainSubstring(m))
	}
	// No task of the failed revision is started again.
	Consistently(func(g Gomega) {
		for _, p := range servicePods(g, "cb") {
			g.Expect(p.Labels[ecsv1alpha1.LabelRevision]).To(Equal("1"))
		}
	}).WithTimeout(5 * time.Second).WithPolling(time.Second).Should(Succeed())
}

func TestCircuitBreakerWithoutRollback(t *testing.T) {
	RegisterTestingT(t)
	Expect(admin.Create(context.Background(), rollTaskDefinition("cbstop", "public.ecr.aws/example/app:1", nil))).To(Succeed())
	Expect(admin.Create(context.Background(), rollService("cbstop", "cbstop", 4, 200, 100,
		&ecsv1alpha1.DeploymentCircuitBreaker{Enable: true}))).To(Succeed())
	expectStable(t, "cbstop", 4, "1")

	updateTaskDefinition(t, "cbstop", "public.ecr.aws/example/app:broken", crashTags, 2)
	svc := &ecsv1alpha1.Service{}
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(context.Background(), key("cbstop"), svc)).To(Succeed())
		g.Expect(svc.Status.Deployments).To(HaveLen(2))
		prim, old := svc.Status.Deployments[0], svc.Status.Deployments[1]
		g.Expect(prim.Status).To(Equal(ecsv1alpha1.DeploymentPrimary))
		g.Expect(prim.RolloutState).To(Equal(ecsv1alpha1.RolloutFailed))
		g.Expect(prim.TaskDefinition).To(HaveSuffix(":2"))
		g.Expect(old.Status).To(Equal(ecsv1alpha1.DeploymentActive))
		g.Expect(old.RunningCount).To(Equal(int32(4)))
		// kstatus: Failed; not Ready (two deployments: not ECS's steady state).
		g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionStalled)).To(BeTrue())
		g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeFalse())
		g.Expect(kstatusOf(g, "cbstop")).To(Equal(status.FailedStatus))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	Expect(eventMessages(svc)).To(ContainSubstring("deployment failed: tasks failed to start."))

	// The failed deployment launches no more tasks; the old ones serve
	// (once the failed deployment's last tasks are being stopped).
	serving := func(g Gomega) {
		pods := servicePods(g, "cbstop")
		running := 0
		for _, p := range pods {
			if p.DeletionTimestamp.IsZero() {
				g.Expect(p.Labels[ecsv1alpha1.LabelRevision]).To(Equal("1"))
				running++
			}
		}
		g.Expect(running).To(Equal(4))
	}
	Eventually(serving).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	Consistently(serving).WithTimeout(5 * time.Second).WithPolling(time.Second).Should(Succeed())
	out, err := kubectlWait("cbstop", 3*time.Second)
	Expect(err).To(HaveOccurred(), "kubectl wait must not report a failed deployment Ready: %s", out)
}

// createHTTPTaskDefinition registers family: rollTaskDefinition's task
// with container port 8080 named http.
func createHTTPTaskDefinition(family string) {
	td := rollTaskDefinition(family, "public.ecr.aws/example/app:1", nil)
	td.Spec.ContainerDefinitions[0].PortMappings = []ecsv1alpha1.PortMapping{{ContainerPort: ptr.To[int32](8080), Name: "http"}}
	Expect(admin.Create(context.Background(), td)).To(Succeed())
}

// readyEndpoints lists the pods a Kubernetes Service routes to: the
// endpoints of its EndpointSlices that are ready.
func readyEndpoints(g Gomega, service string) []string {
	var slices discoveryv1.EndpointSliceList
	g.Expect(admin.List(context.Background(), &slices, client.InNamespace(ns), client.MatchingLabels{discoveryv1.LabelServiceName: service})).To(Succeed())
	var pods []string
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			if ptr.Deref(e.Conditions.Ready, false) && e.TargetRef != nil {
				pods = append(pods, e.TargetRef.Name)
			}
		}
	}
	return pods
}

func readyPods(g Gomega, svc string) []string {
	var names []string
	for _, p := range servicePods(g, svc) {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp.IsZero() {
				names = append(names, p.Name)
			}
		}
	}
	return names
}

func TestLoadBalancersRouteToReadyTasks(t *testing.T) {
	RegisterTestingT(t)
	createHTTPTaskDefinition("lbapp")
	svc := rollService("lb", "lbapp", 3, 200, 100, nil)
	svc.Annotations = map[string]string{"ecs.berth.dev/deregistration-delay": "0"}
	// Unhealthy tasks stay a minute before they are replaced: long enough to
	// see them leave the endpoints.
	svc.Spec.HealthCheckGracePeriodSeconds = ptr.To[int32](60)
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{
		TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/lb-web/6d0ecf831eec9f09",
		ContainerName:  "app", ContainerPort: ptr.To[int32](8080),
	}}
	svc.Spec.ServiceConnectConfiguration = &ecsv1alpha1.ServiceConnectConfiguration{Enabled: true, Services: []ecsv1alpha1.ServiceConnectService{{
		PortName: "http", ClientAliases: []ecsv1alpha1.ServiceConnectClientAlias{{Port: 80, DnsName: "backend"}},
	}}}
	Expect(admin.Create(context.Background(), svc)).To(Succeed())
	expectStable(t, "lb", 3, "1")

	// One Kubernetes Service per target group and per client alias; both
	// route to exactly the service's ready tasks.
	for name, port := range map[string]int32{"lb-web": 8080, "backend": 80} {
		ks := &corev1.Service{}
		Expect(admin.Get(context.Background(), key(name), ks)).To(Succeed())
		Expect(ks.Spec.ClusterIP).NotTo(BeEmpty())
		Expect(ks.Spec.Ports).To(HaveLen(1))
		Expect(ks.Spec.Ports[0].Port).To(Equal(port))
		Expect(ks.Spec.Ports[0].TargetPort.IntValue()).To(Equal(8080))
		Eventually(func(g Gomega) {
			g.Expect(readyEndpoints(g, name)).To(ConsistOf(readyPods(g, "lb")))
			g.Expect(readyEndpoints(g, name)).To(HaveLen(3))
		}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	}

	// A task that fails its health check leaves the endpoints.
	pods := runningServicePods(t, "lb", 3)
	markPod(t, pods[0].Name, "container-unhealthy", "app", nil)
	Eventually(func(g Gomega) {
		for _, name := range []string{"lb-web", "backend"} {
			eps := readyEndpoints(g, name)
			g.Expect(eps).NotTo(ContainElement(pods[0].Name))
			g.Expect(eps).To(ConsistOf(readyPods(g, "lb")))
		}
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
}

// TestDaemonServiceFollowsNodes: a DAEMON service runs exactly one task on
// each node of its pool (EC2 capacity), and follows nodes that join or
// leave.
func TestDaemonServiceFollowsNodes(t *testing.T) {
	RegisterTestingT(t)
	Expect(admin.Create(context.Background(), rollTaskDefinition("agent", "public.ecr.aws/example/agent:1", nil))).To(Succeed())
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = "agent", ns
	svc.Spec.TaskDefinition = "agent"
	svc.Spec.SchedulingStrategy = ecsv1alpha1.SchedulingStrategyDaemon
	svc.Spec.LaunchType = ecsv1alpha1.LaunchTypeEc2
	Expect(admin.Create(context.Background(), svc)).To(Succeed())

	poolNodes := func(g Gomega) []string {
		var nodes corev1.NodeList
		g.Expect(admin.List(context.Background(), &nodes, client.MatchingLabels{ecsv1alpha1.LabelCapacityProvider: "ec2"})).To(Succeed())
		var names []string
		for _, n := range nodes.Items {
			if n.DeletionTimestamp.IsZero() {
				names = append(names, n.Name)
			}
		}
		return names
	}
	onePerNode := func(extra string, present bool) {
		Eventually(func(g Gomega) {
			nodes := poolNodes(g)
			if present {
				g.Expect(nodes).To(ContainElement(extra))
			} else {
				g.Expect(nodes).NotTo(ContainElement(extra))
			}
			var on []string
			for _, p := range servicePods(g, "agent") {
				if p.DeletionTimestamp.IsZero() {
					g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning), "pod %s", p.Name)
					on = append(on, p.Spec.NodeName)
				}
			}
			g.Expect(on).To(ConsistOf(nodes), "one task on each node of the pool")
			g.Expect(admin.Get(context.Background(), key("agent"), svc)).To(Succeed())
			g.Expect(svc.Status.DesiredCount).To(Equal(ptr.To(int32(len(nodes)))))
			g.Expect(svc.Status.RunningCount).To(Equal(ptr.To(int32(len(nodes)))))
			g.Expect(meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady)).To(BeTrue())
		}).WithTimeout(2 * timeout).WithPolling(time.Second).Should(Succeed())
	}
	onePerNode("ec2-joins-0", false)
	out, err := kubectlWait("agent", timeout)
	Expect(err).NotTo(HaveOccurred(), out)

	// A node joins the pool: the service starts a task on it.
	pool := localrun.Pool("ec2", 1, "8", "32Gi", "110")
	pool.Name = "ec2-joins"
	Expect(cp.CreateNodes(context.Background(), pool)).To(Succeed())
	onePerNode("ec2-joins-0", true)

	// It leaves: its task goes, the others stay.
	Expect(admin.Delete(context.Background(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "ec2-joins-0"}})).To(Succeed())
	onePerNode("ec2-joins-0", false)
}

// TestDeleteServiceDrains: deleting a Service is ECS's DeleteService: the
// service is DRAINING while its tasks stop, and goes only once they have;
// nothing it made is left behind.
func TestDeleteServiceDrains(t *testing.T) {
	RegisterTestingT(t)
	createHTTPTaskDefinition("bye")
	svc := rollService("bye", "bye", 3, 200, 100, nil)
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bye-tg/1", ContainerName: "app", ContainerPort: ptr.To[int32](8080)}}
	Expect(admin.Create(context.Background(), svc)).To(Succeed())
	expectStable(t, "bye", 3, "1")
	Expect(admin.Get(context.Background(), key("bye"), svc)).To(Succeed())
	Expect(svc.Finalizers).To(ContainElement("ecs.berth.dev/drain"))

	// Watch the Service's status and its pods as it goes.
	wc, err := client.NewWithWatch(cp.AdminConfig(), client.Options{Scheme: admin.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := wc.Watch(ctx, &ecsv1alpha1.ServiceList{}, client.InNamespace(ns), client.MatchingFields{"metadata.name": "bye"},
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: svc.ResourceVersion}})
	Expect(err).NotTo(HaveOccurred())
	var statuses []string
	podsWhenGone := -1
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			s, ok := ev.Object.(*ecsv1alpha1.Service)
			if !ok {
				continue
			}
			statuses = append(statuses, string(s.Status.Status))
			if ev.Type == "DELETED" {
				var pods corev1.PodList
				if admin.List(context.Background(), &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: "bye"}) == nil {
					podsWhenGone = len(pods.Items)
				}
				return
			}
		}
	}()
	Expect(admin.Delete(context.Background(), svc)).To(Succeed())
	Eventually(func(g Gomega) {
		err := admin.Get(context.Background(), key("bye"), svc)
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "service still there: finalizers %v, status %s %+v; pods %d", svc.Finalizers, svc.Status.Status, svc.Status.Conditions, len(servicePods(g, "bye")))
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	Eventually(done).WithTimeout(timeout).Should(BeClosed())
	w.Stop()
	t.Logf("statuses while deleted: %v", statuses)
	Expect(statuses).To(ContainElement("DRAINING"))
	Expect(podsWhenGone).To(Equal(0), "the Service went before its tasks stopped")
	// What it made goes with it: the Deployment and the target group's Service.
	Eventually(func(g Gomega) {
		g.Expect(apierrors.IsNotFound(admin.Get(context.Background(), key("bye"), &appsv1.Deployment{}))).To(BeTrue())
		g.Expect(apierrors.IsNotFound(admin.Get(context.Background(), key("bye-tg"), &corev1.Service{}))).To(BeTrue())
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
}
