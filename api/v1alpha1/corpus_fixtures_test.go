package v1alpha1

import (
	"path/filepath"
	"testing"
)

// fixtureRejected are the project's own service fixtures
// (testdata/corpus/services) that ECS itself would refuse as CreateService
// input, with a substring of the API server's message.
var fixtureRejected = map[string]string{
	// UpdateService input: it names the service with "service" and asks for
	// forceNewDeployment, neither a CreateService member (ECS: "Unknown
	// parameter in input").
	"services/update-service-input.json": `unknown field "spec.forceNewDeployment", unknown field "spec.service"`,
	// aws ecs describe-services output: the services/failures wrapper is not
	// CreateService input.
	"services/describe-services-output.json": `unknown field "spec.failures", unknown field "spec.services"`,
}

// fixtureServiceCounts are the outcomes of testdata/corpus/services: a file
// added, removed or changing outcome must be accounted for here.
var fixtureServiceCounts = serviceCorpusCounts{files: 11, accepted: 9, rejected: 2}

// TestCorpusFixtures runs the corpus checks of TestCorpus over the
// project's own service fixtures, so that a plain clone covers them.
func TestCorpusFixtures(t *testing.T) {
	got := runServiceCorpus(t, filepath.Join("testdata", "corpus"), fixtureRejected)
	if got != fixtureServiceCounts {
		t.Errorf("testdata/corpus/services: got %+v, want %+v", got, fixtureServiceCounts)
	}
}
