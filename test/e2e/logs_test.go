package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi/logs"
	"github.com/berth-dev/berth/internal/logs/tail"
)

// writeCRILog writes a container log as the kubelet does (CRI format), for
// kwok to serve as the container's output.
func writeCRILog(t *testing.T, lines []string, start time.Time) string {
	t.Helper()
	var b strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&b, "%s stdout F %s\n", start.Add(time.Duration(i)*time.Millisecond).UTC().Format(time.RFC3339Nano), l)
	}
	f := filepath.Join(t.TempDir(), "container.log")
	if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// kwokLogs makes kwok serve file as the log of the pod's container.
func kwokLogs(t *testing.T, pod *corev1.Pod, container, file string) {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
		"metadata": map[string]any{"name": pod.Name, "namespace": pod.Namespace},
		"spec":     map[string]any{"logs": []any{map[string]any{"containers": []any{container}, "logsFile": file}}},
	}}
	if err := admin.Create(context.Background(), u); err != nil {
		t.Fatalf("kwok Logs for %s: %v", pod.Name, err)
	}
}

func jsonLines(n int, errorEvery int) []string {
	out := make([]string, n)
	for i := range out {
		level := "info"
		if i%errorEvery == 0 {
			level = "error"
		}
		out[i] = fmt.Sprintf(`{"level":"%s","n":%d}`, level, i)
	}
	return out
}

// loggingService creates, with the AWS CLI, a Fargate cluster, a task
// definition of family whose one container "app" logs with awslogs to
// group with prefix, and a service of count tasks, and waits until it is
// stable; the function it returns deletes the service.
func loggingService(t *testing.T, e apiEndpoint, cluster, family, service, group, prefix string, count int) func() {
	t.Helper()
	e.aws(t, "ecs", "create-cluster", "--cluster-name", cluster, "--capacity-providers", "FARGATE",
		"--default-capacity-provider-strategy", "capacityProvider=FARGATE,weight=1")
	e.aws(t, "ecs", "register-task-definition", "--cli-input-json", writeJSON(t, map[string]any{
		"family": family, "networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"}, "cpu": "256", "memory": "512",
		"containerDefinitions": []map[string]any{{"name": "app", "image": "nginx", "essential": true,
			"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]string{
				"awslogs-group": group, "awslogs-stream-prefix": prefix, "awslogs-region": "us-east-1"}}}},
	}))
	e.aws(t, "ecs", "create-service", "--cluster", cluster, "--service-name", service, "--task-definition", family,
		"--desired-count", fmt.Sprint(count), "--network-configuration", "awsvpcConfiguration={subnets=[subnet-1]}")
	e.aws(t, "ecs", "wait", "services-stable", "--cluster", cluster, "--services", service)
	return func() { e.aws(t, "ecs", "delete-service", "--cluster", cluster, "--service", service, "--force") }
}

