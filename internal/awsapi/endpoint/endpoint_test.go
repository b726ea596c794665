package endpoint

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/controllers"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/aaswire"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/awsapi/modelcheck"
	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/operator"
	"github.com/berth-dev/berth/internal/testenv"
)

var (
	env *testenv.Envtest
	url string
	// problems are responses that do not validate against the model.
	problems struct {
		sync.Mutex
		list []string
	}
)

const keyNamespace = "berth-system"

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	root, _ := filepath.Abs("../../..")
	var err error
	env, err = testenv.Start(root)
	defer env.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	mgr, err := operator.New(ctx, env.Config, operator.Options{MetricsBindAddress: "0", HealthProbeAddress: "0",
		Controllers: controllers.Config{SkipNameValidation: true, KubernetesMinor: 37}})
	if err == nil {
		go func() { _ = mgr.Start(ctx) }()
		err = env.Direct.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: keyNamespace}})
	}
	var ep *Endpoint
	if err == nil {
		ep, err = New(env.Config, Options{KeyNamespace: keyNamespace, Account: names.DefaultAccount, Wait: 10 * time.Second})
	}
	if err == nil {
		err = ep.Start(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	models := map[string]*modelcheck.Model{}
	for prefix, dir := range map[string]string{ecswire.TargetPrefix: "ecs", aaswire.TargetPrefix: "application-autoscaling"} {
		raw, err := os.ReadFile(filepath.Join(root, "models", dir, "service-2.json"))
		if err == nil {
			models[prefix], err = modelcheck.Parse(raw)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	srv := httptest.NewServer(validating(models, ep.Handler))
	defer srv.Close()
	url = srv.URL
	return m.Run()
}

// validating checks every answer against the model's output shape of its
// operation (or the error shape).
func validating(models map[string]*modelcheck.Model, h http.Handler) http.Handler {
	outputs := map[string]map[string]string{ecswire.TargetPrefix: ecswire.OutputShapes, aaswire.TargetPrefix: aaswire.OutputShapes}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		prefix, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		if model := models[prefix]; rec.Code == http.StatusOK && model != nil {
			if shape, ok := outputs[prefix][op]; ok {
				if p := model.Validate(shape, rec.Body.Bytes()); len(p) > 0 {
					problems.Lock()
					problems.list = append(problems.list, fmt.Sprintf("%s: %v", op, p))
					problems.Unlock()
				}
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// account is an access key with its namespace; rbac grants it Berth's
// kinds there.
type account struct {
	id, secret, ns string
}

func newAccount(t *testing.T, user string, rbac bool) account {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	a := account{id: "AKIA" + strings.ToUpper(fmt.Sprintf("%016x", time.Now().UnixNano())), secret: "s3cr3t-" + user, ns: env.Namespace(t)}
	g.Expect(env.Direct.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: keyNamespace, Name: strings.ToLower(a.id)},
		Type:       awsapi.SecretTypeAccessKey,
		StringData: map[string]string{awsapi.KeyAccessKeyID: a.id, awsapi.KeySecretAccessKey: a.secret, awsapi.KeyUsername: user, awsapi.KeyNamespace: a.ns},
	})).To(Succeed())
	if rbac {
		g.Expect(env.Direct.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: a.ns, Name: "ecs"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"ecs.berth.dev"}, Resources: []string{"*"}, Verbs: []string{"*"}},
				{APIGroups: []string{""}, Resources: []string{"events", "pods"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
			}})).To(Succeed())
		g.Expect(env.Direct.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: a.ns, Name: "ecs"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "ecs"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: user, APIGroup: "rbac.authorization.k8s.io"}}})).To(Succeed())
	}
	// The key cache sees the Secret.
	g.Eventually(func() error {
		_, err := a.client().ListClusters(ctx, &ecs.ListClustersInput{})
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == awsjson.UnrecognizedClient {
			return err
		}
		return nil
	}).Should(Succeed())
	return a
}

func (a account) client() *ecs.Client {
	return ecs.New(ecs.Options{
		BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(a.id, a.secret, ""),
	})
}

// code is an API error's code and message.
func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	if err == nil {
		return "no error"
	}
	return err.Error()
}

func container(image string) []types.ContainerDefinition {
	return []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(128), Essential: aws.Bool(true)}}
}

