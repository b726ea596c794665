package logs

import (
	"flag"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/awsapi/logswire"
	"github.com/berth-dev/berth/internal/awsapi/supporttable"
)

var update = flag.Bool("update", false, "rewrite the operations table in docs/logs.md")

// supportTable is SupportOf as a supporttable: it answers for every
// operation, and served lists those it names one by one.
var supportTable = supporttable.Table{
	API: "CloudWatch Logs", Operations: logswire.Operations, Listed: slices.Collect(maps.Keys(served)),
	Support: func(op string) (supporttable.Support, bool) {
		s := SupportOf(op)
		return supporttable.Support(s), true
	},
}

// TestEveryOperationIsAccounted: what the table says is served has a
// handler, and only that; every operation has a reason.
func TestEveryOperationIsAccounted(t *testing.T) {
	supportTable.CheckAccounted(t, New(Options{}))
}

// TestOperationsTableIsCurrent checks the generated table in docs/logs.md.
func TestOperationsTableIsCurrent(t *testing.T) {
	var b strings.Builder
	supportTable.Write(&b, "CloudWatch Logs 2014-03-28", "Unsupported, with the reason they answer with:")
	supporttable.CheckDoc(t, filepath.Join("..", "..", "..", "docs", "logs.md"),
		"<!-- operations: begin (go test ./internal/awsapi/logs -update) -->\n", "<!-- operations: end -->\n", []byte(b.String()), *update)
}
