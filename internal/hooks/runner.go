package hooks

import (
	"context"
	"fmt"
	"sort"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/strategy"
)

// FieldOwner is the field manager of the Jobs the runner creates.
const FieldOwner = "berth/hooks"

// LabelJobName is the label the Job controller puts on a Job's pods.
const LabelJobName = "batch.kubernetes.io/job-name"

// Runner runs a Service's lifecycle hooks as Jobs made from CronJobs.
type Runner struct {
	// Client creates, reads and deletes Jobs and reads CronJobs; it may
	// read through the manager's cache (a Job's name is deterministic and
	// creating it twice is success).
	Client client.Client
	// Reader reads the hook Jobs' pods, for their answers. It must not be
	// the manager's cache, which holds only the pods of Berth's tasks: use
	// the manager's APIReader. It is read only for Jobs that completed
	// and whose answer is awaited.
	Reader  client.Reader
	Account names.Account
}

// Deployment is the service deployment whose hooks run.
type Deployment struct {
	// Service owns the hook Jobs.
	Service *ecsv1alpha1.Service
	// ID is the deployment's id (ecs-svc/...); Source the id of the
	// deployment it replaces (blue), "" when there is none.
	ID, Source string
	// Hooks are the deployment's deploymentConfiguration.lifecycleHooks,
	// indexed by HookKey.Hook (strategy.Config.Hooks was read from them).
	Hooks []ecsv1alpha1.DeploymentLifecycleHook
}

// Traffic is the weights the invoking pass decided (strategy.Output's
// Production and Test).
type Traffic struct {
	Production, Test strategy.Weights
}

// Note says where an invocation stands, for the Service's events and
// conditions.
type Note struct {
	Invocation strategy.Invocation
	// Job is the Job that runs it ("" for a PAUSE hook, or when the hook's
	// ARN is not valid).
	Job string
	// Status is its outcome, "" while it waits (for its Job, or for the
	// CronJob to make the Job from).
	Status  strategy.HookStatus
	Reason  string
	Message string
}

// Waiting tells whether the invocation has no outcome yet.
func (n Note) Waiting() bool { return n.Status == "" }

// Observed is what Reports saw.
type Observed struct {
	// Reports are the outcomes, for strategy.World.Hooks.
	Reports []strategy.HookReport
	// Notes say where each awaited invocation stands, in the order of the
	// keys.
	Notes []Note
}

// Reinvoke are the awaited invocations that no Job runs although their
// CronJob exists now: the caller invokes them again (Invoke makes at
// most one Job per invocation).
func (o Observed) Reinvoke() []strategy.Invocation {
	var out []strategy.Invocation
	for _, n := range o.Notes {
		if n.Reason == ReasonJobNotCreated {
			out = append(out, n.Invocation)
		}
	}
	return out
}

// Awaiting are the invocations whose answer the state machine awaits: the
// latest attempt of each hook execution IN_PROGRESS that is not waiting to
// be invoked again (a PAUSE hook's is AWAITING_ACTION and not awaited
// here).
func Awaiting(st *strategy.State) []strategy.Invocation {
	var out []strategy.Invocation
	for _, rec := range st.Hooks {
		if rec.Status == strategy.HookInProgress && rec.RetryAt.IsZero() {
			out = append(out, strategy.Invocation{Key: rec.Key, Attempt: rec.Attempts})
		}
	}
	return out
}

// Invoke makes the Job that runs an invocation, once: a Job made by an
// earlier pass (the name is the invocation's) is left as it is. It makes
// none, and says why in a waiting Note, when the hook's ARN is not a
// Lambda function ARN or the CronJob it names does not exist: the hook
// then waits until its timeout, and Reports says when the CronJob has
// appeared (Observed.Reinvoke). A PAUSE invocation runs nothing.
func (r Runner) Invoke(ctx context.Context, d Deployment, inv strategy.Invocation, t Traffic) (Note, error) {
	note := Note{Invocation: inv}
	if inv.Pause {
		note.Reason, note.Message = ReasonPause, fmt.Sprintf("%s: a PAUSE hook waits for ContinueServiceDeployment", inv.Key)
		return note, nil
	}
	hook, err := d.hook(inv.Key)
	if err != nil {
		return note, err
	}
	note.Job = JobName(d.Service.Name, d.ID, inv)
	if job, err := r.ownJob(ctx, d.Service, note.Job); err != nil {
		return note, err
	} else if job != nil {
		return exists(note), nil
	}
	target, cj, waiting, err := r.template(ctx, d.Service, inv, hook)
	if err != nil {
		return note, err
	}
	if waiting != nil {
		return *waiting, nil
	}
	ev, err := r.event(ctx, d, inv, hook, t)
	if err != nil {
		return note, err
	}
	evJSON, err := ev.JSON()
	if err != nil {
		return note, fmt.Errorf("hook event: %w", err)
	}
	job := NewJob(JobInput{Service: d.Service, Deployment: d.ID, Invocation: inv, Target: target, CronJob: cj, Event: evJSON})
	err = r.Client.Create(ctx, job, client.FieldOwner(FieldOwner))
	if apierrors.IsAlreadyExists(err) {
		// Made since the read above (a pass repeated on a stale cache).
		if _, err := r.ownJob(ctx, d.Service, note.Job); err != nil {
			return note, err
		}
		return exists(note), nil
	}
	if err != nil {
		return note, fmt.Errorf("create hook Job %s/%s: %w", job.Namespace, job.Name, err)
	}
	note.Reason, note.Message = ReasonJobCreated, fmt.Sprintf("%s (attempt %d): created Job %s from CronJob %s", inv.Key, inv.Attempt, job.Name, cj.Name)
	return note, nil
}

