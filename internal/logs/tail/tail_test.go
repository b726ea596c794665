package tail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/logs/pattern"
)

// t0 is when the test's logs begin.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// at is t0 plus ms milliseconds.
func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

type entry struct {
	t   time.Time
	msg string
}

// fakeLogs is the kubelet: each container's lines, written with their
// timestamps from since on, as pods/log does.
type fakeLogs struct {
	mu    sync.Mutex
	lines map[string][]entry // "pod/container"
	errs  map[string]error
	// calls are the reads, "pod/container since", since "-" when unset.
	calls []string
}

func (f *fakeLogs) add(key string, t time.Time, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lines == nil {
		f.lines = map[string][]entry{}
	}
	f.lines[key] = append(f.lines[key], entry{t, msg})
}

func (f *fakeLogs) ReadLog(_ context.Context, _, pod, container string, since *time.Time) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := pod + "/" + container
	s := "-"
	if since != nil {
		s = since.UTC().Format(time.RFC3339Nano)
	}
	f.calls = append(f.calls, key+" "+s)
	if err := f.errs[key]; err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, e := range f.lines[key] {
		if since != nil && e.t.Before(*since) {
			continue
		}
		fmt.Fprintf(&b, "%s %s\n", e.t.UTC().Format(time.RFC3339Nano), e.msg)
	}
	return io.NopCloser(strings.NewReader(b.String())), nil
}

// podOpt changes a test pod.
type podOpt func(*corev1.Pod)

// ownedBy makes the pod a standalone Task's.
func ownedBy(task, uid string) podOpt {
	return func(p *corev1.Pod) {
		ctrl := true
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "Task", Name: task, UID: types.UID(uid), Controller: &ctrl}}
		p.Labels[ecsv1alpha1.LabelTask] = task
	}
}

// pending makes a container wait to start.
func pending(k8s string) podOpt {
	return func(p *corev1.Pod) {
		for i := range p.Status.ContainerStatuses {
			if cs := &p.Status.ContainerStatuses[i]; cs.Name == k8s {
				cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
			}
		}
	}
}

// taskPod is a running task pod of service web in namespace shop; its
// containers are "k8s=ECS" pairs.
func taskPod(name, uid string, created int, containers []string, opts ...podOpt) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: "shop", UID: types.UID(uid), CreationTimestamp: metav1.NewTime(at(created)),
		Labels:      map[string]string{ecsv1alpha1.LabelService: "web", ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue, ecsv1alpha1.LabelCluster: "default"},
		Annotations: map[string]string{},
	}}
	infos := map[string]map[string]any{}
	for _, c := range containers {
		k8s, ecs, _ := strings.Cut(c, "=")
		infos[k8s] = map[string]any{"name": ecs, "essential": true}
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: k8s})
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: k8s, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		})
	}
	raw, _ := json.Marshal(infos)
	p.Annotations[ecsv1alpha1.AnnotationContainers] = string(raw)
	for _, o := range opts {
		o(&p)
	}
	return p
}

const (
	uidA = "aaaaaaaa-0000-0000-0000-000000000001"
	uidB = "bbbbbbbb-0000-0000-0000-000000000002"
	uidT = "cccccccc-0000-0000-0000-000000000003"
	idA  = "aaaaaaaa000000000000000000000001"
	idB  = "bbbbbbbb000000000000000000000002"
	idT  = "cccccccc000000000000000000000003"
)

// fixedPods lists the same pods every time.
func fixedPods(pods ...corev1.Pod) PodLister {
	return func(context.Context) ([]corev1.Pod, error) {
		return append([]corev1.Pod(nil), pods...), nil
	}
}

// twoTasks are two tasks of service web, with containers app (web_App in
// ECS) and proxy, logging in turns.
func twoTasks() (PodLister, *fakeLogs) {
	logs := &fakeLogs{}
	logs.add("web-a/web-app", at(0), "a app 0")
	logs.add("web-a/web-app", at(300), "a app 300")
	logs.add("web-a/proxy", at(100), "a proxy 100")
	logs.add("web-b/web-app", at(200), "b app 200")
	logs.add("web-b/web-app", at(300), "b app 300")
	logs.add("web-b/proxy", at(50), `{"level":"error","path":"/x"}`)
	return fixedPods(
		taskPod("web-b", uidB, 1, []string{"web-app=web_App", "proxy=proxy"}),
		taskPod("web-a", uidA, 0, []string{"web-app=web_App", "proxy=proxy"}),
	), logs
}

