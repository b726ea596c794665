// Package schedule parses and evaluates the schedule expressions of AWS
// Application Auto Scaling scheduled actions (PutScheduledAction's Schedule,
// Timezone, StartTime and EndTime).
//
// Three forms are accepted:
//
//	at(yyyy-mm-ddThh:mm:ss)   one run, at that local time
//	rate(value unit)           every value minute(s), hour(s) or day(s)
//	cron(Min Hour DoM Mon DoW Year)   six-field AWS cron, see cron.go
//
// Local times (at and cron) are interpreted in the IANA time zone given to
// Parse; "" means UTC.
//
// Decisions where AWS is silent or ambiguous:
//
//   - Window: a run happens at an instant t only if Start <= t <= End (both
//     ends inclusive; a zero bound is unbounded). For cron the runs are simply
//     the cron instants inside the window; Start itself is not a run unless
//     the cron matches it. An at() outside the window never runs.
//   - rate(): runs are Ref' + k*interval for k >= 0, where Ref' is
//     Window.Start if set, else Window.Ref, else the `after` passed to Next
//     (so the first run is one interval later). With a Start, Start itself is
//     therefore the first run. Intervals are absolute durations: rate(1 day)
//     is every 24 hours, even across a DST change.
//   - DST in cron(): a local time that does not exist (spring forward) is
//     skipped for that day; a local time that occurs twice (fall back) runs
//     once, at its first occurrence.
//   - DST in at(): a local time that occurs twice means its first occurrence,
//     as for cron. A local time that does not exist is the instant Go's
//     time.Date normalises it to (for America/New_York, 2026-03-08T02:30:00
//     becomes 01:30 EST, i.e. 06:30 UTC).
//   - cron searches stop after the year 2199 (the last valid year), so a cron
//     that can never fire (such as February 30) makes Next report false.
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones even where the system has no tzdata
)

const syntaxHint = "a schedule is at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"

// Schedule is a parsed schedule expression. The zero Schedule never runs.
type Schedule struct {
	expr  string
	kind  string
	loc   *time.Location
	at    time.Time     // kind "at"
	every time.Duration // kind "rate"
	cron  *cronSpec     // kind "cron"; never modified after Parse
}

// Window bounds runs: zero times mean unbounded. Ref is the reference
// instant for rate() (StartTime if set, else creation time).
type Window struct{ Start, End, Ref time.Time }

// Parse parses expr ("at(...)", "rate(...)" or "cron(...)") in the time zone
// tz ("" = UTC). Errors name the bad part of the expression, for example
// `invalid schedule "rate(0 minutes)": the rate value must be a positive
// integer`, or are `unknown time zone <tz>`.
func Parse(expr, tz string) (Schedule, error) {
	loc, err := loadLocation(tz)
	if err != nil {
		return Schedule{}, err
	}
	s := Schedule{expr: strings.TrimSpace(expr), loc: loc}
	kind, body, ok := splitCall(s.expr)
	if !ok {
		return Schedule{}, s.errorf("%s", syntaxHint)
	}
	s.kind = kind
	switch kind {
	case "at":
		s.at, err = parseAt(body, loc)
	case "rate":
		s.every, err = parseRate(body)
	case "cron":
		s.cron, err = parseCron(body)
	}
	if err != nil {
		return Schedule{}, s.errorf("%v", err)
	}
	return s, nil
}

// Validate reports whether expr is a valid schedule in the time zone tz; it
// returns the error Parse would.
func Validate(expr, tz string) error {
	_, err := Parse(expr, tz)
	return err
}

// Kind returns "at", "rate" or "cron" ("" for the zero Schedule).
func (s Schedule) Kind() string { return s.kind }

// String returns the expression as given, trimmed of surrounding space.
func (s Schedule) String() string { return s.expr }

// Next returns the first run strictly after `after` within w, in the
// schedule's time zone, and false if there is none (an at() in the past, a
// run that would fall after w.End, or a cron that never fires again).
func (s Schedule) Next(after time.Time, w Window) (time.Time, bool) {
	var t time.Time
	var ok bool
	switch s.kind {
	case "at":
		t, ok = s.at, s.at.After(after) && (w.Start.IsZero() || !s.at.Before(w.Start))
	case "rate":
		t, ok = nextRate(s.every, after, w)
	case "cron":
		lo := after.Add(time.Nanosecond)
		if lo.Before(w.Start) {
			lo = w.Start
		}
		t, ok = s.cron.next(lo, s.loc)
	}
	if !ok || (!w.End.IsZero() && t.After(w.End)) {
		return time.Time{}, false
	}
	return t.In(s.loc), true
}

