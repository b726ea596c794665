// Package rollout is ECS's service scheduler for one Service, as a pure
// function of what a reconcile gathered: the deployments the Service's
// status remembers, the pod template its spec asks for, its pods and its
// Kubernetes Deployment. It decides the deployments list (PRIMARY, ACTIVE,
// INACTIVE; IN_PROGRESS, COMPLETED, FAILED), counts failed tasks for the
// deployment circuit breaker, trips it and picks the deployment to roll
// back to, chooses the tasks to stop, and words ECS's service events. The
// Kubernetes Deployment controller does the rolling itself, within the
// bounds translate.RolloutBounds gives it.
//
// No client and no clock: the time is an input.
package rollout

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
)

// Target is a deployment that can run: a pod template of the Service.
type Target struct {
	// ID is the deployment id (translate.DeploymentID).
	ID string
	// Hash is the pod template's hash (ecs.berth.dev/template-hash).
	Hash string
	// TaskDefinition is the ARN of the revision it runs.
	TaskDefinition string
	// LaunchType is the launch type its tasks use, if one is set.
	LaunchType ecsv1alpha1.LaunchType
}

// Workload is what the Kubernetes Deployment reports of the template it
// runs now.
type Workload struct {
	// Exists is false before the Deployment is created.
	Exists bool
	// Hash is the template hash of the Deployment's pod template; Observed
	// is true when the Deployment controller has seen its latest spec.
	Hash     string
	Observed bool
	// Replicas, Updated and Available are its status counts: all pods,
	// pods of the current template, and pods available (ready for
	// minReadySeconds).
	Replicas, Updated, Available int32
}

// Input is what a reconcile gathered.
type Input struct {
	// Service is the ECS service name, for the events; UID the Service's
	// UID (deployment ids).
	Service string
	UID     types.UID
	// Desired is the service's desiredCount.
	Desired int32
	// Breaker is the deployment circuit breaker (nil: off).
	Breaker *ecsv1alpha1.DeploymentCircuitBreaker
	// Alarms are the deployment alarms (nil: none, or not enabled).
	Alarms *Alarms
	// Stop is a StopServiceDeployment request (nil: none).
	Stop *StopRequest
	// Strategy: a BLUE_GREEN, LINEAR or CANARY deployment's lifecycle
	// (internal/strategy) decides when the deployment fails, from the
	// circuit breaker's count too: the scheduler does not trip the breaker
	// itself, and learns of the failure from Failed.
	Strategy bool
	// Failed is a failure decided outside the scheduler (by the
	// lifecycle), which has worded its own events (nil: none).
	Failed *Failure
	// Provisioning is how long a task the scheduler cannot place may wait
	// for capacity being provisioned for it (a Fargate node, managed
	// scaling) before ECS's "unable to place" event: tasks wait in
	// PROVISIONING for capacity providers that make capacity.
	Provisioning time.Duration
	// Grace is healthCheckGracePeriodSeconds.
	Grace time.Duration
	// Deadlock is true when maximumPercent and minimumHealthyPercent allow
	// neither starting nor stopping a task.
	Deadlock bool
	// Previous is status.deployments as stored; Events status.events.
	Previous []ecsv1alpha1.ServiceDeployment
	Events   []ecsv1alpha1.ServiceEvent
	// Want is the deployment the spec asks for.
	Want Target
	// Pods are the Service's pods (any template).
	Pods []corev1.Pod
	// Workload is the Kubernetes Deployment's state.
	Workload Workload
	// Now is the time of the reconcile.
	Now time.Time
}

// Alarms are a service's deployment alarms (deploymentConfiguration.alarms
// with enable) as they stand.
type Alarms struct {
	// Names are the alarms the deployments watch.
	Names []string
	// Rollback rolls a deployment an alarm failed back to the last
	// COMPLETED one.
	Rollback bool
	// InAlarm are those of Names in the ALARM state now, sorted.
	InAlarm []string
	// Bake is how long a deployment whose tasks all run healthy stays
	// IN_PROGRESS, its alarms watched, before it completes.
	Bake time.Duration
}

