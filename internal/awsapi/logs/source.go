package logs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
)

// Group is an awslogs log group: named by a task definition's
// awslogs-group option.
type Group struct {
	Name    string
	Created time.Time
}

// Stream is an awslogs log stream: one container of one task,
// prefix/container/task-id.
type Stream struct {
	Group, Name string
	Created     time.Time
	// Namespace, Pod and Container say where Kubernetes keeps its output.
	Namespace, Pod, Container string
}

// Event is one line of a stream.
type Event struct {
	Time    time.Time
	Message string
}

// Listing is what a Source has for a caller: the log groups, and the
// streams of them all. A group may have no stream (a task definition names
// it, but no task of it runs).
type Listing struct {
	Groups  []Group
	Streams []Stream
}

// Source is where groups, streams and their events come from: the pods'
// logs through the Kubernetes API (PodLogs), or a log store that keeps them
// longer (docs/logs.md says how to plug one in).
type Source interface {
	// List returns the caller's groups and streams from one look: every
	// call of the API needs the groups to tell an empty group from an
	// unknown one, and most need the streams too.
	List(ctx context.Context, c *awsapi.Caller) (Listing, error)
	// Read returns a stream's events in time order.
	Read(ctx context.Context, c *awsapi.Caller, s Stream) ([]Event, error)
	// Span returns the times of a stream's first and last events (zero
	// when it has none) without reading the events between them.
	Span(ctx context.Context, c *awsapi.Caller, s Stream) (first, last time.Time, err error)
}

// PodLogs is the Source that reads the pods of the caller's namespace, as
// the caller: task definitions name the groups, the pods' containers are
// the streams (while their pods exist), and
// the pods/log subresource with timestamps gives the events.
type PodLogs struct{}

var _ Source = PodLogs{}

// List lists the namespace's task pods and task definition revisions once
// each. The streams are the containers of the task pods that log with
// awslogs and a stream prefix (without one ECS names the stream after the
// Docker container ID, which Kubernetes does not have); the groups are the
// awslogs groups of the revisions and of the streams (a pod may outlive its
// revision), created when the first of them was.
func (PodLogs) List(ctx context.Context, c *awsapi.Caller) (Listing, error) {
	var revs ecsv1alpha1.TaskDefinitionRevisionList
	if err := c.Client.List(ctx, &revs, client.InNamespace(c.Namespace)); err != nil {
		return Listing{}, err
	}
	var pods corev1.PodList
	if err := c.Client.List(ctx, &pods, client.InNamespace(c.Namespace), client.HasLabels{ecsv1alpha1.LabelCluster}); err != nil {
		return Listing{}, err
	}
	streams := podStreams(pods.Items)
	return Listing{Groups: groups(revs.Items, streams), Streams: streams}, nil
}

// podStreams are the awslogs streams of pods, by group and name.
func podStreams(pods []corev1.Pod) []Stream {
	var out []Stream
	for i := range pods {
		pod := &pods[i]
		infos, err := taskstate.Infos(pod)
		if err != nil || infos == nil {
			continue
		}
		id := TaskID(pod)
		for k8sName, info := range infos {
			if info.LogGroup == "" || info.LogStreamPrefix == "" {
				continue
			}
			out = append(out, Stream{
				Group: info.LogGroup, Name: translate.LogStreamName(info.LogStreamPrefix, info.Name, id),
				Created: pod.CreationTimestamp.Time, Namespace: pod.Namespace, Pod: pod.Name, Container: k8sName,
			})
		}
	}
	slices.SortFunc(out, func(a, b Stream) int { return strings.Compare(a.Group+"\x00"+a.Name, b.Group+"\x00"+b.Name) })
	return out
}

