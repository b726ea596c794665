package importer

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/testutil"
	"github.com/berth-dev/berth/internal/translate"
)

var update = flag.Bool("update", false, "rewrite docs/corpus.md")

// The corpus test imports every task definition of ../shared/corpus/taskdefs
// (real files from public repositories) as `berth import` does, applies it
// to a real API server with strict field validation, translates what is
// accepted into the pods of a standalone task and of a service task, and
// has the API server validate those pods (a server-side dry run). Every
// file must be accepted and give valid pods, except the ones listed below
// with the reason and the message that must name the offending field. The
// outcome of every file is the report docs/corpus.md.

// corpusNotJSON are files that are not JSON at all.
var corpusNotJSON = map[string]string{
	"RaduLupan__terraform-windows-containers__ecs-fargate-container-definition.json.tpl.json":       "Terraform templatefile: bare ${container_port} placeholders",
	"aws-observability__aws-otel-collector__examples-ecs-aws-cloudwatch-ecs-ec2-sidecar.json":       "bare {{command}} mustache placeholder",
	"aws-samples__amazon-ecs-firelens-examples__examples-fluent-bit-dynatrace-task-definition.json": "missing comma (line 34)",
	"aws__aws-app-mesh-examples__walkthroughs-fargate-envoy-container.json":                         "jq/envsubst template: bare $ENVOY_IMAGE",
	"aws__aws-app-mesh-examples__walkthroughs-fargate-fargate-colorteller-task-def.json":            "jq template: bare $NAME and spliced $..._CONTAINER_JSON",
	"aws__aws-app-mesh-examples__walkthroughs-fargate-xray-container.json":                          "envsubst template: bare $ECS_SERVICE_LOG_GROUP",
	"aws__aws-for-fluent-bit__load_tests-task_definitions-cloudwatch.json":                          "envsubst template: bare $LOG_CONFIGURATION",
}

// corpusRejected are the files ECS itself would refuse, with a substring
// of the API server's message (which names the field) and the reason.
var corpusRejected = map[string]struct{ message, reason string }{
	"DataDog__documentation__static-resources-json-datadog-agent-ecs-fargate.json": {
		`spec.family: Invalid value: "<TASK_NAME>": spec.family in body should match '^[a-zA-Z0-9_-]+$'`,
		"documentation template: family <TASK_NAME> is an unfilled placeholder"},
	"DataDog__documentation__static-resources-json-datadog-agent-ecs-managed-instances-daemon.json": {
		`spec.family: Invalid value: "<TASK_NAME>": spec.family in body should match '^[a-zA-Z0-9_-]+$'`,
		"documentation template: family <TASK_NAME> is an unfilled placeholder"},
	"aws-samples__amazon-cloudwatch-container-insights__ecs-task-definition-templates-deployment-mode-replica-service-cwagent-prometheus-cwagent-prometheus-task-definition.json": {
		`spec.networkMode: Unsupported value: "{{networkmode}}"`,
		"template: unfilled {{launchtype}}/{{networkmode}} placeholders"},
	"aws-samples__aws-containers-task-definitions__kibana-kibana_ec2.json": {
		"When networkMode=awsvpc, the host ports and container ports in port mappings must match.",
		"awsvpc with hostPort 80 for containerPort 5601 (PortMapping docs: must be equal)"},
	"aws__amazon-ecs-agent__agent-functional_tests-testdata-taskdefinitions-security-opt-nonewprivileges-task-definition.json": {
		`unknown field "spec.containerDefinitions[0].portBindings"`,
		"ECS agent test fixture: portBindings is Docker's name, not a ContainerDefinition member"},
	"aws__amazon-ecs-agent__agent-functional_tests-testdata-taskdefinitions-task-elastic-inference-task-definition.json": {
		`unknown field "spec.containerDefinitions[0].inferenceDevices"`,
		"ECS agent test fixture: inferenceDevices is the agent's internal name"},
	"warpstreamlabs__terraform-aws-warpstream__container-definitions.json": {
		"at least one of 'memory' or 'memoryReservation' must be specified",
		"a bare container list whose task-level memory lives elsewhere in Terraform; on its own ECS refuses it"},
}

type corpusRow struct {
	file, outcome, detail string
	notes                 []translate.Note
	changes               []Change
}

func TestCorpus(t *testing.T) {
	c := apiClient
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const ns = "corpus"
	namespaceWithAccount(t, ctx, ns)
	strict := client.WithFieldValidation(c, metav1.FieldValidationStrict)

	dir := filepath.Join("..", "..", "..", "shared", "corpus", "taskdefs")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", dir, err)
	}
	sort.Strings(files)
	seen := map[string]bool{}
	var rows []corpusRow
	for _, path := range files {
		file := filepath.Base(path)
		seen[file] = true
		row := corpusRow{file: file}
		t.Run(file, func(t *testing.T) {
			row = checkCorpusFile(t, ctx, c, strict, ns, path)
		})
		rows = append(rows, row)
	}
	for f := range corpusNotJSON {
		if !seen[f] {
			t.Errorf("%s is listed in corpusNotJSON but is not in the corpus", f)
		}
	}
	for f := range corpusRejected {
		if !seen[f] {
			t.Errorf("%s is listed in corpusRejected but is not in the corpus", f)
		}
	}
	checkReport(t, rows)
}

