package ecsmetrics

import (
	"slices"
	"sync"
	"time"
)

// Retention is how long a Store keeps samples by default: the last hour
// of 1-minute data.
const Retention = time.Hour

// DefaultInterval is how often ECS publishes its metrics, and the
// recorder samples by default.
const DefaultInterval = time.Minute

// ring is a fixed-capacity circular buffer of points, oldest overwritten.
type ring struct {
	points []Point
	next   int
	full   bool
}

func newRing(capacity int) *ring { return &ring{points: make([]Point, capacity)} }

func (r *ring) add(p Point) {
	r.points[r.next] = p
	r.next = (r.next + 1) % len(r.points)
	if r.next == 0 {
		r.full = true
	}
}

// snapshot returns the points, oldest first, in a new slice.
func (r *ring) snapshot() []Point {
	if !r.full {
		return slices.Clone(r.points[:r.next])
	}
	return append(slices.Clone(r.points[r.next:]), r.points[:r.next]...)
}

func (r *ring) newest() time.Time {
	i := r.next - 1
	if i < 0 {
		if !r.full {
			return time.Time{}
		}
		i = len(r.points) - 1
	}
	return r.points[i].Time
}

// Sample is one series' value at one sampling.
type Sample struct {
	ID
	Datum
}

// Series is a series' points, oldest first.
type Series struct {
	ID
	Points []Point
}

// Store keeps the samples of every series for a retention: one ring per
// series, sized retention/interval+1, so its memory is bounded by the number
// of series (about 70 bytes a point: 61 points a series at the defaults).
// A series that has no sample for a retention is dropped (a deleted
// service). It is safe for concurrent use.
type Store struct {
	interval, retention time.Duration
	capacity            int

	mu     sync.RWMutex
	series map[ID]*ring
}

// NewStore returns a store for samples taken every interval (0: a minute),
// kept for retention (0: an hour).
func NewStore(retention, interval time.Duration) *Store {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if retention <= 0 {
		retention = Retention
	}
	return &Store{interval: interval, retention: retention, capacity: int(retention/interval) + 1, series: map[ID]*ring{}}
}

// Interval is how often the store expects a sample.
func (s *Store) Interval() time.Duration { return s.interval }

// Capacity is how many points a series keeps.
func (s *Store) Capacity() int { return s.capacity }

// Record adds the samples taken at t, and drops the series whose newest
// sample is older than the retention.
func (s *Store) Record(t time.Time, samples []Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sm := range samples {
		r, ok := s.series[sm.ID]
		if !ok {
			r = newRing(s.capacity)
			s.series[sm.ID] = r
		}
		r.add(Point{Time: t, Datum: sm.Datum})
	}
	for id, r := range s.series {
		if t.Sub(r.newest()) > s.retention {
			delete(s.series, id)
		}
	}
}

// Series returns the series of a Kubernetes namespace, sorted by ID.
func (s *Store) Series(namespace string) []Series {
	s.mu.RLock()
	var out []Series
	for id, r := range s.series {
		if id.Namespace == namespace {
			out = append(out, Series{ID: id, Points: r.snapshot()})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Series) int { return a.Compare(b.ID) })
	return out
}

// Len is the number of series kept.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.series)
}
