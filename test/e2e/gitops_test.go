package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// gitopsDoc is what a team keeps in Git: one file with every kind. The
// CapacityProvider is cluster-scoped (shared by every namespace the test
// applies the file to); the rest is namespaced.
const gitopsDoc = `
apiVersion: ecs.berth.dev/v1alpha1
kind: CapacityProvider
metadata:
  name: gitops
spec:
  type: EC2_AUTOSCALING
  autoScalingGroupProvider:
    managedScaling: {status: ENABLED, targetCapacity: 100, instanceWarmupPeriod: 10}
  nodePool: {provisioner: kwok}
---
apiVersion: ecs.berth.dev/v1alpha1
kind: Cluster
metadata:
  name: gitops
spec:
  capacityProviders: [gitops]
  defaultCapacityProviderStrategy:
  - {capacityProvider: gitops, weight: 1}
---
apiVersion: ecs.berth.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: gitops
spec:
  family: gitops
  containerDefinitions:
  - name: app
    image: public.ecr.aws/example/gitops:1
    essential: true
    cpu: 32
    memoryReservation: 32
    healthCheck: {command: [CMD, "true"], interval: 5, retries: 1}
---
apiVersion: ecs.berth.dev/v1alpha1
kind: Service
metadata:
  name: gitops
spec:
  cluster: gitops
  taskDefinition: gitops
  desiredCount: 1
---
apiVersion: ecs.berth.dev/v1alpha1
kind: Task
metadata:
  name: gitops-once
spec:
  cluster: gitops
  taskDefinition: gitops
---
apiVersion: ecs.berth.dev/v1alpha1
kind: ScalableTarget
metadata:
  name: gitops
spec:
  serviceNamespace: ecs
  resourceId: service/gitops/gitops
  scalableDimension: ecs:service:DesiredCount
  minCapacity: 1
  maxCapacity: 3
`

