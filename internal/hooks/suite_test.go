package hooks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/strategy"
	"github.com/berth-dev/berth/internal/testenv"
)

// The runner against a real API server started by envtest, its Client
// reading through an informer cache as in the operator and its Reader
// straight from the API server (the manager's APIReader). envtest runs no
// Job controller and no kubelet: the tests write the Jobs' status and
// create their pods, with the containers' termination messages, as those
// would.

var env *testenv.Envtest

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	root, _ := filepath.Abs("../..")
	var err error
	env, err = testenv.Start(root)
	defer env.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// harness is one test's namespace, runner and Service.
type harness struct {
	t      *testing.T
	g      Gomega
	ns     string
	writes *testenv.Writes
	r      Runner
	svc    *ecsv1alpha1.Service
}

const (
	deployment = "ecs-svc/9313423515462893900"
	source     = "ecs-svc/1920498462936580504"
	smokeArn   = "arn:aws:lambda:us-west-2:123456789012:function:Smoke_Test"
)

// newHarness creates Service web whose hooks are a lambda hook on
// Smoke_Test (CronJob smoke-test) at POST_TEST_TRAFFIC_SHIFT, with
// hookDetails, and one whose ARN is not a Lambda function's.
func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, g: NewWithT(t), ns: env.Namespace(t), writes: &testenv.Writes{}}
	h.r = Runner{Client: h.writes.Client(env.Cached), Reader: env.Direct, Account: names.Account{Region: "us-west-2", AccountID: "123456789012"}}
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web"}}
	svc.Spec.TaskDefinition, svc.Spec.DesiredCount, svc.Spec.Cluster = "web", ptr.To[int32](2), "prod"
	svc.Spec.DeploymentConfiguration = &ecsv1alpha1.DeploymentConfiguration{
		Strategy: ecsv1alpha1.DeploymentStrategyBlueGreen,
		LifecycleHooks: []ecsv1alpha1.DeploymentLifecycleHook{{
			TargetType: ecsv1alpha1.DeploymentLifecycleHookTargetTypeAwsLambda, HookTargetArn: smokeArn,
			LifecycleStages: []ecsv1alpha1.DeploymentLifecycleHookStage{ecsv1alpha1.DeploymentLifecycleHookStagePostTestTrafficShift},
			HookDetails:     &runtime.RawExtension{Raw: []byte(`{"S3_BUCKET_NAME":"approvals"}`)},
		}, {
			TargetType: ecsv1alpha1.DeploymentLifecycleHookTargetTypeAwsLambda, HookTargetArn: "smoke-test",
			LifecycleStages: []ecsv1alpha1.DeploymentLifecycleHookStage{ecsv1alpha1.DeploymentLifecycleHookStagePostTestTrafficShift},
		}},
	}
	h.g.Expect(env.Direct.Create(context.Background(), svc)).To(Succeed())
	h.svc = svc
	return h
}

func (h *harness) deployment(id string) Deployment {
	return Deployment{Service: h.svc, ID: id, Source: source, Hooks: h.svc.Spec.DeploymentConfiguration.LifecycleHooks}
}

// cronJob creates the platform team's suspended CronJob smoke-test.
func (h *harness) cronJob() {
	h.t.Helper()
	cj := cronJob(nil)
	cj.Namespace = h.ns
	h.g.Expect(env.Direct.Create(context.Background(), cj)).To(Succeed())
}

// settle waits until the cache holds the namespace's Jobs and CronJobs as
// the API server does.
func (h *harness) settle() {
	env.Settle(h.g, h.ns, func() client.ObjectList { return &batchv1.JobList{} }, func() client.ObjectList { return &batchv1.CronJobList{} })
}

func (h *harness) invoke(d Deployment, inv strategy.Invocation, tr Traffic) Note {
	h.t.Helper()
	h.settle()
	n, err := h.r.Invoke(context.Background(), d, inv, tr)
	h.g.Expect(err).NotTo(HaveOccurred())
	return n
}

func (h *harness) reports(d Deployment, awaiting ...strategy.Invocation) Observed {
	h.t.Helper()
	h.settle()
	obs, err := h.r.Reports(context.Background(), d, awaiting)
	h.g.Expect(err).NotTo(HaveOccurred())
	return obs
}

func (h *harness) job(name string) *batchv1.Job {
	h.t.Helper()
	job := &batchv1.Job{}
	h.g.Expect(env.Direct.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: name}, job)).To(Succeed())
	return job
}

func (h *harness) jobs() []batchv1.Job {
	h.t.Helper()
	var list batchv1.JobList
	h.g.Expect(env.Direct.List(context.Background(), &list, client.InNamespace(h.ns))).To(Succeed())
	return list.Items
}

// finish does what the Job controller and the kubelet would: a pod of the
// Job whose container ended with message (phase Succeeded, or Failed when
// the Job fails), then the Job's terminal status.
func (h *harness) finish(name string, succeeded bool, message string) {
	h.t.Helper()
	ctx := context.Background()
	job := h.job(name)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Namespace: h.ns, Name: name + "-x7k2p",
		Labels:          map[string]string{LabelJobName: name, "batch.kubernetes.io/controller-uid": string(job.UID)},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: name, UID: job.UID, Controller: ptr.To(true)}},
	}, Spec: *job.Spec.Template.Spec.DeepCopy()}
	h.g.Expect(env.Direct.Create(ctx, pod)).To(Succeed())
	phase, code := corev1.PodSucceeded, int32(0)
	if !succeeded {
		phase, code = corev1.PodFailed, 1
	}
	pod.Status.Phase = phase
	for _, c := range pod.Spec.Containers {
		msg := ""
		if c.Name == "check" {
			msg = message
		}
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Message: msg}}})
	}
	h.g.Expect(env.Direct.Status().Update(ctx, pod)).To(Succeed())

	now := metav1.NewTime(t0)
	job.Status.StartTime = &now
	if succeeded {
		job.Status.Succeeded = 1
		job.Status.CompletionTime = &now
		job.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, Reason: "CompletionsReached", Message: "Reached expected number of succeeded pods", LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: "CompletionsReached", Message: "Reached expected number of succeeded pods", LastTransitionTime: now},
		}
	} else {
		job.Status.Failed = 1
		job.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastTransitionTime: now},
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastTransitionTime: now},
		}
	}
	h.g.Expect(env.Direct.Status().Update(ctx, job)).To(Succeed())
}

func key(hook int32) strategy.HookKey {
	return strategy.HookKey{Stage: strategy.StagePostTestTrafficShift, Hook: hook}
}
