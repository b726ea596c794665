package ecs

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/names"
)

// serviceName is a Service object's ECS name.
func serviceName(svc *ecsv1alpha1.Service) string {
	return names.ServiceName(svc.Spec.ServiceName, svc.Name)
}

// services lists the Services of cluster (its ECS name) in the namespace,
// sorted by ECS name.
func services(ctx context.Context, c *awsapi.Caller, cluster string) ([]ecsv1alpha1.Service, error) {
	var list ecsv1alpha1.ServiceList
	if err := c.Client.List(ctx, &list, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	var res []ecsv1alpha1.Service
	for _, s := range list.Items {
		if names.ClusterName(s.Spec.Cluster) == cluster {
			res = append(res, s)
		}
	}
	sort.Slice(res, func(i, j int) bool { return serviceName(&res[i]) < serviceName(&res[j]) })
	return res, nil
}

// findService finds a service of cluster by name or ARN; nil when none.
func findService(ctx context.Context, c *awsapi.Caller, cluster, ref string) (*ecsv1alpha1.Service, error) {
	svcs, err := services(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	name := names.ShortName(ref)
	for i := range svcs {
		if serviceName(&svcs[i]) == name {
			return &svcs[i], nil
		}
	}
	return nil, nil
}

// deploymentsOf are a service's deployments as ECS shows them.
func deploymentsOf(c *awsapi.Caller, ds []ecsv1alpha1.ServiceDeployment, svc *ecswire.Service) []ecswire.Deployment {
	var out []ecswire.Deployment
	for _, d := range ds {
		out = append(out, ecswire.Deployment{
			Id: d.ID, Status: string(d.Status), TaskDefinition: tdArn(c, d.TaskDefinition),
			DesiredCount: d.DesiredCount, PendingCount: d.PendingCount, RunningCount: d.RunningCount, FailedTasks: d.FailedTasks,
			CreatedAt: awsjson.At(d.CreatedAt.Time), UpdatedAt: awsjson.At(d.UpdatedAt.Time),
			LaunchType: ecswire.LaunchType(d.LaunchType), CapacityProviderStrategy: svc.CapacityProviderStrategy,
			RolloutState: ecswire.DeploymentRolloutState(d.RolloutState), RolloutStateReason: d.RolloutStateReason,
			NetworkConfiguration: svc.NetworkConfiguration,
		})
	}
	return out
}

// serviceShape is a Service as DescribeServices shows it.
func serviceShape(c *awsapi.Caller, svc *ecsv1alpha1.Service, tags bool) ecswire.Service {
	var out ecswire.Service
	_ = convert(&svc.Spec.CreateServiceInput, &out)
	st := &svc.Status
	cluster := names.ClusterName(svc.Spec.Cluster)
	out.ServiceName = serviceName(svc)
	out.ServiceArn = c.Account.ServiceArn(cluster, out.ServiceName)
	out.ClusterArn = c.Account.ClusterArn(cluster)
	out.RoleArn = svc.Spec.Role
	out.CreatedAt = awsjson.At(svc.CreationTimestamp.Time)
	out.Status = string(st.Status)
	if out.Status == "" {
		out.Status = string(ecsv1alpha1.ServiceActive)
	}
	if !svc.DeletionTimestamp.IsZero() {
		out.Status = string(ecsv1alpha1.ServiceDraining)
	}
	if svc.Spec.DesiredCount != nil {
		out.DesiredCount = *svc.Spec.DesiredCount
	}
	if st.DesiredCount != nil {
		out.DesiredCount = *st.DesiredCount
	}
	out.RunningCount, out.PendingCount = ptrVal(st.RunningCount), ptrVal(st.PendingCount)
	stale := st.ObservedGeneration < svc.Generation
	if st.TaskDefinition != "" && !stale {
		out.TaskDefinition = tdArn(c, st.TaskDefinition)
	} else if r, err := names.ParseTaskDefinition(svc.Spec.TaskDefinition); err == nil && r.Revision != 0 {
		out.TaskDefinition = c.Account.TaskDefinitionArn(r.Family, r.Revision)
	}
	if out.SchedulingStrategy == "" {
		out.SchedulingStrategy = ecswire.SchedulingStrategyReplica
	}
	if out.DeploymentController == nil {
		out.DeploymentController = &ecswire.DeploymentController{Type: ecswire.DeploymentControllerTypeEcs}
	}
	out.Deployments = deploymentsOf(c, st.Deployments, &out)
	if stale && svc.DeletionTimestamp.IsZero() {
		// The operator has not seen the latest spec yet: a deployment is
		// about to start, and the service is not stable, whatever the
		// counts say (services-stable must not pass before it).
		out.Deployments = append([]ecswire.Deployment{{
			Id: "ecs-svc/pending", Status: string(ecsv1alpha1.DeploymentPrimary), TaskDefinition: out.TaskDefinition,
			DesiredCount: out.DesiredCount, RolloutState: ecswire.DeploymentRolloutStateInProgress,
			RolloutStateReason: "ECS deployment is being created.", CreatedAt: awsjson.At(time.Now()), UpdatedAt: awsjson.At(time.Now()),
		}}, out.Deployments...)
	}
	for _, e := range st.Events {
		out.Events = append(out.Events, ecswire.ServiceEvent{Id: e.ID, CreatedAt: awsjson.At(e.CreatedAt.Time), Message: e.Message})
	}
	if !tags {
		out.Tags = nil
	}
	return out
}

func (h *handlers) createService(ctx context.Context, in *ecswire.CreateServiceRequest) (*ecswire.CreateServiceResponse, error) {
	c := caller(ctx)
	if err := checkCreate(in); err != nil {
		return nil, err
	}
	cl, err := mustCluster(ctx, c, in.Cluster)
	if err != nil {
		return nil, err
	}
	rev, err := findRevision(ctx, c, in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	if rev == nil || revisionStatus(rev) != ecswire.TaskDefinitionStatusActive {
		return nil, notFound(ClientException, "TaskDefinition not found.")
	}
	if err := launchTypeFits(cl, rev, in.LaunchType, len(in.CapacityProviderStrategy) > 0); err != nil {
		return nil, err
	}
	existing, err := findService(ctx, c, clusterName(cl), in.ServiceName)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return h.repeatedCreate(ctx, c, existing, in.ClientToken)
	}
	in.TaskDefinition = pinned(rev) // fixed at the call, as in ECS
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: names.ServiceObject(in.ServiceName)}}
	if err := convert(in, &svc.Spec.CreateServiceInput); err != nil {
		return nil, invalidParameter("%v", err)
	}
	svc.Spec.Cluster = clusterName(cl)
	err = c.Client.Create(ctx, svc)
	if apierrors.IsAlreadyExists(err) {
		// Object names are per namespace, ECS names per cluster (and
		// case-sensitive): a service of the same name elsewhere gets a
		// name with its cluster and a hash.
		svc.Name, svc.ResourceVersion = names.ServiceObject(clusterName(cl)+"_"+in.ServiceName), ""
		err = c.Client.Create(ctx, svc)
	}
	if err != nil {
		if apierrors.IsAlreadyExists(err) {
			// A concurrent call created it: the same token is the same request.
			if existing, ferr := findService(ctx, c, clusterName(cl), in.ServiceName); ferr == nil && existing != nil {
				return h.repeatedCreate(ctx, c, existing, in.ClientToken)
			}
			return nil, invalidParameter("Creation of service was not idempotent.")
		}
		return nil, invalid(err, InvalidParameterException)
	}
	svc = h.observed(ctx, c, svc)
	out := serviceShape(c, svc, true)
	return &ecswire.CreateServiceResponse{Service: &out}, nil
}

