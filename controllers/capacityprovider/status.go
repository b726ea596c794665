package capacityprovider

import (
	"context"
	"fmt"
	"time"

	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/compat"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/patch"
)

// statusInterval is the least time between two status writes of a pool.
const statusInterval = 2 * time.Second

func newThrottle() *patch.Throttle { return &patch.Throttle{Interval: statusInterval} }

// statusReconciler reports the pool as ECS shows a capacity provider: the
// only writer of its status but managedScaling and cost.
type statusReconciler struct {
	*Reconciler
	throttle *patch.Throttle
}

// Reconcile observes the pool and writes its status, at most every
// statusInterval: its task counts change with every task.
func (r *statusReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cp, err := r.get(ctx, req)
	if cp == nil || err != nil {
		return ctrl.Result{}, err
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("capacityProvider", klog.KObj(cp)))
	now := r.Clock.Now()
	if wait := r.throttle.Wait(cp.Name, now); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	stored := cp.DeepCopy()
	p, err := r.observe(ctx, cp)
	if err != nil {
		conditions.SetUnknown(&cp.Status.Conditions, cp.Generation, ecsv1alpha1.ConditionReady, ecsv1alpha1.ReasonInternalError, err.Error())
		_, _ = patch.OwnedStatus(ctx, r.Client, stored, cp)
		return ctrl.Result{}, err
	}
	SetStatus(cp, p, r.Account)
	wrote, err := patch.OwnedStatus(ctx, r.Client, stored, cp)
	if wrote {
		r.throttle.Wrote(cp.Name, now)
	}
	return ctrl.Result{}, err
}

// SetStatus derives a capacity provider's status from its pool (all but
// managedScaling and cost, which it only reads).
func SetStatus(cp *ecsv1alpha1.CapacityProvider, p *pool, acct names.Account) {
	name := cp.Spec.Name
	if name == "" {
		name = cp.Name
	}
	st := &cp.Status
	st.Name = name
	st.CapacityProviderArn = acct.CapacityProviderArn(name)
	st.Status = "ACTIVE"
	ready := int32(0)
	for _, n := range p.nodes {
		if nodeReady(n) {
			ready++
		}
	}
	st.Nodes = ptr.To(int32(len(p.nodes)))
	st.ReadyNodes = ptr.To(ready)
	st.RegisteredContainerInstancesCount = ptr.To(int32(len(p.nodes)))
	var runningTasks, pendingTasks int32
	st.ContainerInstances, runningTasks, pendingTasks = p.containerInstances()
	st.RunningTasksCount, st.PendingTasksCount = ptr.To(runningTasks), ptr.To(pendingTasks)
	msg := fmt.Sprintf("ACTIVE with %d of %d nodes Ready", ready, len(p.nodes))
	if ms := st.ManagedScaling; ms != nil {
		msg += fmt.Sprintf("; CapacityProviderReservation %d%% (%d instances needed, %d desired)", ms.CapacityProviderReservation, ms.InstancesNeeded, ms.DesiredInstances)
	}
	conditions.Summarize(&st.Conditions, cp.Generation, conditions.Ready, ecsv1alpha1.ReasonSucceeded, msg)
	setSupported(cp)
	st.ObservedGeneration = cp.Generation
}

// setSupported reports the members of the spec Berth approximates or does
// not support (status.fieldNotes and the FullySupported condition), so that
// none is dropped silently: a function of the spec alone. It does not
// affect Ready.
func setSupported(cp *ecsv1alpha1.CapacityProvider) {
	notes := compat.Bound(compat.CapacityProviderNotes(&cp.Spec))
	cp.Status.FieldNotes = notes
	compat.SetCondition(&cp.Status.Conditions, cp.Generation, notes, "capacity provider", "docs/compatibility/create-capacity-provider.md")
}
