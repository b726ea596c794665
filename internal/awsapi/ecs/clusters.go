package ecs

import (
	"context"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/names"
)

// clusterName is a Cluster object's ECS name.
func clusterName(cl *ecsv1alpha1.Cluster) string {
	if cl.Spec.ClusterName != "" {
		return cl.Spec.ClusterName
	}
	return cl.Name
}

// getCluster finds the cluster a request names ("" = default, a name or an
// ARN); nil when there is none.
func getCluster(ctx context.Context, c *awsapi.Caller, ref string) (*ecsv1alpha1.Cluster, error) {
	cl := &ecsv1alpha1.Cluster{}
	err := c.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: names.ObjectName(names.ClusterName(ref))}, cl)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !cl.DeletionTimestamp.IsZero() {
		return nil, nil // INACTIVE, as a deleted ECS cluster
	}
	return cl, nil
}

func mustCluster(ctx context.Context, c *awsapi.Caller, ref string) (*ecsv1alpha1.Cluster, error) {
	cl, err := getCluster(ctx, c, ref)
	if err == nil && cl == nil {
		err = notFound(ClusterNotFoundException, "Cluster not found.")
	}
	return cl, err
}

// clusterShape is a Cluster as DescribeClusters shows it.
func clusterShape(c *awsapi.Caller, cl *ecsv1alpha1.Cluster, include []ecswire.ClusterField) ecswire.Cluster {
	var out ecswire.Cluster
	_ = convert(&cl.Spec.CreateClusterInput, &out)
	out.ClusterName = clusterName(cl)
	out.ClusterArn = c.Account.ClusterArn(out.ClusterName)
	out.Status = cl.Status.Status
	if out.Status == "" {
		out.Status = "PROVISIONING"
	}
	if !cl.DeletionTimestamp.IsZero() {
		out.Status = "DEPROVISIONING"
	}
	out.RegisteredContainerInstancesCount = ptrVal(cl.Status.RegisteredContainerInstancesCount)
	out.RunningTasksCount = ptrVal(cl.Status.RunningTasksCount)
	out.PendingTasksCount = ptrVal(cl.Status.PendingTasksCount)
	out.ActiveServicesCount = ptrVal(cl.Status.ActiveServicesCount)
	want := map[ecswire.ClusterField]bool{}
	for _, f := range include {
		want[f] = true
	}
	if !want[ecswire.ClusterFieldTags] {
		out.Tags = nil
	}
	if !want[ecswire.ClusterFieldSettings] {
		out.Settings = nil
	}
	if !want[ecswire.ClusterFieldConfigurations] {
		out.Configuration = nil
	}
	if want[ecswire.ClusterFieldStatistics] {
		for _, kv := range cl.Status.Statistics {
			out.Statistics = append(out.Statistics, ecswire.KeyValuePair{Name: kv.Name, Value: kv.Value})
		}
	}
	return out
}

func ptrVal(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func (h *handlers) createCluster(ctx context.Context, in *ecswire.CreateClusterRequest) (*ecswire.CreateClusterResponse, error) {
	c := caller(ctx)
	name := in.ClusterName
	if name == "" {
		name = names.DefaultCluster
	}
	in.ClusterName = name
	cl := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: names.ObjectName(name)}}
	if err := convert(in, &cl.Spec.CreateClusterInput); err != nil {
		return nil, invalidParameter("%v", err)
	}
	err := c.Client.Create(ctx, cl)
	if apierrors.IsAlreadyExists(err) {
		// CreateCluster of an existing cluster returns it, as ECS does.
		existing, gerr := mustCluster(ctx, c, name)
		if gerr != nil {
			return nil, gerr
		}
		cl = existing
	} else if err != nil {
		return nil, invalid(err, InvalidParameterException)
	}
	out := clusterShape(c, cl, []ecswire.ClusterField{ecswire.ClusterFieldTags, ecswire.ClusterFieldSettings, ecswire.ClusterFieldConfigurations})
	return &ecswire.CreateClusterResponse{Cluster: &out}, nil
}

