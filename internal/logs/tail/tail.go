// Package tail is `berth logs` (and `kubectl berth logs`): the output of
// an ECS service's tasks, or of one task, merged in time order and
// prefixed with the task and container, as `aws logs tail` and
// `ecs-cli logs` show an ECS service's awslogs streams. It reads the
// tasks' pods through pods/log with the kubelet's timestamps, so it needs
// no log store and works for containers without awslogs too.
package tail

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/berth-dev/berth/internal/awsapi/logs"
	"github.com/berth-dev/berth/internal/logs/pattern"
	"github.com/berth-dev/berth/internal/taskstate"
)

// LogReader reads a container's log with the kubelet's timestamps (an
// RFC 3339 time before each line), from since on when it is not nil.
type LogReader interface {
	ReadLog(ctx context.Context, namespace, pod, container string, since *time.Time) (io.ReadCloser, error)
}

// PodLister lists the pods of the tasks whose logs are shown; it is
// called again on every poll of --follow, which picks up new tasks.
type PodLister func(ctx context.Context) ([]corev1.Pod, error)

// Options say what is shown.
type Options struct {
	// Since is the earliest time shown; zero shows all that Kubernetes
	// keeps.
	Since time.Time
	// Follow keeps polling for new lines (and new tasks) until the context
	// ends.
	Follow bool
	// Filter keeps the lines that match a CloudWatch filter pattern (nil:
	// all).
	Filter *pattern.Pattern
	// Container, if set, shows only this container (its ECS name, or its
	// Kubernetes name).
	Container string
	// Timestamps puts each event's time first.
	Timestamps bool
	// Interval is the time between polls of Follow (default 2 s).
	Interval time.Duration
}

// DefaultInterval is how often --follow polls.
const DefaultInterval = 2 * time.Second

// readers is how many containers are read at once.
const readers = 8

// timeFormat is RFC 3339 with a fixed nine-digit fraction, so that the
// columns line up.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// place is an event's place in its stream: its time in nanoseconds and
// its rank among the events of that time (as the CloudWatch Logs API's
// tokens), stable while the log grows and is rotated.
type place struct {
	t int64
	n int
}

func (p place) compare(q place) int {
	if c := cmp.Compare(p.t, q.t); c != 0 {
		return c
	}
	return cmp.Compare(p.n, q.n)
}

// stream is one container of one task.
type stream struct {
	key                 string // pod UID and Kubernetes container name
	namespace, pod, k8s string
	prefix              string // task-id/ECS-container-name
}

// line is an event to print.
type line struct {
	at     place
	time   time.Time
	prefix string
	msg    string
}

// Tailer prints the tasks' logs. Its zero value is not usable: give it
// Pods, Logs and Out.
type Tailer struct {
	Opts Options
	Pods PodLister
	Logs LogReader
	// Out gets the lines, Err the warnings.
	Out, Err io.Writer
	// Wait waits d, or until ctx ends (then it returns false); nil is the
	// real clock. Tests make polls happen when they say.
	Wait func(ctx context.Context, d time.Duration) bool

	// last is the place of the last event read of each stream.
	last map[string]place
	// warned are the read errors already reported (not again every poll).
	warned map[string]string
	// checked is set once the tasks were seen to have --container.
	checked bool
	// failed is set when a read failed (the exit code of a one-off run).
	failed bool
}

// ErrForbidden is what the RBAC errors are (errors.Is): they end the
// command.
var ErrForbidden = errors.New("forbidden")

// forbidden is an RBAC error.
type forbidden struct{ err error }

func (f forbidden) Error() string   { return f.err.Error() }
func (f forbidden) Unwrap() []error { return []error{f.err, ErrForbidden} }

// listError is a failed list of the pods: while following, a warning.
type listError struct{ err error }

func (l listError) Error() string { return l.err.Error() }
func (l listError) Unwrap() error { return l.err }

func rbac(err error) bool { return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) }

// Run prints the logs once, or, with Follow, until ctx ends. It returns
// an error the command exits 1 with: RBAC refusing a list or a read, a
// --container no task has, a failed write, a failed list (but the first
// one, a warning while following); read errors are warnings, and make Run
// return an error at the end of a one-off run.
func (t *Tailer) Run(ctx context.Context) error {
	if t.last == nil {
		t.last = map[string]place{}
		t.warned = map[string]string{}
	}
	first := true
	for {
		n, err := t.Poll(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !first && t.Opts.Follow && errors.As(err, new(listError)):
			t.warn("list", err.Error())
		case err != nil:
			return err
		case first && n == 0 && !t.Opts.Follow:
			_, _ = fmt.Fprintln(t.Err, "berth logs: no running task to read (a task's output goes with its pod)")
		}
		first = false
		if !t.Opts.Follow {
			if t.failed {
				return errors.New("some logs could not be read")
			}
			return nil
		}
		if !t.wait(ctx) {
			return nil
		}
	}
}

