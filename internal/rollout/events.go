package rollout

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/taskstate"
)

// Kubernetes Event reasons of the service events.
const (
	ReasonSteadyState             = "SteadyState"
	ReasonTaskStarted             = "TaskStarted"
	ReasonTaskStopped             = "TaskStopped"
	ReasonTaskStartImpaired       = "TaskStartImpaired"
	ReasonPlacementFailed         = "PlacementFailed"
	ReasonDeploymentCompleted     = "DeploymentCompleted"
	ReasonDeploymentFailed        = "DeploymentFailed"
	ReasonRollingBack             = "RollingBack"
	ReasonDeploymentConfiguration = "DeploymentConfigurationDeadlock"
)

// MaxEvents is how many events a service keeps, as ECS does.
const MaxEvents = 100

// repeatAfter is how long ECS suppresses a repeated message.
const repeatAfter = 6 * time.Hour

// Message is a new service event.
type Message struct {
	// Reason is the Kubernetes Event's reason; Warning its type.
	Reason  string
	Warning bool
	// Text is ECS's wording.
	Text string
}

// startQuiet is how long after the newest task a "has started" event
// waits: the ReplicaSet controller creates a step's pods in slow-start
// batches (1, 2, 4, ...) within a second or two, and ECS reports one
// scheduling decision as one event.
const startQuiet = 2 * time.Second

// started reports the tasks no "has started" event names yet, once no new
// one appeared for startQuiet. Pods created well before the newest such
// event (a minute) were reported by events the log no longer holds, or
// before Berth kept events.
func (p *planner) started() {
	var since time.Time
	var named []string
	for _, e := range p.in.Events {
		if strings.Contains(e.Message, " has started ") {
			if since.IsZero() {
				since = e.CreatedAt.Add(-time.Minute)
			}
			named = append(named, e.Message)
		}
	}
	var ids []string
	var newest time.Time
	for i := range p.in.Pods {
		pod := &p.in.Pods[i]
		id := taskstate.TaskID(pod)
		if pod.CreationTimestamp.Time.Before(since) || namedIn(named, "(task "+id+")") {
			continue
		}
		ids = append(ids, id)
		if pod.CreationTimestamp.After(newest) {
			newest = pod.CreationTimestamp.Time
		}
	}
	if len(ids) == 0 {
		return
	}
	if wait := newest.Add(startQuiet).Sub(p.in.Now); wait > 0 && !p.allStarted() {
		p.recheckIn(wait)
		return
	}
	p.sayTasks(ReasonTaskStarted, false, "has started %d tasks", ids)
}

// allStarted: the deployment the spec asks for has a task for each of its
// desired ones, so no further batch of this decision is to come (and its
// "has started" goes with the write that records them).
func (p *planner) allStarted() bool {
	d := p.byHash[p.in.Want.Hash]
	return d != nil && p.in.Desired > 0 && d.RunningCount+d.PendingCount >= p.in.Desired
}

// replaced reports the tasks Kubernetes stops for the scheduler (the old
// tasks a rolling deployment replaces, and those a scale-in stops) that no
// "has stopped" event names yet: the tasks the scheduler stops itself are
// named before their pods are deleted (judge).
func (p *planner) replaced() {
	var ids []string
	for i := range p.in.Pods {
		pod := &p.in.Pods[i]
		if pod.DeletionTimestamp.IsZero() {
			continue
		}
		if id := taskstate.TaskID(pod); !reported(p.in.Events, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		p.sayTasks(ReasonTaskStopped, false, "has stopped %d running tasks", ids)
	}
}

// recheckIn asks to plan again within d.
func (p *planner) recheckIn(d time.Duration) {
	if p.out.Recheck == 0 || d < p.out.Recheck {
		p.out.Recheck = d
	}
}

func namedIn(messages []string, needle string) bool {
	for _, m := range messages {
		if strings.Contains(m, needle) {
			return true
		}
	}
	return false
}

// unplaced reports a task the scheduler cannot place, in ECS's words with
// the Kubernetes scheduler's reason.
func (p *planner) unplaced() {
	for i := range p.in.Pods {
		pod := &p.in.Pods[i]
		if pod.Spec.NodeName != "" || !pod.DeletionTimestamp.IsZero() {
			continue
		}
		c := taskstate.Unschedulable(pod)
		if c == nil {
			continue
		}
		if wait := c.LastTransitionTime.Add(p.in.Provisioning).Sub(p.in.Now); wait > 0 {
			if p.out.Recheck == 0 || wait < p.out.Recheck {
				p.out.Recheck = wait
			}
			continue
		}
		p.say(ReasonPlacementFailed, true,
			"was unable to place a task because no container instance met all of its requirements. Reason: %s", strings.TrimSpace(c.Message))
		return
	}
}

// Record adds messages to a service's event log (newest first, at most
// MaxEvents) and returns the log and the messages it added. As ECS does, a
// message is not repeated while the cause lasts: an identical message
// since the service last reached a steady state, or within six hours, is
// left out; the steady-state message itself is left out while it is the
// newest event.
func Record(events []ecsv1alpha1.ServiceEvent, msgs []Message, seed string, now time.Time) ([]ecsv1alpha1.ServiceEvent, []Message) {
	at := metav1.NewTime(now.Truncate(time.Second))
	var added []Message
	for _, m := range msgs {
		if duplicate(events, m, now) {
			continue
		}
		e := ecsv1alpha1.ServiceEvent{ID: eventID(seed, at, m.Text, len(events)), CreatedAt: at, Message: m.Text}
		events = append([]ecsv1alpha1.ServiceEvent{e}, events...)
		added = append(added, m)
	}
	if len(events) > MaxEvents {
		events = events[:MaxEvents]
	}
	return events, added
}

func duplicate(events []ecsv1alpha1.ServiceEvent, m Message, now time.Time) bool {
	for i, e := range events {
		if now.Sub(e.CreatedAt.Time) > repeatAfter {
			return false
		}
		if e.Message == m.Text {
			return true
		}
		if m.Reason == ReasonSteadyState && i == 0 {
			return false
		}
		if strings.HasSuffix(e.Message, " has reached a steady state.") {
			// The cause of earlier messages was resolved.
			return false
		}
	}
	return false
}

// eventID is a UUID-shaped ID, stable for the same inputs.
func eventID(seed string, at metav1.Time, text string, n int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\n%s\n%s\n%d", seed, at.UTC().Format(time.RFC3339), text, n)))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
