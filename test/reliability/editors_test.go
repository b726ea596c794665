package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Field managers of the other editors, as kubectl names itself.
const (
	kubectlScale = "kubectl-scale"
	kubectlEdit  = "kubectl-edit"
	kubectlLabel = "kubectl-label"
)

// TestConcurrentEditors (R4): kubectl scales a Service's Deployment and
// edits its pod template, labels it, the HPA scales another Service, a
// user edits a Service's desiredCount. Berth restores what it owns
// (replicas, the pod template), leaves what it does not (a label, an
// annotation, the HPA's desiredCount), and once steady writes nothing
// (editorsSteadyWindow; Lease renewals are not audited).
func TestConcurrentEditors(t *testing.T) {
	RegisterTestingT(t)
	ensureBase(t)
	ctx := context.Background()
	startOperator(t, "r4", procOptions{})

	logServiceEvents(t, "r4-edit", "r4-hpa")
	createTaskDefinition(t, "r4-edit", "public.ecr.aws/example/app:1")
	createService(t, "r4-edit", "r4-edit", 2)
	expectServiceSteady(t, "r4-edit", 2, "1")
	dep := serviceDeployment(Default, "r4-edit")
	image := dep.Spec.Template.Spec.Containers[0].Image

	// kubectl scale deployment --replicas=5: Berth owns replicas
	// (desiredCount), and puts 2 back.
	from := auditSize(t)
	start := time.Now()
	scale := &autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 5}}
	Expect(admin.SubResource("scale").Update(ctx, dep, client.WithSubResourceBody(scale), client.FieldOwner(kubectlScale))).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(serviceDeployment(g, "r4-edit").Spec.Replicas).To(Equal(ptr.To[int32](2)))
	}).WithTimeout(timeout).WithPolling(200 * time.Millisecond).Should(Succeed())
	restoredReplicas := time.Since(start)
	// The ReplicaSet controller may still create the pods of the 5 and
	// then delete them: wait until the Deployment has settled at 2.
	Eventually(func(g Gomega) {
		d := serviceDeployment(g, "r4-edit")
		g.Expect(d.Status.ObservedGeneration).To(Equal(d.Generation))
		g.Expect(d.Status.Replicas).To(Equal(int32(2)))
		g.Expect(d.Status.UpdatedReplicas).To(Equal(int32(2)))
	}).WithTimeout(timeout).WithPolling(200 * time.Millisecond).Should(Succeed())
	expectSteady(t, map[string]int32{"r4-edit": 2}, "")
	figure(t, "R4-scale", "kubectl scale of the Deployment to 5: replicas back to desiredCount 2 in %.1f s (%d operator writes)", restoredReplicas.Seconds(), len(operatorWrites(t, from)))

	// kubectl edit: another image and an extra environment variable in
	// the pod template, which Berth owns.
	from = auditSize(t)
	start = time.Now()
	Eventually(func() error {
		d := serviceDeployment(Default, "r4-edit")
		c := &d.Spec.Template.Spec.Containers[0]
		c.Image = "public.ecr.aws/example/intruder:6"
		c.Env = append(c.Env, corev1.EnvVar{Name: "INTRUDER", Value: "1"})
		return admin.Update(ctx, d, client.FieldOwner(kubectlEdit))
	}).WithTimeout(timeout).Should(Succeed())
	Eventually(func(g Gomega) {
		d := serviceDeployment(g, "r4-edit")
		c := d.Spec.Template.Spec.Containers[0]
		g.Expect(c.Image).To(Equal(image), "the template's image")
		g.Expect(c.Env).NotTo(ContainElement(HaveField("Name", "INTRUDER")), "the template's environment: removed, not kept")
		for _, e := range d.ManagedFields {
			g.Expect(e.Manager).NotTo(Equal(kubectlEdit), "kubectl-edit owns nothing left (no label added)")
		}
	}).WithTimeout(timeout).WithPolling(200 * time.Millisecond).Should(Succeed())
	restoredTemplate := time.Since(start)
	// The edit and its revert are two rollouts of the Deployment: steady
	// is checked once the second is over, not on a status written before
	// the first one's pods showed up (the check passed on that once and
	// its Consistently then saw the rollout).
	Eventually(func(g Gomega) {
		d := serviceDeployment(g, "r4-edit")
		want := ptr.Deref(d.Spec.Replicas, 1)
		g.Expect(d.Status.ObservedGeneration).To(Equal(d.Generation), "the Deployment's status is of its spec")
		g.Expect([]int32{d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.AvailableReplicas}).To(Equal([]int32{want, want, want}),
			"replicas, updated, available: no pod of the intruder's template left")
	}).WithTimeout(timeout).WithPolling(200 * time.Millisecond).Should(Succeed())
	expectSteady(t, map[string]int32{"r4-edit": 2}, "")
	figure(t, "R4-template", "kubectl edit of the pod template (image, an extra env variable): both undone in %.1f s (%d operator writes, the rollout back included)",
		restoredTemplate.Seconds(), len(operatorWrites(t, from)))

	// kubectl label/annotate the Deployment: not Berth's, left alone.
	from = auditSize(t)
	patch := []byte(`{"metadata":{"labels":{"team":"payments"},"annotations":{"example.com/owner":"alice"}}}`)
	Expect(admin.Patch(ctx, serviceDeployment(Default, "r4-edit"), client.RawPatch(types.MergePatchType, patch), client.FieldOwner(kubectlLabel))).To(Succeed())
	Consistently(func(g Gomega) {
		d := serviceDeployment(g, "r4-edit")
		g.Expect(d.Labels).To(HaveKeyWithValue("team", "payments"))
		g.Expect(d.Annotations).To(HaveKeyWithValue("example.com/owner", "alice"))
	}).WithTimeout(5 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	labelWrites := len(operatorWrites(t, from))
	figure(t, "R4-label", "a label and an annotation added to the Deployment: kept, %d operator writes", labelWrites)
	Expect(labelWrites).To(BeZero(), "Berth wrote after a label it does not own was added")

	// The user edits desiredCount: applied.
	Eventually(func() error {
		svc := &ecsv1alpha1.Service{}
		if err := admin.Get(ctx, key("r4-edit"), svc); err != nil {
			return err
		}
		svc.Spec.DesiredCount = ptr.To[int32](3)
		return admin.Update(ctx, svc)
	}).WithTimeout(timeout).Should(Succeed())
	expectSteady(t, map[string]int32{"r4-edit": 3}, "")
	// The HPA scales another Service: its count stands, no fight.
	hpaWrites := hpaScalesService(t)

	// Steady: the operator writes nothing.
	from = auditSize(t)
	time.Sleep(editorsSteadyWindow)
	writes := operatorWrites(t, from)
	all := auditWrites(t, from)
	var scaled []string
	for _, e := range all {
		if e.ObjectRef != nil && strings.HasPrefix(e.ObjectRef.Name, "r4-") && e.ObjectRef.Subresource != "status" &&
			(e.ObjectRef.Resource == "deployments" || e.ObjectRef.Resource == "services") {
			scaled = append(scaled, describe(e))
		}
	}
	figure(t, "R4-steady", "steady for %s: %d operator writes, %d writes to the Services and Deployments by anyone; the HPA's scale-out: %d writes of desiredCount",
		editorsSteadyWindow, len(writes), len(scaled), hpaWrites)
	for _, e := range writes {
		t.Logf("operator write: %s", describe(e))
	}
	Expect(writes).To(BeEmpty(), "operator writes once steady")
	Expect(scaled).To(BeEmpty(), "writes to the Services and Deployments once steady")
	Expect(serviceDeployment(Default, "r4-edit").Labels).To(HaveKeyWithValue("team", "payments"))
}

