// Package bench measures Berth on the local control plane against a plain
// client-go baseline that writes the same Deployments with Berth's own
// translation code: bulk convergence (M1), writes on a no-op resync (M2),
// memory against a bare manager (M3), edit-to-rollout latency (M4) and
// 1,000 Services × 10 tasks (M5). cmd/berth-bench runs it (`make bench`);
// its smoke test (`make bench-smoke`) runs inside `make test`.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/localrun"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/operator"
	"github.com/berth-dev/berth/internal/translate"
)

// Family is the task definition family every benchmark Service runs.
const Family = "web"

// Harness is one control plane with the operator's identity, a baseline
// identity, a recorder and the audit log.
type Harness struct {
	Profile localcp.Profile
	cp      *localcp.ControlPlane
	// admin is the harness's own client (user agent berth-bench).
	admin client.Client
	// baseline writes as the ServiceAccount bench-baseline, bound to the
	// operator's ClusterRole.
	baseline client.Client
	rec      *Recorder
	audit    *AuditLog
	log      io.Writer
	logDir   string
	// operatorKubeconfig authenticates the operator child.
	operatorKubeconfig string
	concurrency        int
	operator           *Child
	cps                map[string]*ecsv1alpha1.CapacityProvider
}

// HarnessOptions configure NewHarness.
type HarnessOptions struct {
	Profile      localcp.Profile
	NodesPerPool int
	PodsPerNode  int
	Concurrency  int
	Log          io.Writer
}

func unthrottled(cfg *rest.Config, agent string) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	cfg.UserAgent = agent
	return cfg
}

// NewHarness starts a control plane with the audit log on, installs Berth's
// CRDs and RBAC, creates the two node pools and starts the recorder. The
// operator is not started.
func NewHarness(ctx context.Context, o HarnessOptions) (_ *Harness, err error) {
	h := &Harness{Profile: o.Profile, log: o.Log, concurrency: o.Concurrency}
	if h.log == nil {
		h.log = io.Discard
	}
	h.cp, err = localcp.Start(ctx, localcp.Options{Profile: o.Profile, AuditPolicy: AuditPolicy, NoMetrics: true})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = h.Close()
		}
	}()
	h.logDir = filepath.Join(h.cp.Dir(), "logs")
	pods := fmt.Sprint(o.PodsPerNode)
	saCfg, err := localrun.Bootstrap(ctx, h.cp,
		localrun.Pool("fargate", o.NodesPerPool, "1000", "4000Gi", pods),
		localrun.Pool("ec2", o.NodesPerPool, "1000", "4000Gi", pods))
	if err != nil {
		return nil, err
	}
	h.operatorKubeconfig = filepath.Join(h.cp.Dir(), "operator.kubeconfig")
	if err := writeKubeconfig(h.operatorKubeconfig, saCfg); err != nil {
		return nil, err
	}
	if h.admin, err = client.New(unthrottled(h.cp.AdminConfig(), harnessAgent), client.Options{Scheme: operator.Scheme()}); err != nil {
		return nil, err
	}
	baseCfg, err := h.cp.ServiceAccountConfig(ctx, localrun.Namespace, "bench-baseline")
	if err != nil {
		return nil, err
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "bench-baseline"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "berth-manager"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: localrun.Namespace, Name: "bench-baseline"}},
	}
	if err := h.admin.Create(ctx, binding); err != nil {
		return nil, err
	}
	if h.baseline, err = client.New(unthrottled(baseCfg, "bench-baseline"), client.Options{Scheme: operator.Scheme()}); err != nil {
		return nil, err
	}
	h.cps = capacityProviders()
	for _, cp := range h.cps {
		if err := h.admin.Create(ctx, cp.DeepCopy()); err != nil {
			return nil, err
		}
	}
	if h.rec, err = NewRecorder(ctx, unthrottled(h.cp.AdminConfig(), harnessAgent+"-recorder")); err != nil {
		return nil, err
	}
	if h.audit, err = NewAuditLog(h.cp.AuditLogPath()); err != nil {
		return nil, err
	}
	return h, nil
}