// Failure is a deployment's failure decided outside the scheduler.
type Failure struct {
	// ID is the deployment that failed.
	ID string
	// Cause and Reason: what failed it, in ECS's words.
	Cause  ecsv1alpha1.DeploymentFailure
	Reason string
	// Rollback: the most recent COMPLETED deployment becomes PRIMARY
	// again.
	Rollback bool
}

// Stop is a task to stop.
type Stop struct {
	Pod     *corev1.Pod
	TaskID  string
	Verdict taskstate.Verdict
}

// Output is the scheduler's decision.
type Output struct {
	// Deployments is the new status.deployments.
	Deployments []ecsv1alpha1.ServiceDeployment
	// Run is the deployment the Kubernetes Deployment must run; nil when
	// it must run no task (a failed first deployment).
	Run *ecsv1alpha1.ServiceDeployment
	// Stops are the tasks to stop, to be replaced.
	Stops []Stop
	// Messages are new service events, oldest first.
	Messages []Message
	// Steady is what ECS's services-stable waiter checks: one deployment
	// (not FAILED), running == desired. Its "has reached a steady state"
	// event waits, as ECS's does, for the deployment to complete (every
	// task healthy).
	Steady bool
	// Recheck is when time alone may change the decision (0: never).
	Recheck time.Duration
	// Counted says, for each of Input.Pods, whether it counts as a running
	// (TaskRunning) or pending (TaskPending) task of a deployment, or not
	// at all (TaskNotCounted: stopping, finished or of no deployment).
	Counted []TaskCount
}

// TaskCount is how a pod counts in a deployment's running and pending
// tasks.
type TaskCount int8

// Values of TaskCount.
const (
	TaskNotCounted TaskCount = iota
	TaskPending
	TaskRunning
)

// Threshold is the circuit breaker's failure threshold for desired tasks:
// half of them, rounded up, at least 3 and at most 200.
func Threshold(desired int32) int32 {
	return min(max((desired+1)/2, 3), 200)
}

// Plan runs the scheduler once.
func Plan(in Input) Output {
	p := planner{in: in, byHash: map[string]*ecsv1alpha1.ServiceDeployment{}}
	p.load()
	p.ensureWant()
	p.count()
	p.started()
	p.replaced()
	p.unplaced()
	p.judge()
	p.trip()
	p.failedOutside()
	p.watch()
	p.alarmed()
	p.stopped()
	p.complete()
	return p.finish()
}

type planner struct {
	in     Input
	deps   []*ecsv1alpha1.ServiceDeployment
	byHash map[string]*ecsv1alpha1.ServiceDeployment
	out    Output
	// states are the pods' tasks, read once (nil: no containers
	// annotation or an unreadable one).
	states []*taskstate.State
	// healthySince[hash] is the latest time a task of the deployment became
	// healthy.
	healthySince map[string]time.Time
}

func (p *planner) now() metav1.Time { return metav1.NewTime(p.in.Now.Truncate(time.Second)) }

func (p *planner) load() {
	p.states = make([]*taskstate.State, len(p.in.Pods))
	for i := range p.in.Pods {
		// A malformed annotation will not fix itself: such a pod is
		// counted, not judged.
		p.states[i], _ = taskstate.Read(&p.in.Pods[i], p.in.Now)
	}
	for i := range p.in.Previous {
		d := p.in.Previous[i].DeepCopy()
		p.deps = append(p.deps, d)
		p.byHash[d.TemplateHash] = d
	}
	// Tasks of a template no deployment remembers (they ran before Berth
	// kept deployments, or the status was lost) are an ACTIVE deployment
	// that had completed: the service ran them.
	for i := range p.in.Pods {
		pod := &p.in.Pods[i]
		hash := pod.Annotations[ecsv1alpha1.AnnotationTemplateHash]
		if hash == "" || hash == p.in.Want.Hash || !pod.DeletionTimestamp.IsZero() {
			continue
		}
		if p.byHash[hash] != nil {
			continue
		}
		id := translate.DeploymentID(p.in.UID, hash)
		d := &ecsv1alpha1.ServiceDeployment{ID: id, TemplateHash: hash, Status: ecsv1alpha1.DeploymentActive,
			TaskDefinition: pod.Annotations[ecsv1alpha1.AnnotationTaskDefinitionArn],
			RolloutState:   ecsv1alpha1.RolloutCompleted, RolloutStateReason: fmt.Sprintf("ECS deployment %s completed.", id),
			CreatedAt: pod.CreationTimestamp, UpdatedAt: pod.CreationTimestamp}
		p.deps = append(p.deps, d)
		p.byHash[hash] = d
	}
}

