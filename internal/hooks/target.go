package hooks

import (
	"fmt"
	"regexp"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

// Target is what a hook's hookTargetArn names: a Lambda function ARN, and
// the CronJob that stands for the function in the Service's namespace.
type Target struct {
	// Arn is hookTargetArn as written.
	Arn string
	// Function is the function's name; Qualifier its version or alias
	// ("" when the ARN has none). Berth ignores the qualifier: a CronJob has
	// one template, its current one.
	Function  string
	Qualifier string
	// CronJob is the CronJob's name: the function's name lower-cased, '_'
	// turned into '-' (names.ObjectName, as Berth names every object made
	// for an ECS name).
	CronJob string
}

// lambdaArn is arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>],
// with Lambda's rules for names (1-64 letters, digits, '-' and '_') and
// qualifiers (a version number, $LATEST, or an alias of 1-128 letters,
// digits, '-' and '_').
var lambdaArn = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$`)

// ParseTarget reads hookTargetArn. A PAUSE hook has no target and is not
// given to ParseTarget.
func ParseTarget(arn string) (Target, error) {
	m := lambdaArn.FindStringSubmatch(arn)
	if m == nil {
		return Target{}, fmt.Errorf("hookTargetArn %q is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>])", arn)
	}
	return Target{Arn: arn, Function: m[4], Qualifier: m[5], CronJob: names.ObjectName(m[4])}, nil
}

// IndexCronJobs is the name of the field index CronJobsOf backs: the
// CronJobs a Service's lambda hooks name, for a watch on CronJobs that
// requeues the Services waiting for one (a hook whose CronJob is missing
// waits for it).
const IndexCronJobs = "hooks.cronJobs"

// CronJobsOf is the index function of IndexCronJobs: the CronJobs the
// Service's AWS_LAMBDA hooks name, sorted, without repeats. A hook whose
// ARN does not parse names none.
func CronJobsOf(obj client.Object) []string {
	svc, ok := obj.(*ecsv1alpha1.Service)
	if !ok || svc.Spec.DeploymentConfiguration == nil {
		return nil
	}
	var out []string
	for i := range svc.Spec.DeploymentConfiguration.LifecycleHooks {
		h := &svc.Spec.DeploymentConfiguration.LifecycleHooks[i]
		if h.TargetType == ecsv1alpha1.DeploymentLifecycleHookTargetTypePause {
			continue
		}
		if t, err := ParseTarget(h.HookTargetArn); err == nil && !slices.Contains(out, t.CronJob) {
			out = append(out, t.CronJob)
		}
	}
	slices.Sort(out)
	return out
}
