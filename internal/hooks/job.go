package hooks

import (
	"maps"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/strategy"
)

// The labels and annotations of hook Jobs (and of their pods, but for
// app.kubernetes.io/managed-by: a hook's pod is not a task, and Berth's
// task views select pods by that label).
const (
	// LabelService marks the hook Jobs of a Service object
	// (names.HookServiceLabel of its name); LabelDeployment those of one of
	// its deployments (names.HookDeploymentLabel of its id).
	LabelService    = "ecs.berth.dev/hook-service"
	LabelDeployment = "ecs.berth.dev/hook-deployment"
	// LabelStage, LabelHook, LabelAttempt and LabelRollback are the
	// invocation's HookKey and attempt, for kubectl get -l.
	LabelStage    = "ecs.berth.dev/hook-stage"
	LabelHook     = "ecs.berth.dev/hook-index"
	LabelAttempt  = "ecs.berth.dev/hook-attempt"
	LabelRollback = "ecs.berth.dev/hook-rollback"
	// AnnotationEvent is the event (JSON), as EnvEvent holds it.
	AnnotationEvent = "ecs.berth.dev/hook-event"
	// AnnotationTarget is the hook's hookTargetArn; AnnotationDeployment
	// the deployment's id.
	AnnotationTarget     = "ecs.berth.dev/hook-target"
	AnnotationDeployment = "ecs.berth.dev/hook-deployment-id"
	// AnnotationInstantiate is what kubectl create job --from=cronjob/...
	// sets on the Jobs it makes.
	AnnotationInstantiate = "cronjob.kubernetes.io/instantiate"
	// EnvEvent is the environment variable that holds the event (JSON) in
	// every container of a hook Job.
	EnvEvent = "ECS_LIFECYCLE_HOOK_EVENT"
	// DefaultTTL is the Jobs' ttlSecondsAfterFinished when the CronJob's
	// jobTemplate sets none: an hour after it finished, a hook Job is
	// deleted.
	DefaultTTL int32 = 3600
)

// JobInput is what a hook Job is made of.
type JobInput struct {
	// Service owns the Job.
	Service *ecsv1alpha1.Service
	// Deployment is the deployment's id.
	Deployment string
	Invocation strategy.Invocation
	Target     Target
	// CronJob is the template: its jobTemplate.
	CronJob *batchv1.CronJob
	// Event is the event's JSON.
	Event string
}

// JobName is the name of the Job that runs an invocation of a Service
// object's deployment's hook.
func JobName(service, deploymentID string, inv strategy.Invocation) string {
	return names.HookJob(service, Execution(deploymentID, inv.Key), inv.Attempt)
}

// Selector is the labels of every hook Job of a Service object, or of one
// of its deployments when deploymentID is not "".
func Selector(service, deploymentID string) map[string]string {
	l := map[string]string{LabelService: names.HookServiceLabel(service)}
	if deploymentID != "" {
		l[LabelDeployment] = names.HookDeploymentLabel(deploymentID)
	}
	return l
}

// NewJob makes the Job that runs an invocation from the CronJob's
// jobTemplate, as kubectl create job --from=cronjob/<name> does (the
// template's labels, annotations and spec, and the instantiate
// annotation), with: Berth's labels and annotations; the event in EnvEvent
// in every container and init container, and in AnnotationEvent on the Job
// and its pod template; ttlSecondsAfterFinished DefaultTTL unless the
// template sets it; and the Service as owner (not controller: the Job is
// not the Service's to reconcile, only to collect).
func NewJob(in JobInput) *batchv1.Job {
	tmpl := in.CronJob.Spec.JobTemplate
	labels := Selector(in.Service.Name, in.Deployment)
	labels[LabelStage] = string(in.Invocation.Key.Stage)
	labels[LabelHook] = strconv.Itoa(int(in.Invocation.Key.Hook))
	labels[LabelAttempt] = strconv.Itoa(int(in.Invocation.Attempt))
	if in.Invocation.Key.Rollback {
		labels[LabelRollback] = "true"
	}
	job := &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: batchv1.SchemeGroupVersion.String(), Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      JobName(in.Service.Name, in.Deployment, in.Invocation),
			Namespace: in.Service.Namespace,
			Labels:    merged(tmpl.Labels, labels, map[string]string{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue}),
			Annotations: merged(tmpl.Annotations, map[string]string{
				AnnotationInstantiate: "manual",
				AnnotationTarget:      in.Target.Arn,
				AnnotationDeployment:  in.Deployment,
				AnnotationEvent:       in.Event,
			}),
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "Service", Name: in.Service.Name, UID: in.Service.UID,
			}},
		},
		Spec: *tmpl.Spec.DeepCopy(),
	}
	if job.Spec.TTLSecondsAfterFinished == nil {
		job.Spec.TTLSecondsAfterFinished = ptr.To(DefaultTTL)
	}
	pod := &job.Spec.Template
	pod.Labels = merged(pod.Labels, labels)
	pod.Annotations = merged(pod.Annotations, map[string]string{AnnotationEvent: in.Event})
	for i := range pod.Spec.InitContainers {
		setEnv(&pod.Spec.InitContainers[i], in.Event)
	}
	for i := range pod.Spec.Containers {
		setEnv(&pod.Spec.Containers[i], in.Event)
	}
	return job
}

// merged is the union of the maps, the later winning.
func merged(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

// setEnv sets EnvEvent, replacing a value the template gives it.
func setEnv(c *corev1.Container, event string) {
	for i := range c.Env {
		if c.Env[i].Name == EnvEvent {
			c.Env[i] = corev1.EnvVar{Name: EnvEvent, Value: event}
			return
		}
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: EnvEvent, Value: event})
}
