package metricalarm

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/names"
)

// problem is what the user must change (Stalled).
type problem struct{ reason, message string }

// outcome is what a reconcile found, for the conditions.
type outcome struct {
	// invalid: the spec must change.
	invalid *problem
	// waiting: the metric's service or cluster does not exist yet.
	waiting string
	// hasData: the alarm's window holds a datapoint with a value.
	hasData bool
	// readErr is the latest read's error.
	readErr error
}

// transition is a state change, reported as an event.
type transition struct {
	from, to ecsv1alpha1.AlarmState
	reason   string
}

// maxMessage bounds a condition message.
const maxMessage = 1024

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}

// setIdentity sets what the status says of the alarm whatever its
// evaluation: its name and ARN, the members Berth does not honour exactly
// (fieldNotes, FullySupported), the time its configuration changed, and
// the state of a new alarm (INSUFFICIENT_DATA until evaluated, as
// CloudWatch's).
func setIdentity(a *ecsv1alpha1.MetricAlarm, acct names.Account, now time.Time) {
	st := &a.Status
	st.AlarmName = alarms.Name(a)
	st.AlarmArn = acct.AlarmArn(st.AlarmName)
	st.FieldNotes = alarms.Notes(&a.Spec)
	setFullySupported(a)
	if st.ObservedGeneration != a.Generation || st.AlarmConfigurationUpdatedTimestamp == nil {
		st.AlarmConfigurationUpdatedTimestamp = ptrTime(now)
	}
	if st.StateValue == "" {
		st.StateValue, st.StateReason = ecsv1alpha1.AlarmStateInsufficientData, alarms.InitialReason
		st.StateUpdatedTimestamp, st.StateTransitionedTimestamp = ptrTime(now), ptrTime(now)
	}
}

// setFullySupported sums up the field notes.
func setFullySupported(a *ecsv1alpha1.MetricAlarm) {
	notes := a.Status.FieldNotes
	if len(notes) == 0 {
		conditions.Set(&a.Status.Conditions, a.Generation, ecsv1alpha1.ConditionFullySupported, true, ecsv1alpha1.ReasonSucceeded,
			"Berth honours every member the spec sets")
		return
	}
	reason := ecsv1alpha1.ReasonFieldsApproximated
	paths := make([]string, 0, len(notes))
	for _, n := range notes {
		paths = append(paths, n.Path)
		if n.Level == ecsv1alpha1.FidelityUnsupported {
			reason = ecsv1alpha1.ReasonUnsupportedFields
		}
	}
	conditions.Set(&a.Status.Conditions, a.Generation, ecsv1alpha1.ConditionFullySupported, false, reason,
		truncate(fmt.Sprintf("%d members are approximated or stored without effect (status.fieldNotes): %s", len(notes), strings.Join(paths, ", ")), maxMessage))
}

// setState sets the alarm's state: stateUpdatedTimestamp moves with every
// state set (an evaluation's change, a SetAlarmState),
// stateTransitionedTimestamp when the value changes. It reports whether
// the value changed.
func setState(a *ecsv1alpha1.MetricAlarm, state ecsv1alpha1.AlarmState, reason, data string, now time.Time) bool {
	st := &a.Status
	changed := st.StateValue != state
	st.StateValue = state
	st.StateReason = truncate(reason, 1023)
	st.StateReasonData = data
	if len(data) > 4000 {
		st.StateReasonData = ""
	}
	st.StateUpdatedTimestamp = ptrTime(now)
	if changed {
		st.StateTransitionedTimestamp = ptrTime(now)
	}
	return changed
}

// setConditions sets Ready, Reconciling and Stalled from what the
// reconcile found, and observedGeneration (the status is computed from
// this generation, or it is Stalled on it).
func setConditions(a *ecsv1alpha1.MetricAlarm, o outcome) {
	state, reason, msg := summary(a, o)
	conditions.Summarize(&a.Status.Conditions, a.Generation, state, reason, truncate(msg, maxMessage))
	a.Status.ObservedGeneration = a.Generation
}

// summary is the alarm's kstatus summary. An evaluated alarm is Ready
// whatever its state: ALARM is its value, not a failure. Waiting for the
// metric's service, or for a first datapoint, is in progress; only what
// the user must change is Stalled.
func summary(a *ecsv1alpha1.MetricAlarm, o outcome) (conditions.State, string, string) {
	st := &a.Status
	state := fmt.Sprintf("%s: %s", st.StateValue, st.StateReason)
	switch {
	case o.invalid != nil:
		return conditions.Stalled, o.invalid.reason, o.invalid.message
	case o.waiting != "":
		return conditions.Progressing, ecsv1alpha1.ReasonDependencyNotReady, o.waiting
	case evaluated(a, o):
		return conditions.Ready, ecsv1alpha1.ReasonAlarmEvaluated, state
	case o.readErr != nil:
		return conditions.Progressing, ecsv1alpha1.ReasonWaitingForData, "Waiting for the alarm's first datapoint: " + o.readErr.Error()
	}
	return conditions.Progressing, ecsv1alpha1.ReasonWaitingForData, "Waiting for the alarm's first datapoint: the metric has no value yet (a service without running tasks publishes no utilization)"
}

// evaluated says whether the alarm's state is known: a datapoint with a
// value, a state an evaluation or SetAlarmState decided, or Ready already
// at this generation (the state in the status stays across a restart).
func evaluated(a *ecsv1alpha1.MetricAlarm, o outcome) bool {
	if o.hasData || a.Status.StateValue == ecsv1alpha1.AlarmStateOK || a.Status.StateValue == ecsv1alpha1.AlarmStateAlarm {
		return true
	}
	for _, c := range a.Status.Conditions {
		if c.Type == ecsv1alpha1.ConditionReady && c.Status == metav1.ConditionTrue && c.ObservedGeneration == a.Generation {
			return true
		}
	}
	return false
}

// setUnknown records an input that could not be read.
func setUnknown(a *ecsv1alpha1.MetricAlarm, err error) {
	conditions.SetUnknown(&a.Status.Conditions, a.Generation, ecsv1alpha1.ConditionReady, ecsv1alpha1.ReasonInternalError, truncate(err.Error(), maxMessage))
}

func ptrTime(t time.Time) *metav1.Time {
	m := metav1.NewTime(t)
	return &m
}
