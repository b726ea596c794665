// Package health_test runs Berth's Argo CD health checks
// (argocd/ecs.berth.dev/<Kind>/health.lua) the way Argo CD runs them,
// against sample objects built from the API types, and checks that kstatus
// (what Flux and `kubectl wait`-style tooling read) agrees with them.
package health_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	taskctl "github.com/berth-dev/berth/controllers/task"
	"github.com/berth-dev/berth/internal/conditions"
)

var update = flag.Bool("update", false, "rewrite argocd-cm-patch.yaml from the health.lua files")

// Argo CD's health statuses.
const (
	healthy     = "Healthy"
	progressing = "Progressing"
	degraded    = "Degraded"
)

// kinds are Berth's kinds, as the scheme knows them (TestEveryKind).
var kinds = []string{"CapacityProvider", "Cluster", "MetricAlarm", "ScalableTarget", "Service", "Task", "TaskDefinition", "TaskDefinitionRevision"}

func scriptPath(kind string) string {
	return filepath.Join("argocd", ecsv1alpha1.GroupVersion.Group, kind, "health.lua")
}

func readScript(t *testing.T, kind string) string {
	t.Helper()
	b, err := os.ReadFile(scriptPath(kind))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// decodeValue converts an unstructured object to Lua values as Argo CD's
// util/lua does: JSON numbers (int64 or float64 in an Unstructured) become
// Lua numbers, arrays become sequences, objects tables, and an empty array
// and an empty object both become an empty table.
func decodeValue(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case json.Number:
		return lua.LString(v)
	case string:
		return lua.LString(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(l, item))
		}
		return tbl
	}
	return lua.LNil
}

// argoHealth runs a health script as Argo CD's VM.ExecuteHealthLua does for
// a script from argocd-cm (useOpenLibs false): only the package, base and
// table libraries (Argo CD adds a reduced os library, which the scripts do
// not use), a one-second deadline, the object as the global obj, and the
// returned table read as {status, message}; an unknown status is Unknown.
func argoHealth(script string, obj *unstructured.Unstructured) (string, string, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return "", "", err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", decodeValue(l, obj.Object))
	if err := l.DoString(script); err != nil {
		return "", "", err
	}
	tbl, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("expect table output from Lua script, not %s", l.Get(-1).Type())
	}
	st, ok := tbl.RawGetString("status").(lua.LString)
	if !ok {
		return "", "", fmt.Errorf("status is %s, not a string", tbl.RawGetString("status").Type())
	}
	var msg string
	switch m := tbl.RawGetString("message").(type) {
	case lua.LString:
		msg = string(m)
	case *lua.LNilType:
	default:
		return "", "", fmt.Errorf("message is %s, not a string", m.Type())
	}
	switch s := string(st); s {
	case healthy, progressing, degraded, "Suspended", "Missing", "Unknown":
		return s, msg, nil
	}
	return "Unknown", "Lua returned an invalid health status", nil
}

// sample is an object and the health Berth's check must give it.
type sample struct {
	name    string
	obj     runtime.Object
	health  string
	message string
	// kstatus, when set, is what kstatus computes where it differs from
	// the health (Healthy: Current, Progressing: InProgress, Degraded:
	// Failed); why says why.
	kstatus status.Status
	why     string
}

func meta(gen int64) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: "web", Namespace: "default", Generation: gen, UID: "0f3c6c9e-4d1b-4a55-9a3e-5b2f0b1d2c3a"}
}

// stat is the part of a status every kind has.
type stat struct {
	observed int64
	conds    []metav1.Condition
}