func TestPoll(t *testing.T) {
	errPattern, _ := pattern.Parse(`{ $.level = "error" }`)
	termPattern, _ := pattern.Parse(`app -b`)
	for _, tc := range []struct {
		name string
		opts Options
		// pods and logs default to twoTasks.
		pods  PodLister
		logs  *fakeLogs
		want  []string
		calls []string // the reads, when checked
	}{{
		name: "merged in time order across tasks and containers, prefixed task-id/ECS-container",
		want: []string{
			idA + "/web_App a app 0",
			idB + `/proxy {"level":"error","path":"/x"}`,
			idA + "/proxy a proxy 100",
			idB + "/web_App b app 200",
			idA + "/web_App a app 300", // same time: by prefix
			idB + "/web_App b app 300",
		},
		calls: []string{"web-a/proxy -", "web-a/web-app -", "web-b/proxy -", "web-b/web-app -"},
	}, {
		name: "timestamps",
		opts: Options{Timestamps: true},
		want: []string{
			"2026-03-01T12:00:00.000000000Z " + idA + "/web_App a app 0",
			"2026-03-01T12:00:00.050000000Z " + idB + `/proxy {"level":"error","path":"/x"}`,
			"2026-03-01T12:00:00.100000000Z " + idA + "/proxy a proxy 100",
			"2026-03-01T12:00:00.200000000Z " + idB + "/web_App b app 200",
			"2026-03-01T12:00:00.300000000Z " + idA + "/web_App a app 300",
			"2026-03-01T12:00:00.300000000Z " + idB + "/web_App b app 300",
		},
	}, {
		name: "JSON filter",
		opts: Options{Filter: errPattern},
		want: []string{idB + `/proxy {"level":"error","path":"/x"}`},
	}, {
		name: "term filter with an exclusion",
		opts: Options{Filter: termPattern},
		want: []string{idA + "/web_App a app 0", idA + "/web_App a app 300"},
	}, {
		name: "container by its ECS name",
		opts: Options{Container: "web_App"},
		want: []string{idA + "/web_App a app 0", idB + "/web_App b app 200", idA + "/web_App a app 300", idB + "/web_App b app 300"},
	}, {
		name: "container by its Kubernetes name",
		opts: Options{Container: "proxy"},
		want: []string{idB + `/proxy {"level":"error","path":"/x"}`, idA + "/proxy a proxy 100"},
	}, {
		name:  "since: asked from its second, cut to the nanosecond",
		opts:  Options{Since: at(150)},
		want:  []string{idB + "/web_App b app 200", idA + "/web_App a app 300", idB + "/web_App b app 300"},
		calls: []string{"web-a/proxy 2026-03-01T12:00:00Z", "web-a/web-app 2026-03-01T12:00:00Z", "web-b/proxy 2026-03-01T12:00:00Z", "web-b/web-app 2026-03-01T12:00:00Z"},
	}, {
		name: "a standalone task is named by its Task's ID; pending containers are skipped",
		pods: fixedPods(
			taskPod("job", "pod-uid", 0, []string{"main=Main", "init=Init"}, ownedBy("job", uidT), pending("init")),
			taskPod("web-c", uidB, 0, []string{"app=app"}, pending("app")),
		),
		logs: func() *fakeLogs {
			l := &fakeLogs{}
			l.add("job/main", at(10), "done")
			return l
		}(),
		want:  []string{idT + "/Main done"},
		calls: []string{"job/main -"},
	}, {
		name: "a pod without the containers annotation: its containers by their names",
		pods: fixedPods(func() corev1.Pod {
			p := taskPod("bare", uidA, 0, []string{"c=c"})
			p.Annotations = nil
			return p
		}()),
		logs: func() *fakeLogs {
			l := &fakeLogs{}
			l.add("bare/c", at(0), "hello")
			return l
		}(),
		want: []string{idA + "/c hello"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			pods, logs := twoTasks()
			if tc.pods != nil {
				pods, logs = tc.pods, tc.logs
			}
			var out, errOut bytes.Buffer
			tl := &Tailer{Opts: tc.opts, Pods: pods, Logs: logs, Out: &out, Err: &errOut}
			if err := tl.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := lines(out.String()); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if errOut.Len() > 0 {
				t.Errorf("stderr: %s", errOut.String())
			}
			slices.Sort(logs.calls) // read at once
			if tc.calls != nil && strings.Join(logs.calls, "\n") != strings.Join(tc.calls, "\n") {
				t.Errorf("reads\n%s\nwant\n%s", strings.Join(logs.calls, "\n"), strings.Join(tc.calls, "\n"))
			}
		})
	}
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestReadErrors(t *testing.T) {
	gr := schema.GroupResource{Resource: "pods"}
	for _, tc := range []struct {
		name    string
		err     error
		wantErr string // Run's error
		stderr  string
	}{
		{name: "container not readable yet: silent", err: apierrors.NewBadRequest(`container "proxy" in pod "web-a" is waiting to start: ContainerCreating`)},
		{name: "pod gone: silent", err: apierrors.NewNotFound(gr, "web-a")},
		{name: "RBAC: the end", err: apierrors.NewForbidden(gr, "web-a", errors.New("cannot get pods/log")), wantErr: `pods "web-a" is forbidden: cannot get pods/log`},
		{name: "kubelet down: warned, exit 1", err: errors.New("dial tcp 10.0.0.1:10250: connection refused"), wantErr: "some logs could not be read", stderr: idA + "/proxy: dial tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pods, logs := twoTasks()
			logs.errs = map[string]error{"web-a/proxy": tc.err}
			var out, errOut bytes.Buffer
			err := (&Tailer{Pods: pods, Logs: logs, Out: &out, Err: &errOut}).Run(context.Background())
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if !strings.Contains(errOut.String(), tc.stderr) || tc.stderr == "" && errOut.Len() > 0 {
				t.Errorf("stderr %q, want %q", errOut.String(), tc.stderr)
			}
			if !strings.Contains(tc.wantErr, "forbidden") && strings.Contains(out.String(), "a proxy 100") {
				t.Errorf("printed the unreadable container: %s", out.String())
			}
			if !strings.Contains(tc.wantErr, "forbidden") && !strings.Contains(out.String(), "b app 300") {
				t.Errorf("left out the others: %s", out.String())
			}
		})
	}

	t.Run("listing refused", func(t *testing.T) {
		forbidden := func(context.Context) ([]corev1.Pod, error) {
			return nil, apierrors.NewForbidden(gr, "", errors.New("cannot list pods"))
		}
		err := (&Tailer{Opts: Options{Follow: true}, Pods: forbidden, Logs: &fakeLogs{}, Out: io.Discard, Err: io.Discard}).Run(context.Background())
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("error %v, want forbidden", err)
		}
	})

	t.Run("following: a failed list is a warning, a refused one the end", func(t *testing.T) {
		pods, logs := twoTasks()
		calls := 0
		flaky := func(ctx context.Context) ([]corev1.Pod, error) {
			calls++
			switch calls {
			case 2, 3:
				return nil, errors.New("etcdserver: request timed out")
			case 5:
				return nil, apierrors.NewForbidden(gr, "", errors.New("cannot list pods"))
			}
			return pods(ctx)
		}
		var out, errOut bytes.Buffer
		wait := func(context.Context, time.Duration) bool { return true }
		err := (&Tailer{Opts: Options{Follow: true}, Pods: flaky, Logs: logs, Out: &out, Err: &errOut, Wait: wait}).Run(context.Background())
		if !errors.Is(err, ErrForbidden) || calls != 5 {
			t.Errorf("error %v after %d lists", err, calls)
		}
		if errOut.String() != "berth logs: etcdserver: request timed out\n" { // once
			t.Errorf("stderr %q", errOut.String())
		}
		if n := len(lines(out.String())); n != 6 {
			t.Errorf("%d lines, want 6", n)
		}
	})

	t.Run("no task has the container", func(t *testing.T) {
		pods, logs := twoTasks()
		err := (&Tailer{Opts: Options{Container: "db"}, Pods: pods, Logs: logs, Out: io.Discard, Err: io.Discard}).Run(context.Background())
		if err == nil || errors.Is(err, ErrForbidden) || err.Error() != `no container "db" in the tasks (their containers: proxy, web_App)` {
			t.Errorf("error %v", err)
		}
	})

	t.Run("the container is there, not running yet", func(t *testing.T) {
		var errOut bytes.Buffer
		pods := fixedPods(taskPod("web-a", uidA, 0, []string{"app=app", "db=db"}, pending("db")))
		err := (&Tailer{Opts: Options{Container: "db"}, Pods: pods, Logs: &fakeLogs{}, Out: io.Discard, Err: &errOut}).Run(context.Background())
		if err != nil || errOut.Len() > 0 {
			t.Errorf("error %v, stderr %q", err, errOut.String())
		}
	})

	t.Run("no task", func(t *testing.T) {
		var errOut bytes.Buffer
		err := (&Tailer{Pods: fixedPods(), Logs: &fakeLogs{}, Out: io.Discard, Err: &errOut}).Run(context.Background())
		if err != nil || !strings.Contains(errOut.String(), "no running task") {
			t.Errorf("error %v, stderr %q", err, errOut.String())
		}
	})
}

