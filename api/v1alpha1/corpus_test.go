//go:build corpus

package v1alpha1

import (
	"testing"

	"github.com/berth-dev/berth/internal/testutil"
)

// TestCorpus sends the CreateService inputs of the real-world corpus
// (services/ of $BERTH_CORPUS: files from other people's public
// repositories, kept outside the repository; `make corpus` runs it) through
// the API server, as runServiceCorpus describes. Its task definitions go
// through `berth import` and the translation in internal/importer's corpus
// test.

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

func TestCorpus(t *testing.T) {
	dir, err := testutil.ExternalCorpus()
	if err != nil {
		t.Fatal(err)
	}
	runServiceCorpus(t, dir, corpusRejected)
}
