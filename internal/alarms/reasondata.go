package alarms

import (
	"encoding/json"
	"time"
)

// CloudWatch's time format in stateReasonData.
const reasonDataTime = "2006-01-02T15:04:05.000-0700"

// maxReasonDatapoints bounds the datapoints stateReasonData lists (it
// holds 4,000 characters).
const maxReasonDatapoints = 30

type reasonData struct {
	Version             string           `json:"version"`
	QueryDate           string           `json:"queryDate"`
	StartDate           string           `json:"startDate,omitempty"`
	Statistic           string           `json:"statistic,omitempty"`
	Period              int64            `json:"period"`
	RecentDatapoints    []float64        `json:"recentDatapoints"`
	Threshold           float64          `json:"threshold"`
	EvaluatedDatapoints []evaluatedPoint `json:"evaluatedDatapoints"`
}

type evaluatedPoint struct {
	Timestamp string   `json:"timestamp"`
	Value     *float64 `json:"value,omitempty"`
}

// ReasonData is the stateReasonData of an evaluation, in CloudWatch's
// form: the query time, the statistic and period, the values of the
// window's datapoints (recentDatapoints, oldest first) and each evaluated
// datapoint, newest first, without a value when it was missing.
func ReasonData(r Rule, points []Datapoint, now time.Time) string {
	if n := int(r.EvaluationPeriods); len(points) > n {
		points = points[len(points)-n:]
	}
	if len(points) > maxReasonDatapoints {
		points = points[len(points)-maxReasonDatapoints:]
	}
	d := reasonData{Version: "1.0", QueryDate: now.UTC().Format(reasonDataTime), Statistic: r.Statistic,
		Period: int64(r.Period / time.Second), Threshold: r.Threshold, RecentDatapoints: []float64{}, EvaluatedDatapoints: []evaluatedPoint{}}
	if len(points) > 0 {
		d.StartDate = points[0].Time.UTC().Format(reasonDataTime)
	}
	for _, p := range points {
		if !p.Missing {
			d.RecentDatapoints = append(d.RecentDatapoints, p.Value)
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		e := evaluatedPoint{Timestamp: points[i].Time.UTC().Format(reasonDataTime)}
		if !points[i].Missing {
			v := points[i].Value
			e.Value = &v
		}
		d.EvaluatedDatapoints = append(d.EvaluatedDatapoints, e)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return ""
	}
	return string(b)
}
