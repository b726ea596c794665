package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/operator"
)

// EditAnnotation is the pod-template annotation the baseline edits in M4.
const EditAnnotation = "bench.berth.dev/edit"

// Recorder timestamps, with the harness's clock and millisecond precision,
// what watches report: pods reaching Running, Deployments appearing and
// changing template, Services becoming Ready. Object timestamps have
// one-second granularity; these do not.
type Recorder struct {
	cache cache.Cache

	mu sync.Mutex
	// per namespace
	podCreated  map[string]map[string]time.Time
	podRunning  map[string]map[string]time.Time
	podProvider map[string]map[string]string
	deployments map[string]map[string]time.Time
	// deployReady is when a Deployment was first complete: observed,
	// every replica updated and available (what `kubectl rollout status`
	// waits for).
	deployReady map[string]map[string]time.Time
	svcReady    map[string]map[string]time.Time
	// svcStable is when a Service was first Ready (ECS's services-stable:
	// one deployment, every task running), before its deployment
	// completes.
	svcStable map[string]map[string]time.Time
	// templates records when a Deployment first showed a template value:
	// key namespace/name|revision=<n> or namespace/name|edit=<v>.
	templates map[string]time.Time
	// modified counts updates that changed the resourceVersion, by kind.
	modified map[string]int
}

// NewRecorder starts watches on pods, Deployments and Berth's kinds.
func NewRecorder(ctx context.Context, cfg *rest.Config) (*Recorder, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: operator.Scheme(), DefaultTransform: cache.TransformStripManagedFields()})
	if err != nil {
		return nil, err
	}
	r := &Recorder{
		cache:      c,
		podCreated: map[string]map[string]time.Time{}, podRunning: map[string]map[string]time.Time{},
		podProvider: map[string]map[string]string{},
		deployments: map[string]map[string]time.Time{}, deployReady: map[string]map[string]time.Time{}, svcReady: map[string]map[string]time.Time{},
		svcStable: map[string]map[string]time.Time{},
		templates: map[string]time.Time{}, modified: map[string]int{},
	}
	kinds := []struct {
		obj client.Object
		fn  func(client.Object, time.Time)
	}{
		{&corev1.Pod{}, r.onPod},
		{&appsv1.Deployment{}, r.onDeployment},
		{&ecsv1alpha1.Service{}, r.onService},
		{&ecsv1alpha1.TaskDefinition{}, nil},
		{&ecsv1alpha1.TaskDefinitionRevision{}, nil},
		{&ecsv1alpha1.Cluster{}, nil},
		{&ecsv1alpha1.CapacityProvider{}, nil},
	}
	for _, k := range kinds {
		inf, err := c.GetInformer(ctx, k.obj)
		if err != nil {
			return nil, err
		}
		kind := fmt.Sprintf("%T", k.obj)
		fn := k.fn
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc: func(o any) {
				if fn != nil {
					fn(o.(client.Object), time.Now())
				}
			},
			UpdateFunc: func(old, o any) {
				now := time.Now()
				if old.(client.Object).GetResourceVersion() != o.(client.Object).GetResourceVersion() {
					r.mu.Lock()
					r.modified[kind]++
					r.mu.Unlock()
				}
				if fn != nil {
					fn(o.(client.Object), now)
				}
			},
		}); err != nil {
			return nil, err
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("recorder caches did not sync")
	}
	return r, nil
}

func setOnce(m map[string]map[string]time.Time, ns, name string, t time.Time) {
	if m[ns] == nil {
		m[ns] = map[string]time.Time{}
	}
	if _, ok := m[ns][name]; !ok {
		m[ns][name] = t
	}
}

func (r *Recorder) onPod(o client.Object, t time.Time) {
	p := o.(*corev1.Pod)
	r.mu.Lock()
	defer r.mu.Unlock()
	setOnce(r.podCreated, p.Namespace, p.Name, t)
	if p.Status.Phase == corev1.PodRunning {
		setOnce(r.podRunning, p.Namespace, p.Name, t)
		if r.podProvider[p.Namespace] == nil {
			r.podProvider[p.Namespace] = map[string]string{}
		}
		r.podProvider[p.Namespace][p.Name] = p.Spec.NodeName
	}
}

func (r *Recorder) onDeployment(o client.Object, t time.Time) {
	d := o.(*appsv1.Deployment)
	r.mu.Lock()
	defer r.mu.Unlock()
	setOnce(r.deployments, d.Namespace, d.Name, t)
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	if st := d.Status; st.ObservedGeneration >= d.Generation && st.UpdatedReplicas == want && st.AvailableReplicas == want && st.Replicas == want {
		setOnce(r.deployReady, d.Namespace, d.Name, t)
	}
	key := d.Namespace + "/" + d.Name + "|"
	if v, ok := d.Spec.Template.Labels[ecsv1alpha1.LabelRevision]; ok {
		if _, seen := r.templates[key+"revision="+v]; !seen {
			r.templates[key+"revision="+v] = t
		}
	}
	if v, ok := d.Spec.Template.Annotations[EditAnnotation]; ok {
		if _, seen := r.templates[key+"edit="+v]; !seen {
			r.templates[key+"edit="+v] = t
		}
	}
}

