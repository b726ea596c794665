package capacityprovider

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/capacity"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/provision"
	"github.com/berth-dev/berth/internal/taskstate"
)

// Defaults of a pool's node shape and size.
const (
	defaultNodeCPU    = "4"
	defaultNodeMemory = "16Gi"
	defaultNodePods   = "110"
	defaultMaxSize    = 100
	defaultScaleIn    = 900 * time.Second
	// emptyNodeGrace: a Fargate node created for a task is not removed
	// within this time although no pod runs on it yet (the scheduler binds
	// its task a moment later).
	emptyNodeGrace = 30 * time.Second
	// spotWarning is the two minutes a Spot task gets between SIGTERM and
	// SIGKILL.
	spotWarning = 120
)

// shape is what one node of an EC2-style pool offers.
func shape(cp *ecsv1alpha1.CapacityProvider) corev1.ResourceList {
	res := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(defaultNodeCPU),
		corev1.ResourceMemory: resource.MustParse(defaultNodeMemory),
		corev1.ResourcePods:   resource.MustParse(defaultNodePods),
	}
	if s := cp.Spec.NodePool.NodeShape; s != nil {
		for name, q := range map[corev1.ResourceName]*resource.Quantity{corev1.ResourceCPU: s.CPU, corev1.ResourceMemory: s.Memory, corev1.ResourcePods: s.Pods} {
			if q != nil {
				res[name] = q.DeepCopy()
			}
		}
	}
	return res
}

func asResources(l corev1.ResourceList) capacity.Resources {
	return capacity.Resources{MilliCPU: l.Cpu().MilliValue(), Memory: l.Memory().Value(), Pods: l.Pods().Value()}
}

// nodeRequest is a node of the pool: the pool's labels and taints, the
// attributes ECS placement reads (instance type, zone, OS, architecture),
// and the given allocatable resources.
func nodeRequest(cp *ecsv1alpha1.CapacityProvider, name string, resources corev1.ResourceList, zone int) provision.NodeRequest {
	labels := map[string]string{
		corev1.LabelHostname:              name,
		corev1.LabelOSStable:              "linux",
		corev1.LabelArchStable:            "amd64",
		ecsv1alpha1.LabelCapacityProvider: cp.Name,
		ecsv1alpha1.LabelManagedBy:        ecsv1alpha1.ManagedByValue,
	}
	for k, v := range cp.Spec.NodePool.NodeLabels {
		labels[k] = v
	}
	if t := cp.Spec.NodePool.InstanceType; t != "" {
		labels[corev1.LabelInstanceTypeStable] = t
	}
	if zones := cp.Spec.NodePool.Zones; len(zones) > 0 {
		labels[corev1.LabelTopologyZone] = zones[zone%len(zones)]
	}
	return provision.NodeRequest{
		Name:        name,
		Labels:      labels,
		Annotations: map[string]string{AnnotationProvisionedBy: "berth"},
		Taints:      append([]corev1.Taint(nil), cp.Spec.NodePool.Taints...),
		Resources:   resources,
		Owner:       owner(cp),
	}
}

// owner is the owner reference of the pool's nodes: the CapacityProvider.
func owner(cp *ecsv1alpha1.CapacityProvider) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "CapacityProvider", Name: cp.Name, UID: cp.UID,
		Controller: ptr.To(true)}
}

// adopt makes the pool's provisioned nodes that have no owner (made before
// nodes had one) dependents of the CapacityProvider, so that deleting it
// removes them too. A node owned by a CapacityProvider of the same name
// deleted since is left to the garbage collector.
func (r *Reconciler) adopt(ctx context.Context, p *pool) error {
	for _, n := range p.nodes {
		if n.Annotations[AnnotationProvisionedBy] == "" || len(n.OwnerReferences) > 0 || !n.DeletionTimestamp.IsZero() {
			continue
		}
		node, base := n.DeepCopy(), n.DeepCopy()
		node.OwnerReferences = []metav1.OwnerReference{owner(p.cp)}
		err := r.Client.Patch(ctx, node, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}), client.FieldOwner(FieldOwner))
		if client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("adopt node %s: %w", n.Name, err)
		}
		logf.FromContext(ctx).Info("Adopted node", "node", klog.KObj(n))
	}
	return nil
}

