package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/logs"
	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/names"
)

// L1Options configure L1, FilterLogEvents over a service's task logs
// through the endpoint against `kubectl logs | grep` of the same logs.
// Zero Streams skips it.
type L1Options struct {
	// Streams is the Service's tasks, each one stream of Lines lines.
	Streams, Lines int
	// Samples is the sequential timed runs of each search.
	Samples int
}

// Fixed parts of L1.
const (
	l1Namespace   = "l1"
	l1User        = "bench-logs-user"
	l1AccessKeyID = "AKIABERTHBENCHL10000"
	l1KeySecret   = "bench-l1-access-key"
	l1Group       = "/ecs/l1"
	l1Prefix      = "l1"
	// l1Container is the task definition's only container (its ECS and
	// Kubernetes name).
	l1Container = "app"
	// l1ErrorEvery: one line in l1ErrorEvery is an error.
	l1ErrorEvery = 100
)

// l1Searches are the searches L1 times: a CloudWatch filter pattern and
// the fixed string grep finds the same lines with.
var l1Searches = []struct{ pattern, grep string }{
	{`{ $.level = "error" }`, `"level":"error"`},
	{`ERROR`, `ERROR`},
}

// l1Line is line n of stream s: a JSON line as an application logs it,
// one in l1ErrorEvery an error whose message says ERROR (what both
// searches find, and nothing else does).
func l1Line(s, n int) string {
	if n%l1ErrorEvery == l1ErrorEvery-1 {
		return fmt.Sprintf(`{"level":"error","msg":"ERROR payment declined","order":%d,"stream":%d,"status":502,"latency":%d}`, n, s, 900+n%100)
	}
	return fmt.Sprintf(`{"level":"info","msg":"GET /orders/%d","stream":%d,"status":200,"latency":%d}`, n, s, 20+n%50)
}

// l1Matches is how many lines of one stream of lines both searches find.
func l1Matches(lines int) int { return lines / l1ErrorEvery }

// writeL1Log writes stream s's container log as the kubelet does (CRI
// format), a line a millisecond from start, and returns its size.
func writeL1Log(path string, s, lines int, start time.Time) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var size int64
	for n := range lines {
		at := start.Add(time.Duration(n)*time.Millisecond + time.Duration(s)*time.Microsecond)
		k, _ := fmt.Fprintf(w, "%s stdout F %s\n", at.UTC().Format(time.RFC3339Nano), l1Line(s, n))
		size += int64(k)
	}
	return size, errors.Join(w.Flush(), f.Close())
}

// l1TaskDefinition is the benchmark's task definition with its container
// logging through awslogs.
func l1TaskDefinition(ns string) *ecsv1alpha1.TaskDefinition {
	td := taskDefinition(ns)
	c := &td.Spec.ContainerDefinitions[0]
	c.Name = l1Container
	c.LogConfiguration = &ecsv1alpha1.LogConfiguration{LogDriver: ecsv1alpha1.LogDriverAwslogs, Options: map[string]string{
		"awslogs-group": l1Group, "awslogs-stream-prefix": l1Prefix, "awslogs-region": names.DefaultRegion,
	}}
	return td
}

// l1 runs L1 on a namespace of its own, deleted afterwards: one Service
// of o.Streams tasks, whose container logs kwok serves from files of
// o.Lines lines each (a Logs object per pod).
func (h *Harness) l1(ctx context.Context, o L1Options) (*L1Result, error) {
	ns := l1Namespace
	for _, obj := range []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, cluster(ns), l1TaskDefinition(ns)} {
		if err := h.admin.Create(ctx, obj); err != nil {
			return nil, err
		}
	}
	if err := h.waitRevision(ctx, ns, 1); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := h.admin.Create(ctx, service(ns, 0, o.Streams)); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	_, err := h.rec.WaitFor(wctx, ns, func(p Progress) bool { return p.Pods >= o.Streams && p.Services >= 1 })
	cancel()
	if err != nil {
		return nil, err
	}
	h.logf("L1: a Service of %d tasks Running in %.1fs", o.Streams, time.Since(start).Seconds())
	res := &L1Result{Streams: o.Streams, LinesPerStream: o.Lines, Lines: o.Streams * o.Lines, Samples: o.Samples,
		MatchesPerSearch: o.Streams * l1Matches(o.Lines)}
	pods, err := h.l1Logs(ctx, o, res)
	if err != nil {
		return nil, err
	}
	if err := h.l1Searches(ctx, o, pods, res); err != nil {
		return nil, err
	}
	return res, h.deleteNamespace(ctx, ns)
}

