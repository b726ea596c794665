package rollout

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func target(hash string, rev int) Target {
	return Target{ID: "ecs-svc/" + hash, Hash: hash, TaskDefinition: fmt.Sprintf("arn:aws:ecs:us-east-1:000000000000:task-definition/web:%d", rev)}
}

type podOpt func(*corev1.Pod)

func failed(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }

func readyAt(at time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(at)}}
	}
}

func pods(hash string, n int, opts ...podOpt) []corev1.Pod {
	var res []corev1.Pod
	for i := range n {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%d", hash, i), UID: types.UID(fmt.Sprintf("%s-uid-%d", hash, i)),
			CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour)),
			Annotations:       map[string]string{ecsv1alpha1.AnnotationTemplateHash: hash},
		}}
		p.Spec.NodeName = "node"
		p.Status.Phase = corev1.PodRunning
		for _, o := range opts {
			o(&p)
		}
		res = append(res, p)
	}
	return res
}

func dep(hash string, status ecsv1alpha1.DeploymentStatus, state ecsv1alpha1.RolloutState, rev int) ecsv1alpha1.ServiceDeployment {
	tg := target(hash, rev)
	return ecsv1alpha1.ServiceDeployment{ID: tg.ID, TemplateHash: hash, TaskDefinition: tg.TaskDefinition, Status: status, RolloutState: state,
		CreatedAt: metav1.NewTime(t0.Add(-2 * time.Hour)), UpdatedAt: metav1.NewTime(t0.Add(-90 * time.Minute))}
}

func available(hash string, n int32) Workload {
	return Workload{Exists: true, Hash: hash, Observed: true, Replicas: n, Updated: n, Available: n}
}

type summary struct {
	Hash   string
	Status ecsv1alpha1.DeploymentStatus
	State  ecsv1alpha1.RolloutState
	Run    int32
	Failed int32
}

func summarize(ds []ecsv1alpha1.ServiceDeployment) []summary {
	var res []summary
	for _, d := range ds {
		res = append(res, summary{d.TemplateHash, d.Status, d.RolloutState, d.RunningCount, d.FailedTasks})
	}
	return res
}

func texts(ms []Message) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Text)
	}
	return strings.Join(s, "\n")
}