func (p *planner) primary() *ecsv1alpha1.ServiceDeployment {
	for _, d := range p.deps {
		if d.Status == ecsv1alpha1.DeploymentPrimary {
			return d
		}
	}
	return nil
}

func (p *planner) say(reason string, warning bool, format string, args ...any) {
	p.out.Messages = append(p.out.Messages, Message{Reason: reason, Warning: warning,
		Text: fmt.Sprintf("service %s ", p.in.Service) + fmt.Sprintf(format, args...)})
}

// ensureWant makes the deployment the spec asks for the PRIMARY one,
// unless it is the one that failed (the spec still asks for it after the
// circuit breaker rolled back or stopped it).
func (p *planner) ensureWant() {
	w := p.in.Want
	prim := p.primary()
	if prim != nil && prim.TemplateHash == w.Hash {
		return
	}
	if d := p.byHash[w.Hash]; d != nil && d.RolloutState == ecsv1alpha1.RolloutFailed {
		return
	}
	if prim != nil {
		prim.Status = ecsv1alpha1.DeploymentActive
	}
	now := p.now()
	d := p.byHash[w.Hash]
	if d == nil {
		d = &ecsv1alpha1.ServiceDeployment{ID: w.ID, TemplateHash: w.Hash, CreatedAt: now}
		p.deps = append(p.deps, d)
		p.byHash[w.Hash] = d
	}
	d.TaskDefinition = w.TaskDefinition
	d.LaunchType = w.LaunchType
	promote(d, fmt.Sprintf("ECS deployment %s in progress.", d.ID), now)
}

// promote makes d the PRIMARY deployment, IN_PROGRESS with no failure.
func promote(d *ecsv1alpha1.ServiceDeployment, reason string, now metav1.Time) {
	d.Status = ecsv1alpha1.DeploymentPrimary
	d.RolloutState = ecsv1alpha1.RolloutInProgress
	d.RolloutStateReason = reason
	d.FailedTasks = 0
	d.UpdatedAt = now
	d.BakeUntil = nil
	d.FailedBy, d.RollbackFrom = "", ""
	// A deployment deployed again watches the alarms afresh (watch).
	d.Alarms = nil
}

// fail fails the PRIMARY deployment for cause, with ECS's reason and event,
// and, when rollback is asked and there is a deployment to return to, makes
// that one PRIMARY again: a rollback, which watches no alarm (what failed
// the deployment may still be in ALARM).
func (p *planner) fail(prim *ecsv1alpha1.ServiceDeployment, cause ecsv1alpha1.DeploymentFailure, reason, event, backReason string, rollback bool) {
	now := p.now()
	prim.RolloutState = ecsv1alpha1.RolloutFailed
	prim.RolloutStateReason = reason
	prim.FailedBy = cause
	prim.UpdatedAt = now
	prim.BakeUntil = nil
	if event != "" {
		p.say(ReasonDeploymentFailed, true, "(deployment %s) %s", prim.ID, event)
	}
	if !rollback {
		return
	}
	back := p.lastCompleted()
	if back == nil {
		return
	}
	prim.Status = ecsv1alpha1.DeploymentActive
	promote(back, fmt.Sprintf("%s: rolling back to deploymentId %s.", backReason, back.ID), now)
	back.RollbackFrom = prim.ID
	back.Alarms = &ecsv1alpha1.DeploymentAlarmsState{Status: ecsv1alpha1.MonitorDisabled}
	if p.in.Alarms != nil {
		back.Alarms.AlarmNames = slices.Clone(p.in.Alarms.Names)
	}
	if event != "" {
		p.say(ReasonRollingBack, true, "(deployment %s) rolling back to deployment %s.", prim.ID, back.ID)
	}
}