// newObject builds an object of a kind with a status.
func newObject(kind string, m metav1.ObjectMeta, s stat) runtime.Object {
	tm := metav1.TypeMeta{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: kind}
	switch kind {
	case "Cluster":
		return &ecsv1alpha1.Cluster{TypeMeta: tm, ObjectMeta: m, Status: ecsv1alpha1.ClusterStatus{ObservedGeneration: s.observed, Conditions: s.conds}}
	case "CapacityProvider":
		m.Namespace = ""
		return &ecsv1alpha1.CapacityProvider{TypeMeta: tm, ObjectMeta: m, Status: ecsv1alpha1.CapacityProviderStatus{ObservedGeneration: s.observed, Conditions: s.conds}}
	case "TaskDefinition":
		return &ecsv1alpha1.TaskDefinition{TypeMeta: tm, ObjectMeta: m, Status: ecsv1alpha1.TaskDefinitionStatus{ObservedGeneration: s.observed, Conditions: s.conds}}
	case "TaskDefinitionRevision":
		return &ecsv1alpha1.TaskDefinitionRevision{TypeMeta: tm, ObjectMeta: m, Status: ecsv1alpha1.TaskDefinitionRevisionStatus{ObservedGeneration: s.observed, Conditions: s.conds}}
	case "Service":
		return &ecsv1alpha1.Service{TypeMeta: tm, ObjectMeta: m, Status: ecsv1alpha1.ServiceStatus{ObservedGeneration: s.observed, Conditions: s.conds}}
	case "Task":
		return &ecsv1alpha1.Task{TypeMeta: tm, ObjectMeta: m, Status: ecsv1alpha1.TaskStatus{ObservedGeneration: s.observed, Conditions: s.conds}}
	case "ScalableTarget":
		return &ecsv1alpha1.ScalableTarget{TypeMeta: tm, ObjectMeta: m, Status: ecsv1alpha1.ScalableTargetStatus{ObservedGeneration: s.observed, Conditions: s.conds}}
	case "MetricAlarm":
		return &ecsv1alpha1.MetricAlarm{TypeMeta: tm, ObjectMeta: m, Status: ecsv1alpha1.MetricAlarmStatus{ObservedGeneration: s.observed, Conditions: s.conds}}
	}
	panic("unknown kind " + kind)
}

// summary is the conditions Berth's controllers set (internal/conditions).
func summary(gen int64, state conditions.State, reason, msg string) []metav1.Condition {
	var c []metav1.Condition
	conditions.Summarize(&c, gen, state, reason, msg)
	return c
}

func waiting(gen int64, msg string) []metav1.Condition {
	var c []metav1.Condition
	conditions.Waiting(&c, gen, msg)
	return c
}

// noStatus is a sample without status, as the API server returns an object
// its controller has not seen yet.
type noStatus struct{ runtime.Object }

