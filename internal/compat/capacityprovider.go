package compat

import (
	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// CreateCapacityProvider is how Berth honours each member of
// CreateCapacityProvider's input, a CapacityProvider's spec (beside Berth's
// own type and nodePool: the kind of capacity and the Kubernetes nodes
// behind it, docs/capacity.md).
var CreateCapacityProvider = Table{
	"name": E("the ECS capacity provider name (default: metadata.name, which is it in lower case with '_' → '-')"),
	"cluster": U("stored, not used: a capacity provider is associated with a cluster by the Cluster's capacityProviders " +
		"(CapacityProviders are cluster-scoped and shared by every namespace); ECS ties only Managed Instances providers, refused here, to a cluster"),
	"tags":         E("stored; DescribeCapacityProviders and ListTagsForResource show them, TagResource and UntagResource change them"),
	"tags[].key":   E("stored"),
	"tags[].value": E("stored"),

	"autoScalingGroupProvider": E("an EC2_AUTOSCALING pool (type EC2_AUTOSCALING): the nodes labelled ecs.berth.dev/capacity-provider=<metadata.name> " +
		"and nodePool.nodeLabels play the Auto Scaling group's instances; see the members"),
	"autoScalingGroupProvider.autoScalingGroupArn": A("no Auto Scaling group is used: the node pool (spec.nodePool) is the group; the ARN is stored and shown"),
	"autoScalingGroupProvider.managedScaling":      E("see its members"),
	"autoScalingGroupProvider.managedScaling.status": E("ENABLED: Berth runs ECS's cluster auto scaling loop on the pool: CapacityProviderReservation in status.managedScaling, " +
		"nodes added and removed through nodePool.provisioner (docs/capacity.md); DISABLED: the pool keeps its nodes; ENABLED without a provisioner is reported"),
	"autoScalingGroupProvider.managedScaling.targetCapacity":         E("desired nodes = ceil(M × 100 / targetCapacity), within nodePool.minSize and maxSize"),
	"autoScalingGroupProvider.managedScaling.minimumScalingStepSize": E("the fewest nodes a scale-out adds at once"),
	"autoScalingGroupProvider.managedScaling.maximumScalingStepSize": E("the most nodes a scale-out adds at once"),
	"autoScalingGroupProvider.managedScaling.instanceWarmupPeriod": A("only delays scale-in: a node younger than it is not removed; " +
		"a warming node still counts in CapacityProviderReservation, where ECS leaves it out of the metric"),
	"autoScalingGroupProvider.managedTerminationProtection": E("ENABLED: managed scaling never removes a node that runs a task " +
		"(it removes only empty nodes Berth made); DISABLED is reported"),
	"autoScalingGroupProvider.managedDraining": E("ENABLED: no task is stopped without notice: managed scaling removes only empty nodes, and a reclaimed Spot node's " +
		"tasks get the two-minute warning and are replaced (docs/capacity.md); DISABLED is reported"),

	"managedInstancesProvider": U("refused at admission (CEL): Managed Instances capacity providers are not implemented; " +
		"use an EC2_AUTOSCALING provider and its nodePool"),
}

func init() {
	for _, m := range managedInstancesMembers {
		CreateCapacityProvider["managedInstancesProvider."+m] = U("see managedInstancesProvider")
	}
}

// managedInstancesMembers are the members below managedInstancesProvider,
// which are all refused with it.
var managedInstancesMembers = []string{
	"autoRepairConfiguration",
	"autoRepairConfiguration.actionsStatus",
	"infrastructureOptimization",
	"infrastructureOptimization.scaleInAfter",
	"infrastructureRoleArn",
	"instanceLaunchTemplate",
	"instanceLaunchTemplate.capacityOptionType",
	"instanceLaunchTemplate.capacityReservations",
	"instanceLaunchTemplate.capacityReservations.reservationGroupArn",
	"instanceLaunchTemplate.capacityReservations.reservationPreference",
	"instanceLaunchTemplate.ec2InstanceProfileArn",
	"instanceLaunchTemplate.fipsEnabled",
	"instanceLaunchTemplate.instanceMetadataTagsPropagation",
	"instanceLaunchTemplate.instanceRequirements",
	"instanceLaunchTemplate.instanceRequirements.acceleratorCount",
	"instanceLaunchTemplate.instanceRequirements.acceleratorCount.max",
	"instanceLaunchTemplate.instanceRequirements.acceleratorCount.min",
	"instanceLaunchTemplate.instanceRequirements.acceleratorManufacturers",
	"instanceLaunchTemplate.instanceRequirements.acceleratorNames",
	"instanceLaunchTemplate.instanceRequirements.acceleratorTotalMemoryMiB",
	"instanceLaunchTemplate.instanceRequirements.acceleratorTotalMemoryMiB.max",
	"instanceLaunchTemplate.instanceRequirements.acceleratorTotalMemoryMiB.min",
	"instanceLaunchTemplate.instanceRequirements.acceleratorTypes",
	"instanceLaunchTemplate.instanceRequirements.allowedInstanceTypes",
	"instanceLaunchTemplate.instanceRequirements.bareMetal",
	"instanceLaunchTemplate.instanceRequirements.baselineEbsBandwidthMbps",
	"instanceLaunchTemplate.instanceRequirements.baselineEbsBandwidthMbps.max",
	"instanceLaunchTemplate.instanceRequirements.baselineEbsBandwidthMbps.min",
	"instanceLaunchTemplate.instanceRequirements.burstablePerformance",
	"instanceLaunchTemplate.instanceRequirements.cpuManufacturers",
	"instanceLaunchTemplate.instanceRequirements.excludedInstanceTypes",
	"instanceLaunchTemplate.instanceRequirements.instanceGenerations",
	"instanceLaunchTemplate.instanceRequirements.localStorage",
	"instanceLaunchTemplate.instanceRequirements.localStorageTypes",
	"instanceLaunchTemplate.instanceRequirements.maxSpotPriceAsPercentageOfOptimalOnDemandPrice",
	"instanceLaunchTemplate.instanceRequirements.memoryGiBPerVCpu",
	"instanceLaunchTemplate.instanceRequirements.memoryGiBPerVCpu.max",
	"instanceLaunchTemplate.instanceRequirements.memoryGiBPerVCpu.min",
	"instanceLaunchTemplate.instanceRequirements.memoryMiB",
	"instanceLaunchTemplate.instanceRequirements.memoryMiB.max",
	"instanceLaunchTemplate.instanceRequirements.memoryMiB.min",
	"instanceLaunchTemplate.instanceRequirements.networkBandwidthGbps",
	"instanceLaunchTemplate.instanceRequirements.networkBandwidthGbps.max",
	"instanceLaunchTemplate.instanceRequirements.networkBandwidthGbps.min",
	"instanceLaunchTemplate.instanceRequirements.networkInterfaceCount",
	"instanceLaunchTemplate.instanceRequirements.networkInterfaceCount.max",
	"instanceLaunchTemplate.instanceRequirements.networkInterfaceCount.min",
	"instanceLaunchTemplate.instanceRequirements.onDemandMaxPricePercentageOverLowestPrice",
	"instanceLaunchTemplate.instanceRequirements.requireHibernateSupport",
	"instanceLaunchTemplate.instanceRequirements.spotMaxPricePercentageOverLowestPrice",
	"instanceLaunchTemplate.instanceRequirements.totalLocalStorageGB",
	"instanceLaunchTemplate.instanceRequirements.totalLocalStorageGB.max",
	"instanceLaunchTemplate.instanceRequirements.totalLocalStorageGB.min",
	"instanceLaunchTemplate.instanceRequirements.vCpuCount",
	"instanceLaunchTemplate.instanceRequirements.vCpuCount.max",
	"instanceLaunchTemplate.instanceRequirements.vCpuCount.min",
	"instanceLaunchTemplate.localStorageConfiguration",
	"instanceLaunchTemplate.localStorageConfiguration.useLocalStorage",
	"instanceLaunchTemplate.monitoring",
	"instanceLaunchTemplate.networkConfiguration",
	"instanceLaunchTemplate.networkConfiguration.securityGroups",
	"instanceLaunchTemplate.networkConfiguration.subnets",
	"instanceLaunchTemplate.storageConfiguration",
	"instanceLaunchTemplate.storageConfiguration.storageSizeGiB",
	"propagateTags",
}

// CapacityProviderLayout is a CapacityProvider's spec: CreateCapacityProvider's
// input (type and nodePool are Berth's, outside the table).
var CapacityProviderLayout = Layout{Root: CreateCapacityProvider}

// CapacityProviderNotes are the notes of a CapacityProvider's spec: the
// members whose fidelity depends on their value (or on the node pool's
// provisioner), then every other member set that is not exact.
func CapacityProviderNotes(spec *ecsv1alpha1.CapacityProviderSpec) []Note {
	var own []Note
	if asg := spec.AutoScalingGroupProvider; asg != nil {
		provisioned := spec.NodePool.Provisioner != "" && spec.NodePool.Provisioner != ecsv1alpha1.NodeProvisionerNone
		if ms := asg.ManagedScaling; ms != nil && ms.Status == ecsv1alpha1.ManagedScalingStatusEnabled && !provisioned {
			own = append(own, Note{Path: "autoScalingGroupProvider.managedScaling.status", Level: Approximated,
				Message: "ENABLED with nodePool.provisioner none: CapacityProviderReservation and the desired size are computed (status.managedScaling), " +
					"but no node is added or removed: the pool's nodes are made by someone else"})
		}
		if asg.ManagedTerminationProtection == ecsv1alpha1.ManagedTerminationProtectionDisabled {
			own = append(own, Note{Path: "autoScalingGroupProvider.managedTerminationProtection", Level: Approximated,
				Message: "DISABLED: managed scaling still never removes a node that runs a task, where ECS may terminate such an instance on scale-in"})
		}
		if asg.ManagedDraining == ecsv1alpha1.ManagedDrainingDisabled {
			own = append(own, Note{Path: "autoScalingGroupProvider.managedDraining", Level: Approximated,
				Message: "DISABLED: tasks are still not stopped without notice: managed scaling removes only empty nodes, " +
					"and a reclaimed Spot node's tasks get the two-minute warning, where ECS would terminate the instance under them"})
		}
	}
	return CapacityProviderLayout.Report(spec, own)
}
