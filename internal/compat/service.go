package compat

import (
	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// CreateService is how Berth honours each member of CreateService's input,
// a Service's spec.
var CreateService = Table{
	"serviceName":              E("the ECS service name (default: metadata.name); it cannot change"),
	"cluster":                  E("the Cluster of that name in the namespace (default: default); it cannot change"),
	"taskDefinition":           E("the TaskDefinitionRevision it names (family, family:revision or ARN); the latest ACTIVE revision for a family"),
	"desiredCount":             E("the Deployment's replicas; the scale subresource (kubectl scale, an HPA, a ScalableTarget) writes it"),
	"clientToken":              E("CreateService's idempotency token at the ECS API endpoint; stored on the Service"),
	"launchType":               E("the cluster's capacity providers of that launch type (docs/capacity.md); EXTERNAL and MANAGED_INSTANCES are reported"),
	"capacityProviderStrategy": E("one Deployment per provider; tasks split by base, then weight (docs/capacity.md)"),
	"capacityProviderStrategy[].capacityProvider": E("the CapacityProvider of that name, associated with the cluster"),
	"capacityProviderStrategy[].base":             E("the tasks the provider gets first"),
	"capacityProviderStrategy[].weight":           E("the provider's share of the tasks beyond the bases"),
	"platformVersion":                             U("Fargate platform versions do not exist here: Fargate-style pools run on the cluster's Kubernetes"),
	"role":                                        A("not needed: no IAM role registers targets; shown as roleArn"),
	"schedulingStrategy":                          E("REPLICA → a Deployment; DAEMON → a DaemonSet over the nodes of the service's pools; it cannot change"),
	"healthCheckGracePeriodSeconds":               E("failed container and load balancer health checks do not stop a new task within the grace period (operator)"),
	"enableECSManagedTags":                        E("the tags aws:ecs:clusterName and aws:ecs:serviceName on the tasks"),
	"propagateTags":                               E("SERVICE or TASK_DEFINITION: those tags on the tasks (the pod annotation ecs.berth.dev/tags, and labels where valid)"),
	"enableExecuteCommand":                        A("shown in status.enableExecuteCommand; kubectl exec into a task's pod is RBAC's decision (pods/exec), not this flag's"),
	"availabilityZoneRebalancing":                 U("running tasks are not moved between availability zones; the scheduler (and placementStrategy spread) places new ones"),
	"tags":                                        E("stored; propagated to the tasks by propagateTags"),
	"tags[].key":                                  E("stored"),
	"tags[].value":                                E("stored"),

	"deploymentController":      E("see type"),
	"deploymentController.type": E("ECS: Berth's scheduler deploys the service; CODE_DEPLOY deploys BLUE_GREEN and EXTERNAL ROLLING, each reported"),

	"deploymentConfiguration":                                                        E("see its members"),
	"deploymentConfiguration.strategy":                                               E("ROLLING: the Kubernetes Deployment rolls within maximumPercent and minimumHealthyPercent; BLUE_GREEN, LINEAR and CANARY: each revision in a Deployment of its own, traffic moved by the listeners' Kubernetes Services (docs/services.md); LINEAR and CANARY reported"),
	"deploymentConfiguration.maximumPercent":                                         E("maxSurge = floor(desired × maximumPercent / 100) − desired"),
	"deploymentConfiguration.minimumHealthyPercent":                                  E("maxUnavailable = desired − ceil(desired × minimumHealthyPercent / 100)"),
	"deploymentConfiguration.deploymentCircuitBreaker":                               E("failed tasks counted per deployment; it trips at half of desiredCount, at least 3 and at most 200 (docs/services.md)"),
	"deploymentConfiguration.deploymentCircuitBreaker.enable":                        E("the deployment fails when it trips"),
	"deploymentConfiguration.deploymentCircuitBreaker.rollback":                      E("the last COMPLETED deployment becomes PRIMARY again"),
	"deploymentConfiguration.alarms":                                                 E("a ROLLING deployment watches the named MetricAlarms (docs/alarms.md) from its first running task through its bake time; one in ALARM fails it (docs/services.md)"),
	"deploymentConfiguration.alarms.alarmNames":                                      E("MetricAlarms of the namespace by alarm name; a name no alarm has is never in ALARM, as in CloudWatch"),
	"deploymentConfiguration.alarms.enable":                                          E("whether deployments watch the alarms"),
	"deploymentConfiguration.alarms.rollback":                                        E("the last COMPLETED deployment becomes PRIMARY again, its alarms not watched"),
	"deploymentConfiguration.bakeTimeInMinutes":                                      E("BLUE_GREEN, LINEAR and CANARY: blue keeps its tasks that long after the last production shift, and a rollback returns traffic to them (ECS minutes; --deployment-minute shortens them)"),
	"deploymentConfiguration.canaryConfiguration":                                    A("the canary step and its bake are run and recorded (status.strategy); its weight is an HTTPRoute weight where there is Gateway API (see strategy)"),
	"deploymentConfiguration.canaryConfiguration.canaryPercent":                      E("see canaryConfiguration"),
	"deploymentConfiguration.canaryConfiguration.canaryBakeTimeInMinutes":            U("see canaryConfiguration"),
	"deploymentConfiguration.linearConfiguration":                                    A("the steps and their bakes are run and recorded (status.strategy); their weights are HTTPRoute weights where there is Gateway API (see strategy)"),
	"deploymentConfiguration.linearConfiguration.stepPercent":                        E("see linearConfiguration"),
	"deploymentConfiguration.linearConfiguration.stepBakeTimeInMinutes":              U("see linearConfiguration"),
	"deploymentConfiguration.lifecycleHooks":                                         A("run at ECS's stages as Jobs made from a CronJob (docs/hooks.md); the Job's outcome is the hook's"),
	"deploymentConfiguration.lifecycleHooks[].hookTargetArn":                         A("arn:aws:lambda:…:function:<name> names the CronJob <name> of the namespace (docs/hooks.md)"),
	"deploymentConfiguration.lifecycleHooks[].hookDetails":                           E("in the event the Job gets (ECS_LIFECYCLE_HOOK_EVENT)"),
	"deploymentConfiguration.lifecycleHooks[].lifecycleStages":                       E("the stages the hook runs at"),
	"deploymentConfiguration.lifecycleHooks[].roleArn":                               U("not read: the Job runs as its CronJob's ServiceAccount"),
	"deploymentConfiguration.lifecycleHooks[].targetType":                            A("AWS_LAMBDA runs a Job; PAUSE waits for its timeout's action (ContinueServiceDeployment is not served yet)"),
	"deploymentConfiguration.lifecycleHooks[].timeoutConfiguration":                  E("see its members"),
	"deploymentConfiguration.lifecycleHooks[].timeoutConfiguration.action":           E("ROLLBACK or CONTINUE when the hook has not answered in time"),
	"deploymentConfiguration.lifecycleHooks[].timeoutConfiguration.timeoutInMinutes": E("from the hook's first invocation"),

	"loadBalancers":                                                 E("one Kubernetes Service per target group, whose endpoints are the ready tasks (docs/services.md)"),
	"loadBalancers[].targetGroupArn":                                E("the target group's name (…:targetgroup/<name>/<id>) names the Kubernetes Service"),
	"loadBalancers[].loadBalancerName":                              E("a Classic Load Balancer's name names the Kubernetes Service"),
	"loadBalancers[].containerName":                                 E("the container whose port the Service targets"),
	"loadBalancers[].containerPort":                                 E("the Service's port and target port"),
	"loadBalancers[].advancedConfiguration":                         A("BLUE_GREEN, LINEAR and CANARY: the target group's Kubernetes Service is the production listener, <target group>-test the test listener (docs/services.md)"),
	"loadBalancers[].advancedConfiguration.alternateTargetGroupArn": A("not used: the listeners' Services select the revision they serve"),
	"loadBalancers[].advancedConfiguration.productionListenerRule":  A("the target group's Kubernetes Service"),
	"loadBalancers[].advancedConfiguration.testListenerRule":        A("a Kubernetes Service <target group>-test that selects the revision test traffic goes to"),
	"loadBalancers[].advancedConfiguration.roleArn":                 U("not read"),

	"networkConfiguration":                                    A("awsvpc: each task has its own IP on the pod network; see the members"),
	"networkConfiguration.awsvpcConfiguration":                A("see its members"),
	"networkConfiguration.awsvpcConfiguration.subnets":        U("tasks get addresses from the pod network, not from subnets"),
	"networkConfiguration.awsvpcConfiguration.securityGroups": U("not applied: write NetworkPolicies for the tasks' labels"),
	"networkConfiguration.awsvpcConfiguration.assignPublicIp": U("tasks have pod network addresses; expose them with a load balancer (ecs.berth.dev/load-balancer-type)"),

	"placementConstraints":              E("distinctInstance → pod anti-affinity on the node; memberOf → node and pod affinity (docs/capacity.md)"),
	"placementConstraints[].type":       E("distinctInstance or memberOf"),
	"placementConstraints[].expression": E("the cluster query language; =~ and wildcard patterns match the values the pools' nodes have when the task is placed; agentConnected, agentVersion, registeredAt and runningTasksCount are refused"),
	"placementStrategy":                 E("spread → topology spread constraints; binpack and random → scheduler profiles (docs/capacity.md)"),
	"placementStrategy[].type":          E("spread, binpack or random"),
	"placementStrategy[].field":         E("spread: instanceId, host or attribute:<name>; binpack: cpu or memory"),

	"serviceRegistries":                 E("a headless Kubernetes Service named after the ECS service: A and SRV records in the cluster's DNS"),
	"serviceRegistries[].registryArn":   A("the Cloud Map service is not used: names resolve in the cluster's DNS, in the Service's namespace"),
	"serviceRegistries[].port":          E("the SRV record's port"),
	"serviceRegistries[].containerName": E("the container whose port the SRV record names"),
	"serviceRegistries[].containerPort": E("the SRV record's port"),

	"serviceConnectConfiguration":                                                                A("one ClusterIP Service per client alias, resolved by Kubernetes DNS in the namespace; no Envoy proxy runs"),
	"serviceConnectConfiguration.enabled":                                                        E("whether the aliases' Services exist"),
	"serviceConnectConfiguration.namespace":                                                      A("Kubernetes DNS in the Service's namespace; the Cloud Map namespace is not used"),
	"serviceConnectConfiguration.services":                                                       E("see its members"),
	"serviceConnectConfiguration.services[].portName":                                            E("the port mapping the Services target"),
	"serviceConnectConfiguration.services[].discoveryName":                                       E("the default name of its aliases' Services"),
	"serviceConnectConfiguration.services[].ingressPortOverride":                                 U("no proxy listens: clients reach the container port"),
	"serviceConnectConfiguration.services[].clientAliases":                                       E("one ClusterIP Service each"),
	"serviceConnectConfiguration.services[].clientAliases[].port":                                E("the Service's port"),
	"serviceConnectConfiguration.services[].clientAliases[].dnsName":                             E("the Service's name (<name>.<namespace> → <name>; other dotted names are refused)"),
	"serviceConnectConfiguration.services[].clientAliases[].testTrafficRules":                    U("blue/green test traffic through Service Connect is not routed"),
	"serviceConnectConfiguration.services[].clientAliases[].testTrafficRules.header":             U("see testTrafficRules"),
	"serviceConnectConfiguration.services[].clientAliases[].testTrafficRules.header.name":        U("see testTrafficRules"),
	"serviceConnectConfiguration.services[].clientAliases[].testTrafficRules.header.value":       U("see testTrafficRules"),
	"serviceConnectConfiguration.services[].clientAliases[].testTrafficRules.header.value.exact": U("see testTrafficRules"),
	"serviceConnectConfiguration.services[].timeout":                                             U("no proxy applies timeouts"),
	"serviceConnectConfiguration.services[].timeout.idleTimeoutSeconds":                          U("see timeout"),
	"serviceConnectConfiguration.services[].timeout.perRequestTimeoutSeconds":                    U("see timeout"),
	"serviceConnectConfiguration.services[].tls":                                                 U("no proxy terminates TLS"),
	"serviceConnectConfiguration.services[].tls.issuerCertificateAuthority":                      U("see tls"),
	"serviceConnectConfiguration.services[].tls.issuerCertificateAuthority.awsPcaAuthorityArn":   U("see tls"),
	"serviceConnectConfiguration.services[].tls.kmsKey":                                          U("see tls"),
	"serviceConnectConfiguration.services[].tls.roleArn":                                         U("see tls"),
	"serviceConnectConfiguration.logConfiguration":                                               U("no Service Connect proxy runs, so it writes no log"),
	"serviceConnectConfiguration.logConfiguration.logDriver":                                     U("see logConfiguration"),
	"serviceConnectConfiguration.logConfiguration.options":                                       U("see logConfiguration"),
	"serviceConnectConfiguration.logConfiguration.secretOptions":                                 U("see logConfiguration"),
	"serviceConnectConfiguration.logConfiguration.secretOptions[].name":                          U("see logConfiguration"),
	"serviceConnectConfiguration.logConfiguration.secretOptions[].valueFrom":                     U("see logConfiguration"),
	"serviceConnectConfiguration.accessLogConfiguration":                                         U("no proxy writes access logs"),
	"serviceConnectConfiguration.accessLogConfiguration.format":                                  U("see accessLogConfiguration"),
	"serviceConnectConfiguration.accessLogConfiguration.includeQueryParameters":                  U("see accessLogConfiguration"),

	"volumeConfigurations":                                                      U("Amazon EBS volumes are not provisioned per task: a task definition volume configuredAtLaunch uses the PersistentVolumeClaim named after it"),
	"volumeConfigurations[].name":                                               U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume":                                   U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.encrypted":                         U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.filesystemType":                    U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.iops":                              U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.kmsKeyId":                          U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.roleArn":                           U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.sizeInGiB":                         U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.snapshotId":                        U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.throughput":                        U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.volumeInitializationRate":          U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.volumeType":                        U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.tagSpecifications":                 U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.tagSpecifications[].resourceType":  U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.tagSpecifications[].propagateTags": U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.tagSpecifications[].tags":          U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.tagSpecifications[].tags[].key":    U("see volumeConfigurations"),
	"volumeConfigurations[].managedEBSVolume.tagSpecifications[].tags[].value":  U("see volumeConfigurations"),

	"vpcLatticeConfigurations":                  U("VPC Lattice is not modelled: use the load balancers' Kubernetes Services"),
	"vpcLatticeConfigurations[].portName":       U("see vpcLatticeConfigurations"),
	"vpcLatticeConfigurations[].roleArn":        U("see vpcLatticeConfigurations"),
	"vpcLatticeConfigurations[].targetGroupArn": U("see vpcLatticeConfigurations"),
}

// ServiceLayout is a Service's spec: CreateService's input.
var ServiceLayout = Layout{Root: CreateService}

// ServiceNotes are the notes of a Service's spec: the members whose
// fidelity depends on their value, then every other member set that is not
// exact.
func ServiceNotes(spec *ecsv1alpha1.ServiceSpec) []Note {
	var own []Note
	switch lt := spec.LaunchType; lt {
	case ecsv1alpha1.LaunchTypeExternal, ecsv1alpha1.LaunchTypeManagedInstances:
		own = append(own, Note{Path: "launchType", Level: Unsupported,
			Message: string(lt) + " is not supported: the service runs no task (Stalled); use FARGATE, EC2 or a capacity provider strategy"})
	}
	if dc := spec.DeploymentController; dc != nil {
		switch dc.Type {
		case ecsv1alpha1.DeploymentControllerTypeCodeDeploy:
			own = append(own, Note{Path: "deploymentController.type", Level: Approximated,
				Message: "CODE_DEPLOY: CodeDeploy is not called; Berth deploys the service itself, BLUE_GREEN (status.strategy)"})
		case ecsv1alpha1.DeploymentControllerTypeExternal:
			own = append(own, Note{Path: "deploymentController.type", Level: Unsupported,
				Message: "EXTERNAL: task sets are not implemented; Berth deploys the service itself, ROLLING"})
		}
	}
	codeDeploy := spec.DeploymentController != nil && spec.DeploymentController.Type == ecsv1alpha1.DeploymentControllerTypeCodeDeploy
	if dc := spec.DeploymentConfiguration; dc != nil && (codeDeploy || dc.Strategy != "" && dc.Strategy != ecsv1alpha1.DeploymentStrategyRolling) && len(spec.CapacityProviderStrategy) > 1 {
		own = append(own, Note{Path: "deploymentConfiguration.strategy", Level: Approximated,
			Message: "a service whose tasks are split over several capacity providers (one Deployment each) deploys ROLLING"})
	} else if dc != nil && !codeDeploy {
		switch dc.Strategy {
		case ecsv1alpha1.DeploymentStrategyLinear, ecsv1alpha1.DeploymentStrategyCanary:
			own = append(own, Note{Path: "deploymentConfiguration.strategy", Level: Approximated,
				Message: string(dc.Strategy) + ": the steps are HTTPRoute weights where the cluster serves Gateway API and the annotation ecs.berth.dev/gateway names a Gateway; otherwise the ratio of each revision's serving tasks behind the target group's Kubernetes Service (docs/services.md)"})
		}
	}
	return ServiceLayout.Report(spec, own)
}