func TestPlan(t *testing.T) {
	breaker := &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true}
	noRollback := &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true}
	cases := []struct {
		name     string
		in       Input
		want     []summary
		run      string // hash of Out.Run ("" for nil)
		steady   bool
		stops    int
		messages []string // substrings of the new messages, in order
		// fresh: no event yet (otherwise an earlier "started" event, so
		// that the tasks already there are not reported as started).
		fresh bool
	}{{
		name: "first deployment completes once every task is available", fresh: true,
		in:   Input{Desired: 2, Want: target("h1", 1), Pods: pods("h1", 2), Workload: available("h1", 2)},
		want: []summary{{"h1", "PRIMARY", "COMPLETED", 2, 0}}, run: "h1", steady: true,
		messages: []string{"has started 2 tasks: (task h1uid0) (task h1uid1).", "(deployment ecs-svc/h1) deployment completed.", "has reached a steady state."},
	}, {
		name: "first deployment in progress until the Deployment reports the tasks available; steady (services-stable) once they run",
		in:   Input{Desired: 2, Want: target("h1", 1), Pods: pods("h1", 2), Workload: Workload{Exists: true, Hash: "h1", Observed: true, Replicas: 2, Updated: 2, Available: 1}},
		want: []summary{{"h1", "PRIMARY", "IN_PROGRESS", 2, 0}}, run: "h1", steady: true,
	}, {
		name: "not steady while a task is not running",
		in: Input{Desired: 2, Want: target("h1", 1), Pods: append(pods("h1", 1), pods("h1p", 1, func(p *corev1.Pod) {
			p.Annotations[ecsv1alpha1.AnnotationTemplateHash] = "h1"
			p.Status.Phase = corev1.PodPending
		})...), Workload: Workload{Exists: true, Hash: "h1", Observed: true, Replicas: 2, Updated: 2, Available: 1}},
		want: []summary{{"h1", "PRIMARY", "IN_PROGRESS", 1, 0}}, run: "h1",
	}, {
		name: "a scale-out of a COMPLETED deployment is steady as soon as running == desired, before the new tasks are healthy",
		in: Input{Desired: 3, Want: target("h1", 1), Previous: []ecsv1alpha1.ServiceDeployment{dep("h1", "PRIMARY", "COMPLETED", 1)},
			Pods: pods("h1", 3), Workload: Workload{Exists: true, Hash: "h1", Observed: true, Replicas: 3, Updated: 3, Available: 2}},
		want: []summary{{"h1", "PRIMARY", "COMPLETED", 3, 0}}, run: "h1", steady: true,
	}, {
		name: "a new revision starts a deployment; the old one stays ACTIVE while it runs tasks",
		in: Input{Desired: 2, Want: target("h2", 2), Previous: []ecsv1alpha1.ServiceDeployment{dep("h1", "PRIMARY", "COMPLETED", 1)},
			Pods: append(pods("h1", 2), pods("h2", 1)...), Workload: available("h1", 2)},
		want: []summary{{"h2", "PRIMARY", "IN_PROGRESS", 1, 0}, {"h1", "ACTIVE", "COMPLETED", 2, 0}}, run: "h2",
	}, {
		name: "the old deployment drained: INACTIVE and dropped once the new one completed",
		in: Input{Desired: 2, Want: target("h2", 2),
			Previous: []ecsv1alpha1.ServiceDeployment{dep("h2", "PRIMARY", "IN_PROGRESS", 2), dep("h1", "ACTIVE", "COMPLETED", 1)},
			Pods:     pods("h2", 2), Workload: available("h2", 2)},
		want: []summary{{"h2", "PRIMARY", "COMPLETED", 2, 0}}, run: "h2", steady: true,
	}, {
		name: "failed tasks are stopped and counted below the threshold",
		in: Input{Desired: 10, Breaker: breaker, Want: target("h2", 2),
			Previous: []ecsv1alpha1.ServiceDeployment{dep("h2", "PRIMARY", "IN_PROGRESS", 2), dep("h1", "ACTIVE", "COMPLETED", 1)},
			Pods:     append(pods("h1", 10), pods("h2", 4, failed)...), Workload: available("h1", 10)},
		want: []summary{{"h2", "PRIMARY", "IN_PROGRESS", 0, 4}, {"h1", "ACTIVE", "COMPLETED", 10, 0}}, run: "h2", stops: 4,
		messages: []string{"has stopped 4 running tasks: (task h2uid0) (task h2uid1) (task h2uid2) (task h2uid3)."},
	}, {
		name: "the breaker trips at the threshold and rolls back to the last COMPLETED deployment",
		in: Input{Desired: 10, Breaker: breaker, Want: target("h2", 2),
			Previous: []ecsv1alpha1.ServiceDeployment{withFailed(dep("h2", "PRIMARY", "IN_PROGRESS", 2), 4), dep("h1", "ACTIVE", "COMPLETED", 1)},
			Pods:     append(pods("h1", 10), pods("h2", 1, failed)...), Workload: available("h2", 10)},
		want: []summary{{"h1", "PRIMARY", "IN_PROGRESS", 10, 0}, {"h2", "INACTIVE", "FAILED", 0, 5}}, run: "h1", stops: 1, steady: true,
		messages: []string{"has stopped 1 running tasks", "(deployment ecs-svc/h2) deployment failed: tasks failed to start.", "(deployment ecs-svc/h2) rolling back to deployment ecs-svc/h1."},
	}, {
		name: "a deployment replaced while steady but not yet COMPLETED is the rollback target: its tasks keep serving",
		in: Input{Desired: 10, Breaker: breaker, Want: target("h2", 2),
			Previous: []ecsv1alpha1.ServiceDeployment{withFailed(dep("h2", "PRIMARY", "IN_PROGRESS", 2), 4), dep("h1", "ACTIVE", "IN_PROGRESS", 1)},
			Pods:     append(pods("h1", 10), pods("h2", 1, failed)...), Workload: available("h2", 10)},
		want: []summary{{"h1", "PRIMARY", "IN_PROGRESS", 10, 0}, {"h2", "INACTIVE", "FAILED", 0, 5}}, run: "h1", stops: 1, steady: true,
		messages: []string{"has stopped 1 running tasks", "(deployment ecs-svc/h2) deployment failed: tasks failed to start.", "(deployment ecs-svc/h2) rolling back to deployment ecs-svc/h1."},
	}, {
		name: "without rollback the failed deployment stays PRIMARY and the old tasks keep running",
		in: Input{Desired: 10, Breaker: noRollback, Want: target("h2", 2),
			Previous: []ecsv1alpha1.ServiceDeployment{withFailed(dep("h2", "PRIMARY", "IN_PROGRESS", 2), 4), dep("h1", "ACTIVE", "COMPLETED", 1)},
			Pods:     append(pods("h1", 10), pods("h2", 1, failed)...), Workload: available("h2", 10)},
		want: []summary{{"h2", "PRIMARY", "FAILED", 0, 5}, {"h1", "ACTIVE", "COMPLETED", 10, 0}}, run: "h1", stops: 1,
		messages: []string{"has stopped 1 running tasks", "deployment failed: tasks failed to start."},
	}, {
		name: "a failed first deployment runs nothing",
		in: Input{Desired: 4, Breaker: breaker, Want: target("h1", 1),
			Previous: []ecsv1alpha1.ServiceDeployment{withFailed(dep("h1", "PRIMARY", "IN_PROGRESS", 1), 2)},
			Pods:     pods("h1", 1, failed)},
		want: []summary{{"h1", "PRIMARY", "FAILED", 0, 3}}, run: "", stops: 1,
	}, {
		name: "after the rollback the spec still asks for the failed deployment: it is not retried",
		in: Input{Desired: 2, Breaker: breaker, Want: target("h2", 2),
			Previous: []ecsv1alpha1.ServiceDeployment{dep("h1", "PRIMARY", "IN_PROGRESS", 1), withFailed(dep("h2", "INACTIVE", "FAILED", 2), 3)},
			Pods:     pods("h1", 2), Workload: available("h1", 2)},
		want: []summary{{"h1", "PRIMARY", "COMPLETED", 2, 0}, {"h2", "INACTIVE", "FAILED", 0, 3}}, run: "h1", steady: true,
	}, {
		name: "a task that became healthy after the last failure resets the count",
		in: Input{Desired: 4, Breaker: breaker, Want: target("h2", 2),
			Previous: []ecsv1alpha1.ServiceDeployment{withFailed(dep("h2", "PRIMARY", "IN_PROGRESS", 2), 2)},
			Pods:     pods("h2", 1, readyAt(t0.Add(-time.Minute))), Workload: available("h2", 1)},
		want: []summary{{"h2", "PRIMARY", "IN_PROGRESS", 1, 0}}, run: "h2",
	}, {
		name: "without a breaker failures are counted and reported, the deployment goes on",
		in: Input{Desired: 2, Want: target("h2", 2),
			Previous: []ecsv1alpha1.ServiceDeployment{withFailed(dep("h2", "PRIMARY", "IN_PROGRESS", 2), 2)},
			Pods:     pods("h2", 1, failed)},
		want: []summary{{"h2", "PRIMARY", "IN_PROGRESS", 0, 3}}, run: "h2", stops: 1,
		messages: []string{"has stopped 1 running tasks", "is unable to consistently start tasks successfully."},
	}, {
		name: "percentages that allow no step are reported as ECS reports them",
		in: Input{Desired: 1, Deadlock: true, Want: target("h2", 2),
			Previous: []ecsv1alpha1.ServiceDeployment{dep("h1", "PRIMARY", "COMPLETED", 1)},
			Pods:     pods("h1", 1), Workload: Workload{Exists: true, Hash: "h2", Observed: true, Replicas: 1, Available: 1}},
		want: []summary{{"h2", "PRIMARY", "IN_PROGRESS", 0, 0}, {"h1", "ACTIVE", "COMPLETED", 1, 0}}, run: "h2",
		messages: []string{"was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.Service, c.in.Now = "web", t0
			if !c.fresh {
				c.in.Events = []ecsv1alpha1.ServiceEvent{{Message: "service web has started 0 tasks: .", CreatedAt: metav1.NewTime(t0.Add(-time.Minute))}}
			}
			out := Plan(c.in)
			if got := summarize(out.Deployments); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("deployments = %+v\nwant %+v", got, c.want)
			}
			run := ""
			if out.Run != nil {
				run = out.Run.TemplateHash
			}
			if run != c.run {
				t.Errorf("run = %q, want %q", run, c.run)
			}
			if out.Steady != c.steady {
				t.Errorf("steady = %v, want %v", out.Steady, c.steady)
			}
			if len(out.Stops) != c.stops {
				t.Errorf("stops = %d, want %d", len(out.Stops), c.stops)
			}
			got := texts(out.Messages)
			rest := got
			for _, m := range c.messages {
				i := strings.Index(rest, m)
				if i < 0 {
					t.Fatalf("messages do not contain %q (in order):\n%s", m, got)
				}
				rest = rest[i+len(m):]
			}
			// Deterministic: the same input plans the same output.
			if again := Plan(c.in); !reflect.DeepEqual(again.Deployments, out.Deployments) || texts(again.Messages) != got {
				t.Errorf("Plan is not deterministic")
			}
		})
	}
}

