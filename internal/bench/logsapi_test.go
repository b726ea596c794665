package bench

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/logs/pattern"
)

// TestL1LogsAndSearchesAgree: a stream's log is the kubelet's CRI format
// with a timestamp a millisecond apart, and each filter pattern of L1
// finds exactly the lines its grep finds, l1Matches of them; so the two
// sides' counts are comparable.
func TestL1LogsAndSearchesAgree(t *testing.T) {
	const lines = 1000
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "s.log")
	size, err := writeL1Log(path, 3, lines, start)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if st, _ := f.Stat(); st.Size() != size {
		t.Fatalf("size %d, file %d", size, st.Size())
	}
	var msgs []string
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan(); n++ {
		ts, rest, _ := strings.Cut(sc.Text(), " ")
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || !at.Equal(start.Add(time.Duration(n)*time.Millisecond+3*time.Microsecond)) {
			t.Fatalf("line %d: time %q: %v", n, ts, err)
		}
		msg, ok := strings.CutPrefix(rest, "stdout F ")
		if !ok {
			t.Fatalf("line %d is not CRI: %q", n, rest)
		}
		msgs = append(msgs, msg)
	}
	if len(msgs) != lines {
		t.Fatalf("%d lines", len(msgs))
	}
	for _, s := range l1Searches {
		p, err := pattern.Parse(s.pattern)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, m := range msgs {
			if p.Match(m) != strings.Contains(m, s.grep) {
				t.Fatalf("%s and grep -F %s disagree on %s", s.pattern, s.grep, m)
			}
			if p.Match(m) {
				found++
			}
		}
		if found != l1Matches(lines) {
			t.Errorf("%s finds %d lines, want %d", s.pattern, found, l1Matches(lines))
		}
	}
}