// groups are the awslogs groups the revisions name and the streams are in,
// by name.
func groups(revs []ecsv1alpha1.TaskDefinitionRevision, streams []Stream) []Group {
	first := map[string]time.Time{}
	seen := func(name string, at time.Time) {
		if name == "" {
			return
		}
		if t, ok := first[name]; !ok || at.Before(t) {
			first[name] = at
		}
	}
	for i := range revs {
		rev := &revs[i]
		for _, cd := range rev.Spec.ContainerDefinitions {
			if lc := cd.LogConfiguration; lc != nil && lc.LogDriver == ecsv1alpha1.LogDriverAwslogs {
				seen(lc.Options["awslogs-group"], rev.CreationTimestamp.Time)
			}
		}
	}
	for _, s := range streams {
		seen(s.Group, s.Created)
	}
	out := make([]Group, 0, len(first))
	for name, at := range first {
		out = append(out, Group{Name: name, Created: at})
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// TaskID is the ECS task ID of a pod: its Task's for a standalone task,
// its own for a service's task.
func TaskID(pod *corev1.Pod) string {
	if ref := metav1.GetControllerOf(pod); ref != nil && ref.Kind == "Task" && ref.APIVersion == ecsv1alpha1.GroupVersion.String() {
		return names.TaskID(string(ref.UID))
	}
	return taskstate.TaskID(pod)
}

// maxLine is the longest line read: CloudWatch's largest event is 256 KiB.
const maxLine = 256 << 10

// Read reads the container's log with the kubelet's timestamps.
func (PodLogs) Read(ctx context.Context, c *awsapi.Caller, s Stream) ([]Event, error) {
	rc, err := podLog(ctx, c, s, corev1.PodLogOptions{})
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	return ParseTimestamped(rc)
}

// headBytes is how much of a log Span reads from its head: the kubelet's
// timestamp of the first line (RFC 3339 with nanoseconds, 30 bytes in UTC)
// and the space after it.
const headBytes = 64

// Span reads the timestamp of the container log's first line (its first
// headBytes) and its last line (tailLines=1), which the kubelet finds from
// the end of the file. A line without a timestamp, which ParseTimestamped
// joins to the event before it, makes Span read the whole log instead.
func (l PodLogs) Span(ctx context.Context, c *awsapi.Caller, s Stream) (first, last time.Time, err error) {
	first, headOK, err := lineTime(ctx, c, s, corev1.PodLogOptions{LimitBytes: ptr.To[int64](headBytes)})
	if err != nil {
		return first, last, err
	}
	last, tailOK, err := lineTime(ctx, c, s, corev1.PodLogOptions{TailLines: ptr.To[int64](1)})
	if err != nil || headOK && tailOK {
		return first, last, err
	}
	events, err := l.Read(ctx, c, s)
	if err != nil || len(events) == 0 {
		return time.Time{}, time.Time{}, err
	}
	return events[0].Time, events[len(events)-1].Time, nil
}

// lineTime reads the timestamp at the head of what o selects of the log:
// ok when there is none (an empty log) or it parses.
func lineTime(ctx context.Context, c *awsapi.Caller, s Stream, o corev1.PodLogOptions) (t time.Time, ok bool, err error) {
	rc, err := podLog(ctx, c, s, o)
	if err != nil {
		return t, false, err
	}
	defer func() { _ = rc.Close() }()
	head, err := bufio.NewReaderSize(rc, headBytes).Peek(headBytes)
	if err != nil && !errors.Is(err, io.EOF) {
		return t, false, err
	}
	if len(head) == 0 {
		return t, true, nil
	}
	ts, _, _ := strings.Cut(string(head), " ")
	t, err = time.Parse(time.RFC3339Nano, ts)
	return t, err == nil, nil
}

// podLog opens the container's log with the kubelet's timestamps and what
// else o asks for.
func podLog(ctx context.Context, c *awsapi.Caller, s Stream, o corev1.PodLogOptions) (io.ReadCloser, error) {
	if c.Kube == nil {
		return nil, fmt.Errorf("no Kubernetes client for %s", c.Username)
	}
	o.Container, o.Timestamps = s.Container, true
	return c.Kube.CoreV1().Pods(s.Namespace).GetLogs(s.Pod, &o).Stream(ctx)
}

// ParseTimestamped reads a log with an RFC 3339 timestamp before each line,
// as the kubelet writes it with timestamps=true; a line without one belongs
// to the event before it (a message with a newline).
func ParseTimestamped(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine+64)
	var out []Event
	for sc.Scan() {
		line := sc.Text()
		ts, msg, _ := strings.Cut(line, " ")
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			if n := len(out); n > 0 {
				out[n-1].Message += "\n" + line
				continue
			}
			t, msg = time.Time{}, line
		}
		out = append(out, Event{Time: t, Message: msg})
	}
	if err := sc.Err(); err != nil && len(out) == 0 {
		return nil, err
	}
	return out, nil
}
