package tail

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi/logs"
	"github.com/berth-dev/berth/internal/logs/pattern"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
)

// Clients are what the command reads with.
type Clients struct {
	// Client reads Services, Tasks and pods.
	Client client.Reader
	// Logs reads pods/log.
	Logs LogReader
	// Namespace is -n, or the kubeconfig context's namespace.
	Namespace string
}

// Connect makes the clients from the kubeconfig flags.
type Connect func(kubeconfig, context, namespace string) (Clients, error)

// Main runs `berth logs` (also `kubectl berth logs`) with the current
// kubeconfig, as kubectl does, and returns the exit code: 2 for bad
// arguments, 1 when the target is not found or RBAC refuses. It stops
// following when ctx ends.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, stdout, stderr, kubeconfig, nil)
}

const usage = `Usage: berth logs service/NAME|task/ID [flags]

Prints the output of an ECS service's tasks (every container, or --container),
or of one task, merged in time order, each line prefixed with its task ID and
ECS container name, as aws logs tail shows awslogs streams:

  berth logs service/web --since 1h --filter '{ $.level = "error" }'
  berth logs task/0f1e2d3c4b5a69788796a5b4c3d2e1f0 --timestamps
  kubectl berth logs service/web -n shop -f

service/NAME is a Service object (or its ECS serviceName, or a service ARN);
task/ID a Task object's name, an ECS task ID (a service's task too) or a task
ARN. It reads the pods' output (pods/log): a task that is not running yet is
skipped, and a task's output goes with its pod.

`

// run is Main with the clients made by connect and, for tests, the wait
// between polls.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, connect Connect, wait func(context.Context, time.Duration) bool) int {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		namespace, kubeconfigPath, kubeContext, cluster string
		container, since, filter                        string
		follow, timestamps                              bool
	)
	fs.StringVar(&namespace, "namespace", "", "namespace (default: the kubeconfig context's)")
	fs.StringVar(&namespace, "n", "", "short for --namespace")
	fs.StringVar(&kubeconfigPath, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
	fs.StringVar(&kubeContext, "context", "", "kubeconfig context (default: the current one)")
	fs.StringVar(&cluster, "cluster", "", "the ECS cluster of the service or task (default: any)")
	fs.StringVar(&container, "container", "", "only this container (its ECS name)")
	fs.StringVar(&container, "c", "", "short for --container")
	fs.StringVar(&since, "since", "10m", "from when: a duration ago (30s, 10m, 1h, 2d, 1w) or an RFC 3339 time; 0 for all Kubernetes keeps")
	fs.StringVar(&filter, "filter", "", "CloudWatch filter pattern the lines must match (terms, \"phrases\", ?alternatives, -exclusions, %regex%, { $.json = ... }, [space, delimited])")
	fs.BoolVar(&follow, "follow", false, "keep printing new lines (polling every 2s), of new tasks too, until interrupted")
	fs.BoolVar(&follow, "f", false, "short for --follow")
	fs.BoolVar(&timestamps, "timestamps", false, "print each line's time (RFC 3339) first")
	fs.Usage = func() {
		_, _ = fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	targets, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	bad := func(format string, a ...any) int {
		_, _ = fmt.Fprintf(stderr, "berth logs: "+format+"\n", a...)
		return 2
	}
	if len(targets) != 1 {
		fs.Usage()
		return 2
	}
	tgt, err := parseTarget(targets[0])
	if err != nil {
		return bad("%v", err)
	}
	if tgt.cluster != "" {
		if cluster != "" && names.ObjectName(cluster) != names.ObjectName(tgt.cluster) {
			return bad("the ARN's cluster %s is not --cluster %s", tgt.cluster, cluster)
		}
		cluster = tgt.cluster
	}
	opts := Options{Follow: follow, Container: container, Timestamps: timestamps}
	if opts.Since, err = ParseSince(since, time.Now()); err != nil {
		return bad("--since: %v", err)
	}
	if opts.Filter, err = pattern.Parse(filter); err != nil {
		return bad("--filter: %v", err)
	}
	fail := func(err error) int {
		_, _ = fmt.Fprintf(stderr, "berth logs: %v\n", err)
		return 1
	}
	cs, err := connect(kubeconfigPath, kubeContext, namespace)
	if err != nil {
		return fail(err)
	}
	pods, err := tgt.resolve(ctx, cs.Client, cs.Namespace, cluster)
	if err != nil {
		return fail(err)
	}
	t := &Tailer{Opts: opts, Pods: pods, Logs: cs.Logs, Out: stdout, Err: stderr, Wait: wait}
	if err := t.Run(ctx); err != nil {
		return fail(err)
	}
	return 0
}

// parseInterspersed parses the flags wherever they are, kubectl-style
// (berth logs service/web --since 1h), and returns the other arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if len(left) == 0 {
			return rest, nil
		}
		if n := len(args) - len(left); n > 0 && args[n-1] == "--" {
			return append(rest, left...), nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

var relative = regexp.MustCompile(`^(\d+)([smhdw])$`)

// ParseSince reads --since as aws logs tail does: a duration before now
// (30s, 10m, 1h, 2d, 1w, or a Go duration such as 1h30m), or an RFC 3339
// time (or a date, midnight UTC); "" and "0" are the beginning.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" || s == "0" {
		return time.Time{}, nil
	}
	if m := relative.FindStringSubmatch(s); m != nil {
		unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > math.MaxInt64/int64(unit) {
			return time.Time{}, fmt.Errorf("%q is too long ago", s)
		}
		return now.Add(-time.Duration(n) * unit), nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q is negative", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (30s, 10m, 1h, 2d, 1w) nor an RFC 3339 time (2006-01-02T15:04:05Z)", s)
}

