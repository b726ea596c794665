package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// These tests show ECS's container semantics on real Deployments,
// ReplicaSets and pods, with kwok simulating containers: Berth's test
// stages make a container exit (berth-container-exit) or fail its health
// check (berth-container-unhealthy).

const appsTaskDefinition = `
apiVersion: ecs.berth.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: apps
spec:
  family: apps
  networkMode: awsvpc
  requiresCompatibilities: [FARGATE]
  cpu: "512"
  memory: "1024"
  containerDefinitions:
  - name: app
    image: public.ecr.aws/example/app:1
    essential: true
    memoryReservation: 256
    dependsOn:
    - {containerName: envoy, condition: HEALTHY}
    - {containerName: migrate, condition: SUCCESS}
    healthCheck:
      command: [CMD-SHELL, "curl -f http://localhost/ || exit 1"]
      interval: 5
      retries: 1
  - name: envoy
    image: public.ecr.aws/appmesh/aws-appmesh-envoy:v1
    essential: true
    memoryReservation: 128
    healthCheck:
      command: [CMD, "true"]
  - name: migrate
    image: public.ecr.aws/example/app:1
    essential: false
    command: [./migrate]
    memoryReservation: 64
  - name: helper
    image: public.ecr.aws/example/helper:1
    essential: false
    memoryReservation: 64
`

func applyYAML(t *testing.T, doc string, obj client.Object) {
	t.Helper()
	Expect(yaml.UnmarshalStrict([]byte(doc), obj)).To(Succeed())
	obj.SetNamespace(ns)
	Expect(admin.Create(context.Background(), obj)).To(Succeed())
}

func appsRevision(t *testing.T) {
	t.Helper()
	td := &ecsv1alpha1.TaskDefinition{}
	if err := admin.Get(context.Background(), key("apps"), td); apierrors.IsNotFound(err) {
		applyYAML(t, appsTaskDefinition, td)
	}
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(context.Background(), key("apps"), td)).To(Succeed())
		g.Expect(td.Status.Revision).To(Equal(int32(1)))
	}).WithTimeout(timeout).Should(Succeed())
}

// markPod puts a Berth test stage on a pod for one container.
func markPod(t *testing.T, name, stage, container string, annotations map[string]string) {
	t.Helper()
	pod := &corev1.Pod{}
	Expect(admin.Get(context.Background(), key(name), pod)).To(Succeed())
	base := pod.DeepCopy()
	pod.Labels["stage.berth.dev/"+stage] = "true"
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations["stage.berth.dev/container-name"] = container
	for k, v := range annotations {
		pod.Annotations[k] = v
	}
	Expect(admin.Patch(context.Background(), pod, client.MergeFrom(base))).To(Succeed())
}

func runningServicePod(t *testing.T, svc string) corev1.Pod {
	t.Helper()
	return runningServicePods(t, svc, 1)[0]
}

