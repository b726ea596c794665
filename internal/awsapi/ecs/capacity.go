package ecs

import (
	"context"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/names"
)

// Capacity providers are cluster-scoped CapacityProvider objects, shared by
// every namespace (account); RBAC decides who may create, change or delete
// them (config/api/ecs-user-role.yaml needs a ClusterRoleBinding for them).
// Container instances are the nodes of a cluster's EC2_AUTOSCALING
// providers, as each provider's status lists them.

// getCapacityProvider finds the provider a name or ARN names; nil when
// there is none.
func getCapacityProvider(ctx context.Context, c *awsapi.Caller, ref string) (*ecsv1alpha1.CapacityProvider, error) {
	cp := &ecsv1alpha1.CapacityProvider{}
	err := c.Client.Get(ctx, client.ObjectKey{Name: names.ObjectName(names.ShortName(ref))}, cp)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return cp, err
}

func mustCapacityProvider(ctx context.Context, c *awsapi.Caller, ref string) (*ecsv1alpha1.CapacityProvider, error) {
	cp, err := getCapacityProvider(ctx, c, ref)
	if err == nil && (cp == nil || !cp.DeletionTimestamp.IsZero()) {
		err = notFound(ClientException, "The specified capacity provider does not exist. Specify a valid name or ARN and try again.")
	}
	return cp, err
}

func (h *handlers) createCapacityProvider(ctx context.Context, in *ecswire.CreateCapacityProviderRequest) (*ecswire.CreateCapacityProviderResponse, error) {
	c := caller(ctx)
	lower := strings.ToLower(in.Name)
	for _, p := range []string{"aws", "ecs", "fargate"} {
		if strings.HasPrefix(lower, p) {
			return nil, invalidParameter("The capacity provider name cannot begin with 'aws', 'ecs', or 'fargate'.")
		}
	}
	if in.AutoScalingGroupProvider == nil {
		// ECS's managed instances providers are refused by the CRD; a
		// provider with neither is an EC2 provider without its group.
		if in.ManagedInstancesProvider == nil {
			return nil, invalidParameter("autoScalingGroupProvider is required.")
		}
	}
	cp := &ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: names.ObjectName(in.Name)}}
	if err := convert(in, &cp.Spec.CreateCapacityProviderInput); err != nil {
		return nil, invalidParameter("%v", err)
	}
	cp.Spec.Type = ecsv1alpha1.CapacityProviderEC2AutoScaling
	err := c.Client.Create(ctx, cp)
	if apierrors.IsAlreadyExists(err) {
		return nil, notFound(ClientException, "The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.")
	}
	if err != nil {
		return nil, invalid(err, InvalidParameterException)
	}
	out := capacityProviderShape(c, cp, true)
	return &ecswire.CreateCapacityProviderResponse{CapacityProvider: &out}, nil
}

func (h *handlers) updateCapacityProvider(ctx context.Context, in *ecswire.UpdateCapacityProviderRequest) (*ecswire.UpdateCapacityProviderResponse, error) {
	c := caller(ctx)
	if in.ManagedInstancesProvider != nil {
		return nil, invalidParameter("managedInstancesProvider (MANAGED_INSTANCES) is not supported by Berth")
	}
	var cp *ecsv1alpha1.CapacityProvider
	err := retryConflicts(ctx, func(ctx context.Context) error {
		cur, err := mustCapacityProvider(ctx, c, in.Name)
		if err != nil {
			return err
		}
		if u := in.AutoScalingGroupProvider; u != nil {
			asg := cur.Spec.AutoScalingGroupProvider
			if asg == nil {
				return notFound(ClientException, "The specified capacity provider has no Auto Scaling group provider to update.")
			}
			if u.ManagedScaling != nil {
				if err := convert(u.ManagedScaling, &asg.ManagedScaling); err != nil {
					return invalidParameter("%v", err)
				}
			}
			if u.ManagedTerminationProtection != "" {
				asg.ManagedTerminationProtection = ecsv1alpha1.ManagedTerminationProtection(u.ManagedTerminationProtection)
			}
			if u.ManagedDraining != "" {
				asg.ManagedDraining = ecsv1alpha1.ManagedDraining(u.ManagedDraining)
			}
		}
		cp = cur
		return c.Client.Update(ctx, cur)
	})
	if err != nil {
		return nil, invalid(err, InvalidParameterException)
	}
	out := capacityProviderShape(c, cp, false)
	out.UpdateStatus = ecswire.CapacityProviderUpdateStatusUpdateComplete
	return &ecswire.UpdateCapacityProviderResponse{CapacityProvider: &out}, nil
}

