package v1alpha1

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/berth-dev/berth/internal/testutil"
)

// The corpus test sends real-world ECS documents (../shared/corpus: task
// definitions and create-service inputs collected from public repositories)
// through the API server as Berth objects, with strict field validation so
// that no unknown or misspelt member is silently dropped. Every file must be
// accepted, except the ones listed below with the reason they are invalid
// for ECS itself.

// corpusRejected are the files ECS itself would refuse, with a substring of
// the API server's message and the reason.
var corpusRejected = map[string]string{
	// An UpdateService input: it names the service with "service", which is
	// not a CreateService member (ECS: "Unknown parameter in input").
	"services/aws-samples__sample-amazon-ecs-blue-green-deployment-patterns__ecs-bluegreen-service-connect-service_backend_update.template.json": `unknown field "spec.service"`,
	// Exported by ecspresso from DescribeServices: platformFamily and
	// resourceManagementType are members of the Service output, not of
	// CreateService's input (ECS: "Unknown parameter in input").
	"services/neilkuan__cdk-agent-broker__ecs-service-def.json": `unknown field "spec.platformFamily", unknown field "spec.resourceManagementType"`,
}

// TestCorpus covers the Services of the corpus; its task definitions go
// through `berth import` and the translation in internal/importer's corpus
// test.
func TestCorpus(t *testing.T) {
	_, strict := testEnv(t)
	dir := filepath.Join(moduleRoot(t), "..", "shared", "corpus")
	files, err := filepath.Glob(filepath.Join(dir, "services", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s: %v", filepath.Join(dir, "services"), err)
	}
	sort.Strings(files)
	seen := map[string]bool{}
	accepted, rejected := 0, 0
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
			want, expectReject := corpusRejected[rel]
			switch {
			case err == nil && expectReject:
				deleteAfter(t, strict, obj)
				t.Fatalf("accepted, but listed in corpusRejected (%q)", want)
			case err == nil:
				deleteAfter(t, strict, obj)
				accepted++
			case !expectReject:
				t.Fatalf("rejected: %v", err)
			case apierrors.IsAlreadyExists(err):
				t.Fatalf("name clash: %v", err)
			case !strings.Contains(err.Error(), want):
				t.Fatalf("rejected, but not with %q: %v", want, err)
			default:
				rejected++
				t.Logf("rejected as expected: %v", err)
			}
		})
	}
	for f := range corpusRejected {
		if !seen[f] {
			t.Errorf("%s is listed in corpusRejected but is not in the corpus", f)
		}
	}
	t.Logf("corpus: %d Services: %d accepted, %d rejected as expected", len(files), accepted, rejected)
}