// TestLogsWithTheAWSCLI: a service's three tasks log through awslogs;
// aws logs lists one stream per task with ECS's names, pages through 5,000
// lines in both directions without loss or duplicates, and filters the
// service's error lines with a JSON pattern.
func TestLogsWithTheAWSCLI(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	e := ecsAPI(t)

	defer loggingService(t, e, "logs", "logs-web", "logweb", "/ecs/logs-web", "web", 3)()

	var pods corev1.PodList
	g.Expect(admin.List(ctx, &pods, client.InNamespace(e.ns), client.MatchingLabels{ecsv1alpha1.LabelCluster: "logs"})).To(Succeed())
	g.Expect(pods.Items).To(HaveLen(3))
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	counts := []int{5000, 100, 100}
	streams := make([]string, 3)
	wantErrors := 0
	for i := range pods.Items {
		pod := &pods.Items[i]
		kwokLogs(t, pod, "app", writeCRILog(t, jsonLines(counts[i], 10), start.Add(time.Duration(i)*time.Microsecond)))
		streams[i] = "web/app/" + logs.TaskID(pod)
		wantErrors += counts[i] / 10
	}

	ls := e.aws(t, "logs", "describe-log-streams", "--log-group-name", "/ecs/logs-web")
	var names []string
	lsStreams, _ := path(ls, "logStreams").([]any)
	for _, s := range lsStreams {
		names = append(names, path(s, "logStreamName").(string))
	}
	want := append([]string{}, streams...)
	sort.Strings(want)
	g.Expect(names).To(Equal(want), "one stream per task and container, prefix/container/task-id")

	// kwok picks the Logs objects up: wait for the big stream's output.
	get := func(args ...string) map[string]any {
		return e.aws(t, append([]string{"logs", "get-log-events", "--log-group-name", "/ecs/logs-web", "--log-stream-name", streams[0], "--limit", "1000"}, args...)...)
	}
	g.Eventually(func() int { evs, _ := path(get("--start-from-head"), "events").([]any); return len(evs) }).WithTimeout(time.Minute).Should(Equal(1000))

	follow := func(args []string, tokenKey string) [][]string {
		var pages [][]string
		tok := ""
		for range 20 {
			a := append([]string{}, args...)
			if tok != "" {
				a = append(a, "--next-token", tok)
			}
			out := get(a...)
			var page []string
			evs, _ := path(out, "events").([]any) // an empty page has none
			for _, ev := range evs {
				page = append(page, path(ev, "message").(string))
			}
			if len(page) > 0 {
				pages = append(pages, page)
			}
			next := path(out, tokenKey).(string)
			if next == tok {
				return pages
			}
			tok = next
		}
		t.Fatalf("%s did not repeat after 20 pages", tokenKey)
		return nil
	}
	var forward []string
	for _, p := range follow([]string{"--start-from-head"}, "nextForwardToken") {
		forward = append(forward, p...)
	}
	g.Expect(forward).To(Equal(jsonLines(5000, 10)), "forward from the head: every line once, in order")
	backPages := follow(nil, "nextBackwardToken")
	var backward []string
	for i := len(backPages) - 1; i >= 0; i-- {
		backward = append(backward, backPages[i]...)
	}
	g.Expect(backward).To(Equal(forward), "backward from the end: the same lines")

	filtered := e.aws(t, "logs", "filter-log-events", "--log-group-name", "/ecs/logs-web", "--filter-pattern", `{ $.level = "error" }`)
	events, _ := path(filtered, "events").([]any)
	g.Expect(events).To(HaveLen(wantErrors), "exactly the error lines of the three tasks")
	for _, ev := range events {
		g.Expect(path(ev, "message")).To(ContainSubstring(`"level":"error"`))
	}

	// boto3: its FilterLogEvents paginator, GetLogEvents tokens, exceptions.
	cmd := exec.CommandContext(ctx, "python3", "testdata/logs_boto3.py", "/ecs/logs-web", streams[0])
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+e.url, "AWS_ACCESS_KEY_ID="+e.id, "AWS_SECRET_ACCESS_KEY="+e.secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	raw, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(raw))
	var seen map[string]any
	g.Expect(json.Unmarshal(bytes.TrimSpace(raw[bytes.LastIndexByte(bytes.TrimSpace(raw), '\n')+1:]), &seen)).To(Succeed(), string(raw))
	g.Expect(seen).To(HaveKeyWithValue("streams", BeEquivalentTo(3)))
	g.Expect(seen).To(HaveKeyWithValue("errors", BeEquivalentTo(wantErrors)))
	g.Expect(seen).To(HaveKeyWithValue("allErrors", true))
	g.Expect(seen).To(HaveKeyWithValue("lines", BeEquivalentTo(5000)))
	g.Expect(seen).To(HaveKeyWithValue("missing", "ResourceNotFoundException"))

	out, err := e.awsRaw("logs", "describe-log-streams", "--log-group-name", "/ecs/nope")
	g.Expect(err).To(HaveOccurred())
	g.Expect(string(out)).To(ContainSubstring("ResourceNotFoundException"))
	out, err = e.awsRaw("logs", "filter-log-events", "--log-group-name", "/ecs/logs-web", "--filter-pattern", `{ $.level = }`)
	g.Expect(err).To(HaveOccurred())
	g.Expect(string(out)).To(ContainSubstring("InvalidParameterException"))
	g.Expect(string(out)).To(ContainSubstring("Invalid filter pattern at position"))
	out, err = e.awsRaw("logs", "get-log-events", "--log-group-name", "/ecs/logs-web", "--log-stream-name", streams[0], "--start-time", "20", "--end-time", "10")
	g.Expect(err).To(HaveOccurred())
	g.Expect(string(out)).To(ContainSubstring("InvalidParameterException"))
}