// TestGitOpsOrderNeverFails applies one multi-document file, as Flux or
// Argo CD would, in 20 random document orders (one namespace each, at the
// same time), and once with its TaskDefinition 15 s late. kstatus' status
// of every version of every object (a watch sees each one) is never Failed,
// and every object reaches Current, Ready.
func TestGitOpsOrderNeverFails(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	docs := decodeDocs(t, gitopsDoc)
	seed := uint64(time.Now().UnixNano())
	t.Logf("document orders from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	w := watchKstatus(t, "gitops-")
	defer w.stop()
	var namespaces []string
	var wg sync.WaitGroup
	errs := make([]error, 21)
	for i := range 21 {
		name := fmt.Sprintf("gitops-%02d", i)
		namespaces = append(namespaces, name)
		Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
		dumpOnFailure(t, name)
		order := rng.Perm(len(docs))
		late := i == 20
		wg.Go(func() {
			var held *unstructured.Unstructured
			for _, j := range order {
				u := docs[j].DeepCopy()
				if late && u.GetKind() == "TaskDefinition" {
					held = u
					continue
				}
				if errs[i] = apply(name, u); errs[i] != nil {
					return
				}
			}
			if held != nil {
				time.Sleep(15 * time.Second)
				errs[i] = apply(name, held)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		Expect(err).NotTo(HaveOccurred())
	}
	t.Cleanup(func() {
		for _, n := range namespaces {
			_ = admin.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}})
		}
	})
	Eventually(func(g Gomega) {
		for _, n := range namespaces {
			for _, kind := range []client.Object{&ecsv1alpha1.Cluster{}, &ecsv1alpha1.TaskDefinition{}, &ecsv1alpha1.Service{}, &ecsv1alpha1.ScalableTarget{}} {
				expectCurrentReady(g, kind, client.ObjectKey{Namespace: n, Name: "gitops"})
			}
			expectCurrentReady(g, &ecsv1alpha1.Task{}, client.ObjectKey{Namespace: n, Name: "gitops-once"})
		}
		expectCurrentReady(g, &ecsv1alpha1.CapacityProvider{}, client.ObjectKey{Name: "gitops"})
	}).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
	failed, seen := w.stop()
	Expect(seen).To(BeNumerically(">", 21*5), "the watch saw too few versions to judge")
	Expect(failed).To(BeEmpty(), "kstatus Failed seen while the objects converged")
}

// expectCurrentReady: kstatus Current, observedGeneration current, Ready.
func expectCurrentReady(g Gomega, obj client.Object, key client.ObjectKey) {
	g.Expect(admin.Get(context.Background(), key, obj)).To(Succeed())
	res := kstatusCompute(g, obj)
	g.Expect(res.Status).To(Equal(status.CurrentStatus), "%T %s: %s", obj, key, res.Message)
	conds, gen, observed := conditionsOf(obj)
	g.Expect(observed).To(Equal(gen), "%T %s: observedGeneration", obj, key)
	g.Expect(meta.IsStatusConditionTrue(conds, ecsv1alpha1.ConditionReady)).To(BeTrue(), "%T %s: %+v", obj, key, conds)
}

func conditionsOf(obj client.Object) ([]metav1.Condition, int64, int64) {
	switch o := obj.(type) {
	case *ecsv1alpha1.Cluster:
		return o.Status.Conditions, o.Generation, o.Status.ObservedGeneration
	case *ecsv1alpha1.TaskDefinition:
		return o.Status.Conditions, o.Generation, o.Status.ObservedGeneration
	case *ecsv1alpha1.Service:
		return o.Status.Conditions, o.Generation, o.Status.ObservedGeneration
	case *ecsv1alpha1.ScalableTarget:
		return o.Status.Conditions, o.Generation, o.Status.ObservedGeneration
	case *ecsv1alpha1.Task:
		return o.Status.Conditions, o.Generation, o.Status.ObservedGeneration
	case *ecsv1alpha1.CapacityProvider:
		return o.Status.Conditions, o.Generation, o.Status.ObservedGeneration
	}
	return nil, 0, -1
}

func kstatusCompute(g Gomega, obj runtime.Object) *status.Result {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	g.Expect(err).NotTo(HaveOccurred())
	res, err := status.Compute(&unstructured.Unstructured{Object: m})
	g.Expect(err).NotTo(HaveOccurred())
	return res
}

func decodeDocs(t *testing.T, doc string) []*unstructured.Unstructured {
	t.Helper()
	dec := yaml.NewYAMLOrJSONDecoder(strings.NewReader(doc), 4096)
	var res []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else {
			Expect(err).NotTo(HaveOccurred())
		}
		if len(u.Object) > 0 {
			res = append(res, u)
		}
	}
	return res
}

// apply server-side applies u in namespace (unless it is cluster-scoped),
// as Flux and Argo CD do.
func apply(namespace string, u *unstructured.Unstructured) error {
	if u.GetKind() != "CapacityProvider" {
		u.SetNamespace(namespace)
	}
	if err := admin.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("e2e-gitops"), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply %s %s in %s: %w", u.GetKind(), u.GetName(), namespace, err)
	}
	return nil
}

// kstatusWatch computes kstatus for every version of every Berth object in
// the namespaces with a prefix (and of cluster-scoped ones), as a watch
// delivers them.
type kstatusWatch struct {
	mu      sync.Mutex
	failed  []string
	seen    int
	cancel  context.CancelFunc
	done    sync.WaitGroup
	stopped bool
}

