//go:build !reliability

package reliability

import "time"

// R10 in make test: the services' desired counts (and r10-pull's 3), the
// chaos window, how often and what fraction of the running containers
// fail in it, and the final window without pod creations.
var worldDesired = []int32{3, 4}

const (
	worldChaosWindow = 10 * time.Second
	worldChaosTick   = time.Second
	worldChaosRate   = 0.05
	worldQuietWindow = 5 * time.Second
)
