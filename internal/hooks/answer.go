package hooks

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-dev/berth/internal/strategy"
)

// Answer is a hook's answer, the Lambda function's response ECS reads
// (lambda-lifecycle-hooks, "hookStatus values"): a hook Job's container
// writes it, as JSON, to its termination message (terminationMessagePath,
// /dev/termination-log by default).
type Answer struct {
	// Status is SUCCEEDED, FAILED or IN_PROGRESS.
	Status strategy.HookStatus
	// CallbackDelay is callBackDelay (seconds in the JSON): how long after
	// an IN_PROGRESS answer the hook is invoked again; 0 for ECS's default.
	CallbackDelay time.Duration
	// HookDetails is the answer's hookDetails, merged into the next
	// invocation's event after IN_PROGRESS.
	HookDetails map[string]any
}

// maxCallbackDelay bounds callBackDelay (ECS documents no maximum; a hook
// is timed out after 20160 minutes at most anyway).
const maxCallbackDelay = 14 * 24 * time.Hour

// ParseAnswer reads a termination message as a hook's answer. An answer
// that is not a JSON object with a valid hookStatus, a callBackDelay that
// is not a non-negative number of seconds, or hookDetails that is not an
// object is invalid: ECS rolls back then ("If your function doesn't return
// a valid hookStatus ... Amazon ECS rolls back the deployment"), and the
// caller reports FAILED.
func ParseAnswer(msg string) (Answer, error) {
	m, err := decodeObject([]byte(msg))
	if err != nil {
		return Answer{}, fmt.Errorf("not a JSON object: %w", err)
	}
	var a Answer
	s, _ := m["hookStatus"].(string)
	switch st := strategy.HookStatus(s); st {
	case strategy.HookSucceeded, strategy.HookFailed, strategy.HookInProgress:
		a.Status = st
	default:
		return Answer{}, fmt.Errorf("hookStatus %s is not SUCCEEDED, FAILED or IN_PROGRESS", show(m["hookStatus"]))
	}
	if v, ok := m["callBackDelay"]; ok && v != nil {
		f, ok := seconds(v)
		if !ok {
			return Answer{}, fmt.Errorf("callBackDelay %s is not a non-negative number of seconds", show(v))
		}
		a.CallbackDelay = time.Duration(min(f, maxCallbackDelay.Seconds()) * float64(time.Second))
	}
	if v, ok := m["hookDetails"]; ok && v != nil {
		d, ok := v.(map[string]any)
		if !ok {
			return Answer{}, fmt.Errorf("hookDetails %s is not an object", show(v))
		}
		a.HookDetails = d
	}
	return a, nil
}

func seconds(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil && f >= 0 && !math.IsInf(f, 0)
}

func show(v any) string {
	if v == nil {
		return "(missing)"
	}
	b, _ := json.Marshal(v)
	if len(b) > 64 {
		b = append(b[:61], "..."...)
	}
	return string(b)
}

// Reasons Berth gives for where a hook invocation stands (Note.Reason).
const (
	// ReasonTargetInvalid: hookTargetArn is not a Lambda function ARN; the
	// hook waits until its timeout (the spec must change).
	ReasonTargetInvalid = "HookTargetInvalid"
	// ReasonTargetNotFound: the CronJob the ARN names does not exist; the
	// hook waits for it until its timeout.
	ReasonTargetNotFound = "HookTargetNotFound"
	// ReasonJobNotCreated: no Job runs the invocation but its CronJob
	// exists now: Invoke again.
	ReasonJobNotCreated = "HookJobNotCreated"
	// ReasonJobCreated and ReasonJobExists: Invoke created the Job, or
	// found it created by an earlier pass.
	ReasonJobCreated = "HookJobCreated"
	ReasonJobExists  = "HookJobExists"
	// ReasonJobRunning and ReasonJobSuspended: the Job has not finished
	// (spec.suspend holds a suspended one, as a queue such as Kueue does).
	ReasonJobRunning   = "HookJobRunning"
	ReasonJobSuspended = "HookJobSuspended"
	// ReasonJobFailed: the Job failed, which is FAILED whatever its
	// containers wrote.
	ReasonJobFailed = "HookJobFailed"
	// ReasonAnswered: the Job completed and its answer (or its silence:
	// SUCCEEDED) decided.
	ReasonAnswered = "HookAnswered"
	// ReasonAnswerInvalid: the Job completed with an answer that is not
	// valid, or whose pod is gone: FAILED.
	ReasonAnswerInvalid = "HookAnswerInvalid"
	// ReasonPause: a PAUSE hook; nothing runs (ContinueServiceDeployment
	// resolves it).
	ReasonPause = "HookPause"
)

