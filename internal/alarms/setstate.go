package alarms

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// DefaultSetReason is the stateReason of a SetAlarmState annotation given
// without ecs.berth.dev/set-alarm-state-reason.
const DefaultSetReason = "Set by the ecs.berth.dev/set-alarm-state annotation"

// Request is a SetAlarmState asked for by a MetricAlarm's annotations
// (ecsv1alpha1.AnnotationSetAlarmState and the others).
type Request struct {
	State              ecsv1alpha1.AlarmState
	Reason, ReasonData string
	// Fingerprint identifies the request (status.setAlarmState records the
	// last one applied): the state, reason, reason data and the
	// ecs.berth.dev/set-alarm-state-at annotation.
	Fingerprint string
}

// Requested is the SetAlarmState a MetricAlarm's annotations ask for that
// Berth has not applied yet (its fingerprint differs from
// status.setAlarmState); nil when there is none. The error says why the
// request cannot be applied, in CloudWatch's words where it has them; the
// request is still returned, so that its fingerprint can be recorded and
// the error reported once.
func Requested(a *ecsv1alpha1.MetricAlarm) (*Request, error) {
	ann := a.GetAnnotations()
	state, ok := ann[ecsv1alpha1.AnnotationSetAlarmState]
	if !ok {
		return nil, nil
	}
	r := &Request{State: ecsv1alpha1.AlarmState(state), Reason: ann[ecsv1alpha1.AnnotationSetAlarmStateReason], ReasonData: ann[ecsv1alpha1.AnnotationSetAlarmStateReasonData]}
	sum := sha256.Sum256([]byte(state + "\x00" + r.Reason + "\x00" + r.ReasonData + "\x00" + ann[ecsv1alpha1.AnnotationSetAlarmStateAt]))
	r.Fingerprint = "sha256:" + hex.EncodeToString(sum[:16])
	if r.Fingerprint == a.Status.SetAlarmState {
		return nil, nil
	}
	if r.Reason == "" {
		r.Reason = DefaultSetReason
	}
	return r, r.Check()
}

// Check checks a SetAlarmState as CloudWatch does.
func (r *Request) Check() error {
	switch r.State {
	case ecsv1alpha1.AlarmStateOK, ecsv1alpha1.AlarmStateAlarm, ecsv1alpha1.AlarmStateInsufficientData:
	default:
		return fmt.Errorf("1 validation error detected: Value '%s' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]", r.State)
	}
	if len(r.Reason) > 1023 {
		return errors.New("1 validation error detected: Value at 'stateReason' failed to satisfy constraint: Member must have length less than or equal to 1023")
	}
	if len(r.ReasonData) > 4000 {
		return errors.New("1 validation error detected: Value at 'stateReasonData' failed to satisfy constraint: Member must have length less than or equal to 4000")
	}
	if r.ReasonData != "" && !json.Valid([]byte(r.ReasonData)) {
		return errors.New("Data was not syntactically valid JSON") //nolint:staticcheck // CloudWatch's InvalidFormat message, as it words it
	}
	return nil
}