// TestFollow polls four times: every poll prints only the lines not
// printed before, of the tasks that exist then (one starts late, one
// waits to start), and reads each container from the second of its last
// line on.
func TestFollow(t *testing.T) {
	logs := &fakeLogs{}
	logs.add("web-a/app", at(0), "a0")
	logs.add("web-a/app", at(1500), "a1500 first of a pair with one time")
	a := taskPod("web-a", uidA, 0, []string{"app=app"})
	b := taskPod("web-b", uidB, 2000, []string{"app=app"}, pending("app"))
	pods := []corev1.Pod{a}
	var mu sync.Mutex
	lister := func(context.Context) ([]corev1.Pod, error) {
		mu.Lock()
		defer mu.Unlock()
		return append([]corev1.Pod(nil), pods...), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	var printed []int // lines of out after each poll
	polls := 0
	wait := func(_ context.Context, d time.Duration) bool {
		if d != DefaultInterval {
			t.Errorf("waits %v", d)
		}
		printed = append(printed, len(lines(out.String())))
		polls++
		mu.Lock()
		defer mu.Unlock()
		switch polls {
		case 1: // the same time again, later lines, and a task that waits to start
			logs.add("web-a/app", at(1500), "a1500 second of the pair")
			logs.add("web-a/app", at(2500), "a2500")
			pods = append(pods, b)
			logs.add("web-b/app", at(2100), "b2100 (not readable yet)")
		case 2: // the new task runs
			pods[1] = taskPod("web-b", uidB, 2000, []string{"app=app"})
			logs.add("web-b/app", at(2200), "b2200")
			logs.add("web-a/app", at(3000), "a3000")
		case 3: // nothing new
		default:
			cancel()
			return false
		}
		return true
	}
	var errOut bytes.Buffer
	tl := &Tailer{Opts: Options{Follow: true, Since: at(-10_000)}, Pods: lister, Logs: logs, Out: &out, Err: &errOut, Wait: wait}
	if err := tl.Run(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{
		idA + "/app a0",
		idA + "/app a1500 first of a pair with one time",
		idA + "/app a1500 second of the pair",
		idA + "/app a2500",
		idB + "/app b2100 (not readable yet)",
		idB + "/app b2200",
		idA + "/app a3000",
	}
	if got := lines(out.String()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fmt.Sprint(printed) != "[2 4 7 7]" {
		t.Errorf("lines after each poll %v, want [2 4 7 7]", printed)
	}
	wantCalls := []string{
		"web-a/app 2026-03-01T11:59:50Z",
		"web-a/app 2026-03-01T12:00:01Z",
		"web-a/app 2026-03-01T12:00:02Z",
		"web-b/app 2026-03-01T11:59:50Z",
		"web-a/app 2026-03-01T12:00:03Z",
		"web-b/app 2026-03-01T12:00:02Z",
	}
	slices.Sort(logs.calls) // read at once
	slices.Sort(wantCalls)
	if strings.Join(logs.calls, "\n") != strings.Join(wantCalls, "\n") {
		t.Errorf("reads\n%s\nwant\n%s", strings.Join(logs.calls, "\n"), strings.Join(wantCalls, "\n"))
	}
	if errOut.Len() > 0 {
		t.Errorf("stderr: %s", errOut.String())
	}
}

// TestFollowStopsOnCancel: the real wait ends with the context.
func TestFollowStopsOnCancel(t *testing.T) {
	pods, logs := twoTasks()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	if err := (&Tailer{Opts: Options{Follow: true, Interval: time.Hour}, Pods: pods, Logs: logs, Out: &out, Err: io.Discard}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stopped after %v", d)
	}
	if n := len(lines(out.String())); n != 6 {
		t.Errorf("%d lines, want 6", n)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                            {},
		"0":                           {},
		"30s":                         now.Add(-30 * time.Second),
		"10m":                         now.Add(-10 * time.Minute),
		"1h":                          now.Add(-time.Hour),
		"2d":                          now.Add(-48 * time.Hour),
		"1w":                          now.Add(-7 * 24 * time.Hour),
		"1h30m":                       now.Add(-90 * time.Minute),
		"2026-02-28T10:00:00Z":        time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC),
		"2026-02-28T10:00:00.5+01:00": time.Date(2026, 2, 28, 9, 0, 0, 5e8, time.UTC),
		"2026-02-28":                  time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC),
	} {
		got, err := ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"yesterday", "-5m", "10", "5y", "99999999999999s", "99999999999w"} {
		if _, err := ParseSince(in, now); err == nil {
			t.Errorf("ParseSince(%q) took it", in)
		}
	}
}
