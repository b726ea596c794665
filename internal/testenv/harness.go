package testenv

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// The reconciler suites call a Reconcile directly (Karpenter style) against
// the real API server, the reconciler reading through the cache; these are
// their shared parts: a namespace per test, an event recorder, a log of
// the reconciler's writes, and a wait for the cache to catch up.

// Namespace creates a namespace of its own for a test.
func (e *Envtest) Namespace(t *testing.T) string {
	t.Helper()
	ns := fmt.Sprintf("t%d", time.Now().UnixNano())
	gomega.NewWithT(t).Expect(e.Direct.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(gomega.Succeed())
	return ns
}

// Settle waits until the cache holds the same versions of the listed
// kinds in namespace ns ("": cluster-scoped) as the API server.
func (e *Envtest) Settle(g gomega.Gomega, ns string, lists ...func() client.ObjectList) {
	versions := func(c client.Reader, list client.ObjectList) map[string]string {
		var opts []client.ListOption
		if ns != "" {
			opts = append(opts, client.InNamespace(ns))
		}
		g.Expect(c.List(context.Background(), list, opts...)).To(gomega.Succeed())
		items, err := meta.ExtractList(list)
		g.Expect(err).NotTo(gomega.HaveOccurred())
		out := map[string]string{}
		for _, it := range items {
			o := it.(client.Object)
			out[o.GetName()] = o.GetResourceVersion()
		}
		return out
	}
	for _, newList := range lists {
		want := versions(e.Direct, newList())
		g.Eventually(func() map[string]string { return versions(e.Cached, newList()) }).Should(gomega.Equal(want))
	}
}

// Event is one Event a reconciler emitted.
type Event struct {
	Kind, Name, Type, Reason, Note string
}

// Recorder records events.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

var _ recorder.EventRecorder = &Recorder{}

// Eventf implements recorder.EventRecorder.
func (r *Recorder) Eventf(regarding, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := regarding.(client.Object)
	kind := strings.TrimPrefix(fmt.Sprintf("%T", o), "*v1alpha1.")
	r.events = append(r.events, Event{Kind: kind, Name: o.GetName(), Type: eventtype, Reason: reason, Note: fmt.Sprintf(note, args...)})
}

// AnnotatedEventf implements recorder.EventRecorder.
func (r *Recorder) AnnotatedEventf(regarding, related runtime.Object, _ map[string]string, eventtype, reason, action, note string, args ...any) {
	r.Eventf(regarding, related, eventtype, reason, action, note, args...)
}

// Take returns the events recorded since the last call.
func (r *Recorder) Take() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// Writes logs the writes a client makes ("patch *v1alpha1.Service web").
type Writes struct {
	mu  sync.Mutex
	log []string
}

// Client wraps c so that its writes are logged.
func (w *Writes) Client(c client.WithWatch) client.WithWatch {
	add := func(verb string, o any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		name := ""
		if co, ok := o.(client.Object); ok {
			name = co.GetName()
		}
		w.log = append(w.log, fmt.Sprintf("%s %T %s", verb, o, name))
	}
	return interceptor.NewClient(c, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			add("create", obj)
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			add("update", obj)
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			add("patch", obj)
			return c.Patch(ctx, obj, p, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			add("apply", obj)
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			add("delete", obj)
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			add("update "+sub, obj)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
			add("patch "+sub, obj)
			return c.SubResource(sub).Patch(ctx, obj, p, opts...)
		},
	})
}

// Take returns the writes logged since the last call.
func (w *Writes) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.log
	w.log = nil
	return out
}

// World creates, for a reconciler suite, what a Service or Task needs to
// run on Fargate: the cluster-scoped FARGATE CapacityProvider (once per
// API server), and in namespace ns the Cluster "default" with it and
// revision 1 of family web (a Fargate-compatible task definition).
func (e *Envtest) World(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	g := gomega.NewWithT(t)
	cp := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: "fargate"}}
	cp.Spec.Name, cp.Spec.Type = "FARGATE", ecsv1alpha1.CapacityProviderFargate
	if err := e.Direct.Create(ctx, cp); err != nil && !apierrors.IsAlreadyExists(err) {
		g.Expect(err).NotTo(gomega.HaveOccurred())
	}
	cl := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}}
	cl.Spec.CapacityProviders = []string{"FARGATE"}
	g.Expect(e.Direct.Create(ctx, cl)).To(gomega.Succeed())
	e.Revision(t, ns, "web", 1, "public.ecr.aws/example/web:1")
}

// Revision creates revision n of a family (its TaskDefinition object of
// the same name) running image on Fargate, as the TaskDefinition
// controller registers it.
func (e *Envtest) Revision(t *testing.T, ns, family string, n int32, image string) *ecsv1alpha1.TaskDefinitionRevision {
	t.Helper()
	rev := &ecsv1alpha1.TaskDefinitionRevision{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-%d", family, n),
		Labels: map[string]string{ecsv1alpha1.LabelTaskDefinition: family, ecsv1alpha1.LabelRevision: fmt.Sprint(n)}}}
	rev.Spec.Family, rev.Spec.Revision = family, n
	rev.Spec.RequiresCompatibilities = []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityFargate}
	rev.Spec.NetworkMode = ecsv1alpha1.NetworkModeAwsvpc
	rev.Spec.Cpu, rev.Spec.Memory = "256", "512"
	rev.Spec.ContainerDefinitions = []ecsv1alpha1.ContainerDefinition{{Name: "app", Image: image, Essential: ptr.To(true)}}
	gomega.NewWithT(t).Expect(e.Direct.Create(context.Background(), rev)).To(gomega.Succeed())
	return rev
}
