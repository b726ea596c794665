package translate

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/capacity"
	"github.com/berth-dev/berth/internal/names"
)

// hashVersion is bumped whenever the template hash scheme changes, so that
// a new operator version rolls every Service once, deliberately.
const hashVersion = "1"

// Config is the operator configuration translation depends on.
type Config struct {
	Account names.Account
	// Features are the cluster's Kubernetes features (zero: the newest).
	Features Features
}

// Revision is a resolved task definition revision.
type Revision struct {
	// TaskDefinition is the family object's name.
	TaskDefinition string
	// Number is the revision number.
	Number int32
	// Spec is the registered task definition.
	Spec *ecsv1alpha1.RegisterTaskDefinitionInput
}

// Arn is the revision's task definition ARN.
func (r Revision) Arn(cfg Config) string {
	return cfg.Account.TaskDefinitionArn(r.Spec.Family, r.Number)
}

// ServiceSelector is the immutable label selector of a Service's pods.
func ServiceSelector(svc *ecsv1alpha1.Service) map[string]string {
	return map[string]string{
		ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue,
		ecsv1alpha1.LabelService:   svc.Name,
	}
}

// DeploymentName is the name of the Deployment that runs a Service.
func DeploymentName(svc *ecsv1alpha1.Service) string { return names.Deployment(svc.Name) }

// Deployment translates a Service running rev on p into the Deployment
// that runs its tasks. Its pod template carries a hash annotation, so that
// callers can tell which template the Deployment's pods run.
func Deployment(svc *ecsv1alpha1.Service, rev Revision, p Placement, cfg Config) (*appsv1ac.DeploymentApplyConfiguration, error) {
	template, labels, err := serviceTemplate(svc, rev, p, cfg)
	if err != nil {
		return nil, err
	}
	spec := appsv1ac.DeploymentSpec().
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(ServiceSelector(svc))).
		WithTemplate(template).
		WithStrategy(rollingUpdate(svc))
	if s := minReadySeconds(svc, rev); s > 0 {
		spec.WithMinReadySeconds(s)
	}
	if svc.Spec.DesiredCount != nil {
		spec.WithReplicas(*svc.Spec.DesiredCount)
	}
	return appsv1ac.Deployment(DeploymentName(svc), svc.Namespace).
		WithLabels(labels).
		WithOwnerReferences(ownerRef(svc.GroupVersionKind().GroupVersion().String(), "Service", svc.Name, string(svc.UID))).
		WithSpec(spec), nil
}

// DaemonSet translates a DAEMON Service into the DaemonSet that runs one
// task on each node of its capacity providers. nodes is how many nodes it
// runs on now (the DaemonSet's desiredNumberScheduled), from which
// maximumPercent and minimumHealthyPercent become absolute numbers.
func DaemonSet(svc *ecsv1alpha1.Service, rev Revision, p Placement, cfg Config, nodes int32) (*appsv1ac.DaemonSetApplyConfiguration, error) {
	template, labels, err := serviceTemplate(svc, rev, p, cfg)
	if err != nil {
		return nil, err
	}
	maxPercent, minPercent := Percents(svc)
	surge, unavailable := RolloutBounds(nodes, maxPercent, minPercent)
	if unavailable == 0 && surge > 0 && nodes == 0 {
		// No node yet: nothing to replace; Kubernetes needs one bound.
		surge, unavailable = 0, 1
	}
	spec := appsv1ac.DaemonSetSpec().
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(ServiceSelector(svc))).
		WithTemplate(template).
		WithUpdateStrategy(appsv1ac.DaemonSetUpdateStrategy().
			WithType(appsv1.RollingUpdateDaemonSetStrategyType).
			WithRollingUpdate(appsv1ac.RollingUpdateDaemonSet().
				WithMaxSurge(intstr.FromInt32(surge)).
				WithMaxUnavailable(intstr.FromInt32(unavailable))))
	if s := minReadySeconds(svc, rev); s > 0 {
		spec.WithMinReadySeconds(s)
	}
	return appsv1ac.DaemonSet(DeploymentName(svc), svc.Namespace).
		WithLabels(labels).
		WithOwnerReferences(ownerRef(svc.GroupVersionKind().GroupVersion().String(), "Service", svc.Name, string(svc.UID))).
		WithSpec(spec), nil
}

// minReadySeconds: ECS counts a task without a health check or a load
// balancer as healthy 40 seconds after it is RUNNING.
func minReadySeconds(svc *ecsv1alpha1.Service, rev Revision) int32 {
	if !hasHealthCheck(rev.Spec) && len(svc.Spec.LoadBalancers) == 0 {
		return 40
	}
	return 0
}