func exists(n Note) Note {
	n.Reason, n.Message = ReasonJobExists, fmt.Sprintf("%s (attempt %d): Job %s exists", n.Invocation.Key, n.Invocation.Attempt, n.Job)
	return n
}

func (d Deployment) hook(key strategy.HookKey) (*ecsv1alpha1.DeploymentLifecycleHook, error) {
	if key.Hook < 0 || int(key.Hook) >= len(d.Hooks) {
		return nil, fmt.Errorf("%s: the deployment has %d lifecycle hooks", key, len(d.Hooks))
	}
	return &d.Hooks[key.Hook], nil
}

// ownJob reads the Job named name: nil when there is none; an error when
// it is not the Service's (Berth adopts nothing).
func (r Runner) ownJob(ctx context.Context, svc *ecsv1alpha1.Service, name string) (*batchv1.Job, error) {
	job := &batchv1.Job{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: name}, job)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get hook Job %s/%s: %w", svc.Namespace, name, err)
	}
	if !ownedBy(job, svc) {
		return nil, fmt.Errorf("job %s/%s exists and is not Service %s's: Berth does not adopt it (delete it, or rename it)", svc.Namespace, name, svc.Name)
	}
	return job, nil
}

func ownedBy(job *batchv1.Job, svc *ecsv1alpha1.Service) bool {
	for _, o := range job.OwnerReferences {
		if o.UID == svc.UID {
			return true
		}
	}
	return false
}

// template finds the CronJob a hook names: a waiting Note when its ARN is
// not valid or it does not exist.
func (r Runner) template(ctx context.Context, svc *ecsv1alpha1.Service, inv strategy.Invocation, hook *ecsv1alpha1.DeploymentLifecycleHook) (Target, *batchv1.CronJob, *Note, error) {
	target, err := ParseTarget(hook.HookTargetArn)
	if err != nil {
		return Target{}, nil, &Note{Invocation: inv, Reason: ReasonTargetInvalid,
			Message: fmt.Sprintf("%s: %v; it waits until its timeout", inv.Key, err)}, nil
	}
	cj := &batchv1.CronJob{}
	err = r.Client.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: target.CronJob}, cj)
	if apierrors.IsNotFound(err) {
		return target, nil, &Note{Invocation: inv, Reason: ReasonTargetNotFound,
			Message: fmt.Sprintf("%s: CronJob %s/%s (the Job template %s names) does not exist; the hook waits for it until its timeout", inv.Key, svc.Namespace, target.CronJob, target.Arn)}, nil
	}
	if err != nil {
		return target, nil, nil, fmt.Errorf("get CronJob %s/%s: %w", svc.Namespace, target.CronJob, err)
	}
	return target, cj, nil, nil
}

// event builds the invocation's event; after an IN_PROGRESS answer, its
// hookDetails are the previous invocation's merged with the answer's.
func (r Runner) event(ctx context.Context, d Deployment, inv strategy.Invocation, hook *ecsv1alpha1.DeploymentLifecycleHook, t Traffic) (Event, error) {
	svc := d.Service
	ev, err := NewEvent(EventInput{
		Account: r.Account, Cluster: names.ClusterName(svc.Spec.Cluster), Service: names.ServiceName(svc.Spec.ServiceName, svc.Name),
		Deployment: d.ID, Source: d.Source, Key: inv.Key, Production: t.Production, Test: t.Test, HookDetails: hook.HookDetails,
	})
	if err != nil || inv.Attempt <= 1 {
		return ev, err
	}
	prev, err := r.ownJob(ctx, svc, JobName(svc.Name, d.ID, strategy.Invocation{Key: inv.Key, Attempt: inv.Attempt - 1}))
	if err != nil || prev == nil {
		return ev, err
	}
	if before, err := ParseEvent(prev.Annotations[AnnotationEvent]); err == nil {
		ev.HookDetails = before.HookDetails
	}
	if !jobCondition(prev, batchv1.JobComplete) {
		return ev, nil
	}
	pods, err := r.pods(ctx, prev)
	if err != nil {
		return ev, err
	}
	if o := JobOutcome(prev, pods); o.Answer != nil {
		ev.HookDetails = MergeHookDetails(ev.HookDetails, o.Answer.HookDetails)
	}
	return ev, nil
}

