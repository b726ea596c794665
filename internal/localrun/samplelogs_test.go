package localrun

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/logs/pattern"
)

// TestSampleLogLines: the sample output gives the filter patterns the
// quick start prints something to find, and is valid JSON for them.
func TestSampleLogLines(t *testing.T) {
	errs, slow := 0, 0
	isErr, _ := pattern.Parse(`{ $.level = "error" }`)
	isSlow, _ := pattern.Parse(`{ $.latency > 500 }`)
	for i := range 20 {
		line := sampleLogLine(i)
		if !strings.HasPrefix(line, "{") {
			t.Fatalf("line %d is not JSON: %s", i, line)
		}
		if isErr.Match(line) {
			errs++
		}
		if isSlow.Match(line) {
			slow++
		}
	}
	if errs != 2 || slow != 2 {
		t.Errorf("in the first 20 lines: %d errors, %d slow requests; want 2 and 2", errs, slow)
	}
}
