package ecs

import (
	"context"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/rollout"
)

// Service deployments and service revisions are the records the Service
// controller keeps in a Service's status (status.serviceDeployments and
// status.serviceRevisions, the last 10 of each). The ARNs stored there
// carry the operator's account and region; the answers carry the caller's,
// rebuilt from the cluster, the service and the deployment id.

// Limits of the model's documentation.
const (
	defaultDeploymentsPage = 20 // ListServiceDeployments without maxResults
	maxDescribedArns       = 20 // DescribeServiceDeployments, DescribeServiceRevisions
)

// deploymentRef is what a service deployment or service revision ARN
// names: arn:aws:ecs:<region>:<account>:<kind>/<cluster>/<service>/<digits>.
type deploymentRef struct {
	cluster, service, id string // id: the deployment id, ecs-svc/<digits>
}

// parseDeploymentArn reads an ARN of kind (service-deployment or
// service-revision) in the caller's account and region; ok is false for
// any other string.
func parseDeploymentArn(c *awsapi.Caller, kind, arn string) (deploymentRef, bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:ecs:"+c.Account.Region+":"+c.Account.AccountID+":"+kind+"/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 || slices.Contains(parts, "") {
		return deploymentRef{}, false
	}
	ref := deploymentRef{cluster: parts[0], service: parts[1], id: "ecs-svc/" + parts[2]}
	build := c.Account.ServiceDeploymentArn
	if kind == "service-revision" {
		build = c.Account.ServiceRevisionArn
	}
	return ref, build(ref.cluster, ref.service, ref.id) == arn
}

// serviceIndex finds the Services of the caller's namespace by cluster
// and service name, from one list.
type serviceIndex map[[2]string]*ecsv1alpha1.Service

