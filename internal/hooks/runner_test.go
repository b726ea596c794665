package hooks

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/berth-dev/berth/internal/strategy"
)

var testTraffic = Traffic{Production: strategy.AllBlue, Test: strategy.AllGreen}

func eventOf(g Gomega, job *batchv1.Job) Event {
	ev, err := ParseEvent(job.Annotations[AnnotationEvent])
	g.Expect(err).NotTo(HaveOccurred())
	for _, c := range job.Spec.Template.Spec.Containers {
		g.Expect(c.Env).To(ContainElement(HaveField("Name", EnvEvent)))
		for _, e := range c.Env {
			if e.Name == EnvEvent {
				g.Expect(e.Value).To(Equal(job.Annotations[AnnotationEvent]), "container %s", c.Name)
			}
		}
	}
	return ev
}

func TestInvoke_OneJobPerInvocation(t *testing.T) {
	h := newHarness(t)
	h.cronJob()
	d, inv := h.deployment(deployment), strategy.Invocation{Key: key(0), Attempt: 1}

	n := h.invoke(d, inv, testTraffic)
	h.g.Expect(n.Reason).To(Equal(ReasonJobCreated), n.Message)
	h.g.Expect(n.Job).To(Equal(JobName("web", deployment, inv)))
	h.g.Expect(h.writes.Take()).To(Equal([]string{"create *v1.Job " + n.Job}))

	job := h.job(n.Job)
	h.g.Expect(job.OwnerReferences).To(ConsistOf(metav1.OwnerReference{
		APIVersion: "ecs.berth.dev/v1alpha1", Kind: "Service", Name: "web", UID: h.svc.UID}))
	h.g.Expect(job.Labels).To(HaveKeyWithValue(LabelDeployment, "9313423515462893900"))
	h.g.Expect(job.Spec.Template.Spec.Containers[0].Image).To(Equal("registry.example.com/smoke-test:1"))
	h.g.Expect(job.Spec.TTLSecondsAfterFinished).To(Equal(ptr.To(DefaultTTL)))
	ev := eventOf(h.g, job)
	h.g.Expect(ev.LifecycleStage).To(Equal("POST_TEST_TRAFFIC_SHIFT"))
	h.g.Expect(ev.ResourceArn).To(Equal("arn:aws:ecs:us-west-2:123456789012:service-deployment/prod/web/9313423515462893900"))
	h.g.Expect(ev.ExecutionDetails.ServiceArn).To(Equal("arn:aws:ecs:us-west-2:123456789012:service/prod/web"))
	h.g.Expect(ev.ExecutionDetails.TargetServiceRevisionArn).To(Equal("arn:aws:ecs:us-west-2:123456789012:service-revision/prod/web/9313423515462893900"))
	h.g.Expect(ev.HookDetails).To(Equal(map[string]any{"S3_BUCKET_NAME": "approvals"}))

	// A pass repeated (its status write lost) invokes the same again:
	// nothing is written.
	n = h.invoke(d, inv, testTraffic)
	h.g.Expect(n.Reason).To(Equal(ReasonJobExists))
	h.g.Expect(h.writes.Take()).To(BeEmpty())
	h.g.Expect(h.jobs()).To(HaveLen(1))
}

// TestInvoke_AlreadyExistsIsSuccess: on a cache that has not seen the Job
// yet, the create meets AlreadyExists, which is success.
func TestInvoke_AlreadyExistsIsSuccess(t *testing.T) {
	h := newHarness(t)
	h.cronJob()
	stale := interceptor.NewClient(env.Cached, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, k client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*batchv1.Job); ok {
				return apierrors.NewNotFound(batchv1.Resource("jobs"), k.Name)
			}
			return c.Get(ctx, k, obj, opts...)
		},
	})
	h.r.Client = stale
	d, inv := h.deployment(deployment), strategy.Invocation{Key: key(0), Attempt: 1}
	h.g.Expect(h.invoke(d, inv, testTraffic).Reason).To(Equal(ReasonJobCreated))
	h.g.Expect(h.invoke(d, inv, testTraffic).Reason).To(Equal(ReasonJobExists))
	h.g.Expect(h.jobs()).To(HaveLen(1))
}