func withFailed(d ecsv1alpha1.ServiceDeployment, n int32) ecsv1alpha1.ServiceDeployment {
	d.FailedTasks = n
	return d
}

// A task whose stop was recorded (its deletion then failed) is stopped
// again but not counted twice.
func TestPlanCountsAStoppedTaskOnce(t *testing.T) {
	in := Input{Service: "web", Desired: 10, Now: t0, Want: target("h2", 2),
		Previous: []ecsv1alpha1.ServiceDeployment{withFailed(dep("h2", "PRIMARY", "IN_PROGRESS", 2), 1)},
		Events:   []ecsv1alpha1.ServiceEvent{{Message: "service web has stopped 1 running tasks: (task h2uid0).", CreatedAt: metav1.NewTime(t0)}},
		Pods:     pods("h2", 1, failed)}
	out := Plan(in)
	if len(out.Stops) != 1 || out.Deployments[0].FailedTasks != 1 {
		t.Fatalf("stops = %d, failedTasks = %d; want 1 and 1", len(out.Stops), out.Deployments[0].FailedTasks)
	}
}

// The circuit breaker's threshold: half the desired count, rounded up,
// bounded to 3..200 (ecs-semantics.md §1.14).
func TestThreshold(t *testing.T) {
	for desired, want := range map[int32]int32{0: 3, 1: 3, 5: 3, 6: 3, 7: 4, 10: 5, 25: 13, 399: 200, 400: 200, 10000: 200} {
		if got := Threshold(desired); got != want {
			t.Errorf("Threshold(%d) = %d, want %d", desired, got, want)
		}
	}
}

