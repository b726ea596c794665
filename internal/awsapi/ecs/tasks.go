package ecs

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/taskstate"
	"github.com/berth-dev/berth/internal/translate"
)

// MaxRunTaskCount is RunTask's largest count, as in ECS.
const MaxRunTaskCount = 10

// clusterTasks lists the Task objects of cluster (its ECS name), sorted by
// task ID.
func clusterTasks(ctx context.Context, c *awsapi.Caller, cluster string) ([]ecsv1alpha1.Task, error) {
	var list ecsv1alpha1.TaskList
	if err := c.Client.List(ctx, &list, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	var res []ecsv1alpha1.Task
	for _, t := range list.Items {
		if names.ClusterName(t.Spec.Cluster) == cluster {
			res = append(res, t)
		}
	}
	sort.Slice(res, func(i, j int) bool { return names.TaskID(string(res[i].UID)) < names.TaskID(string(res[j].UID)) })
	return res, nil
}

// taskStatus is a Task's lastStatus and desiredStatus as ECS reports them.
func taskStatus(t *ecsv1alpha1.Task) (last, desired ecsv1alpha1.TaskStatusValue) {
	last, desired = t.Status.LastStatus, t.Status.DesiredStatus
	if last == "" {
		last = ecsv1alpha1.TaskProvisioning
	}
	if desired == "" {
		desired = ecsv1alpha1.TaskRunning
	}
	if t.Spec.DesiredStatus == ecsv1alpha1.DesiredTaskStatus(ecsv1alpha1.TaskStopped) || !t.DeletionTimestamp.IsZero() {
		desired = ecsv1alpha1.TaskStopped
	}
	return last, desired
}

// taskShape is a Task as DescribeTasks shows it.
func taskShape(c *awsapi.Caller, t *ecsv1alpha1.Task, rev *ecsv1alpha1.TaskDefinitionRevision, tags bool) ecswire.Task {
	var out ecswire.Task
	_ = convert(&t.Spec.RunTaskInput, &out)
	st := &t.Status
	cluster := names.ClusterName(t.Spec.Cluster)
	out.TaskArn = c.Account.TaskArn(cluster, names.TaskID(string(t.UID)))
	out.ClusterArn = c.Account.ClusterArn(cluster)
	out.TaskDefinitionArn = tdArn(c, st.TaskDefinitionArn)
	if out.TaskDefinitionArn == "" && rev != nil {
		out.TaskDefinitionArn = c.Account.TaskDefinitionArn(rev.Spec.Family, rev.Spec.Revision)
	}
	last, desired := taskStatus(t)
	out.LastStatus, out.DesiredStatus = string(last), string(desired)
	out.HealthStatus = ecswire.HealthStatus(st.HealthStatus)
	if out.HealthStatus == "" {
		out.HealthStatus = ecswire.HealthStatusUnknown
	}
	if st.Group != "" {
		out.Group = st.Group
	}
	if st.StartedBy != "" {
		out.StartedBy = st.StartedBy
	}
	if st.LaunchType != "" {
		out.LaunchType = ecswire.LaunchType(st.LaunchType)
	}
	out.CapacityProviderName = st.CapacityProviderName
	out.CreatedAt = awsjson.At(t.CreationTimestamp.Time)
	out.StartedAt, out.StoppingAt, out.StoppedAt = at(st.StartedAt), at(st.StoppingAt), at(st.StoppedAt)
	out.ExecutionStoppedAt = out.StoppedAt
	out.StopCode = ecswire.TaskStopCode(st.StopCode)
	out.StoppedReason = st.StoppedReason
	if out.StoppedReason == "" && desired == ecsv1alpha1.TaskStopped {
		out.StoppedReason = t.Spec.StopReason
	}
	out.Version = t.Generation
	if rev != nil {
		out.Cpu, out.Memory = translate.NormalizedTaskSize(rev.Spec.Cpu, rev.Spec.Memory)
	}
	if len(st.Containers) > 0 {
		for _, ct := range st.Containers {
			out.Containers = append(out.Containers, ecswire.Container{
				TaskArn: out.TaskArn, Name: ct.Name, Image: ct.Image, LastStatus: string(ct.LastStatus),
				ExitCode: ct.ExitCode, Reason: ct.Reason, HealthStatus: ecswire.HealthStatus(ct.HealthStatus),
			})
		}
	} else if rev != nil {
		for _, cd := range rev.Spec.ContainerDefinitions {
			out.Containers = append(out.Containers, ecswire.Container{TaskArn: out.TaskArn, Name: cd.Name, Image: cd.Image,
				LastStatus: string(ecsv1alpha1.TaskPending), HealthStatus: ecswire.HealthStatusUnknown})
		}
	}
	if !tags {
		out.Tags = nil
	}
	return out
}

func (h *handlers) runTask(ctx context.Context, in *ecswire.RunTaskRequest) (*ecswire.RunTaskResponse, error) {
	c := caller(ctx)
	count := int32(1)
	if in.Count != nil {
		count = *in.Count
	}
	if count < 1 || count > MaxRunTaskCount {
		return nil, invalidParameter("Task count must be between 1 and %d.", MaxRunTaskCount)
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
	var spec ecsv1alpha1.RunTaskInput
	if err := convert(in, &spec); err != nil {
		return nil, invalidParameter("%v", err)
	}
	spec.Cluster = clusterName(cl)
	spec.TaskDefinition = pinned(rev) // the revision RunTask reports is the one that runs
	return startTasks(ctx, c, &spec, rev, count, in.ClientToken)
}

// startTasks creates count Task objects of spec and answers with them.
func startTasks(ctx context.Context, c *awsapi.Caller, spec *ecsv1alpha1.RunTaskInput, rev *ecsv1alpha1.TaskDefinitionRevision, count int32, token string) (*ecswire.RunTaskResponse, error) {
	out := &ecswire.RunTaskResponse{Tasks: []ecswire.Task{}}
	prefix := taskNamePrefix(rev.Spec.Family)
	for i := range count {
		t := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, GenerateName: prefix + "-"}}
		t.Spec.RunTaskInput = *spec.DeepCopy()
		if token != "" {
			// The same token names the same tasks: a retried RunTask (the
			// SDKs fill the token in and retry on errors) answers with the
			// tasks the first call started instead of starting more.
			sum := sha256.Sum256([]byte(token))
			t.GenerateName, t.Name = "", fmt.Sprintf("%s-%x-%d", prefix, sum[:6], i)
		}
		err := c.Client.Create(ctx, t)
		if apierrors.IsAlreadyExists(err) && token != "" {
			err = c.Client.Get(ctx, client.ObjectKeyFromObject(t), t)
			if err == nil && t.Spec.ClientToken != token {
				return nil, invalidParameter("The clientToken %q names tasks of another request.", token)
			}
		}
		if err != nil {
			if len(out.Tasks) > 0 && !apierrors.IsInvalid(err) {
				// Tasks already started stay; the rest are failures, as ECS reports them.
				out.Failures = append(out.Failures, ecswire.Failure{Reason: "INTERNAL ERROR", Detail: err.Error()})
				continue
			}
			return nil, invalid(err, InvalidParameterException)
		}
		out.Tasks = append(out.Tasks, taskShape(c, t, rev, true))
	}
	return out, nil
}

