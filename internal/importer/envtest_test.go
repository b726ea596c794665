package importer

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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
)

var update = flag.Bool("update", false, "rewrite the golden files and reports (with -tags corpus: docs/corpus.md)")

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
	if _, err := testutil.ServerMinor(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
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
