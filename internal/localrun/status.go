package localrun

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/localcp"
)

// Status is what the status line of `make run` shows: the ECS services, the
// tasks and the node pools of the local control plane.
type Status struct {
	// Services counts the services that are not INACTIVE; Steady those of
	// them in ECS's steady state (condition Ready).
	Services, Steady int
	// Running and Pending count the tasks, the services' and the standalone
	// ones, as ECS does (RUNNING; PROVISIONING, PENDING or ACTIVATING).
	Running, Pending int
	// Pools are the capacity providers' node pools, by name.
	Pools []PoolStatus
}

// PoolStatus is one capacity provider's node pool.
type PoolStatus struct {
	Name  string
	Nodes int
}

// StatusOf summarises the services, standalone tasks and capacity providers.
func StatusOf(services []ecsv1alpha1.Service, tasks []ecsv1alpha1.Task, providers []ecsv1alpha1.CapacityProvider) Status {
	var s Status
	for i := range services {
		svc := &services[i]
		if svc.Status.Status == ecsv1alpha1.ServiceInactive {
			continue
		}
		s.Services++
		if meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1alpha1.ConditionReady) {
			s.Steady++
		}
		s.Running += int(ptr.Deref(svc.Status.RunningCount, 0))
		s.Pending += int(ptr.Deref(svc.Status.PendingCount, 0))
	}
	for i := range tasks {
		switch tasks[i].Status.LastStatus {
		case ecsv1alpha1.TaskRunning:
			s.Running++
		case ecsv1alpha1.TaskProvisioning, ecsv1alpha1.TaskPending, ecsv1alpha1.TaskActivating:
			s.Pending++
		}
	}
	for i := range providers {
		s.Pools = append(s.Pools, PoolStatus{Name: providers[i].Name, Nodes: int(ptr.Deref(providers[i].Status.Nodes, 0))})
	}
	sort.Slice(s.Pools, func(i, j int) bool { return s.Pools[i].Name < s.Pools[j].Name })
	return s
}

// String renders the status line, e.g. "services 2/2 steady · tasks 5
// running, 0 pending · pools: ec2 3 nodes, fargate 2 nodes, fargate-spot 1
// node".
func (s Status) String() string {
	pools := make([]string, 0, len(s.Pools))
	for _, p := range s.Pools {
		pools = append(pools, p.Name+" "+count(p.Nodes, "node"))
	}
	if len(pools) == 0 {
		pools = append(pools, "none")
	}
	return fmt.Sprintf("services %d/%d steady · tasks %d running, %d pending · pools: %s",
		s.Steady, s.Services, s.Running, s.Pending, strings.Join(pools, ", "))
}

// count renders "1 node", "3 nodes".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// watch keeps the status line current, computing it every statusInterval,
// and reports a control-plane process that exits, until ctx is done (nil)
// or the operator stops (its error, also left in errc).
func watch(ctx context.Context, c client.Client, cp *localcp.ControlPlane, con *console, errc chan error) error {
	defer con.EndStatus()
	tick := time.NewTicker(statusInterval)
	defer tick.Stop()
	exited := map[string]bool{}
	for {
		if line := statusLine(ctx, c); ctx.Err() == nil {
			con.SetStatus(line)
		}
		reportExits(cp, exited, con)
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			errc <- err // for the deferred wait in runOperator
			return fmt.Errorf("operator stopped: %w", err)
		case <-tick.C:
		}
	}
}

// statusLine lists the services, tasks and capacity providers and renders
// the status line.
func statusLine(ctx context.Context, c client.Client) string {
	var services ecsv1alpha1.ServiceList
	var tasks ecsv1alpha1.TaskList
	var providers ecsv1alpha1.CapacityProviderList
	for _, l := range []client.ObjectList{&services, &tasks, &providers} {
		if err := c.List(ctx, l); err != nil {
			return fmt.Sprintf("status unknown: %v", err)
		}
	}
	return StatusOf(services.Items, tasks.Items, providers.Items).String()
}

// reportExits reports, once, each control-plane process that has exited,
// with the end of its log.
func reportExits(cp *localcp.ControlPlane, exited map[string]bool, con *console) {
	for name, err := range cp.Exited() {
		if !exited[name] {
			exited[name] = true
			con.Problemf("%v", err)
		}
	}
}
