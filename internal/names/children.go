package names

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// The names of the objects Berth creates for others, in one place so that
// no two files build one name differently (a child found under another
// name would be made twice, or orphaned).

// ServiceName is an ECS service's name: serviceName, or its object's name.
func ServiceName(serviceName, objectName string) string {
	if serviceName != "" {
		return serviceName
	}
	return objectName
}

// Deployment is the Deployment (or DaemonSet) that runs a Service's tasks:
// the Service object's name.
func Deployment(service string) string { return service }

// SliceDeployment is the Deployment that runs a Service's tasks on one
// capacity provider (pool) of a sliced placement.
func SliceDeployment(service, pool string) string { return service + "-" + pool }

// AlternateDeployment is the second Deployment of a Service that deploys
// BLUE_GREEN, LINEAR or CANARY: its two revisions run in Deployment and
// AlternateDeployment in turn. The double dash keeps it apart from every
// SliceDeployment (a capacity provider's name cannot start with a dash).
func AlternateDeployment(service string) string { return service + "--b" }

// TaskPod is the pod of a standalone Task: the Task object's name.
func TaskPod(task string) string { return task }

// FargateNode is the k-th node made for a Fargate task: the pool's name, a
// hash of the task's pod UID, and k after the first.
func FargateNode(pool, podUID string, k int) string {
	sum := sha256.Sum256([]byte(podUID))
	name := pool + "-" + hex.EncodeToString(sum[:])[:10]
	if k > 0 {
		name += "-" + strconv.Itoa(k)
	}
	return name
}

// PoolNode is the i-th node of an EC2-style pool that managed scaling
// made.
func PoolNode(pool string, i int) string { return pool + "-" + strconv.Itoa(i) }

// ServiceObject is the object name of a Service created through the ECS
// API: its ECS name by Container's rule (ECS allows 255 characters,
// capitals and underscores; a Service's name is a label value).
func ServiceObject(ecsName string) string { return label(ecsName, "service") }

// ServiceInactiveNote is the note of the Event the Service controller
// records when a deleted service's last task has stopped: the ECS API finds
// INACTIVE services by it after their object is gone.
func ServiceInactiveNote(cluster, service string) string {
	return "service " + service + " of cluster " + cluster + " is INACTIVE: its tasks have stopped"
}
