package metricalarm

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
)

// TestSummary: an evaluated alarm is Ready whatever its state; waiting for
// a datapoint or a service is in progress; only what the user must change
// is Stalled.
func TestSummary(t *testing.T) {
	alarm := func(state ecsv1alpha1.AlarmState, readyAt int64) *ecsv1alpha1.MetricAlarm {
		a := &ecsv1alpha1.MetricAlarm{}
		a.Generation = 2
		a.Status.StateValue, a.Status.StateReason = state, "why"
		if readyAt > 0 {
			conditions.Summarize(&a.Status.Conditions, readyAt, conditions.Ready, ecsv1alpha1.ReasonAlarmEvaluated, "")
		}
		return a
	}
	for _, c := range []struct {
		name   string
		a      *ecsv1alpha1.MetricAlarm
		o      outcome
		state  conditions.State
		reason string
	}{
		{"ALARM is Ready", alarm(ecsv1alpha1.AlarmStateAlarm, 0), outcome{}, conditions.Ready, ecsv1alpha1.ReasonAlarmEvaluated},
		{"OK is Ready", alarm(ecsv1alpha1.AlarmStateOK, 0), outcome{}, conditions.Ready, ecsv1alpha1.ReasonAlarmEvaluated},
		{"a datapoint with a value", alarm(ecsv1alpha1.AlarmStateInsufficientData, 0), outcome{hasData: true}, conditions.Ready, ecsv1alpha1.ReasonAlarmEvaluated},
		{"no datapoint yet", alarm(ecsv1alpha1.AlarmStateInsufficientData, 0), outcome{}, conditions.Progressing, ecsv1alpha1.ReasonWaitingForData},
		{"a read error before any data", alarm(ecsv1alpha1.AlarmStateInsufficientData, 0), outcome{readErr: errors.New("no metrics API")}, conditions.Progressing, ecsv1alpha1.ReasonWaitingForData},
		{"Ready at this generation stays", alarm(ecsv1alpha1.AlarmStateInsufficientData, 2), outcome{}, conditions.Ready, ecsv1alpha1.ReasonAlarmEvaluated},
		{"Ready at an older generation does not", alarm(ecsv1alpha1.AlarmStateInsufficientData, 1), outcome{}, conditions.Progressing, ecsv1alpha1.ReasonWaitingForData},
		{"the service does not exist yet", alarm(ecsv1alpha1.AlarmStateAlarm, 2), outcome{waiting: "no service"}, conditions.Progressing, ecsv1alpha1.ReasonDependencyNotReady},
		{"invalid", alarm(ecsv1alpha1.AlarmStateOK, 2), outcome{invalid: &problem{ecsv1alpha1.ReasonInvalidParameter, "spec.namespace: ..."}}, conditions.Stalled, ecsv1alpha1.ReasonInvalidParameter},
	} {
		state, reason, _ := summary(c.a, c.o)
		if state != c.state || reason != c.reason {
			t.Errorf("%s: %v %s; want %v %s", c.name, state, reason, c.state, c.reason)
		}
	}
}

// TestSetState: stateUpdatedTimestamp moves with every state set,
// stateTransitionedTimestamp only when the value changes; the reason is
// bounded.
func TestSetState(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := &ecsv1alpha1.MetricAlarm{}
	if !setState(a, ecsv1alpha1.AlarmStateOK, "fine", "{}", t0) {
		t.Fatal("a new value is a change")
	}
	long := string(make([]byte, 2000))
	if setState(a, ecsv1alpha1.AlarmStateOK, long, "", t0.Add(time.Minute)) {
		t.Fatal("the same value is no change")
	}
	want := ecsv1alpha1.MetricAlarmStatus{StateValue: ecsv1alpha1.AlarmStateOK, StateReason: long[:1020] + "...",
		StateUpdatedTimestamp: &metav1.Time{Time: t0.Add(time.Minute)}, StateTransitionedTimestamp: &metav1.Time{Time: t0}}
	if diff := cmp.Diff(want, a.Status, cmpopts.EquateEmpty()); diff != "" {
		t.Error(diff)
	}
}
