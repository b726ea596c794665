package capacity

// A service whose capacity provider strategy names several providers runs
// as one Kubernetes Deployment per provider ("slice"): a Deployment cannot
// put a given number of its pods on each pool. PlanSlices decides each
// slice's replicas and its share of the service's rollout bounds, so that
// the slices together keep ECS's minimumHealthyPercent and maximumPercent.

// Slice is a slice's Deployment as it is.
type Slice struct {
	// Replicas is the Deployment's spec.replicas (0 when it does not exist).
	Replicas int32
	// Pods is how many pods it has (status.replicas).
	Pods int32
	// Rolling: its pods are not all of the wanted template yet (or its
	// template is about to change).
	Rolling bool
}

// SliceInput is what PlanSlices decides from.
type SliceInput struct {
	// Desired is how many tasks the service runs (0 while a failed first
	// deployment runs none).
	Desired int32
	// Items is the strategy, one item per slice (a single slice: one item
	// of any weight).
	Items []Item
	// Slices are the current slices' Deployments, one per item.
	Slices []Slice
	// Retiring are Deployments of slices the strategy no longer names; they
	// shrink as the new tasks become available.
	Retiring []Slice
	// NewAvailable is how many tasks of the wanted template are available.
	NewAvailable int32
	// MaxPercent and MinPercent are the deployment configuration's.
	MaxPercent, MinPercent int32
}

// SlicePlan is what each slice's Deployment gets.
type SlicePlan struct {
	// Replicas, Surge and Unavailable are per slice (maxSurge and
	// maxUnavailable as absolute numbers).
	Replicas, Surge, Unavailable []int32
	// Paused slices wait for a share of the rollout bounds while other
	// slices roll.
	Paused []bool
	// Retiring is the replicas each retiring Deployment keeps.
	Retiring []int32
	// SurgeShare is each slice's share of the surge the service's
	// maximumPercent allows (Surge, before Kubernetes' rule that a rolling
	// update needs one bound above zero).
	SurgeShare []int32
}

// PlanSlices splits the service's tasks over the slices (Rebalance: a
// change of desiredCount moves as few tasks as it can) and its rollout
// bounds over the slices that roll (Split in proportion to their replicas:
// the shares sum to the service's bounds, so all slices together never run
// more than maximumPercent nor fewer healthy tasks than
// minimumHealthyPercent). A rolling slice that gets no share is paused
// until others finish. Retiring Deployments keep the tasks the new slices
// cannot yet replace, and the new slices start no more than maximumPercent
// leaves room for.
func PlanSlices(in SliceInput) SlicePlan {
	n := len(in.Items)
	plan := SlicePlan{Surge: make([]int32, n), Unavailable: make([]int32, n), Paused: make([]bool, n), Retiring: make([]int32, len(in.Retiring))}
	d := max(in.Desired, 0)
	maxTasks, minTasks := TaskBounds(d, in.MaxPercent, in.MinPercent)
	surge, unavailable := max(maxTasks-d, 0), max(d-minTasks, 0)

	// Retiring Deployments keep what the minimum healthy count still needs.
	keep := max(minTasks-in.NewAvailable, 0)
	var oldPods int32
	for i, r := range in.Retiring {
		plan.Retiring[i] = min(r.Replicas, keep)
		keep -= plan.Retiring[i]
		oldPods += max(r.Pods, r.Replicas)
	}
	total := d
	if len(in.Retiring) > 0 {
		total = min(d, max(max(maxTasks, d)-oldPods, 0))
	}
	current := make([]int32, n)
	for i := range in.Slices {
		current[i] = in.Slices[i].Replicas
	}
	plan.Replicas = Rebalance(current, total, in.Items)

	// The bounds go to the slices that roll, in proportion to their tasks.
	shares := make([]Item, n)
	rolling := false
	for i := range in.Slices {
		rolling = rolling || in.Slices[i].Rolling
	}
	for i := range shares {
		shares[i].Name = in.Items[i].Name
		if !rolling || in.Slices[i].Rolling {
			shares[i].Weight = max(plan.Replicas[i], 1)
		}
	}
	s := Split(surge, shares)
	u := Split(unavailable, shares)
	plan.SurgeShare = s
	for i := range plan.Surge {
		plan.Surge[i], plan.Unavailable[i] = s[i], u[i]
		if s[i] == 0 && u[i] == 0 {
			// Kubernetes needs one bound above zero. A slice that rolls but
			// got no share waits; when the service's own bounds allow no
			// step at all, the caller pauses the rollout as ECS stalls it.
			plan.Surge[i] = 1
			plan.Paused[i] = in.Slices[i].Rolling && (surge > 0 || unavailable > 0)
		}
	}
	return plan
}

// TaskBounds are the most tasks maximumPercent allows (rounded down) and
// the fewest healthy tasks minimumHealthyPercent asks for (rounded up), as
// ECS rounds them.
func TaskBounds(desired, maxPercent, minPercent int32) (maxTasks, minTasks int32) {
	return int32(int64(desired) * int64(maxPercent) / 100), int32((int64(desired)*int64(minPercent) + 99) / 100)
}
