// Package v1alpha1 contains Berth's API: Amazon ECS resources as Kubernetes
// objects. The ECS-shaped members are generated from the ECS API model
// (zz_generated.ecs.go); the Kubernetes parts are written by hand.
//
// +kubebuilder:object:generate=true
// +groupName=ecs.berth.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of Berth's API.
	GroupVersion = schema.GroupVersion{Group: "ecs.berth.dev", Version: "v1alpha1"}

	// SchemeBuilder registers Berth's types with a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds Berth's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&Cluster{}, &ClusterList{},
		&CapacityProvider{}, &CapacityProviderList{},
		&TaskDefinition{}, &TaskDefinitionList{},
		&TaskDefinitionRevision{}, &TaskDefinitionRevisionList{},
		&Service{}, &ServiceList{},
		&Task{}, &TaskList{},
		&ScalableTarget{}, &ScalableTargetList{},
		&MetricAlarm{}, &MetricAlarmList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
