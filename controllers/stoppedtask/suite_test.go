package stoppedtask

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/testenv"
)

// The reconciler is called directly against envtest's API server (see
// internal/testenv): create the pods, reconcile, expect.

var env *testenv.Envtest

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, _ := filepath.Abs("../..")
	var err error
	env, err = testenv.Start(root)
	defer env.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// pod creates a service task's pod: retired (stopped at stoppedAt) or not.
func pod(g Gomega, ns, name string, stoppedAt *time.Time) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
		Labels: map[string]string{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue, ecsv1alpha1.LabelService: "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "public.ecr.aws/example/app:1"}}}}
	if stoppedAt != nil {
		delete(p.Labels, ecsv1alpha1.LabelService)
		p.Labels[ecsv1alpha1.LabelStoppedService] = "web"
		p.Annotations = map[string]string{ecsv1alpha1.AnnotationStoppedAt: stoppedAt.UTC().Format(time.RFC3339)}
	}
	g.Expect(env.Direct.Create(context.Background(), p)).To(Succeed())
	return p
}

// A stopped service task is kept for the retention and deleted once it
// has passed (the reconcile says when to look again until then); a running
// task's pod is not the controller's; a negative retention keeps them.
func TestRetention(t *testing.T) {
	g := NewWithT(t)
	ns := env.Namespace(t)
	stopped := time.Now().Truncate(time.Second)
	clock := clocktesting.NewFakePassiveClock(stopped.Add(5 * time.Minute))
	writes := &testenv.Writes{}
	r := &Reconciler{Client: writes.Client(env.Cached), Clock: clock, TTL: time.Hour}
	reconcile := func(p *corev1.Pod) ctrl.Result {
		env.Settle(g, ns, func() client.ObjectList { return &corev1.PodList{} })
		res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(p)})
		g.Expect(err).NotTo(HaveOccurred())
		return res
	}
	exists := func(p *corev1.Pod) bool {
		err := env.Direct.Get(context.Background(), client.ObjectKeyFromObject(p), &corev1.Pod{})
		g.Expect(client.IgnoreNotFound(err)).To(Succeed())
		return !apierrors.IsNotFound(err)
	}

	kept := pod(g, ns, "kept", &stopped)
	running := pod(g, ns, "running", nil)
	g.Expect(reconcile(kept).RequeueAfter).To(Equal(55 * time.Minute))
	g.Expect(exists(kept)).To(BeTrue(), "5 minutes after its stop, within the hour")
	g.Expect(writes.Take()).To(BeEmpty())

	clock.SetTime(stopped.Add(time.Hour))
	g.Expect(reconcile(kept).RequeueAfter).To(BeZero())
	g.Expect(reconcile(running).RequeueAfter).To(BeZero())
	g.Expect(exists(kept)).To(BeFalse(), "its hour has passed")
	g.Expect(exists(running)).To(BeTrue(), "a running task is not the retention's")

	r.TTL = -1
	forever := pod(g, ns, "forever", &stopped)
	g.Expect(reconcile(forever).RequeueAfter).To(BeZero())
	g.Expect(exists(forever)).To(BeTrue(), "a negative retention keeps stopped tasks")
}

// A service keeps at most MaxPerService stopped tasks, the most recently
// stopped: a service whose tasks crash as they start does not pile up
// thousands within the hour.
func TestMostRecentStoppedTasksKept(t *testing.T) {
	g := NewWithT(t)
	ns := env.Namespace(t)
	stopped := time.Now().Truncate(time.Second)
	r := &Reconciler{Client: env.Cached, Clock: clocktesting.NewFakePassiveClock(stopped), TTL: time.Hour, MaxPerService: 2}
	var pods []*corev1.Pod
	for i := range 3 {
		at := stopped.Add(time.Duration(i) * time.Second)
		pods = append(pods, pod(g, ns, fmt.Sprintf("crash-%d", i), &at))
	}
	env.Settle(g, ns, func() client.ObjectList { return &corev1.PodList{} })
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(pods[2])})
	g.Expect(err).NotTo(HaveOccurred())
	var left corev1.PodList
	g.Expect(env.Direct.List(context.Background(), &left, client.InNamespace(ns))).To(Succeed())
	var names []string
	for _, p := range left.Items {
		names = append(names, p.Name)
	}
	g.Expect(names).To(ConsistOf("crash-1", "crash-2"), "the least recently stopped goes")
}