// repeatedCreate answers CreateService of a service that exists: with the
// service when the call repeats the one that created it (the same
// clientToken), as ECS does; otherwise it was not idempotent.
func (h *handlers) repeatedCreate(ctx context.Context, c *awsapi.Caller, existing *ecsv1alpha1.Service, token string) (*ecswire.CreateServiceResponse, error) {
	if token == "" || existing.Spec.ClientToken != token || !existing.DeletionTimestamp.IsZero() {
		return nil, invalidParameter("Creation of service was not idempotent.")
	}
	svc := h.observed(ctx, c, existing)
	out := serviceShape(c, svc, true)
	return &ecswire.CreateServiceResponse{Service: &out}, nil
}

// checkCreate makes the checks of CreateService's input that need no object.
func checkCreate(in *ecswire.CreateServiceRequest) error {
	switch {
	case in.ServiceName == "":
		return invalidParameter("serviceName is required.")
	case in.DesiredCount != nil && *in.DesiredCount < 0:
		return invalidParameter("Invalid value for desiredCount: %d. desiredCount must be 0 or greater.", *in.DesiredCount)
	case in.SchedulingStrategy != ecswire.SchedulingStrategyDaemon && in.DesiredCount == nil:
		return invalidParameter("desiredCount is required when schedulingStrategy is REPLICA or isn't specified.")
	case in.TaskDefinition == "":
		return invalidParameter("TaskDefinition must be specified.")
	}
	return nil
}