func (t *Tailer) wait(ctx context.Context) bool {
	d := cmp.Or(t.Opts.Interval, DefaultInterval)
	if t.Wait != nil {
		return t.Wait(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

func (t *Tailer) warn(key, msg string) {
	if t.warned[key] == msg {
		return
	}
	t.warned[key] = msg
	_, _ = fmt.Fprintf(t.Err, "berth logs: %s\n", msg)
}

// Poll lists the tasks, reads their containers and prints the events not
// printed before, merged in time order. It returns how many pods it found.
func (t *Tailer) Poll(ctx context.Context) (int, error) {
	if t.last == nil {
		t.last = map[string]place{}
		t.warned = map[string]string{}
	}
	pods, err := t.Pods(ctx)
	switch {
	case err != nil && rbac(err):
		return 0, forbidden{err}
	case err != nil:
		return 0, listError{err}
	}
	streams, chosen, all := t.streams(pods)
	if len(pods) > 0 && !chosen && !t.checked {
		return len(pods), fmt.Errorf("no container %q in the tasks (their containers: %s)", t.Opts.Container, strings.Join(all, ", "))
	}
	t.checked = t.checked || chosen
	lines, err := t.read(ctx, streams)
	if err != nil {
		return len(pods), err
	}
	slices.SortStableFunc(lines, func(a, b line) int {
		if c := cmp.Compare(a.at.t, b.at.t); c != 0 {
			return c
		}
		return cmp.Compare(a.prefix, b.prefix)
	})
	for _, l := range lines {
		if t.Opts.Timestamps {
			_, err = fmt.Fprintf(t.Out, "%s %s %s\n", l.time.UTC().Format(timeFormat), l.prefix, l.msg)
		} else {
			_, err = fmt.Fprintf(t.Out, "%s %s\n", l.prefix, l.msg)
		}
		if err != nil {
			return len(pods), err
		}
	}
	return len(pods), nil
}

// streams are the readable containers of the pods (or --container);
// chosen says whether a pod has the containers asked for, readable or
// not, all are the names of all their containers.
func (t *Tailer) streams(pods []corev1.Pod) (out []stream, chosen bool, all []string) {
	slices.SortFunc(pods, func(a, b corev1.Pod) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	names := map[string]bool{}
	for i := range pods {
		pod := &pods[i]
		id := logs.TaskID(pod)
		for _, c := range containers(pod) {
			names[c.ecs] = true
			if t.Opts.Container != "" && t.Opts.Container != c.ecs && t.Opts.Container != c.k8s {
				continue
			}
			chosen = true
			if !readable(pod, c.k8s) {
				continue // Pending: no output yet
			}
			out = append(out, stream{
				key: string(pod.UID) + "/" + c.k8s, namespace: pod.Namespace, pod: pod.Name, k8s: c.k8s,
				prefix: id + "/" + c.ecs,
			})
		}
	}
	for n := range names {
		all = append(all, n)
	}
	sort.Strings(all)
	return out, chosen, all
}

type container struct{ k8s, ecs string }

// containers are a task pod's containers, Kubernetes and ECS names, by ECS
// name: those its containers annotation names (the task definition's), or
// all of them when it has none.
func containers(pod *corev1.Pod) []container {
	var out []container
	infos, err := taskstate.Infos(pod)
	if err == nil && len(infos) > 0 {
		for k8s, info := range infos {
			out = append(out, container{k8s: k8s, ecs: cmp.Or(info.Name, k8s)})
		}
	} else {
		for _, c := range pod.Spec.Containers {
			out = append(out, container{k8s: c.Name, ecs: c.Name})
		}
	}
	slices.SortFunc(out, func(a, b container) int { return strings.Compare(a.ecs, b.ecs) })
	return out
}

// readable says whether the kubelet has a log for the container: it runs,
// or ran (the kubelet refuses waiting containers).
func readable(pod *corev1.Pod, name string) bool {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses} {
		for _, cs := range list {
			if cs.Name == name {
				return cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil
			}
		}
	}
	return false
}

// read reads the streams and returns their events after the last ones
// read, from Since on, that match the filter.
func (t *Tailer) read(ctx context.Context, streams []stream) ([]line, error) {
	results := t.fetch(ctx, streams)
	var out []line
	for i, s := range streams {
		r := results[i]
		switch {
		case r.err == nil:
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case rbac(r.err):
			return nil, forbidden{r.err}
		case apierrors.IsNotFound(r.err) || apierrors.IsBadRequest(r.err):
			continue // the pod went, or the container is not readable yet
		default:
			t.failed = true
			t.warn(s.key, fmt.Sprintf("%s: %v", s.prefix, r.err))
			continue
		}
		delete(t.warned, s.key)
		out = t.newLines(out, s, r.events)
	}
	return out, nil
}

type fetched struct {
	events []logs.Event
	err    error
}

// fetch reads the streams, a few at once: each from the second of its last
// event read (pods/log's sinceTime has seconds), or from Since.
func (t *Tailer) fetch(ctx context.Context, streams []stream) []fetched {
	results := make([]fetched, len(streams))
	sem := make(chan struct{}, readers)
	var wg sync.WaitGroup
	for i, s := range streams {
		var since *time.Time
		if p, ok := t.last[s.key]; ok {
			at := time.Unix(0, p.t).Truncate(time.Second)
			since = &at
		} else if !t.Opts.Since.IsZero() {
			at := t.Opts.Since.Truncate(time.Second)
			since = &at
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rc, err := t.Logs.ReadLog(ctx, s.namespace, s.pod, s.k8s, since)
			if err != nil {
				results[i].err = err
				return
			}
			defer func() { _ = rc.Close() }()
			results[i].events, results[i].err = logs.ParseTimestamped(rc)
		}()
	}
	wg.Wait()
	return results
}

// newLines appends the events of s after the last one read, from Since
// on, that match the filter, and remembers the last.
func (t *Tailer) newLines(out []line, s stream, events []logs.Event) []line {
	last, seen := t.last[s.key]
	prev := place{t: -1 << 63}
	for _, e := range events {
		p := place{t: nanos(e.Time)}
		if p.t == prev.t {
			p.n = prev.n + 1 // the rank among the events of one time
		}
		prev = p
		if seen && p.compare(last) <= 0 {
			continue
		}
		t.last[s.key] = p
		if e.Time.Before(t.Opts.Since) || !t.Opts.Filter.Match(e.Message) {
			continue
		}
		out = append(out, line{at: p, time: e.Time, prefix: s.prefix, msg: e.Message})
	}
	return out
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