func (r *Recorder) onService(o client.Object, t time.Time) {
	s := o.(*ecsv1alpha1.Service)
	// Ready (ECS's services-stable) and the deployment COMPLETED (every
	// task healthy): what the baseline's `kubectl rollout status` waits
	// for too.
	if s.Status.ObservedGeneration != s.Generation || !meta.IsStatusConditionTrue(s.Status.Conditions, ecsv1alpha1.ConditionReady) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	setOnce(r.svcStable, s.Namespace, s.Name, t)
	if meta.IsStatusConditionTrue(s.Status.Conditions, ecsv1alpha1.ConditionDeploymentAvailable) {
		setOnce(r.svcReady, s.Namespace, s.Name, t)
	}
}

// Progress is what a namespace has reached.
type Progress struct {
	Pods, Deployments, ReadyDeployments, Services int
	// Last* are when the last of each was first seen.
	LastPod, LastDeployment, LastReadyDeployment, LastService time.Time
	// Stable Services are Ready (services-stable), their deployment
	// completed or not; Services counts those whose deployment completed.
	Stable     int
	LastStable time.Time
}

func last(m map[string]time.Time) time.Time {
	var l time.Time
	for _, t := range m {
		if t.After(l) {
			l = t
		}
	}
	return l
}

// Progress reports namespace ns.
func (r *Recorder) Progress(ns string) Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Progress{
		Pods: len(r.podRunning[ns]), Deployments: len(r.deployments[ns]), ReadyDeployments: len(r.deployReady[ns]), Services: len(r.svcReady[ns]),
		LastPod: last(r.podRunning[ns]), LastDeployment: last(r.deployments[ns]), LastReadyDeployment: last(r.deployReady[ns]),
		LastService: last(r.svcReady[ns]), Stable: len(r.svcStable[ns]), LastStable: last(r.svcStable[ns]),
	}
}

// WaitFor polls Progress(ns) until done says so, or ctx ends.
func (r *Recorder) WaitFor(ctx context.Context, ns string, done func(Progress) bool) (Progress, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		p := r.Progress(ns)
		if done(p) {
			return p, nil
		}
		select {
		case <-ctx.Done():
			return p, fmt.Errorf("namespace %s: waiting for progress (%d pods Running, %d Deployments, %d Services Ready): %w",
				ns, p.Pods, p.Deployments, p.Services, ctx.Err())
		case <-tick.C:
		}
	}
}

// Pods counts the pods of ns the recorder's watch holds, and those of
// them Running and not being deleted: read from memory, unlike a List
// from kube-apiserver, which over 10,000 pods every poll would itself
// load the control plane being measured.
func (r *Recorder) Pods(ctx context.Context, ns string) (total, running int, err error) {
	var pods corev1.PodList
	if err := r.cache.List(ctx, &pods, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
		return 0, 0, err
	}
	for i := range pods.Items {
		if p := &pods.Items[i]; p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			running++
		}
	}
	return len(pods.Items), running, nil
}

// Curve is the number of pods of ns Running over time since start,
// sampled at most every step.
func (r *Recorder) Curve(ns string, start time.Time) []Point {
	r.mu.Lock()
	ts := make([]float64, 0, len(r.podRunning[ns]))
	for _, t := range r.podRunning[ns] {
		ts = append(ts, t.Sub(start).Seconds())
	}
	r.mu.Unlock()
	sort.Float64s(ts)
	var pts []Point
	const maxPoints = 200
	step := max(len(ts)/maxPoints, 1)
	for i := 0; i < len(ts); i += step {
		pts = append(pts, Point{T: round3(ts[i]), Value: i + 1})
	}
	if n := len(ts); n > 0 && (len(pts) == 0 || pts[len(pts)-1].Value != n) {
		pts = append(pts, Point{T: round3(ts[n-1]), Value: n})
	}
	return pts
}

// PodStartup returns every pod's create → Running latency in ns, as
// seen by the watch, in milliseconds, sorted.
func (r *Recorder) PodStartup(ns string) []float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var res []float64
	for name, run := range r.podRunning[ns] {
		if c, ok := r.podCreated[ns][name]; ok {
			res = append(res, float64(run.Sub(c).Microseconds())/1000)
		}
	}
	sort.Float64s(res)
	return res
}

// RunningNodes returns the node of every Running pod of ns.
func (r *Recorder) RunningNodes(ns string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := make([]string, 0, len(r.podProvider[ns]))
	for _, n := range r.podProvider[ns] {
		res = append(res, n)
	}
	sort.Strings(res)
	return res
}

// TemplateSeen is when namespace/name first showed the template value
// key ("revision=2", "edit=7").
func (r *Recorder) TemplateSeen(ns, name, key string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.templates[ns+"/"+name+"|"+key]
	return t, ok
}

// Modified returns the count of resourceVersion-changing updates by kind.
func (r *Recorder) Modified() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := make(map[string]int, len(r.modified))
	for k, v := range r.modified {
		res[k] = v
	}
	return res
}

// Forget drops what was recorded for ns.
func (r *Recorder) Forget(ns string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.podCreated, ns)
	delete(r.podRunning, ns)
	delete(r.podProvider, ns)
	delete(r.deployments, ns)
	delete(r.deployReady, ns)
	delete(r.svcReady, ns)
	delete(r.svcStable, ns)
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