// taskNamePrefix is the start of the names of a family's Task objects:
// short enough for a suffix within the 63 characters a label value allows.
func taskNamePrefix(family string) string {
	p := names.ObjectName(family)
	if len(p) > 40 {
		p = strings.TrimRight(p[:40], "-")
	}
	return p
}

// findTasks resolves task IDs or ARNs among cluster's tasks; refs not found
// come back as failures.
func findTasks(ctx context.Context, c *awsapi.Caller, cluster string, refs []string) ([]*ecsv1alpha1.Task, []ecswire.Failure, error) {
	tasks, err := clusterTasks(ctx, c, cluster)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]*ecsv1alpha1.Task{}
	for i := range tasks {
		byID[names.TaskID(string(tasks[i].UID))] = &tasks[i]
	}
	var found []*ecsv1alpha1.Task
	var failures []ecswire.Failure
	for _, ref := range refs {
		id := names.ShortName(ref)
		if t, ok := byID[id]; ok {
			found = append(found, t)
			continue
		}
		failures = append(failures, missing(c.Account.TaskArn(cluster, id)))
	}
	return found, failures, nil
}

// taskRevision is the revision a Task runs, nil when it cannot be found.
func taskRevision(ctx context.Context, c *awsapi.Caller, t *ecsv1alpha1.Task, cache map[string]*ecsv1alpha1.TaskDefinitionRevision) *ecsv1alpha1.TaskDefinitionRevision {
	ref := t.Status.TaskDefinitionArn
	if ref == "" {
		ref = t.Spec.TaskDefinition
	}
	if rev, ok := cache[ref]; ok {
		return rev
	}
	rev, _ := findRevision(ctx, c, ref)
	cache[ref] = rev
	return rev
}