func checkCorpusFile(t *testing.T, ctx context.Context, c, strict client.Client, ns, path string) corpusRow {
	file := filepath.Base(path)
	row := corpusRow{file: file}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Name: testutil.CorpusObjectName(file), Namespace: ns}
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		opts.Family = FamilyFromFileName(strings.TrimSuffix(file, ".json"))
	}
	res, err := Import(raw, opts)
	if err != nil {
		reason, listed := corpusNotJSON[file]
		if !listed {
			t.Fatalf("import failed, and the file is not listed in corpusNotJSON: %v", err)
		}
		row.outcome, row.detail = "not JSON", reason
		return row
	}
	if reason, listed := corpusNotJSON[file]; listed {
		t.Fatalf("listed in corpusNotJSON (%s), but imports", reason)
	}
	row.changes = res.Changes
	obj := &unstructured.Unstructured{Object: res.Object}
	err = strict.Create(ctx, obj)
	want, expectReject := corpusRejected[file]
	switch {
	case err == nil && expectReject:
		t.Fatalf("accepted, but listed in corpusRejected (%q)", want.message)
	case err != nil && !expectReject:
		t.Fatalf("rejected at admission: %v", err)
	case err != nil && !strings.Contains(err.Error(), want.message):
		t.Fatalf("rejected, but not with %q: %v", want.message, err)
	case err != nil:
		row.outcome, row.detail = "rejected at admission (expected)", want.reason+": "+want.message
		return row
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), obj) })

	td := &ecsv1alpha1.TaskDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, td); err != nil {
		t.Fatal(err)
	}
	spec := &td.Spec.RegisterTaskDefinitionInput
	notes, err := translate.Report(spec)
	var invalid *translate.InvalidError
	if errors.As(err, &invalid) {
		t.Fatalf("Berth cannot run it: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	row.notes = notes
	placement := translate.Placement{LaunchType: ecsv1alpha1.LaunchTypeEc2}
	for _, compat := range spec.RequiresCompatibilities {
		if compat == ecsv1alpha1.CompatibilityFargate {
			placement.LaunchType = ecsv1alpha1.LaunchTypeFargate
		}
	}
	for _, kind := range []translate.TaskKind{translate.StandaloneTask, translate.ServiceTask} {
		pt, err := translate.TranslatePod(spec, placement, kind)
		if err != nil {
			t.Fatalf("translate (%v): %v", kind, err)
		}
		pod := &corev1.Pod{}
		pod.Name, pod.Namespace, pod.Annotations = td.Name, ns, pt.Annotations
		if err := convert(pt.Spec, &pod.Spec); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, pod, client.DryRunAll); err != nil {
			t.Fatalf("the translated pod (kind %v, %s) fails Kubernetes validation: %v", kind, placement.LaunchType, err)
		}
	}
	row.outcome = "accepted"
	return row
}

// convert turns an apply configuration into the typed object.
func convert(from, to any) error {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(from)
	if err != nil {
		return err
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u, to)
}

func checkReport(t *testing.T, rows []corpusRow) {
	t.Helper()
	var b bytes.Buffer
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.outcome]++
	}
	fmt.Fprintf(&b, `# Corpus report

Generated by `+"`go test ./internal/importer -run TestCorpus -update`"+`: every task definition in
`+"`../shared/corpus/taskdefs`"+` (real files from public repositories) is imported as `+"`berth import`"+`
does, applied to a real kube-apiserver with strict field validation, and, when accepted, translated
into the pods of a standalone task and of a service task, which the API server validates (a
server-side dry run). The test fails when a file that should be accepted is not, or when this
report is out of date.

%d files: %d accepted, %d rejected at admission (expected: ECS refuses them too), %d not JSON
(templates).

| File | Outcome | Imported with | Fields approximated (A) or unsupported (U) |
|---|---|---|---|
`, len(rows), counts["accepted"], counts["rejected at admission (expected)"], counts["not JSON"])
	for _, r := range rows {
		var changes, notes []string
		for _, c := range r.changes {
			changes = append(changes, c.Action+" `"+c.Path+"`")
		}
		for _, n := range r.notes {
			notes = append(notes, string(n.Level[0])+" `"+n.Path+"`")
		}
		outcome := r.outcome
		if r.detail != "" {
			outcome += ": " + strings.ReplaceAll(r.detail, "|", "\\|")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.file, outcome, strings.Join(changes, ", "), strings.Join(notes, ", "))
	}
	path := filepath.Join("..", "..", "docs", "corpus.md")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/importer -run TestCorpus -update)", err)
	}
	if !bytes.Equal(have, b.Bytes()) {
		t.Errorf("%s is out of date: run go test ./internal/importer -run TestCorpus -update", path)
	}
}

var apiClient client.Client

// TestMain starts kube-apiserver and etcd with Berth's CRDs for the tests
// that need an API server.
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s", "1.37.2")
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	// Stop also after a failed Start: it may fail after etcd and
	// kube-apiserver started.
	defer func() { _ = env.Stop() }()
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest (run `make k8s-bin` first):", err)
		return 1
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = ecsv1alpha1.AddToScheme(scheme)
	if apiClient, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// namespaceWithAccount creates a namespace and its default ServiceAccount,
// which the ServiceAccount admission plugin needs for pods.
func namespaceWithAccount(t *testing.T, ctx context.Context, ns string) {
	t.Helper()
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}},
	} {
		if err := apiClient.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
}

// TestGoldenObjectsAreValid has the API server validate (a server-side dry
// run) every Deployment and Pod of the translation's golden files.
func TestGoldenObjectsAreValid(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	files, _ := filepath.Glob(filepath.Join("..", "translate", "testdata", "*", "want.golden.yaml"))
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	checked := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if k := obj.GetKind(); k != "Deployment" && k != "Pod" {
				continue
			}
			namespaceWithAccount(t, ctx, obj.GetNamespace())
			obj.SetOwnerReferences(nil) // the owners do not exist here
			if err := apiClient.Create(ctx, obj, client.DryRunAll); err != nil {
				t.Errorf("%s: %s %s: %v", f, obj.GetKind(), obj.GetName(), err)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("only %d objects checked", checked)
	}
}
