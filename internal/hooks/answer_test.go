package hooks

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/berth-dev/berth/internal/strategy"
)

func TestParseAnswer(t *testing.T) {
	cases := []struct {
		msg     string
		want    Answer
		wantErr bool
	}{
		{msg: `{"hookStatus": "SUCCEEDED"}`, want: Answer{Status: strategy.HookSucceeded}},
		{msg: `{"hookStatus":"FAILED"}`, want: Answer{Status: strategy.HookFailed}},
		{msg: "  {\"hookStatus\": \"IN_PROGRESS\", \"callBackDelay\": 60}\n", want: Answer{Status: strategy.HookInProgress, CallbackDelay: time.Minute}},
		{msg: `{"hookStatus":"IN_PROGRESS","callBackDelay":1.5}`, want: Answer{Status: strategy.HookInProgress, CallbackDelay: 1500 * time.Millisecond}},
		{msg: `{"hookStatus":"IN_PROGRESS","callBackDelay":0}`, want: Answer{Status: strategy.HookInProgress}},
		{msg: `{"hookStatus":"IN_PROGRESS","callBackDelay":null}`, want: Answer{Status: strategy.HookInProgress}},
		{msg: `{"hookStatus":"IN_PROGRESS","callBackDelay":1e12}`, want: Answer{Status: strategy.HookInProgress, CallbackDelay: maxCallbackDelay}},
		{msg: `{"hookStatus":"IN_PROGRESS","callBackDelay":30,"hookDetails":{"approvalChecked":true}}`,
			want: Answer{Status: strategy.HookInProgress, CallbackDelay: 30 * time.Second, HookDetails: map[string]any{"approvalChecked": true}}},
		{msg: `{"hookStatus":"SUCCEEDED","extra":"ignored"}`, want: Answer{Status: strategy.HookSucceeded}},
		// Invalid answers: FAILED, as ECS rolls back.
		{msg: `SUCCEEDED`, wantErr: true},
		{msg: `{"hookStatus":"succeeded"}`, wantErr: true},
		{msg: `{"hookStatus":"DONE"}`, wantErr: true},
		{msg: `{"status":"SUCCEEDED"}`, wantErr: true},
		{msg: `{"hookStatus":1}`, wantErr: true},
		{msg: `{"hookStatus":"IN_PROGRESS","callBackDelay":-1}`, wantErr: true},
		{msg: `{"hookStatus":"IN_PROGRESS","callBackDelay":"60"}`, wantErr: true},
		{msg: `{"hookStatus":"IN_PROGRESS","hookDetails":[1]}`, wantErr: true},
		{msg: `{"hookStatus":"SUCCEEDED"} {}`, wantErr: true},
		{msg: `[]`, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.msg, func(t *testing.T) {
			got, err := ParseAnswer(c.msg)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, c.wantErr)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func testJob(conds ...batchv1.JobConditionType) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-hook-0123456789-1", UID: "job-uid"}}
	for _, c := range conds {
		j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: c, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"})
	}
	return j
}

// testPod is a pod of job (owner "job-uid" unless owner says otherwise)
// whose containers ended with the messages, in spec order.
func testPod(name string, phase corev1.PodPhase, created int, owner string, msgs ...string) corev1.Pod {
	if owner == "" {
		owner = "job-uid"
	}
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: name, CreationTimestamp: metav1.NewTime(time.Unix(int64(created), 0)),
		OwnerReferences: []metav1.OwnerReference{{Kind: "Job", Name: "web-hook-0123456789-1", UID: types.UID(owner), Controller: ptr.To(true)}},
	}}
	p.Status.Phase = phase
	for i, m := range msgs {
		c := string(rune('a' + i))
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c})
		// Statuses in another order than the spec's.
		p.Status.ContainerStatuses = append([]corev1.ContainerStatus{{Name: c, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Message: m}}}}, p.Status.ContainerStatuses...)
	}
	return p
}

