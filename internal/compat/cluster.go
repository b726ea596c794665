package compat

import (
	"fmt"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// CreateCluster is how Berth honours each member of CreateCluster's input,
// a Cluster's spec.
var CreateCluster = Table{
	"clusterName":     E("the ECS cluster name (default: metadata.name, which is it in lower case with '_' → '-'); it cannot change"),
	"tags":            E("stored; DescribeClusters (include TAGS) and ListTagsForResource show them, TagResource and UntagResource change them"),
	"tags[].key":      E("stored"),
	"tags[].value":    E("stored"),
	"settings":        E("containerInsights: see value"),
	"settings[].name": E("containerInsights, the only setting"),
	"settings[].value": E("enabled: Berth computes and serves the ECS/ContainerInsights task, service and resource figures (docs/metrics.md); " +
		"disabled and enhanced are reported with what Berth does instead"),

	"capacityProviders": E("the CapacityProviders (cluster-scoped, by ECS name) whose node pools the cluster's tasks run on; " +
		"one that does not exist yet makes CapacityProviderReady False until it does (ECS refuses the call)"),
	"defaultCapacityProviderStrategy": E("the strategy of the cluster's services and tasks that name neither launchType nor a strategy: " +
		"one Deployment per provider, tasks split by base, then weight (docs/capacity.md); a strategy of several providers is reported for standalone tasks"),
	"defaultCapacityProviderStrategy[].capacityProvider": E("one of capacityProviders (refused at admission otherwise, as ECS refuses it)"),
	"defaultCapacityProviderStrategy[].base":             E("the tasks the provider gets first (at most one base, refused at admission otherwise)"),
	"defaultCapacityProviderStrategy[].weight":           E("the provider's share of the tasks beyond the bases"),

	"configuration": E("see its members"),
	"configuration.executeCommandConfiguration":                                              U("ECS Exec is not served (kubectl exec into a task's pod is RBAC's decision): the configuration is stored, not applied"),
	"configuration.executeCommandConfiguration.kmsKeyId":                                     U("see executeCommandConfiguration"),
	"configuration.executeCommandConfiguration.logging":                                      U("see executeCommandConfiguration"),
	"configuration.executeCommandConfiguration.logConfiguration":                             U("see executeCommandConfiguration"),
	"configuration.executeCommandConfiguration.logConfiguration.cloudWatchEncryptionEnabled": U("see executeCommandConfiguration"),
	"configuration.executeCommandConfiguration.logConfiguration.cloudWatchLogGroupName":      U("see executeCommandConfiguration"),
	"configuration.executeCommandConfiguration.logConfiguration.s3BucketName":                U("see executeCommandConfiguration"),
	"configuration.executeCommandConfiguration.logConfiguration.s3EncryptionEnabled":         U("see executeCommandConfiguration"),
	"configuration.executeCommandConfiguration.logConfiguration.s3KeyPrefix":                 U("see executeCommandConfiguration"),
	"configuration.managedStorageConfiguration": U("no storage is encrypted with a KMS key by Berth: Amazon EBS volumes are not provisioned per task, " +
		"and ephemeral storage is the node's (its encryption is the node's)"),
	"configuration.managedStorageConfiguration.kmsKeyId":                        U("see managedStorageConfiguration"),
	"configuration.managedStorageConfiguration.fargateEphemeralStorageKmsKeyId": U("see managedStorageConfiguration"),

	"serviceConnectDefaults":           A("Service Connect names resolve in the Kubernetes DNS of each Service's namespace: the default Cloud Map namespace is stored, not used"),
	"serviceConnectDefaults.namespace": A("see serviceConnectDefaults"),
}

// ClusterLayout is a Cluster's spec: CreateCluster's input.
var ClusterLayout = Layout{Root: CreateCluster}

// ClusterNotes are the notes of a Cluster's spec: the members whose
// fidelity depends on their value, then every other member set that is not
// exact.
func ClusterNotes(spec *ecsv1alpha1.ClusterSpec) []Note {
	var own []Note
	for i, s := range spec.Settings {
		if s.Name != ecsv1alpha1.ClusterSettingNameContainerinsights {
			continue
		}
		path := fmt.Sprintf("settings[%d].value", i)
		switch s.Value {
		case "disabled":
			own = append(own, Note{Path: path, Level: Unsupported,
				Message: "disabled: not applied; Berth computes and serves the ECS/ContainerInsights figures of every cluster"})
		case "enhanced":
			own = append(own, Note{Path: path, Level: Approximated,
				Message: "enhanced: the task- and container-level figures of enhanced observability are not computed; the cluster and service figures are (docs/metrics.md)"})
		}
	}
	if n := len(spec.DefaultCapacityProviderStrategy); n > 1 {
		own = append(own, Note{Path: "defaultCapacityProviderStrategy", Level: Approximated,
			Message: fmt.Sprintf("a service's tasks are split by base and weight, but a standalone task that uses this strategy may run on any of its %d providers' pools (the scheduler picks)", n)})
	}
	return ClusterLayout.Report(spec, own)
}
