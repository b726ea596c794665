// Command kubectl-berth is Berth's kubectl plugin: put it on PATH and run
// `kubectl berth import task-definition.json | kubectl apply -f -`.
package main

import (
	"fmt"
	"os"

	"github.com/berth-dev/berth/internal/importer"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "import" {
		fmt.Fprintln(os.Stderr, "Usage: kubectl berth import [flags] [FILE|-]...  (kubectl berth import -h for the flags)")
		os.Exit(2)
	}
	os.Exit(importer.Main(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
}
