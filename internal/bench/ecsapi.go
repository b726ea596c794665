package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/endpoint"
	"github.com/berth-dev/berth/internal/awsapi/logs"
	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/localrun"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/operator"
)

// A1Options configure A1, the ECS API endpoint's reads against the same
// reads through Kubernetes. Zero Services skips it.
type A1Options struct {
	// Services × TasksPerService running tasks in the namespace.
	Services, TasksPerService int
	// OneRequestSamples is the sequential samples of each read that is one
	// HTTP request (DescribeServices, the client-go lists in one call).
	OneRequestSamples int
	// ListingSamples is the sequential samples of each full listing in
	// pages (ListTasks, client-go with limit and continue); every page of
	// them is a ListTasks page sample too.
	ListingSamples int
	// KubectlSamples is the sequential samples of each kubectl command (a
	// process per call).
	KubectlSamples int
	// Clients read at once for Duration to measure reads per second.
	Clients  int
	Duration time.Duration
}

// Fixed parts of A1.
const (
	a1Namespace = "a1"
	// a1User is the Kubernetes user the access key acts as; the client-go
	// and kubectl reads impersonate it too, so that every side is read
	// with the same identity and RBAC.
	a1User        = "bench-ecs-user"
	a1AccessKeyID = "AKIABERTHBENCHA10000"
	a1KeySecret   = "bench-a1-access-key"
	a1Cluster     = "default"
	// a1PageSize is ListTasks' maxResults and the client-go page's limit.
	a1PageSize = 100
	// a1Warmup reads of each kind run before the samples (connections,
	// the endpoint's per-identity client, REST mappings).
	a1Warmup = 3
	// KubectlEnv names a kubectl binary for A1; without it A1 looks for
	// kubectl in the Kubernetes binaries' folder, then on $PATH.
	KubectlEnv = "BERTH_KUBECTL"
)

// a1 runs A1 on a namespace of its own, deleted afterwards.
//
// The 1,000 tasks are the Services' tasks (10 Services × 100), not
// standalone Task objects: most tasks of an ECS cluster belong to its
// services, DescribeServices then describes Services that each run 100 of
// them, and ListTasks without a serviceName lists a service's tasks from
// its pods (servicetasks.go) after the standalone Task objects (none here;
// the List of them is still made on every page). So the ListTasks path
// measured is the one a cluster of services takes, over 1,000 real pods.
func (h *Harness) a1(ctx context.Context, o A1Options) (*A1Result, error) {
	ns := a1Namespace
	total := o.Services * o.TasksPerService
	res := &A1Result{Services: o.Services, TasksPerService: o.TasksPerService, Tasks: total, PageSize: a1PageSize,
		Clients: o.Clients, ThroughputSeconds: o.Duration.Seconds()}
	if err := h.createNamespace(ctx, ns, true, 1); err != nil {
		return nil, err
	}
	start := time.Now()
	err := parallel(ctx, o.Services, 16, func(ctx context.Context, i int) error {
		return h.admin.Create(ctx, service(ns, i, o.TasksPerService))
	})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	_, err = h.rec.WaitFor(wctx, ns, func(p Progress) bool { return p.Pods >= total && p.Services >= o.Services })
	cancel()
	if err != nil {
		return nil, err
	}
	h.logf("A1: %d Services × %d tasks Running in %.1fs", o.Services, o.TasksPerService, time.Since(start).Seconds())

	if err := h.a1Reads(ctx, o, res); err != nil {
		return nil, err
	}
	return res, h.deleteNamespace(ctx, ns)
}

