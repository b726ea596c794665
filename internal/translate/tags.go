package translate

import (
	"encoding/json"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// propagateTags puts the ECS tags a service gives its tasks on the pod
// template: the service's tags (propagateTags SERVICE) or the task
// definition's (TASK_DEFINITION), and with enableECSManagedTags
// aws:ecs:clusterName and aws:ecs:serviceName. All are recorded in the
// annotation ecs.berth.dev/tags (JSON); a tag whose key and value are a
// valid label key and value is also a pod label, unless the key is one of
// Berth's own labels.
func propagateTags(t *corev1ac.PodTemplateSpecApplyConfiguration, svc *ecsv1alpha1.Service, td *ecsv1alpha1.RegisterTaskDefinitionInput, cluster string) {
	tags := map[string]string{}
	switch svc.Spec.PropagateTags {
	case ecsv1alpha1.PropagateTagsService:
		addTags(tags, svc.Spec.Tags)
	case ecsv1alpha1.PropagateTagsTaskDefinition:
		addTags(tags, td.Tags)
	}
	if svc.Spec.EnableECSManagedTags != nil && *svc.Spec.EnableECSManagedTags {
		tags["aws:ecs:clusterName"] = cluster
		name := svc.Spec.ServiceName
		if name == "" {
			name = svc.Name
		}
		tags["aws:ecs:serviceName"] = name
	}
	if len(tags) == 0 {
		return
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	labels := map[string]string{}
	for _, k := range keys {
		if berthLabel(k) || len(validation.IsQualifiedName(k)) > 0 || len(validation.IsValidLabelValue(tags[k])) > 0 {
			continue
		}
		labels[k] = tags[k]
	}
	raw, err := json.Marshal(tags) // map keys are sorted by encoding/json
	if err != nil {
		panic(err) // plain strings
	}
	t.WithAnnotations(map[string]string{ecsv1alpha1.AnnotationTags: string(raw)})
	if len(labels) > 0 {
		t.WithLabels(labels)
	}
}

func addTags(into map[string]string, tags []ecsv1alpha1.Tag) {
	for _, tag := range tags {
		into[tag.Key] = tag.Value
	}
}

func berthLabel(k string) bool {
	return k == ecsv1alpha1.LabelManagedBy || strings.HasPrefix(k, "ecs.berth.dev/")
}
