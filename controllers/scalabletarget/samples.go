package scalabletarget

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// samples remembers, per target, its step policies' statuses as last
// scaled, so that a status write that failed does not lose a cooldown. The
// alarms' datapoints are in the evaluator's windows (alarms.Windows).
type samples struct {
	mu      sync.Mutex
	targets map[types.NamespacedName]*targetSamples
}

// targetSamples are one target's step policies' statuses as last scaled.
type targetSamples struct {
	uid      types.UID
	policies map[string]ecsv1alpha1.ScalingPolicyStatus
}

// of returns a target's memory, starting afresh when the object with that
// name is a new one. The caller holds mu.
func (s *samples) of(key types.NamespacedName, uid types.UID) *targetSamples {
	if s.targets == nil {
		s.targets = map[types.NamespacedName]*targetSamples{}
	}
	t := s.targets[key]
	if t == nil || t.uid != uid {
		t = &targetSamples{uid: uid, policies: map[string]ecsv1alpha1.ScalingPolicyStatus{}}
		s.targets[key] = t
	}
	return t
}

// forget drops a deleted target's memory.
func (s *samples) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.targets, key)
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
