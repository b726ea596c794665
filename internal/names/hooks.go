package names

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// HookExecution identifies one execution of a deployment lifecycle hook: a
// deployment (ecs-svc/...), the stage, the production traffic step, the
// hook's index in deploymentConfiguration.lifecycleHooks, and whether it
// is the invocation a rollback makes (internal/strategy's HookKey). Its
// invocations (ECS invokes a hook again while it answers IN_PROGRESS) are
// numbered from 1.
type HookExecution struct {
	Deployment string
	Stage      string
	Step       int32
	Hook       int32
	Rollback   bool
}

func (e HookExecution) canonical() string {
	return fmt.Sprintf("%s|%s|%d|%d|%t", e.Deployment, e.Stage, e.Step, e.Hook, e.Rollback)
}

// ID is the execution's executionId, as ECS gives it to the hook: a UUID
// (RFC 9562 version 8, the layout for hash-derived UUIDs) made of a hash
// of the execution, so that every invocation of it, by any pass, carries
// the same one.
func (e HookExecution) ID() string {
	sum := sha256.Sum256([]byte("hook-execution|" + e.canonical()))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // variant 10
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// HookJob is the Job that runs invocation attempt of a hook execution of
// the Service object named service: the service's name (cut to 35
// characters), "-hook-", ten hex digits of a hash of the service and the
// execution, and the attempt, so that the attempts of one execution sort
// together and the name is a DNS label of at most 63 characters (a Job's
// name is its pods' job-name label).
func HookJob(service string, e HookExecution, attempt int32) string {
	sum := sha256.Sum256([]byte(service + "|" + e.canonical()))
	base := strings.Trim(ObjectName(service), "-.")
	if len(base) > 35 {
		base = strings.TrimRight(base[:35], "-.")
	}
	base = strings.ReplaceAll(base, ".", "-")
	if base != "" {
		base += "-"
	}
	return base + "hook-" + hex.EncodeToString(sum[:])[:10] + "-" + strconv.FormatInt(int64(attempt), 10)
}

// HookServiceLabel is the value of the label that marks the hook Jobs of
// the Service object named service: the name itself, or, longer than a
// label value may be, its first 54 characters and a hash.
func HookServiceLabel(service string) string { return labelValue(service) }

// HookDeploymentLabel is the value of the label that marks the hook Jobs
// of a deployment: the digits of its id (ecs-svc/<digits>), or a hash of
// an id that is not a label value.
func HookDeploymentLabel(deploymentID string) string {
	return labelValue(strings.TrimPrefix(deploymentID, "ecs-svc/"))
}

func labelValue(s string) string {
	if len(validation.IsValidLabelValue(s)) == 0 {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	base := strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '-'
	}, s)
	if len(base) > 54 {
		base = base[:54]
	}
	base = strings.Trim(base, "-_.")
	if base == "" {
		return hex.EncodeToString(sum[:])[:16]
	}
	return base + "-" + hex.EncodeToString(sum[:])[:8]
}