// TestServiceLifecycleWithTheGoSDK drives clusters, task definitions,
// services and tasks through the Go SDK, as a deploy tool would.
func TestServiceLifecycleWithTheGoSDK(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "alice", true)
	c := a.client()

	cl, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("web")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(aws.ToString(cl.Cluster.ClusterArn)).To(Equal("arn:aws:ecs:us-east-1:000000000000:cluster/web"))

	// Every RegisterTaskDefinition registers a revision, even unchanged.
	var arns []string
	for _, image := range []string{"nginx:1", "nginx:2", "nginx:2"} {
		out, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"), ContainerDefinitions: container(image)})
		g.Expect(err).NotTo(HaveOccurred(), code(err))
		g.Expect(out.TaskDefinition.Status).To(Equal(types.TaskDefinitionStatusActive))
		arns = append(arns, aws.ToString(out.TaskDefinition.TaskDefinitionArn))
	}
	g.Expect(arns).To(Equal([]string{
		"arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
		"arn:aws:ecs:us-east-1:000000000000:task-definition/web:2",
		"arn:aws:ecs:us-east-1:000000000000:task-definition/web:3",
	}))
	td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(td.TaskDefinition.Revision).To(Equal(int32(3)))

	// Paginators walk every page.
	var listed []string
	p := ecs.NewListTaskDefinitionsPaginator(c, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("we"), Sort: types.SortOrderDesc, MaxResults: aws.Int32(1)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		g.Expect(err).NotTo(HaveOccurred())
		listed = append(listed, out.TaskDefinitionArns...)
		pages++
	}
	g.Expect(pages).To(Equal(3))
	g.Expect(listed).To(Equal([]string{arns[2], arns[1], arns[0]}))

	svc, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("web"), ServiceName: aws.String("front"),
		TaskDefinition: aws.String("web:1"), DesiredCount: aws.Int32(2)})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(aws.ToString(svc.Service.ServiceArn)).To(Equal("arn:aws:ecs:us-east-1:000000000000:service/web/front"))
	g.Expect(aws.ToString(svc.Service.Status)).To(Equal("ACTIVE"))
	g.Expect(svc.Service.DesiredCount).To(Equal(int32(2)))

	_, err = c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("web"), ServiceName: aws.String("front"),
		TaskDefinition: aws.String("web:1"), DesiredCount: aws.Int32(2)})
	g.Expect(code(err)).To(Equal("InvalidParameterException: Creation of service was not idempotent."))

	up, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("web"), Service: aws.String("front"), TaskDefinition: aws.String("web:2")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(aws.ToString(up.Service.TaskDefinition)).To(Equal(arns[1]))

	ds, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("web"), Services: []string{"front", "nope"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ds.Services).To(HaveLen(1))
	g.Expect(ds.Failures).To(HaveLen(1))
	g.Expect(aws.ToString(ds.Failures[0].Reason)).To(Equal("MISSING"))

	// Tasks: three at once, listed a page at a time, one stopped with a reason.
	rt, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("web"), TaskDefinition: aws.String("web"), Count: aws.Int32(3), StartedBy: aws.String("ci")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(rt.Tasks).To(HaveLen(3))
	g.Expect(rt.Failures).To(BeEmpty())
	var tasks ecsv1alpha1.TaskList
	g.Expect(env.Direct.List(ctx, &tasks, client.InNamespace(a.ns))).To(Succeed())
	g.Expect(tasks.Items).To(HaveLen(3))
	g.Expect(tasks.Items[0].Spec.TaskDefinition).To(Equal("web:3"), "the revision is fixed when RunTask is called, as in ECS")
	var taskArns []string
	tp := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String("web"), MaxResults: aws.Int32(1)})
	for tp.HasMorePages() {
		out, err := tp.NextPage(ctx)
		g.Expect(err).NotTo(HaveOccurred())
		taskArns = append(taskArns, out.TaskArns...)
	}
	g.Expect(taskArns).To(HaveLen(3))
	g.Expect(taskArns).To(ContainElement(aws.ToString(rt.Tasks[0].TaskArn)))
	_, err = c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("web"), Task: rt.Tasks[0].TaskArn, Reason: aws.String("no longer needed")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	dt, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("web"), Tasks: []string{aws.ToString(rt.Tasks[0].TaskArn), "0123456789abcdef0123456789abcdef"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dt.Tasks).To(HaveLen(1))
	g.Expect(aws.ToString(dt.Tasks[0].DesiredStatus)).To(Equal("STOPPED"))
	g.Expect(aws.ToString(dt.Tasks[0].StoppedReason)).To(Equal("no longer needed"))
	g.Expect(dt.Failures).To(HaveLen(1))

	// A service's task is its pod (no kube-controller-manager here: one made by hand).
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: a.ns, Name: "front-abc",
		Labels:      map[string]string{ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue, ecsv1alpha1.LabelService: "front"},
		Annotations: map[string]string{ecsv1alpha1.AnnotationStartedBy: "ecs-svc/123", ecsv1alpha1.AnnotationTaskDefinitionArn: arns[1]}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}}}
	g.Expect(env.Direct.Create(ctx, pod)).To(Succeed())
	lts, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("web"), ServiceName: aws.String("front")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(lts.TaskArns).To(HaveLen(1))
	dst, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("web"), Tasks: lts.TaskArns})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dst.Tasks).To(HaveLen(1))
	g.Expect(aws.ToString(dst.Tasks[0].Group)).To(Equal("service:front"))
	g.Expect(aws.ToString(dst.Tasks[0].StartedBy)).To(Equal("ecs-svc/123"))
	g.Expect(aws.ToString(dst.Tasks[0].TaskDefinitionArn)).To(Equal(arns[1]))
	_, err = c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("web"), ServiceName: aws.String("nope")})
	g.Expect(code(err)).To(Equal("ServiceNotFoundException: Service not found."))
	g.Expect(env.Direct.Delete(ctx, pod, client.GracePeriodSeconds(0))).To(Succeed()) // or the service would drain forever

	// Tags round-trip on a cluster; a revision's are read-only.
	clusterArn := aws.ToString(cl.Cluster.ClusterArn)
	_, err = c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(clusterArn), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("dev")}}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	_, err = c.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: aws.String(clusterArn), TagKeys: []string{"env"}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	lt, err := c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(clusterArn)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(lt.Tags).To(HaveLen(1))
	g.Expect(aws.ToString(lt.Tags[0].Key)).To(Equal("team"))
	_, err = c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arns[0]), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	g.Expect(code(err)).To(HavePrefix("InvalidParameterException: Berth cannot change the tags of"))
	_, err = c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:111111111111:cluster/web")})
	g.Expect(code(err)).To(HavePrefix("InvalidParameterException: "), "another account's ARN")

	// The cluster cannot go while it has services.
	_, err = c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("web")})
	g.Expect(code(err)).To(Equal("ClusterContainsServicesException: The Cluster cannot be deleted while Services are active."))

	_, err = c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("web"), Service: aws.String("front")})
	g.Expect(code(err)).To(Equal("InvalidParameterException: The service cannot be stopped while it is scaled above 0."))
	del, err := c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("web"), Service: aws.String("front"), Force: aws.Bool(true)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(aws.ToString(del.Service.Status)).To(Equal("DRAINING"))
	// INACTIVE, not MISSING, once it is gone (services-inactive waits for that).
	g.Eventually(func() string {
		ds, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("web"), Services: []string{"front"}})
		if err != nil || len(ds.Services) == 0 {
			return code(err)
		}
		return aws.ToString(ds.Services[0].Status)
	}).WithTimeout(30 * time.Second).Should(Equal("INACTIVE"))

	problems.Lock()
	defer problems.Unlock()
	g.Expect(problems.list).To(BeEmpty(), "every answer validates against the model's output shape")
}