// Close stops the operator and the control plane.
func (h *Harness) Close() error {
	if h.operator != nil {
		_ = h.operator.Stop()
		h.operator = nil
	}
	if h.cp == nil {
		return nil
	}
	return h.cp.Stop()
}

func (h *Harness) logf(format string, args ...any) {
	_, _ = fmt.Fprintf(h.log, "%s [%s] %s\n", time.Now().UTC().Format("15:04:05.000"), profileName(h.Profile), fmt.Sprintf(format, args...))
}

func profileName(p localcp.Profile) string {
	if p == localcp.ProfileDefault {
		return "default"
	}
	return string(p)
}

// StartOperator starts the operator child (stopping a running one first).
func (h *Harness) StartOperator(ctx context.Context) error {
	if err := h.StopOperator(); err != nil {
		return err
	}
	c, err := startChild(ctx, RoleOperator, h.operatorKubeconfig, h.logDir, h.concurrency)
	if err != nil {
		return err
	}
	h.operator = c
	return nil
}

// StopOperator stops the operator child, if one runs.
func (h *Harness) StopOperator() error {
	if h.operator == nil {
		return nil
	}
	err := h.operator.Stop()
	h.operator = nil
	return err
}

func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["bench"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["bench"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["bench"] = &clientcmdapi.Context{Cluster: "bench", AuthInfo: "bench"}
	kc.CurrentContext = "bench"
	return clientcmd.WriteToFile(*kc, path)
}

func capacityProviders() map[string]*ecsv1alpha1.CapacityProvider {
	taint := func(n string) []corev1.Taint {
		return []corev1.Taint{{Key: ecsv1alpha1.LabelCapacityProvider, Value: n, Effect: corev1.TaintEffectNoSchedule}}
	}
	fg := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "fargate"}}
	fg.Spec.Name = "FARGATE"
	fg.Spec.Type = ecsv1alpha1.CapacityProviderFargate
	fg.Spec.NodePool.Taints = taint("fargate")
	ec2 := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "ec2"}}
	ec2.Spec.Type = ecsv1alpha1.CapacityProviderEC2AutoScaling
	ec2.Spec.NodePool.Taints = taint("ec2")
	return map[string]*ecsv1alpha1.CapacityProvider{"fargate": fg, "ec2": ec2}
}

// cluster is the ECS cluster "default" of every benchmark namespace:
// both providers, EC2-style by default.
func cluster(ns string) *ecsv1alpha1.Cluster {
	c := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}}
	c.Spec.CapacityProviders = []string{"FARGATE", "ec2"}
	c.Spec.DefaultCapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{{CapacityProvider: "ec2", Weight: ptr.To[int32](1)}}
	return c
}

// taskDefinition is the benchmark's task definition, revision 1's image
// (later revisions change it).
func taskDefinition(ns string) *ecsv1alpha1.TaskDefinition {
	const image = "public.ecr.aws/nginx/nginx:1.27"
	td := &ecsv1alpha1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: Family}}
	td.Spec.Family = Family
	td.Spec.NetworkMode = ecsv1alpha1.NetworkModeAwsvpc
	td.Spec.RequiresCompatibilities = []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityFargate, ecsv1alpha1.CompatibilityEc2}
	td.Spec.Cpu = "256"
	td.Spec.Memory = "512"
	td.Spec.ContainerDefinitions = []ecsv1alpha1.ContainerDefinition{{
		Name: "web", Image: image, Essential: ptr.To(true),
		PortMappings: []ecsv1alpha1.PortMapping{{Name: "http", ContainerPort: ptr.To[int32](80)}},
	}}
	return td
}

