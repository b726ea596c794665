package v1alpha1

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/berth-dev/berth/internal/testutil"
)

// The corpus tests send ECS CreateService inputs, as people keep them,
// through the API server as Berth Services, with strict field validation so
// that no unknown or misspelt member is silently dropped. Every file must be
// accepted, except the ones listed in the expectations table with a
// substring of the API server's message: the files ECS itself would refuse.
// One runner serves both corpora: the project's own fixtures
// (testdata/corpus, TestCorpusFixtures, run by `make test`) and the
// real-world corpus kept outside the repository (TestCorpus, build tag
// corpus, run by `make corpus`).

// serviceCorpusCounts is what runServiceCorpus saw.
type serviceCorpusCounts struct {
	files, accepted, rejected int
}

// runServiceCorpus checks every dir/services/*.json against rejected, keyed
// by the file's path relative to dir ("services/<file>"). It fails the test
// when the directory has no files or when an entry of rejected names no file.
func runServiceCorpus(t *testing.T, dir string, rejected map[string]string) serviceCorpusCounts {
	t.Helper()
	_, strict := testEnv(t)
	files, err := filepath.Glob(filepath.Join(dir, "services", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s: %v", filepath.Join(dir, "services"), err)
	}
	sort.Strings(files)
	seen := map[string]bool{}
	counts := serviceCorpusCounts{files: len(files)}
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		t.Run(rel, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var spec any
			if err := utiljson.Unmarshal(raw, &spec); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			obj := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
			obj.SetAPIVersion(GroupVersion.String())
			obj.SetKind("Service")
			obj.SetNamespace(corpusNamespace)
			obj.SetName(testutil.CorpusObjectName(rel))

			err = strict.Create(testContext(t), obj)
			want, expectReject := rejected[rel]
			switch {
			case err == nil && expectReject:
				deleteAfter(t, strict, obj)
				t.Fatalf("accepted, but listed as rejected (%q)", want)
			case err == nil:
				deleteAfter(t, strict, obj)
				counts.accepted++
			case !expectReject:
				t.Fatalf("rejected: %v", err)
			case apierrors.IsAlreadyExists(err):
				t.Fatalf("name clash: %v", err)
			case !strings.Contains(err.Error(), want):
				t.Fatalf("rejected, but not with %q: %v", want, err)
			default:
				counts.rejected++
				t.Logf("rejected as expected: %v", err)
			}
		})
	}
	for _, f := range slices.Sorted(maps.Keys(rejected)) {
		if !seen[f] {
			t.Errorf("%s is listed as rejected but is not in %s", f, dir)
		}
	}
	t.Logf("%s: %d Services: %d accepted, %d rejected as expected", dir, counts.files, counts.accepted, counts.rejected)
	return counts
}
