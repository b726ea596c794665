package importer

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Main runs `berth import` (also `kubectl berth import`): it reads ECS JSON
// from files or stdin ("-") and writes TaskDefinition manifests to stdout,
// separated by "---", and what it dropped or converted to stderr. It returns
// the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts Options
	fs.StringVar(&opts.Namespace, "namespace", "", "namespace of the manifests (default: none, kubectl's)")
	fs.StringVar(&opts.Name, "name", "", "object name (default: the family in lower case, '_' as '-'); one input only")
	fs.StringVar(&opts.Family, "family", "", "family of a bare containerDefinitions array (default: the file name); overrides the input's")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: berth import [flags] [FILE|-]...

Turns ECS task definition JSON into Berth TaskDefinition manifests:
RegisterTaskDefinition input, aws ecs describe-task-definition output, or a
bare containerDefinitions array (Terraform). Apply the result with
kubectl apply -f -.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	if opts.Name != "" && len(inputs) > 1 {
		fmt.Fprintln(stderr, "berth import: --name needs exactly one input")
		return 2
	}
	code := 0
	for i, in := range inputs {
		raw, err := read(in, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "berth import: %v\n", err)
			code = 1
			continue
		}
		o := opts
		if o.Family == "" && in != "-" && strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
			o.Family = FamilyFromFileName(strings.TrimSuffix(filepath.Base(in), filepath.Ext(in)))
		}
		res, err := Import(raw, o)
		if err != nil {
			fmt.Fprintf(stderr, "berth import: %s: %v\n", in, err)
			code = 1
			continue
		}
		for _, c := range res.Changes {
			fmt.Fprintf(stderr, "%s: %s\n", in, c)
		}
		out, err := res.YAML()
		if err != nil {
			fmt.Fprintf(stderr, "berth import: %s: %v\n", in, err)
			code = 1
			continue
		}
		if i > 0 || len(inputs) > 1 {
			fmt.Fprintln(stdout, "---")
		}
		_, _ = stdout.Write(out)
	}
	return code
}

func read(in string, stdin io.Reader) ([]byte, error) {
	if in == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(in)
}
