package scalabletarget

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/berth-dev/berth/internal/autoscaling"
)

// samples holds the latest datapoints of each alarm in memory, as a
// CloudWatch alarm's evaluation window. After a restart alarms start
// afresh, in INSUFFICIENT_DATA until their first datapoint.
type samples struct {
	mu      sync.Mutex
	targets map[types.NamespacedName]*targetSamples
}

// targetSamples are one target's datapoints, by alarm key.
type targetSamples struct {
	uid    types.UID
	points map[string][]autoscaling.Datapoint
}

// of returns a target's datapoints, starting afresh when the object with
// that name is a new one. The caller holds mu.
func (s *samples) of(key types.NamespacedName, uid types.UID) *targetSamples {
	if s.targets == nil {
		s.targets = map[types.NamespacedName]*targetSamples{}
	}
	t := s.targets[key]
	if t == nil || t.uid != uid {
		t = &targetSamples{uid: uid, points: map[string][]autoscaling.Datapoint{}}
		s.targets[key] = t
	}
	return t
}

// due reports whether an alarm takes a datapoint now (one per period), and
// otherwise how long until it does.
func (s *samples) due(key types.NamespacedName, uid types.UID, alarm string, period time.Duration, now time.Time) (bool, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pts := s.of(key, uid).points[alarm]
	if len(pts) == 0 {
		return true, 0
	}
	next := pts[len(pts)-1].Time.Add(period)
	if !now.Before(next) {
		return true, 0
	}
	return false, next.Sub(now)
}

// add appends a datapoint, keeping the latest keep, and returns them.
func (s *samples) add(key types.NamespacedName, uid types.UID, alarm string, p autoscaling.Datapoint, keep int) []autoscaling.Datapoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.of(key, uid)
	pts := append(t.points[alarm], p)
	if len(pts) > keep {
		pts = append([]autoscaling.Datapoint(nil), pts[len(pts)-keep:]...)
	}
	t.points[alarm] = pts
	return append([]autoscaling.Datapoint(nil), pts...)
}

// retain drops the alarms of a target that are not in alarms.
func (s *samples) retain(key types.NamespacedName, uid types.UID, alarms map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.of(key, uid)
	for k := range t.points {
		if !alarms[k] {
			delete(t.points, k)
		}
	}
}

// forget drops a deleted target's datapoints.
func (s *samples) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.targets, key)
}

// pendingScales are desired counts to set again after a failed write.
type pendingScales struct {
	mu sync.Mutex
	m  map[types.NamespacedName]pendingScale
}

type pendingScale struct {
	uid     types.UID
	desired int32
}

func (p *pendingScales) get(key types.NamespacedName, uid types.UID) (int32, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[key]
	return v.desired, ok && v.uid == uid
}

func (p *pendingScales) set(key types.NamespacedName, uid types.UID, n int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[types.NamespacedName]pendingScale{}
	}
	p.m[key] = pendingScale{uid: uid, desired: n}
}

func (p *pendingScales) clear(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, key)
}
