// Package capacity holds ECS's capacity arithmetic as pure functions: the
// split of a service's tasks over a capacity provider strategy (base, then
// weight), and the CapacityProviderReservation that drives managed scaling
// of an EC2-style pool. Nothing here reads a clock or a client.
package capacity

import "fmt"

// Item is one capacity provider strategy item.
type Item struct {
	// Name is the capacity provider's ECS name.
	Name string
	// Base is how many tasks, at least, run on this provider (0 to 100,000;
	// at most one item of a strategy has one).
	Base int32
	// Weight is the provider's relative share of the tasks beyond the base
	// (0 to 1,000).
	Weight int32
}

// StrategyError is ECS's error for a strategy it refuses, in ECS's words.
type StrategyError string

func (e StrategyError) Error() string { return string(e) }

// ValidateStrategy returns ECS's error for a strategy it refuses: more than
// one item with a base, several items that all weigh 0, or a provider named
// twice. An empty strategy is valid (the launch type or the cluster's
// default applies).
func ValidateStrategy(items []Item) error {
	bases, weighted := 0, 0
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.Name] {
			return StrategyError(fmt.Sprintf("The capacity provider strategy names %s more than once", it.Name))
		}
		seen[it.Name] = true
		if it.Base > 0 {
			bases++
		}
		if it.Weight > 0 {
			weighted++
		}
	}
	if bases > 1 {
		return StrategyError("A capacity provider strategy can have only one capacity provider with a base value greater than zero")
	}
	if len(items) > 1 && weighted == 0 {
		return StrategyError("A capacity provider strategy with more than one capacity provider must have at least one capacity provider with a weight greater than zero")
	}
	return nil
}

// Split is the published rule by which Berth places n tasks over a
// strategy (ECS does not document how it rounds):
//
//  1. the item with a base gets min(base, n) tasks;
//  2. the rest, R, is shared in proportion to the weights: item i gets
//     floor(R × wᵢ / W), W the sum of the weights;
//  3. the tasks left over by rounding go one each to the items with the
//     largest fractional parts (R × wᵢ mod W); ties go to the larger
//     weight, then to the item listed first.
//
// A lone item of weight 0 takes every task. The result has one count per
// item, in the strategy's order, and sums to n. The strategy must be valid
// (ValidateStrategy).
func Split(n int32, items []Item) []int32 {
	res := make([]int32, len(items))
	if len(items) == 0 || n <= 0 {
		return res
	}
	rest := int64(n)
	for i, it := range items {
		if it.Base > 0 {
			b := min(int64(it.Base), rest)
			res[i] = int32(b)
			rest -= b
			break
		}
	}
	var w int64
	for _, it := range items {
		w += int64(max(it.Weight, 0))
	}
	if w == 0 {
		// A lone weight-0 provider takes the tasks beyond its base.
		res[0] += int32(rest)
		return res
	}
	frac := make([]int64, len(items))
	var given int64
	for i, it := range items {
		share := rest * int64(max(it.Weight, 0))
		res[i] += int32(share / w)
		frac[i] = share % w
		given += share / w
	}
	giveRemainder(res, frac, items, rest-given)
	return res
}

// giveRemainder gives the tasks left over by rounding, one each, to the
// items with the largest fractional parts (ties: the larger weight, then
// the item listed first).
func giveRemainder(res []int32, frac []int64, items []Item, left int64) {
	for ; left > 0; left-- {
		best := -1
		for i, it := range items {
			if it.Weight <= 0 || frac[i] < 0 {
				continue
			}
			if best < 0 || frac[i] > frac[best] || (frac[i] == frac[best] && it.Weight > items[best].Weight) {
				best = i
			}
		}
		res[best]++
		frac[best] = -1 // one extra task per item at most
	}
}

// Rebalance moves from the current counts to n tasks while moving as few
// tasks as it can: scaling out adds each new task to the item furthest below
// its Split(n) target, scaling in removes each task from the item furthest
// above it (never below the target, so never below the base), and counts
// that already sum to n are left as they are. Ties go to the item listed
// first. current has one count per item.
func Rebalance(current []int32, n int32, items []Item) []int32 {
	res := make([]int32, len(items))
	copy(res, current)
	target := Split(n, items)
	var sum int64
	for _, c := range res {
		sum += int64(c)
	}
	for ; sum < int64(n); sum++ {
		res[argmax(res, target, false)]++
	}
	for ; sum > int64(max(n, 0)); sum-- {
		res[argmax(res, target, true)]--
	}
	return res
}

// argmax is the first item with the largest target − current (or, when
// removing, current − target, among items that have a task).
func argmax(cur, target []int32, removing bool) int {
	best, bestGap := -1, int64(0)
	for i := range cur {
		gap := int64(target[i]) - int64(cur[i])
		if removing {
			if cur[i] <= 0 {
				continue
			}
			gap = -gap
		}
		if best < 0 || gap > bestGap {
			best, bestGap = i, gap
		}
	}
	return best
}
