package autoscaling

import (
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/schedule"
)

// ScheduleKey is what identifies a scheduled action's timing: a change of
// any part starts its record afresh.
func ScheduleKey(a *ecsv1alpha1.ScheduledAction) string {
	k := a.Schedule
	if a.Timezone != "" {
		k += " " + a.Timezone
	}
	return k
}

// AtGrace is how long after its time an at() action Berth sees for the
// first time still runs.
const AtGrace = 5 * time.Minute

// Due works out a scheduled action's runs at now. It returns the action's
// status with since, lastRunTime and nextRunTime updated, and whether the
// action runs now. When runs were missed (Berth was not running), the
// action runs once, for the latest of them.
func Due(a *ecsv1alpha1.ScheduledAction, s schedule.Schedule, st ecsv1alpha1.ScheduledActionStatus, now time.Time) (ecsv1alpha1.ScheduledActionStatus, bool) {
	key := ScheduleKey(a)
	if st.Schedule != key || st.Since == nil {
		since := now
		if s.Kind() == "at" {
			// An at() that passed moments before Berth first saw it (a
			// target waiting for its service, queue latency) still runs.
			since = now.Add(-AtGrace)
		}
		st = ecsv1alpha1.ScheduledActionStatus{ScheduledActionName: a.ScheduledActionName, Schedule: key, Since: timePtr(since)}
	}
	w := schedule.Window{Ref: st.Since.Time}
	if a.StartTime != nil {
		w.Start = a.StartTime.Time
	}
	if a.EndTime != nil {
		w.End = a.EndTime.Time
	}
	from := st.Since.Time
	if st.LastRunTime != nil {
		from = st.LastRunTime.Time
	}
	run := false
	for i := 0; i < 1000000; i++ { // bounded: a year of rate(1 minute) missed
		next, ok := s.Next(from, w)
		if !ok || next.After(now) {
			break
		}
		run, from = true, next
	}
	if run {
		st.LastRunTime = timePtr(from.UTC())
	}
	st.NextRunTime = nil
	if next, ok := s.Next(from, w); ok {
		st.NextRunTime = timePtr(next.UTC())
	}
	return st, run
}