func (h *handlers) describeTasks(ctx context.Context, in *ecswire.DescribeTasksRequest) (*ecswire.DescribeTasksResponse, error) {
	c := caller(ctx)
	if len(in.Tasks) == 0 || len(in.Tasks) > 100 {
		return nil, invalidParameter("tasks must contain between 1 and 100 items.")
	}
	cl, err := mustCluster(ctx, c, in.Cluster)
	if err != nil {
		return nil, err
	}
	found, failures, err := findTasks(ctx, c, clusterName(cl), in.Tasks)
	if err != nil {
		return nil, err
	}
	tags := false
	for _, f := range in.Include {
		tags = tags || f == ecswire.TaskFieldTags
	}
	out := &ecswire.DescribeTasksResponse{Tasks: []ecswire.Task{}}
	revs := map[string]*ecsv1alpha1.TaskDefinitionRevision{}
	for _, t := range found {
		out.Tasks = append(out.Tasks, taskShape(c, t, taskRevision(ctx, c, t, revs), tags))
	}
	if len(failures) > 0 {
		// Not a Task object: maybe a service's task.
		sts, err := serviceTasks(ctx, c, clusterName(cl), "")
		if err != nil {
			return nil, err
		}
		byArn := map[string]serviceTask{}
		for _, st := range sts {
			byArn[c.Account.TaskArn(clusterName(cl), taskstate.TaskID(st.pod))] = st
		}
		now := time.Now()
		for _, f := range failures {
			if st, ok := byArn[f.Arn]; ok {
				out.Tasks = append(out.Tasks, serviceTaskShape(c, clusterName(cl), st, now))
			} else {
				out.Failures = append(out.Failures, f)
			}
		}
	}
	return out, nil
}

