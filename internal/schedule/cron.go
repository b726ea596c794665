package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AWS cron has six fields: Minutes Hours Day-of-month Month Day-of-week Year.
//
//	minutes       0-59          , - * /
//	hours         0-23          , - * /
//	day-of-month  1-31          , - * ? / L W   (L, LW, 15W)
//	month         1-12, JAN-DEC , - * /
//	day-of-week   1-7, SUN-SAT  , - * ? / L #   (1 = SUN; L = 7, 6L, 2#1)
//	year          1970-2199     , - * /
//
// Exactly one of day-of-month and day-of-week is ?. Names and L/W are
// case-insensitive. A reversed range wraps around (FRI-MON, 22-2) except
// in the year field. In day-of-month, L is the last day of the month, LW
// the last weekday (Mon-Fri) and nW the weekday nearest day n without
// leaving the month (no run that month if it has no day n). In day-of-week,
// L alone is 7 (Saturday), nL the last weekday n of the month and n#k the
// k-th (1-5) weekday n of the month.

const (
	minYear = 1970
	maxYear = 2199
)

// bitset holds small non-negative integers (years are stored minus minYear).
type bitset [4]uint64

func (b *bitset) set(i int) { b[i/64] |= 1 << (i % 64) }

func (b *bitset) has(i int) bool { return i >= 0 && i < 256 && b[i/64]&(1<<(i%64)) != 0 }

// cronSpec is a parsed cron expression.
type cronSpec struct {
	minutes, hours, month, year bitset

	useDOW bool // day-of-month is ?, so days come from day-of-week

	dom            bitset // plain days 1-31
	domLast        bool   // L
	domLastWeekday bool   // LW
	domNearest     bitset // nW

	dow     bitset   // plain weekdays 1-7 (1 = Sunday)
	dowLast bitset   // nL
	dowNth  [8]uint8 // n#k: bit k of dowNth[n]
}

// fieldSpec describes one cron field.
type fieldSpec struct {
	name     string
	min, max int
	names    []string // names[i] is the name of value min+i
	offset   int      // subtracted before storing (year)
	noWrap   bool     // reversed ranges are an error
}

func (f fieldSpec) rangeMsg() string {
	s := fmt.Sprintf("%s must be between %d and %d", f.name, f.min, f.max)
	if len(f.names) > 0 {
		s += fmt.Sprintf(" or %s-%s", f.names[0], f.names[len(f.names)-1])
	}
	return s
}