// l1Logs writes each task's log file and points kwok at it; it returns
// the task pods.
func (h *Harness) l1Logs(ctx context.Context, o L1Options, res *L1Result) ([]corev1.Pod, error) {
	var pods corev1.PodList
	if err := h.admin.List(ctx, &pods, client.InNamespace(l1Namespace), client.HasLabels{ecsv1alpha1.LabelService}); err != nil {
		return nil, err
	}
	if len(pods.Items) != o.Streams {
		return nil, fmt.Errorf("L1: %d task pods, want %d", len(pods.Items), o.Streams)
	}
	slices.SortFunc(pods.Items, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	dir := filepath.Join(h.cp.Dir(), "l1-logs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	t := time.Now()
	for i := range pods.Items {
		pod := &pods.Items[i]
		file := filepath.Join(dir, pod.Name+".log")
		size, err := writeL1Log(file, i, o.Lines, start)
		if err != nil {
			return nil, err
		}
		res.Bytes += size
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": localcp.KwokLogsGVR.GroupVersion().String(), "kind": "Logs",
			"metadata": map[string]any{"name": pod.Name, "namespace": pod.Namespace},
			"spec":     map[string]any{"logs": []any{map[string]any{"containers": []any{l1Container}, "logsFile": file}}},
		}}
		if err := h.admin.Create(ctx, u); err != nil {
			return nil, fmt.Errorf("L1: kwok Logs for %s: %w", pod.Name, err)
		}
	}
	h.logf("L1: wrote %d logs of %s lines (%.0f MiB) in %.1fs", o.Streams, thousands(o.Lines), float64(res.Bytes)/(1<<20), time.Since(t).Seconds())
	return pods.Items, nil
}

// countingSource is the pods' logs, counting the events the endpoint reads.
type countingSource struct {
	logs.PodLogs
	events atomic.Int64
}

var _ logs.Source = (*countingSource)(nil)

func (s *countingSource) Read(ctx context.Context, c *awsapi.Caller, st logs.Stream) ([]logs.Event, error) {
	events, err := s.PodLogs.Read(ctx, c, st)
	s.events.Add(int64(len(events)))
	return events, err
}

// l1Searches serves the endpoint while it times every search.
func (h *Harness) l1Searches(ctx context.Context, o L1Options, pods []corev1.Pod, res *L1Result) (err error) {
	src := &countingSource{}
	addr, secret, stop, err := h.serveEndpoint(ctx, l1Namespace, benchKey{user: l1User, id: l1AccessKeyID, secret: l1KeySecret}, src)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop()) }()
	api := cloudwatchlogs.New(cloudwatchlogs.Options{
		BaseEndpoint: aws.String("http://" + addr), Region: names.DefaultRegion, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(l1AccessKeyID, secret, ""),
	})
	if err := l1WaitServed(ctx, api, o); err != nil {
		return err
	}
	h.logf("L1: the endpoint serves %d streams of %s lines; searching", o.Streams, thousands(o.Lines))
	for _, s := range l1Searches {
		search := L1Search{Client: ClientLogsAPI, Search: "FilterLogEvents " + s.pattern}
		err := l1Time(ctx, o.Samples, res.MatchesPerSearch, res.Lines, &search, func(ctx context.Context) (int, int, error) {
			before := src.events.Load()
			matches, pages, err := filterAll(ctx, api, s.pattern, s.grep)
			search.LinesRead = int(src.events.Load() - before)
			return matches, pages, err
		})
		if err != nil {
			return fmt.Errorf("L1 %s: %w", search.Search, err)
		}
		res.Searches = append(res.Searches, search)
		h.logf("L1 %s: %.2fs, %.0f lines/s, %d matches in %d pages", search.Search, search.MedianSeconds, search.LinesPerSecond, search.Matches, search.Requests)
	}
	kubectl, version := findKubectl()
	if kubectl == "" {
		h.logf("L1: no kubectl (set $%s, or put one in the Kubernetes binaries' folder): its searches are skipped", KubectlEnv)
		return nil
	}
	k, err := h.newKubectl(kubectl, l1User, l1Namespace)
	if err != nil {
		return err
	}
	defer k.close()
	res.Kubectl = strings.TrimSpace(kubectl + " " + version)
	for _, s := range l1Searches {
		search := L1Search{Client: ClientKubectl, Search: fmt.Sprintf("kubectl logs | grep -F '%s'", s.grep), LinesRead: res.Lines}
		err := l1Time(ctx, o.Samples, res.MatchesPerSearch, res.Lines, &search, func(ctx context.Context) (int, int, error) {
			n := 0
			for i := range pods {
				m, err := k.logsGrep(ctx, pods[i].Name, l1Container, s.grep)
				if err != nil {
					return n, i, err
				}
				n += m
			}
			return n, len(pods), nil
		})
		if err != nil {
			return fmt.Errorf("L1 %s: %w", search.Search, err)
		}
		res.Searches = append(res.Searches, search)
		h.logf("L1 %s: %.2fs, %.0f lines/s, %d matches", search.Search, search.MedianSeconds, search.LinesPerSecond, search.Matches)
	}
	return nil
}