// commonSamples are the states every kind goes through.
func commonSamples(kind string) []sample {
	const notRead = "Get \"https://10.96.0.1:443/api/v1/nodes\": context deadline exceeded"
	return []sample{
		{name: "no status yet", obj: noStatus{newObject(kind, meta(1), stat{})},
			health: progressing, message: "Waiting for Berth to observe generation 1",
			kstatus: status.CurrentStatus, why: "kstatus reads a missing status.observedGeneration and no conditions as a resource without status: Current"},
		{name: "empty status", obj: newObject(kind, meta(1), stat{}),
			health: progressing, message: "Waiting for Berth to observe generation 1",
			kstatus: status.CurrentStatus, why: "as with no status: observedGeneration 0 is omitted"},
		{name: "generation behind", obj: newObject(kind, meta(3), stat{2, summary(2, conditions.Ready, ecsv1alpha1.ReasonSucceeded, "was ready")}),
			health: progressing, message: "Waiting for Berth to observe generation 3"},
		{name: "waiting for a dependency", obj: newObject(kind, meta(2), stat{2, waiting(2, "The referenced cluster was inactive.")}),
			health: progressing, message: "The referenced cluster was inactive."},
		{name: "stalled", obj: newObject(kind, meta(2), stat{2, summary(2, conditions.Stalled, ecsv1alpha1.ReasonResourceNotOwned, "Deployment web exists and is not controlled by this object")}),
			health: degraded, message: "Deployment web exists and is not controlled by this object"},
		{name: "ready", obj: newObject(kind, meta(2), stat{2, summary(2, conditions.Ready, ecsv1alpha1.ReasonSucceeded, "ready message")}),
			health: healthy, message: "ready message"},
		{name: "ready unknown", obj: newObject(kind, meta(2), stat{2, func() []metav1.Condition {
			var c []metav1.Condition
			conditions.SetUnknown(&c, 2, ecsv1alpha1.ConditionReady, ecsv1alpha1.ReasonInternalError, notRead)
			return c
		}()}), health: progressing, message: notRead},
		{name: "ready false alone", obj: newObject(kind, meta(2), stat{2, func() []metav1.Condition {
			var c []metav1.Condition
			conditions.Set(&c, 2, ecsv1alpha1.ConditionReady, false, ecsv1alpha1.ReasonProgressing, "not ready yet")
			return c
		}()}), health: progressing, message: "not ready yet"},
		{name: "no Ready condition", obj: newObject(kind, meta(2), stat{2, func() []metav1.Condition {
			var c []metav1.Condition
			conditions.Set(&c, 2, ecsv1alpha1.ConditionFullySupported, true, ecsv1alpha1.ReasonSucceeded, "exact")
			return c
		}()}), health: progressing, message: "Waiting for Berth to report Ready",
			kstatus: status.CurrentStatus, why: "kstatus reads an object without Ready, Reconciling or Stalled as Current; Berth sets Ready with every status it writes"},
		// A read error after a Progressing summary (SetUnknown keeps
		// Reconciling): Reconciling's message, as kstatus reports it.
		{name: "reconciling, ready unknown", obj: newObject(kind, meta(2), stat{2, func() []metav1.Condition {
			c := summary(2, conditions.Progressing, ecsv1alpha1.ReasonProgressing, "scaling up")
			conditions.SetUnknown(&c, 2, ecsv1alpha1.ConditionReady, ecsv1alpha1.ReasonInternalError, notRead)
			return c
		}()}), health: progressing, message: "scaling up"},
	}
}

// stoppedTask is a STOPPED task as the task controller leaves it: Ready
// when it ended as asked, Stalled when it failed (taskctl.Failed decides,
// and says the detail the message then carries).
func stoppedTask(code ecsv1alpha1.TaskStopCode, reason string, containers ...ecsv1alpha1.ContainerStatus) *ecsv1alpha1.Task {
	t := &ecsv1alpha1.Task{}
	t.Status.StopCode, t.Status.StoppedReason, t.Status.Containers = code, reason, containers
	msg := fmt.Sprintf("The task is STOPPED (%s: %s)", code, reason)
	state := conditions.Ready
	if failed, detail := taskctl.Failed(t); failed {
		state = conditions.Stalled
		if detail != "" {
			msg += "; " + detail
		}
	}
	t = newObject("Task", meta(1), stat{1, summary(1, state, ecsv1alpha1.ReasonTaskStopped, msg)}).(*ecsv1alpha1.Task)
	t.Status.LastStatus, t.Status.DesiredStatus = ecsv1alpha1.TaskStopped, ecsv1alpha1.TaskStopped
	t.Status.StopCode, t.Status.StoppedReason = code, reason
	t.Status.Containers = containers
	return t
}

func container(name string, essential *bool, exit *int32) ecsv1alpha1.ContainerStatus {
	return ecsv1alpha1.ContainerStatus{Name: name, LastStatus: ecsv1alpha1.TaskStopped, Essential: essential, ExitCode: exit}
}