// failedOutside fails the PRIMARY deployment as Input.Failed says, without
// an event (the lifecycle worded its own).
func (p *planner) failedOutside() {
	f := p.in.Failed
	prim := p.primary()
	if f == nil || prim == nil || prim.ID != f.ID || prim.RolloutState != ecsv1alpha1.RolloutInProgress {
		return
	}
	back := map[ecsv1alpha1.DeploymentFailure]string{
		ecsv1alpha1.FailedByCircuitBreaker:        "ECS deployment circuit breaker",
		ecsv1alpha1.FailedByAlarms:                "ECS deployment alarms",
		ecsv1alpha1.FailedByStopServiceDeployment: "StopServiceDeployment",
	}[f.Cause]
	if back == "" {
		back = "ECS deployment lifecycle"
	}
	p.fail(prim, f.Cause, f.Reason, "", back, f.Rollback)
}

// count sets each deployment's running and pending tasks from its pods;
// stopping tasks (pods being deleted, finished, or with an essential
// container that exited) are not counted.
func (p *planner) count() {
	p.healthySince = map[string]time.Time{}
	for _, d := range p.deps {
		d.RunningCount, d.PendingCount = 0, 0
	}
	p.out.Counted = make([]TaskCount, len(p.in.Pods))
	for i := range p.in.Pods {
		pod := &p.in.Pods[i]
		d := p.byHash[pod.Annotations[ecsv1alpha1.AnnotationTemplateHash]]
		if d == nil || !pod.DeletionTimestamp.IsZero() || pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
			continue
		}
		if st := p.states[i]; st != nil && st.EssentialExited != nil {
			// ECS stops the task (DEACTIVATING, STOPPING): neither RUNNING
			// nor PENDING.
			continue
		}
		if taskstate.Running(pod, p.states[i]) {
			d.RunningCount++
			p.out.Counted[i] = TaskRunning
		} else {
			d.PendingCount++
			p.out.Counted[i] = TaskPending
		}
		if t, ok := readySince(pod); ok && t.After(p.healthySince[d.TemplateHash]) {
			p.healthySince[d.TemplateHash] = t
		}
	}
}

func readySince(pod *corev1.Pod) (time.Time, bool) {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time, true
		}
	}
	return time.Time{}, false
}

// judge picks the tasks ECS would stop and counts them as failed tasks of
// their deployment. A task the events already report as stopped (its
// deletion was asked and failed) is stopped again without being counted
// twice.
func (p *planner) judge() {
	failed := map[string]int32{}
	var newly []string
	for i := range p.in.Pods {
		pod := &p.in.Pods[i]
		if !pod.DeletionTimestamp.IsZero() {
			continue
		}
		v := taskstate.Decide(pod, p.states[i], p.in.Grace, p.in.Now)
		if v.Recheck > 0 && (p.out.Recheck == 0 || v.Recheck < p.out.Recheck) {
			p.out.Recheck = v.Recheck
		}
		if !v.Stop {
			continue
		}
		id := taskstate.TaskID(pod)
		p.out.Stops = append(p.out.Stops, Stop{Pod: pod, TaskID: id, Verdict: v})
		if !reported(p.in.Events, id) {
			failed[pod.Annotations[ecsv1alpha1.AnnotationTemplateHash]]++
			newly = append(newly, id)
		}
	}
	now := p.now()
	for _, d := range p.deps {
		switch n := failed[d.TemplateHash]; {
		case n > 0:
			d.FailedTasks += n
			d.UpdatedAt = now
		case d.FailedTasks > 0 && p.healthySince[d.TemplateHash].After(d.UpdatedAt.Time):
			// resetOnHealthyTask (ECS's default): a task that became healthy
			// after the last failure resets the count.
			d.FailedTasks = 0
			d.UpdatedAt = now
		}
	}
	if len(newly) > 0 {
		p.sayTasks(ReasonTaskStopped, true, "has stopped %d running tasks", newly)
	}
}

// reported tells whether a stop event names the task.
func reported(events []ecsv1alpha1.ServiceEvent, taskID string) bool {
	needle := "(task " + taskID + ")"
	for _, e := range events {
		if strings.Contains(e.Message, " has stopped ") && strings.Contains(e.Message, needle) {
			return true
		}
	}
	return false
}

// maxEventMessage is the longest service event message (the status'
// schema's bound).
const maxEventMessage = 2048