func TestRecord(t *testing.T) {
	steady := Message{Reason: ReasonSteadyState, Text: "service web has reached a steady state."}
	stop := Message{Reason: ReasonTaskStopped, Text: "service web has stopped 1 running tasks: (task a)."}
	start := Message{Reason: ReasonTaskStarted, Text: "service web has started 1 tasks: (task b)."}

	events, added := Record(nil, []Message{steady}, "uid", t0)
	if len(events) != 1 || len(added) != 1 {
		t.Fatalf("first steady state: %d events, %d added", len(events), len(added))
	}
	// The steady-state message is not repeated while it is the newest event.
	events, added = Record(events, []Message{steady}, "uid", t0.Add(time.Minute))
	if len(events) != 1 || len(added) != 0 {
		t.Fatalf("repeated steady state: %d events, %d added", len(events), len(added))
	}
	// After other events it is recorded again; the newest comes first.
	events, _ = Record(events, []Message{stop, start, steady}, "uid", t0.Add(2*time.Minute))
	if len(events) != 4 || events[0].Message != steady.Text || events[2].Message != stop.Text {
		t.Fatalf("events = %+v", events)
	}
	// An identical message since the last steady state is suppressed...
	events, added = Record(events, []Message{{Text: "service web is unable to consistently start tasks successfully."}}, "uid", t0.Add(3*time.Minute))
	_, again := Record(events, []Message{{Text: "service web is unable to consistently start tasks successfully."}}, "uid", t0.Add(4*time.Minute))
	if len(added) != 1 || len(again) != 0 {
		t.Fatalf("duplicate: added %d then %d", len(added), len(again))
	}
	// ... and repeated after six hours.
	_, later := Record(events, []Message{{Text: "service web is unable to consistently start tasks successfully."}}, "uid", t0.Add(7*time.Hour))
	if len(later) != 1 {
		t.Fatalf("after 6 h: added %d", len(later))
	}
	// IDs are unique and the log keeps the newest 100.
	seen := map[string]bool{}
	for i := range 150 {
		events, _ = Record(events, []Message{{Text: fmt.Sprintf("service web has stopped 1 running tasks: (task %d).", i)}}, "uid", t0.Add(time.Duration(i)*time.Second))
	}
	if len(events) != MaxEvents || !strings.Contains(events[0].Message, "(task 149)") {
		t.Fatalf("%d events, newest %q", len(events), events[0].Message)
	}
	for _, e := range events {
		if seen[e.ID] {
			t.Fatalf("duplicate id %s", e.ID)
		}
		seen[e.ID] = true
	}
}

