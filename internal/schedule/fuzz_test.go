package schedule

import (
	"testing"
	"time"
)

var fuzzZones = []string{"", "UTC", "America/New_York", "Europe/Berlin", "Etc/GMT+9", "Pacific/Tahiti", "Australia/Lord_Howe", "Asia/Kolkata"}

// FuzzParse checks that Parse never panics and that Next, on anything Parse
// accepts, quickly returns a time strictly after `after` and inside the
// window, or false.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"at(2026-03-08T02:30:00)", "rate(5 minutes)", "rate(1 day)", "cron(0 10 * * ? *)",
		"cron(0/15 * * * ? *)", "cron(0 10 15W * ? *)", "cron(0 10 LW * ? *)", "cron(0 10 ? * 6L *)",
		"cron(0 10 ? * 2#1 *)", "cron(0 0 1 1 ? 2027-2028)", "cron(0 0 30 2 ? *)", "cron(30 2 * * ? *)",
		"cron(0 12 ? * FRI-MON *)", "every day", "cron(1,,2 * * * ? *)", "cron(0 0 ? * 5#2,L *)",
	} {
		f.Add(s, uint8(2), int64(1767225600), int64(0))
	}
	f.Fuzz(func(t *testing.T, expr string, zone uint8, afterSec, spanSec int64) {
		s, err := Parse(expr, fuzzZones[int(zone)%len(fuzzZones)])
		if err != nil {
			return
		}
		const years300 = 300 * 366 * 24 * 3600
		after := time.Unix(afterSec%years300, 0)
		var w Window
		if spanSec != 0 {
			w.Start = after.Add(time.Duration(spanSec%years300/2) * time.Second)
			w.End = w.Start.Add(time.Duration(spanSec%years300) * time.Second)
			w.Ref = after.Add(-time.Hour)
		}
		start := time.Now()
		got, ok := s.Next(after, w)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%q: Next took %v", expr, d)
		}
		if !ok {
			return
		}
		if !got.After(after) {
			t.Errorf("%q: Next(%v) = %v, not after", expr, after, got)
		}
		if (!w.Start.IsZero() && got.Before(w.Start)) || (!w.End.IsZero() && got.After(w.End)) {
			t.Errorf("%q: Next(%v) = %v, outside %v", expr, after, got, w)
		}
	})
}
