package hooks

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/strategy"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// cronJob is a platform team's hook template: suspended, one container
// that answers, a sidecar-style init container, labels and annotations.
func cronJob(ttl *int32) *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "smoke-test"},
		Spec: batchv1.CronJobSpec{
			Schedule: "0 0 1 1 *", Suspend: ptr.To(true),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "platform"}, Annotations: map[string]string{"owner": "platform@example.com"}},
				Spec: batchv1.JobSpec{
					BackoffLimit: ptr.To[int32](0), TTLSecondsAfterFinished: ttl,
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "smoke-test"}},
						Spec: corev1.PodSpec{
							RestartPolicy:  corev1.RestartPolicyNever,
							InitContainers: []corev1.Container{{Name: "wait", Image: "busybox"}},
							Containers: []corev1.Container{{
								Name: "check", Image: "registry.example.com/smoke-test:1",
								Env: []corev1.EnvVar{{Name: "TARGET", Value: "http://web"}, {Name: EnvEvent, Value: "placeholder"}},
							}, {Name: "proxy", Image: "envoy"}},
						},
					},
				},
			},
		},
	}
}

func jobInput(ttl *int32) JobInput {
	return JobInput{
		Service:    &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "svc-uid"}},
		Deployment: "ecs-svc/9313423515462893900",
		Invocation: strategy.Invocation{Key: strategy.HookKey{Stage: strategy.StagePostTestTrafficShift, Hook: 1}, Attempt: 2},
		Target:     Target{Arn: "arn:aws:lambda:us-west-2:123456789012:function:smoke-test", Function: "smoke-test", CronJob: "smoke-test"},
		CronJob:    cronJob(ttl),
		Event:      `{"executionId":"x"}`,
	}
}

// TestNewJob_Golden: the Job of a POST_TEST_TRAFFIC_SHIFT hook's second
// attempt, as YAML; -update rewrites testdata/job.golden.yaml.
func TestNewJob_Golden(t *testing.T) {
	got, err := yaml.Marshal(NewJob(jobInput(nil)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "job.golden.yaml")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("Job (-golden +got):\n%s", d)
	}
}

func TestNewJob(t *testing.T) {
	in := jobInput(nil)
	job := NewJob(in)
	t.Run("named and labelled for listing", func(t *testing.T) {
		if job.Name != JobName("web", in.Deployment, in.Invocation) || job.Namespace != "shop" {
			t.Errorf("Job %s/%s", job.Namespace, job.Name)
		}
		for k, v := range Selector("web", in.Deployment) {
			if job.Labels[k] != v || job.Spec.Template.Labels[k] != v {
				t.Errorf("label %s: Job %q, pod %q, want %q", k, job.Labels[k], job.Spec.Template.Labels[k], v)
			}
		}
		if job.Labels[ecsv1alpha1.LabelManagedBy] != ecsv1alpha1.ManagedByValue {
			t.Error("the Job is not marked managed by Berth")
		}
		if _, ok := job.Spec.Template.Labels[ecsv1alpha1.LabelManagedBy]; ok {
			t.Error("the pod is marked managed by Berth: task views would count it")
		}
		if job.Labels["team"] != "platform" || job.Spec.Template.Labels["app"] != "smoke-test" || job.Annotations["owner"] != "platform@example.com" {
			t.Error("the template's labels or annotations were not kept")
		}
	})
	t.Run("owned by the Service, not controlled", func(t *testing.T) {
		want := []metav1.OwnerReference{{APIVersion: "ecs.berth.dev/v1alpha1", Kind: "Service", Name: "web", UID: "svc-uid"}}
		if d := cmp.Diff(want, job.OwnerReferences); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("the event in every container, once, and in annotations", func(t *testing.T) {
		for _, c := range append(job.Spec.Template.Spec.InitContainers, job.Spec.Template.Spec.Containers...) {
			n := 0
			for _, e := range c.Env {
				if e.Name == EnvEvent {
					n++
					if e.Value != in.Event {
						t.Errorf("container %s: %s = %q", c.Name, EnvEvent, e.Value)
					}
				}
			}
			if n != 1 {
				t.Errorf("container %s has %s %d times", c.Name, EnvEvent, n)
			}
		}
		if job.Annotations[AnnotationEvent] != in.Event || job.Spec.Template.Annotations[AnnotationEvent] != in.Event {
			t.Error("the event is not in the annotations")
		}
	})
	t.Run("the template is not changed", func(t *testing.T) {
		if d := cmp.Diff(cronJob(nil), in.CronJob); d != "" {
			t.Errorf("(-before +after):\n%s", d)
		}
	})
	t.Run("ttlSecondsAfterFinished: the template's, else an hour", func(t *testing.T) {
		if got := ptr.Deref(job.Spec.TTLSecondsAfterFinished, -1); got != DefaultTTL {
			t.Errorf("default TTL %d", got)
		}
		if got := ptr.Deref(NewJob(jobInput(ptr.To[int32](60))).Spec.TTLSecondsAfterFinished, -1); got != 60 {
			t.Errorf("the template's TTL: %d", got)
		}
	})
	t.Run("a rollback invocation is labelled so", func(t *testing.T) {
		in := jobInput(nil)
		in.Invocation.Key.Rollback = true
		j := NewJob(in)
		if j.Labels[LabelRollback] != "true" || j.Name == job.Name {
			t.Errorf("rollback Job %s labels %v", j.Name, j.Labels)
		}
	})
}
