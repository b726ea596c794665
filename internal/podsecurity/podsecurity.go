// Package podsecurity evaluates pod templates against the Pod Security
// Standards with the checks of Kubernetes's own Pod Security admission
// (k8s.io/pod-security-admission/policy), so that Berth can tell at
// registration what the admission controller would say of a task's pods
// when they are created. It is pure: no client, no context, no clock.
package podsecurity

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Levels from the most permissive to the most restrictive.
const (
	Privileged = api.LevelPrivileged
	Baseline   = api.LevelBaseline
	Restricted = api.LevelRestricted
)

// Latest is the latest version of a level's checks, which a namespace
// without an enforce-version label enforces.
var Latest = api.LatestVersion()

// evaluator holds Pod Security admission's default checks (the ones
// kube-apiserver enforces), built once.
var evaluator = func() policy.Evaluator {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(err) // the library's own checks
	}
	return e
}()

// Result is the most restrictive level a pod meets.
type Result struct {
	// Level is restricted, baseline or privileged.
	Level api.Level
	// Reasons say why the pod does not meet the next level up (none at
	// restricted), one per failed check, worded as Pod Security admission
	// words them ("runAsNonRoot != true (pod or container \"app\" must set
	// securityContext.runAsNonRoot=true)"), in its order (baseline checks
	// first, then by check ID): the same input gives the same list.
	Reasons []string
}

// Evaluate returns the most restrictive level, at the latest version of the
// checks, that a pod with this metadata and spec meets.
func Evaluate(meta *metav1.ObjectMeta, spec *corev1.PodSpec) Result {
	restricted := check(api.LevelVersion{Level: Restricted, Version: Latest}, meta, spec)
	if restricted.Allowed {
		return Result{Level: Restricted}
	}
	baseline := check(api.LevelVersion{Level: Baseline, Version: Latest}, meta, spec)
	if !baseline.Allowed {
		return Result{Level: Privileged, Reasons: reasons(baseline)}
	}
	return Result{Level: Baseline, Reasons: reasons(restricted)}
}

// Violation is what kube-apiserver's Pod Security admission says when it
// forbids a pod under lv, in its words ("violates PodSecurity
// \"restricted:latest\": privileged (container \"app\" must not set
// securityContext.privileged=true), ..."); "" when lv allows the pod.
func Violation(lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) string {
	res := check(lv, meta, spec)
	if res.Allowed {
		return ""
	}
	return fmt.Sprintf("violates PodSecurity %q: %s", lv.String(), res.ForbiddenDetail())
}

// Enforced is the level and version a namespace with these labels
// enforces, read as Pod Security admission reads them: privileged:latest
// without the pod-security.kubernetes.io/enforce label (the admission
// controller's default, unless the cluster configures another), and, as
// the admission controller does, restricted (or latest) for a label it
// cannot parse, with the error. The audit and warn labels are not read.
func Enforced(labels map[string]string) (api.LevelVersion, error) {
	enforce := map[string]string{}
	for _, k := range []string{api.EnforceLevelLabel, api.EnforceVersionLabel} {
		if v, ok := labels[k]; ok {
			enforce[k] = v
		}
	}
	defaults := api.LevelVersion{Level: Privileged, Version: Latest}
	p, errs := api.PolicyToEvaluate(enforce, api.Policy{Enforce: defaults, Audit: defaults, Warn: defaults})
	return p.Enforce, errs.ToAggregate()
}

// Pod converts a translated pod template (the apply configurations Berth's
// translation builds) into the pod metadata and spec the checks read.
func Pod(annotations map[string]string, spec *corev1ac.PodSpecApplyConfiguration) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	meta := &metav1.ObjectMeta{Annotations: annotations}
	out := &corev1.PodSpec{}
	if spec == nil {
		return meta, out, nil
	}
	b, err := json.Marshal(spec)
	if err == nil {
		err = json.Unmarshal(b, out)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("convert pod spec: %w", err)
	}
	if out.HostNetwork {
		// The API server's defaulting, which admission sees: on the host
		// network, a port's hostPort is its containerPort.
		for _, cs := range [][]corev1.Container{out.InitContainers, out.Containers} {
			for i := range cs {
				for j := range cs[i].Ports {
					if cs[i].Ports[j].HostPort == 0 {
						cs[i].Ports[j].HostPort = cs[i].Ports[j].ContainerPort
					}
				}
			}
		}
	}
	return meta, out, nil
}

func check(lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) policy.AggregateCheckResult {
	return policy.AggregateCheckResults(evaluator.EvaluatePod(lv, meta, spec))
}

// reasons are the failed checks of res, each formatted as the library
// formats a whole message.
func reasons(res policy.AggregateCheckResult) []string {
	out := make([]string, len(res.ForbiddenReasons))
	for i := range res.ForbiddenReasons {
		one := policy.AggregateCheckResult{ForbiddenReasons: res.ForbiddenReasons[i : i+1], ForbiddenDetails: res.ForbiddenDetails[i : i+1]}
		out[i] = one.ForbiddenDetail()
	}
	return out
}
