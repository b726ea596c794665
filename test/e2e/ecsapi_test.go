package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/endpoint"
	"github.com/berth-dev/berth/internal/localrun"
	berthnames "github.com/berth-dev/berth/internal/names"
)

// apiEndpoint serves the ECS API for the tests of this file, with an
// access key bound to namespace apiNS.
type apiEndpoint struct {
	url, id, secret, ns string
}

var (
	apiOnce sync.Once
	apiEP   apiEndpoint
	apiErr  error
)

// ecsAPI starts the endpoint once (the endpoint of make run: in-process,
// on loopback, a signed key that acts as an administrator of its namespace).
func ecsAPI(t *testing.T) apiEndpoint {
	t.Helper()
	apiOnce.Do(func() {
		ctx := context.Background()
		apiEP = apiEndpoint{id: "AKIAE2ECLI0000000001", secret: "e2e-cli-secret", ns: "ecsapi"}
		if apiErr = admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: apiEP.ns}}); apiErr != nil {
			return
		}
		apiErr = admin.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "e2e-cli"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "e2e-cli"}},
		})
		if apiErr != nil {
			return
		}
		apiErr = admin.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: localrun.Namespace, Name: "e2e-cli-key"},
			Type:       awsapi.SecretTypeAccessKey,
			StringData: map[string]string{awsapi.KeyAccessKeyID: apiEP.id, awsapi.KeySecretAccessKey: apiEP.secret,
				awsapi.KeyUsername: "e2e-cli", awsapi.KeyNamespace: apiEP.ns},
		})
		if apiErr != nil {
			return
		}
		var ep *endpoint.Endpoint
		ep, apiErr = endpoint.New(cp.AdminConfig(), endpoint.Options{Addr: "127.0.0.1:0", KeyNamespace: localrun.Namespace,
			Account: berthnames.DefaultAccount, Log: logf.Log.WithName("api")})
		if apiErr != nil {
			return
		}
		ready := make(chan string, 1)
		errc := make(chan error, 1)
		go func() { errc <- ep.Serve(context.Background(), func(a string) { ready <- a }) }()
		select {
		case a := <-ready:
			apiEP.url = "http://" + a
		case apiErr = <-errc:
		}
	})
	if apiErr != nil {
		t.Fatalf("ECS API endpoint: %v", apiErr)
	}
	return apiEP
}