// hpaScalesService: a Service with target tracking on CPU (min 2, max 4)
// whose tasks use far more than their reservation: the HPA scales it to
// 4, Berth runs 4 tasks and leaves the count alone. It returns the
// writes of the Service's desiredCount seen (the HPA's, one or two).
func hpaScalesService(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	createTaskDefinition(t, "r4-hpa", "public.ecr.aws/example/app:1")
	createService(t, "r4-hpa", "r4-hpa", 2)
	expectServiceSteady(t, "r4-hpa", 2, "1")
	from := auditSize(t)
	st := &ecsv1alpha1.ScalableTarget{}
	Expect(yaml.UnmarshalStrict([]byte(`
metadata: {name: r4-hpa}
spec:
  resourceId: service/default/r4-hpa
  scalableDimension: ecs:service:DesiredCount
  minCapacity: 2
  maxCapacity: 4
  scalingPolicies:
  - policyName: cpu50
    policyType: TargetTrackingScaling
    targetTrackingScalingPolicyConfiguration:
      targetValue: 50
      predefinedMetricSpecification: {predefinedMetricType: ECSServiceAverageCPUUtilization}
      scaleInCooldown: 300
      scaleOutCooldown: 0
`), st)).To(Succeed())
	st.Namespace = ns
	Expect(admin.Create(ctx, st)).To(Succeed())
	t.Cleanup(func() { _ = admin.Delete(context.Background(), st) })
	loadPods(t, "r4-hpa", "200m")
	start := time.Now()
	Eventually(func(g Gomega) {
		svc := &ecsv1alpha1.Service{}
		g.Expect(admin.Get(ctx, key("r4-hpa"), svc)).To(Succeed())
		g.Expect(svc.Spec.DesiredCount).To(Equal(ptr.To[int32](4)))
	}).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
	figure(t, "R4-hpa", "the HPA scaled r4-hpa from 2 to 4 %.0f s after the load", time.Since(start).Seconds())
	expectSteady(t, map[string]int32{"r4-hpa": 4}, "")
	// The HPA keeps asking for 4 (the load stays): nobody changes it.
	Consistently(func(g Gomega) {
		svc := &ecsv1alpha1.Service{}
		g.Expect(admin.Get(ctx, key("r4-hpa"), svc)).To(Succeed())
		g.Expect(svc.Spec.DesiredCount).To(Equal(ptr.To[int32](4)))
		g.Expect(serviceDeployment(g, "r4-hpa").Spec.Replicas).To(Equal(ptr.To[int32](4)))
	}).WithTimeout(10 * time.Second).WithPolling(time.Second).Should(Succeed())
	counts := 0
	for _, e := range auditWrites(t, from) {
		if e.ObjectRef != nil && e.ObjectRef.Name == "r4-hpa" && e.ObjectRef.Resource == "services" && e.ObjectRef.Subresource == "scale" {
			counts++
		}
	}
	// 2 → 4 in one or two steps (the HPA may see 3 tasks first); a fight
	// would be many.
	Expect(counts).To(BeNumerically("<=", 2), "writes of r4-hpa's desiredCount")
	return counts
}

