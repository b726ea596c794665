package translate

import (
	"fmt"
	"strings"

	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// ECS health check defaults.
const (
	healthIntervalDefault = 30
	healthTimeoutDefault  = 5
	healthRetriesDefault  = 3
)

// HealthTiming is a health check's interval, timeout, retries and start
// period in seconds, with ECS's defaults filled in.
type HealthTiming struct {
	Interval, Timeout, Retries, StartPeriod int32
}

// Timing returns hc's timing with ECS's defaults.
func Timing(hc *ecsv1alpha1.HealthCheck) HealthTiming {
	t := HealthTiming{Interval: healthIntervalDefault, Timeout: healthTimeoutDefault, Retries: healthRetriesDefault}
	if hc.Interval != nil && *hc.Interval > 0 {
		t.Interval = *hc.Interval
	}
	if hc.Timeout != nil && *hc.Timeout > 0 {
		t.Timeout = *hc.Timeout
	}
	if hc.Retries != nil && *hc.Retries > 0 {
		t.Retries = *hc.Retries
	}
	if hc.StartPeriod != nil && *hc.StartPeriod > 0 {
		t.StartPeriod = *hc.StartPeriod
	}
	return t
}

// healthCommand is the exec command of a health check: ["CMD", args...]
// runs args, ["CMD-SHELL", cmd] runs cmd with /bin/sh -c (cmd /S /C on
// Windows), ["NONE"] is no check.
func (b *builder) healthCommand(path string, cmd []string) []string {
	if len(cmd) == 0 {
		return nil
	}
	switch cmd[0] {
	case "NONE":
		return nil
	case "CMD":
		return append([]string(nil), cmd[1:]...)
	case "CMD-SHELL":
		if b.windows {
			// Docker's shell on Windows.
			return []string{"cmd", "/S", "/C", strings.Join(cmd[1:], " ")}
		}
		return []string{"/bin/sh", "-c", strings.Join(cmd[1:], " ")}
	default:
		b.note(path+".command", Approximated,
			fmt.Sprintf("the command starts with %q, not CMD or CMD-SHELL: it is run as given, as CMD would run it", cmd[0]))
		return append([]string(nil), cmd...)
	}
}

// readinessProbe is the health check as a readiness probe: it drives the
// container's (and the task's) healthStatus and gates traffic. It is not a
// liveness probe: ECS does not restart an unhealthy container in place; the
// operator replaces an unhealthy service task, and a standalone task keeps
// running, as in ECS.
func (b *builder) readinessProbe(path string, hc *ecsv1alpha1.HealthCheck) *corev1ac.ProbeApplyConfiguration {
	cmd := b.healthCommand(path, hc.Command)
	if cmd == nil {
		return nil
	}
	t := Timing(hc)
	return corev1ac.Probe().
		WithExec(corev1ac.ExecAction().WithCommand(cmd...)).
		WithPeriodSeconds(t.Interval).
		WithTimeoutSeconds(t.Timeout).
		WithFailureThreshold(t.Retries).
		WithSuccessThreshold(1)
}

// startupProbe gates the containers that depend on a HEALTHY dependency:
// the kubelet starts them once it succeeds. It allows the start period and
// the retries, or the dependants' startTimeout when one is set.
func (b *builder) startupProbe(path string, hc *ecsv1alpha1.HealthCheck, startTimeout int32) *corev1ac.ProbeApplyConfiguration {
	cmd := b.healthCommand(path, hc.Command)
	if cmd == nil {
		return nil
	}
	t := Timing(hc)
	attempts := (t.StartPeriod+t.Interval-1)/t.Interval + t.Retries
	if startTimeout > 0 {
		attempts = max((startTimeout+t.Interval-1)/t.Interval, 1)
	}
	return corev1ac.Probe().
		WithExec(corev1ac.ExecAction().WithCommand(cmd...)).
		WithPeriodSeconds(t.Interval).
		WithTimeoutSeconds(t.Timeout).
		WithFailureThreshold(attempts).
		WithSuccessThreshold(1)
}