// service is benchmark Service i, on revision 1: even ones on FARGATE by launch type, odd
// ones on the cluster's default strategy (the EC2-style pool).
func service(ns string, i, tasks int) *ecsv1alpha1.Service {
	s := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("svc-%05d", i)}}
	s.Spec.TaskDefinition = Family + ":1"
	s.Spec.DesiredCount = ptr.To(int32(tasks))
	if i%2 == 0 {
		s.Spec.LaunchType = ecsv1alpha1.LaunchTypeFargate
	}
	return s
}

// createNamespace creates ns with the Cluster and the task definition
// (and, with revisions 2, a second revision), and waits for the revisions.
func (h *Harness) createNamespace(ctx context.Context, ns string, berth bool, revisions int) error {
	if err := h.admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	if !berth {
		return nil
	}
	if err := h.admin.Create(ctx, cluster(ns)); err != nil {
		return err
	}
	td := taskDefinition(ns)
	if err := h.admin.Create(ctx, td); err != nil {
		return err
	}
	for rev := 1; rev <= revisions; rev++ {
		if rev > 1 {
			if err := h.admin.Get(ctx, client.ObjectKeyFromObject(td), td); err != nil {
				return err
			}
			base := td.DeepCopy()
			td.Spec.ContainerDefinitions[0].Image = fmt.Sprintf("public.ecr.aws/nginx/nginx:1.%d", 27+rev)
			if err := h.admin.Patch(ctx, td, client.MergeFrom(base)); err != nil {
				return err
			}
		}
		if err := h.waitRevision(ctx, ns, rev); err != nil {
			return err
		}
	}
	return nil
}