// TestErrorsAsECSAnswersThem: each error with ECS's exception and message.
func TestErrorsAsECSAnswersThem(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "carol", true)
	c := a.client()
	_, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("default")})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("app"), ContainerDefinitions: container("nginx")})
	g.Expect(err).NotTo(HaveOccurred())

	_, err = c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("nope"), ServiceName: aws.String("s"), TaskDefinition: aws.String("app"), DesiredCount: aws.Int32(1)})
	g.Expect(code(err)).To(Equal("ClusterNotFoundException: Cluster not found."))
	_, err = c.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("s"), TaskDefinition: aws.String("nope:7"), DesiredCount: aws.Int32(1)})
	g.Expect(code(err)).To(Equal("ClientException: TaskDefinition not found."))
	_, err = c.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("s"), TaskDefinition: aws.String("app"), DesiredCount: aws.Int32(-1)})
	g.Expect(code(err)).To(HavePrefix("InvalidParameterException: Invalid value for desiredCount"))
	_, err = c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("fgonly"), ContainerDefinitions: container("nginx"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	_, err = c.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("s"), TaskDefinition: aws.String("fgonly"), DesiredCount: aws.Int32(1)})
	g.Expect(code(err)).To(Equal("InvalidParameterException: Task definition does not support launch_type EC2."))
	_, err = c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("fgonly"), LaunchType: types.LaunchTypeEc2})
	g.Expect(code(err)).To(Equal("InvalidParameterException: Task definition does not support launch_type EC2."))
	_, err = c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("fg"), ContainerDefinitions: container("nginx"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("4096")})
	g.Expect(code(err)).To(ContainSubstring("No Fargate configuration exists for given values: 256 CPU, 4096 memory"))
	g.Expect(code(err)).To(HavePrefix("ClientException: "))

	// Raw requests: unknown operation, malformed JSON, an oversized body,
	// a wrong secret, an unknown key.
	raw := func(a account, target string, body []byte) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", awsjson.ContentType)
		req.Header.Set("X-Amz-Target", target)
		sum := sha256hex(body)
		g.Expect(v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: a.id, SecretAccessKey: a.secret}, req, sum, "ecs", "us-east-1", time.Now())).To(Succeed())
		resp, err := http.DefaultClient.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := raw(a, "AmazonEC2ContainerServiceV20141113.FlyToTheMoon", []byte(`{}`))
	g.Expect(status).To(Equal(400))
	g.Expect(body).To(ContainSubstring(`"__type":"UnknownOperationException"`))
	status, body = raw(a, "AmazonEC2ContainerServiceV20141113.ListClusters", []byte(`{"maxResults":`))
	g.Expect(status).To(Equal(400))
	g.Expect(body).To(ContainSubstring(`"__type":"SerializationException"`))
	status, body = raw(a, "AmazonEC2ContainerServiceV20141113.ListClusters", []byte(`{"maxResults":"ten"}`))
	g.Expect(status).To(Equal(400))
	g.Expect(body).To(ContainSubstring(`"__type":"SerializationException"`))
	status, body = raw(a, "AmazonEC2ContainerServiceV20141113.ListClusters", bytes.Repeat([]byte(" "), awsapi.MaxBody+1))
	g.Expect(status).To(Equal(413))
	g.Expect(body).To(ContainSubstring(`"__type":"RequestEntityTooLargeException"`))
	status, body = raw(account{id: a.id, secret: "wrong"}, "AmazonEC2ContainerServiceV20141113.ListClusters", []byte(`{}`))
	g.Expect(status).To(Equal(403))
	g.Expect(body).To(ContainSubstring(`"__type":"InvalidSignatureException"`))
	status, body = raw(account{id: "AKIAUNKNOWN", secret: "x"}, "AmazonEC2ContainerServiceV20141113.ListClusters", []byte(`{}`))
	g.Expect(status).To(Equal(400))
	g.Expect(body).To(ContainSubstring(`"__type":"UnrecognizedClientException"`))
	status, body = raw(a, "AmazonEC2ContainerServiceV20141113.CreateTaskSet", []byte(`{}`))
	g.Expect(status).To(Equal(400))
	g.Expect(body).To(ContainSubstring(`"__type":"UnsupportedFeatureException"`))
}