// A task the scheduler cannot place gives ECS's event at once, unless its
// capacity providers make capacity: then it waits in PROVISIONING for the
// provisioning grace first.
func TestUnplacedWaitsForProvisioning(t *testing.T) {
	unschedulable := func(since time.Time) podOpt {
		return func(p *corev1.Pod) {
			p.Spec.NodeName = ""
			p.Status.Phase = corev1.PodPending
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
				Message: "0/3 nodes are available: 3 Insufficient cpu.", LastTransitionTime: metav1.NewTime(since)}}
		}
	}
	in := Input{Service: "web", Desired: 1, Now: t0, Want: target("h1", 1), Pods: pods("h1", 1, unschedulable(t0.Add(-10*time.Second)))}
	if got := texts(Plan(in).Messages); !strings.Contains(got, "was unable to place a task because no container instance met all of its requirements. Reason: 0/3 nodes are available: 3 Insufficient cpu.") {
		t.Errorf("no provisioner: messages %q", got)
	}
	in.Provisioning = time.Minute
	out := Plan(in)
	if strings.Contains(texts(out.Messages), "unable to place") || out.Recheck != 50*time.Second {
		t.Errorf("provisioning: messages %q, recheck %v; want none yet and a recheck in 50s", texts(out.Messages), out.Recheck)
	}
	in.Now = t0.Add(time.Minute)
	if got := texts(Plan(in).Messages); !strings.Contains(got, "unable to place") {
		t.Errorf("after the grace: messages %q", got)
	}
}

