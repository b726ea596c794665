package ecsmetrics

import (
	"math"
	"time"
)

// The statistics CloudWatch computes over a period.
const (
	Average     = "Average"
	Sum         = "Sum"
	Minimum     = "Minimum"
	Maximum     = "Maximum"
	SampleCount = "SampleCount"
)

// Statistics are the statistics, in the order CloudWatch's model lists them.
var Statistics = []string{SampleCount, Average, Sum, Minimum, Maximum}

// Datum is one sample of a series, or several merged: a statistic set
// (SampleCount values, their Sum, Min and Max) and, for a utilization, the
// used and reserved totals its Average is (Used/Reserved, as ECS computes
// it), which may differ from Sum/SampleCount when tasks reserve different
// amounts.
type Datum struct {
	SampleCount, Sum, Min, Max float64
	// Used and Reserved are set for a utilization (Reserved > 0).
	Used, Reserved float64
}

// Value is a datum of one value (a count).
func Value(v float64) Datum { return Datum{SampleCount: 1, Sum: v, Min: v, Max: v} }

// Merge returns d and o aggregated.
func (d Datum) Merge(o Datum) Datum {
	if d.SampleCount == 0 {
		return o
	}
	if o.SampleCount == 0 {
		return d
	}
	return Datum{
		SampleCount: d.SampleCount + o.SampleCount, Sum: d.Sum + o.Sum,
		Min: math.Min(d.Min, o.Min), Max: math.Max(d.Max, o.Max),
		Used: d.Used + o.Used, Reserved: d.Reserved + o.Reserved,
	}
}

// Stat is the named statistic of d; ok is false for a name that is not one
// of Statistics, or an empty datum.
func (d Datum) Stat(name string) (float64, bool) {
	if d.SampleCount == 0 {
		return 0, false
	}
	switch name {
	case SampleCount:
		return d.SampleCount, true
	case Sum:
		return d.Sum, true
	case Minimum:
		return d.Min, true
	case Maximum:
		return d.Max, true
	case Average:
		if d.Reserved > 0 {
			return 100 * d.Used / d.Reserved, true
		}
		return d.Sum / d.SampleCount, true
	}
	return 0, false
}

// Point is a datum at a time.
type Point struct {
	Time time.Time
	Datum
}

// Bucket is the merged points of one period, named by its start.
type Bucket struct {
	Start time.Time
	Datum
}

// AlignStart rounds a request's start time as CloudWatch does for recent
// data: down to the whole minute, or for a period under a minute (1, 5, 10,
// 20 or 30 seconds) down to a multiple of the period.
func AlignStart(t time.Time, period time.Duration) time.Time {
	if period < time.Minute && period > 0 {
		return t.Truncate(period)
	}
	return t.Truncate(time.Minute)
}

// Buckets merges points (in time order) into the periods [start+k·period,
// start+(k+1)·period) before end, in time order; a period without points
// has no bucket.
func Buckets(points []Point, start, end time.Time, period time.Duration) []Bucket {
	if period <= 0 {
		return nil
	}
	var out []Bucket
	for _, p := range points {
		if p.Time.Before(start) || !p.Time.Before(end) {
			continue
		}
		b := start.Add(p.Time.Sub(start) / period * period)
		if n := len(out); n > 0 && out[n-1].Start.Equal(b) {
			out[n-1].Datum = out[n-1].Merge(p.Datum)
			continue
		}
		out = append(out, Bucket{Start: b, Datum: p.Datum})
	}
	return out
}

// PeriodCount is how many periods [start, end) spans, the last one partial
// included: the datapoints a request may return.
func PeriodCount(start, end time.Time, period time.Duration) int64 {
	if period <= 0 || !end.After(start) {
		return 0
	}
	span := end.Sub(start)
	return int64((span + period - 1) / period)
}
