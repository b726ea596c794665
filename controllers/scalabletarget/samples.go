package scalabletarget

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"

	"github.com/berth-dev/berth/internal/autoscaling"
)

// samples holds the latest datapoints of each alarm in memory, as a
// CloudWatch alarm's evaluation window. After a restart alarms start
// afresh, in INSUFFICIENT_DATA until their first datapoint.
type samples struct {
	mu      sync.Mutex
	targets map[types.NamespacedName]*targetSamples
}

// targetSamples are one target's datapoints, by alarm key, the last error
// reading its metrics, and its step policies' statuses as last scaled (so
// that a status write that failed does not lose a cooldown).
type targetSamples struct {
	uid      types.UID
	points   map[string][]autoscaling.Datapoint
	err      error
	policies map[string]ecsv1alpha1.ScalingPolicyStatus
}

// of returns a target's datapoints, starting afresh when the object with
// that name is a new one. The caller holds mu.
func (s *samples) of(key types.NamespacedName, uid types.UID) *targetSamples {
	if s.targets == nil {
		s.targets = map[types.NamespacedName]*targetSamples{}
	}
	t := s.targets[key]
	if t == nil || t.uid != uid {
		t = &targetSamples{uid: uid, points: map[string][]autoscaling.Datapoint{}, policies: map[string]ecsv1alpha1.ScalingPolicyStatus{}}
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

// setErr records the outcome of the latest metrics read.
func (s *samples) setErr(key types.NamespacedName, uid types.UID, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.of(key, uid).err = err
}

// lastErr is the outcome of the latest metrics read.
func (s *samples) lastErr(key types.NamespacedName, uid types.UID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.of(key, uid).err
}

// keepPolicies remembers the step policies' statuses once their scaling
// is done.
func (s *samples) keepPolicies(key types.NamespacedName, uid types.UID, list []ecsv1alpha1.ScalingPolicyStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.of(key, uid)
	for _, p := range list {
		t.policies[p.PolicyName] = p
	}
}

// latest returns a policy's status with the newer cooldown times of the
// stored one and the remembered one.
func (s *samples) latest(key types.NamespacedName, uid types.UID, ps ecsv1alpha1.ScalingPolicyStatus) ecsv1alpha1.ScalingPolicyStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.of(key, uid).policies[ps.PolicyName]
	if !ok {
		return ps
	}
	if newer(m.LastScaleOutTime, ps.LastScaleOutTime) {
		ps.LastScaleOutTime, ps.LastScaleOutFrom = m.LastScaleOutTime, m.LastScaleOutFrom
	}
	if newer(m.LastScaleInTime, ps.LastScaleInTime) {
		ps.LastScaleInTime = m.LastScaleInTime
	}
	return ps
}

func newer(a, b *metav1.Time) bool { return a != nil && (b == nil || a.After(b.Time)) }