// target is what the command shows: a service or a task.
type target struct {
	kind    string // "service" or "task"
	name    string
	cluster string // from an ARN
}

// parseTarget reads service/NAME, task/ID (also services/, tasks/, svc/)
// or an ECS service or task ARN.
func parseTarget(s string) (target, error) {
	if strings.HasPrefix(s, "arn:") {
		parts := strings.SplitN(s, ":", 6)
		if len(parts) == 6 {
			res := strings.Split(parts[5], "/")
			if (res[0] == "service" || res[0] == "task") && (len(res) == 2 || len(res) == 3) && res[len(res)-1] != "" {
				t := target{kind: res[0], name: res[len(res)-1]}
				if len(res) == 3 {
					t.cluster = res[1]
				}
				return t, nil
			}
		}
		return target{}, fmt.Errorf("%s is not an ECS service or task ARN", s)
	}
	kind, name, ok := strings.Cut(s, "/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return target{}, fmt.Errorf("%q: say service/NAME or task/ID", s)
	}
	switch strings.ToLower(kind) {
	case "service", "services", "svc":
		return target{kind: "service", name: name}, nil
	case "task", "tasks":
		return target{kind: "task", name: name}, nil
	}
	return target{}, fmt.Errorf("%q: %s is neither service nor task", s, kind)
}

func clusterLabel(cluster string) string { return names.ObjectName(names.ClusterName(cluster)) }

// resolve finds the service or task and returns how to list its pods.
func (tgt target) resolve(ctx context.Context, c client.Reader, ns, cluster string) (PodLister, error) {
	if tgt.kind == "service" {
		svc, err := findService(ctx, c, ns, tgt.name, cluster)
		if err != nil {
			return nil, err
		}
		running := listPods(c, ns, client.MatchingLabels(translate.ServiceSelector(svc)))
		stopped := listPods(c, ns, client.MatchingLabels{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue, ecsv1alpha1.LabelStoppedService: svc.Name})
		return func(ctx context.Context) ([]corev1.Pod, error) {
			// The tasks it runs, and those its scheduler stopped that are
			// kept with their logs (taskstate.Retire).
			pods, err := running(ctx)
			if err != nil {
				return nil, err
			}
			kept, err := stopped(ctx)
			for i := range kept {
				if taskstate.RetiredFrom(&kept[i], svc.UID) { // not a former Service's of that name
					pods = append(pods, kept[i])
				}
			}
			return pods, err
		}, nil
	}
	return findTask(ctx, c, ns, tgt.name, cluster)
}

func listPods(c client.Reader, ns string, opts ...client.ListOption) PodLister {
	return func(ctx context.Context) ([]corev1.Pod, error) {
		var pods corev1.PodList
		if err := c.List(ctx, &pods, append([]client.ListOption{client.InNamespace(ns)}, opts...)...); err != nil {
			return nil, err
		}
		return pods.Items, nil
	}
}

