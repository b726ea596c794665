package alarms

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Key names one alarm's datapoints: the object that holds the alarm (its
// namespace and name, and its UID, so that an object created again under
// the same name starts afresh) and the alarm within it ("" for a
// MetricAlarm, "<policy>/<alarm>" for a step scaling policy's).
type Key struct {
	Object types.NamespacedName
	UID    types.UID
	Alarm  string
}

// Windows holds the latest datapoints of each alarm in memory, as a
// CloudWatch alarm's evaluation window. After a restart alarms start with
// an empty window; what their status says stays until new datapoints
// decide. The zero value is ready to use; it is safe for concurrent use.
type Windows struct {
	mu      sync.Mutex
	objects map[types.NamespacedName]*objectWindows
}

type objectWindows struct {
	uid    types.UID
	alarms map[string]*window
}

type window struct {
	source string
	points []Datapoint
	// err is the latest read's error.
	err error
}

// of returns an alarm's window, afresh when the object is a new one or the
// source changed. The caller holds mu.
func (w *Windows) of(k Key, source string) *window {
	if w.objects == nil {
		w.objects = map[types.NamespacedName]*objectWindows{}
	}
	o := w.objects[k.Object]
	if o == nil || o.uid != k.UID {
		o = &objectWindows{uid: k.UID, alarms: map[string]*window{}}
		w.objects[k.Object] = o
	}
	a := o.alarms[k.Alarm]
	if a == nil || a.source != source {
		a = &window{source: source}
		o.alarms[k.Alarm] = a
	}
	return a
}

// Sample is one reading of a statistic; OK is false when the metric had no
// value (no task reports, a count the status does not have).
type Sample struct {
	Value float64
	OK    bool
}

// Read reads an alarm's statistic now.
type Read func(ctx context.Context) (Sample, error)

// Evaluation is what one look at an alarm found.
type Evaluation struct {
	// Took: a datapoint was due, and was read and evaluated.
	Took bool
	// State and Reason are Evaluate's answer when Took (Reason empty: the
	// state stays for want of datapoints).
	State  ecsv1alpha1.AlarmState
	Reason string
	// Sample is the datapoint read, and Err why it could not be (a missing
	// datapoint); Err stays the latest read's until the next read.
	Sample Sample
	Err    error
	// Points is the window, oldest first.
	Points []Datapoint
	// Wait is how long until the next datapoint is due.
	Wait time.Duration
}

// Take takes the alarm's datapoint when one is due (the first at once,
// then one per period) and evaluates the alarm on its window; prev is its
// current state. Otherwise it only says how long until the next one.
func (w *Windows) Take(ctx context.Context, k Key, r Rule, prev ecsv1alpha1.AlarmState, now time.Time, read Read) Evaluation {
	w.mu.Lock()
	win := w.of(k, r.Source)
	due, wait := win.due(r.Period, now)
	ev := Evaluation{Points: append([]Datapoint(nil), win.points...), Err: win.err, Wait: wait}
	w.mu.Unlock()
	if !due {
		return ev
	}
	// Read without the lock: reads are I/O.
	s, err := read(ctx)
	w.mu.Lock()
	win = w.of(k, r.Source)
	win.err = err
	win.points = append(win.points, Datapoint{Time: now, Value: s.Value, Missing: !s.OK || err != nil})
	if keep := max(int(r.EvaluationPeriods), 1); len(win.points) > keep {
		win.points = append([]Datapoint(nil), win.points[len(win.points)-keep:]...)
	}
	points := append([]Datapoint(nil), win.points...)
	w.mu.Unlock()
	state, reason := Evaluate(r, points, prev)
	return Evaluation{Took: true, State: state, Reason: reason, Sample: s, Err: err, Points: points, Wait: r.Period}
}

// due reports whether a datapoint is due now (one per period), and
// otherwise how long until it is.
func (a *window) due(period time.Duration, now time.Time) (bool, time.Duration) {
	if len(a.points) == 0 {
		return true, period
	}
	next := a.points[len(a.points)-1].Time.Add(period)
	if !now.Before(next) {
		return true, period
	}
	return false, next.Sub(now)
}

// Retain drops the windows of an object's alarms that are not in keep.
func (w *Windows) Retain(obj types.NamespacedName, uid types.UID, keep map[string]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	o := w.objects[obj]
	if o == nil || o.uid != uid {
		return
	}
	for k := range o.alarms {
		if !keep[k] {
			delete(o.alarms, k)
		}
	}
}

// Forget drops a deleted object's windows.
func (w *Windows) Forget(obj types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.objects, obj)
}

// LastErr is the latest read's error of an object's alarms, the first
// found in alarm order; nil when every latest read succeeded.
func (w *Windows) LastErr(obj types.NamespacedName, uid types.UID) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	o := w.objects[obj]
	if o == nil || o.uid != uid {
		return nil
	}
	var first string
	var err error
	for k, a := range o.alarms {
		if a.err != nil && (err == nil || k < first) {
			first, err = k, a.err
		}
	}
	return err
}