// The ReplicaSet controller creates a step's pods in slow-start batches:
// "has started" waits until no new task appeared for startQuiet (or the
// deployment has all its tasks), then names every task in one event; a
// decision too large for one message is split, each part with its own
// count.
func TestStartedIsOneEventPerDecision(t *testing.T) {
	created := func(at time.Time) podOpt {
		return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(at) }
	}
	in := Input{Service: "web", Desired: 12, Now: t0, Want: target("h1", 1),
		Pods: append(pods("a", 1, created(t0.Add(-3*time.Second))), pods("b", 11, created(t0.Add(-time.Second)))...)}
	out := Plan(in)
	if got := texts(out.Messages); strings.Contains(got, "has started") {
		t.Errorf("a task appeared 1 s ago, yet: %s", got)
	}
	if out.Recheck <= 0 || out.Recheck > startQuiet {
		t.Errorf("recheck = %v, want within %v", out.Recheck, startQuiet)
	}
	in.Now = t0.Add(time.Second)
	out = Plan(in)
	var started []string
	for _, m := range out.Messages {
		if m.Reason == ReasonTaskStarted {
			started = append(started, m.Text)
		}
	}
	if len(started) != 1 || !strings.HasPrefix(started[0], "service web has started 12 tasks: (task auid0) (task buid0) (task buid1) (task buid10)") ||
		strings.Count(started[0], "(task ") != 12 {
		t.Errorf("want one event naming all 12 tasks, got %q", started)
	}

	// Once the deployment has a task for each desired one, no batch is to
	// come: its tasks are named at once.
	fresh := Input{Service: "web", Desired: 2, Now: t0, Want: target("h1", 1),
		Previous: []ecsv1alpha1.ServiceDeployment{dep("h1", "PRIMARY", "IN_PROGRESS", 2)},
		Pods:     pods("h1", 1, created(t0.Add(-time.Second)))}
	if got := texts(Plan(fresh).Messages); strings.Contains(got, "has started") {
		t.Errorf("1 of 2 tasks created 1 s ago, yet: %s", got)
	}
	fresh.Pods = pods("h1", 2, created(t0.Add(-time.Second)))
	if got := texts(Plan(fresh).Messages); !strings.Contains(got, "service web has started 2 tasks: (task h1uid0) (task h1uid1).") {
		t.Errorf("both tasks created, messages %q", got)
	}

	in.Pods = pods("c", 100, created(t0.Add(-time.Minute)))
	out = Plan(in)
	total := 0
	for _, m := range out.Messages {
		if m.Reason != ReasonTaskStarted {
			continue
		}
		if len(m.Text) > maxEventMessage {
			t.Errorf("a message of %d characters: the status holds %d", len(m.Text), maxEventMessage)
		}
		var n int
		if _, err := fmt.Sscanf(m.Text, "service web has started %d tasks:", &n); err != nil || n != strings.Count(m.Text, "(task ") {
			t.Errorf("count and ids disagree in %q", m.Text)
		}
		total += n
	}
	if total != 100 {
		t.Errorf("100 tasks started, the events name %d", total)
	}
}

// The old tasks a rolling deployment replaces (pods Kubernetes deletes)
// are reported as stopped, once.
func TestReplacedTasksAreReported(t *testing.T) {
	deleting := func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(t0)) }
	in := Input{Service: "web", Desired: 2, Now: t0, Want: target("h2", 2),
		Previous: []ecsv1alpha1.ServiceDeployment{dep("h2", "PRIMARY", "IN_PROGRESS", 2), dep("h1", "ACTIVE", "COMPLETED", 1)},
		Events:   []ecsv1alpha1.ServiceEvent{{Message: "service web has started 4 tasks: .", CreatedAt: metav1.NewTime(t0.Add(-time.Minute))}},
		Pods:     append(pods("h1", 2, deleting), pods("h2", 2)...), Workload: available("h2", 2)}
	out := Plan(in)
	want := "service web has stopped 2 running tasks: (task h1uid0) (task h1uid1)."
	if got := texts(out.Messages); !strings.Contains(got, want) {
		t.Errorf("messages lack %q:\n%s", want, got)
	}
	in.Events = append([]ecsv1alpha1.ServiceEvent{{Message: want, CreatedAt: metav1.NewTime(t0)}}, in.Events...)
	if got := texts(Plan(in).Messages); strings.Contains(got, "has stopped") {
		t.Errorf("reported twice: %s", got)
	}
}