func indexServices(ctx context.Context, c *awsapi.Caller) (serviceIndex, error) {
	var list ecsv1alpha1.ServiceList
	if err := c.Client.List(ctx, &list, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	idx := serviceIndex{}
	for i := range list.Items {
		s := &list.Items[i]
		idx[[2]string{names.ClusterName(s.Spec.Cluster), serviceName(s)}] = s
	}
	return idx, nil
}

// record finds the service deployment ref names; nil when there is none.
func (idx serviceIndex) record(ref deploymentRef) (*ecsv1alpha1.Service, *ecsv1alpha1.ServiceDeploymentRecord) {
	svc := idx[[2]string{ref.cluster, ref.service}]
	if svc == nil {
		return nil, nil
	}
	for i := range svc.Status.ServiceDeployments {
		if r := &svc.Status.ServiceDeployments[i]; lastSegment(r.ServiceDeploymentArn) == strings.TrimPrefix(ref.id, "ecs-svc/") {
			return svc, r
		}
	}
	return nil, nil
}

// revision finds the service revision ref names; nil when there is none.
func (idx serviceIndex) revision(ref deploymentRef) (*ecsv1alpha1.Service, *ecsv1alpha1.ServiceRevision) {
	svc := idx[[2]string{ref.cluster, ref.service}]
	if svc == nil {
		return nil, nil
	}
	for i := range svc.Status.ServiceRevisions {
		if r := &svc.Status.ServiceRevisions[i]; lastSegment(r.ServiceRevisionArn) == strings.TrimPrefix(ref.id, "ecs-svc/") {
			return svc, r
		}
	}
	return nil, nil
}

func lastSegment(arn string) string {
	return arn[strings.LastIndex(arn, "/")+1:]
}

// serviceArns builds a Service's ARNs in the caller's account.
type serviceArns struct {
	c                *awsapi.Caller
	cluster, service string
}

func arnsOf(c *awsapi.Caller, svc *ecsv1alpha1.Service) serviceArns {
	return serviceArns{c: c, cluster: names.ClusterName(svc.Spec.Cluster), service: serviceName(svc)}
}

func (a serviceArns) serviceArn() string { return a.c.Account.ServiceArn(a.cluster, a.service) }
func (a serviceArns) clusterArn() string { return a.c.Account.ClusterArn(a.cluster) }
func (a serviceArns) deployment(id string) string {
	return a.c.Account.ServiceDeploymentArn(a.cluster, a.service, id)
}

// revision rebuilds a stored service revision ARN in the caller's account.
func (a serviceArns) revision(stored string) string {
	if stored == "" {
		return ""
	}
	return a.c.Account.ServiceRevisionArn(a.cluster, a.service, lastSegment(stored))
}

// requestedStop is the StopServiceDeployment a Service's annotations hold
// (its declarative form) that the controller has not acted on yet: the
// deployment id and the status ECS shows meanwhile, ROLLBACK_REQUESTED or
// STOP_REQUESTED. The annotation names the deployment by id or ARN, read
// as the Service controller reads it.
func requestedStop(svc *ecsv1alpha1.Service) (id string, status ecsv1alpha1.ServiceDeploymentState) {
	ref, rollback := names.StopDeployment(svc.Annotations)
	id = rollout.StopTarget(svc.Status.ServiceDeployments, ref)
	switch {
	case id == "":
		return "", ""
	case rollback:
		return id, ecsv1alpha1.ServiceDeploymentRollbackRequested
	default:
		return id, ecsv1alpha1.ServiceDeploymentStopRequested
	}
}

// shownStatus is a record's status as ECS shows it: a deployment in
// progress that a StopServiceDeployment names is ROLLBACK_REQUESTED (or
// STOP_REQUESTED) until the controller stops it.
func shownStatus(svc *ecsv1alpha1.Service, r *ecsv1alpha1.ServiceDeploymentRecord) ecsv1alpha1.ServiceDeploymentState {
	if r.Status != ecsv1alpha1.ServiceDeploymentPending && r.Status != ecsv1alpha1.ServiceDeploymentInProgress {
		return r.Status
	}
	if id, requested := requestedStop(svc); id == r.ID {
		return requested
	}
	return r.Status
}

// briefShape is a record as ListServiceDeployments shows it.
func briefShape(a serviceArns, svc *ecsv1alpha1.Service, r *ecsv1alpha1.ServiceDeploymentRecord) ecswire.ServiceDeploymentBrief {
	return ecswire.ServiceDeploymentBrief{
		ServiceDeploymentArn: a.deployment(lastSegment(r.ServiceDeploymentArn)), ServiceArn: a.serviceArn(), ClusterArn: a.clusterArn(),
		CreatedAt: awsjson.At(r.CreatedAt.Time), StartedAt: at(r.StartedAt), FinishedAt: at(r.FinishedAt),
		TargetServiceRevisionArn: a.revision(r.TargetServiceRevision.Arn),
		Status:                   ecswire.ServiceDeploymentStatus(shownStatus(svc, r)), StatusReason: r.StatusReason,
	}
}

// deploymentShape is a record as DescribeServiceDeployments shows it. Its
// deploymentConfiguration is the Service's as it is now: Berth does not
// keep the one each deployment started with.
func deploymentShape(a serviceArns, svc *ecsv1alpha1.Service, r *ecsv1alpha1.ServiceDeploymentRecord) ecswire.ServiceDeployment {
	summary := func(s ecsv1alpha1.ServiceRevisionSummary) ecswire.ServiceRevisionSummary {
		return ecswire.ServiceRevisionSummary{Arn: a.revision(s.Arn),
			RequestedTaskCount: s.RequestedTaskCount, RunningTaskCount: s.RunningTaskCount, PendingTaskCount: s.PendingTaskCount}
	}
	out := ecswire.ServiceDeployment{
		ServiceDeploymentArn: a.deployment(lastSegment(r.ServiceDeploymentArn)), ServiceArn: a.serviceArn(), ClusterArn: a.clusterArn(),
		CreatedAt: awsjson.At(r.CreatedAt.Time), StartedAt: at(r.StartedAt), FinishedAt: at(r.FinishedAt),
		StoppedAt: at(r.StoppedAt), UpdatedAt: awsjson.At(r.UpdatedAt.Time),
		Status: ecswire.ServiceDeploymentStatus(shownStatus(svc, r)), StatusReason: r.StatusReason,
		LifecycleStage: ecswire.ServiceDeploymentLifecycleStage(r.LifecycleStage),
	}
	for _, s := range r.SourceServiceRevisions {
		out.SourceServiceRevisions = append(out.SourceServiceRevisions, summary(s))
	}
	target := summary(r.TargetServiceRevision)
	out.TargetServiceRevision = &target
	if dc := svc.Spec.DeploymentConfiguration; dc != nil {
		out.DeploymentConfiguration = &ecswire.DeploymentConfiguration{}
		_ = convert(dc, out.DeploymentConfiguration)
	}
	if rb := r.Rollback; rb != nil {
		out.Rollback = &ecswire.Rollback{Reason: rb.Reason, StartedAt: awsjson.At(rb.StartedAt.Time), ServiceRevisionArn: a.revision(rb.ServiceRevisionArn)}
	}
	if cb := r.DeploymentCircuitBreaker; cb != nil {
		out.DeploymentCircuitBreaker = &ecswire.ServiceDeploymentCircuitBreaker{
			Status: ecswire.ServiceDeploymentRollbackMonitorsStatus(cb.Status), FailureCount: cb.FailureCount, Threshold: cb.Threshold}
	}
	if al := r.Alarms; al != nil {
		out.Alarms = &ecswire.ServiceDeploymentAlarms{Status: ecswire.ServiceDeploymentRollbackMonitorsStatus(al.Status),
			AlarmNames: slices.Clone(al.AlarmNames), TriggeredAlarmNames: slices.Clone(al.TriggeredAlarmNames)}
	}
	return out
}

// serviceRevisionShape is a service revision as DescribeServiceRevisions shows it.
func serviceRevisionShape(a serviceArns, r *ecsv1alpha1.ServiceRevision) ecswire.ServiceRevision {
	out := ecswire.ServiceRevision{
		ServiceRevisionArn: a.revision(r.ServiceRevisionArn), ServiceArn: a.serviceArn(), ClusterArn: a.clusterArn(),
		TaskDefinition: tdArn(a.c, r.TaskDefinition), LaunchType: ecswire.LaunchType(r.LaunchType),
		PlatformVersion: r.PlatformVersion, CreatedAt: awsjson.At(r.CreatedAt.Time),
	}
	// Members whose shapes are the model's: copied through JSON.
	_ = convert(r.CapacityProviderStrategy, &out.CapacityProviderStrategy)
	_ = convert(r.LoadBalancers, &out.LoadBalancers)
	_ = convert(r.ServiceRegistries, &out.ServiceRegistries)
	if r.NetworkConfiguration != nil {
		out.NetworkConfiguration = &ecswire.NetworkConfiguration{}
		_ = convert(r.NetworkConfiguration, out.NetworkConfiguration)
	}
	for _, ci := range r.ContainerImages {
		out.ContainerImages = append(out.ContainerImages, ecswire.ContainerImage{ContainerName: ci.ContainerName, Image: ci.Image})
	}
	return out
}

// deploymentKey orders records as ListServiceDeployments lists them,
// newest first (compareDesc), and is the nextToken's key: the creation
// time, then the id (ids are zero-padded, so they compare as numbers).
func deploymentKey(r *ecsv1alpha1.ServiceDeploymentRecord) string {
	return r.CreatedAt.UTC().Format("20060102T150405.000000000") + " " + r.ID
}

func compareDesc(a, b string) int { return strings.Compare(b, a) }

// listFilter is ListServiceDeployments' status and createdAt filters.
func listFilter(in *ecswire.ListServiceDeploymentsRequest) (func(*ecsv1alpha1.Service, *ecsv1alpha1.ServiceDeploymentRecord) bool, error) {
	for _, s := range in.Status {
		if !s.Valid() {
			return nil, invalidParameter("Invalid status filter %q.", s)
		}
	}
	var before, after *awsjson.Timestamp
	if in.CreatedAt != nil {
		before, after = in.CreatedAt.Before, in.CreatedAt.After
	}
	return func(svc *ecsv1alpha1.Service, r *ecsv1alpha1.ServiceDeploymentRecord) bool {
		switch {
		case len(in.Status) > 0 && !slices.Contains(in.Status, ecswire.ServiceDeploymentStatus(shownStatus(svc, r))):
			return false
		case before != nil && !before.After(r.CreatedAt.Time):
			return false
		case after != nil && !after.Before(r.CreatedAt.Time):
			return false
		}
		return true
	}, nil
}

func (h *handlers) listServiceDeployments(ctx context.Context, in *ecswire.ListServiceDeploymentsRequest) (*ecswire.ListServiceDeploymentsResponse, error) {
	c := caller(ctx)
	if in.Service == "" {
		return nil, invalidParameter("service must be specified.")
	}
	keep, err := listFilter(in)
	if err != nil {
		return nil, err
	}
	svc, err := h.mustService(ctx, c, in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	var records []*ecsv1alpha1.ServiceDeploymentRecord
	for i := range svc.Status.ServiceDeployments {
		if r := &svc.Status.ServiceDeployments[i]; keep(svc, r) {
			records = append(records, r)
		}
	}
	slices.SortStableFunc(records, func(x, y *ecsv1alpha1.ServiceDeploymentRecord) int {
		return compareDesc(deploymentKey(x), deploymentKey(y))
	})
	keys := make([]string, len(records))
	for i, r := range records {
		keys[i] = deploymentKey(r)
	}
	from, to, next, err := pageBy(keys, in.MaxResults, defaultDeploymentsPage, in.NextToken, compareDesc)
	if err != nil {
		return nil, err
	}
	a := arnsOf(c, svc)
	out := &ecswire.ListServiceDeploymentsResponse{ServiceDeployments: []ecswire.ServiceDeploymentBrief{}, NextToken: next}
	for _, r := range records[from:to] {
		out.ServiceDeployments = append(out.ServiceDeployments, briefShape(a, svc, r))
	}
	return out, nil
}

// checkArns checks the ARN list of a Describe call.
func checkArns(member string, list []string) error {
	if len(list) == 0 || len(list) > maxDescribedArns {
		return invalidParameter("%s must contain between 1 and %d items.", member, maxDescribedArns)
	}
	return nil
}

func (h *handlers) describeServiceDeployments(ctx context.Context, in *ecswire.DescribeServiceDeploymentsRequest) (*ecswire.DescribeServiceDeploymentsResponse, error) {
	c := caller(ctx)
	if err := checkArns("serviceDeploymentArns", in.ServiceDeploymentArns); err != nil {
		return nil, err
	}
	idx, err := indexServices(ctx, c)
	if err != nil {
		return nil, err
	}
	out := &ecswire.DescribeServiceDeploymentsResponse{ServiceDeployments: []ecswire.ServiceDeployment{}, Failures: []ecswire.Failure{}}
	for _, arn := range in.ServiceDeploymentArns {
		var svc *ecsv1alpha1.Service
		var r *ecsv1alpha1.ServiceDeploymentRecord
		if ref, ok := parseDeploymentArn(c, "service-deployment", arn); ok {
			svc, r = idx.record(ref)
		}
		if r == nil {
			out.Failures = append(out.Failures, missing(arn))
			continue
		}
		out.ServiceDeployments = append(out.ServiceDeployments, deploymentShape(arnsOf(c, svc), svc, r))
	}
	return out, nil
}

func (h *handlers) describeServiceRevisions(ctx context.Context, in *ecswire.DescribeServiceRevisionsRequest) (*ecswire.DescribeServiceRevisionsResponse, error) {
	c := caller(ctx)
	if err := checkArns("serviceRevisionArns", in.ServiceRevisionArns); err != nil {
		return nil, err
	}
	idx, err := indexServices(ctx, c)
	if err != nil {
		return nil, err
	}
	out := &ecswire.DescribeServiceRevisionsResponse{ServiceRevisions: []ecswire.ServiceRevision{}, Failures: []ecswire.Failure{}}
	for _, arn := range in.ServiceRevisionArns {
		var svc *ecsv1alpha1.Service
		var r *ecsv1alpha1.ServiceRevision
		if ref, ok := parseDeploymentArn(c, "service-revision", arn); ok {
			svc, r = idx.revision(ref)
		}
		if r == nil {
			out.Failures = append(out.Failures, missing(arn))
			continue
		}
		out.ServiceRevisions = append(out.ServiceRevisions, serviceRevisionShape(arnsOf(c, svc), r))
	}
	return out, nil
}

// stopServiceDeployment is StopServiceDeployment: it writes the request on
// the Service (the annotations ecs.berth.dev/stop-deployment and
// stop-deployment-type, its declarative form), for the Service controller
// to stop the deployment and roll back or not. As in ECS, a deployment
// PENDING or IN_PROGRESS can be stopped, one already stopping or rolling
// back keeps doing so (the call changes nothing), and an ended one cannot.
// The patch is fenced by the resourceVersion of the Service read: the
// status checked is the status when the request is written.
func (h *handlers) stopServiceDeployment(ctx context.Context, in *ecswire.StopServiceDeploymentRequest) (*ecswire.StopServiceDeploymentResponse, error) {
	c := caller(ctx)
	stopType := in.StopType
	if stopType == "" {
		stopType = ecswire.StopServiceDeploymentStopTypeRollback
	}
	if !stopType.Valid() {
		return nil, invalidParameter("Invalid stopType %q: ROLLBACK or ABORT.", in.StopType)
	}
	ref, ok := parseDeploymentArn(c, "service-deployment", in.ServiceDeploymentArn)
	if !ok {
		return nil, invalidParameter("The ARN %q is not a service deployment ARN of this account (%s) and region (%s).", in.ServiceDeploymentArn, c.Account.AccountID, c.Account.Region)
	}
	err := retryConflicts(ctx, func(ctx context.Context) error {
		idx, err := indexServices(ctx, c)
		if err != nil {
			return err
		}
		svc, r := idx.record(ref)
		if r == nil {
			return notFound(ServiceDeploymentNotFoundException, "Service deployment not found.")
		}
		st := shownStatus(svc, r)
		if err := stoppable(st); err != nil || !needsStop(st) {
			return err
		}
		base := svc.DeepCopy()
		if svc.Annotations == nil {
			svc.Annotations = map[string]string{}
		}
		svc.Annotations[ecsv1alpha1.AnnotationStopDeployment] = r.ServiceDeploymentArn
		svc.Annotations[ecsv1alpha1.AnnotationStopDeploymentType] = string(stopType)
		return c.Client.Patch(ctx, svc, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	})
	if err != nil {
		return nil, err
	}
	return &ecswire.StopServiceDeploymentResponse{ServiceDeploymentArn: in.ServiceDeploymentArn}, nil
}

// stoppable refuses, with ConflictException, to stop a deployment that has
// ended (the states ECS lets StopServiceDeployment act on:
// docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html).
func stoppable(s ecsv1alpha1.ServiceDeploymentState) error {
	switch s {
	case ecsv1alpha1.ServiceDeploymentPending, ecsv1alpha1.ServiceDeploymentInProgress,
		ecsv1alpha1.ServiceDeploymentStopRequested, ecsv1alpha1.ServiceDeploymentRollbackRequested, ecsv1alpha1.ServiceDeploymentRollbackInProgress:
		return nil
	}
	return notFound(ConflictException, "The service deployment is %s and cannot be stopped: "+
		"only a PENDING or IN_PROGRESS deployment can be (one STOP_REQUESTED, ROLLBACK_REQUESTED or ROLLBACK_IN_PROGRESS is already stopping).", s)
}

// needsStop says whether a stoppable deployment needs the request written:
// one already stopping or rolling back continues as it is.
func needsStop(s ecsv1alpha1.ServiceDeploymentState) bool {
	return s == ecsv1alpha1.ServiceDeploymentPending || s == ecsv1alpha1.ServiceDeploymentInProgress
}