// sayTasks says what ("has started %d tasks") and names every task,
// sorted: "...: (task a) (task b)." One message for one scheduling
// decision, split only where a message would outgrow maxEventMessage
// (about 45 tasks), each part with its own count.
func (p *planner) sayTasks(reason string, warning bool, what string, ids []string) {
	sort.Strings(ids)
	prefix := len(fmt.Sprintf("service %s "+what+": .", p.in.Service, 100000))
	for len(ids) > 0 {
		n, size := 0, prefix
		for n < len(ids) && (n == 0 || size+len(ids[n])+8 <= maxEventMessage) {
			size += len(ids[n]) + 8 // "(task " + id + ") "
			n++
		}
		parts := make([]string, n)
		for i, id := range ids[:n] {
			parts[i] = "(task " + id + ")"
		}
		p.say(reason, warning, what+": %s.", n, strings.Join(parts, " "))
		ids = ids[n:]
	}
}

// trip fails the PRIMARY deployment when the circuit breaker's threshold
// is reached, and with rollback makes the most recent COMPLETED deployment
// PRIMARY again. Without a breaker, the service reports that it cannot
// start tasks consistently.
func (p *planner) trip() {
	prim := p.primary()
	if p.in.Strategy || prim == nil || prim.RolloutState != ecsv1alpha1.RolloutInProgress || prim.FailedTasks < Threshold(p.in.Desired) {
		return
	}
	b := p.in.Breaker
	if b == nil || !b.Enable {
		p.say(ReasonTaskStartImpaired, true, "is unable to consistently start tasks successfully.")
		return
	}
	p.fail(prim, ecsv1alpha1.FailedByCircuitBreaker, "ECS deployment circuit breaker: tasks failed to start.",
		"deployment failed: tasks failed to start.", "ECS deployment circuit breaker", b.Rollback)
}

// lastCompleted is the rollback target: the most recent COMPLETED
// deployment that is not PRIMARY or, when none completed, the most recent
// ACTIVE one whose tasks still run. A deployment replaced while it was
// steady (running == desired, services-stable passed) but before all its
// tasks were healthy for long enough to be COMPLETED keeps serving when
// its replacement fails, rather than leaving the service with no task.
func (p *planner) lastCompleted() *ecsv1alpha1.ServiceDeployment {
	var best, serving *ecsv1alpha1.ServiceDeployment
	for _, d := range p.deps {
		if d.Status == ecsv1alpha1.DeploymentPrimary {
			continue
		}
		if d.RolloutState == ecsv1alpha1.RolloutCompleted && (best == nil || d.UpdatedAt.After(best.UpdatedAt.Time)) {
			best = d
		}
		if d.Status == ecsv1alpha1.DeploymentActive && d.RolloutState == ecsv1alpha1.RolloutInProgress && d.RunningCount > 0 &&
			(serving == nil || d.CreatedAt.After(serving.CreatedAt.Time)) {
			serving = d
		}
	}
	if best == nil {
		return serving
	}
	return best
}

// run is the deployment whose template the Kubernetes Deployment runs: the
// PRIMARY one, or, when it failed, the most recent COMPLETED one, whose
// tasks keep serving; nil when there is none.
func (p *planner) run() *ecsv1alpha1.ServiceDeployment {
	prim := p.primary()
	if prim == nil {
		return nil
	}
	if prim.RolloutState != ecsv1alpha1.RolloutFailed {
		return prim
	}
	return p.lastCompleted()
}