func (r Runner) pods(ctx context.Context, job *batchv1.Job) ([]corev1.Pod, error) {
	var pods corev1.PodList
	if err := r.Reader.List(ctx, &pods, client.InNamespace(job.Namespace), client.MatchingLabels{LabelJobName: job.Name}); err != nil {
		return nil, fmt.Errorf("list the pods of hook Job %s/%s: %w", job.Namespace, job.Name, err)
	}
	return pods.Items, nil
}

// Reports reads the outcome of each awaited invocation (Awaiting) from its
// Job: a report for those that finished, and a Note for each.
func (r Runner) Reports(ctx context.Context, d Deployment, awaiting []strategy.Invocation) (Observed, error) {
	var obs Observed
	if len(awaiting) == 0 {
		return obs, nil
	}
	svc := d.Service
	var list batchv1.JobList
	if err := r.Client.List(ctx, &list, client.InNamespace(svc.Namespace), client.MatchingLabels(Selector(svc.Name, d.ID))); err != nil {
		return obs, fmt.Errorf("list the hook Jobs of Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	jobs := map[string]*batchv1.Job{}
	for i := range list.Items {
		if ownedBy(&list.Items[i], svc) {
			jobs[list.Items[i].Name] = &list.Items[i]
		}
	}
	invs := sortedInvocations(awaiting)
	for _, inv := range invs {
		n, rep, err := r.observe(ctx, d, inv, jobs[JobName(svc.Name, d.ID, inv)])
		if err != nil {
			return obs, err
		}
		obs.Notes = append(obs.Notes, n)
		if rep != nil {
			obs.Reports = append(obs.Reports, *rep)
		}
	}
	return obs, nil
}

func (r Runner) observe(ctx context.Context, d Deployment, inv strategy.Invocation, job *batchv1.Job) (Note, *strategy.HookReport, error) {
	if job == nil {
		n, err := r.missing(ctx, d, inv)
		return n, nil, err
	}
	var pods []corev1.Pod
	if jobCondition(job, batchv1.JobComplete) && !jobCondition(job, batchv1.JobFailed) {
		var err error
		if pods, err = r.pods(ctx, job); err != nil {
			return Note{}, nil, err
		}
	}
	o := JobOutcome(job, pods)
	return Note{Invocation: inv, Job: job.Name, Status: o.Status, Reason: o.Reason,
		Message: fmt.Sprintf("%s (attempt %d): %s", inv.Key, inv.Attempt, o.Message)}, o.Report(inv), nil
}

// missing says why an awaited invocation has no Job.
func (r Runner) missing(ctx context.Context, d Deployment, inv strategy.Invocation) (Note, error) {
	hook, err := d.hook(inv.Key)
	if err != nil {
		return Note{}, err
	}
	_, cj, waiting, err := r.template(ctx, d.Service, inv, hook)
	if err != nil {
		return Note{}, err
	}
	if waiting != nil {
		return *waiting, nil
	}
	name := JobName(d.Service.Name, d.ID, inv)
	return Note{Invocation: inv, Job: name, Reason: ReasonJobNotCreated,
		Message: fmt.Sprintf("%s (attempt %d): CronJob %s exists and Job %s does not: to be invoked again", inv.Key, inv.Attempt, cj.Name, name)}, nil
}

func sortedInvocations(in []strategy.Invocation) []strategy.Invocation {
	out := append([]strategy.Invocation(nil), in...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Key.Stage != b.Key.Stage:
			return a.Key.Stage < b.Key.Stage
		case a.Key.Step != b.Key.Step:
			return a.Key.Step < b.Key.Step
		case a.Key.Hook != b.Key.Hook:
			return a.Key.Hook < b.Key.Hook
		case a.Key.Rollback != b.Key.Rollback:
			return !a.Key.Rollback
		}
		return a.Attempt < b.Attempt
	})
	return out
}