func (h *Harness) waitRevision(ctx context.Context, ns string, rev int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	name := fmt.Sprintf("%s-%d", Family, rev)
	for {
		err := h.admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ecsv1alpha1.TaskDefinitionRevision{})
		if err == nil {
			return nil
		}
		if !apierrors.IsNotFound(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("revision %s/%s was not registered: %w", ns, name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// deleteCollections deletes the namespace's ECS Services, then its
// Deployments, ReplicaSets and pods.
func (h *Harness) deleteCollections(ctx context.Context, ns string) error {
	in := client.InNamespace(ns)
	var steps []string
	last := time.Now()
	step := func(name string) {
		steps = append(steps, fmt.Sprintf("%s %.1fs", name, time.Since(last).Seconds()))
		last = time.Now()
	}
	if err := h.deleteServices(ctx, in); err != nil {
		return err
	}
	step("services")
	for _, o := range []client.Object{&appsv1.Deployment{}, &appsv1.ReplicaSet{}} {
		if err := h.deleteAllOf(ctx, o, in); err != nil {
			return err
		}
		step(fmt.Sprintf("%T", o))
	}
	if err := h.admin.DeleteAllOf(ctx, &corev1.Pod{}, in, client.GracePeriodSeconds(0)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("delete pods in %s: %w", ns, err)
	}
	step("pods")
	h.logf("namespace %s: deleted its collections (%s)", ns, strings.Join(steps, ", "))
	return nil
}

// deleteAllOf deletes a collection in the background. A collection of
// 1,000 objects on a loaded API server can outlast the request timeout;
// what was deleted stays deleted, so the call is repeated.
func (h *Harness) deleteAllOf(ctx context.Context, o client.Object, in client.InNamespace) error {
	var err error
	for range 5 {
		if err = h.admin.DeleteAllOf(ctx, o, in, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) == nil {
			return nil
		}
	}
	return fmt.Errorf("delete %T in %s: %w", o, string(in), err)
}

// deleteServices deletes the namespace's ECS Services and drops their
// finalizers and the Clusters', with as many requests at once as the
// harness's workers: each Service goes at once instead of being drained
// by the operator (with a DeleteCollection, which the API server carries
// out one object at a time, 1,000 Services took 105 s, most of it the
// operator draining them). The operator may be gone: nothing waits for it.
func (h *Harness) deleteServices(ctx context.Context, in client.InNamespace) error {
	var svcs ecsv1alpha1.ServiceList
	if err := h.admin.List(ctx, &svcs, in); err != nil {
		return fmt.Errorf("list Services in %s: %w", string(in), err)
	}
	var clusters ecsv1alpha1.ClusterList
	if err := h.admin.List(ctx, &clusters, in); err != nil {
		return fmt.Errorf("list Clusters in %s: %w", string(in), err)
	}
	objs := make([]client.Object, 0, len(svcs.Items)+len(clusters.Items))
	for i := range svcs.Items {
		objs = append(objs, &svcs.Items[i])
	}
	for i := range clusters.Items {
		objs = append(objs, &clusters.Items[i])
	}
	raw := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`))
	return parallel(ctx, len(objs), max(h.concurrency, 1), func(ctx context.Context, i int) error {
		o := objs[i]
		if _, ok := o.(*ecsv1alpha1.Service); ok {
			if err := h.admin.Delete(ctx, o, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("delete Service %s: %w", o.GetName(), err)
			}
		}
		if err := h.admin.Patch(ctx, o, raw); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("drop finalizers of %T %s: %w", o, o.GetName(), err)
		}
		return nil
	})
}

// deleteNamespace deletes ns and waits until it and everything in it is
// gone, so the next run starts on an empty cluster.
//
// The namespace controller alone takes about a minute for 1,000
// Deployments here (it lists every resource type and lets the garbage
// collector and kwok remove the pods one by one), so the harness first
// deletes each collection itself: the ECS Services (so that the operator
// recreates nothing), the Deployments, ReplicaSets and, without a grace
// period, the pods.
func (h *Harness) deleteNamespace(ctx context.Context, ns string) error {
	start := time.Now()
	if err := h.deleteCollections(ctx, ns); err != nil {
		return err
	}
	collections := time.Since(start)
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	if err := h.admin.Delete(ctx, nsObj); client.IgnoreNotFound(err) != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for {
		err := h.admin.Get(ctx, client.ObjectKeyFromObject(nsObj), nsObj)
		if apierrors.IsNotFound(err) {
			h.rec.Forget(ns)
			h.logf("namespace %s deleted in %.1fs (its collections %.1fs)", ns, time.Since(start).Seconds(), collections.Seconds())
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("namespace %s was not deleted: %w", ns, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// parallel runs fn(i) for i in [0, n) on workers goroutines and returns
// the first error.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return first
}

// baselineDeployment is what Berth would apply for service i, computed in
// process with Berth's translation code, without the owner reference (no
// Service object exists in the baseline).
func (h *Harness) baselineDeployment(ns string, i, tasks int) (*appsv1ac.DeploymentApplyConfiguration, error) {
	svc := service(ns, i, tasks)
	td := taskDefinition(ns)
	rev := translate.Revision{TaskDefinition: Family, Number: 1, Spec: &td.Spec.RegisterTaskDefinitionInput}
	p, err := translate.ResolvePlacement(translate.PlacementInput{
		LaunchType: svc.Spec.LaunchType, Strategy: svc.Spec.CapacityProviderStrategy,
		Cluster: cluster(ns), CapacityProviders: h.cps,
	})
	if err != nil {
		return nil, err
	}
	d, err := translate.Deployment(svc, rev, p, translate.Config{Account: names.DefaultAccount})
	if err != nil {
		return nil, err
	}
	d.OwnerReferences = nil
	return d, nil
}

// cpu returns the CPU seconds used so far by every component, the
// operator and the harness.
func (h *Harness) cpu() map[string]float64 {
	res := map[string]float64{"harness": cpuSeconds(os.Getpid())}
	for name, pid := range h.cp.PIDs() {
		res[name] = cpuSeconds(pid)
	}
	if h.operator != nil {
		res["operator"] = cpuSeconds(h.operator.cmd.Process.Pid)
	}
	return res
}

func cpuDelta(before, after map[string]float64) map[string]float64 {
	res := make(map[string]float64, len(after))
	for k, v := range after {
		res[k] = round3(v - before[k])
	}
	return res
}

// LogDir holds the control plane's and the children's logs.
func (h *Harness) LogDir() string { return h.logDir }
