package v1alpha1

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/internal/testutil"
)

// One kube-apiserver + etcd serves every envtest test of the package. It is
// started by the first test that needs it (so the pure tests run without
// it) and stopped by TestMain.

// k8sVersion is the version of the control-plane binaries `make k8s-bin`
// builds into bin/k8s/<version>.
const k8sVersion = "1.37.2"

var shared struct {
	once    sync.Once
	env     *envtest.Environment
	client  client.Client // default field validation (the server's: Warn)
	strict  client.Client // strict field validation: unknown fields are errors
	scheme  *runtime.Scheme
	minor   int // the API server's minor version (1.<minor>)
	err     error
	started bool
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		code = checkRuleCoverage(os.Stdout)
	}
	if shared.started {
		if err := shared.env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	}
	os.Exit(code)
}

// testEnv returns clients of the shared API server, starting it on first use.
func testEnv(t *testing.T) (c, strict client.Client) {
	t.Helper()
	root := moduleRoot(t)
	shared.once.Do(func() { shared.err = startEnv(root) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.client, shared.strict
}

func startEnv(root string) error {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s", k8sVersion)
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, b)); err != nil {
			return fmt.Errorf("envtest needs %s in %s (KUBEBUILDER_ASSETS or bin/k8s/%s): run `make k8s-bin` first: %w", b, assets, k8sVersion, err)
		}
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(corev1.AddToScheme(scheme))
	utilruntime.Must(AddToScheme(scheme))

	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
	}
	// KUBEBUILDER_ASSETS, when set, wins inside envtest too; both name the
	// same directory here.
	cfg, err := env.Start()
	if err != nil {
		// A CRD whose CEL rule does not compile fails here, with etcd and
		// kube-apiserver already running: stop them.
		_ = env.Stop()
		return fmt.Errorf("starting envtest (kube-apiserver + etcd from %s) and installing the CRDs: %w", assets, err)
	}
	shared.env, shared.started, shared.scheme = env, true, scheme

	if shared.minor, err = testutil.ServerMinor(cfg); err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	shared.client = c
	shared.strict = client.WithFieldValidation(c, metav1.FieldValidationStrict)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, ns := range []string{validationNamespace, corpusNamespace} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

const (
	validationNamespace = "validation"
	corpusNamespace     = "corpus"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newObject builds an unstructured Berth object of kind with the given name
// and namespace ("" for the cluster-scoped CapacityProvider), and spec
// parsed from YAML. Unstructured objects reach the server as written, so
// unknown fields are not dropped on the client side.
func newObject(t *testing.T, kind, namespace, name, specYAML string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion(GroupVersion.String())
	u.SetKind(kind)
	u.SetName(name)
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	if specYAML != "" {
		var spec map[string]any
		if err := yaml.Unmarshal([]byte(specYAML), &spec); err != nil {
			t.Fatalf("bad spec YAML in test: %v", err)
		}
		u.Object["spec"] = spec
	}
	return u
}

// deleteAfter deletes obj when the test ends, so that the tests can run
// again against the same API server (go test -count=N).
func deleteAfter(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting %s %s: %v", obj.GetObjectKind().GroupVersionKind().Kind, client.ObjectKeyFromObject(obj), err)
		}
	})
}

// cause is one field error of an Invalid response.
type cause struct {
	Field   string
	Message string
}

func (c cause) String() string { return fmt.Sprintf("%s: %s", c.Field, c.Message) }

// invalidCauses returns the causes of an Invalid (422) error, sorted, and
// fails the test when err is not one.
func invalidCauses(t *testing.T, err error) []cause {
	t.Helper()
	if err == nil {
		t.Fatal("expected the API server to reject the object, but it was accepted")
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("expected an Invalid error, got %T: %v", err, err)
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		t.Fatalf("Invalid error without details: %v", err)
	}
	var res []cause
	for _, c := range status.Status().Details.Causes {
		res = append(res, cause{Field: c.Field, Message: ruleMessage(c.Message)})
	}
	sort.Slice(res, func(i, j int) bool { return res[i].String() < res[j].String() })
	return res
}

// ruleMessage is msg, a cause's message, in the words of Kubernetes 1.35+:
// before 1.35, the API server gives a failed CEL rule of an object or a
// list the type as its value (Invalid value: "object": <message>), where
// 1.35 gives none (see rule in validation_test.go).
func ruleMessage(msg string) string {
	if shared.minor >= 35 {
		return msg
	}
	for _, typ := range []string{`"object"`, `"array"`} {
		if rest, ok := strings.CutPrefix(msg, "Invalid value: "+typ+": "); ok {
			return "Invalid value: " + rest
		}
	}
	return msg
}

// expectCauses asserts that err is Invalid with exactly the wanted causes.
func expectCauses(t *testing.T, err error, want ...cause) {
	t.Helper()
	got := invalidCauses(t, err)
	sort.Slice(want, func(i, j int) bool { return want[i].String() < want[j].String() })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		var g, w []string
		for _, c := range got {
			g = append(g, fmt.Sprintf("%q: %q", c.Field, c.Message))
		}
		for _, c := range want {
			w = append(w, fmt.Sprintf("%q: %q", c.Field, c.Message))
		}
		t.Errorf("rejection causes differ\n got:\n  %s\nwant:\n  %s\nfull error: %v", strings.Join(g, "\n  "), strings.Join(w, "\n  "), err)
		return
	}
	recordCauses(err, want)
}
