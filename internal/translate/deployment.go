package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
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
func DeploymentName(svc *ecsv1alpha1.Service) string { return svc.Name }

// Deployment translates a Service running rev on p into the Deployment
// that runs its tasks. Its pod template carries a hash annotation, so that
// callers can tell which template the Deployment's pods run.
func Deployment(svc *ecsv1alpha1.Service, rev Revision, p Placement, cfg Config) (*appsv1ac.DeploymentApplyConfiguration, error) {
	pod, err := TranslatePodWith(rev.Spec, p, ServiceTask, cfg.Features)
	if err != nil {
		return nil, err
	}
	cluster := names.ClusterName(svc.Spec.Cluster)
	labels := ServiceSelector(svc)
	labels[ecsv1alpha1.LabelCluster] = names.ObjectName(cluster)

	podLabels := copyMap(labels)
	podLabels[ecsv1alpha1.LabelTaskDefinition] = rev.TaskDefinition
	podLabels[ecsv1alpha1.LabelRevision] = strconv.Itoa(int(rev.Number))

	template := corev1ac.PodTemplateSpec().
		WithLabels(podLabels).
		WithAnnotations(pod.Annotations).
		WithAnnotations(map[string]string{ecsv1alpha1.AnnotationTaskDefinitionArn: rev.Arn(cfg)}).
		WithSpec(pod.Spec)
	template.WithAnnotations(map[string]string{ecsv1alpha1.AnnotationTemplateHash: TemplateHash(template)})

	spec := appsv1ac.DeploymentSpec().
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(ServiceSelector(svc))).
		WithTemplate(template).
		WithStrategy(rollingUpdate(svc))
	if svc.Spec.DesiredCount != nil {
		spec.WithReplicas(*svc.Spec.DesiredCount)
	}
	return appsv1ac.Deployment(DeploymentName(svc), svc.Namespace).
		WithLabels(labels).
		WithOwnerReferences(ownerRef(svc.GroupVersionKind().GroupVersion().String(), "Service", svc.Name, string(svc.UID))).
		WithSpec(spec), nil
}

// rollingUpdate turns deploymentConfiguration into absolute surge and
// unavailability, with ECS's rounding: maximumPercent rounds down,
// minimumHealthyPercent rounds up. ECS's defaults are 200 and 100.
func rollingUpdate(svc *ecsv1alpha1.Service) *appsv1ac.DeploymentStrategyApplyConfiguration {
	desired := int32(0)
	if svc.Spec.DesiredCount != nil {
		desired = *svc.Spec.DesiredCount
	}
	maxPercent, minPercent := int32(200), int32(100)
	if dc := svc.Spec.DeploymentConfiguration; dc != nil {
		if dc.MaximumPercent != nil {
			maxPercent = *dc.MaximumPercent
		}
		if dc.MinimumHealthyPercent != nil {
			minPercent = *dc.MinimumHealthyPercent
		}
	}
	surge, unavailable := RolloutBounds(desired, maxPercent, minPercent)
	return appsv1ac.DeploymentStrategy().
		WithType(appsv1.RollingUpdateDeploymentStrategyType).
		WithRollingUpdate(appsv1ac.RollingUpdateDeployment().
			WithMaxSurge(intstr.FromInt32(surge)).
			WithMaxUnavailable(intstr.FromInt32(unavailable)))
}

// RolloutBounds returns the Deployment's maxSurge and maxUnavailable for
// desired tasks under ECS's maximumPercent (rounded down) and
// minimumHealthyPercent (rounded up). When neither allows a step,
// Kubernetes would reject the Deployment; a surge of one task is used
// instead (ECS would stall; the deviation is documented).
func RolloutBounds(desired, maxPercent, minPercent int32) (surge, unavailable int32) {
	maxTasks := int32(int64(desired) * int64(maxPercent) / 100)
	minTasks := int32((int64(desired)*int64(minPercent) + 99) / 100)
	surge = max(maxTasks-desired, 0)
	unavailable = max(desired-minTasks, 0)
	if surge == 0 && unavailable == 0 {
		surge = 1
	}
	return surge, unavailable
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