// a1Reads serves the ECS API endpoint while it measures every read.
func (h *Harness) a1Reads(ctx context.Context, o A1Options, res *A1Result) (err error) {
	addr, secret, stop, err := h.serveEndpoint(ctx, a1Namespace, benchKey{user: a1User, id: a1AccessKeyID, secret: a1KeySecret}, nil)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop()) }()
	api := ecs.New(ecs.Options{
		BaseEndpoint: aws.String("http://" + addr), Region: names.DefaultRegion, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(a1AccessKeyID, secret, ""),
	})
	cgCfg := unthrottled(h.cp.AdminConfig(), "bench-a1-client-go")
	cgCfg.Impersonate = rest.ImpersonationConfig{UserName: a1User}
	kube, err := client.New(cgCfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		return err
	}
	svcNames := make([]string, o.Services)
	for i := range svcNames {
		svcNames[i] = service(a1Namespace, i, o.TasksPerService).Name
	}
	m := &a1Measure{o: o, api: api, kube: kube, ns: a1Namespace, services: svcNames, tasks: res.Tasks}
	if err := m.waitListed(ctx); err != nil {
		return err
	}
	// The operator has settled: nothing but the reads below runs.
	if _, err := h.waitResynced(ctx, h.operator, o.Services); err != nil {
		return err
	}
	h.logf("A1: the ECS API lists %d tasks; measuring", res.Tasks)
	return m.run(ctx, h, res)
}

// benchKey is the access key a scenario calls the endpoint with: the
// Kubernetes user it acts as, its ID and the name of its Secret.
type benchKey struct{ user, id, secret string }

// grantKey creates the access key Secret (a real key: every request's
// signature is verified) and grants its user the ECS user's reads in ns
// (config/api/ecs-user-role.yaml's, read-only), returning the secret key.
func (h *Harness) grantKey(ctx context.Context, ns string, k benchKey) (string, error) {
	random := make([]byte, 24)
	if _, err := rand.Read(random); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(random)
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ecs-user"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{ecsv1alpha1.GroupVersion.Group}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"pods", "events"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	}}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ecs-user"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: k.user}},
	}
	key := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: localrun.Namespace, Name: k.secret},
		Type:       awsapi.SecretTypeAccessKey,
		StringData: map[string]string{
			awsapi.KeyAccessKeyID: k.id, awsapi.KeySecretAccessKey: secret,
			awsapi.KeyUsername: k.user, awsapi.KeyNamespace: ns,
		},
	}
	for _, obj := range []client.Object{role, binding, key} {
		if err := h.admin.Create(ctx, obj); err != nil {
			return "", fmt.Errorf("access key %s: %w", k.id, err)
		}
	}
	return secret, nil
}

// serveEndpoint serves the endpoint (serveECSAPI) until stop, and creates
// the access key k for the reads of ns; it returns the endpoint's address
// and the key's secret.
func (h *Harness) serveEndpoint(ctx context.Context, ns string, k benchKey, logSource logs.Source) (addr, secret string, stop func() error, err error) {
	ctx, cancel := context.WithCancel(ctx)
	addr, served, err := serveECSAPI(ctx, unthrottled(h.cp.AdminConfig(), "berth-ecs-api"), logSource)
	if err != nil {
		cancel()
		return "", "", nil, err
	}
	stop = func() error { cancel(); return <-served }
	if secret, err = h.grantKey(ctx, ns, k); err != nil {
		return "", "", nil, errors.Join(err, stop())
	}
	return addr, secret, stop, nil
}

// serveECSAPI serves Berth's ECS API endpoint (and the CloudWatch Logs API
// on it, reading logSource; nil: the pods' logs) in this process on a free
// loopback port until ctx ends; served yields Serve's result.
func serveECSAPI(ctx context.Context, cfg *rest.Config, logSource logs.Source) (addr string, served chan error, err error) {
	ep, err := endpoint.New(cfg, endpoint.Options{
		Addr: "127.0.0.1:0", KeyNamespace: localrun.Namespace, Account: names.DefaultAccount, LogSource: logSource, Log: logr.Discard(),
	})
	if err != nil {
		return "", nil, err
	}
	ready := make(chan string, 1)
	served = make(chan error, 1)
	go func() { served <- ep.Serve(ctx, func(a string) { ready <- a }) }()
	select {
	case a := <-ready:
		return a, served, nil
	case err := <-served:
		return "", nil, fmt.Errorf("start the ECS API endpoint: %w", err)
	}
}