// fargateNodeName is the k-th node made for a task (names.FargateNode).
func fargateNodeName(cp *ecsv1alpha1.CapacityProvider, uid string, k int) string {
	return names.FargateNode(cp.Name, uid, k)
}

// provisionFargate gives each pending task of a Fargate pool a node of its
// own size (requests = limits, one pod), as Fargate starts a micro-VM per
// task, and removes a node once no pod is bound to it and its task is not
// waiting for it.
func (r *Reconciler) provisionFargate(ctx context.Context, p *pool, now time.Time) (time.Duration, error) {
	made, free, recheck, err := r.removeIdleFargateNodes(ctx, p, now)
	if err != nil {
		return 0, err
	}
	for _, pod := range p.pending {
		uid := string(pod.UID)
		if free[uid] {
			continue
		}
		// No node, or the one made for it runs another task of the same
		// size the scheduler placed there first: one more.
		if err := r.createFargateNode(ctx, p, pod, made[uid]); err != nil {
			return 0, err
		}
	}
	return recheck, nil
}

// removeIdleFargateNodes removes (removeNode) the pool's task nodes that
// no pod is bound to and whose task does not wait for them. It returns how
// many nodes were made for each task, which tasks have one free (no pod
// bound to it, not being removed), and when to look again at a young
// empty node or one being removed.
func (r *Reconciler) removeIdleFargateNodes(ctx context.Context, p *pool, now time.Time) (map[string]int, map[string]bool, time.Duration, error) {
	made, free := map[string]int{}, map[string]bool{}
	var recheck time.Duration
	for _, n := range p.nodes {
		uid := n.Annotations[AnnotationProvisionedFor]
		if uid == "" {
			continue
		}
		made[uid]++
		if !n.DeletionTimestamp.IsZero() {
			continue
		}
		if len(p.onNode[n.Name]) == 0 {
			free[uid] = true
		}
		pod := p.byUID[uid]
		busy := len(p.onNode[n.Name]) > 0 ||
			(pod != nil && pod.Spec.NodeName == "" && pod.DeletionTimestamp.IsZero() && !taskstate.Finished(pod)) // its task waits for it
		if busy {
			if fenced(n) {
				if err := r.unfence(ctx, n); err != nil {
					return nil, nil, 0, err
				}
			}
			continue
		}
		if wait := emptyNodeGrace - age(n.CreationTimestamp.Time, now); wait > 0 && !fenced(n) {
			recheck = shortestPositive(recheck, wait)
			continue
		}
		wait, err := r.removeNode(ctx, p.cp, n, now)
		if err != nil {
			return nil, nil, 0, err
		}
		recheck = shortestPositive(recheck, wait)
	}
	return made, free, recheck, nil
}