// TestMissingCronJob_Waits: waiting is not failing. Without its CronJob a
// hook has no Job and no outcome (the state machine waits until its
// timeout); once the CronJob exists, Reports asks for the invocation
// again, and Invoke makes its Job.
func TestMissingCronJob_Waits(t *testing.T) {
	h := newHarness(t)
	d, inv := h.deployment(deployment), strategy.Invocation{Key: key(0), Attempt: 1}

	n := h.invoke(d, inv, testTraffic)
	h.g.Expect(n.Reason).To(Equal(ReasonTargetNotFound))
	h.g.Expect(n.Waiting()).To(BeTrue())
	h.g.Expect(n.Message).To(ContainSubstring("CronJob " + h.ns + "/smoke-test"))
	h.g.Expect(h.jobs()).To(BeEmpty())

	obs := h.reports(d, inv)
	h.g.Expect(obs.Reports).To(BeEmpty())
	h.g.Expect(obs.Notes).To(HaveLen(1))
	h.g.Expect(obs.Notes[0].Reason).To(Equal(ReasonTargetNotFound))
	h.g.Expect(obs.Reinvoke()).To(BeEmpty())

	h.cronJob()
	obs = h.reports(d, inv)
	h.g.Expect(obs.Reports).To(BeEmpty())
	h.g.Expect(obs.Notes[0].Reason).To(Equal(ReasonJobNotCreated))
	h.g.Expect(obs.Reinvoke()).To(Equal([]strategy.Invocation{inv}))

	h.g.Expect(h.invoke(d, inv, testTraffic).Reason).To(Equal(ReasonJobCreated))
	obs = h.reports(d, inv)
	h.g.Expect(obs.Reports).To(BeEmpty())
	h.g.Expect(obs.Notes[0].Reason).To(Equal(ReasonJobRunning))
	h.g.Expect(obs.Notes[0].Waiting()).To(BeTrue())
}

func TestInvalidTargetAndPause(t *testing.T) {
	h := newHarness(t)
	h.cronJob()
	d := h.deployment(deployment)
	inv := strategy.Invocation{Key: key(1), Attempt: 1}
	n := h.invoke(d, inv, testTraffic)
	h.g.Expect(n.Reason).To(Equal(ReasonTargetInvalid))
	h.g.Expect(n.Waiting()).To(BeTrue())
	obs := h.reports(d, inv)
	h.g.Expect(obs.Reports).To(BeEmpty())
	h.g.Expect(obs.Notes[0].Reason).To(Equal(ReasonTargetInvalid))

	n = h.invoke(d, strategy.Invocation{Key: key(0), Attempt: 1, Pause: true}, testTraffic)
	h.g.Expect(n.Reason).To(Equal(ReasonPause))
	h.g.Expect(h.jobs()).To(BeEmpty())

	_, err := h.r.Invoke(context.Background(), d, strategy.Invocation{Key: key(7), Attempt: 1}, testTraffic)
	h.g.Expect(err).To(MatchError(ContainSubstring("2 lifecycle hooks")))
}

// TestReports_Outcomes: a hook Job's end is the hook's answer.
func TestReports_Outcomes(t *testing.T) {
	cases := []struct {
		name      string
		succeeded bool
		message   string
		want      strategy.HookStatus
		reason    string
		delay     time.Duration
	}{
		{name: "complete without an answer", succeeded: true, want: strategy.HookSucceeded, reason: ReasonAnswered},
		{name: "complete, SUCCEEDED", succeeded: true, message: `{"hookStatus":"SUCCEEDED"}`, want: strategy.HookSucceeded, reason: ReasonAnswered},
		{name: "complete, FAILED", succeeded: true, message: `{"hookStatus":"FAILED"}`, want: strategy.HookFailed, reason: ReasonAnswered},
		{name: "complete, IN_PROGRESS", succeeded: true, message: `{"hookStatus":"IN_PROGRESS","callBackDelay":5}`,
			want: strategy.HookInProgress, reason: ReasonAnswered, delay: 5 * time.Second},
		{name: "complete, an answer that is not one", succeeded: true, message: "smoke test passed", want: strategy.HookFailed, reason: ReasonAnswerInvalid},
		{name: "failed", message: `{"hookStatus":"SUCCEEDED"}`, want: strategy.HookFailed, reason: ReasonJobFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.cronJob()
			d, inv := h.deployment(deployment), strategy.Invocation{Key: key(0), Attempt: 1}
			n := h.invoke(d, inv, testTraffic)
			h.finish(n.Job, c.succeeded, c.message)
			obs := h.reports(d, inv)
			h.g.Expect(obs.Reports).To(Equal([]strategy.HookReport{{Key: inv.Key, Attempt: 1, Status: c.want, CallbackDelay: c.delay}}))
			h.g.Expect(obs.Notes).To(HaveLen(1))
			h.g.Expect(obs.Notes[0].Reason).To(Equal(c.reason), obs.Notes[0].Message)
			h.g.Expect(obs.Notes[0].Status).To(Equal(c.want))
		})
	}
}

