package logs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// Source is where groups, streams and their events come from: the pods'
// logs through the Kubernetes API (PodLogs), or a log store that keeps them
// longer (docs/logs.md says how to plug one in).
type Source interface {
	// Groups are the caller's log groups.
	Groups(ctx context.Context, c *awsapi.Caller) ([]Group, error)
	// Streams are the caller's log streams, of every group.
	Streams(ctx context.Context, c *awsapi.Caller) ([]Stream, error)
	// Read returns a stream's events in time order.
	Read(ctx context.Context, c *awsapi.Caller, s Stream) ([]Event, error)
}

// PodLogs is the Source that reads the pods of the caller's namespace, as
// the caller: task definitions name the groups, the pods' containers are
// the streams (while their pods exist), and
// the pods/log subresource with timestamps gives the events.
type PodLogs struct{}

var _ Source = PodLogs{}

// Groups are the awslogs groups of the namespace's task definition
// revisions and of its pods (a pod may outlive its revision).
func (PodLogs) Groups(ctx context.Context, c *awsapi.Caller) ([]Group, error) {
	var revs ecsv1alpha1.TaskDefinitionRevisionList
	if err := c.Client.List(ctx, &revs, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	first := map[string]time.Time{}
	seen := func(name string, at time.Time) {
		if name == "" {
			return
		}
		if t, ok := first[name]; !ok || at.Before(t) {
			first[name] = at
		}
	}
	for i := range revs.Items {
		rev := &revs.Items[i]
		for _, cd := range rev.Spec.ContainerDefinitions {
			if lc := cd.LogConfiguration; lc != nil && lc.LogDriver == ecsv1alpha1.LogDriverAwslogs {
				seen(lc.Options["awslogs-group"], rev.CreationTimestamp.Time)
			}
		}
	}
	streams, err := PodLogs{}.Streams(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, s := range streams {
		seen(s.Group, s.Created)
	}
	out := make([]Group, 0, len(first))
	for name, at := range first {
		out = append(out, Group{Name: name, Created: at})
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Streams are the containers of the namespace's task pods that log with
// awslogs and a stream prefix (without one ECS names the stream after the
// Docker container ID, which Kubernetes does not have).
func (PodLogs) Streams(ctx context.Context, c *awsapi.Caller) ([]Stream, error) {
	var pods corev1.PodList
	if err := c.Client.List(ctx, &pods, client.InNamespace(c.Namespace), client.HasLabels{ecsv1alpha1.LabelCluster}); err != nil {
		return nil, err
	}
	var out []Stream
	for i := range pods.Items {
		pod := &pods.Items[i]
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
	return out, nil
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
	if c.Kube == nil {
		return nil, fmt.Errorf("no Kubernetes client for %s", c.Username)
	}
	rc, err := c.Kube.CoreV1().Pods(s.Namespace).GetLogs(s.Pod, &corev1.PodLogOptions{Container: s.Container, Timestamps: true}).Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	return ParseTimestamped(rc)
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
