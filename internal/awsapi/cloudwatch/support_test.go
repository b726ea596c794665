package cloudwatch

import (
	"flag"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/awsapi/cwwire"
	"github.com/berth-dev/berth/internal/awsapi/supporttable"
)

var update = flag.Bool("update", false, "rewrite the CloudWatch operations table in docs/metrics.md")

// supportTable is SupportOf as a supporttable: it answers for every
// operation, and served lists those it names one by one.
var supportTable = supporttable.Table{
	API: "CloudWatch", Operations: cwwire.Operations, Listed: slices.Collect(maps.Keys(served)),
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

// TestOperationsTableIsCurrent checks the generated table in docs/metrics.md.
func TestOperationsTableIsCurrent(t *testing.T) {
	var b strings.Builder
	supportTable.Write(&b, "CloudWatch 2010-08-01", "Unsupported, with the reason they answer with (InvalidAction):")
	supporttable.CheckDoc(t, filepath.Join("..", "..", "..", "docs", "metrics.md"),
		"<!-- cloudwatch operations: begin (go test ./internal/awsapi/cloudwatch -update) -->\n", "<!-- cloudwatch operations: end -->\n", []byte(b.String()), *update)
}