// createFargateNode makes the k-th node of one task: its Fargate size, one
// pod.
func (r *Reconciler) createFargateNode(ctx context.Context, p *pool, pod *corev1.Pod, k int) error {
	req := requests(pod)
	if req.MilliCPU == 0 {
		req.MilliCPU = 250
	}
	if req.Memory == 0 {
		req.Memory = 512 << 20
	}
	list := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(req.MilliCPU, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(req.Memory, resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(1, resource.DecimalSI),
	}
	n := nodeRequest(p.cp, fargateNodeName(p.cp, string(pod.UID), k), list, len(p.nodes))
	n.Annotations[AnnotationProvisionedFor] = string(pod.UID)
	n.Annotations[ecsv1alpha1.AnnotationFargateSize] = fargateSize(req)
	if err := r.provisioner(p.cp).Create(ctx, n); err != nil {
		return err
	}
	r.Recorder.Eventf(p.cp, pod, corev1.EventTypeNormal, "NodeProvisioned", "Provision",
		"Provisioned node %s (%s) for task of pod %s/%s", n.Name, fargateSize(req), pod.Namespace, pod.Name)
	return nil
}

// scaleEC2 runs managed scaling on an EC2-style pool: CapacityProviderReservation,
// then nodes added or removed through the provisioner (kwok) or, with
// provisioner none, only reported.
func (r *Reconciler) scaleEC2(ctx context.Context, p *pool, now time.Time) (*ecsv1alpha1.ManagedScalingState, time.Duration, error) {
	ms := p.cp.Spec.AutoScalingGroupProvider.ManagedScaling
	np := p.cp.Spec.NodePool
	prev := p.cp.Status.ManagedScaling
	in := capacity.ScalingInput{
		Instances: p.instances(), Provisioning: p.provisioning(), Shape: asResources(shape(p.cp)),
		TargetCapacity: ptr.Deref(ms.TargetCapacity, 100),
		MinStep:        ptr.Deref(ms.MinimumScalingStepSize, 1), MaxStep: ptr.Deref(ms.MaximumScalingStepSize, 10000),
		MinSize: ptr.Deref(np.MinSize, 0), MaxSize: ptr.Deref(np.MaxSize, defaultMaxSize),
		Warmup:       time.Duration(ptr.Deref(ms.InstanceWarmupPeriod, 300)) * time.Second,
		ScaleInAfter: defaultScaleIn, Now: now,
	}
	if np.ScaleInAfterSeconds != nil {
		in.ScaleInAfter = time.Duration(*np.ScaleInAfterSeconds) * time.Second
	}
	if prev != nil && prev.BelowTargetSince != nil {
		in.BelowSince = prev.BelowTargetSince.Time
	}
	d := capacity.Scale(in)
	st := &ecsv1alpha1.ManagedScalingState{CapacityProviderReservation: d.Reservation, InstancesNeeded: d.M, Instances: d.N, DesiredInstances: d.Desired}
	if !d.BelowSince.IsZero() {
		st.BelowTargetSince = &metav1.Time{Time: d.BelowSince.Truncate(time.Second)}
	}
	if prev != nil {
		st.LastScaledAt = prev.LastScaledAt
	}
	if r.provisioner(p.cp) == nil {
		return st, d.Recheck, nil
	}
	// Nodes fenced by an earlier scale-in are on their way out (they are
	// not instances to the decision): finish removing them.
	recheck := d.Recheck
	for _, n := range p.nodes {
		if fenced(n) {
			wait, err := r.removeNode(ctx, p.cp, n, now)
			if err != nil {
				return st, 0, err
			}
			recheck = shortestPositive(recheck, wait)
		}
	}
	if d.Add == 0 && len(d.Remove) == 0 {
		return st, recheck, nil
	}
	wait, err := r.applyScaling(ctx, p, d, now)
	if err != nil {
		return st, 0, err
	}
	st.LastScaledAt = &metav1.Time{Time: now.Truncate(time.Second)}
	r.Recorder.Eventf(p.cp, nil, corev1.EventTypeNormal, "ManagedScaling", "Scale", "%s", d.Message)
	return st, shortestPositive(recheck, wait), nil
}

// applyScaling creates d.Add nodes named <pool>-<n> (the lowest free
// numbers, read live, so that a cache that lags creates nothing twice)
// and removes d.Remove (removeNode: fenced first). It returns when to
// look again.
func (r *Reconciler) applyScaling(ctx context.Context, p *pool, d capacity.ScalingDecision, now time.Time) (time.Duration, error) {
	taken := map[string]bool{}
	if d.Add > 0 {
		var live corev1.NodeList
		if err := r.apiReader().List(ctx, &live, client.MatchingLabels{ecsv1alpha1.LabelCapacityProvider: p.cp.Name}); err != nil {
			return 0, fmt.Errorf("list nodes of %s: %w", p.cp.Name, err)
		}
		if len(live.Items) != len(p.nodes) {
			// The cache is behind a node created or deleted a moment ago:
			// decide again once it shows it.
			return time.Second, nil
		}
		for _, n := range live.Items {
			taken[n.Name] = true
		}
	}
	list := shape(p.cp)
	for i, added := 0, int32(0); added < d.Add; i++ {
		name := names.PoolNode(p.cp.Name, i)
		if taken[name] {
			continue
		}
		if err := r.provisioner(p.cp).Create(ctx, nodeRequest(p.cp, name, list, i)); err != nil {
			return 0, err
		}
		added++
	}
	byName := map[string]*corev1.Node{}
	for _, n := range p.nodes {
		byName[n.Name] = n
	}
	var recheck time.Duration
	for _, name := range d.Remove {
		wait, err := r.removeNode(ctx, p.cp, byName[name], now)
		if err != nil {
			return 0, err
		}
		recheck = shortestPositive(recheck, wait)
	}
	return recheck, nil
}

// interrupted: a Spot interruption was announced for the node.
func interrupted(n *corev1.Node) bool {
	_, ok := n.Annotations[AnnotationSpotInterruption]
	return ok
}

// anyInterrupted: a Spot interruption was announced for one of nodes.
func anyInterrupted(nodes []corev1.Node) bool {
	for i := range nodes {
		if interrupted(&nodes[i]) {
			return true
		}
	}
	return false
}

// interrupt reclaims the pool's nodes annotated for a Spot interruption:
// each task on one gets the two-minute warning (an event, SIGTERM) and is
// stopped with stopCode SpotInterruption (its pod is deleted with two
// minutes' grace; a service starts a replacement), and the node goes once
// empty (if Berth created it).
func (r *Reconciler) interrupt(ctx context.Context, p *pool, now time.Time) (time.Duration, error) {
	var recheck time.Duration
	for _, n := range p.nodes {
		if !interrupted(n) {
			continue
		}
		for _, pod := range p.onNode[n.Name] {
			if !pod.DeletionTimestamp.IsZero() || taskstate.Finished(pod) {
				continue
			}
			if err := r.stopForSpot(ctx, p.cp, pod); err != nil {
				return 0, err
			}
		}
		// A finished pod (a stopped task kept for its logs) does not keep
		// a reclaimed node: its logs go with it, as a Spot task's do.
		if !slices.ContainsFunc(p.onNode[n.Name], func(pod *corev1.Pod) bool { return !taskstate.Finished(pod) }) &&
			n.Annotations[AnnotationProvisionedBy] != "" && n.DeletionTimestamp.IsZero() {
			wait, err := r.removeNode(ctx, p.cp, n, now)
			if err != nil {
				return 0, err
			}
			recheck = shortestPositive(recheck, wait)
		}
	}
	return recheck, nil
}

func (r *Reconciler) stopForSpot(ctx context.Context, cp *ecsv1alpha1.CapacityProvider, cached *corev1.Pod) error {
	const reason = "Your Spot Task was interrupted."
	pod := cached.DeepCopy()
	if pod.Annotations[ecsv1alpha1.AnnotationStopCode] == "" {
		base := pod.DeepCopy()
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[ecsv1alpha1.AnnotationStopCode] = string(ecsv1alpha1.StopCodeSpotInterruption)
		pod.Annotations[ecsv1alpha1.AnnotationStoppedReason] = reason
		if err := r.Client.Patch(ctx, pod, client.MergeFrom(base), client.FieldOwner(FieldOwner)); err != nil {
			return client.IgnoreNotFound(err)
		}
	}
	if err := r.Client.Delete(ctx, pod, client.GracePeriodSeconds(spotWarning), client.Preconditions{UID: &pod.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("stop pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	r.Recorder.Eventf(pod, cp, corev1.EventTypeWarning, string(ecsv1alpha1.StopCodeSpotInterruption), "Stop",
		"Spot capacity reclaimed on node %s: the task gets a two-minute warning (SIGTERM) and stops with stopCode SpotInterruption", pod.Spec.NodeName)
	if svc := pod.Labels[ecsv1alpha1.LabelService]; svc != "" {
		ref := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: svc}}
		r.Recorder.Eventf(ref, pod, corev1.EventTypeWarning, string(ecsv1alpha1.StopCodeSpotInterruption), "Stop",
			"service %s: task of pod %s was interrupted (SpotInterruption: %s); a replacement starts", svc, pod.Name, reason)
	}
	logf.FromContext(ctx).Info("Stopped task for a Spot interruption", "pod", klog.KObj(pod), "node", pod.Spec.NodeName)
	return nil
}
