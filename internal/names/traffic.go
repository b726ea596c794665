package names

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The names of the objects that carry a load balancer's traffic during a
// BLUE_GREEN, LINEAR or CANARY deployment. Each is built from the name of
// the target group's Kubernetes Service (tgService: the target group's name,
// as KubeServices names it; a DNS label), so that a Service's target groups
// never share them.

// shortRevisionDigits is how many digits of a service revision's id name
// its Service: a prefix, as a short git hash is (the 19 digits come from a
// hash; two revisions of one service share 10 with odds of 1 in 10^10).
const shortRevisionDigits = 10

// ProductionRoute is the HTTPRoute that carries a target group's
// production traffic (the production listener rule): the target group's
// Kubernetes Service's name. (An HTTPRoute and a Service may share a name.)
func ProductionRoute(tgService string) string { return tgService }

// TestRoute is the HTTPRoute of a target group's test listener rule
// (loadBalancers[].advancedConfiguration.testListenerRule):
// <tgService>-test.
func TestRoute(tgService string) string { return suffixed(tgService, "test") }

// TestService is the Kubernetes Service through which test traffic reaches
// the revision being deployed where there is no Gateway API:
// <tgService>-test, as the test route.
func TestService(tgService string) string { return suffixed(tgService, "test") }

// RevisionService is the Kubernetes Service that selects the tasks of one
// service revision behind a target group, an HTTPRoute's backend:
// <tgService>-<ShortRevisionID(deploymentID)>.
func RevisionService(tgService, deploymentID string) string {
	return suffixed(tgService, ShortRevisionID(deploymentID))
}

// ShortRevisionID is the short form of a service revision's id, which is
// its deployment's (ecs-svc/ and 19 digits): the first 10 digits.
func ShortRevisionID(deploymentID string) string {
	id := strings.TrimPrefix(deploymentID, "ecs-svc/")
	if len(id) > shortRevisionDigits {
		id = id[:shortRevisionDigits]
	}
	return id
}

// suffixed is <base>-<suffix>, a DNS label of at most 63 characters: a
// longer base is cut and followed by a hash of the whole base, so that two
// long bases that differ do not collide.
func suffixed(base, suffix string) string {
	n := base + "-" + suffix
	if len(n) <= 63 {
		return n
	}
	sum := sha256.Sum256([]byte(base))
	keep := 63 - len(suffix) - 1 - 8 - 1
	return strings.TrimRight(base[:keep], "-") + "-" + hex.EncodeToString(sum[:])[:8] + "-" + suffix
}
