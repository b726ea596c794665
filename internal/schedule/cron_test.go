package schedule

import (
	"testing"
	"time"
)

func TestCronNext(t *testing.T) {
	const jan1 = "2026-01-01T00:00:00Z" // a Thursday
	cases := []struct {
		expr, tz, after string
		want            []string // ending in "end" if there is no later run
	}{
		{"cron(30 6 ? * MON *)", "", jan1, []string{"2026-01-05T06:30:00Z", "2026-01-12T06:30:00Z", "2026-01-19T06:30:00Z"}},
		{"cron(0 18 ? * MON-FRI *)", "", jan1, []string{"2026-01-01T18:00:00Z", "2026-01-02T18:00:00Z", "2026-01-05T18:00:00Z"}},
		{"cron(0/15 * * * ? *)", "", jan1, []string{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"}},
		{"cron(*/5 * * * ? *)", "", "2026-01-01T00:04:59.5Z", []string{"2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"}},
		{"cron(10-30/10 9 * * ? *)", "", jan1, []string{"2026-01-01T09:10:00Z", "2026-01-01T09:20:00Z", "2026-01-01T09:30:00Z", "2026-01-02T09:10:00Z"}},
		{"cron(0 22-1 * * ? *)", "", jan1, []string{"2026-01-01T01:00:00Z", "2026-01-01T22:00:00Z", "2026-01-01T23:00:00Z", "2026-01-02T00:00:00Z"}},
		{"cron(0 8 1 * ? *)", "", jan1, []string{"2026-01-01T08:00:00Z", "2026-02-01T08:00:00Z", "2026-03-01T08:00:00Z"}},
		{"cron(0 10 L * ? *)", "", jan1, []string{"2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z", "2026-03-31T10:00:00Z", "2026-04-30T10:00:00Z"}},
		{"cron(0 10 L 2 ? *)", "", "2027-03-01T00:00:00Z", []string{"2028-02-29T10:00:00Z", "2029-02-28T10:00:00Z"}},
		// 2026-08-15 is a Saturday, 2026-02-15 a Sunday.
		{"cron(0 10 15W * ? *)", "", "2026-08-01T00:00:00Z", []string{"2026-08-14T10:00:00Z", "2026-09-15T10:00:00Z"}},
		{"cron(0 10 15W * ? *)", "", "2026-02-01T00:00:00Z", []string{"2026-02-16T10:00:00Z", "2026-03-16T10:00:00Z", "2026-04-15T10:00:00Z"}},
		// 2026-08-01 is a Saturday: the nearest weekday in August is Monday 3rd.
		{"cron(0 10 1W * ? *)", "", "2026-07-31T00:00:00Z", []string{"2026-08-03T10:00:00Z", "2026-09-01T10:00:00Z"}},
		// No 31st in April, June: no run those months.
		{"cron(0 10 31W 4-7 ? *)", "", jan1, []string{"2026-05-29T10:00:00Z", "2026-07-31T10:00:00Z"}},
		// 2026-01-31 is a Saturday, 2026-05-31 a Sunday.
		{"cron(0 10 LW * ? *)", "", jan1, []string{"2026-01-30T10:00:00Z", "2026-02-27T10:00:00Z", "2026-03-31T10:00:00Z"}},
		{"cron(0 10 LW * ? *)", "", "2026-05-01T00:00:00Z", []string{"2026-05-29T10:00:00Z"}},
		{"cron(0 10 ? * 6L *)", "", jan1, []string{"2026-01-30T10:00:00Z", "2026-02-27T10:00:00Z", "2026-03-27T10:00:00Z"}},
		{"cron(0 10 ? * friL *)", "", jan1, []string{"2026-01-30T10:00:00Z"}},
		{"cron(0 10 ? * 2#1 *)", "", jan1, []string{"2026-01-05T10:00:00Z", "2026-02-02T10:00:00Z", "2026-03-02T10:00:00Z"}},
		{"cron(0 10 ? * MON#5 *)", "", jan1, []string{"2026-03-30T10:00:00Z", "2026-06-29T10:00:00Z"}},
		{"cron(0 10 ? * L *)", "", jan1, []string{"2026-01-03T10:00:00Z", "2026-01-10T10:00:00Z"}},
		{"cron(0 12 ? * FRI-MON *)", "", jan1, []string{"2026-01-02T12:00:00Z", "2026-01-03T12:00:00Z", "2026-01-04T12:00:00Z", "2026-01-05T12:00:00Z", "2026-01-09T12:00:00Z"}},
		{"cron(0 12 ? feb,Mar mon *)", "", jan1, []string{"2026-02-02T12:00:00Z", "2026-02-09T12:00:00Z"}},
		{"cron(0 0 1 1 ? 2027-2028)", "", jan1, []string{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "end"}},
		{"cron(0 0 1 1 ? 2025)", "", jan1, []string{"end"}},
		{"cron(59 23 31 12 ? 2199)", "", jan1, []string{"2199-12-31T23:59:00Z", "end"}},
		{"cron(0 0 30 2 ? *)", "", jan1, []string{"end"}},

		// America/New_York: DST starts 2026-03-08, ends 2026-11-01.
		{"cron(0 9 * * ? *)", "America/New_York", "2026-03-06T15:00:00Z", []string{"2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z", "2026-03-09T13:00:00Z"}},
		{"cron(0 9 * * ? *)", "America/New_York", "2026-10-30T15:00:00Z", []string{"2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-02T14:00:00Z"}},
		// 02:30 does not exist on 2026-03-08: skipped that day.
		{"cron(30 2 * * ? *)", "America/New_York", "2026-03-07T00:00:00Z", []string{"2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"}},
		// 01:30 happens twice on 2026-11-01: runs once, at the first (EDT).
		{"cron(30 1 * * ? *)", "America/New_York", "2026-10-31T12:00:00Z", []string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		{"cron(0/30 * * * ? *)", "America/New_York", "2026-11-01T05:00:00Z", []string{"2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z"}},
		// Starting inside the repeated hour (01:20 EST) does not rerun 01:30.
		{"cron(30 1 * * ? *)", "America/New_York", "2026-11-01T06:20:00Z", []string{"2026-11-02T06:30:00Z"}},
		// Europe/Berlin falls back at 03:00 CEST: first occurrence is CEST too.
		{"cron(30 2 * * ? *)", "Europe/Berlin", "2026-10-24T12:00:00Z", []string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		// Etc/GMT+9 is UTC-9; Pacific/Tahiti is UTC-10; Asia/Kolkata UTC+5:30.
		{"cron(0 9 * * ? *)", "Etc/GMT+9", jan1, []string{"2026-01-01T18:00:00Z"}},
		{"cron(0 9 * * ? *)", "Pacific/Tahiti", jan1, []string{"2026-01-01T19:00:00Z"}},
		{"cron(0 9 * * ? *)", "Asia/Kolkata", jan1, []string{"2026-01-01T03:30:00Z"}},
		// Local day-of-week, not UTC's: Monday 08:00 in Tokyo is Sunday in UTC.
		{"cron(0 8 ? * MON *)", "Asia/Tokyo", jan1, []string{"2026-01-04T23:00:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.tz+" "+c.expr+" "+c.after, func(t *testing.T) {
			want := c.want
			if want[len(want)-1] == "end" {
				want = want[:len(want)-1]
			}
			// Ask for one run more than wanted: it must be absent after "end".
			got := runs(t, c.expr, c.tz, c.after, Window{}, len(want)+1)
			if len(want) == len(c.want) {
				got = got[:min(len(got), len(want))]
			}
			checkRuns(t, got, want...)
		})
	}
}

func TestCronWindow(t *testing.T) {
	w := Window{Start: ts(t, "2026-02-15T00:00:00Z"), End: ts(t, "2026-04-01T08:00:00Z")}
	checkRuns(t, runs(t, "cron(0 8 1 * ? *)", "", "2026-01-01T00:00:00Z", w, 5),
		"2026-03-01T08:00:00Z", "2026-04-01T08:00:00Z")
	// Start itself is a run only if the cron matches it.
	w = Window{Start: ts(t, "2026-03-01T08:00:00Z")}
	checkRuns(t, runs(t, "cron(0 8 1 * ? *)", "", "2026-01-01T00:00:00Z", w, 1), "2026-03-01T08:00:00Z")
	w = Window{Start: ts(t, "2026-03-01T08:00:01Z")}
	checkRuns(t, runs(t, "cron(0 8 1 * ? *)", "", "2026-01-01T00:00:00Z", w, 1), "2026-04-01T08:00:00Z")
	// Past End: nothing.
	w = Window{End: ts(t, "2026-01-01T00:00:00Z")}
	checkRuns(t, runs(t, "cron(* * * * ? *)", "", "2026-01-01T00:00:00Z", w, 1))
}

func TestCronNeverFiresIsFast(t *testing.T) {
	start := time.Now()
	for _, expr := range []string{"cron(0 0 30 2 ? *)", "cron(0 0 31 4,6,9,11 ? *)", "cron(0 0 29 2 ? 2100)", "cron(0 0 ? 2 2#5 2027)"} {
		s, err := Parse(expr, "America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := s.Next(ts(t, "1900-01-01T00:00:00Z"), Window{}); ok {
			t.Errorf("%s: Next = %v, want none", expr, got)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
}

func TestCronOutsideYearRange(t *testing.T) {
	s, err := Parse("cron(* * * * ? *)", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Next(ts(t, "1000-01-01T00:00:00Z"), Window{}); !ok || !got.Equal(ts(t, "1970-01-01T00:00:00Z")) {
		t.Errorf("before 1970: Next = %v, %v", got, ok)
	}
	if got, ok := s.Next(ts(t, "2199-12-31T23:59:00Z"), Window{}); ok {
		t.Errorf("after 2199: Next = %v", got)
	}
}

func BenchmarkCronNext(b *testing.B) {
	s, err := Parse("cron(0 10 ? * 6L *)", "America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	after := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		s.Next(after, Window{})
	}
}
