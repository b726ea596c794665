// Package v1alpha1 contains Berth's API: Amazon ECS resources as Kubernetes
// objects. The ECS-shaped members are generated from the ECS API model
// (zz_generated.ecs.go); the Kubernetes parts are written by hand.
//
// +kubebuilder:object:generate=true
// +groupName=ecs.berth.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of Berth's API.
	GroupVersion = schema.GroupVersion{Group: "ecs.berth.dev", Version: "v1alpha1"}

	// SchemeBuilder registers Berth's types with a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds Berth's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