func watchKstatus(t *testing.T, prefix string) *kstatusWatch {
	t.Helper()
	wc, err := client.NewWithWatch(cp.AdminConfig(), client.Options{Scheme: admin.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	w := &kstatusWatch{cancel: cancel}
	for _, list := range []client.ObjectList{&ecsv1alpha1.CapacityProviderList{}, &ecsv1alpha1.ClusterList{}, &ecsv1alpha1.TaskDefinitionList{},
		&ecsv1alpha1.TaskDefinitionRevisionList{}, &ecsv1alpha1.ServiceList{}, &ecsv1alpha1.TaskList{}, &ecsv1alpha1.ScalableTargetList{}} {
		wi, err := wc.Watch(ctx, list)
		Expect(err).NotTo(HaveOccurred())
		w.done.Go(func() {
			defer wi.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-wi.ResultChan():
					if !ok {
						return
					}
					if ev.Type != watch.Added && ev.Type != watch.Modified {
						continue
					}
					obj, ok := ev.Object.(client.Object)
					if !ok || (obj.GetNamespace() != "" && !strings.HasPrefix(obj.GetNamespace(), prefix)) ||
						(obj.GetNamespace() == "" && !strings.HasPrefix(obj.GetName(), strings.TrimSuffix(prefix, "-"))) {
						continue
					}
					m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
					if err != nil {
						continue
					}
					res, err := status.Compute(&unstructured.Unstructured{Object: m})
					w.mu.Lock()
					w.seen++
					if err == nil && res.Status == status.FailedStatus {
						w.failed = append(w.failed, fmt.Sprintf("%T %s/%s (resourceVersion %s): %s", obj, obj.GetNamespace(), obj.GetName(), obj.GetResourceVersion(), res.Message))
					}
					w.mu.Unlock()
				}
			}
		})
	}
	return w
}

func (w *kstatusWatch) stop() ([]string, int) {
	w.mu.Lock()
	stopped := w.stopped
	w.stopped = true
	w.mu.Unlock()
	if !stopped {
		w.cancel()
		w.done.Wait()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed, w.seen
}

// dumpOnFailure logs, when t fails, what explains it: the namespace's
// Berth objects with their status, its Events and pods, and the tail of
// the operator's log.
func dumpOnFailure(t *testing.T, namespace string) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(namespaceDump(namespace) + fmt.Sprintf("=== the operator's log, last %d lines\n%s", logTail, operatorLog.tail()))
		}
	})
}

// namespaceDump is a namespace's Berth objects with their status, its
// Events and pods.
func namespaceDump(namespace string) string {
	ctx := context.Background()
	var b bytes.Buffer
	fmt.Fprintf(&b, "=== namespace %s\n", namespace)
	for _, list := range []client.ObjectList{&ecsv1alpha1.ClusterList{}, &ecsv1alpha1.TaskDefinitionList{}, &ecsv1alpha1.TaskDefinitionRevisionList{},
		&ecsv1alpha1.ServiceList{}, &ecsv1alpha1.TaskList{}, &ecsv1alpha1.ScalableTargetList{}, &corev1.PodList{}, &corev1.EventList{}} {
		if err := admin.List(ctx, list, client.InNamespace(namespace)); err != nil {
			fmt.Fprintf(&b, "list %T: %v\n", list, err)
			continue
		}
		items, _ := meta.ExtractList(list)
		for _, it := range items {
			b.WriteString(describe(it))
		}
	}
	return b.String()
}

// describe is one object's kind, name and status (an Event's reason and
// message), compact.
func describe(o runtime.Object) string {
	switch x := o.(type) {
	case *corev1.Event:
		return fmt.Sprintf("Event %s %s/%s %s: %s\n", x.Type, x.InvolvedObject.Kind, x.InvolvedObject.Name, x.Reason, x.Message)
	case *corev1.Pod:
		return fmt.Sprintf("Pod %s node=%q phase=%s deleting=%v conditions=%+v\n", x.Name, x.Spec.NodeName, x.Status.Phase, x.DeletionTimestamp != nil, x.Status.Conditions)
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return fmt.Sprintf("%T: %v\n", o, err)
	}
	u := unstructured.Unstructured{Object: m}
	st, _, _ := unstructured.NestedMap(m, "status")
	return fmt.Sprintf("%T %s generation=%d status=%v\n", o, u.GetName(), u.GetGeneration(), st)
}