func (h *handlers) describeClusters(ctx context.Context, in *ecswire.DescribeClustersRequest) (*ecswire.DescribeClustersResponse, error) {
	c := caller(ctx)
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{names.DefaultCluster}
	}
	if len(refs) > 100 {
		return nil, invalidParameter("clusters can have at most 100 items")
	}
	out := &ecswire.DescribeClustersResponse{}
	for _, ref := range refs {
		cl, err := getCluster(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		if cl == nil {
			out.Failures = append(out.Failures, missing(c.Account.ClusterArn(names.ClusterName(ref))))
			continue
		}
		out.Clusters = append(out.Clusters, clusterShape(c, cl, in.Include))
	}
	return out, nil
}

func (h *handlers) listClusters(ctx context.Context, in *ecswire.ListClustersRequest) (*ecswire.ListClustersResponse, error) {
	c := caller(ctx)
	var list ecsv1alpha1.ClusterList
	if err := c.Client.List(ctx, &list, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	var arns []string
	for i := range list.Items {
		if list.Items[i].DeletionTimestamp.IsZero() {
			arns = append(arns, c.Account.ClusterArn(clusterName(&list.Items[i])))
		}
	}
	sort.Strings(arns)
	from, to, next, err := page(arns, in.MaxResults, 100, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ecswire.ListClustersResponse{ClusterArns: nonNil(arns[from:to]), NextToken: next}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (h *handlers) deleteCluster(ctx context.Context, in *ecswire.DeleteClusterRequest) (*ecswire.DeleteClusterResponse, error) {
	c := caller(ctx)
	cl, err := mustCluster(ctx, c, in.Cluster)
	if err != nil {
		return nil, err
	}
	name := clusterName(cl)
	svcs, err := services(ctx, c, name)
	if err != nil {
		return nil, err
	}
	for i := range svcs {
		if svcs[i].DeletionTimestamp.IsZero() {
			return nil, notFound(ClusterContainsServices, "The Cluster cannot be deleted while Services are active.")
		}
	}
	tasks, err := clusterTasks(ctx, c, name)
	if err != nil {
		return nil, err
	}
	for i := range tasks {
		if tasks[i].Status.LastStatus != ecsv1alpha1.TaskStopped {
			return nil, notFound(ClusterContainsTasks, "The Cluster cannot be deleted while Tasks are active.")
		}
	}
	if err := c.Client.Delete(ctx, cl, client.Preconditions{UID: &cl.UID}); err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	out := clusterShape(c, cl, nil)
	out.Status = "INACTIVE"
	return &ecswire.DeleteClusterResponse{Cluster: &out}, nil
}

func (h *handlers) putClusterCapacityProviders(ctx context.Context, in *ecswire.PutClusterCapacityProvidersRequest) (*ecswire.PutClusterCapacityProvidersResponse, error) {
	c := caller(ctx)
	cl, err := mustCluster(ctx, c, in.Cluster)
	if err != nil {
		return nil, err
	}
	var strategy []ecsv1alpha1.CapacityProviderStrategyItem
	if err := convert(in.DefaultCapacityProviderStrategy, &strategy); err != nil {
		return nil, invalidParameter("%v", err)
	}
	err = retryConflicts(ctx, func(ctx context.Context) error {
		cur, err := mustCluster(ctx, c, in.Cluster)
		if err != nil {
			return err
		}
		cur.Spec.CapacityProviders = in.CapacityProviders
		cur.Spec.DefaultCapacityProviderStrategy = strategy
		cl = cur
		return c.Client.Update(ctx, cur)
	})
	if err != nil {
		return nil, invalid(err, InvalidParameterException)
	}
	out := clusterShape(c, cl, nil)
	return &ecswire.PutClusterCapacityProvidersResponse{Cluster: &out}, nil
}