// a1Measure holds A1's clients and what they read.
type a1Measure struct {
	o        A1Options
	api      *ecs.Client
	kube     client.Client
	ns       string
	services []string
	tasks    int
}

// describeServices is one DescribeServices of every Service.
func (m *a1Measure) describeServices(ctx context.Context) error {
	out, err := m.api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(a1Cluster), Services: m.services})
	if err != nil {
		return err
	}
	if len(out.Services) != len(m.services) || len(out.Failures) > 0 {
		return fmt.Errorf("DescribeServices: %d services, %d failures, want %d services", len(out.Services), len(out.Failures), len(m.services))
	}
	return nil
}

// listTasks lists every task ARN in pages of a1PageSize; pages, when not
// nil, receives each page's latency in ms.
func (m *a1Measure) listTasks(ctx context.Context, pages *[]float64) (int, error) {
	in := &ecs.ListTasksInput{Cluster: aws.String(a1Cluster), MaxResults: aws.Int32(a1PageSize)}
	n := 0
	for {
		t := time.Now()
		out, err := m.api.ListTasks(ctx, in)
		if err != nil {
			return n, err
		}
		if pages != nil {
			*pages = append(*pages, msSince(t))
		}
		n += len(out.TaskArns)
		if out.NextToken == nil || *out.NextToken == "" {
			return n, nil
		}
		in.NextToken = out.NextToken
	}
}

func (m *a1Measure) checkedListTasks(ctx context.Context, pages *[]float64) error {
	n, err := m.listTasks(ctx, pages)
	if err == nil && n != m.tasks {
		err = fmt.Errorf("ListTasks listed %d tasks, want %d", n, m.tasks)
	}
	return err
}