func (s Schedule) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid schedule %q: %s", s.expr, fmt.Sprintf(format, args...))
}

func loadLocation(tz string) (*time.Location, error) {
	if tz == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		return nil, fmt.Errorf("unknown time zone %s", tz)
	}
	return loc, nil
}

// splitCall splits "name(body)" into its name and trimmed body.
func splitCall(expr string) (name, body string, ok bool) {
	open := strings.IndexByte(expr, '(')
	if open < 0 || !strings.HasSuffix(expr, ")") {
		return "", "", false
	}
	name = expr[:open]
	if name != "at" && name != "rate" && name != "cron" {
		return "", "", false
	}
	return name, strings.TrimSpace(expr[open+1 : len(expr)-1]), true
}

func parseAt(body string, loc *time.Location) (time.Time, error) {
	const layout = "2006-01-02T15:04:05"
	t, err := time.Parse(layout, body)
	if err != nil || len(body) != len(layout) {
		return time.Time{}, fmt.Errorf("at() needs a date and time in the form yyyy-mm-ddThh:mm:ss")
	}
	y, mo, d := t.Date()
	if r, ok := resolve(y, mo, d, t.Hour(), t.Minute(), t.Second(), loc); ok {
		return r, nil
	}
	return time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), 0, loc), nil
}

// maxRate keeps value*unit well inside time.Duration (about 100 years).
const maxRate = 100 * 366 * 24 * time.Hour

func parseRate(body string) (time.Duration, error) {
	f := strings.Fields(body)
	if len(f) != 2 {
		return 0, fmt.Errorf("rate() needs a value and a unit, as in rate(5 minutes)")
	}
	n, err := strconv.Atoi(f[0])
	if !isDigits(f[0]) || (err == nil && n == 0) {
		return 0, fmt.Errorf("the rate value must be a positive integer")
	}
	unit := strings.ToLower(f[1])
	var d time.Duration
	switch strings.TrimSuffix(unit, "s") {
	case "minute":
		d = time.Minute
	case "hour":
		d = time.Hour
	case "day":
		d = 24 * time.Hour
	default:
		return 0, fmt.Errorf("the rate unit must be minute(s), hour(s) or day(s)")
	}
	singular := strings.TrimSuffix(unit, "s")
	switch plural := strings.HasSuffix(unit, "s"); {
	case n == 1 && plural:
		return 0, fmt.Errorf("use the singular unit for a value of 1: rate(1 %s)", singular)
	case n != 1 && !plural:
		return 0, fmt.Errorf("use the plural unit for a value other than 1: rate(%d %ss)", n, singular)
	}
	if err != nil || int64(n) > int64(maxRate/d) {
		return 0, fmt.Errorf("the rate value is too large")
	}
	return time.Duration(n) * d, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// nextRate returns ref + k*every (k >= 0), the first strictly after `after`,
// with ref = w.Start, else w.Ref, else after. End is checked by the caller.
func nextRate(every time.Duration, after time.Time, w Window) (time.Time, bool) {
	ref := w.Start
	if ref.IsZero() {
		ref = w.Ref
	}
	if ref.IsZero() {
		ref = after
	}
	if ref.After(after) {
		return ref, true
	}
	// Whole seconds avoid overflowing time.Duration for distant times.
	diff := after.Unix() - ref.Unix()
	if after.Nanosecond() < ref.Nanosecond() {
		diff--
	}
	step := int64(every / time.Second)
	k := diff/step + 1
	if k > (1<<62)/step {
		return time.Time{}, false
	}
	return time.Unix(ref.Unix()+k*step, int64(ref.Nanosecond())), true
}

// resolve returns the first instant at which the wall clock in loc reads
// y-mo-d h:mi:sec, and false if it never does (a DST gap).
func resolve(y int, mo time.Month, d, h, mi, sec int, loc *time.Location) (time.Time, bool) {
	wall := time.Date(y, mo, d, h, mi, sec, 0, time.UTC)
	t := time.Date(y, mo, d, h, mi, sec, 0, loc)
	var best time.Time
	found := false
	// try checks whether the wall time exists in the zone period containing p.
	try := func(p time.Time) {
		_, off := p.Zone()
		start, end := p.ZoneBounds()
		c := wall.Add(-time.Duration(off) * time.Second)
		if (!start.IsZero() && c.Before(start)) || (!end.IsZero() && !c.Before(end)) {
			return
		}
		if !found || c.Before(best) {
			best, found = c, true
		}
	}
	try(t)
	start, end := t.ZoneBounds()
	if !start.IsZero() {
		try(start.Add(-time.Nanosecond))
	}
	if !end.IsZero() {
		try(end)
	}
	return best.In(loc), found
}
