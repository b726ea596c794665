//go:build reliability

package reliability

import "time"

// R10 in make reliability: the services' desired counts (and r10-pull's
// 3), the chaos window, how often and what fraction of the running
// containers fail in it, and the final window without pod creations.
var worldDesired = []int32{3, 4, 5}

const (
	worldChaosWindow = 2 * time.Minute
	worldChaosTick   = time.Second
	worldChaosRate   = 0.01
	worldQuietWindow = 2 * time.Minute
)
