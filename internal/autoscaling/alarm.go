package autoscaling

import (
	"fmt"
	"strings"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Datapoint is one period's value of an alarm's statistic; Missing when the
// metric could not be read for the period.
type Datapoint struct {
	Time    time.Time
	Value   float64
	Missing bool
}

// Breaches says whether v breaches the alarm's threshold.
func Breaches(a *ecsv1alpha1.StepPolicyAlarm, v float64) bool {
	switch a.ComparisonOperator {
	case ecsv1alpha1.GreaterThanOrEqualToThreshold:
		return v >= a.Threshold
	case ecsv1alpha1.GreaterThanThreshold:
		return v > a.Threshold
	case ecsv1alpha1.LessThanThreshold:
		return v < a.Threshold
	default:
		return v <= a.Threshold
	}
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
// is left; ignore: the previous state stays). The reason names the
// datapoints, in CloudWatch's words. prev is the current state ("" when the
// alarm is new).
func Evaluate(a *ecsv1alpha1.StepPolicyAlarm, points []Datapoint, prev ecsv1alpha1.AlarmState) (ecsv1alpha1.AlarmState, string) {
	n := int(a.EvaluationPeriods)
	if len(points) > n {
		points = points[len(points)-n:]
	}
	m := n
	if a.DatapointsToAlarm != nil {
		m = int(*a.DatapointsToAlarm)
	}
	var present, breaching, fine []float64
	for _, p := range points {
		switch {
		case !p.Missing:
			present = append(present, p.Value)
			if Breaches(a, p.Value) {
				breaching = append(breaching, p.Value)
			} else {
				fine = append(fine, p.Value)
			}
		case a.TreatMissingData == ecsv1alpha1.TreatMissingDataBreaching:
			breaching = append(breaching, nan)
			present = append(present, nan)
		case a.TreatMissingData == ecsv1alpha1.TreatMissingDataNotBreaching:
			present = append(present, nan)
			fine = append(fine, nan)
		}
	}
	switch {
	case len(breaching) >= m:
		return ecsv1alpha1.AlarmStateAlarm, reason(a, breaching, true)
	case len(fine) > 0:
		return ecsv1alpha1.AlarmStateOK, reason(a, fine, false)
	case prev != "" && (len(present) > 0 || a.TreatMissingData == ecsv1alpha1.TreatMissingDataIgnore):
		// Too few datapoints to decide: the state stays.
		return prev, ""
	case len(present) > 0:
		return ecsv1alpha1.AlarmStateInsufficientData, fmt.Sprintf("Insufficient Data: %d of the %d datapoints needed to alarm.", len(present), m)
	}
	return ecsv1alpha1.AlarmStateInsufficientData, fmt.Sprintf("Insufficient Data: %d datapoints were unknown.", len(points))
}

// nan marks a datapoint that stands in for missing data.
var nan = func() float64 { var z float64; return z / z }()

func reason(a *ecsv1alpha1.StepPolicyAlarm, values []float64, breach bool) string {
	shown := make([]string, len(values))
	for i, v := range values {
		if v != v {
			shown[i] = "(missing)"
			continue
		}
		shown[i] = formatNumber(v)
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
		len(values), noun, strings.Join(shown, ", "), verb, not, operatorWords[a.ComparisonOperator], formatNumber(a.Threshold))
}

// AlarmID is how a step policy's alarm is named in scaling activities.
func AlarmID(a *ecsv1alpha1.StepPolicyAlarm) string { return a.AlarmName }
