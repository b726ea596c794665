package reliability

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
)

// envFigures names the JSON file the figures of a run go to (make
// reliability: docs/reliability/figures.json, which docs/reliability.md
// quotes; a test in docs checks that it quotes them right).
const envFigures = "BERTH_RELIABILITY_FIGURES"

var figuresMu sync.Mutex

// figure logs a measured figure and, when envFigures names a file, records
// it there under id once the test has passed (one line of text per id; a
// later run replaces it): a failing run's figures are not published.
func figure(t *testing.T, id, format string, args ...any) {
	t.Helper()
	text := fmt.Sprintf(format, args...)
	t.Logf("%s: %s", id, text)
	path := os.Getenv(envFigures)
	if path == "" {
		return
	}
	t.Cleanup(func() {
		if !t.Failed() {
			record(t, path, id, text)
		}
	})
}

func record(t *testing.T, path, id, text string) {
	figuresMu.Lock()
	defer figuresMu.Unlock()
	figures := map[string]string{}
	if raw, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(raw, &figures); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	figures[id] = text
	raw, err := json.MarshalIndent(figures, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
