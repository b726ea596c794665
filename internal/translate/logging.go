package translate

import (
	"fmt"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// LogConfig is what the pod's log-configuration annotation says of one
// container: the ECS log driver and options and, for awslogs, the log group
// and stream prefix, so that users and log agents find ECS's names.
type LogConfig struct {
	// LogDriver is the ECS log driver.
	LogDriver string `json:"logDriver"`
	// Options are the driver's options.
	Options map[string]string `json:"options,omitempty"`
	// LogGroup is awslogs-group.
	LogGroup string `json:"logGroup,omitempty"`
	// LogStreamPrefix is awslogs-stream-prefix.
	LogStreamPrefix string `json:"logStreamPrefix,omitempty"`
}

// LogStreamName is the awslogs stream of a container of a task:
// prefix/container-name/task-id, or "" without a prefix (ECS then names the
// stream after the Docker container ID, which Kubernetes does not have).
func LogStreamName(prefix, container, taskID string) string {
	if prefix == "" {
		return ""
	}
	return prefix + "/" + container + "/" + taskID
}

// logConfig records a container's logConfiguration. Every driver's output
// goes to the container runtime's log (kubectl logs); awslogs names are
// recorded; awsfirelens output is routed by the FireLens container
// (firelens.go).
func (b *builder) logConfig(i int, c *ecsv1alpha1.ContainerDefinition, name string) {
	lc := c.LogConfiguration
	p := containerPath(i).Child("logConfiguration")
	cfg := LogConfig{LogDriver: string(lc.LogDriver), Options: lc.Options}
	switch lc.LogDriver {
	case ecsv1alpha1.LogDriverAwslogs:
		cfg.LogGroup = lc.Options["awslogs-group"]
		cfg.LogStreamPrefix = lc.Options["awslogs-stream-prefix"]
		b.note(p.Child("logDriver").String(), Approximated,
			fmt.Sprintf("awslogs: the container's output is in the pod's log (kubectl logs); the CloudWatch names (group %q, stream prefix/container/task-id) are recorded on the pod and the task", cfg.LogGroup))
	case ecsv1alpha1.LogDriverAwsfirelens:
		b.note(p.Child("logDriver").String(), Approximated,
			"awsfirelens: the task's FireLens container reads this container's output from the pod's log file and sends it as the options say; the output is also in the pod's log (kubectl logs)")
	default:
		b.note(p.Child("logDriver").String(), Approximated,
			fmt.Sprintf("log driver %s is not run: the container's output is in the pod's log (kubectl logs), where a cluster log agent collects it", lc.LogDriver))
	}
	if len(lc.SecretOptions) > 0 {
		b.note(p.Child("secretOptions").String(), Unsupported, "log driver secret options are not used: Berth runs no log driver")
	}
	b.logConfigs[name] = cfg
}