func (h *handlers) listTasks(ctx context.Context, in *ecswire.ListTasksRequest) (*ecswire.ListTasksResponse, error) {
	c := caller(ctx)
	cl, err := mustCluster(ctx, c, in.Cluster)
	if err != nil {
		return nil, err
	}
	cluster := clusterName(cl)
	if in.ContainerInstance != "" {
		return nil, notFound(UnsupportedFeature, "Berth does not filter tasks by containerInstance yet: kubectl get pods --field-selector spec.nodeName=<node>")
	}
	want := ecsv1alpha1.TaskRunning
	if in.DesiredStatus == ecswire.DesiredStatusStopped {
		want = ecsv1alpha1.TaskStopped
	}
	arns, err := standaloneArns(ctx, c, cluster, in, want)
	if err != nil {
		return nil, err
	}
	sts, err := serviceTasks(ctx, c, cluster, in.ServiceName)
	if err != nil {
		return nil, err
	}
	if in.ServiceName != "" && sts == nil {
		if svc, err := findService(ctx, c, cluster, in.ServiceName); err != nil || svc == nil {
			return nil, orNotFound(err, notFound(ServiceNotFoundException, "Service not found."))
		}
	}
	for _, st := range sts {
		if serviceTaskListed(st, in, want) {
			arns = append(arns, c.Account.TaskArn(cluster, taskstate.TaskID(st.pod)))
		}
	}
	sort.Strings(arns)
	from, to, next, err := page(arns, in.MaxResults, 100, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ecswire.ListTasksResponse{TaskArns: nonNil(arns[from:to]), NextToken: next}, nil
}

// standaloneArns are the ARNs of the Task objects ListTasks selects (none
// when it asks for a service's tasks).
func standaloneArns(ctx context.Context, c *awsapi.Caller, cluster string, in *ecswire.ListTasksRequest, want ecsv1alpha1.TaskStatusValue) ([]string, error) {
	if in.ServiceName != "" {
		return nil, nil
	}
	tasks, err := clusterTasks(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	var arns []string
	for i := range tasks {
		if listed(&tasks[i], in, want) {
			arns = append(arns, c.Account.TaskArn(cluster, names.TaskID(string(tasks[i].UID))))
		}
	}
	return arns, nil
}

// serviceTaskListed tells whether ListTasks' filters select a service's
// task: RUNNING until the scheduler stops it, STOPPED while its pod goes
// or is kept (taskstate.Retire).
func serviceTaskListed(st serviceTask, in *ecswire.ListTasksRequest, want ecsv1alpha1.TaskStatusValue) bool {
	if (want == ecsv1alpha1.TaskStopped) != (!st.pod.DeletionTimestamp.IsZero() || taskstate.Retired(st.pod)) {
		return false
	}
	if in.StartedBy != "" && st.pod.Annotations[ecsv1alpha1.AnnotationStartedBy] != in.StartedBy {
		return false
	}
	if in.LaunchType != "" {
		return false // a service's tasks are placed by its strategy; the filter selects standalone tasks
	}
	if in.Family == "" {
		return true
	}
	r, err := names.ParseTaskDefinition(st.pod.Annotations[ecsv1alpha1.AnnotationTaskDefinitionArn])
	return err == nil && r.Family == in.Family
}

// listed tells whether ListTasks' filters select t.
func listed(t *ecsv1alpha1.Task, in *ecswire.ListTasksRequest, want ecsv1alpha1.TaskStatusValue) bool {
	last, desired := taskStatus(t)
	// ECS lists a task under desiredStatus RUNNING until it is asked to
	// stop, and under STOPPED from then on.
	if (want == ecsv1alpha1.TaskStopped) != (desired == ecsv1alpha1.TaskStopped || last == ecsv1alpha1.TaskStopped) {
		return false
	}
	if in.StartedBy != "" && t.Spec.StartedBy != in.StartedBy {
		return false
	}
	if in.LaunchType != "" && string(t.Spec.LaunchType) != string(in.LaunchType) && string(t.Status.LaunchType) != string(in.LaunchType) {
		return false
	}
	if in.Family == "" {
		return true
	}
	ref := t.Status.TaskDefinitionArn
	if ref == "" {
		ref = t.Spec.TaskDefinition
	}
	r, err := names.ParseTaskDefinition(ref)
	return err == nil && r.Family == in.Family
}

func (h *handlers) stopTask(ctx context.Context, in *ecswire.StopTaskRequest) (*ecswire.StopTaskResponse, error) {
	c := caller(ctx)
	cl, err := mustCluster(ctx, c, in.Cluster)
	if err != nil {
		return nil, err
	}
	found, _, err := findTasks(ctx, c, clusterName(cl), []string{in.Task})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, invalidParameter("The referenced task was not found.")
	}
	t := found[0]
	if t.Spec.DesiredStatus != ecsv1alpha1.DesiredTaskStatus(ecsv1alpha1.TaskStopped) {
		before := t.DeepCopy()
		t.Spec.DesiredStatus = ecsv1alpha1.DesiredTaskStatus(ecsv1alpha1.TaskStopped)
		t.Spec.StopReason = in.Reason
		if t.Spec.StopReason == "" {
			t.Spec.StopReason = "Task stopped by user"
		}
		// A merge patch of two scalar fields: concurrent edits of others stay.
		if err := c.Client.Patch(ctx, t, client.MergeFrom(before)); err != nil {
			return nil, err
		}
	}
	out := taskShape(c, t, taskRevision(ctx, c, t, map[string]*ecsv1alpha1.TaskDefinitionRevision{}), false)
	if out.StoppingAt == nil {
		out.StoppingAt = awsjson.At(time.Now())
	}
	return &ecswire.StopTaskResponse{Task: &out}, nil
}
