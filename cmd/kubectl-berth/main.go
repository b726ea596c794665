// Command kubectl-berth is Berth's kubectl plugin: put it on PATH and run
// `kubectl berth import task-definition.json | kubectl apply -f -`, or
// `kubectl berth logs service/web` for a service's tasks' output.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/berth-dev/berth/internal/importer"
	"github.com/berth-dev/berth/internal/logs/tail"
)

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "import" && os.Args[1] != "logs") {
		fmt.Fprintln(os.Stderr, "Usage: kubectl berth import [flags] [FILE|-]...  (kubectl berth import -h for the flags)")
		fmt.Fprintln(os.Stderr, "       kubectl berth logs service/NAME|task/ID [flags]  (kubectl berth logs -h for the flags)")
		os.Exit(2)
	}
	if os.Args[1] == "logs" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := tail.Main(ctx, os.Args[2:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(importer.Main(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
}
