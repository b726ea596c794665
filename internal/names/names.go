// Package names builds the names of every object Berth creates and the
// ECS identifiers (ARNs) it reports, in one place.
package names

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Partition and defaults of the synthetic ARNs Berth reports.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
	// DefaultCluster is the cluster ECS assumes when none is named.
	DefaultCluster = "default"
)

// Account identifies where ARNs point: a region and an account ID.
type Account struct {
	Region    string
	AccountID string
}

// DefaultAccount is the account used when none is configured.
var DefaultAccount = Account{Region: DefaultRegion, AccountID: DefaultAccountID}

func (a Account) arn(resource string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:%s", a.Region, a.AccountID, resource)
}

// TaskDefinitionArn is arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>.
func (a Account) TaskDefinitionArn(family string, revision int32) string {
	return a.arn(fmt.Sprintf("task-definition/%s:%d", family, revision))
}

// ClusterArn is arn:aws:ecs:<region>:<account>:cluster/<cluster>.
func (a Account) ClusterArn(cluster string) string {
	return a.arn("cluster/" + cluster)
}

// ServiceArn is arn:aws:ecs:<region>:<account>:service/<cluster>/<service>.
func (a Account) ServiceArn(cluster, service string) string {
	return a.arn(fmt.Sprintf("service/%s/%s", cluster, service))
}

// ServiceDeploymentArn is
// arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>,
// where id is a deployment id's digits (ecs-svc/<digits>).
func (a Account) ServiceDeploymentArn(cluster, service, deploymentID string) string {
	return a.arn(fmt.Sprintf("service-deployment/%s/%s/%s", cluster, service, strings.TrimPrefix(deploymentID, "ecs-svc/")))
}

// ServiceRevisionArn is
// arn:aws:ecs:<region>:<account>:service-revision/<cluster>/<service>/<id>,
// id as for ServiceDeploymentArn: one revision per deployment.
func (a Account) ServiceRevisionArn(cluster, service, deploymentID string) string {
	return a.arn(fmt.Sprintf("service-revision/%s/%s/%s", cluster, service, strings.TrimPrefix(deploymentID, "ecs-svc/")))
}

// TaskArn is arn:aws:ecs:<region>:<account>:task/<cluster>/<task id>.
func (a Account) TaskArn(cluster, taskID string) string {
	return a.arn(fmt.Sprintf("task/%s/%s", cluster, taskID))
}

// CapacityProviderArn is arn:aws:ecs:<region>:<account>:capacity-provider/<name>.
func (a Account) CapacityProviderArn(name string) string {
	return a.arn("capacity-provider/" + name)
}

// ContainerInstanceArn is
// arn:aws:ecs:<region>:<account>:container-instance/<cluster>/<id>; Berth's
// container instances are nodes, and the ID is the node's name.
func (a Account) ContainerInstanceArn(cluster, id string) string {
	return a.arn(fmt.Sprintf("container-instance/%s/%s", cluster, id))
}

// LogGroupArn is arn:aws:logs:<region>:<account>:log-group:<group>, the
// logGroupArn CloudWatch Logs shows (its arn member adds ":*").
func (a Account) LogGroupArn(group string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", a.Region, a.AccountID, group)
}

// ServiceResourceID is an ECS service's Application Auto Scaling resource
// ID, service/<cluster>/<service>, by which ScalableTargets and the alarms
// on its metrics name it.
func ServiceResourceID(cluster, service string) string {
	return "service/" + cluster + "/" + service
}

// AlarmArn is arn:aws:cloudwatch:<region>:<account>:alarm:<name>, the
// AlarmArn DescribeAlarms shows.
func (a Account) AlarmArn(name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", a.Region, a.AccountID, name)
}

// AlarmName is a CloudWatch alarm's name: a MetricAlarm's alarmName, or its
// object's name.
func AlarmName(alarmName, objectName string) string {
	if alarmName != "" {
		return alarmName
	}
	return objectName
}

// AlarmObject is the name of the MetricAlarm object PutMetricAlarm creates
// for an alarm name: the name itself when it is a valid object name, else
// a DNS label made of it with a hash of the whole name (alarm names are
// case-sensitive and may hold any character but control characters).
func AlarmObject(alarmName string) string {
	if validObjectName(alarmName) {
		return alarmName
	}
	sum := sha256.Sum256([]byte(alarmName))
	base := strings.Trim(nonLabel.ReplaceAllString(strings.ToLower(alarmName), "-"), "-")
	if len(base) > 40 {
		base = strings.TrimRight(base[:40], "-")
	}
	if base == "" {
		base = "alarm"
	}
	return base + "-" + hex.EncodeToString(sum[:])[:10]
}

var nonLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// validObjectName: a DNS subdomain of at most 253 characters (a MetricAlarm
// object's name), here as a DNS label of at most 63, which any kind takes.
func validObjectName(s string) bool {
	return len(s) <= 63 && dnsLabel.MatchString(s)
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// ObjectName turns an ECS name (capitals and underscores allowed) into the
// Kubernetes object name Berth expects for it: lower case, '_' → '-'. The
// CRDs' CEL rules hold Cluster and CapacityProvider names to this rule.
func ObjectName(ecsName string) string {
	return strings.ReplaceAll(strings.ToLower(ecsName), "_", "-")
}

// ShortName returns the last path element of an ARN ("arn:...:cluster/x" →
// "x"), or the name itself.
func ShortName(nameOrArn string) string {
	if strings.HasPrefix(nameOrArn, "arn:") {
		if i := strings.LastIndex(nameOrArn, "/"); i >= 0 {
			return nameOrArn[i+1:]
		}
	}
	return nameOrArn
}

// ClusterName is the ECS cluster a Service or Task names: the short name of
// cluster, or "default".
func ClusterName(cluster string) string {
	if cluster == "" {
		return DefaultCluster
	}
	return ShortName(cluster)
}

// Revision is the name of revision n of the TaskDefinition named td.
func Revision(td string, n int32) string {
	return fmt.Sprintf("%s-%d", td, n)
}

// TaskDefinitionRef is a parsed taskDefinition reference: a family and an
// optional revision (0 = the latest ACTIVE revision).
type TaskDefinitionRef struct {
	Family   string
	Revision int32
}

// String renders the reference as ECS prints it: family or family:revision.
func (r TaskDefinitionRef) String() string {
	if r.Revision == 0 {
		return r.Family
	}
	return fmt.Sprintf("%s:%d", r.Family, r.Revision)
}

// ParseTaskDefinition parses the three forms ECS accepts: "family",
// "family:revision" and a task definition ARN.
func ParseTaskDefinition(s string) (TaskDefinitionRef, error) {
	body := s
	if strings.HasPrefix(s, "arn:") {
		i := strings.Index(s, ":task-definition/")
		if i < 0 {
			return TaskDefinitionRef{}, fmt.Errorf("taskDefinition %q is an ARN but not a task definition ARN", s)
		}
		body = s[i+len(":task-definition/"):]
		if !strings.Contains(body, ":") {
			return TaskDefinitionRef{}, fmt.Errorf("task definition ARN %q has no revision", s)
		}
	}
	family, rev, hasRev := strings.Cut(body, ":")
	if family == "" || !validFamily(family) {
		return TaskDefinitionRef{}, fmt.Errorf("taskDefinition %q: family must be 1-255 letters, numbers, underscores and hyphens", s)
	}
	ref := TaskDefinitionRef{Family: family}
	if hasRev {
		var n int32
		if _, err := fmt.Sscanf(rev, "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != rev {
			return TaskDefinitionRef{}, fmt.Errorf("taskDefinition %q: revision must be a positive integer", s)
		}
		ref.Revision = n
	}
	return ref, nil
}

func validFamily(f string) bool {
	if len(f) > 255 {
		return false
	}
	for _, r := range f {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// TaskID is the ECS task ID of a Task: its UID without dashes (32 hex
// digits, as ECS task IDs are).
func TaskID(uid string) string {
	return strings.ReplaceAll(uid, "-", "")
}

// Container is the Kubernetes container name of an ECS container: ECS allows
// capitals, underscores and 255 characters, Kubernetes a DNS label. Names
// that do not fit are lowered, '_' becomes '-', and names longer than 63
// characters, or that start or end with '-', are cut or trimmed and
// suffixed with a hash of the ECS name.
func Container(ecsName string) string { return label(ecsName, "container") }

// Volume is the pod volume name of an ECS volume, by Container's rule.
func Volume(ecsName string) string { return label(ecsName, "volume") }

func label(ecsName, fallback string) string {
	n := ObjectName(ecsName)
	if n != "" && len(n) <= 63 && n[0] != '-' && n[len(n)-1] != '-' {
		return n
	}
	sum := sha256.Sum256([]byte(ecsName))
	n = strings.Trim(n, "-")
	if len(n) > 54 {
		n = strings.TrimRight(n[:54], "-")
	}
	if n == "" {
		n = fallback
	}
	return n + "-" + hex.EncodeToString(sum[:])[:8]
}

// StopDeployment reads StopServiceDeployment's declarative form from a
// Service's annotations: what ecs.berth.dev/stop-deployment names (a
// service deployment ARN, or a deployment id ecs-svc/<digits>), and
// whether it rolls back (ecs.berth.dev/stop-deployment-type ROLLBACK, the
// default) or not (ABORT). "" when there is no request.
func StopDeployment(annotations map[string]string) (ref string, rollback bool) {
	ref = strings.TrimSpace(annotations[ecsv1alpha1.AnnotationStopDeployment])
	if ref == "" {
		return "", false
	}
	return ref, !strings.EqualFold(strings.TrimSpace(annotations[ecsv1alpha1.AnnotationStopDeploymentType]), "ABORT")
}
