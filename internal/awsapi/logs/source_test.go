package logs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/logswire"
	"github.com/berth-dev/berth/internal/names"
)

// kubeletLogs serves pods/log as the kubelet does for one container's log
// of timestamped lines (tailLines, limitBytes, timestamps), and counts the
// bytes it sends and the options it was asked for.
type kubeletLogs struct {
	lines []string // "message", each written at t0 + i ms

	mu    sync.Mutex
	sent  int
	asked []string
}

func (k *kubeletLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	k.mu.Lock()
	k.asked = append(k.asked, q.Encode())
	k.mu.Unlock()
	from := 0
	if n, err := strconv.Atoi(q.Get("tailLines")); err == nil {
		from = max(0, len(k.lines)-n)
	}
	var b strings.Builder
	for i := from; i < len(k.lines); i++ {
		if q.Get("timestamps") == "true" && !strings.HasPrefix(k.lines[i], "  ") {
			b.WriteString(t0.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano) + " ")
		}
		b.WriteString(k.lines[i] + "\n")
	}
	out := b.String()
	if n, err := strconv.Atoi(q.Get("limitBytes")); err == nil && n < len(out) {
		out = out[:n]
	}
	k.mu.Lock()
	k.sent += len(out)
	k.mu.Unlock()
	_, _ = w.Write([]byte(out))
}

func kubeletCaller(t *testing.T, k *kubeletLogs) *awsapi.Caller {
	t.Helper()
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	kube, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return &awsapi.Caller{Kube: kube}
}

// TestPodLogsSpanReadsTheEndsOnly: the first and last events' times of a
// 100,000-line log come from a head read and a one-line tail read, not the
// whole log (DescribeLogStreams asks for them for every stream).
func TestPodLogsSpanReadsTheEndsOnly(t *testing.T) {
	k := &kubeletLogs{lines: make([]string, 100_000)}
	for i := range k.lines {
		k.lines[i] = fmt.Sprintf(`{"level":"info","n":%d}`, i)
	}
	c := kubeletCaller(t, k)
	s := Stream{Namespace: "ns", Pod: "web-1", Container: "app"}
	first, last, err := PodLogs{}.Span(context.Background(), c, s)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Equal(t0) || !last.Equal(t0.Add(99_999*time.Millisecond)) {
		t.Fatalf("span %v .. %v", first, last)
	}
	if k.sent > 200 {
		t.Fatalf("Span read %d bytes of the log (asked %q): it should read its ends only", k.sent, k.asked)
	}
	want := []string{"container=app&limitBytes=64&timestamps=true", "container=app&tailLines=1&timestamps=true"}
	if strings.Join(k.asked, " ") != strings.Join(want, " ") {
		t.Fatalf("asked %q, want %q", k.asked, want)
	}

	// Read, for comparison, reads everything.
	k.sent = 0
	events, err := PodLogs{}.Read(context.Background(), c, s)
	if err != nil || len(events) != 100_000 || k.sent < 100_000*30 {
		t.Fatalf("Read: %d events, %d bytes, %v", len(events), k.sent, err)
	}
}

func TestPodLogsSpanEdges(t *testing.T) {
	ctx := context.Background()
	s := Stream{Namespace: "ns", Pod: "web-1", Container: "app"}
	first, last, err := PodLogs{}.Span(ctx, kubeletCaller(t, &kubeletLogs{}), s)
	if err != nil || !first.IsZero() || !last.IsZero() {
		t.Errorf("an empty log: %v %v %v", first, last, err)
	}
	// The last line continues a message (no timestamp): the event's time
	// is its first line's, which only a whole read finds.
	k := &kubeletLogs{lines: []string{"a", "b", "  continued"}}
	first, last, err = PodLogs{}.Span(ctx, kubeletCaller(t, k), s)
	if err != nil || !first.Equal(t0) || !last.Equal(t0.Add(time.Millisecond)) {
		t.Errorf("a continued last line: %v %v %v", first, last, err)
	}
	if _, _, err := (PodLogs{}).Span(ctx, &awsapi.Caller{}, s); err == nil {
		t.Error("no clientset: an error")
	}
}

// TestPodLogsListsPodsOnce: one List gives the groups and the streams from
// one pod listing, and a group a task definition names without a running
// task exists with no streams.
func TestPodLogsListsPodsOnce(t *testing.T) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, ecsv1alpha1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	awslogs := func(group string) *ecsv1alpha1.LogConfiguration {
		return &ecsv1alpha1.LogConfiguration{LogDriver: ecsv1alpha1.LogDriverAwslogs, Options: map[string]string{"awslogs-group": group, "awslogs-stream-prefix": "web"}}
	}
	rev := func(name, group string) *ecsv1alpha1.TaskDefinitionRevision {
		r := &ecsv1alpha1.TaskDefinitionRevision{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}
		r.Spec.Revision = 1
		r.Spec.ContainerDefinitions = []ecsv1alpha1.ContainerDefinition{{Name: "app", LogConfiguration: awslogs(group)}}
		return r
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web-1", UID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
		Labels:      map[string]string{ecsv1alpha1.LabelCluster: "default"},
		Annotations: map[string]string{ecsv1alpha1.AnnotationContainers: `{"app":{"name":"app","essential":true,"logGroup":"/ecs/web","logStreamPrefix":"web"}}`}}}
	podLists := 0
	cl := fake.NewClientBuilder().WithScheme(scheme).WithObjects(rev("web-1", "/ecs/web"), rev("batch-1", "/ecs/batch"), pod).
		WithInterceptorFuncs(interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if _, ok := list.(*corev1.PodList); ok {
				podLists++
			}
			return c.List(ctx, list, opts...)
		}}).Build()
	ctx := awsapi.WithCaller(context.Background(), &awsapi.Caller{Identity: awsapi.Identity{Namespace: "ns"}, Client: cl, Account: names.DefaultAccount})
	h := New(Options{})

	got, err := h.DescribeLogStreams(ctx, &logswire.DescribeLogStreamsRequest{LogGroupName: "/ecs/web"})
	if err != nil || len(got.LogStreams) != 1 || got.LogStreams[0].LogStreamName != "web/app/"+names.TaskID(string(pod.UID)) {
		t.Fatalf("/ecs/web: %+v %v", got, err)
	}
	if podLists != 1 {
		t.Fatalf("DescribeLogStreams listed the pods %d times, want once", podLists)
	}
	got, err = h.DescribeLogStreams(ctx, &logswire.DescribeLogStreamsRequest{LogGroupName: "/ecs/batch"})
	if err != nil || len(got.LogStreams) != 0 {
		t.Fatalf("a group with no task running: %+v %v", got, err)
	}
	if _, err := h.DescribeLogStreams(ctx, &logswire.DescribeLogStreamsRequest{LogGroupName: "/ecs/nope"}); errCode(err) != "ResourceNotFoundException: The specified log group does not exist." {
		t.Fatalf("an unknown group: %s", errCode(err))
	}
	groups, err := h.DescribeLogGroups(ctx, &logswire.DescribeLogGroupsRequest{})
	if err != nil || len(groups.LogGroups) != 2 || groups.LogGroups[0].LogGroupName != "/ecs/batch" || groups.LogGroups[1].LogGroupName != "/ecs/web" {
		t.Fatalf("groups: %+v %v", groups, err)
	}
}
