package endpoint

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/names"
)

// awsCLI runs `aws --output json ARGS` against the endpoint with a's key;
// it returns the decoded answer, or the CLI's error output.
func (a account) awsCLI(t *testing.T, args ...string) (map[string]any, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--output", "json", "--endpoint-url", url, "--region", "us-east-1"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+a.id, "AWS_SECRET_ACCESS_KEY="+a.secret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, strings.TrimSpace(stderr.String())
	}
	out := map[string]any{}
	if s := strings.TrimSpace(stdout.String()); s != "" {
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			t.Fatalf("aws %s: not JSON: %v\n%s", strings.Join(args, " "), err, s)
		}
	}
	return out, ""
}

// list is the answer's member, a list of objects.
func list(out map[string]any, member string) []map[string]any {
	var res []map[string]any
	items, _ := out[member].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		res = append(res, m)
	}
	return res
}

// TestServiceDeploymentsWithTheAWSCLI: a Service whose status holds two
// service deployments (one SUCCESSFUL, one IN_PROGRESS from it) and their
// revisions, written here as the Service controller writes them; the AWS
// CLI lists and describes them, describes a revision, and stops the
// deployment in progress (the annotations appear on the Service); an ended
// or unknown deployment is refused; a key whose RBAC allows reading
// services but not patching them reads, and may not stop.
func TestServiceDeploymentsWithTheAWSCLI(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "liam", true)
	_, err := a.client().CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("default")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))

	// The operator runs in this suite: its task definition never
	// registered, the Service waits for it and the controller starts no
	// deployment of its own, leaving the records below as they are.
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: a.ns, Name: "web"}}
	svc.Spec.Cluster, svc.Spec.TaskDefinition, svc.Spec.DesiredCount = "default", "web:2", ptr.To[int32](2)
	g.Expect(env.Direct.Create(ctx, svc)).To(Succeed())
	acct := names.DefaultAccount // the operator's and the caller's here
	const first, second = "ecs-svc/1000000000000000001", "ecs-svc/1000000000000000002"
	depArn := func(id string) string { return acct.ServiceDeploymentArn("default", "web", id) }
	revArn := func(id string) string { return acct.ServiceRevisionArn("default", "web", id) }
	t1 := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	t2 := metav1.NewTime(t1.Add(30 * time.Minute))
	records := []ecsv1alpha1.ServiceDeploymentRecord{{
		ID: second, ServiceDeploymentArn: depArn(second), Status: ecsv1alpha1.ServiceDeploymentInProgress,
		CreatedAt: t2, StartedAt: &t2, UpdatedAt: t2,
		SourceServiceRevisions: []ecsv1alpha1.ServiceRevisionSummary{{Arn: revArn(first), RequestedTaskCount: 2, RunningTaskCount: 2}},
		TargetServiceRevision:  ecsv1alpha1.ServiceRevisionSummary{Arn: revArn(second), RequestedTaskCount: 2, PendingTaskCount: 1},
	}, {
		ID: first, ServiceDeploymentArn: depArn(first), Status: ecsv1alpha1.ServiceDeploymentSuccessful,
		StatusReason: "ECS deployment ecs-svc/1000000000000000001 completed.",
		CreatedAt:    t1, StartedAt: &t1, FinishedAt: &t2, UpdatedAt: t2,
		TargetServiceRevision: ecsv1alpha1.ServiceRevisionSummary{Arn: revArn(first), RequestedTaskCount: 2, RunningTaskCount: 2},
	}}
	revisions := []ecsv1alpha1.ServiceRevision{
		{ServiceRevisionArn: revArn(second), TaskDefinition: acct.TaskDefinitionArn("web", 2), LaunchType: "EC2",
			ContainerImages: []ecsv1alpha1.ContainerImage{{ContainerName: "app", Image: "nginx:1.27"}}, CreatedAt: t2},
		{ServiceRevisionArn: revArn(first), TaskDefinition: acct.TaskDefinitionArn("web", 1), LaunchType: "EC2",
			ContainerImages: []ecsv1alpha1.ContainerImage{{ContainerName: "app", Image: "nginx:1.26"}}, CreatedAt: t1},
	}
	g.Eventually(func() error {
		cur := &ecsv1alpha1.Service{}
		if err := env.Direct.Get(ctx, client.ObjectKeyFromObject(svc), cur); err != nil {
			return err
		}
		base := cur.DeepCopy()
		cur.Status.ServiceDeployments, cur.Status.ServiceRevisions = records, revisions
		return env.Direct.Status().Patch(ctx, cur, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	}).Should(Succeed())

	// Listed newest first, filtered by status.
	out, stderr := a.awsCLI(t, "ecs", "list-service-deployments", "--cluster", "default", "--service", "web")
	g.Expect(stderr).To(BeEmpty())
	briefs := list(out, "serviceDeployments")
	g.Expect(briefs).To(HaveLen(2))
	g.Expect(briefs[0]).To(HaveKeyWithValue("serviceDeploymentArn", depArn(second)))
	g.Expect(briefs[0]).To(HaveKeyWithValue("status", "IN_PROGRESS"))
	g.Expect(briefs[0]).To(HaveKeyWithValue("targetServiceRevisionArn", revArn(second)))
	g.Expect(briefs[0]).To(HaveKeyWithValue("serviceArn", acct.ServiceArn("default", "web")))
	g.Expect(briefs[0]).To(HaveKeyWithValue("clusterArn", acct.ClusterArn("default")))
	g.Expect(briefs[1]).To(HaveKeyWithValue("serviceDeploymentArn", depArn(first)))
	g.Expect(briefs[1]).To(HaveKey("finishedAt"))
	out, stderr = a.awsCLI(t, "ecs", "list-service-deployments", "--service", "web", "--status", "SUCCESSFUL")
	g.Expect(stderr).To(BeEmpty())
	g.Expect(list(out, "serviceDeployments")).To(ConsistOf(HaveKeyWithValue("serviceDeploymentArn", depArn(first))))

	// Described, with a failure for an ARN Berth does not know.
	unknown := depArn("ecs-svc/1000000000000000009")
	out, stderr = a.awsCLI(t, "ecs", "describe-service-deployments", "--service-deployment-arns", depArn(second), unknown)
	g.Expect(stderr).To(BeEmpty())
	described := list(out, "serviceDeployments")
	g.Expect(described).To(HaveLen(1))
	g.Expect(described[0]).To(HaveKeyWithValue("status", "IN_PROGRESS"))
	g.Expect(described[0]).To(HaveKeyWithValue("sourceServiceRevisions", ConsistOf(HaveKeyWithValue("arn", revArn(first)))))
	g.Expect(described[0]).To(HaveKeyWithValue("targetServiceRevision", HaveKeyWithValue("pendingTaskCount", 1.0)))
	g.Expect(list(out, "failures")).To(ConsistOf(And(HaveKeyWithValue("arn", unknown), HaveKeyWithValue("reason", "MISSING"))))

	// A revision.
	out, stderr = a.awsCLI(t, "ecs", "describe-service-revisions", "--service-revision-arns", revArn(second))
	g.Expect(stderr).To(BeEmpty())
	revs := list(out, "serviceRevisions")
	g.Expect(revs).To(HaveLen(1))
	g.Expect(revs[0]).To(HaveKeyWithValue("taskDefinition", acct.TaskDefinitionArn("web", 2)))
	g.Expect(revs[0]).To(HaveKeyWithValue("containerImages", ConsistOf(And(HaveKeyWithValue("containerName", "app"), HaveKeyWithValue("image", "nginx:1.27")))))
	g.Expect(list(out, "failures")).To(BeEmpty())

	// RBAC decides: reading needs list on services, stopping patch.
	g.Expect(env.Direct.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: a.ns, Name: "reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"ecs.berth.dev"}, Resources: []string{"clusters", "services"}, Verbs: []string{"get", "list"}}}})).To(Succeed())
	g.Expect(env.Direct.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: a.ns, Name: "reader"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "reader"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "mia", APIGroup: rbacv1.GroupName}}})).To(Succeed())
	readerKey := account{id: "AKIA" + strings.ToUpper(fmt.Sprintf("%016x", time.Now().UnixNano())), secret: "s3cr3t-mia", ns: a.ns}
	g.Expect(env.Direct.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: keyNamespace, Name: strings.ToLower(readerKey.id)}, Type: awsapi.SecretTypeAccessKey,
		StringData: map[string]string{awsapi.KeyAccessKeyID: readerKey.id, awsapi.KeySecretAccessKey: readerKey.secret, awsapi.KeyUsername: "mia", awsapi.KeyNamespace: a.ns},
	})).To(Succeed())
	g.Eventually(func() string {
		_, stderr := readerKey.awsCLI(t, "ecs", "list-service-deployments", "--service", "web")
		return stderr
	}).WithTimeout(30 * time.Second).Should(BeEmpty())
	_, stderr = readerKey.awsCLI(t, "ecs", "stop-service-deployment", "--service-deployment-arn", depArn(second))
	g.Expect(stderr).To(ContainSubstring("(AccessDeniedException) when calling the StopServiceDeployment operation"))

	// Stopped: the declarative form appears on the Service, and the
	// deployment shows ROLLBACK_REQUESTED until the controller acts.
	out, stderr = a.awsCLI(t, "ecs", "stop-service-deployment", "--service-deployment-arn", depArn(second))
	g.Expect(stderr).To(BeEmpty())
	g.Expect(out).To(HaveKeyWithValue("serviceDeploymentArn", depArn(second)))
	live := &ecsv1alpha1.Service{}
	g.Expect(env.Direct.Get(ctx, client.ObjectKeyFromObject(svc), live)).To(Succeed())
	g.Expect(live.Annotations).To(HaveKeyWithValue(ecsv1alpha1.AnnotationStopDeployment, depArn(second)))
	g.Expect(live.Annotations).To(HaveKeyWithValue(ecsv1alpha1.AnnotationStopDeploymentType, "ROLLBACK"))
	out, stderr = a.awsCLI(t, "ecs", "list-service-deployments", "--service", "web", "--status", "ROLLBACK_REQUESTED")
	g.Expect(stderr).To(BeEmpty())
	g.Expect(list(out, "serviceDeployments")).To(ConsistOf(HaveKeyWithValue("serviceDeploymentArn", depArn(second))))

	// An ended deployment, and one that does not exist.
	_, stderr = a.awsCLI(t, "ecs", "stop-service-deployment", "--service-deployment-arn", depArn(first))
	g.Expect(stderr).To(ContainSubstring("An error occurred (ConflictException) when calling the StopServiceDeployment operation: The service deployment is SUCCESSFUL and cannot be stopped"))
	_, stderr = a.awsCLI(t, "ecs", "stop-service-deployment", "--service-deployment-arn", unknown)
	g.Expect(stderr).To(ContainSubstring("An error occurred (ServiceDeploymentNotFoundException) when calling the StopServiceDeployment operation: Service deployment not found."))

	problems.Lock()
	defer problems.Unlock()
	for _, p := range problems.list {
		g.Expect(p).NotTo(Or(HavePrefix("ListServiceDeployments"), HavePrefix("DescribeServiceDeployments"),
			HavePrefix("DescribeServiceRevisions"), HavePrefix("StopServiceDeployment")), "every answer validates against the model's output shape")
	}
}