// l1WaitServed waits until DescribeLogStreams lists every stream with its
// last event (kwok has read the Logs objects, the endpoint's key cache has
// the key).
func l1WaitServed(ctx context.Context, api *cloudwatchlogs.Client, o L1Options) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := api.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(l1Group)})
		ready := 0
		if err == nil {
			for _, s := range out.LogStreams {
				if s.LastEventTimestamp != nil && s.FirstEventTimestamp != nil &&
					*s.LastEventTimestamp-*s.FirstEventTimestamp >= int64(o.Lines-1) {
					ready++
				}
			}
			if ready == o.Streams {
				return nil
			}
			err = fmt.Errorf("%d of %d streams served with their whole log", ready, o.Streams)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("L1: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// filterAll pages FilterLogEvents through every match of pattern in the
// group, checking each holds want.
func filterAll(ctx context.Context, api *cloudwatchlogs.Client, pattern, want string) (matches, pages int, err error) {
	p := cloudwatchlogs.NewFilterLogEventsPaginator(api, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(l1Group), FilterPattern: aws.String(pattern),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return matches, pages, err
		}
		pages++
		for _, e := range out.Events {
			if !strings.Contains(aws.ToString(e.Message), want) {
				return matches, pages, fmt.Errorf("event %q does not hold %q", aws.ToString(e.Message), want)
			}
		}
		matches += len(out.Events)
	}
	return matches, pages, nil
}

// logsGrep runs `kubectl logs pod -c container | grep -F text` and returns
// the lines grep printed.
func (k *kubectlRunner) logsGrep(ctx context.Context, pod, container, text string) (int, error) {
	var stderr bytes.Buffer
	logsCmd := exec.CommandContext(ctx, k.path, append(append([]string{}, k.base...), "logs", pod, "-c", container)...)
	logsCmd.Stderr = &stderr
	grep := exec.CommandContext(ctx, "grep", "-F", text)
	pipe, err := logsCmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	grep.Stdin = pipe
	lines := &lineCounter{}
	grep.Stdout = lines
	if err := grep.Start(); err != nil {
		return 0, err
	}
	if err := logsCmd.Run(); err != nil {
		_ = grep.Wait()
		return 0, fmt.Errorf("kubectl logs %s: %w: %s", pod, err, strings.TrimSpace(stderr.String()))
	}
	var exit *exec.ExitError
	if err := grep.Wait(); err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) { // 1: no line matched
		return 0, fmt.Errorf("grep: %w", err)
	}
	return lines.n, nil
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// l1Time runs search samples times in a row, checks each finds want
// matches, and records into s the times and the rate at which they cover
// lines.
func l1Time(ctx context.Context, samples, want, lines int, s *L1Search, search func(context.Context) (matches, requests int, err error)) error {
	secs := make([]float64, 0, samples)
	for range samples {
		t := time.Now()
		matches, requests, err := search(ctx)
		if err != nil {
			return err
		}
		secs = append(secs, time.Since(t).Seconds())
		if matches != want {
			return fmt.Errorf("%d matches, want %d", matches, want)
		}
		s.Matches, s.Requests = matches, requests
	}
	slices.Sort(secs)
	s.MedianSeconds, s.MinSeconds, s.MaxSeconds = round3(median(secs)), round3(secs[0]), round3(secs[len(secs)-1])
	if s.MedianSeconds > 0 {
		s.LinesPerSecond = float64(int64(float64(lines) / s.MedianSeconds))
	}
	return nil
}
