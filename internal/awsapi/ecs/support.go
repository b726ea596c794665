package ecs

import "github.com/berth-dev/berth/internal/awsapi/support"

// Level is how far Berth serves an operation (internal/awsapi/support).
type Level = support.Level

// Support is one operation's level and what is missing or why.
type Support support.Support

// Levels of support.
const (
	Served      = support.Served
	Partial     = support.Partial
	Unsupported = support.Unsupported
)

// Operations says, for every ECS operation of the model, whether Berth
// serves it. A test fails when the model has an operation this table does
// not list, or when the table and the handlers disagree; docs/ecs-api.md
// is generated from it.
var Operations = map[string]Support{
	"CreateCluster":               {Partial, "settings, configuration and serviceConnectDefaults are stored and shown, not acted on"},
	"DescribeClusters":            {Served, ""},
	"ListClusters":                {Served, ""},
	"DeleteCluster":               {Served, "refused while services or tasks are active (ClusterContainsServicesException, ClusterContainsTasksException)"},
	"UpdateCluster":               {Partial, "settings, configuration and serviceConnectDefaults are stored and shown, not acted on"},
	"UpdateClusterSettings":       {Partial, "settings are stored and shown, not acted on (containerInsights: Berth's metrics are always on)"},
	"PutClusterCapacityProviders": {Served, ""},
	"RegisterTaskDefinition":      {Served, "every call registers a new revision, answered once the operator has registered it"},
	"DescribeTaskDefinition":      {Served, ""},
	"ListTaskDefinitions":         {Served, ""},
	"ListTaskDefinitionFamilies":  {Served, ""},
	"DeregisterTaskDefinition":    {Served, ""},
	"DeleteTaskDefinitions":       {Served, "deletes the TaskDefinitionRevision objects, DELETE_IN_PROGRESS while in use (docs/lifecycle.md)"},
	"CreateService":               {Served, "a repeated call with the same clientToken answers with the service it created"},
	"DescribeServices":            {Served, "a deleted service is INACTIVE while the Event of its deletion lasts (1 h by default), then MISSING"},
	"ListServices":                {Served, ""},
	"ListServicesByNamespace":     {Unsupported, "Service Connect namespaces are not modelled"},
	"UpdateService":               {Partial, "serviceRegistries, serviceConnectConfiguration, volumeConfigurations and vpcLatticeConfigurations are not updated yet"},
	"DeleteService":               {Served, ""},
	"RunTask":                     {Partial, "failures[] only for errors at creation: placement failures show on the task (STOPPED, stoppedReason); a repeated call with the same clientToken answers with the tasks it started"},
	"StartTask":                   {Unsupported, "container instances are Kubernetes nodes: use RunTask with placement constraints"},
	"StopTask":                    {Served, ""},
	"DescribeTasks":               {Partial, "a service's task (its pod) is described until the pod is gone: stopped service tasks are not kept yet"},
	"ListTasks":                   {Partial, "containerInstance is refused; launchType selects standalone tasks only"},
	"TagResource":                 {Partial, "clusters, services and capacity providers (their spec.tags); revisions and tasks are immutable"},
	"UntagResource":               {Partial, "clusters, services and capacity providers (their spec.tags); revisions and tasks are immutable"},
	"ListTagsForResource":         {Served, ""},
	"CreateCapacityProvider":      {Partial, "an EC2_AUTOSCALING provider over nodes labelled ecs.berth.dev/capacity-provider=<name> (its nodePool is set with kubectl); autoScalingGroupArn is stored, not used; managedInstancesProvider is refused; capacity providers are cluster-scoped, shared by all namespaces"},
	"UpdateCapacityProvider":      {Partial, "autoScalingGroupProvider (managedScaling, managedTerminationProtection, managedDraining); managedInstancesProvider is refused"},
	"DeleteCapacityProvider":      {Served, "refused while a cluster of the caller's namespace names it"},
	"DescribeCapacityProviders":   {Partial, "the providers' spec as ECS shows it; the cluster filter is ignored (capacity providers are cluster-scoped objects)"},
	"DescribeContainerInstances":  {Partial, "the nodes of the cluster's EC2_AUTOSCALING providers (the first 100 of each, by name) with status, agentConnected (node Ready), registered and remaining CPU and MEMORY, task counts; no attributes, versionInfo or attachments"},
	"ListContainerInstances":      {Partial, "the nodes of the cluster's EC2_AUTOSCALING providers (the first 100 of each); filter (cluster query language) is refused"},

	"CreateTaskSet":               {Unsupported, "the EXTERNAL deployment controller is not implemented"},
	"DeleteTaskSet":               {Unsupported, "the EXTERNAL deployment controller is not implemented"},
	"DescribeTaskSets":            {Unsupported, "the EXTERNAL deployment controller is not implemented"},
	"UpdateTaskSet":               {Unsupported, "the EXTERNAL deployment controller is not implemented"},
	"UpdateServicePrimaryTaskSet": {Unsupported, "the EXTERNAL deployment controller is not implemented"},
	"ListServiceDeployments":      {Partial, "the last 10 deployments of the service (its status.serviceDeployments), not 90 days of them"},
	"DescribeServiceDeployments":  {Partial, "the last 10 deployments of each service; deploymentConfiguration is the service's as it is now, not as the deployment started; lifecycleStage for BLUE_GREEN, LINEAR and CANARY deployments, no lifecycleHookDetails"},
	"DescribeServiceRevisions":    {Partial, "the revisions of each service's last 10 deployments; containerImages without imageDigest (Berth does not resolve digests); no platformFamily, volumeConfigurations, serviceConnectConfiguration or vpcLatticeConfigurations"},
	"StopServiceDeployment":       {Served, "sets the Service's annotations ecs.berth.dev/stop-deployment and stop-deployment-type, which the Service controller acts on; ROLLBACK_REQUESTED or STOP_REQUESTED until it does"},
	"ContinueServiceDeployment":   {Unsupported, "lifecycle hooks come with blue/green deployments"},

	"CreateDaemon":                 {Unsupported, "ECS Managed Instances daemons: use a Service with schedulingStrategy DAEMON"},
	"DeleteDaemon":                 {Unsupported, "ECS Managed Instances daemons: use a Service with schedulingStrategy DAEMON"},
	"DescribeDaemon":               {Unsupported, "ECS Managed Instances daemons: use a Service with schedulingStrategy DAEMON"},
	"UpdateDaemon":                 {Unsupported, "ECS Managed Instances daemons: use a Service with schedulingStrategy DAEMON"},
	"ListDaemons":                  {Unsupported, "ECS Managed Instances daemons: use a Service with schedulingStrategy DAEMON"},
	"DescribeDaemonDeployments":    {Unsupported, "ECS Managed Instances daemons"},
	"ListDaemonDeployments":        {Unsupported, "ECS Managed Instances daemons"},
	"DescribeDaemonRevisions":      {Unsupported, "ECS Managed Instances daemons"},
	"RegisterDaemonTaskDefinition": {Unsupported, "ECS Managed Instances daemons"},
	"DescribeDaemonTaskDefinition": {Unsupported, "ECS Managed Instances daemons"},
	"DeleteDaemonTaskDefinition":   {Unsupported, "ECS Managed Instances daemons"},
	"ListDaemonTaskDefinitions":    {Unsupported, "ECS Managed Instances daemons"},

	"CreateExpressGatewayService":   {Unsupported, "ECS Express Mode provisions AWS load balancers and networking"},
	"DeleteExpressGatewayService":   {Unsupported, "ECS Express Mode provisions AWS load balancers and networking"},
	"DescribeExpressGatewayService": {Unsupported, "ECS Express Mode provisions AWS load balancers and networking"},
	"UpdateExpressGatewayService":   {Unsupported, "ECS Express Mode provisions AWS load balancers and networking"},

	"PutAccountSetting":        {Unsupported, "account settings have no Kubernetes meaning"},
	"PutAccountSettingDefault": {Unsupported, "account settings have no Kubernetes meaning"},
	"DeleteAccountSetting":     {Unsupported, "account settings have no Kubernetes meaning"},
	"ListAccountSettings":      {Unsupported, "account settings have no Kubernetes meaning"},
	"PutAttributes":            {Unsupported, "custom attributes are node labels: kubectl label nodes"},
	"DeleteAttributes":         {Unsupported, "custom attributes are node labels: kubectl label nodes"},
	"ListAttributes":           {Unsupported, "custom attributes are node labels: kubectl get nodes --show-labels"},

	"RegisterContainerInstance":     {Unsupported, "an ECS agent call: nodes join through Kubernetes"},
	"DeregisterContainerInstance":   {Unsupported, "nodes leave through Kubernetes (kubectl drain, delete)"},
	"UpdateContainerInstancesState": {Unsupported, "DRAINING is kubectl drain"},
	"UpdateContainerAgent":          {Unsupported, "there is no ECS agent: the kubelet runs tasks"},
	"DiscoverPollEndpoint":          {Unsupported, "an ECS agent call"},
	"SubmitAttachmentStateChanges":  {Unsupported, "an ECS agent call"},
	"SubmitContainerStateChange":    {Unsupported, "an ECS agent call"},
	"SubmitTaskStateChange":         {Unsupported, "an ECS agent call"},
	"ExecuteCommand":                {Unsupported, "use kubectl exec (ECS Exec needs the SSM agent)"},
	"GetTaskProtection":             {Unsupported, "task scale-in protection is not implemented yet"},
	"UpdateTaskProtection":          {Unsupported, "task scale-in protection is not implemented yet"},
}
