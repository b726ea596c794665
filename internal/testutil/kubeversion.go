package testutil

import (
	"fmt"
	"os"
	"strconv"

	"k8s.io/client-go/rest"

	"github.com/berth-dev/berth/internal/kubeversion"
)

// ExpectMinorEnv names the Kubernetes minor the envtest suites must run on:
// make test-k8s-min sets it, so that a KUBEBUILDER_ASSETS that is not used
// cannot pass for the oldest version.
const ExpectMinorEnv = "BERTH_EXPECT_K8S_MINOR"

// ServerMinor is the API server's minor version, read as controllers.Setup
// reads it, checked against ExpectMinorEnv when that is set.
func ServerMinor(cfg *rest.Config) (int, error) {
	minor, err := kubeversion.Minor(cfg)
	if err != nil {
		return 0, err
	}
	if want := os.Getenv(ExpectMinorEnv); want != "" && want != strconv.Itoa(minor) {
		return 0, fmt.Errorf("the API server's minor is %d, but %s is %s: is KUBEBUILDER_ASSETS the right folder?", minor, ExpectMinorEnv, want)
	}
	return minor, nil
}
