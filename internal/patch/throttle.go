package patch

import (
	"sync"
	"time"
)

// Throttle spaces the status writes of objects whose status changes with
// every task (a pool's or a cluster's counts): at most one per Interval
// per key.
type Throttle struct {
	Interval time.Duration

	mu   sync.Mutex
	last map[string]time.Time
}

// Wait is how long until key's status may be written again (≤ 0: now).
func (t *Throttle) Wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last[key].Add(t.Interval).Sub(now)
}

// Wrote records a write of key's status at now.
func (t *Throttle) Wrote(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = map[string]time.Time{}
	}
	t.last[key] = now
}
