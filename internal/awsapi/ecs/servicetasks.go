package ecs

import (
	"context"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/taskstate"
)

// serviceTask is a task of a service: a pod of its Deployment (service
// tasks have no Task object; the pod is the task).
type serviceTask struct {
	pod     *corev1.Pod
	service string // ECS name
}

// serviceTasks lists the tasks of cluster's services (only service, when
// not ""), by task ID.
func serviceTasks(ctx context.Context, c *awsapi.Caller, cluster, service string) ([]serviceTask, error) {
	svcs, err := services(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	byObject := map[string]string{}
	uids := map[string]types.UID{}
	for i := range svcs {
		if n := serviceName(&svcs[i]); service == "" || n == names.ShortName(service) {
			byObject[svcs[i].Name], uids[svcs[i].Name] = n, svcs[i].UID
		}
	}
	if len(byObject) == 0 {
		return nil, nil
	}
	// Running tasks carry the service's label, the stopped ones it keeps
	// (taskstate.Retire) another.
	var pods corev1.PodList
	if err := c.Client.List(ctx, &pods, client.InNamespace(c.Namespace),
		client.MatchingLabels{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue}); err != nil {
		return nil, err
	}
	var res []serviceTask
	for i := range pods.Items {
		p := &pods.Items[i]
		obj := taskstate.ServiceOf(p)
		if n, ok := byObject[obj]; ok && (!taskstate.Retired(p) || taskstate.RetiredFrom(p, uids[obj])) {
			res = append(res, serviceTask{pod: p, service: n})
		}
	}
	sort.Slice(res, func(i, j int) bool { return taskstate.TaskID(res[i].pod) < taskstate.TaskID(res[j].pod) })
	return res, nil
}

// serviceTaskShape is a service's task as DescribeTasks shows it.
func serviceTaskShape(c *awsapi.Caller, cluster string, t serviceTask, now time.Time) ecswire.Task {
	p := t.pod
	out := ecswire.Task{
		TaskArn: c.Account.TaskArn(cluster, taskstate.TaskID(p)), ClusterArn: c.Account.ClusterArn(cluster),
		TaskDefinitionArn: tdArn(c, p.Annotations[ecsv1alpha1.AnnotationTaskDefinitionArn]),
		StartedBy:         p.Annotations[ecsv1alpha1.AnnotationStartedBy], Group: "service:" + t.service,
		CreatedAt: awsjson.At(p.CreationTimestamp.Time), LastStatus: string(ecsv1alpha1.TaskProvisioning),
		DesiredStatus: string(ecsv1alpha1.TaskRunning), HealthStatus: ecswire.HealthStatusUnknown,
		CapacityProviderName: p.Labels[ecsv1alpha1.LabelCapacityProvider], Version: p.Generation,
	}
	if p.Status.StartTime != nil && (p.Status.Phase == corev1.PodRunning || taskstate.Retired(p)) {
		out.StartedAt = awsjson.At(p.Status.StartTime.Time)
	}
	if st, err := taskstate.Read(p, now); err == nil && st != nil {
		out.LastStatus, out.HealthStatus = string(st.LastStatus), ecswire.HealthStatus(st.Health)
		for _, ct := range st.Containers {
			out.Containers = append(out.Containers, ecswire.Container{
				TaskArn: out.TaskArn, Name: ct.Info.Name, LastStatus: string(ct.LastStatus), ExitCode: ct.ExitCode,
				Reason: ct.Reason, HealthStatus: ecswire.HealthStatus(ct.Health),
			})
		}
	}
	if taskstate.Retired(p) {
		stopped(&out, p)
		return out
	}
	if !p.DeletionTimestamp.IsZero() {
		// Being stopped by the service scheduler: STOPPING until the pod
		// is gone (then the task is no longer listed).
		out.DesiredStatus, out.LastStatus = string(ecsv1alpha1.TaskStopped), string(ecsv1alpha1.TaskStopping)
		out.StoppingAt = awsjson.At(p.DeletionTimestamp.Time)
		out.StopCode = ecswire.TaskStopCode(p.Annotations[ecsv1alpha1.AnnotationStopCode])
		out.StoppedReason = p.Annotations[ecsv1alpha1.AnnotationStoppedReason]
	}
	return out
}

// stopped describes a task the scheduler stopped and Berth keeps
// (taskstate.Retire): STOPPING while its containers stop, then STOPPED,
// with the stop's code and reason and the exit codes its containers had
// then (the kubelet's later ones are those of the stop itself).
func stopped(out *ecswire.Task, p *corev1.Pod) {
	out.DesiredStatus, out.LastStatus = string(ecsv1alpha1.TaskStopped), string(ecsv1alpha1.TaskStopping)
	out.StopCode = ecswire.TaskStopCode(p.Annotations[ecsv1alpha1.AnnotationStopCode])
	out.StoppedReason = p.Annotations[ecsv1alpha1.AnnotationStoppedReason]
	at, _ := taskstate.StoppedAt(p)
	out.StoppingAt = awsjson.At(at)
	if taskstate.Finished(p) {
		out.LastStatus = string(ecsv1alpha1.TaskStopped)
		end := at
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && t.FinishedAt.After(end) {
				end = t.FinishedAt.Time
			}
		}
		out.ExecutionStoppedAt, out.StoppedAt = awsjson.At(end), awsjson.At(end)
	}
	codes := taskstate.KeptExitCodes(p)
	for i := range out.Containers {
		ct := &out.Containers[i]
		if code, ok := codes[ct.Name]; ok {
			ct.ExitCode = &code
		}
		if out.LastStatus == string(ecsv1alpha1.TaskStopped) {
			ct.LastStatus = string(ecsv1alpha1.TaskStopped)
		}
	}
}
