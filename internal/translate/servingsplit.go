package translate

import (
	deploystrategy "github.com/berth-dev/berth/internal/strategy"
)

// ServingTasks is how many ready tasks of each revision should be
// endpoints of a target group's Kubernetes Service.
type ServingTasks struct {
	Blue, Green int32
}

// ServingSplit is the approximation of a weighted traffic split where there
// is no Gateway API (or no AnnotationGateway): the target group's
// Kubernetes Service selects both revisions' tasks, and kube-proxy spreads
// its connections evenly over the ready endpoints, so a revision's share is
// its share of the endpoints. It returns how many of each revision's tasks
// should be endpoints for production weights w, when each revision runs
// desired tasks (green is at full size before traffic moves, and blue stays
// until the bake ends).
//
// The approximation, documented in docs/services.md:
//   - A weight of 0 gives no endpoint (a revision with no traffic has
//     none); any other weight at least one, so a 10 % canary on 4 tasks
//     gets some traffic rather than none.
//   - Otherwise Green and Blue (each 1 to desired) are chosen so that
//     Green/(Green+Blue) is as close as can be to w.Green/(w.Blue+w.Green),
//     with at least desired endpoints in all (the service never has fewer
//     serving tasks than its desired count); among equally close splits,
//     the one with the most endpoints, then the one with fewer green.
//   - So the share is exact when it is a fraction with a denominator the
//     endpoints allow (25 % of 4: 1 and 3; 50 %: 4 and 4), and otherwise
//     off by at most half a task's share when 1/desired <= share <= 1 -
//     1/desired. One task each is 50/50: a 10 % canary of a one-task
//     service sends half its connections to green.
//   - It is per connection, not per request: kube-proxy balances
//     connections, and a keep-alive client stays on one task.
//
// Negative weights count as 0; desired <= 0, or both weights 0, give no
// endpoint.
func ServingSplit(desired int32, w deploystrategy.Weights) ServingTasks {
	g, b := max(w.Green, 0), max(w.Blue, 0)
	switch {
	case desired <= 0 || g+b == 0:
		return ServingTasks{}
	case g == 0:
		return ServingTasks{Blue: desired}
	case b == 0:
		return ServingTasks{Green: desired}
	}
	best := ServingTasks{Green: 1, Blue: desired}
	for green := int32(1); green <= desired; green++ {
		// The blue count closest to the share for this many green: the
		// floor and the ceiling of green*b/g, within [1, desired] and with
		// at least desired endpoints in all.
		lo := max(1, desired-green)
		ideal := int64(green) * int64(b) / int64(g)
		for _, blue := range []int64{ideal, ideal + 1} {
			c := ServingTasks{Green: green, Blue: int32(min(max(blue, int64(lo)), int64(desired)))}
			if closer(c, best, int64(g), int64(g)+int64(b)) {
				best = c
			}
		}
	}
	return best
}

// closer: split a is closer than split b to the green share g/sum, or as
// close with more endpoints, or as close with as many and fewer green.
// Shares are compared exactly: |green/total - g/sum| scaled by sum.
func closer(a, b ServingTasks, g, sum int64) bool {
	ta, tb := int64(a.Green)+int64(a.Blue), int64(b.Green)+int64(b.Blue)
	ea, eb := abs64(int64(a.Green)*sum-g*ta)*tb, abs64(int64(b.Green)*sum-g*tb)*ta
	switch {
	case ea != eb:
		return ea < eb
	case ta != tb:
		return ta > tb
	default:
		return a.Green < b.Green
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
