//go:build reliability

package reliability

import (
	"math/rand/v2"
	"os"
	"strconv"
)

// crashSeed chooses R2's random kill points (BERTH_RELIABILITY_SEED
// replays a run; the test logs it).
var crashSeed = func() uint64 {
	seed, err := strconv.ParseUint(os.Getenv("BERTH_RELIABILITY_SEED"), 10, 64)
	if err != nil {
		seed = rand.Uint64()
	}
	return seed
}()

// crashPoints are R2's kill points in make reliability: every write of
// each flow up to its fifth, then random ones, 45 in all.
var crashPoints = func() []crashPoint {
	var pts []crashPoint
	flows := []string{"create-service", "rollout", "breaker-rollback", "delete-service", "run-task", "stop-task", "fargate-task", "scale-in"}
	for _, f := range flows {
		for k := 1; k <= 5; k++ {
			pts = append(pts, crashPoint{f, k})
		}
	}
	r := rand.New(rand.NewPCG(crashSeed, crashSeed))
	for range 5 {
		pts = append(pts, crashPoint{flows[r.IntN(len(flows))], 6 + r.IntN(10)})
	}
	return pts
}()

// R1's burst of Service creations, and the Services a rollout rolls meanwhile.
const leaderLossBurst, leaderLossRollout = 200, 50