// TestStoppedTaskKeepsItsLogs: a service task whose essential container
// exits after writing "fatal: boom" is stopped and replaced, and 5 minutes
// later (the retention's clock moved on) the line is still returned by
// filter-log-events and by berth logs, and describe-tasks shows the task
// STOPPED with the exit code that stopped it; once the retention (an
// hour) has passed, the task and its stream are gone.
func TestStoppedTaskKeepsItsLogs(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	e := ecsAPI(t)

	defer loggingService(t, e, "boom", "boom", "boom", "/ecs/boom", "boom", 1)()

	pods := func(g Gomega) []corev1.Pod {
		var list corev1.PodList
		g.Expect(admin.List(ctx, &list, client.InNamespace(e.ns), client.MatchingLabels{ecsv1alpha1.LabelCluster: "boom"})).To(Succeed())
		return list.Items
	}
	first := pods(g)
	g.Expect(first).To(HaveLen(1))
	old := first[0]
	taskID := logs.TaskID(&old)
	kwokLogs(t, &old, "app", writeCRILog(t, []string{"starting", `{"level":"info","msg":"serving"}`, "fatal: boom"}, time.Now().Add(-time.Minute)))
	boom := func() []any {
		out := e.aws(t, "logs", "filter-log-events", "--log-group-name", "/ecs/boom", "--filter-pattern", `"fatal: boom"`)
		evs, _ := path(out, "events").([]any)
		return evs
	}
	g.Eventually(func() int { return len(boom()) }).WithTimeout(time.Minute).WithPolling(time.Second).Should(Equal(1), "kwok serves the task's output")

	// The essential container writes its last line and exits 1.
	base := old.DeepCopy()
	old.Labels["stage.berth.dev/container-exit"] = "true"
	old.Annotations["stage.berth.dev/container-name"] = "app"
	old.Annotations["stage.berth.dev/exit-code"] = "1"
	g.Expect(admin.Patch(ctx, &old, client.MergeFrom(base))).To(Succeed())

	g.Eventually(func(g Gomega) {
		replaced := false
		for _, p := range pods(g) {
			switch {
			case p.UID == old.UID:
				g.Expect(p.Labels).To(HaveKeyWithValue(ecsv1alpha1.LabelStoppedService, "boom"))
				g.Expect(p.Status.Phase).To(Equal(corev1.PodFailed))
			case p.Labels[ecsv1alpha1.LabelService] == "boom" && p.Status.Phase == corev1.PodRunning:
				replaced = true
			}
		}
		g.Expect(replaced).To(BeTrue(), "a new task runs")
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed())
	e.aws(t, "ecs", "wait", "services-stable", "--cluster", "boom", "--services", "boom")

	retention.advance(5 * time.Minute)
	evs := boom()
	g.Expect(evs).To(HaveLen(1), "5 minutes later, filter-log-events still finds the stopped task's line")
	g.Expect(path(evs[0], "logStreamName")).To(Equal("boom/app/" + taskID))
	g.Expect(path(evs[0], "message")).To(Equal("fatal: boom"))

	var out, errOut bytes.Buffer
	code := tail.Main(ctx, []string{"service/boom", "--kubeconfig", cp.KubeconfigPath(), "-n", e.ns, "--since", "1h", "--filter", `"fatal: boom"`}, &out, &errOut)
	g.Expect(code).To(Equal(0), errOut.String())
	g.Expect(strings.TrimSpace(out.String())).To(Equal(taskID+"/app fatal: boom"), "berth logs shows it, prefixed with the task and container")

	listed := e.aws(t, "ecs", "list-tasks", "--cluster", "boom", "--service-name", "boom", "--desired-status", "STOPPED")
	arns, _ := path(listed, "taskArns").([]any)
	g.Expect(arns).To(HaveLen(1))
	g.Expect(arns[0]).To(HaveSuffix("/" + taskID))
	described := e.aws(t, "ecs", "describe-tasks", "--cluster", "boom", "--tasks", arns[0].(string))
	g.Expect(path(described, "tasks.0.lastStatus")).To(Equal("STOPPED"))
	g.Expect(path(described, "tasks.0.stopCode")).To(Equal("EssentialContainerExited"))
	g.Expect(path(described, "tasks.0.stoppedReason")).To(Equal("Essential container in task exited (container app, exit code 1)"))
	g.Expect(path(described, "tasks.0.containers.0.exitCode")).To(BeEquivalentTo(1))

	// The retention passes: the kept task goes (a change to it is what
	// the controller looks again at; it would at the hour anyway).
	retention.advance(time.Hour)
	poke := old.DeepCopy()
	g.Expect(admin.Get(ctx, client.ObjectKeyFromObject(poke), poke)).To(Succeed())
	before := poke.DeepCopy()
	poke.Annotations["e2e.berth.dev/poke"] = "1"
	g.Expect(admin.Patch(ctx, poke, client.MergeFrom(before))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(admin.Get(ctx, client.ObjectKeyFromObject(poke), &corev1.Pod{}))
	}).WithTimeout(timeout).Should(BeTrue())
	g.Expect(boom()).To(BeEmpty(), "its stream went with it")
}