// Outcome is what a hook Job says of its invocation.
type Outcome struct {
	// Status is SUCCEEDED, FAILED or IN_PROGRESS; "" while the Job runs.
	Status strategy.HookStatus
	// Answer is the answer read, when the Job completed with one.
	Answer *Answer
	// Reason and Message say why, for events and conditions.
	Reason  string
	Message string
}

// JobOutcome reads a hook Job's outcome: running → no status yet; failed
// (condition Failed) → FAILED, as ECS rolls back when the function fails;
// complete (condition Complete) → the answer its succeeded pod's
// containers wrote as a termination message (the first, in the pod
// spec's order, that wrote one; the newest succeeded pod when several
// did), or SUCCEEDED when none wrote one; FAILED when that answer is not
// valid, or when no succeeded pod is left to read it from. pods are the
// Job's pods (others are ignored).
func JobOutcome(job *batchv1.Job, pods []corev1.Pod) Outcome {
	switch {
	case jobCondition(job, batchv1.JobFailed):
		c := condition(job, batchv1.JobFailed)
		return Outcome{Status: strategy.HookFailed, Reason: ReasonJobFailed,
			Message: fmt.Sprintf("Job %s failed (%s): %s", job.Name, c.Reason, c.Message)}
	case !jobCondition(job, batchv1.JobComplete):
		if job.Spec.Suspend != nil && *job.Spec.Suspend {
			return Outcome{Reason: ReasonJobSuspended, Message: fmt.Sprintf("Job %s is suspended (spec.suspend)", job.Name)}
		}
		return Outcome{Reason: ReasonJobRunning, Message: fmt.Sprintf("Job %s is running", job.Name)}
	}
	pod := newestSucceeded(job, pods)
	if pod == nil {
		return Outcome{Status: strategy.HookFailed, Reason: ReasonAnswerInvalid,
			Message: fmt.Sprintf("Job %s completed but no succeeded pod of it is left to read its answer from", job.Name)}
	}
	container, msg := terminationMessage(pod)
	if msg == "" {
		return Outcome{Status: strategy.HookSucceeded, Reason: ReasonAnswered,
			Message: fmt.Sprintf("Job %s completed without an answer: SUCCEEDED", job.Name)}
	}
	a, err := ParseAnswer(msg)
	if err != nil {
		return Outcome{Status: strategy.HookFailed, Reason: ReasonAnswerInvalid,
			Message: fmt.Sprintf("Job %s: the answer of pod %s container %s is not valid: %v", job.Name, pod.Name, container, err)}
	}
	return Outcome{Status: a.Status, Answer: &a, Reason: ReasonAnswered,
		Message: fmt.Sprintf("Job %s answered %s", job.Name, a.Status)}
}

// Report is the outcome as the state machine reads it, nil while the Job
// runs.
func (o Outcome) Report(inv strategy.Invocation) *strategy.HookReport {
	if o.Status == "" {
		return nil
	}
	r := &strategy.HookReport{Key: inv.Key, Attempt: inv.Attempt, Status: o.Status}
	if o.Status == strategy.HookInProgress && o.Answer != nil {
		r.CallbackDelay = o.Answer.CallbackDelay
	}
	return r
}

func jobCondition(job *batchv1.Job, t batchv1.JobConditionType) bool {
	return condition(job, t).Status == corev1.ConditionTrue
}

func condition(job *batchv1.Job, t batchv1.JobConditionType) batchv1.JobCondition {
	for _, c := range job.Status.Conditions {
		if c.Type == t {
			return c
		}
	}
	return batchv1.JobCondition{}
}

func newestSucceeded(job *batchv1.Job, pods []corev1.Pod) *corev1.Pod {
	var ok []*corev1.Pod
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase == corev1.PodSucceeded && metav1.IsControlledBy(p, job) {
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	sort.Slice(ok, func(i, j int) bool {
		if !ok[i].CreationTimestamp.Equal(&ok[j].CreationTimestamp) {
			return ok[i].CreationTimestamp.After(ok[j].CreationTimestamp.Time)
		}
		return ok[i].Name > ok[j].Name
	})
	return ok[0]
}

// terminationMessage is the first termination message of the pod's
// containers, in the spec's order.
func terminationMessage(pod *corev1.Pod) (container, msg string) {
	for _, c := range pod.Spec.Containers {
		for _, s := range pod.Status.ContainerStatuses {
			if s.Name != c.Name || s.State.Terminated == nil {
				continue
			}
			if m := strings.TrimSpace(s.State.Terminated.Message); m != "" {
				return c.Name, m
			}
		}
	}
	return "", ""
}