// observed waits (bounded) until the operator has reconciled svc's current
// generation, so that the answer shows its deployments; it returns the
// latest object read.
func (h *handlers) observed(ctx context.Context, c *awsapi.Caller, svc *ecsv1alpha1.Service) *ecsv1alpha1.Service {
	latest := svc
	_ = wait.PollUntilContextTimeout(ctx, h.o.Poll, h.o.Wait, true, func(ctx context.Context) (bool, error) {
		cur := &ecsv1alpha1.Service{}
		if err := c.Client.Get(ctx, client.ObjectKeyFromObject(svc), cur); err != nil {
			return apierrors.IsNotFound(err), nil
		}
		latest = cur
		return cur.Status.ObservedGeneration >= svc.Generation, nil
	})
	return latest
}

func (h *handlers) describeServices(ctx context.Context, in *ecswire.DescribeServicesRequest) (*ecswire.DescribeServicesResponse, error) {
	c := caller(ctx)
	if len(in.Services) == 0 || len(in.Services) > 10 {
		return nil, invalidParameter("services must contain between 1 and 10 items.")
	}
	cl, err := mustCluster(ctx, c, in.Cluster)
	if err != nil {
		return nil, err
	}
	cluster := clusterName(cl)
	svcs, err := services(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	tags := slices.Contains(in.Include, ecswire.ServiceFieldTags)
	out := &ecswire.DescribeServicesResponse{}
	for _, ref := range in.Services {
		name := names.ShortName(ref)
		i := slices.IndexFunc(svcs, func(s ecsv1alpha1.Service) bool { return serviceName(&s) == name })
		if i >= 0 {
			out.Services = append(out.Services, serviceShape(c, &svcs[i], tags))
			continue
		}
		arn := c.Account.ServiceArn(cluster, name)
		if gone, err := inactive(ctx, c, cluster, name, arn); err != nil {
			return nil, err
		} else if gone != nil {
			out.Services = append(out.Services, *gone)
			continue
		}
		out.Failures = append(out.Failures, missing(arn))
	}
	return out, nil
}

// inactive finds a deleted service by the Event its deletion left: ECS
// shows INACTIVE services for a while after DeleteService, as Kubernetes
// keeps Events (an hour by default), so `aws ecs wait services-inactive`
// sees INACTIVE rather than MISSING.
func inactive(ctx context.Context, c *awsapi.Caller, cluster, name, arn string) (*ecswire.Service, error) {
	var evs corev1.EventList
	err := c.Client.List(ctx, &evs, client.InNamespace(c.Namespace), client.MatchingFields{"reason": ecsv1alpha1.ReasonServiceInactive})
	if apierrors.IsForbidden(err) {
		return nil, nil // without access to Events, a deleted service is MISSING
	}
	if err != nil {
		return nil, err
	}
	note := names.ServiceInactiveNote(cluster, name)
	for _, e := range evs.Items {
		if e.Message == note {
			var out ecswire.Service
			out.ServiceArn, out.ServiceName = arn, name
			out.ClusterArn = c.Account.ClusterArn(cluster)
			out.Status = string(ecsv1alpha1.ServiceInactive)
			out.CreatedAt = awsjson.At(e.FirstTimestamp.Time)
			if !e.EventTime.IsZero() {
				out.CreatedAt = awsjson.At(e.EventTime.Time)
			}
			return &out, nil
		}
	}
	return nil, nil
}

func (h *handlers) listServices(ctx context.Context, in *ecswire.ListServicesRequest) (*ecswire.ListServicesResponse, error) {
	c := caller(ctx)
	cl, err := mustCluster(ctx, c, in.Cluster)
	if err != nil {
		return nil, err
	}
	cluster := clusterName(cl)
	svcs, err := services(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	var arns []string
	for i := range svcs {
		s := &svcs[i]
		if in.LaunchType != "" && string(s.Spec.LaunchType) != string(in.LaunchType) {
			continue
		}
		strategy := string(s.Spec.SchedulingStrategy)
		if strategy == "" {
			strategy = string(ecswire.SchedulingStrategyReplica)
		}
		if in.SchedulingStrategy != "" && strategy != string(in.SchedulingStrategy) {
			continue
		}
		arns = append(arns, c.Account.ServiceArn(cluster, serviceName(s)))
	}
	from, to, next, err := page(arns, in.MaxResults, 10, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ecswire.ListServicesResponse{ServiceArns: nonNil(arns[from:to]), NextToken: next}, nil
}

func (h *handlers) mustService(ctx context.Context, c *awsapi.Caller, clusterRef, ref string) (*ecsv1alpha1.Service, error) {
	cl, err := mustCluster(ctx, c, clusterRef)
	if err != nil {
		return nil, err
	}
	svc, err := findService(ctx, c, clusterName(cl), ref)
	if err != nil {
		return nil, err
	}
	if svc == nil {
		return nil, notFound(ServiceNotFoundException, "Service not found.")
	}
	return svc, nil
}

func (h *handlers) updateService(ctx context.Context, in *ecswire.UpdateServiceRequest) (*ecswire.UpdateServiceResponse, error) {
	c := caller(ctx)
	if err := checkUpdate(in); err != nil {
		return nil, err
	}
	var rev *ecsv1alpha1.TaskDefinitionRevision
	if in.TaskDefinition != "" {
		var err error
		if rev, err = findRevision(ctx, c, in.TaskDefinition); err != nil {
			return nil, err
		}
		if rev == nil || revisionStatus(rev) != ecswire.TaskDefinitionStatusActive {
			return nil, notFound(ClientException, "TaskDefinition not found.")
		}
		// Fixed at the call, as ECS does: a later registration does not
		// redeploy the service.
		in.TaskDefinition = pinned(rev)
	}
	var svc *ecsv1alpha1.Service
	var before string
	err := retryConflicts(ctx, func(ctx context.Context) error {
		var err error
		if svc, err = h.mustService(ctx, c, in.Cluster, in.Service); err != nil {
			return err
		}
		if !svc.DeletionTimestamp.IsZero() {
			return notFound(ServiceNotActiveException, "Service was not ACTIVE.")
		}
		if rev != nil {
			cl, err := mustCluster(ctx, c, in.Cluster)
			if err != nil {
				return err
			}
			if err := launchTypeFits(cl, rev, ecswire.LaunchType(svc.Spec.LaunchType), len(svc.Spec.CapacityProviderStrategy) > 0 || len(in.CapacityProviderStrategy) > 0); err != nil {
				return err
			}
		}
		before = primaryID(svc)
		if err := applyUpdate(svc, in); err != nil {
			return err
		}
		return c.Client.Update(ctx, svc)
	})
	if err != nil {
		return nil, invalid(err, InvalidParameterException)
	}
	svc = h.observed(ctx, c, svc)
	if in.ForceNewDeployment {
		// The force token is an annotation, which does not change the
		// generation: wait for the new deployment itself.
		svc = h.newDeployment(ctx, c, svc, before)
	}
	out := serviceShape(c, svc, false)
	return &ecswire.UpdateServiceResponse{Service: &out}, nil
}

// checkUpdate refuses what UpdateService cannot do yet, rather than
// dropping it.
func checkUpdate(in *ecswire.UpdateServiceRequest) error {
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return invalidParameter("Invalid value for desiredCount: %d. desiredCount must be 0 or greater.", *in.DesiredCount)
	}
	for member, given := range map[string]bool{
		"serviceRegistries":           in.ServiceRegistries != nil,
		"serviceConnectConfiguration": in.ServiceConnectConfiguration != nil,
		"volumeConfigurations":        in.VolumeConfigurations != nil,
		"vpcLatticeConfigurations":    in.VpcLatticeConfigurations != nil,
		"availabilityZoneRebalancing": in.AvailabilityZoneRebalancing != "",
		"deploymentController":        in.DeploymentController != nil,
	} {
		if given {
			return notFound(UnsupportedFeature, "Berth's UpdateService does not change %s yet: edit the Service object", member)
		}
	}
	return nil
}

// pinned is family:revision of a revision.
func pinned(rev *ecsv1alpha1.TaskDefinitionRevision) string {
	return names.TaskDefinitionRef{Family: rev.Spec.Family, Revision: rev.Spec.Revision}.String()
}

func primaryID(svc *ecsv1alpha1.Service) string {
	for _, d := range svc.Status.Deployments {
		if d.Status == ecsv1alpha1.DeploymentPrimary {
			return d.ID
		}
	}
	return ""
}

// newDeployment waits (bounded) until the PRIMARY deployment is another
// than before.
func (h *handlers) newDeployment(ctx context.Context, c *awsapi.Caller, svc *ecsv1alpha1.Service, before string) *ecsv1alpha1.Service {
	latest := svc
	_ = wait.PollUntilContextTimeout(ctx, h.o.Poll, h.o.Wait, true, func(ctx context.Context) (bool, error) {
		cur := &ecsv1alpha1.Service{}
		if err := c.Client.Get(ctx, client.ObjectKeyFromObject(svc), cur); err != nil {
			return apierrors.IsNotFound(err), nil
		}
		latest = cur
		return primaryID(cur) != before, nil
	})
	return latest
}

// retryConflicts runs change until it does not meet a write conflict;
// conflicts that outlast the retries are ECS's ThrottlingException, which
// clients retry.
func retryConflicts(ctx context.Context, change func(context.Context) error) error {
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error { return change(ctx) })
	if apierrors.IsConflict(err) {
		return &awsjson.Error{Type: awsjson.Throttling, Message: "Rate exceeded: the object changed under concurrent updates; retry", Status: http.StatusBadRequest}
	}
	return err
}

// applyUpdate applies UpdateService's members to the spec: a member given
// replaces the spec's.
func applyUpdate(svc *ecsv1alpha1.Service, in *ecswire.UpdateServiceRequest) error {
	s := &svc.Spec.CreateServiceInput
	if in.DesiredCount != nil {
		s.DesiredCount = in.DesiredCount
	}
	if in.TaskDefinition != "" {
		s.TaskDefinition = in.TaskDefinition
	}
	if in.CapacityProviderStrategy != nil {
		s.LaunchType = "" // a strategy replaces the launch type
	}
	// Members whose shapes are the spec's: copied through JSON.
	for _, m := range []struct {
		given    bool
		from, to any
		reset    func()
	}{
		{in.CapacityProviderStrategy != nil, in.CapacityProviderStrategy, &s.CapacityProviderStrategy, func() { s.CapacityProviderStrategy = nil }},
		{in.DeploymentConfiguration != nil, in.DeploymentConfiguration, &s.DeploymentConfiguration, func() { s.DeploymentConfiguration = nil }},
		{in.NetworkConfiguration != nil, in.NetworkConfiguration, &s.NetworkConfiguration, func() { s.NetworkConfiguration = nil }},
		{in.PlacementConstraints != nil, in.PlacementConstraints, &s.PlacementConstraints, func() { s.PlacementConstraints = nil }},
		{in.PlacementStrategy != nil, in.PlacementStrategy, &s.PlacementStrategy, func() { s.PlacementStrategy = nil }},
		{in.LoadBalancers != nil, in.LoadBalancers, &s.LoadBalancers, func() { s.LoadBalancers = nil }},
	} {
		if !m.given {
			continue
		}
		m.reset()
		if err := convert(m.from, m.to); err != nil {
			return invalidParameter("%v", err)
		}
	}
	applyScalars(svc, in)
	return nil
}

// applyScalars applies UpdateService's scalar members.
func applyScalars(svc *ecsv1alpha1.Service, in *ecswire.UpdateServiceRequest) {
	s := &svc.Spec.CreateServiceInput
	if in.HealthCheckGracePeriodSeconds != nil {
		s.HealthCheckGracePeriodSeconds = in.HealthCheckGracePeriodSeconds
	}
	if in.EnableExecuteCommand != nil {
		s.EnableExecuteCommand = in.EnableExecuteCommand
	}
	if in.EnableECSManagedTags != nil {
		s.EnableECSManagedTags = in.EnableECSManagedTags
	}
	if in.PropagateTags != "" {
		s.PropagateTags = ecsv1alpha1.PropagateTags(in.PropagateTags)
	}
	if in.PlatformVersion != "" {
		s.PlatformVersion = in.PlatformVersion
	}
	if in.ForceNewDeployment {
		if svc.Annotations == nil {
			svc.Annotations = map[string]string{}
		}
		svc.Annotations[ecsv1alpha1.AnnotationForceNewDeployment] = string(uuid.NewUUID())
	}
}

func (h *handlers) deleteService(ctx context.Context, in *ecswire.DeleteServiceRequest) (*ecswire.DeleteServiceResponse, error) {
	c := caller(ctx)
	svc, err := h.mustService(ctx, c, in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	force := in.Force != nil && *in.Force
	desired := svc.Spec.DesiredCount
	if svc.Status.DesiredCount != nil {
		desired = svc.Status.DesiredCount // what auto scaling set
	}
	if !force && svc.DeletionTimestamp.IsZero() && desired != nil && *desired > 0 &&
		svc.Spec.SchedulingStrategy != ecsv1alpha1.SchedulingStrategyDaemon {
		return nil, invalidParameter("The service cannot be stopped while it is scaled above 0.")
	}
	if err := c.Client.Delete(ctx, svc, client.Preconditions{UID: &svc.UID}); err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	out := serviceShape(c, svc, false)
	out.Status = string(ecsv1alpha1.ServiceDraining)
	out.DesiredCount = 0
	return &ecswire.DeleteServiceResponse{Service: &out}, nil
}

// launchTypeFits refuses, as ECS does, a launch type the task definition
// does not support: the one asked for, or EC2 when neither a launch type
// nor a capacity provider strategy is given and the cluster has no default
// strategy.
func launchTypeFits(cl *ecsv1alpha1.Cluster, rev *ecsv1alpha1.TaskDefinitionRevision, lt ecswire.LaunchType, strategy bool) error {
	if lt == "" {
		if strategy || len(cl.Spec.DefaultCapacityProviderStrategy) > 0 {
			return nil
		}
		lt = ecswire.LaunchTypeEc2
	}
	req := rev.Spec.RequiresCompatibilities
	if len(req) == 0 || slices.ContainsFunc(req, func(c ecsv1alpha1.Compatibility) bool { return string(c) == string(lt) }) {
		return nil
	}
	return invalidParameter("Task definition does not support launch_type %s.", lt)
}
