//go:build reliability

package reliability

import (
	"math/rand/v2"
	"os"
	"strconv"
)

// crashPoints are R2's kill points in make reliability: every write of
// each flow up to its sixth, then random ones (BERTH_RELIABILITY_SEED
// replays a run; the seed is logged), 30 in all at least.
var crashPoints = func() []crashPoint {
	var pts []crashPoint
	flows := []string{"create-service", "rollout", "breaker-rollback", "delete-service", "run-task", "stop-task"}
	for _, f := range flows {
		for k := 1; k <= 5; k++ {
			pts = append(pts, crashPoint{f, k})
		}
	}
	seed, err := strconv.ParseUint(os.Getenv("BERTH_RELIABILITY_SEED"), 10, 64)
	if err != nil {
		seed = rand.Uint64()
	}
	println("R2 seed", seed)
	r := rand.New(rand.NewPCG(seed, seed))
	for range 5 {
		pts = append(pts, crashPoint{flows[r.IntN(len(flows))], 6 + r.IntN(10)})
	}
	return pts
}()

// R1's burst of Service creations, and the Services a rollout rolls meanwhile.
const leaderLossBurst, leaderLossRollout = 200, 50
