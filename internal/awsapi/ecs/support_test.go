package ecs

import (
	"flag"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/awsapi/aas"
	"github.com/berth-dev/berth/internal/awsapi/aaswire"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/awsapi/supporttable"
)

var update = flag.Bool("update", false, "rewrite the operations table in docs/ecs-api.md")

// ecsTable is Operations as a supporttable: an operation of the model it
// does not list is not accounted for.
var ecsTable = supporttable.Table{
	API: "ECS", Operations: ecswire.Operations, Listed: slices.Collect(maps.Keys(Operations)),
	Support: func(op string) (supporttable.Support, bool) {
		s, ok := Operations[op]
		return supporttable.Support(s), ok
	},
}

// aasTable is aas.Operations, the same way.
var aasTable = supporttable.Table{
	API: "Application Auto Scaling", Operations: aaswire.Operations, Listed: slices.Collect(maps.Keys(aas.Operations)),
	Support: func(op string) (supporttable.Support, bool) {
		s, ok := aas.Operations[op]
		return supporttable.Support(s), ok
	},
}

// TestEveryOperationIsAccounted fails when the model has an operation the
// table does not list, or the table lists one the model does not have, or
// the table and the handlers disagree.
func TestEveryOperationIsAccounted(t *testing.T) {
	ecsTable.CheckAccounted(t, New(Options{}))
}

// TestEveryAutoScalingOperationIsAccounted is TestEveryOperationIsAccounted
// for Application Auto Scaling.
func TestEveryAutoScalingOperationIsAccounted(t *testing.T) {
	aasTable.CheckAccounted(t, aas.New())
}

// TestOperationsTableIsCurrent checks the generated table in docs/ecs-api.md.
func TestOperationsTableIsCurrent(t *testing.T) {
	var b strings.Builder
	b.WriteString("### Amazon ECS (`AmazonEC2ContainerServiceV20141113`)\n\n")
	ecsTable.Write(&b, "ECS 2014-11-13", "")
	b.WriteString("\n### Application Auto Scaling (`AnyScaleFrontendService`)\n\n")
	aasTable.Write(&b, "Application Auto Scaling 2016-02-06", "")
	supporttable.CheckDoc(t, filepath.Join("..", "..", "..", "docs", "ecs-api.md"),
		"<!-- operations: begin (go test ./internal/awsapi/ecs -update) -->\n", "<!-- operations: end -->\n", []byte(b.String()), *update)
}