// findService finds a Service by object name, else by ECS service name;
// with a cluster, in that cluster.
func findService(ctx context.Context, c client.Reader, ns, name, cluster string) (*ecsv1alpha1.Service, error) {
	inCluster := func(svc *ecsv1alpha1.Service) bool {
		return cluster == "" || clusterLabel(svc.Spec.Cluster) == clusterLabel(cluster)
	}
	var svc ecsv1alpha1.Service
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &svc)
	switch {
	case err == nil && inCluster(&svc):
		return &svc, nil
	case err != nil && !apierrors.IsNotFound(err):
		return nil, err
	}
	var list ecsv1alpha1.ServiceList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var found []*ecsv1alpha1.Service
	for i := range list.Items {
		s := &list.Items[i]
		if names.ServiceName(s.Spec.ServiceName, s.Name) == name && inCluster(s) {
			found = append(found, s)
		}
	}
	where := "namespace " + ns
	if cluster != "" {
		where = "cluster " + cluster + " of " + where
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("service %s not found in %s", name, where)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%d services are named %s in %s: say which with --cluster", len(found), name, where)
}

// findTask finds a standalone Task by object name, or a task (a service's
// too) by ECS task ID, and lists its pod.
func findTask(ctx context.Context, c client.Reader, ns, name, cluster string) (PodLister, error) {
	inCluster := func(clusterName string) bool {
		return cluster == "" || clusterLabel(clusterName) == clusterLabel(cluster)
	}
	var task ecsv1alpha1.Task
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &task)
	switch {
	case err == nil && inCluster(task.Spec.Cluster):
		return listPods(c, ns, client.MatchingLabels{ecsv1alpha1.LabelTask: task.Name}), nil
	case err != nil && !apierrors.IsNotFound(err):
		return nil, err
	}
	id := names.TaskID(strings.ToLower(name)) // a UID with its dashes too
	if pods, err := findPodByTaskID(ctx, c, ns, id, cluster); pods != nil || err != nil {
		return pods, err
	}
	// A standalone task whose pod is gone (or not made yet).
	var tasks ecsv1alpha1.TaskList
	if err := c.List(ctx, &tasks, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	for i := range tasks.Items {
		t := &tasks.Items[i]
		if names.TaskID(string(t.UID)) == id && inCluster(t.Spec.Cluster) {
			return listPods(c, ns, client.MatchingLabels{ecsv1alpha1.LabelTask: t.Name}), nil
		}
	}
	return nil, fmt.Errorf("task %s not found in namespace %s (a Task's name, or an ECS task ID)", name, ns)
}

// findPodByTaskID lists the pod of the task with this ECS ID, or returns
// nil when no pod has it.
func findPodByTaskID(ctx context.Context, c client.Reader, ns, id, cluster string) (PodLister, error) {
	opt := client.ListOption(client.HasLabels{ecsv1alpha1.LabelCluster})
	if cluster != "" {
		opt = client.MatchingLabels{ecsv1alpha1.LabelCluster: clusterLabel(cluster)}
	}
	pods, err := listPods(c, ns, opt)(ctx)
	if err != nil {
		return nil, err
	}
	for i := range pods {
		pod := &pods[i]
		if logs.TaskID(pod) != id {
			continue
		}
		if ref := metav1.GetControllerOf(pod); ref != nil && ref.Kind == "Task" {
			return listPods(c, ns, client.MatchingLabels{ecsv1alpha1.LabelTask: pod.Labels[ecsv1alpha1.LabelTask]}), nil
		}
		// A service's task is its pod: this one, while it exists.
		key, uid := client.ObjectKeyFromObject(pod), pod.UID
		return func(ctx context.Context) ([]corev1.Pod, error) {
			var p corev1.Pod
			if err := c.Get(ctx, key, &p); apierrors.IsNotFound(err) {
				return nil, nil
			} else if err != nil {
				return nil, err
			}
			if p.UID != uid {
				return nil, nil
			}
			return []corev1.Pod{p}, nil
		}, nil
	}
	return nil, nil
}

// Scheme has the types the command reads.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := ecsv1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// kubeconfig connects as kubectl does: --kubeconfig, else $KUBECONFIG,
// else ~/.kube/config, else the in-cluster configuration; the namespace is
// -n, else the context's.
func kubeconfig(path, kubeContext, namespace string) (Clients, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	overrides.Context.Namespace = namespace
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return Clients{}, err
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return Clients{}, err
	}
	c, err := client.New(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		return Clients{}, err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return Clients{}, err
	}
	return Clients{Client: c, Logs: podLogs{kube}, Namespace: ns}, nil
}

// podLogs reads pods/log.
type podLogs struct{ kube kubernetes.Interface }

func (p podLogs) ReadLog(ctx context.Context, namespace, pod, container string, since *time.Time) (io.ReadCloser, error) {
	opts := &corev1.PodLogOptions{Container: container, Timestamps: true}
	if since != nil {
		opts.SinceTime = &metav1.Time{Time: *since}
	}
	return p.kube.CoreV1().Pods(namespace).GetLogs(pod, opts).Stream(ctx)
}
