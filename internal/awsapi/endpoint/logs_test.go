package endpoint

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func (a account) logs() *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(a.id, a.secret, ""),
	})
}

// TestLogsWithTheGoSDK: the CloudWatch Logs client reaches the same
// endpoint; groups come from task definitions, streams from task pods with
// ECS's names; RBAC decides, as for ECS.
func TestLogsWithTheGoSDK(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a := newAccount(t, "grace", true)
	_, err := a.client().RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("logged"), ContainerDefinitions: []types.ContainerDefinition{{
		Name: aws.String("app"), Image: aws.String("nginx"), Memory: aws.Int32(128), Essential: aws.Bool(true),
		LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/logged", "awslogs-stream-prefix": "web", "awslogs-region": "us-east-1"}},
	}}})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	// A task's pod as the translation writes it (envtest runs no kubelet:
	// its log cannot be read, so the stream is empty).
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: a.ns, Name: "logged-1", Labels: map[string]string{ecsv1alpha1.LabelCluster: "default"},
		Annotations: map[string]string{ecsv1alpha1.AnnotationContainers: `{"app":{"name":"app","essential":true,"logGroup":"/ecs/logged","logStreamPrefix":"web"}}`}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}}}
	g.Expect(env.Direct.Create(ctx, pod)).To(Succeed())

	l := a.logs()
	groups, err := l.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(groups.LogGroups).To(HaveLen(1))
	g.Expect(aws.ToString(groups.LogGroups[0].LogGroupName)).To(Equal("/ecs/logged"))
	streams, err := l.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/ecs/logged")})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(streams.LogStreams).To(HaveLen(1))
	g.Expect(aws.ToString(streams.LogStreams[0].LogStreamName)).To(Equal("web/app/" + string(pod.UID[:8]) + string(pod.UID[9:13]) + string(pod.UID[14:18]) + string(pod.UID[19:23]) + string(pod.UID[24:])))
	events, err := l.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/logged"), LogStreamName: streams.LogStreams[0].LogStreamName})
	g.Expect(err).NotTo(HaveOccurred(), code(err))
	g.Expect(events.Events).To(BeEmpty())
	g.Expect(aws.ToString(events.NextForwardToken)).NotTo(BeEmpty())

	_, err = l.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/ecs/nope")})
	g.Expect(code(err)).To(Equal("ResourceNotFoundException: The specified log group does not exist."))
	_, err = l.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/logged"), FilterPattern: aws.String(`{ $.level = `)})
	g.Expect(code(err)).To(HavePrefix("InvalidParameterException: Invalid filter pattern at position "))
	_, err = l.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/mine")})
	g.Expect(code(err)).To(HavePrefix("InvalidOperationException: Berth does not serve CreateLogGroup: "))

	// Another namespace's key without RBAC sees nothing of it.
	b := newAccount(t, "heidi", false)
	_, err = b.logs().DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	g.Expect(code(err)).To(HavePrefix("AccessDeniedException: "))
}
