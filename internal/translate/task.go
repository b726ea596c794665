package translate

import (
	"strconv"

	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

// PodName is the name of the pod that runs a Task.
func PodName(task *ecsv1alpha1.Task) string { return names.TaskPod(task.Name) }

// TaskPod translates a standalone Task running rev on p, with the task's
// overrides, into its pod, which is never restarted: when it stops, the
// task is STOPPED.
func TaskPod(task *ecsv1alpha1.Task, rev Revision, p Placement, cfg Config) (*corev1ac.PodApplyConfiguration, error) {
	td, err := ApplyOverrides(rev.Spec, task.Spec.Overrides)
	if err != nil {
		return nil, err
	}
	pod, err := TranslatePodWith(td, p, StandaloneTask, cfg.Features)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{
		ecsv1alpha1.LabelManagedBy:      ecsv1alpha1.ManagedByValue,
		ecsv1alpha1.LabelTask:           task.Name,
		ecsv1alpha1.LabelCluster:        names.ObjectName(names.ClusterName(task.Spec.Cluster)),
		ecsv1alpha1.LabelTaskDefinition: rev.TaskDefinition,
		ecsv1alpha1.LabelRevision:       strconv.Itoa(int(rev.Number)),
		LabelGroup:                      GroupLabelValue(TaskGroup(task, rev.Spec.Family)),
	}
	return corev1ac.Pod(PodName(task), task.Namespace).
		WithLabels(labels).
		WithAnnotations(pod.Annotations).
		WithAnnotations(map[string]string{ecsv1alpha1.AnnotationTaskDefinitionArn: rev.Arn(cfg)}).
		WithOwnerReferences(ownerRef(task.GroupVersionKind().GroupVersion().String(), "Task", task.Name, string(task.UID))).
		WithSpec(pod.Spec), nil
}

func typesUID(uid string) types.UID { return types.UID(uid) }

// TaskGroup is a standalone task's ECS task group: its group, by default
// "family:<family>" as RunTask's.
func TaskGroup(task *ecsv1alpha1.Task, family string) string {
	if task.Spec.Group != "" {
		return task.Spec.Group
	}
	return "family:" + family
}