// runningServicePods waits for n running pods of svc.
func runningServicePods(t *testing.T, svc string, n int) []corev1.Pod {
	t.Helper()
	var res []corev1.Pod
	Eventually(func(g Gomega) {
		pods := servicePods(g, svc)
		g.Expect(pods).To(HaveLen(n))
		for _, p := range pods {
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
			g.Expect(p.DeletionTimestamp).To(BeNil())
		}
		res = pods
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	return res
}

func newService(t *testing.T, name string, desired int32) {
	t.Helper()
	svc := &ecsv1alpha1.Service{}
	svc.Name, svc.Namespace = name, ns
	svc.Spec.TaskDefinition = "apps"
	svc.Spec.DesiredCount = ptr.To(desired)
	svc.Spec.LaunchType = ecsv1alpha1.LaunchTypeFargate
	Expect(admin.Create(context.Background(), svc)).To(Succeed())
}

// expectReplaced waits until the pod is stopped and kept for its logs (out
// of the service, its containers stopped, the stop recorded) and another
// runs, and the Service has ECS's event for the stopped task.
func expectReplaced(t *testing.T, svc string, old corev1.Pod, stopCode string) {
	t.Helper()
	Eventually(func(g Gomega) {
		p := &corev1.Pod{}
		g.Expect(admin.Get(context.Background(), key(old.Name), p)).To(Succeed(), "the stopped task's pod is kept")
		g.Expect(p.DeletionTimestamp).To(BeNil())
		g.Expect(p.Labels).NotTo(HaveKey(ecsv1alpha1.LabelService), "annotations %v; status %+v", p.Annotations, p.Status.ContainerStatuses)
		g.Expect(p.Labels).To(HaveKeyWithValue(ecsv1alpha1.LabelStoppedService, svc))
		g.Expect(p.Annotations[ecsv1alpha1.AnnotationStopCode] + ": " + p.Annotations[ecsv1alpha1.AnnotationStoppedReason]).To(ContainSubstring(stopCode))
		g.Expect(p.Status.Phase).To(Equal(corev1.PodFailed), "its containers stop (the pod's deadline)")
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	Eventually(func(g Gomega) {
		for _, p := range servicePods(g, svc) {
			g.Expect(p.UID).NotTo(Equal(old.UID))
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
		}
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	Eventually(func(g Gomega) {
		var events eventsv1.EventList
		g.Expect(admin.List(context.Background(), &events, client.InNamespace(ns))).To(Succeed())
		found := false
		for _, e := range events.Items {
			if e.Regarding.Kind == "Service" && e.Regarding.Name == svc && e.Reason == "TaskStopped" &&
				strings.Contains(e.Note, "service "+svc+" has stopped 1 running tasks: (task "+strings.ReplaceAll(string(old.UID), "-", "")+")") &&
				strings.Contains(e.Note, stopCode) {
				found = true
			}
		}
		g.Expect(found).To(BeTrue(), "no TaskStopped event for task %s", old.UID)
	}).WithTimeout(timeout).Should(Succeed())
}

// runTask runs a standalone Task of taskDefinition on Fargate capacity and
// waits until it is RUNNING.
func runTask(t *testing.T, name, taskDefinition, startedBy string) *ecsv1alpha1.Task {
	t.Helper()
	task := &ecsv1alpha1.Task{}
	task.Name, task.Namespace = name, ns
	task.Spec.TaskDefinition = taskDefinition
	task.Spec.LaunchType = ecsv1alpha1.LaunchTypeFargate
	task.Spec.StartedBy = startedBy
	Expect(admin.Create(context.Background(), task)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(context.Background(), key(name), task)).To(Succeed())
		g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskRunning))
	}).WithTimeout(timeout).Should(Succeed())
	return task
}

// TestDependsOnOrder: dependencies run first, in order, as init containers
// and native sidecars; the task reaches RUNNING with them started.
func TestDependsOnOrder(t *testing.T) {
	RegisterTestingT(t)
	appsRevision(t)
	task := runTask(t, "ordered", "apps", "e2e")
	Expect(task.Status.Group).To(Equal("family:apps"))
	Expect(task.Status.StartedBy).To(Equal("e2e"))

	pod := &corev1.Pod{}
	Expect(admin.Get(context.Background(), key("ordered"), pod)).To(Succeed())
	var inits []string
	for _, c := range pod.Spec.InitContainers {
		inits = append(inits, c.Name)
	}
	Expect(inits).To(Equal([]string{"envoy", "migrate"}), "dependencies first, in definition order when independent")
	Expect(pod.Spec.InitContainers[0].RestartPolicy).To(Equal(ptr.To(corev1.ContainerRestartPolicyAlways)), "envoy is a native sidecar")
	Expect(pod.Spec.InitContainers[0].StartupProbe).NotTo(BeNil(), "app waits for envoy to be HEALTHY")
	Expect(pod.Spec.InitContainers[1].RestartPolicy).To(BeNil(), "migrate runs to completion first")
	var mains []string
	for _, c := range pod.Spec.Containers {
		mains = append(mains, c.Name)
	}
	Expect(mains).To(Equal([]string{"app", "helper"}))
	byName := map[string]ecsv1alpha1.ContainerStatus{}
	for _, c := range task.Status.Containers {
		byName[c.Name] = c
	}
	Expect(byName["envoy"].LastStatus).To(Equal(ecsv1alpha1.TaskRunning))
	Expect(byName["migrate"].LastStatus).To(Equal(ecsv1alpha1.TaskStopped))
	Expect(byName["migrate"].ExitCode).To(Equal(ptr.To[int32](0)))
	Expect(byName["app"].LastStatus).To(Equal(ecsv1alpha1.TaskRunning))
}

// TestServiceTaskReplacedWhenEssentialContainerExits: the exit of an
// essential container stops a service task, which is replaced by a new
// one; a non-essential container's exit leaves the task alone.
func TestServiceTaskReplacedWhenEssentialContainerExits(t *testing.T) {
	RegisterTestingT(t)
	appsRevision(t)
	newService(t, "exits", 2)
	pods := runningServicePods(t, "exits", 2)
	pod, other := pods[0], pods[1]

	markPod(t, other.Name, "container-exit", "helper", map[string]string{"stage.berth.dev/exit-code": "1"})
	Eventually(func(g Gomega) {
		p := &corev1.Pod{}
		g.Expect(admin.Get(context.Background(), key(other.Name), p)).To(Succeed())
		g.Expect(p.Status.ContainerStatuses).To(ContainElement(HaveField("State.Terminated", Not(BeNil()))))
	}).WithTimeout(timeout).Should(Succeed())
	Consistently(func(g Gomega) {
		p := &corev1.Pod{}
		g.Expect(admin.Get(context.Background(), key(other.Name), p)).To(Succeed())
		g.Expect(p.DeletionTimestamp).To(BeNil())
	}).WithTimeout(5*time.Second).Should(Succeed(), "a non-essential container's exit must not stop the task")

	markPod(t, pod.Name, "container-exit", "app", map[string]string{"stage.berth.dev/exit-code": "3"})
	expectReplaced(t, "exits", pod, "EssentialContainerExited")
}

// TestUnhealthyServiceTaskReplaced: a service task whose essential
// container fails its health check is replaced.
func TestUnhealthyServiceTaskReplaced(t *testing.T) {
	RegisterTestingT(t)
	appsRevision(t)
	newService(t, "sickly", 1)
	pod := runningServicePod(t, "sickly")
	markPod(t, pod.Name, "container-unhealthy", "app", nil)
	expectReplaced(t, "sickly", pod, "Task failed container health checks (container app)")
}

// TestStopTask: StopTask (desiredStatus STOPPED with a reason) stops the
// task with UserInitiated and the reason; its pod stops and stays, its log
// with it, as long as the task does.
func TestStopTask(t *testing.T) {
	RegisterTestingT(t)
	task := runTask(t, "to-stop", "web", "")

	patch := []byte(`{"spec":{"desiredStatus":"STOPPED","stopReason":"Scaling down for maintenance"}}`)
	Expect(admin.Patch(context.Background(), task, client.RawPatch(types.MergePatchType, patch))).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(context.Background(), key("to-stop"), task)).To(Succeed())
		g.Expect(task.Status.LastStatus).To(Equal(ecsv1alpha1.TaskStopped))
		g.Expect(task.Status.DesiredStatus).To(Equal(ecsv1alpha1.TaskStopped))
		g.Expect(task.Status.StopCode).To(Equal(ecsv1alpha1.StopCodeUserInitiated))
		g.Expect(task.Status.StoppedReason).To(Equal("Scaling down for maintenance"))
		g.Expect(task.Status.StoppingAt).NotTo(BeNil())
		g.Expect(task.Status.StoppedAt).NotTo(BeNil())
	}).WithTimeout(timeout).Should(Succeed())
	pod := &corev1.Pod{}
	Expect(admin.Get(context.Background(), key("to-stop"), pod)).To(Succeed())
	Expect(pod.DeletionTimestamp).To(BeNil())
	Expect(pod.Status.Phase).To(Equal(corev1.PodFailed))
	Expect(pod.Status.Reason).To(Equal("DeadlineExceeded"))
}