// serviceTemplate is the pod template of a Service's tasks running rev,
// with its hash and deployment id, and the labels of the workload.
func serviceTemplate(svc *ecsv1alpha1.Service, rev Revision, p Placement, cfg Config) (*corev1ac.PodTemplateSpecApplyConfiguration, map[string]string, error) {
	pod, err := TranslatePodWith(rev.Spec, p, ServiceTask, cfg.Features)
	if err != nil {
		return nil, nil, err
	}
	cluster := names.ClusterName(svc.Spec.Cluster)
	labels := ServiceSelector(svc)
	labels[ecsv1alpha1.LabelCluster] = names.ObjectName(cluster)

	podLabels := copyMap(labels)
	podLabels[ecsv1alpha1.LabelTaskDefinition] = rev.TaskDefinition
	podLabels[ecsv1alpha1.LabelRevision] = strconv.Itoa(int(rev.Number))

	if len(svc.Spec.LoadBalancers) > 0 {
		drain(pod.Spec, DeregistrationDelay(svc))
	}
	template := corev1ac.PodTemplateSpec().
		WithLabels(podLabels).
		WithAnnotations(pod.Annotations).
		WithAnnotations(map[string]string{ecsv1alpha1.AnnotationTaskDefinitionArn: rev.Arn(cfg)}).
		WithSpec(pod.Spec)
	if at := svc.Annotations[ecsv1alpha1.AnnotationForceNewDeployment]; at != "" {
		template.WithAnnotations(map[string]string{ecsv1alpha1.AnnotationForceNewDeployment: at})
	}
	propagateTags(template, svc, rev.Spec, cluster)
	hash := TemplateHash(template)
	// The deployment id is a function of the hash: adding it after hashing
	// keeps the hash the template's own.
	template.WithAnnotations(map[string]string{
		ecsv1alpha1.AnnotationTemplateHash: hash,
		ecsv1alpha1.AnnotationStartedBy:    DeploymentID(svc.UID, hash),
	})
	return template, labels, nil
}

// AnnotationDeregistrationDelay, on an ECS Service with load balancers, is
// its target groups' deregistration delay in seconds (0 to 3600; default
// 300, as Elastic Load Balancing's): a stopping task keeps serving that
// long after it left the endpoints, so that connections drain.
const AnnotationDeregistrationDelay = "ecs.berth.dev/deregistration-delay"

// DeregistrationDelay is the Service's deregistration delay in seconds.
func DeregistrationDelay(svc *ecsv1alpha1.Service) int64 {
	if v, err := strconv.ParseInt(svc.Annotations[AnnotationDeregistrationDelay], 10, 64); err == nil && v >= 0 && v <= 3600 {
		return v
	}
	return 300
}

// drain makes a stopping task wait delay seconds before its containers get
// SIGTERM (a preStop sleep; the pod has left the endpoints by then), and
// extends the grace period by as much.
func drain(spec *corev1ac.PodSpecApplyConfiguration, delay int64) {
	if delay == 0 {
		return
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if c.Lifecycle == nil {
			c.WithLifecycle(corev1ac.Lifecycle())
		}
		if c.Lifecycle.PreStop == nil {
			c.Lifecycle.WithPreStop(corev1ac.LifecycleHandler().WithSleep(corev1ac.SleepAction().WithSeconds(delay)))
		}
	}
	grace := int64(30)
	if spec.TerminationGracePeriodSeconds != nil {
		grace = *spec.TerminationGracePeriodSeconds
	}
	spec.WithTerminationGracePeriodSeconds(grace + delay)
}

// DeploymentID is the ECS deployment id of a Service's pod template:
// ecs-svc/ and 19 digits, from the Service's UID and the template hash.
func DeploymentID(uid types.UID, templateHash string) string {
	sum := sha256.Sum256([]byte(string(uid) + "/" + templateHash))
	n := binary.BigEndian.Uint64(sum[:8]) % 1e19
	return fmt.Sprintf("ecs-svc/%019d", n)
}

func hasHealthCheck(td *ecsv1alpha1.RegisterTaskDefinitionInput) bool {
	for _, c := range td.ContainerDefinitions {
		if c.HealthCheck != nil {
			return true
		}
	}
	return false
}

// Percents are the service's maximumPercent and minimumHealthyPercent,
// with ECS's defaults: 200 and 100 for REPLICA; 100 and 0 for DAEMON.
func Percents(svc *ecsv1alpha1.Service) (maxPercent, minPercent int32) {
	maxPercent, minPercent = 200, 100
	if svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon {
		maxPercent, minPercent = 100, 0
	}
	if dc := svc.Spec.DeploymentConfiguration; dc != nil {
		if dc.MaximumPercent != nil {
			maxPercent = *dc.MaximumPercent
		}
		if dc.MinimumHealthyPercent != nil {
			minPercent = *dc.MinimumHealthyPercent
		}
	}
	return maxPercent, minPercent
}