// aws runs the AWS CLI against the endpoint and decodes its JSON output.
func (e apiEndpoint) aws(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, err := e.awsRaw(args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	res := map[string]any{}
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return res
}

func (e apiEndpoint) awsRaw(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+e.url, "AWS_ACCESS_KEY_ID="+e.id, "AWS_SECRET_ACCESS_KEY="+e.secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	return cmd.CombinedOutput()
}

func (e apiEndpoint) sdk() *ecs.Client {
	return ecs.New(ecs.Options{BaseEndpoint: aws.String(e.url), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(e.id, e.secret, "")})
}

// path reads a member path (a.b.0.c) of a decoded answer.
func path(v any, p string) any {
	for _, k := range strings.Split(p, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			if _, err := fmt.Sscanf(k, "%d", &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return "file://" + f
}

// TestAWSCLIDrivesAService is the AWS CLI flow of an ECS user: a cluster
// with a capacity provider strategy, two revisions, a service created,
// waited for, rolled to revision 2 and waited for again (the waiter must
// not pass before the rollout has completed), standalone tasks run,
// stopped and waited for, pagination, tags, and the service and cluster
// deleted; kubectl sees the same objects at each step.
func TestAWSCLIDrivesAService(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	e := ecsAPI(t)
	ns := e.ns

	cl := e.aws(t, "ecs", "create-cluster", "--cluster-name", "cli", "--capacity-providers", "FARGATE", "FARGATE_SPOT",
		"--default-capacity-provider-strategy", "capacityProvider=FARGATE,weight=1,base=1", "capacityProvider=FARGATE_SPOT,weight=1")
	g.Expect(path(cl, "cluster.clusterArn")).To(Equal("arn:aws:ecs:us-east-1:000000000000:cluster/cli"))
	g.Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cli"}, &ecsv1alpha1.Cluster{})).To(Succeed(), "kubectl sees the cluster")

	td := func(image string) string {
		return writeJSON(t, map[string]any{
			"family": "cli-web", "networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"}, "cpu": "256", "memory": "512",
			"containerDefinitions": []map[string]any{{"name": "web", "image": image, "essential": true, "portMappings": []map[string]any{{"containerPort": 80}}}},
		})
	}
	r1 := e.aws(t, "ecs", "register-task-definition", "--cli-input-json", td("nginx:1.27"))
	r2 := e.aws(t, "ecs", "register-task-definition", "--cli-input-json", td("nginx:1.28"))
	g.Expect(path(r1, "taskDefinition.revision")).To(BeEquivalentTo(1))
	g.Expect(path(r2, "taskDefinition.revision")).To(BeEquivalentTo(2))
	g.Expect(path(r2, "taskDefinition.status")).To(Equal("ACTIVE"))

	cps := e.aws(t, "ecs", "describe-capacity-providers", "--capacity-providers", "FARGATE", "nope")
	g.Expect(path(cps, "capacityProviders.0.name")).To(Equal("FARGATE"))
	g.Expect(path(cps, "failures.0.reason")).To(Equal("MISSING"))

	network := "awsvpcConfiguration={subnets=[subnet-1]}"
	svc := e.aws(t, "ecs", "create-service", "--cluster", "cli", "--service-name", "web", "--task-definition", "cli-web:1",
		"--desired-count", "2", "--network-configuration", network, "--tags", "key=team,value=a")
	g.Expect(path(svc, "service.status")).To(Equal("ACTIVE"))
	g.Expect(path(svc, "service.deployments.0.status")).To(Equal("PRIMARY"))
	e.aws(t, "ecs", "wait", "services-stable", "--cluster", "cli", "--services", "web")
	stable := e.aws(t, "ecs", "describe-services", "--cluster", "cli", "--services", "web", "--include", "TAGS")
	g.Expect(path(stable, "services.0.runningCount")).To(BeEquivalentTo(2))
	g.Expect(path(stable, "services.0.tags.0.key")).To(Equal("team"), "tags round-trip")
	// The service's tasks are tasks too.
	st := e.aws(t, "ecs", "list-tasks", "--cluster", "cli", "--service-name", "web")
	stArns, _ := path(st, "taskArns").([]any)
	g.Expect(stArns).To(HaveLen(2))
	dst := e.aws(t, "ecs", "describe-tasks", "--cluster", "cli", "--tasks", stArns[0].(string), stArns[1].(string))
	g.Expect(path(dst, "tasks.0.lastStatus")).To(Equal("RUNNING"))
	g.Expect(path(dst, "tasks.0.group")).To(Equal("service:web"))
	g.Expect(path(dst, "tasks.0.startedBy")).To(HavePrefix("ecs-svc/"))
	g.Expect(path(dst, "failures")).To(BeNil(), "no failures")

	svcArn := path(stable, "services.0.serviceArn").(string)
	e.aws(t, "ecs", "tag-resource", "--resource-arn", svcArn, "--tags", "key=env,value=dev")
	e.aws(t, "ecs", "untag-resource", "--resource-arn", svcArn, "--tag-keys", "team")
	tags := e.aws(t, "ecs", "list-tags-for-resource", "--resource-arn", svcArn)
	g.Expect(path(tags, "tags")).To(HaveLen(1))
	g.Expect(path(tags, "tags.0.key")).To(Equal("env"))
	var obj ecsv1alpha1.Service
	g.Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &obj)).To(Succeed())
	g.Expect(ptrInt(obj.Status.RunningCount)).To(Equal(int32(2)), "kubectl sees the same service")

	// Roll to revision 2 while sampling DescribeServices.
	samples := sampleDeployments(ctx, e)
	e.aws(t, "ecs", "update-service", "--cluster", "cli", "--service", "web", "--task-definition", "cli-web:2")
	e.aws(t, "ecs", "wait", "services-stable", "--cluster", "cli", "--services", "web")
	seen := samples.stop()
	after := e.aws(t, "ecs", "describe-services", "--cluster", "cli", "--services", "web")
	g.Expect(path(after, "services.0.deployments")).To(HaveLen(1))
	g.Expect(path(after, "services.0.deployments.0.taskDefinition")).To(HaveSuffix("cli-web:2"))
	g.Expect(path(after, "services.0.deployments.0.rolloutState")).To(Equal("COMPLETED"))
	g.Expect(seen).To(ContainElement(BeNumerically(">=", 2)), "DescribeServices showed the rollout's two deployments before the waiter passed")
	g.Expect(admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &obj)).To(Succeed())
	g.Expect(obj.Spec.TaskDefinition).To(Equal("cli-web:2"), "kubectl sees the update")

	// Standalone tasks.
	run := e.aws(t, "ecs", "run-task", "--cluster", "cli", "--task-definition", "cli-web", "--count", "3", "--network-configuration", network)
	tasks, _ := path(run, "tasks").([]any)
	g.Expect(tasks).To(HaveLen(3))
	var arns []string
	for _, tk := range tasks {
		arns = append(arns, path(tk, "taskArn").(string))
	}
	e.aws(t, append([]string{"ecs", "wait", "tasks-running", "--cluster", "cli", "--tasks"}, arns...)...)
	page := e.aws(t, "ecs", "list-tasks", "--cluster", "cli", "--max-items", "1")
	g.Expect(path(page, "taskArns")).To(HaveLen(1))
	g.Expect(path(page, "NextToken")).NotTo(BeEmpty(), "the CLI pages with --max-items")
	rest := e.aws(t, "ecs", "list-tasks", "--cluster", "cli", "--starting-token", path(page, "NextToken").(string))
	g.Expect(path(rest, "taskArns")).To(HaveLen(4), "the 3 standalone tasks and the service's 2")
	e.aws(t, "ecs", "stop-task", "--cluster", "cli", "--task", arns[0], "--reason", "done with it")
	e.aws(t, "ecs", "wait", "tasks-stopped", "--cluster", "cli", "--tasks", arns[0])
	stopped := e.aws(t, "ecs", "describe-tasks", "--cluster", "cli", "--tasks", arns[0])
	g.Expect(path(stopped, "tasks.0.lastStatus")).To(Equal("STOPPED"))
	g.Expect(path(stopped, "tasks.0.stopCode")).To(Equal("UserInitiated"))
	g.Expect(path(stopped, "tasks.0.stoppedReason")).To(Equal("done with it"))
	for _, a := range arns[1:] {
		e.aws(t, "ecs", "stop-task", "--cluster", "cli", "--task", a)
	}

	// Deletion: the service drains to INACTIVE, then the cluster goes.
	out, err := e.awsRaw("ecs", "delete-cluster", "--cluster", "cli")
	g.Expect(err).To(HaveOccurred())
	g.Expect(string(out)).To(ContainSubstring("ClusterContainsServicesException"))
	del := e.aws(t, "ecs", "delete-service", "--cluster", "cli", "--service", "web", "--force")
	g.Expect(path(del, "service.status")).To(Equal("DRAINING"))
	e.aws(t, "ecs", "wait", "services-inactive", "--cluster", "cli", "--services", "web")
	e.aws(t, append([]string{"ecs", "wait", "tasks-stopped", "--cluster", "cli", "--tasks"}, arns...)...)
	gone := e.aws(t, "ecs", "delete-cluster", "--cluster", "cli")
	g.Expect(path(gone, "cluster.status")).To(Equal("INACTIVE"))
}

