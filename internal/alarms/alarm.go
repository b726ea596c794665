package alarms

import (
	"fmt"
	"math"
	"strings"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Datapoint is one period's value of an alarm's statistic; Missing when the
// metric had no value for the period (or could not be read).
type Datapoint struct {
	Time    time.Time
	Value   float64
	Missing bool
}

// Rule is what evaluating an alarm takes, whichever object holds it.
type Rule struct {
	// Period is the time between datapoints.
	Period time.Duration
	// EvaluationPeriods is N, the datapoints looked at; DatapointsToAlarm
	// is M, how many of them must breach (0: N).
	EvaluationPeriods, DatapointsToAlarm int32
	Threshold                            float64
	ComparisonOperator                   ecsv1alpha1.ComparisonOperator
	TreatMissingData                     ecsv1alpha1.TreatMissingData
	// Statistic names the statistic in stateReasonData.
	Statistic string
	// Source identifies what the datapoints measure (the metric, its
	// statistic, period and unit): a window of another source starts
	// afresh.
	Source string
}

// StepRule is the rule of a step scaling policy's inline alarm.
func StepRule(a *ecsv1alpha1.StepPolicyAlarm) Rule {
	r := Rule{
		Period: time.Duration(a.Period) * time.Second, EvaluationPeriods: a.EvaluationPeriods,
		Threshold: a.Threshold, ComparisonOperator: a.ComparisonOperator, TreatMissingData: a.TreatMissingData,
		Statistic: string(a.Statistic),
		Source:    fmt.Sprintf("%s|%s|%s|%d", a.Namespace, a.MetricName, a.Statistic, a.Period),
	}
	if a.DatapointsToAlarm != nil {
		r.DatapointsToAlarm = *a.DatapointsToAlarm
	}
	return r
}

// Breaches says whether v breaches the rule's threshold.
func (r Rule) Breaches(v float64) bool {
	switch r.ComparisonOperator {
	case ecsv1alpha1.GreaterThanOrEqualToThreshold:
		return v >= r.Threshold
	case ecsv1alpha1.GreaterThanThreshold:
		return v > r.Threshold
	case ecsv1alpha1.LessThanThreshold:
		return v < r.Threshold
	default:
		return v <= r.Threshold
	}
}

// Above says whether the rule alarms on values above its threshold.
func (r Rule) Above() bool {
	return r.ComparisonOperator == ecsv1alpha1.GreaterThanThreshold || r.ComparisonOperator == ecsv1alpha1.GreaterThanOrEqualToThreshold
}

var operatorWords = map[ecsv1alpha1.ComparisonOperator]string{
	ecsv1alpha1.GreaterThanOrEqualToThreshold: "greater than or equal to",
	ecsv1alpha1.GreaterThanThreshold:          "greater than",
	ecsv1alpha1.LessThanThreshold:             "less than",
	ecsv1alpha1.LessThanOrEqualToThreshold:    "less than or equal to",
}

// Evaluate computes an alarm's state from its latest datapoints (oldest
// first; only the last evaluationPeriods count), as CloudWatch does: ALARM
// when datapointsToAlarm of them breach; missing datapoints are treated as
// treatMissingData says (missing: left out, and INSUFFICIENT_DATA when none
// is left, once the window is full; ignore: the previous state stays). The reason names the
// datapoints, in CloudWatch's words; it is empty when the state stays for
// want of datapoints. prev is the current state ("" when the alarm is new).
func Evaluate(r Rule, points []Datapoint, prev ecsv1alpha1.AlarmState) (ecsv1alpha1.AlarmState, string) {
	n := int(r.EvaluationPeriods)
	if len(points) > n {
		points = points[len(points)-n:]
	}
	m := n
	if r.DatapointsToAlarm > 0 {
		m = int(r.DatapointsToAlarm)
	}
	present, breaching, fine := r.classify(points)
	switch {
	case len(breaching) >= m:
		return ecsv1alpha1.AlarmStateAlarm, reason(r, breaching, true)
	case len(fine) > 0:
		return ecsv1alpha1.AlarmStateOK, reason(r, fine, false)
	case prev != "" && (len(present) > 0 || r.TreatMissingData == ecsv1alpha1.TreatMissingDataIgnore || len(points) < n):
		// Too few datapoints to decide (or a window a restart emptied:
		// its earlier periods are unknown, not missing): the state stays.
		return prev, ""
	case len(present) > 0:
		return ecsv1alpha1.AlarmStateInsufficientData, fmt.Sprintf("Insufficient Data: %d of the %d datapoints needed to alarm.", len(present), m)
	}
	if len(points) == 1 {
		return ecsv1alpha1.AlarmStateInsufficientData, "Insufficient Data: 1 datapoint was unknown."
	}
	return ecsv1alpha1.AlarmStateInsufficientData, fmt.Sprintf("Insufficient Data: %d datapoints were unknown.", len(points))
}

// classify sorts the window's datapoints: those that count (a missing one
// counts as treatMissingData says, NaN standing for it), and of them those
// that breach and those that do not.
func (r Rule) classify(points []Datapoint) (present, breaching, fine []float64) {
	for _, p := range points {
		switch {
		case !p.Missing:
			present = append(present, p.Value)
			if r.Breaches(p.Value) {
				breaching = append(breaching, p.Value)
			} else {
				fine = append(fine, p.Value)
			}
		case r.TreatMissingData == ecsv1alpha1.TreatMissingDataBreaching:
			breaching = append(breaching, math.NaN())
			present = append(present, math.NaN())
		case r.TreatMissingData == ecsv1alpha1.TreatMissingDataNotBreaching:
			present = append(present, math.NaN())
			fine = append(fine, math.NaN())
		}
	}
	return present, breaching, fine
}

// maxShown bounds the datapoints a reason lists (CloudWatch's stateReason
// holds 1,023 characters).
const maxShown = 20

func reason(r Rule, values []float64, breach bool) string {
	shown := make([]string, 0, min(len(values), maxShown))
	for i, v := range values {
		if i == maxShown {
			shown = append(shown, fmt.Sprintf("... %d more", len(values)-maxShown))
			break
		}
		if math.IsNaN(v) {
			shown = append(shown, "(missing)")
			continue
		}
		shown = append(shown, FormatNumber(v))
	}
	noun, verb := "datapoints", "were"
	if len(values) == 1 {
		noun, verb = "datapoint", "was"
	}
	not := ""
	if !breach {
		not = "not "
	}
	return fmt.Sprintf("Threshold Crossed: %d %s [%s] %s %s%s the threshold (%s).",
		len(values), noun, strings.Join(shown, ", "), verb, not, operatorWords[r.ComparisonOperator], FormatNumber(r.Threshold))
}

// FormatNumber prints a metric value the way CloudWatch does in messages.
func FormatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