// waitListed waits until ListTasks lists every task (the endpoint's key
// cache has the key by then too).
func (m *a1Measure) waitListed(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := m.checkedListTasks(ctx, nil)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("A1: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// podSelector is what ListTasks asks kube-apiserver for a service's tasks.
func podSelector() []client.ListOption {
	return []client.ListOption{
		client.MatchingLabels{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue}, client.HasLabels{ecsv1alpha1.LabelService},
	}
}

func (m *a1Measure) listServices(ctx context.Context) error {
	var list ecsv1alpha1.ServiceList
	if err := m.kube.List(ctx, &list, client.InNamespace(m.ns)); err != nil {
		return err
	}
	if len(list.Items) != len(m.services) {
		return fmt.Errorf("listed %d Services, want %d", len(list.Items), len(m.services))
	}
	return nil
}

func (m *a1Measure) listPods(ctx context.Context) error {
	var list corev1.PodList
	if err := m.kube.List(ctx, &list, append(podSelector(), client.InNamespace(m.ns))...); err != nil {
		return err
	}
	if len(list.Items) != m.tasks {
		return fmt.Errorf("listed %d pods, want %d", len(list.Items), m.tasks)
	}
	return nil
}

func (m *a1Measure) listPodPages(ctx context.Context) error {
	n, token := 0, ""
	for {
		var list corev1.PodList
		opts := append(podSelector(), client.InNamespace(m.ns), client.Limit(a1PageSize))
		if token != "" {
			opts = append(opts, client.Continue(token))
		}
		if err := m.kube.List(ctx, &list, opts...); err != nil {
			return err
		}
		n += len(list.Items)
		if token = list.Continue; token == "" {
			break
		}
	}
	if n != m.tasks {
		return fmt.Errorf("listed %d pods in pages, want %d", n, m.tasks)
	}
	return nil
}

// a1Read is one read A1 measures.
type a1Read struct {
	client, read string
	// requests is the HTTP requests one read makes.
	requests, samples int
	fn                func(ctx context.Context, pages *[]float64) error
}

// run measures every read into res.
func (m *a1Measure) run(ctx context.Context, h *Harness, res *A1Result) error {
	ignorePages := func(f func(context.Context) error) func(context.Context, *[]float64) error {
		return func(ctx context.Context, _ *[]float64) error { return f(ctx) }
	}
	pages := m.tasks / a1PageSize
	if m.tasks%a1PageSize != 0 {
		pages++
	}
	reads := []a1Read{
		{ClientECSAPI, fmt.Sprintf("DescribeServices, %d services", len(m.services)), 1, m.o.OneRequestSamples, ignorePages(m.describeServices)},
		{ClientECSAPI, fmt.Sprintf("ListTasks, %s ARNs in pages of %d", thousands(m.tasks), a1PageSize), pages, m.o.ListingSamples, m.checkedListTasks},
		{ClientGo, fmt.Sprintf("list services.ecs.berth.dev, %d objects", len(m.services)), 1, m.o.OneRequestSamples, ignorePages(m.listServices)},
		{ClientGo, fmt.Sprintf("list pods, %s in one call", thousands(m.tasks)), 1, m.o.OneRequestSamples, ignorePages(m.listPods)},
		{ClientGo, fmt.Sprintf("list pods, %s in pages of %d", thousands(m.tasks), a1PageSize), pages, m.o.ListingSamples, ignorePages(m.listPodPages)},
	}
	kubectl, version := findKubectl()
	if kubectl != "" {
		k, err := h.newKubectl(kubectl, a1User, m.ns)
		if err != nil {
			return err
		}
		defer k.close()
		res.Kubectl = strings.TrimSpace(kubectl + " " + version)
		if err := k.check(ctx, len(m.services), m.tasks); err != nil {
			return err
		}
		for _, args := range kubectlReads {
			reads = append(reads, a1Read{ClientKubectl, strings.Join(args, " "), 0, m.o.KubectlSamples,
				ignorePages(func(ctx context.Context) error { return k.run(ctx, io.Discard, args...) })})
		}
	} else {
		h.logf("A1: no kubectl (set $%s, or put one in the Kubernetes binaries' folder): its reads are skipped", KubectlEnv)
	}
	for _, r := range reads {
		got, pageLat, err := m.measure(ctx, r)
		if err != nil {
			return fmt.Errorf("A1 %s %s: %w", r.client, r.read, err)
		}
		res.Reads = append(res.Reads, got)
		h.logf("A1 %s %s: p50 %.1fms p99 %.1fms, %.1f reads/s", got.Client, got.Read, got.P50Ms, got.P99Ms, got.ReadsPerSecond)
		if len(pageLat) > 0 {
			// A page is one request: its rate is the listing's request rate.
			sort.Float64s(pageLat)
			page := A1Read{Client: ClientECSAPI, Read: fmt.Sprintf("ListTasks, one page of %d ARNs", a1PageSize), Requests: 1,
				Samples: len(pageLat), P50Ms: round3(percentile(pageLat, 0.5)), P99Ms: round3(percentile(pageLat, 0.99)),
				ReadsPerSecond: got.RequestsPerSecond, RequestsPerSecond: got.RequestsPerSecond}
			res.Reads = append(res.Reads, page)
			h.logf("A1 %s %s: p50 %.1fms p99 %.1fms", page.Client, page.Read, page.P50Ms, page.P99Ms)
		}
	}
	return nil
}

// measure warms r up, takes its sequential samples (and, for ListTasks,
// the page latencies) and its rate with Clients at once.
func (m *a1Measure) measure(ctx context.Context, r a1Read) (A1Read, []float64, error) {
	res := A1Read{Client: r.client, Read: r.read, Requests: r.requests, Samples: r.samples}
	for range a1Warmup {
		if err := r.fn(ctx, nil); err != nil {
			return res, nil, err
		}
	}
	lat := make([]float64, 0, r.samples)
	var pages []float64
	for range r.samples {
		t := time.Now()
		if err := r.fn(ctx, &pages); err != nil {
			return res, nil, err
		}
		lat = append(lat, msSince(t))
	}
	sort.Float64s(lat)
	res.P50Ms, res.P99Ms = round3(percentile(lat, 0.5)), round3(percentile(lat, 0.99))
	n, secs, err := throughput(ctx, m.o.Clients, m.o.Duration, func(ctx context.Context) error { return r.fn(ctx, nil) })
	if err != nil {
		return res, nil, err
	}
	if secs > 0 {
		res.ReadsPerSecond = round3(float64(n) / secs)
		res.RequestsPerSecond = round3(float64(n*r.requests) / secs)
	}
	return res, pages, nil
}

// throughput runs read on clients goroutines, each again and again until
// d has passed, and returns the reads completed and the seconds until the
// last one finished.
func throughput(ctx context.Context, clients int, d time.Duration, read func(context.Context) error) (int, float64, error) {
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, clients)
	start := time.Now()
	deadline := start.Add(d)
	for c := range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := read(ctx); err != nil {
					errs[c] = err
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, 0, err
	}
	return int(done.Load()), time.Since(start).Seconds(), ctx.Err()
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// Clients of A1's reads and L1's searches.
const (
	ClientECSAPI  = "ecs-api"
	ClientLogsAPI = "logs-api"
	ClientGo      = "client-go"
	ClientKubectl = "kubectl"
)

// kubectlReads are the kubectl commands A1 times: the Services as JSON
// (what DescribeServices answers), and the pods as a person lists them
// (names only, as ListTasks answers ARNs, and the default table).
var kubectlReads = [][]string{
	{"get", "services.ecs.berth.dev", "-o", "json"},
	{"get", "pods", "-o", "name"},
	{"get", "pods"},
}

// findKubectl returns the kubectl A1 runs and its client version: $BERTH_KUBECTL,
// else kubectl in the Kubernetes binaries' folder, else on $PATH; "" when
// there is none.
func findKubectl() (path, version string) {
	candidates := []string{os.Getenv(KubectlEnv)}
	if dir := os.Getenv(localcp.BinDirEnv); dir != "" {
		candidates = append(candidates, filepath.Join(dir, "kubectl"))
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				candidates = append(candidates, filepath.Join(dir, "bin", "k8s", localcp.K8sVersion, "kubectl"))
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if p, err := exec.LookPath("kubectl"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			continue
		}
		out, err := exec.Command(c, "version", "--client", "-o", "json").Output()
		if err != nil {
			continue
		}
		var v struct {
			ClientVersion struct {
				GitVersion string `json:"gitVersion"`
			} `json:"clientVersion"`
		}
		_ = json.Unmarshal(out, &v)
		return c, v.ClientVersion.GitVersion
	}
	return "", ""
}

// kubectlRunner runs kubectl as a scenario's user against the harness's
// cluster, with a discovery cache of its own.
type kubectlRunner struct {
	path, cacheDir string
	base           []string
}

func (h *Harness) newKubectl(path, user, ns string) (*kubectlRunner, error) {
	cache, err := os.MkdirTemp("", "berth-bench-kubectl-")
	if err != nil {
		return nil, err
	}
	return &kubectlRunner{path: path, cacheDir: cache, base: []string{
		"--kubeconfig", h.cp.KubeconfigPath(), "--as", user, "--cache-dir", cache, "-n", ns,
	}}, nil
}

func (k *kubectlRunner) close() { _ = os.RemoveAll(k.cacheDir) }

func (k *kubectlRunner) run(ctx context.Context, out io.Writer, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, k.path, append(append([]string{}, k.base...), args...)...)
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// check makes sure kubectl reads what the others do (and fills its
// discovery cache).
func (k *kubectlRunner) check(ctx context.Context, services, tasks int) error {
	var out bytes.Buffer
	if err := k.run(ctx, &out, kubectlReads[0]...); err != nil {
		return err
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		return fmt.Errorf("kubectl get services: %w", err)
	}
	out.Reset()
	if err := k.run(ctx, &out, kubectlReads[1]...); err != nil {
		return err
	}
	if pods := strings.Count(out.String(), "\n"); len(list.Items) != services || pods != tasks {
		return fmt.Errorf("kubectl read %d Services and %d pods, want %d and %d", len(list.Items), pods, services, tasks)
	}
	return nil
}