// TestKeyWithoutRBACIsDenied: a key whose identity RBAC does not allow in
// its namespace gets AccessDeniedException, and one key's namespace is
// not another's.
func TestKeyWithoutRBACIsDenied(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	alice := newAccount(t, "dave", true)
	_, err := alice.client().CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("private")})
	g.Expect(err).NotTo(HaveOccurred())
	bob := newAccount(t, "erin", false)
	_, err = bob.client().ListClusters(ctx, &ecs.ListClustersInput{})
	g.Expect(code(err)).To(HavePrefix("AccessDeniedException: "))
	// A key may not act as a Kubernetes system identity.
	masters := account{id: "AKIAMASTERS000000001", secret: "m", ns: alice.ns}
	g.Expect(env.Direct.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: keyNamespace, Name: "masters"}, Type: awsapi.SecretTypeAccessKey,
		StringData: map[string]string{awsapi.KeyAccessKeyID: masters.id, awsapi.KeySecretAccessKey: masters.secret,
			awsapi.KeyUsername: "mallory", awsapi.KeyGroups: "system:masters", awsapi.KeyNamespace: masters.ns},
	})).To(Succeed())
	g.Consistently(func() string {
		_, err := masters.client().ListClusters(ctx, &ecs.ListClustersInput{})
		return code(err)
	}).WithTimeout(2 * time.Second).Should(HavePrefix("UnrecognizedClientException"))
	// Another namespace with RBAC of its own sees none of dave's clusters.
	other := newAccount(t, "frank", true)
	out, err := other.client().ListClusters(ctx, &ecs.ListClustersInput{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.ClusterArns).To(BeEmpty())
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestAutoScalingWithTheGoSDK: a scalable target of a service, a target
// tracking policy, a scheduled action, through Application Auto Scaling's
// Go SDK client; the ScalableTarget object holds them.
func TestAutoScalingWithTheGoSDK(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "gina", true)
	c := aas.New(aas.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(a.id, a.secret, "")})
	id := aws.String("service/default/web")
	dim := aastypes.ScalableDimensionECSServiceDesiredCount
	ns := aastypes.ServiceNamespaceEcs
	_, err := c.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(10)})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	// Registering again changes only what is given.
	_, err = c.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim, MaxCapacity: aws.Int32(20)})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	dt, err := c.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: ns})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dt.ScalableTargets).To(HaveLen(1))
	g.Expect(aws.ToInt32(dt.ScalableTargets[0].MinCapacity)).To(Equal(int32(1)))
	g.Expect(aws.ToInt32(dt.ScalableTargets[0].MaxCapacity)).To(Equal(int32(20)))

	pol, err := c.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		PolicyName: aws.String("cpu50"), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization},
			ScaleInCooldown:               aws.Int32(60)}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(aws.ToString(pol.PolicyARN)).To(ContainSubstring(":policyName/cpu50"))
	_, err = c.PutScheduledAction(ctx, &aas.PutScheduledActionInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		ScheduledActionName: aws.String("night"), Schedule: aws.String("cron(0 22 * * ? *)"),
		ScalableTargetAction: &aastypes.ScalableTargetAction{MinCapacity: aws.Int32(0), MaxCapacity: aws.Int32(2)}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))

	var st ecsv1alpha1.ScalableTarget
	g.Expect(env.Direct.Get(ctx, client.ObjectKey{Namespace: a.ns, Name: "default-web"}, &st)).To(Succeed(), "kubectl sees the scalable target")
	g.Expect(st.Spec.ScalingPolicies).To(HaveLen(1))
	g.Expect(st.Spec.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue).To(Equal(50.0))
	g.Expect(st.Spec.ScheduledActions).To(HaveLen(1))
	g.Expect(*st.Spec.ScheduledActions[0].ScalableTargetAction.MinCapacity).To(Equal(int32(0)))

	dp, err := c.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns, ResourceId: id})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dp.ScalingPolicies).To(HaveLen(1))
	g.Expect(aws.ToFloat64(dp.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue)).To(Equal(50.0))
	ds, err := c.DescribeScheduledActions(ctx, &aas.DescribeScheduledActionsInput{ServiceNamespace: ns})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ds.ScheduledActions).To(HaveLen(1))

	_, err = c.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim, PolicyName: aws.String("nope")})
	g.Expect(code(err)).To(HavePrefix("ObjectNotFoundException: No scaling policy found"))
	_, err = c.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim, PolicyName: aws.String("cpu50")})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim})
	g.Expect(code(err)).To(HavePrefix("ObjectNotFoundException: No scalable target registered"))
	_, err = c.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb, ResourceId: aws.String("table/x"),
		ScalableDimension: aastypes.ScalableDimensionDynamoDBTableReadCapacityUnits, MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)})
	g.Expect(code(err)).To(HavePrefix("ValidationException: Unsupported service namespace dynamodb"))

	problems.Lock()
	defer problems.Unlock()
	g.Expect(problems.list).To(BeEmpty(), "every answer validates against the model's output shape")
}
