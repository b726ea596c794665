//go:build !reliability

package reliability

// crashSeed: make test's kill points are fixed.
const crashSeed = 0

// crashPoints are R2's kill points in make test: one or more in each flow.
var crashPoints = []crashPoint{
	{"create-service", 1}, {"create-service", 3}, {"rollout", 2}, {"run-task", 1}, {"delete-service", 1},
}

// R1's burst of Service creations, and the Services a rollout rolls meanwhile.
const leaderLossBurst, leaderLossRollout = 20, 5
