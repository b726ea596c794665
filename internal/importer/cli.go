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
// (task definitions, services, clusters, capacity providers) and
// Application Auto Scaling JSON from files or stdin ("-") and writes
// TaskDefinition, Service, Cluster, CapacityProvider and ScalableTarget
// manifests to stdout, separated by "---", and what it dropped or
// converted to stderr. It returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts Options
	fs.StringVar(&opts.Namespace, "namespace", "", "namespace of the manifests, CapacityProviders (cluster-scoped) excepted (default: none, kubectl's)")
	fs.StringVar(&opts.Name, "name", "", "object name (default: the family, the service, cluster or capacity provider name, or the service of a scalable target's resource ID, in lower case, '_' as '-'); one object only")
	fs.StringVar(&opts.Family, "family", "", "family of a bare containerDefinitions array (default: the file name); overrides the input's")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: berth import [flags] [FILE|-]...

Turns ECS JSON into Berth manifests; apply the result with kubectl apply -f -.
What each input is, is read from its JSON:

  Task definitions → TaskDefinition, one per input: RegisterTaskDefinition
  input, aws ecs describe-task-definition output, or a bare
  containerDefinitions array (Terraform).

  Services → Service, clusters → Cluster, capacity providers →
  CapacityProvider (cluster-scoped: no namespace), one per resource: the
  output of aws ecs describe-services, describe-clusters and
  describe-capacity-providers (or of a create-, update- or delete- call of
  one), or CreateService, CreateCluster and CreateCapacityProvider input.
  Read-only members are dropped, clusterArn becomes the cluster's name,
  roleArn role; INACTIVE (and DRAINING) resources, ECS's FARGATE and
  FARGATE_SPOT (Berth has its own) and Managed Instances providers are
  skipped; the failures of a describe- output are reported. Objects are
  named after the ECS name, in lower case, '_' as '-'.

  Application Auto Scaling → ScalableTarget: the output of aws
  application-autoscaling describe-scalable-targets, describe-scaling-policies
  and describe-scheduled-actions, or RegisterScalableTarget, PutScalingPolicy
  and PutScheduledAction input. Everything that names the same ECS service
  (resource ID), across all inputs, becomes one ScalableTarget:
    berth import targets.json policies.json actions.json
  A policy or action without its scalable target in the inputs is an error,
  as in AAS. AAS names the CloudWatch alarms of a step scaling policy but
  does not describe them: write them into the policy's alarms (the output
  has a skeleton; until then the API server refuses the ScalableTarget).

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
	r := importRun{opts: opts, stderr: stderr, out: &docWriter{w: stdout, separate: len(inputs) > 1}}
	tds := r.readAll(inputs, stdin)
	targets, errs := r.scaling.Build(opts)
	for _, err := range errs {
		r.fail(err)
	}
	if r.scalingInputs > 0 && len(targets) == 0 && len(errs) == 0 {
		fmt.Fprintln(stderr, "berth import: the Application Auto Scaling input has no scalable target of an ECS service")
	}
	if objects := len(tds) + len(targets) + r.resources.Len(); opts.Name != "" && objects > 1 {
		if len(targets) == 0 && r.resources.Len() == 0 {
			fmt.Fprintln(stderr, "berth import: --name needs exactly one input")
		} else {
			fmt.Fprintf(stderr, "berth import: --name names one object, and the inputs make %d\n", objects)
		}
		return 2
	}
	resources, errs := r.resources.Build(opts)
	for _, err := range errs {
		r.fail(err)
	}
	r.out.separate = r.out.separate || len(tds)+len(targets)+len(resources) > 1
	r.writeAll(tds, resources, targets)
	return r.code
}

// writeAll writes the manifests, what others name first: capacity
// providers, clusters, task definitions, services, scalable targets.
func (r *importRun) writeAll(tds []taskDefinitionInput, resources, targets []*Result) {
	services := len(resources)
	for i, res := range resources {
		if res.Object["kind"] == serviceKind.kind {
			services = i
			break
		}
	}
	for _, res := range resources[:services] {
		r.print(res.Label, res)
	}
	for _, td := range tds {
		r.taskDefinition(td)
	}
	for _, res := range resources[services:] {
		r.print(res.Label, res)
	}
	for _, t := range targets {
		r.print(t.Label, t)
	}
}

type taskDefinitionInput struct {
	name string
	raw  []byte
}

// importRun is one `berth import`.
type importRun struct {
	opts    Options
	stderr  io.Writer
	out     *docWriter
	scaling AutoScaling
	// scalingInputs counts the Application Auto Scaling inputs.
	scalingInputs int
	// resources are the services, clusters and capacity providers.
	resources Resources
	code      int
}

// readAll reads the inputs, adds the Application Auto Scaling ones and the
// ECS services, clusters and capacity providers, and returns the others:
// task definitions.
func (r *importRun) readAll(inputs []string, stdin io.Reader) []taskDefinitionInput {
	var tds []taskDefinitionInput
	for _, in := range inputs {
		raw, err := read(in, stdin)
		if err != nil {
			r.fail(err)
			continue
		}
		if doc, ok := ParseAutoScaling(raw); ok {
			r.addAutoScaling(in, doc)
			continue
		}
		if doc, ok := ParseResource(raw); ok {
			changes, errs := r.resources.Add(in, doc)
			r.report(in, changes, errs)
			continue
		}
		tds = append(tds, taskDefinitionInput{in, raw})
	}
	return tds
}

func (r *importRun) fail(err error) {
	fmt.Fprintf(r.stderr, "berth import: %v\n", err)
	r.code = 1
}

func (r *importRun) addAutoScaling(in string, doc any) {
	r.scalingInputs++
	changes, errs := r.scaling.Add(in, doc)
	r.report(in, changes, errs)
}

// report writes what adding input in changed, and its errors.
func (r *importRun) report(in string, changes []Change, errs []error) {
	for _, c := range changes {
		fmt.Fprintf(r.stderr, "%s: %s\n", in, c)
	}
	for _, err := range errs {
		r.fail(err)
	}
}

func (r *importRun) taskDefinition(td taskDefinitionInput) {
	o := r.opts
	if o.Family == "" && td.name != "-" && strings.HasPrefix(strings.TrimSpace(string(td.raw)), "[") {
		o.Family = FamilyFromFileName(strings.TrimSuffix(filepath.Base(td.name), filepath.Ext(td.name)))
	}
	res, err := Import(td.raw, o)
	if err != nil {
		r.fail(fmt.Errorf("%s: %w", td.name, err))
		return
	}
	r.print(td.name, res)
}

// print writes the changes and the manifest of res; label names it in
// messages.
func (r *importRun) print(label string, res *Result) {
	for _, c := range res.Changes {
		fmt.Fprintf(r.stderr, "%s: %s\n", label, c)
	}
	out, err := res.YAML()
	if err != nil {
		r.fail(fmt.Errorf("%s: %w", label, err))
		return
	}
	r.out.write(out)
}

// docWriter writes manifests, each after "---" when there may be several.
type docWriter struct {
	w        io.Writer
	separate bool
}

func (d *docWriter) write(doc []byte) {
	if d.separate {
		fmt.Fprintln(d.w, "---")
	}
	_, _ = d.w.Write(doc)
}

func read(in string, stdin io.Reader) ([]byte, error) {
	if in == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(in)
}