// complete moves the PRIMARY deployment to COMPLETED once every desired
// task of it is available and no other deployment runs tasks; drained
// deployments become INACTIVE. It also sets the desired counts.
func (p *planner) complete() {
	prim := p.primary()
	others := p.settleOthers(prim)
	if prim == nil || prim.RolloutState == ecsv1alpha1.RolloutFailed {
		return
	}
	prim.DesiredCount = p.in.Desired
	available := p.available(prim)
	if p.in.Deadlock && prim.RolloutState == ecsv1alpha1.RolloutInProgress && !available {
		p.say(ReasonDeploymentConfiguration, true, "was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.")
	}
	if others > 0 || prim.RunningCount != p.in.Desired {
		return
	}
	// ECS's services-stable: one deployment, running == desired. Whether
	// the tasks are healthy is the deployment's rolloutState.
	p.out.Steady = true
	if !available || prim.PendingCount != 0 {
		return
	}
	if prim.RolloutState == ecsv1alpha1.RolloutInProgress && p.baking(prim) {
		return
	}
	if prim.RolloutState == ecsv1alpha1.RolloutInProgress {
		if prim.Alarms != nil && prim.Alarms.Status == ecsv1alpha1.MonitorMonitoring {
			prim.Alarms.Status = ecsv1alpha1.MonitorMonitoringComplete
		}
		prim.BakeUntil = nil
		prim.RolloutState = ecsv1alpha1.RolloutCompleted
		prim.RolloutStateReason = fmt.Sprintf("ECS deployment %s completed.", prim.ID)
		prim.UpdatedAt = p.now()
		p.say(ReasonDeploymentCompleted, false, "(deployment %s) deployment completed.", prim.ID)
	}
	p.say(ReasonSteadyState, false, "has reached a steady state.")
}

// available tells whether the Kubernetes Deployment runs every desired
// task of d, available (healthy).
func (p *planner) available(d *ecsv1alpha1.ServiceDeployment) bool {
	w := p.in.Workload
	return w.Exists && w.Observed && w.Hash == d.TemplateHash &&
		w.Replicas == p.in.Desired && w.Updated == p.in.Desired && w.Available == p.in.Desired
}

// settleOthers makes the deployments other than the PRIMARY one ACTIVE
// while they run tasks and INACTIVE once drained, sets their desired
// counts, and returns how many tasks they run.
func (p *planner) settleOthers(prim *ecsv1alpha1.ServiceDeployment) int32 {
	others := int32(0)
	for _, d := range p.deps {
		if d == prim {
			continue
		}
		if d.RunningCount+d.PendingCount > 0 {
			d.Status = ecsv1alpha1.DeploymentActive
			others += d.RunningCount + d.PendingCount
		} else if d.Status == ecsv1alpha1.DeploymentActive {
			d.Status = ecsv1alpha1.DeploymentInactive
		}
		d.DesiredCount = 0
	}
	if run := p.run(); run != nil && run != prim {
		// The failed PRIMARY runs nothing; the deployment whose template
		// runs keeps the service's tasks.
		run.DesiredCount = p.in.Desired
	}
	if prim != nil && prim.RolloutState == ecsv1alpha1.RolloutFailed {
		prim.DesiredCount = 0
	}
	return others
}

// finish orders the deployments (PRIMARY, ACTIVE, INACTIVE; newest first)
// and keeps of the INACTIVE ones only those still needed: the most recent
// COMPLETED one while the PRIMARY one has not completed (the rollback
// target), and a FAILED one the spec still asks for.
func (p *planner) finish() Output {
	prim := p.primary()
	var keep []ecsv1alpha1.ServiceDeployment
	back := p.lastCompleted()
	for _, d := range p.deps {
		if d.Status == ecsv1alpha1.DeploymentInactive {
			needed := (d == back && prim != nil && prim.RolloutState != ecsv1alpha1.RolloutCompleted) ||
				(d.RolloutState == ecsv1alpha1.RolloutFailed && d.TemplateHash == p.in.Want.Hash)
			if !needed {
				continue
			}
		}
		keep = append(keep, *d)
	}
	rank := map[ecsv1alpha1.DeploymentStatus]int{ecsv1alpha1.DeploymentPrimary: 0, ecsv1alpha1.DeploymentActive: 1, ecsv1alpha1.DeploymentInactive: 2}
	sort.SliceStable(keep, func(i, j int) bool {
		if rank[keep[i].Status] != rank[keep[j].Status] {
			return rank[keep[i].Status] < rank[keep[j].Status]
		}
		if !keep[i].CreatedAt.Equal(&keep[j].CreatedAt) {
			return keep[i].CreatedAt.After(keep[j].CreatedAt.Time)
		}
		return keep[i].ID < keep[j].ID
	})
	if len(keep) > 10 {
		keep = keep[:10]
	}
	p.out.Deployments = keep
	if run := p.run(); run != nil {
		for i := range keep {
			if keep[i].TemplateHash == run.TemplateHash {
				p.out.Run = &keep[i]
			}
		}
	}
	return p.out
}