func TestJobOutcome(t *testing.T) {
	succeeded := func(msgs ...string) []corev1.Pod {
		return []corev1.Pod{testPod("p", corev1.PodSucceeded, 1, "", msgs...)}
	}
	cases := []struct {
		name       string
		job        *batchv1.Job
		pods       []corev1.Pod
		want       strategy.HookStatus
		wantReason string
		wantDelay  time.Duration
	}{
		{name: "running: no outcome yet", job: testJob(), wantReason: ReasonJobRunning},
		{name: "suspended: no outcome yet", job: func() *batchv1.Job { j := testJob(); j.Spec.Suspend = ptr.To(true); return j }(), wantReason: ReasonJobSuspended},
		{name: "only SuccessCriteriaMet: not finished", job: testJob(batchv1.JobSuccessCriteriaMet), pods: succeeded(`{"hookStatus":"FAILED"}`), wantReason: ReasonJobRunning},
		{name: "failed", job: testJob(batchv1.JobFailureTarget, batchv1.JobFailed), want: strategy.HookFailed, wantReason: ReasonJobFailed},
		{name: "failed whatever it answered", job: testJob(batchv1.JobFailed), pods: succeeded(`{"hookStatus":"SUCCEEDED"}`), want: strategy.HookFailed, wantReason: ReasonJobFailed},
		{name: "complete, no answer: SUCCEEDED", job: testJob(batchv1.JobComplete), pods: succeeded(""), want: strategy.HookSucceeded, wantReason: ReasonAnswered},
		{name: "complete, SUCCEEDED", job: testJob(batchv1.JobComplete), pods: succeeded(`{"hookStatus":"SUCCEEDED"}`), want: strategy.HookSucceeded, wantReason: ReasonAnswered},
		{name: "complete, FAILED", job: testJob(batchv1.JobComplete), pods: succeeded(`{"hookStatus":"FAILED"}`), want: strategy.HookFailed, wantReason: ReasonAnswered},
		{name: "complete, IN_PROGRESS with a delay", job: testJob(batchv1.JobComplete), pods: succeeded(`{"hookStatus":"IN_PROGRESS","callBackDelay":45}`),
			want: strategy.HookInProgress, wantReason: ReasonAnswered, wantDelay: 45 * time.Second},
		{name: "complete, unreadable answer: FAILED", job: testJob(batchv1.JobComplete), pods: succeeded(`all good`), want: strategy.HookFailed, wantReason: ReasonAnswerInvalid},
		{name: "the first container in spec order that answered", job: testJob(batchv1.JobComplete),
			pods: succeeded("", `{"hookStatus":"FAILED"}`, `{"hookStatus":"SUCCEEDED"}`), want: strategy.HookFailed, wantReason: ReasonAnswered},
		{name: "the newest succeeded pod; failed retries ignored", job: testJob(batchv1.JobComplete), pods: []corev1.Pod{
			testPod("old", corev1.PodSucceeded, 1, "", `{"hookStatus":"FAILED"}`),
			testPod("new", corev1.PodSucceeded, 2, "", `{"hookStatus":"SUCCEEDED"}`),
			testPod("retry", corev1.PodFailed, 3, "", `{"hookStatus":"FAILED"}`),
		}, want: strategy.HookSucceeded, wantReason: ReasonAnswered},
		{name: "another Job's pod is not read", job: testJob(batchv1.JobComplete), pods: []corev1.Pod{
			testPod("other", corev1.PodSucceeded, 1, "other-uid", `{"hookStatus":"SUCCEEDED"}`),
		}, want: strategy.HookFailed, wantReason: ReasonAnswerInvalid},
		{name: "complete, its pod gone: FAILED", job: testJob(batchv1.JobComplete), want: strategy.HookFailed, wantReason: ReasonAnswerInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := JobOutcome(c.job, c.pods)
			if o.Status != c.want || o.Reason != c.wantReason {
				t.Fatalf("outcome = %s (%s: %s), want %s (%s)", o.Status, o.Reason, o.Message, c.want, c.wantReason)
			}
			inv := strategy.Invocation{Key: strategy.HookKey{Stage: strategy.StagePostScaleUp, Hook: 1}, Attempt: 3}
			rep := o.Report(inv)
			if c.want == "" {
				if rep != nil {
					t.Errorf("report %+v while the Job runs", rep)
				}
				return
			}
			want := &strategy.HookReport{Key: inv.Key, Attempt: 3, Status: c.want, CallbackDelay: c.wantDelay}
			if d := cmp.Diff(want, rep); d != "" {
				t.Errorf("report (-want +got):\n%s", d)
			}
		})
	}
}

func TestAwaiting(t *testing.T) {
	k := func(h int32) strategy.HookKey { return strategy.HookKey{Stage: strategy.StagePostScaleUp, Hook: h} }
	st := &strategy.State{Hooks: []strategy.HookRecord{
		{Key: k(0), Status: strategy.HookInProgress, Attempts: 2},
		{Key: k(1), Status: strategy.HookInProgress, Attempts: 1, RetryAt: time.Unix(100, 0)},
		{Key: k(2), Status: strategy.HookAwaitingAction, Attempts: 1},
		{Key: k(3), Status: strategy.HookSucceeded, Attempts: 1},
		{Key: k(4), Status: strategy.HookTimedOut, Attempts: 1},
	}}
	want := []strategy.Invocation{{Key: k(0), Attempt: 2}}
	if d := cmp.Diff(want, Awaiting(st)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
