package schedule

import (
	"strings"
	"testing"
	"time"
)

// ts parses an RFC 3339 instant, failing the test on error.
func ts(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runs returns the next n runs (as UTC RFC 3339) of expr after `after`.
func runs(t *testing.T, expr, tz, after string, w Window, n int) []string {
	t.Helper()
	s, err := Parse(expr, tz)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	at := ts(t, after)
	for range n {
		next, ok := s.Next(at, w)
		if !ok {
			break
		}
		if !next.After(at) {
			t.Fatalf("%s: Next(%v) = %v, not after", expr, at, next)
		}
		out = append(out, next.UTC().Format(time.RFC3339))
		at = next
	}
	return out
}

func checkRuns(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("runs\n got %v\nwant %v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ expr, tz, want string }{
		{"every day", "", `invalid schedule "every day": a schedule is at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)`},
		{"", "", "a schedule is at("},
		{"cron(0 10 * * ? *", "", "a schedule is at("},
		{"CRON(0 10 * * ? *)", "", "a schedule is at("},
		{"at(2026-13-01T00:00:00)", "", "yyyy-mm-ddThh:mm:ss"},
		{"at(2026-01-01 00:00:00)", "", "yyyy-mm-ddThh:mm:ss"},
		{"at(2026-01-01T00:00:00.5)", "", "yyyy-mm-ddThh:mm:ss"},
		{"at()", "", "yyyy-mm-ddThh:mm:ss"},
		{"rate(0 minutes)", "", `invalid schedule "rate(0 minutes)": the rate value must be a positive integer`},
		{"rate(-1 minutes)", "", "positive integer"},
		{"rate(x minutes)", "", "positive integer"},
		{"rate(5)", "", "a value and a unit"},
		{"rate(5 minutes please)", "", "a value and a unit"},
		{"rate(5 weeks)", "", "minute(s), hour(s) or day(s)"},
		{"rate(1 minutes)", "", "rate(1 minute)"},
		{"rate(1 days)", "", "rate(1 day)"},
		{"rate(5 minute)", "", "rate(5 minutes)"},
		{"rate(2 hour)", "", "rate(2 hours)"},
		{"rate(99999999999999999999 minutes)", "", "too large"},
		{"rate(100000 days)", "", "too large"},
		{"cron(0 10 * * *)", "", "six fields"},
		{"cron(0 10 * * ? * *)", "", "six fields"},
		{"cron(0 10 * * * *)", "", `invalid schedule "cron(0 10 * * * *)": you can't specify the day-of-month and day-of-week fields together; use ? in one of them`},
		{"cron(0 10 1 * MON *)", "", "fields together"},
		{"cron(0 10 ? * ? *)", "", "can't both be ?"},
		{"cron(61 * * * ? *)", "", `invalid schedule "cron(61 * * * ? *)": minutes must be between 0 and 59`},
		{"cron(0 24 * * ? *)", "", "hours must be between 0 and 23"},
		{"cron(0 0 32 * ? *)", "", "day-of-month must be between 1 and 31"},
		{"cron(0 0 0 * ? *)", "", "day-of-month must be between 1 and 31"},
		{"cron(0 0 1 13 ? *)", "", "month must be between 1 and 12 or JAN-DEC"},
		{"cron(0 0 1 FOO ? *)", "", `month: "FOO" is not valid`},
		{"cron(0 0 ? * 8 *)", "", "day-of-week must be between 1 and 7 or SUN-SAT"},
		{"cron(0 0 ? * 0 *)", "", "day-of-week must be between 1 and 7"},
		{"cron(0 0 1 * ? 1969)", "", "year must be between 1970 and 2199"},
		{"cron(0 0 1 * ? 2200)", "", "year must be between 1970 and 2199"},
		{"cron(0 0 1 * ? 2028-2027)", "", `year range "2028-2027" is reversed`},
		{"cron(? 0 1 * ? *)", "", "? is only allowed in the day-of-month and day-of-week fields"},
		{"cron(0 0 1,? * ? *)", "", "? must be the whole day-of-month field"},
		{"cron(1,,2 0 1 * ? *)", "", "empty item"},
		{"cron(0/0 * * * ? *)", "", "increment in minutes"},
		{"cron(0/60 * * * ? *)", "", "increment in minutes"},
		{"cron(0/x * * * ? *)", "", "increment in minutes"},
		{"cron(x * * * ? *)", "", `minutes: "x" is not valid`},
		{"cron(L * * * ? *)", "", "minutes"},
		{"cron(0 0 L-3 * ? *)", "", "day-of-month: \"L-3\" is not valid"},
		{"cron(0 0 32W * ? *)", "", "day-of-month must be between 1 and 31"},
		{"cron(0 0 ? * 8L *)", "", "day-of-week must be between 1 and 7"},
		{"cron(0 0 ? * 2#6 *)", "", "between 1 and 5"},
		{"cron(0 0 ? * 2#0 *)", "", "between 1 and 5"},
		{"cron(0 0 ? * 1-5#2 *)", "", "day-of-week: \"1-5#2\" is not valid"},
		{"cron(0 0 1 * ? *)", "Mars/Olympus", "unknown time zone Mars/Olympus"},
		{"cron(0 0 1 * ? *)", "Local", "unknown time zone Local"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			_, err := Parse(c.expr, c.tz)
			if err == nil {
				t.Fatalf("Parse(%q, %q) succeeded, want error containing %q", c.expr, c.tz, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if verr := Validate(c.expr, c.tz); verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate = %v, want %v", verr, err)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	cases := []struct{ expr, tz, kind string }{
		{"  at(2026-05-01T10:00:00) ", "", "at"},
		{"at( 2026-05-01T10:00:00 )", "Europe/Paris", "at"},
		{"rate(1 minute)", "", "rate"},
		{"rate(5 minutes)", "", "rate"},
		{"rate(1 hour)", "", "rate"},
		{"rate(12 hours)", "", "rate"},
		{"rate(1 day)", "", "rate"},
		{"rate(7 days)", "", "rate"},
		{"cron(0 10 * * ? *)", "America/New_York", "cron"},
		{"cron(0/15 */2 ? jan-Mar,JUL mon-fri 2026,2028-2030)", "Etc/GMT+9", "cron"},
		{"cron(0 10 L,15W,LW * ? *)", "", "cron"},
		{"cron(0 10 ? * 6L,2#1,L,fri#3 *)", "", "cron"},
		{"cron(  0   10  1 * ?  *  )", "", "cron"},
	}
	for _, c := range cases {
		s, err := Parse(c.expr, c.tz)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", c.expr, c.tz, err)
			continue
		}
		if s.Kind() != c.kind || s.String() != strings.TrimSpace(c.expr) {
			t.Errorf("Parse(%q): Kind %q String %q", c.expr, s.Kind(), s.String())
		}
	}
}

func TestZeroSchedule(t *testing.T) {
	var s Schedule
	if _, ok := s.Next(time.Now(), Window{}); ok || s.Kind() != "" {
		t.Errorf("zero Schedule should never run")
	}
}

func TestAt(t *testing.T) {
	w := Window{}
	checkRuns(t, runs(t, "at(2026-05-01T10:00:00)", "", "2026-01-01T00:00:00Z", w, 3), "2026-05-01T10:00:00Z")
	checkRuns(t, runs(t, "at(2026-05-01T10:00:00)", "", "2026-05-01T10:00:00Z", w, 3))
	checkRuns(t, runs(t, "at(2026-05-01T10:00:00)", "", "2027-01-01T00:00:00Z", w, 3))
	checkRuns(t, runs(t, "at(2026-05-01T10:00:00)", "Asia/Tokyo", "2026-01-01T00:00:00Z", w, 3), "2026-05-01T01:00:00Z")
	// Etc/GMT+9 is UTC-9 (POSIX sign convention).
	checkRuns(t, runs(t, "at(2026-05-01T10:00:00)", "Etc/GMT+9", "2026-01-01T00:00:00Z", w, 3), "2026-05-01T19:00:00Z")
	// Nonexistent local time (spring forward): what time.Date gives, 01:30 EST.
	checkRuns(t, runs(t, "at(2026-03-08T02:30:00)", "America/New_York", "2026-01-01T00:00:00Z", w, 3), "2026-03-08T06:30:00Z")
	// Repeated local time (fall back): the first occurrence, in EDT.
	checkRuns(t, runs(t, "at(2026-11-01T01:30:00)", "America/New_York", "2026-01-01T00:00:00Z", w, 3), "2026-11-01T05:30:00Z")
	checkRuns(t, runs(t, "at(2026-10-25T02:30:00)", "Europe/Berlin", "2026-01-01T00:00:00Z", w, 3), "2026-10-25T00:30:00Z")

	// Window: outside it, an at() never runs; End is inclusive.
	in := "2026-01-01T00:00:00Z"
	checkRuns(t, runs(t, "at(2026-05-01T10:00:00)", "", in, Window{Start: ts(t, "2026-06-01T00:00:00Z")}, 3))
	checkRuns(t, runs(t, "at(2026-05-01T10:00:00)", "", in, Window{End: ts(t, "2026-05-01T09:59:59Z")}, 3))
	checkRuns(t, runs(t, "at(2026-05-01T10:00:00)", "", in, Window{Start: ts(t, "2026-05-01T10:00:00Z"), End: ts(t, "2026-05-01T10:00:00Z")}, 3), "2026-05-01T10:00:00Z")
}

func TestAtReturnsLocalTime(t *testing.T) {
	s, err := Parse("at(2026-05-01T10:00:00)", "Pacific/Tahiti")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := s.Next(ts(t, "2026-01-01T00:00:00Z"), Window{})
	if !ok || got.Location().String() != "Pacific/Tahiti" || got.Hour() != 10 || got.UTC().Hour() != 20 {
		t.Errorf("Next = %v, %v", got, ok)
	}
}

func TestRate(t *testing.T) {
	ref := ts(t, "2026-01-01T00:00:03Z")
	// Counted from Ref, the first run strictly after `after`.
	checkRuns(t, runs(t, "rate(5 minutes)", "", "2026-01-01T00:12:00Z", Window{Ref: ref}, 3),
		"2026-01-01T00:15:03Z", "2026-01-01T00:20:03Z", "2026-01-01T00:25:03Z")
	checkRuns(t, runs(t, "rate(5 minutes)", "", "2026-01-01T00:10:03Z", Window{Ref: ref}, 1), "2026-01-01T00:15:03Z")
	// Before Ref: Ref itself is the first run.
	checkRuns(t, runs(t, "rate(1 hour)", "", "2025-12-31T00:00:00Z", Window{Ref: ref}, 2), "2026-01-01T00:00:03Z", "2026-01-01T01:00:03Z")
	// Start wins over Ref and is itself a run.
	w := Window{Start: ts(t, "2026-02-01T00:00:00Z"), Ref: ref}
	checkRuns(t, runs(t, "rate(2 hours)", "", "2026-01-10T00:00:00Z", w, 2), "2026-02-01T00:00:00Z", "2026-02-01T02:00:00Z")
	// Neither: counted from `after`.
	checkRuns(t, runs(t, "rate(1 minute)", "", "2026-01-01T00:00:30Z", Window{}, 2), "2026-01-01T00:01:30Z", "2026-01-01T00:02:30Z")
	// End stops it (inclusive).
	w = Window{Ref: ref, End: ts(t, "2026-01-03T00:00:03Z")}
	checkRuns(t, runs(t, "rate(1 day)", "", "2026-01-01T00:00:00Z", w, 5), "2026-01-01T00:00:03Z", "2026-01-02T00:00:03Z", "2026-01-03T00:00:03Z")
	// Days are 24 hours, whatever the time zone's DST.
	w = Window{Ref: ts(t, "2026-03-07T14:00:00Z")}
	checkRuns(t, runs(t, "rate(1 day)", "America/New_York", "2026-03-07T15:00:00Z", w, 2), "2026-03-08T14:00:00Z", "2026-03-09T14:00:00Z")
	// Far from Ref: no overflow.
	checkRuns(t, runs(t, "rate(1 minute)", "", "2199-12-31T23:59:30Z", Window{Ref: ts(t, "1970-01-01T00:00:00Z")}, 1), "2200-01-01T00:00:00Z")
}