func (h *handlers) deleteCapacityProvider(ctx context.Context, in *ecswire.DeleteCapacityProviderRequest) (*ecswire.DeleteCapacityProviderResponse, error) {
	c := caller(ctx)
	cp, err := mustCapacityProvider(ctx, c, in.CapacityProvider)
	if err != nil {
		return nil, err
	}
	// ECS refuses to delete a provider a cluster still uses; the caller
	// sees the clusters of its own namespace (account).
	var clusters ecsv1alpha1.ClusterList
	if err := c.Client.List(ctx, &clusters, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	name := capacityProviderName(cp)
	for i := range clusters.Items {
		if slices.Contains(clusters.Items[i].Spec.CapacityProviders, name) {
			return nil, notFound(ClientException, "The specified capacity provider is in use and cannot be removed.")
		}
	}
	if err := c.Client.Delete(ctx, cp, client.Preconditions{UID: &cp.UID}); err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	out := capacityProviderShape(c, cp, false)
	out.UpdateStatus = ecswire.CapacityProviderUpdateStatusDeleteInProgress
	return &ecswire.DeleteCapacityProviderResponse{CapacityProvider: &out}, nil
}

// capacityProviderName is a CapacityProvider's ECS name.
func capacityProviderName(cp *ecsv1alpha1.CapacityProvider) string {
	if cp.Spec.Name != "" {
		return cp.Spec.Name
	}
	return cp.Name
}
func (h *handlers) describeCapacityProviders(ctx context.Context, in *ecswire.DescribeCapacityProvidersRequest) (*ecswire.DescribeCapacityProvidersResponse, error) {
	c := caller(ctx)
	var list ecsv1alpha1.CapacityProviderList
	if err := c.Client.List(ctx, &list); err != nil {
		return nil, err
	}
	byName := map[string]*ecsv1alpha1.CapacityProvider{}
	var all []string
	for i := range list.Items {
		n := capacityProviderName(&list.Items[i])
		byName[n] = &list.Items[i]
		all = append(all, n)
	}
	slices.Sort(all)
	out := &ecswire.DescribeCapacityProvidersResponse{CapacityProviders: []ecswire.CapacityProvider{}}
	keys := all
	if len(in.CapacityProviders) > 0 {
		keys = nil
		for _, ref := range in.CapacityProviders {
			n := names.ShortName(ref)
			if _, ok := byName[n]; ok {
				keys = append(keys, n)
			} else {
				out.Failures = append(out.Failures, missing(c.Account.CapacityProviderArn(n)))
			}
		}
	}
	from, to, next, err := page(keys, in.MaxResults, 10, in.NextToken)
	if err != nil {
		return nil, err
	}
	tags := slices.Contains(in.Include, ecswire.CapacityProviderFieldTags)
	for _, n := range keys[from:to] {
		out.CapacityProviders = append(out.CapacityProviders, capacityProviderShape(c, byName[n], tags))
	}
	out.NextToken = next
	return out, nil
}

func capacityProviderShape(c *awsapi.Caller, cp *ecsv1alpha1.CapacityProvider, tags bool) ecswire.CapacityProvider {
	var out ecswire.CapacityProvider
	_ = convert(&cp.Spec.CreateCapacityProviderInput, &out)
	out.Name = capacityProviderName(cp)
	out.CapacityProviderArn = c.Account.CapacityProviderArn(out.Name)
	out.Type = ecswire.CapacityProviderType(cp.Spec.Type)
	out.Status = ecswire.CapacityProviderStatusActive
	if !cp.DeletionTimestamp.IsZero() {
		out.Status = ecswire.CapacityProviderStatusInactive
		out.UpdateStatus = ecswire.CapacityProviderUpdateStatusDeleteInProgress
	}
	if !tags {
		out.Tags = nil
	}
	return out
}

// containerInstances are the nodes of cluster's EC2_AUTOSCALING providers
// (FARGATE has no container instances in ECS either), by node name; a
// node of two providers of the cluster is listed once.
func containerInstances(ctx context.Context, c *awsapi.Caller, cl *ecsv1alpha1.Cluster) (map[string]ecswire.ContainerInstance, error) {
	cluster := clusterName(cl)
	out := map[string]ecswire.ContainerInstance{}
	for _, ref := range cl.Spec.CapacityProviders {
		cp, err := getCapacityProvider(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		if cp == nil || cp.Spec.Type != ecsv1alpha1.CapacityProviderEC2AutoScaling {
			continue
		}
		for _, ci := range cp.Status.ContainerInstances {
			if _, seen := out[ci.EC2InstanceID]; seen {
				continue
			}
			out[ci.EC2InstanceID] = containerInstanceShape(c, cluster, capacityProviderName(cp), ci)
		}
	}
	return out, nil
}

func containerInstanceShape(c *awsapi.Caller, cluster, provider string, ci ecsv1alpha1.ContainerInstance) ecswire.ContainerInstance {
	res := func(cpu, mem int64) []ecswire.Resource {
		return []ecswire.Resource{
			{Name: "CPU", Type: "INTEGER", IntegerValue: int32(cpu)},    //nolint:gosec // CPU units of one node
			{Name: "MEMORY", Type: "INTEGER", IntegerValue: int32(mem)}, //nolint:gosec // MiB of one node
		}
	}
	return ecswire.ContainerInstance{
		ContainerInstanceArn: c.Account.ContainerInstanceArn(cluster, ci.EC2InstanceID),
		Ec2InstanceId:        ci.EC2InstanceID,
		CapacityProviderName: provider,
		Status:               ci.Status,
		AgentConnected:       ci.AgentConnected,
		RegisteredResources:  res(ci.RegisteredCPU, ci.RegisteredMemory),
		RemainingResources:   res(ci.RemainingCPU, ci.RemainingMemory),
		RunningTasksCount:    ci.RunningTasksCount,
		PendingTasksCount:    ci.PendingTasksCount,
	}
}

func (h *handlers) listContainerInstances(ctx context.Context, in *ecswire.ListContainerInstancesRequest) (*ecswire.ListContainerInstancesResponse, error) {
	c := caller(ctx)
	if in.Filter != "" {
		return nil, invalidParameter("filter is not supported by Berth: container instances are nodes, select them with kubectl get nodes -l")
	}
	cl, err := mustCluster(ctx, c, in.Cluster)
	if err != nil {
		return nil, err
	}
	all, err := containerInstances(ctx, c, cl)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id, ci := range all {
		if in.Status == "" || ci.Status == string(in.Status) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	from, to, next, err := page(ids, in.MaxResults, 100, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ecswire.ListContainerInstancesResponse{ContainerInstanceArns: []string{}, NextToken: next}
	for _, id := range ids[from:to] {
		out.ContainerInstanceArns = append(out.ContainerInstanceArns, all[id].ContainerInstanceArn)
	}
	return out, nil
}

func (h *handlers) describeContainerInstances(ctx context.Context, in *ecswire.DescribeContainerInstancesRequest) (*ecswire.DescribeContainerInstancesResponse, error) {
	c := caller(ctx)
	if len(in.ContainerInstances) == 0 {
		return nil, invalidParameter("containerInstances can not be empty.")
	}
	if len(in.ContainerInstances) > 100 {
		return nil, invalidParameter("containerInstances can have at most 100 items.")
	}
	cl, err := mustCluster(ctx, c, in.Cluster)
	if err != nil {
		return nil, err
	}
	all, err := containerInstances(ctx, c, cl)
	if err != nil {
		return nil, err
	}
	out := &ecswire.DescribeContainerInstancesResponse{ContainerInstances: []ecswire.ContainerInstance{}}
	for _, ref := range in.ContainerInstances {
		id := names.ShortName(ref)
		if ci, ok := all[id]; ok {
			out.ContainerInstances = append(out.ContainerInstances, ci)
		} else {
			out.Failures = append(out.Failures, missing(c.Account.ContainerInstanceArn(clusterName(cl), id)))
		}
	}
	return out, nil
}

// updateCluster changes what UpdateCluster names: settings, configuration
// and the Service Connect defaults (stored and shown, as CreateCluster's).
func (h *handlers) updateCluster(ctx context.Context, in *ecswire.UpdateClusterRequest) (*ecswire.UpdateClusterResponse, error) {
	c := caller(ctx)
	var cl *ecsv1alpha1.Cluster
	err := retryConflicts(ctx, func(ctx context.Context) error {
		cur, err := mustCluster(ctx, c, in.Cluster)
		if err != nil {
			return err
		}
		spec := &cur.Spec.CreateClusterInput
		if in.Settings != nil {
			// ECS merges settings by name.
			for _, s := range in.Settings {
				var set ecsv1alpha1.ClusterSetting
				if err := convert(s, &set); err != nil {
					return invalidParameter("%v", err)
				}
				i := slices.IndexFunc(spec.Settings, func(x ecsv1alpha1.ClusterSetting) bool { return x.Name == set.Name })
				if i >= 0 {
					spec.Settings[i] = set
				} else {
					spec.Settings = append(spec.Settings, set)
				}
			}
		}
		if in.Configuration != nil {
			if err := convert(in.Configuration, &spec.Configuration); err != nil {
				return invalidParameter("%v", err)
			}
		}
		if in.ServiceConnectDefaults != nil {
			if err := convert(in.ServiceConnectDefaults, &spec.ServiceConnectDefaults); err != nil {
				return invalidParameter("%v", err)
			}
		}
		cl = cur
		return c.Client.Update(ctx, cur)
	})
	if err != nil {
		return nil, invalid(err, InvalidParameterException)
	}
	out := clusterShape(c, cl, []ecswire.ClusterField{ecswire.ClusterFieldSettings, ecswire.ClusterFieldConfigurations})
	return &ecswire.UpdateClusterResponse{Cluster: &out}, nil
}

func (h *handlers) updateClusterSettings(ctx context.Context, in *ecswire.UpdateClusterSettingsRequest) (*ecswire.UpdateClusterSettingsResponse, error) {
	if len(in.Settings) == 0 {
		return nil, invalidParameter("settings can not be empty.")
	}
	out, err := h.updateCluster(ctx, &ecswire.UpdateClusterRequest{Cluster: in.Cluster, Settings: in.Settings})
	if err != nil {
		return nil, err
	}
	return &ecswire.UpdateClusterSettingsResponse{Cluster: out.Cluster}, nil
}