// rollingUpdate turns deploymentConfiguration into absolute surge and
// unavailability, with ECS's rounding: maximumPercent rounds down,
// minimumHealthyPercent rounds up.
func rollingUpdate(svc *ecsv1alpha1.Service) *appsv1ac.DeploymentStrategyApplyConfiguration {
	maxPercent, minPercent := Percents(svc)
	surge, unavailable := RolloutBounds(ptrDeref(svc.Spec.DesiredCount), maxPercent, minPercent)
	return appsv1ac.DeploymentStrategy().
		WithType(appsv1.RollingUpdateDeploymentStrategyType).
		WithRollingUpdate(appsv1ac.RollingUpdateDeployment().
			WithMaxSurge(intstr.FromInt32(surge)).
			WithMaxUnavailable(intstr.FromInt32(unavailable)))
}

func ptrDeref(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// RolloutBounds returns the Deployment's maxSurge and maxUnavailable for
// desired tasks under ECS's maximumPercent (rounded down) and
// minimumHealthyPercent (rounded up). When neither allows a step
// (Deadlocked), Kubernetes would reject the Deployment: a surge of one
// task is returned, and the Service's controller pauses the rollout as ECS
// would stall it.
func RolloutBounds(desired, maxPercent, minPercent int32) (surge, unavailable int32) {
	maxTasks, minTasks := capacity.TaskBounds(desired, maxPercent, minPercent)
	surge = max(maxTasks-desired, 0)
	unavailable = max(desired-minTasks, 0)
	if surge == 0 && unavailable == 0 {
		surge = 1
	}
	return surge, unavailable
}

// Deadlocked tells whether maximumPercent and minimumHealthyPercent allow
// neither starting a task above desired nor stopping one below it: ECS
// cannot replace tasks then.
func Deadlocked(desired, maxPercent, minPercent int32) bool {
	maxTasks, minTasks := capacity.TaskBounds(desired, maxPercent, minPercent)
	return desired > 0 && maxTasks <= desired && minTasks >= desired
}

// TemplateHash is a short, stable hash of a pod template.
func TemplateHash(t *corev1ac.PodTemplateSpecApplyConfiguration) string {
	b, err := json.Marshal(t)
	if err != nil {
		// Apply configurations are plain data; Marshal cannot fail.
		panic(err)
	}
	sum := sha256.Sum256(append([]byte(hashVersion+"\n"), b...))
	return hex.EncodeToString(sum[:])[:16]
}

func ownerRef(apiVersion, kind, name, uid string) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(apiVersion).
		WithKind(kind).
		WithName(name).
		WithUID(typesUID(uid)).
		WithController(true).
		WithBlockOwnerDeletion(true)
}

func copyMap(m map[string]string) map[string]string {
	res := make(map[string]string, len(m))
	for k, v := range m {
		res[k] = v
	}
	return res
}

// SliceDeploymentName is the name of the Deployment that runs a Service's
// tasks on one capacity provider of a sliced placement.
func SliceDeploymentName(svc *ecsv1alpha1.Service, cp *ecsv1alpha1.CapacityProvider) string {
	return names.SliceDeployment(svc.Name, cp.Name)
}

// Deployments translates a Service running rev on p into the Deployments
// that run its tasks: the one of Deployment, or, for a sliced placement
// (a strategy of several capacity providers), one per provider, in the
// strategy's order. A slice's Deployment selects and labels its pods with
// ecs.berth.dev/capacity-provider and places them on that provider's pool
// only; all slices share the template hash and deployment id of the whole
// placement, so that the tasks of one ECS deployment are one deployment
// whatever their provider. Replicas and rollout bounds are the caller's
// (capacity.PlanSlices).
func Deployments(svc *ecsv1alpha1.Service, rev Revision, p Placement, cfg Config) ([]*appsv1ac.DeploymentApplyConfiguration, error) {
	whole, err := Deployment(svc, rev, p, cfg)
	if err != nil || !p.Sliced() {
		return []*appsv1ac.DeploymentApplyConfiguration{whole}, err
	}
	shared := map[string]string{
		ecsv1alpha1.AnnotationTemplateHash: whole.Spec.Template.Annotations[ecsv1alpha1.AnnotationTemplateHash],
		ecsv1alpha1.AnnotationStartedBy:    whole.Spec.Template.Annotations[ecsv1alpha1.AnnotationStartedBy],
	}
	res := make([]*appsv1ac.DeploymentApplyConfiguration, len(p.Providers))
	for i, cp := range p.Providers {
		d, err := Deployment(svc, rev, p.Slice(i), cfg)
		if err != nil {
			return nil, err
		}
		slice := map[string]string{ecsv1alpha1.LabelCapacityProvider: cp.Name}
		selector := ServiceSelector(svc)
		selector[ecsv1alpha1.LabelCapacityProvider] = cp.Name
		d.WithName(SliceDeploymentName(svc, cp)).WithLabels(slice)
		d.Spec.WithSelector(metav1ac.LabelSelector().WithMatchLabels(selector))
		d.Spec.Template.WithLabels(slice).WithAnnotations(shared)
		res[i] = d
	}
	return res, nil
}