// loadPods keeps the simulated CPU use of the service's pods at use until
// the test ends.
func loadPods(t *testing.T, svc, use string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			var pods corev1.PodList
			if admin.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: svc}) == nil {
				for i := range pods.Items {
					p := &pods.Items[i]
					if p.Annotations["kwok.x-k8s.io/usage-cpu"] == use || !p.DeletionTimestamp.IsZero() {
						continue
					}
					body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{"kwok.x-k8s.io/usage-cpu": use}}})
					_ = admin.Patch(ctx, p, client.RawPatch(types.MergePatchType, body))
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// serviceDeployment is the one Deployment of the service.
func serviceDeployment(g Gomega, svc string) *appsv1.Deployment {
	var list appsv1.DeploymentList
	g.Expect(admin.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.LabelService: svc})).To(Succeed())
	g.Expect(list.Items).To(HaveLen(1))
	return &list.Items[0]
}

// auditWrites are everyone's writes logged from offset on (Lease
// renewals aside), once the log has caught up.
func auditWrites(t *testing.T, from int64) []auditEntry {
	t.Helper()
	operatorWrites(t, from) // waits for the log to catch up
	f, err := os.Open(cp.AuditLogPath())
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = f.Close() }()
	_, err = f.Seek(from, 0)
	Expect(err).NotTo(HaveOccurred())
	var entries []auditEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 16<<20), 16<<20)
	for sc.Scan() {
		var e auditEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil && slices.Contains([]string{"create", "update", "patch", "delete", "deletecollection"}, e.Verb) {
			entries = append(entries, e)
		}
	}
	return entries
}

func describe(e auditEntry) string {
	if e.ObjectRef == nil {
		return fmt.Sprintf("%s by %s", e.Verb, e.User.Username)
	}
	r := e.ObjectRef.Resource
	if e.ObjectRef.Subresource != "" {
		r += "/" + e.ObjectRef.Subresource
	}
	return fmt.Sprintf("%s %s %s/%s by %s (%s)", e.Verb, r, e.ObjectRef.Namespace, e.ObjectRef.Name, e.User.Username, e.UserAgent)
}