// TestReinvocation: IN_PROGRESS, then a second invocation (a second Job)
// whose event carries the hookDetails merged with the answer's and the
// same executionId; its SUCCEEDED is reported for attempt 2.
func TestReinvocation(t *testing.T) {
	h := newHarness(t)
	h.cronJob()
	d := h.deployment(deployment)
	first := strategy.Invocation{Key: key(0), Attempt: 1}
	n1 := h.invoke(d, first, testTraffic)
	h.finish(n1.Job, true, `{"hookStatus":"IN_PROGRESS","callBackDelay":1,"hookDetails":{"approvalChecked":true,"S3_BUCKET_NAME":"other"}}`)
	h.g.Expect(h.reports(d, first).Reports).To(Equal([]strategy.HookReport{{Key: first.Key, Attempt: 1, Status: strategy.HookInProgress, CallbackDelay: time.Second}}))

	second := strategy.Invocation{Key: key(0), Attempt: 2}
	obs := h.reports(d, second)
	h.g.Expect(obs.Reinvoke()).To(Equal([]strategy.Invocation{second}))
	n2 := h.invoke(d, second, testTraffic)
	h.g.Expect(n2.Reason).To(Equal(ReasonJobCreated))
	h.g.Expect(n2.Job).NotTo(Equal(n1.Job))
	ev1, ev2 := eventOf(h.g, h.job(n1.Job)), eventOf(h.g, h.job(n2.Job))
	h.g.Expect(ev2.HookDetails).To(Equal(map[string]any{"S3_BUCKET_NAME": "other", "approvalChecked": true}))
	h.g.Expect(ev2.ExecutionID).To(Equal(ev1.ExecutionID))
	h.g.Expect(h.job(n2.Job).Labels).To(HaveKeyWithValue(LabelAttempt, "2"))

	h.g.Expect(h.reports(d, second).Reports).To(BeEmpty())
	h.finish(n2.Job, true, `{"hookStatus":"SUCCEEDED"}`)
	h.g.Expect(h.reports(d, second).Reports).To(Equal([]strategy.HookReport{{Key: second.Key, Attempt: 2, Status: strategy.HookSucceeded}}))
}

// TestForeignJob: a Job by the invocation's name that is not the
// Service's is neither read nor adopted.
func TestForeignJob(t *testing.T) {
	h := newHarness(t)
	h.cronJob()
	d, inv := h.deployment(deployment), strategy.Invocation{Key: key(0), Attempt: 1}
	cj := cronJob(nil)
	foreign := NewJob(JobInput{Service: h.svc, Deployment: deployment, Invocation: inv, Target: Target{Arn: smokeArn}, CronJob: cj, Event: "{}"})
	foreign.OwnerReferences = nil
	h.g.Expect(env.Direct.Create(context.Background(), foreign)).To(Succeed())

	obs := h.reports(d, inv)
	h.g.Expect(obs.Notes[0].Reason).To(Equal(ReasonJobNotCreated))
	h.settle()
	_, err := h.r.Invoke(context.Background(), d, inv, testTraffic)
	h.g.Expect(err).To(MatchError(ContainSubstring("does not adopt")))
	h.g.Expect(h.job(foreign.Name).OwnerReferences).To(BeEmpty())
}

// TestCleanup: the Jobs of deployments that ended go, running or not,
// MaxCleanup at a time; those of the deployments in progress, and Jobs
// that are not the Service's, stay.
func TestCleanup(t *testing.T) {
	h := newHarness(t)
	h.cronJob()
	ctx := context.Background()
	const active, ended = "ecs-svc/1111111111111111111", "ecs-svc/2222222222222222222"
	keep := h.invoke(h.deployment(active), strategy.Invocation{Key: key(0), Attempt: 1}, testTraffic).Job
	done := h.invoke(h.deployment(ended), strategy.Invocation{Key: key(0), Attempt: 1}, testTraffic).Job
	h.finish(done, true, "")
	for i := range MaxCleanup {
		inv := strategy.Invocation{Key: strategy.HookKey{Stage: strategy.StageProductionTrafficShift, Step: int32(i)}, Attempt: 1}
		h.g.Expect(h.invoke(h.deployment(ended), inv, testTraffic).Reason).To(Equal(ReasonJobCreated))
	}
	other := NewJob(JobInput{Service: h.svc, Deployment: ended, Invocation: strategy.Invocation{Key: key(1), Attempt: 1},
		Target: Target{Arn: smokeArn}, CronJob: cronJob(nil), Event: "{}"})
	other.Namespace, other.OwnerReferences = h.ns, []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "x", UID: "not-the-service"}}
	h.g.Expect(env.Direct.Create(ctx, other)).To(Succeed())
	h.writes.Take()

	h.settle()
	deleted, more, err := h.r.Cleanup(ctx, h.svc, []string{active})
	h.g.Expect(err).NotTo(HaveOccurred())
	h.g.Expect(deleted).To(Equal(MaxCleanup))
	h.g.Expect(more).To(BeTrue())
	h.g.Expect(h.writes.Take()).To(HaveLen(MaxCleanup))

	h.settle()
	deleted, more, err = h.r.Cleanup(ctx, h.svc, []string{active})
	h.g.Expect(err).NotTo(HaveOccurred())
	h.g.Expect(deleted).To(Equal(1))
	h.g.Expect(more).To(BeFalse())
	h.g.Expect(h.writes.Take()).To(HaveLen(1))

	var left []string
	for _, j := range h.jobs() {
		left = append(left, j.Name)
	}
	h.g.Expect(left).To(ConsistOf(keep, other.Name))

	h.settle()
	deleted, more, err = h.r.Cleanup(ctx, h.svc, []string{active})
	h.g.Expect(err).NotTo(HaveOccurred())
	h.g.Expect(deleted).To(BeZero())
	h.g.Expect(more).To(BeFalse())
	h.g.Expect(h.writes.Take()).To(BeEmpty())
}
