package localrun

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func TestStatusString(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Status
		want string
	}{
		{"nothing yet", Status{},
			"services 0/0 steady · tasks 0 running, 0 pending · pools: none"},
		{"the samples, steady", Status{Services: 2, Steady: 2, Running: 5, Pools: []PoolStatus{{"ec2", 3}, {"fargate", 2}, {"fargate-spot", 1}}},
			"services 2/2 steady · tasks 5 running, 0 pending · pools: ec2 3 nodes, fargate 2 nodes, fargate-spot 1 node"},
		{"rolling out", Status{Services: 2, Steady: 1, Running: 3, Pending: 2, Pools: []PoolStatus{{"ec2", 0}}},
			"services 1/2 steady · tasks 3 running, 2 pending · pools: ec2 0 nodes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.String(); got != tc.want {
				t.Errorf("String()\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestStatusOf(t *testing.T) {
	ready := []metav1.Condition{{Type: ecsv1alpha1.ConditionReady, Status: metav1.ConditionTrue}}
	notReady := []metav1.Condition{{Type: ecsv1alpha1.ConditionReady, Status: metav1.ConditionFalse}}
	service := func(status ecsv1alpha1.ServiceStatusValue, conds []metav1.Condition, running, pending int32) ecsv1alpha1.Service {
		return ecsv1alpha1.Service{Status: ecsv1alpha1.ServiceStatus{Status: status, Conditions: conds, RunningCount: ptr.To(running), PendingCount: ptr.To(pending)}}
	}
	task := func(s ecsv1alpha1.TaskStatusValue) ecsv1alpha1.Task {
		return ecsv1alpha1.Task{Status: ecsv1alpha1.TaskStatus{LastStatus: s}}
	}
	pool := func(name string, nodes *int32) ecsv1alpha1.CapacityProvider {
		return ecsv1alpha1.CapacityProvider{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: ecsv1alpha1.CapacityProviderStatus{Nodes: nodes}}
	}
	for _, tc := range []struct {
		name      string
		services  []ecsv1alpha1.Service
		tasks     []ecsv1alpha1.Task
		providers []ecsv1alpha1.CapacityProvider
		want      Status
	}{
		{name: "empty", want: Status{}},
		{
			name: "steady, rolling out, new and deleted services",
			services: []ecsv1alpha1.Service{
				service(ecsv1alpha1.ServiceActive, ready, 3, 0),
				service(ecsv1alpha1.ServiceActive, notReady, 1, 2),
				{}, // just created: no status yet
				service(ecsv1alpha1.ServiceInactive, nil, 0, 0),
				service(ecsv1alpha1.ServiceDraining, notReady, 1, 0),
			},
			want: Status{Services: 4, Steady: 1, Running: 5, Pending: 2},
		},
		{
			name: "standalone tasks count by ECS state",
			tasks: []ecsv1alpha1.Task{
				task(ecsv1alpha1.TaskProvisioning), task(ecsv1alpha1.TaskPending), task(ecsv1alpha1.TaskActivating),
				task(ecsv1alpha1.TaskRunning), task(ecsv1alpha1.TaskStopping), task(ecsv1alpha1.TaskStopped), task(""),
			},
			want: Status{Running: 1, Pending: 3},
		},
		{
			name:      "pools by name",
			providers: []ecsv1alpha1.CapacityProvider{pool("fargate-spot", ptr.To[int32](1)), pool("ec2", ptr.To[int32](3)), pool("fargate", nil)},
			want:      Status{Pools: []PoolStatus{{"ec2", 3}, {"fargate", 0}, {"fargate-spot", 1}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, StatusOf(tc.services, tc.tasks, tc.providers)); diff != "" {
				t.Errorf("StatusOf (-want +got):\n%s", diff)
			}
		})
	}
}