func fieldSpecs() [6]fieldSpec {
	return [6]fieldSpec{
		{name: "minutes", min: 0, max: 59},
		{name: "hours", min: 0, max: 23},
		{name: "day-of-month", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: []string{
			"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
		{name: "day-of-week", min: 1, max: 7, names: []string{
			"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
		{name: "year", min: minYear, max: maxYear, offset: minYear, noWrap: true},
	}
}

func parseCron(body string) (*cronSpec, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("a cron expression has six fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	spec := fieldSpecs()
	c := &cronSpec{}
	targets := [6]*bitset{&c.minutes, &c.hours, &c.dom, &c.month, &c.dow, &c.year}
	for i, s := range f {
		if s == "?" {
			if i != 2 && i != 4 {
				return nil, fmt.Errorf("? is only allowed in the day-of-month and day-of-week fields, not in %s", spec[i].name)
			}
			continue
		}
		for _, part := range strings.Split(s, ",") {
			if err := c.parsePart(i, spec[i], part, targets[i]); err != nil {
				return nil, err
			}
		}
	}
	switch domQ, dowQ := f[2] == "?", f[4] == "?"; {
	case domQ && dowQ:
		return nil, fmt.Errorf("the day-of-month and day-of-week fields can't both be ?; use ? in exactly one of them")
	case !domQ && !dowQ:
		return nil, fmt.Errorf("you can't specify the day-of-month and day-of-week fields together; use ? in one of them")
	default:
		c.useDOW = domQ
	}
	return c, nil
}

// parsePart parses one comma-separated item of field i into dst, handling
// the L, W and # forms of the day fields.
func (c *cronSpec) parsePart(i int, f fieldSpec, part string, dst *bitset) error {
	up := strings.ToUpper(part)
	switch {
	case part == "":
		return fmt.Errorf("%s has an empty item in its list", f.name)
	case part == "?":
		return fmt.Errorf("? must be the whole %s field", f.name)
	case i == 2 && strings.ContainsAny(up, "LW"):
		return c.parseDOMSpecial(f, part, up)
	case i == 4 && strings.ContainsAny(up, "L#"):
		return c.parseDOWSpecial(f, part, up)
	}
	base, stepStr, hasStep := strings.Cut(part, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepStr)
		if !isDigits(stepStr) || err != nil || n == 0 || n > f.max {
			return fmt.Errorf("the increment in %s %q must be a number between 1 and %d", f.name, part, f.max)
		}
		step = n
	}
	return c.setItem(f, base, hasStep, step, dst)
}

// setItem sets the values of one item lo[-hi][/step] in dst.
func (c *cronSpec) setItem(f fieldSpec, base string, hasStep bool, step int, dst *bitset) error {
	lo, hi, err := f.bounds(base, hasStep)
	if err != nil {
		return err
	}
	if lo > hi && f.noWrap {
		return fmt.Errorf("the %s range %q is reversed", f.name, base)
	}
	span := f.max - f.min + 1
	dist := (hi - lo + span) % span
	for off := 0; off <= dist; off += step {
		dst.set(f.min + (lo-f.min+off)%span - f.offset)
	}
	return nil
}

// bounds parses the base of an item: *, a value, or a range lo-hi. A
// single value with an increment runs to the field's end.
func (f fieldSpec) bounds(base string, hasStep bool) (lo, hi int, err error) {
	lo, hi = f.min, f.max
	if base == "*" {
		return lo, hi, nil
	}
	a, b, isRange := strings.Cut(base, "-")
	if lo, err = f.value(a); err != nil {
		return 0, 0, err
	}
	switch {
	case isRange:
		if hi, err = f.value(b); err != nil {
			return 0, 0, err
		}
	case !hasStep:
		hi = lo
	}
	return lo, hi, nil
}

// value parses a number or (for month and day-of-week) a name.
func (f fieldSpec) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if !isDigits(s) {
		return 0, fmt.Errorf("%s: %q is not valid; %s", f.name, s, f.rangeMsg())
	}
	if err != nil || n < f.min || n > f.max {
		return 0, fmt.Errorf("%s", f.rangeMsg())
	}
	return n, nil
}

func (c *cronSpec) parseDOMSpecial(f fieldSpec, part, up string) error {
	switch {
	case up == "L":
		c.domLast = true
	case up == "LW":
		c.domLastWeekday = true
	case strings.HasSuffix(up, "W") && isDigits(up[:len(up)-1]):
		d, err := f.value(up[:len(up)-1])
		if err != nil {
			return err
		}
		c.domNearest.set(d)
	default:
		return fmt.Errorf("day-of-month: %q is not valid; use L (last day), LW (last weekday) or nW (weekday nearest day n)", part)
	}
	return nil
}

func (c *cronSpec) parseDOWSpecial(f fieldSpec, part, up string) error {
	if up == "L" {
		c.dow.set(7)
		return nil
	}
	if day, ok := strings.CutSuffix(up, "L"); ok && !strings.ContainsAny(day, ",-/*#") {
		d, err := f.value(day)
		if err != nil {
			return err
		}
		c.dowLast.set(d)
		return nil
	}
	day, nth, ok := strings.Cut(up, "#")
	if !ok || strings.ContainsAny(day, ",-/*L") {
		return fmt.Errorf("day-of-week: %q is not valid; use L (Saturday), nL (last weekday n of the month) or n#k (k-th weekday n)", part)
	}
	d, err := f.value(day)
	if err != nil {
		return err
	}
	k, err := strconv.Atoi(nth)
	if !isDigits(nth) || err != nil || k < 1 || k > 5 {
		return fmt.Errorf("day-of-week: in %q the number after # must be between 1 and 5", part)
	}
	c.dowNth[d] |= 1 << k
	return nil
}

// next returns the first cron instant at or after lo, evaluated in loc,
// searching field by field up to the end of maxYear.
func (c *cronSpec) next(lo time.Time, loc *time.Location) (time.Time, bool) {
	// Start at lo's local wall-clock minute. With first-occurrence
	// resolution, an earlier wall time never maps to an instant >= lo.
	l := lo.In(loc)
	sy, sm, sd := l.Date()
	sh, smi := l.Hour(), l.Minute()
	if sy < minYear {
		sy, sm, sd, sh, smi = minYear, time.January, 1, 0, 0
	}
	for y := sy; y <= maxYear; y++ {
		if !c.year.has(y - minYear) {
			continue
		}
		for m := time.January; m <= time.December; m++ {
			atStart := y == sy && m == sm
			if (y == sy && m < sm) || !c.month.has(int(m)) {
				continue
			}
			days := c.days(y, m)
			for d := 1; d <= 31; d++ {
				if days&(1<<d) == 0 || (atStart && d < sd) {
					continue
				}
				if t, ok := c.nextInDay(y, m, d, atStart && d == sd, sh, smi, lo, loc); ok {
					return t, true
				}
			}
		}
	}
	return time.Time{}, false
}

// nextInDay returns the first matching time on local day y-m-d that is at or
// after lo, skipping times before sh:smi when fromStart is set.
func (c *cronSpec) nextInDay(y int, m time.Month, d int, fromStart bool, sh, smi int, lo time.Time, loc *time.Location) (time.Time, bool) {
	for h := 0; h < 24; h++ {
		if !c.hours.has(h) || (fromStart && h < sh) {
			continue
		}
		for mi := 0; mi < 60; mi++ {
			if !c.minutes.has(mi) || (fromStart && h == sh && mi < smi) {
				continue
			}
			if t, ok := resolve(y, m, d, h, mi, 0, loc); ok && !t.Before(lo) {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// days returns the days of month m of year y that match, as bits 1-31.
func (c *cronSpec) days(y int, m time.Month) uint32 {
	n := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	first := int(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Weekday())
	weekday := func(d int) int { return (first+d-1)%7 + 1 } // 1 = Sunday
	var mask uint32
	if c.useDOW {
		for d := 1; d <= n; d++ {
			wd := weekday(d)
			if c.dow.has(wd) || (c.dowLast.has(wd) && d+7 > n) || c.dowNth[wd]&(1<<((d-1)/7+1)) != 0 {
				mask |= 1 << d
			}
		}
		return mask
	}
	for d := 1; d <= n; d++ {
		if c.dom.has(d) {
			mask |= 1 << d
		}
		if c.domNearest.has(d) {
			mask |= 1 << nearestWeekday(d, n, weekday)
		}
	}
	if c.domLast {
		mask |= 1 << n
	}
	if c.domLastWeekday {
		mask |= 1 << nearestWeekday(n, n, weekday)
	}
	return mask
}

// nearestWeekday returns the Monday-Friday day nearest day d of an n-day
// month, without leaving the month.
func nearestWeekday(d, n int, weekday func(int) int) int {
	switch weekday(d) {
	case 7: // Saturday
		if d == 1 {
			return 3
		}
		return d - 1
	case 1: // Sunday
		if d == n {
			return d - 2
		}
		return d + 1
	}
	return d
}