// kindSamples are the states particular to a kind.
func kindSamples(kind string) []sample {
	const exited = "Essential container in task exited"
	switch kind {
	case "Service":
		rolling := newObject(kind, meta(2), stat{2, summary(2, conditions.Progressing, ecsv1alpha1.ReasonRolloutInProgress,
			"service web has 1 of 3 tasks running the requested revision")}).(*ecsv1alpha1.Service)
		failed := newObject(kind, meta(2), stat{2, summary(2, conditions.Stalled, ecsv1alpha1.ReasonDeploymentFailed,
			"ECS deployment circuit breaker: tasks failed to start.")}).(*ecsv1alpha1.Service)
		// Deleting an object bumps its generation; the drain does not
		// move status.observedGeneration.
		draining := newObject(kind, meta(3), stat{2, summary(3, conditions.Progressing, "Draining",
			"service web is DRAINING: 2 tasks stopping")}).(*ecsv1alpha1.Service)
		draining.DeletionTimestamp = ptr.To(metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
		draining.Finalizers = []string{"ecs.berth.dev/drain"}
		draining.Status.Status = ecsv1alpha1.ServiceDraining
		return []sample{
			{name: "rollout in progress", obj: rolling, health: progressing, message: "service web has 1 of 3 tasks running the requested revision"},
			{name: "deployment failed", obj: failed, health: degraded, message: "ECS deployment circuit breaker: tasks failed to start."},
			{name: "DRAINING", obj: draining, health: progressing, message: "The service is DRAINING: its tasks are stopping",
				kstatus: status.TerminatingStatus, why: "kstatus reports any object with a deletionTimestamp Terminating"},
		}
	case "Task":
		pending := newObject(kind, meta(1), stat{1, summary(1, conditions.Progressing, ecsv1alpha1.ReasonTaskPending,
			"The task is PENDING (pod web is Pending)")}).(*ecsv1alpha1.Task)
		pending.Status.LastStatus = ecsv1alpha1.TaskPending
		running := newObject(kind, meta(1), stat{1, summary(1, conditions.Ready, ecsv1alpha1.ReasonTaskRunning, "The task is RUNNING")}).(*ecsv1alpha1.Task)
		running.Status.LastStatus = ecsv1alpha1.TaskRunning
		stopping := newObject(kind, meta(2), stat{2, summary(2, conditions.Progressing, ecsv1alpha1.ReasonTaskPending,
			"The task is STOPPING (pod web is Running)")}).(*ecsv1alpha1.Task)
		stopping.Status.LastStatus, stopping.Status.DesiredStatus = ecsv1alpha1.TaskStopping, ecsv1alpha1.TaskStopped
		yes, no := ptr.To(true), ptr.To(false)
		ok := "The task is STOPPED (EssentialContainerExited: " + exited + ")"
		return []sample{
			{name: "PENDING", obj: pending, health: progressing, message: "The task is PENDING (pod web is Pending)"},
			{name: "RUNNING", obj: running, health: healthy, message: "The task is RUNNING"},
			{name: "STOPPING", obj: stopping, health: progressing, message: "The task is STOPPING (pod web is Running)"},
			{name: "STOPPED, essential containers exited 0",
				obj:    stoppedTask(ecsv1alpha1.StopCodeEssentialContainerExited, exited, container("app", yes, ptr.To[int32](0)), container("log-router", no, ptr.To[int32](137))),
				health: healthy, message: ok},
			{name: "STOPPED, essential defaults to true",
				obj:    stoppedTask(ecsv1alpha1.StopCodeEssentialContainerExited, exited, container("app", nil, ptr.To[int32](0))),
				health: healthy, message: ok},
			{name: "STOPPED, essential container exited 1",
				obj:    stoppedTask(ecsv1alpha1.StopCodeEssentialContainerExited, exited, container("log-router", no, ptr.To[int32](0)), container("app", yes, ptr.To[int32](1))),
				health: degraded, message: ok + "; essential container app exit code: 1"},
			{name: "STOPPED, essential container without exit code",
				obj:    stoppedTask(ecsv1alpha1.StopCodeEssentialContainerExited, exited, container("app", nil, nil)),
				health: degraded, message: ok + "; essential container app exit code: none"},
			{name: "STOPPED, no essential container",
				obj:    stoppedTask(ecsv1alpha1.StopCodeEssentialContainerExited, exited, container("app", no, ptr.To[int32](0))),
				health: degraded, message: ok + "; no essential container"},
			{name: "STOPPED, failed to start",
				obj:    stoppedTask(ecsv1alpha1.StopCodeTaskFailedToStart, "CannotPullContainerError: pull image manifest has been retried 5 time(s)", container("app", yes, nil)),
				health: degraded, message: "The task is STOPPED (TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 5 time(s))",
			},
			{name: "STOPPED by the user",
				obj:    stoppedTask(ecsv1alpha1.StopCodeUserInitiated, "Scaling down", container("app", yes, ptr.To[int32](143))),
				health: healthy, message: "The task is STOPPED (UserInitiated: Scaling down)"},
			{name: "STOPPED by a Spot interruption",
				obj:    stoppedTask(ecsv1alpha1.StopCodeSpotInterruption, "Your Spot Task was interrupted.", container("app", yes, ptr.To[int32](143))),
				health: degraded, message: "The task is STOPPED (SpotInterruption: Your Spot Task was interrupted.)"},
		}
	case "TaskDefinition":
		return []sample{
			{name: "registered", obj: newObject(kind, meta(4), stat{4, summary(4, conditions.Ready, "RevisionRegistered", "Registered as web:4 (4 ACTIVE revisions)")}),
				health: healthy, message: "Registered as web:4 (4 ACTIVE revisions)"},
			{name: "invalid", obj: newObject(kind, meta(4), stat{4, summary(4, conditions.Stalled, ecsv1alpha1.ReasonInvalidTaskDefinition, "Container dependency cycle: app -> db -> app")}),
				health: degraded, message: "Container dependency cycle: app -> db -> app"},
		}
	case "TaskDefinitionRevision":
		inactive := newObject(kind, meta(1), stat{1, summary(1, conditions.Ready, "Inactive",
			"The revision is INACTIVE: running services keep it, but it cannot be newly used")}).(*ecsv1alpha1.TaskDefinitionRevision)
		inactive.Status.Status = ecsv1alpha1.TaskDefinitionInactive
		return []sample{{name: "INACTIVE", obj: inactive, health: healthy, message: "The revision is INACTIVE: running services keep it, but it cannot be newly used"}}
	case "ScalableTarget":
		return []sample{
			{name: "scaling inactive", obj: newObject(kind, meta(1), stat{1, summary(1, conditions.Progressing, ecsv1alpha1.ReasonScalingInactive,
				"HorizontalPodAutoscaler web: FailedGetResourceMetric: no metrics returned")}),
				health: progressing, message: "HorizontalPodAutoscaler web: FailedGetResourceMetric: no metrics returned"},
			{name: "service not found", obj: newObject(kind, meta(1), stat{1, waiting(1, "ECS service doesn't exist: service/default/web")}),
				health: progressing, message: "ECS service doesn't exist: service/default/web"},
		}
	case "MetricAlarm":
		const breach = "ALARM: Threshold Crossed: 2 datapoints [80.0, 80.0] were greater than the threshold (70.0)."
		inAlarm := newObject(kind, meta(1), stat{1, summary(1, conditions.Ready, ecsv1alpha1.ReasonAlarmEvaluated, breach)}).(*ecsv1alpha1.MetricAlarm)
		inAlarm.Status.StateValue = ecsv1alpha1.AlarmStateAlarm
		return []sample{
			{name: "in ALARM", obj: inAlarm, health: healthy, message: breach},
			{name: "waiting for the first datapoint", obj: newObject(kind, meta(1), stat{1, summary(1, conditions.Progressing, ecsv1alpha1.ReasonWaitingForData,
				"Waiting for the alarm's first datapoint: the metric has no value yet")}),
				health: progressing, message: "Waiting for the alarm's first datapoint: the metric has no value yet"},
			{name: "duplicate name", obj: newObject(kind, meta(1), stat{1, summary(1, conditions.Stalled, ecsv1alpha1.ReasonDuplicateAlarmName,
				`spec.alarmName: an alarm named "web-cpu" already exists`)}),
				health: degraded, message: `spec.alarmName: an alarm named "web-cpu" already exists`},
		}
	case "Cluster":
		return []sample{{name: "waiting for a capacity provider", obj: newObject(kind, meta(1), stat{1, waiting(1,
			"The specified capacity provider does not exist: spot (no CapacityProvider objects spot)")}),
			health: progressing, message: "The specified capacity provider does not exist: spot (no CapacityProvider objects spot)"}}
	case "CapacityProvider":
		return []sample{{name: "ACTIVE", obj: newObject(kind, meta(1), stat{1, summary(1, conditions.Ready, ecsv1alpha1.ReasonSucceeded, "ACTIVE with 2 of 2 nodes Ready")}),
			health: healthy, message: "ACTIVE with 2 of 2 nodes Ready"}}
	}
	return nil
}

func samples(kind string) []sample {
	return append(commonSamples(kind), kindSamples(kind)...)
}

// unstructuredOf marshals a typed object to JSON and reads it back as Argo
// CD's cluster cache and kstatus see it (integers as int64).
func unstructuredOf(t *testing.T, obj runtime.Object) *unstructured.Unstructured {
	t.Helper()
	ns, drop := obj.(noStatus)
	if drop {
		obj = ns.Object
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if drop {
		unstructured.RemoveNestedField(u.Object, "status")
	}
	return u
}

func kstatusOf(health string) status.Status {
	return map[string]status.Status{healthy: status.CurrentStatus, progressing: status.InProgressStatus, degraded: status.FailedStatus}[health]
}

// TestHealth runs every kind's health.lua against its samples, and kstatus
// against the same objects.
func TestHealth(t *testing.T) {
	for _, kind := range kinds {
		script := readScript(t, kind)
		for _, s := range samples(kind) {
			t.Run(kind+"/"+s.name, func(t *testing.T) {
				u := unstructuredOf(t, s.obj)
				health, msg, err := argoHealth(script, u)
				if err != nil {
					t.Fatalf("health.lua: %v", err)
				}
				if health != s.health || msg != s.message {
					t.Errorf("health.lua = %s %q, want %s %q", health, msg, s.health, s.message)
				}
				res, err := status.Compute(u.DeepCopy())
				if err != nil {
					t.Fatal(err)
				}
				want := kstatusOf(s.health)
				if s.kstatus != "" {
					if s.kstatus == want || s.why == "" {
						t.Fatalf("sample lists kstatus %s as an exception (why %q), but %s is what %s maps to", s.kstatus, s.why, want, s.health)
					}
					want = s.kstatus
				}
				if res.Status != want {
					t.Errorf("kstatus = %s (%s), want %s", res.Status, res.Message, want)
				}
			})
		}
	}
}

// TestEveryKind checks there is one health.lua per kind of the API, and
// no other.
func TestEveryKind(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := ecsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	var api []string
	for gvk := range scheme.AllKnownTypes() {
		if gvk.GroupVersion() == ecsv1alpha1.GroupVersion && !strings.HasSuffix(gvk.Kind, "List") && scheme.Recognizes(gvk.GroupVersion().WithKind(gvk.Kind+"List")) {
			api = append(api, gvk.Kind)
		}
	}
	slices.Sort(api)
	if !slices.Equal(api, kinds) {
		t.Errorf("API kinds %v, health checks for %v", api, kinds)
	}
	dirs, err := os.ReadDir(filepath.Join("argocd", ecsv1alpha1.GroupVersion.Group))
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, d := range dirs {
		have = append(have, d.Name())
	}
	if !slices.Equal(have, kinds) {
		t.Errorf("directories %v, want %v", have, kinds)
	}
}

const (
	beginCommon = "-- BEGIN berth common"
	endCommon   = "-- END berth common\n"
)

// split cuts a script into the part before the common block, the block,
// and the rest.
func split(t *testing.T, kind, script string) (string, string, string) {
	t.Helper()
	i, j := strings.Index(script, beginCommon), strings.Index(script, endCommon)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q block", scriptPath(kind), beginCommon, endCommon)
	}
	j += len(endCommon)
	return script[:i], script[i:j], script[j:]
}

// TestCommonPartIdentical checks the shared logic is the same in every
// script: each one is loaded alone, so it is copied.
func TestCommonPartIdentical(t *testing.T) {
	_, first, _ := split(t, kinds[0], readScript(t, kinds[0]))
	for _, kind := range kinds[1:] {
		if _, common, _ := split(t, kind, readScript(t, kind)); common != first {
			t.Errorf("%s: the common block differs from %s's", scriptPath(kind), scriptPath(kinds[0]))
		}
	}
}

// TestEveryBranchMatters deletes each return statement in turn (in the
// common block of every script at once, or in one kind's own part) and
// checks that some sample then gets another health: no branch is untested.
func TestEveryBranchMatters(t *testing.T) {
	scripts := map[string][3]string{}
	for _, kind := range kinds {
		head, common, tail := split(t, kind, readScript(t, kind))
		scripts[kind] = [3]string{head, common, tail}
	}
	// detected reports whether some sample of the kinds fails when part
	// (0 head, 1 common, 2 tail) of their scripts is mutated.
	detected := func(ks []string, part int, mutate func(string) string) bool {
		for _, kind := range ks {
			p := scripts[kind]
			p[part] = mutate(p[part])
			script := strings.Join(p[:], "")
			for _, s := range samples(kind) {
				health, msg, err := argoHealth(script, unstructuredOf(t, s.obj))
				if err != nil || health != s.health || msg != s.message {
					return true
				}
			}
		}
		return false
	}
	check := func(where string, ks []string, part int, text string) {
		lines := strings.SplitAfter(text, "\n")
		for i, line := range lines {
			if !strings.HasPrefix(strings.TrimSpace(line), "return") {
				continue
			}
			mutate := func(string) string {
				return strings.Join(slices.Concat(lines[:i], lines[i+1:]), "")
			}
			if !detected(ks, part, mutate) {
				t.Errorf("%s: no sample fails without %q", where, strings.TrimSpace(line))
			}
		}
	}
	check("common block", kinds, 1, scripts[kinds[0]][1])
	for _, kind := range kinds {
		check(scriptPath(kind), []string{kind}, 2, scripts[kind][2])
	}
}

const patchPath = "argocd-cm-patch.yaml"

// cmPatch renders argocd-cm-patch.yaml: every script as an argocd-cm key.
func cmPatch(t *testing.T) string {
	var b strings.Builder
	b.WriteString("# Berth's Argo CD health checks as argocd-cm keys, generated from\n" +
		"# argocd/ecs.berth.dev/<Kind>/health.lua (go test ./docs/health -update).\n" +
		"# kubectl -n argocd patch configmap argocd-cm --patch-file argocd-cm-patch.yaml\n" +
		"data:\n")
	for _, kind := range kinds {
		fmt.Fprintf(&b, "  resource.customizations.health.%s_%s: |\n", ecsv1alpha1.GroupVersion.Group, kind)
		for _, line := range strings.SplitAfter(readScript(t, kind), "\n") {
			if strings.TrimSpace(line) == "" {
				b.WriteString(strings.TrimLeft(line, " \t"))
				continue
			}
			b.WriteString("    " + line)
		}
	}
	return b.String()
}

// TestConfigMapPatch checks argocd-cm-patch.yaml carries the scripts as
// they are.
func TestConfigMapPatch(t *testing.T) {
	want := cmPatch(t)
	if *update {
		if err := os.WriteFile(patchPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(patchPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is out of date: go test ./docs/health -update", patchPath)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(got, &cm); err != nil {
		t.Fatal(err)
	}
	for _, kind := range kinds {
		key := "resource.customizations.health." + ecsv1alpha1.GroupVersion.Group + "_" + kind
		if cm.Data[key] != readScript(t, kind) {
			t.Errorf("%s: data[%s] is not %s", patchPath, key, scriptPath(kind))
		}
	}
	if len(cm.Data) != len(kinds) {
		t.Errorf("%s has %d keys, want %d", patchPath, len(cm.Data), len(kinds))
	}
}