func ptrInt(p *int32) int32 {
	if p == nil {
		return -1
	}
	return *p
}

// deploymentSampler records the number of deployments DescribeServices
// shows, every 200 ms, until stopped.
type deploymentSampler struct {
	cancel context.CancelFunc
	done   chan []int
}

func sampleDeployments(ctx context.Context, e apiEndpoint) *deploymentSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &deploymentSampler{cancel: cancel, done: make(chan []int, 1)}
	c := e.sdk()
	go func() {
		var seen []int
		for ctx.Err() == nil {
			out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("cli"), Services: []string{"web"}})
			if err == nil && len(out.Services) == 1 {
				seen = append(seen, len(out.Services[0].Deployments))
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
		s.done <- seen
	}()
	return s
}

func (s *deploymentSampler) stop() []int {
	s.cancel()
	return <-s.done
}

// TestSDKsDriveAService is the same flow with the Go SDK's waiters and
// paginators, then with boto3's.
func TestSDKsDriveAService(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	e := ecsAPI(t)
	c := e.sdk()
	net := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}

	_, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("gosdk"), CapacityProviders: []string{"FARGATE"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}}})
	g.Expect(err).NotTo(HaveOccurred())
	for _, image := range []string{"nginx:1.27", "nginx:1.28"} {
		_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("gosdk-web"), NetworkMode: types.NetworkModeAwsvpc,
			RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, Cpu: aws.String("256"), Memory: aws.String("512"),
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("web"), Image: aws.String(image), Essential: aws.Bool(true)}}})
		g.Expect(err).NotTo(HaveOccurred())
	}
	_, err = c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("gosdk"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String("gosdk-web:1"), DesiredCount: aws.Int32(2), NetworkConfiguration: net})
	g.Expect(err).NotTo(HaveOccurred())
	stable := ecs.NewServicesStableWaiter(c, func(o *ecs.ServicesStableWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, 2*time.Second })
	in := &ecs.DescribeServicesInput{Cluster: aws.String("gosdk"), Services: []string{"web"}}
	g.Expect(stable.Wait(ctx, in, 3*time.Minute)).To(Succeed())
	_, err = c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("gosdk"), Service: aws.String("web"), TaskDefinition: aws.String("gosdk-web:2")})
	g.Expect(err).NotTo(HaveOccurred())
	out, err := stable.WaitForOutput(ctx, in, 3*time.Minute)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.Services[0].Deployments).To(HaveLen(1))
	g.Expect(aws.ToString(out.Services[0].Deployments[0].TaskDefinition)).To(HaveSuffix("gosdk-web:2"))

	run, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("gosdk"), TaskDefinition: aws.String("gosdk-web"), Count: aws.Int32(2), NetworkConfiguration: net})
	g.Expect(err).NotTo(HaveOccurred())
	var arns []string
	for _, tk := range run.Tasks {
		arns = append(arns, aws.ToString(tk.TaskArn))
	}
	tasks := &ecs.DescribeTasksInput{Cluster: aws.String("gosdk"), Tasks: arns}
	g.Expect(ecs.NewTasksRunningWaiter(c, func(o *ecs.TasksRunningWaiterOptions) { o.MinDelay = time.Second }).Wait(ctx, tasks, 3*time.Minute)).To(Succeed())
	for _, a := range arns {
		_, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("gosdk"), Task: aws.String(a), Reason: aws.String("go says stop")})
		g.Expect(err).NotTo(HaveOccurred())
	}
	stopped, err := ecs.NewTasksStoppedWaiter(c, func(o *ecs.TasksStoppedWaiterOptions) { o.MinDelay = time.Second }).WaitForOutput(ctx, tasks, 3*time.Minute)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(stopped.Tasks[0].StopCode).To(Equal(types.TaskStopCodeUserInitiated))
	g.Expect(aws.ToString(stopped.Tasks[0].StoppedReason)).To(Equal("go says stop"))
	_, err = c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("gosdk"), Service: aws.String("web"), Force: aws.Bool(true)})
	g.Expect(err).NotTo(HaveOccurred())
	inactive := ecs.NewServicesInactiveWaiter(c, func(o *ecs.ServicesInactiveWaiterOptions) { o.MinDelay = time.Second })
	g.Expect(inactive.Wait(ctx, in, 3*time.Minute)).To(Succeed())
	_, err = c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("gosdk")})
	g.Expect(err).NotTo(HaveOccurred())

	// boto3.
	cmd := exec.CommandContext(ctx, "python3", "testdata/ecsapi_boto3.py", "boto")
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+e.url, "AWS_ACCESS_KEY_ID="+e.id, "AWS_SECRET_ACCESS_KEY="+e.secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	raw, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(raw))
	var seen map[string]any
	g.Expect(json.Unmarshal(bytes.TrimSpace(raw[bytes.LastIndexByte(bytes.TrimSpace(raw), '\n')+1:]), &seen)).To(Succeed(), string(raw))
	g.Expect(seen).To(HaveKeyWithValue("revision", BeEquivalentTo(2)))
	g.Expect(seen).To(HaveKeyWithValue("deployments", BeEquivalentTo(1)))
	g.Expect(seen).To(HaveKeyWithValue("taskDefinition", HaveSuffix("boto-web:2")))
	g.Expect(seen).To(HaveKeyWithValue("runningCount", BeEquivalentTo(2)))
	g.Expect(seen).To(HaveKeyWithValue("pages", BeEquivalentTo(4)), "2 standalone tasks and the service's 2, a page each")
	g.Expect(seen).To(HaveKeyWithValue("stopCode", "UserInitiated"))
	g.Expect(seen).To(HaveKeyWithValue("stoppedReason", "boto3 says stop"))
}
