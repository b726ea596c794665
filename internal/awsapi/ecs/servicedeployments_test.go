package ecs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/ecswire"
	"github.com/berth-dev/berth/internal/names"
)

// operatorAccount is the account the operator's status ARNs carry; the
// caller's namespace is names.DefaultAccount: answers are in the caller's.
var operatorAccount = names.Account{Region: "eu-west-1", AccountID: "111111111111"}

var t0 = time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)

const (
	dep1 = "ecs-svc/0000000000000000001"
	dep2 = "ecs-svc/0000000000000000002"
	dep3 = "ecs-svc/0000000000000000003"
)

// record is a stored service deployment of default/web, created at t0
// plus minutes.
func record(id string, minutes int, status ecsv1alpha1.ServiceDeploymentState) ecsv1alpha1.ServiceDeploymentRecord {
	created := metav1.NewTime(t0.Add(time.Duration(minutes) * time.Minute))
	r := ecsv1alpha1.ServiceDeploymentRecord{
		ID: id, ServiceDeploymentArn: operatorAccount.ServiceDeploymentArn("default", "web", id), Status: status,
		CreatedAt: created, StartedAt: &created, UpdatedAt: created,
		TargetServiceRevision: ecsv1alpha1.ServiceRevisionSummary{Arn: operatorAccount.ServiceRevisionArn("default", "web", id), RequestedTaskCount: 2, RunningTaskCount: 1},
	}
	if status != ecsv1alpha1.ServiceDeploymentInProgress {
		finished := metav1.NewTime(created.Add(time.Minute))
		r.FinishedAt = &finished
	}
	return r
}

func revision(id string, minutes int, image string) ecsv1alpha1.ServiceRevision {
	return ecsv1alpha1.ServiceRevision{
		ServiceRevisionArn: operatorAccount.ServiceRevisionArn("default", "web", id),
		TaskDefinition:     operatorAccount.TaskDefinitionArn("web", int32(minutes)),
		LaunchType:         ecsv1alpha1.LaunchType("EC2"),
		ContainerImages:    []ecsv1alpha1.ContainerImage{{ContainerName: "app", Image: image}},
		CreatedAt:          metav1.NewTime(t0.Add(time.Duration(minutes) * time.Minute)),
	}
}

// webService is default/web with three deployments: 1 SUCCESSFUL, 2
// ROLLBACK_SUCCESSFUL (rolled back to 1), 3 IN_PROGRESS from 1.
func webService() *ecsv1alpha1.Service {
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}}
	svc.Spec.Cluster = "default"
	svc.Spec.TaskDefinition = "web:3"
	svc.Spec.DesiredCount = ptr.To[int32](2)
	svc.Spec.DeploymentConfiguration = &ecsv1alpha1.DeploymentConfiguration{MaximumPercent: ptr.To[int32](200), MinimumHealthyPercent: ptr.To[int32](100)}
	rolledBack := record(dep2, 2, ecsv1alpha1.ServiceDeploymentRollbackSuccessful)
	rolledBack.StatusReason = "deployment failed: alarm detected."
	rolledBack.Rollback = &ecsv1alpha1.ServiceDeploymentRollback{Reason: "rolling back", StartedAt: metav1.NewTime(t0.Add(150 * time.Second)),
		ServiceRevisionArn: operatorAccount.ServiceRevisionArn("default", "web", dep1)}
	rolledBack.Alarms = &ecsv1alpha1.DeploymentAlarmsState{Status: ecsv1alpha1.MonitorStatus("TRIGGERED"), AlarmNames: []string{"cpu"}, TriggeredAlarmNames: []string{"cpu"}}
	inProgress := record(dep3, 3, ecsv1alpha1.ServiceDeploymentInProgress)
	inProgress.SourceServiceRevisions = []ecsv1alpha1.ServiceRevisionSummary{{Arn: operatorAccount.ServiceRevisionArn("default", "web", dep1), RequestedTaskCount: 2, RunningTaskCount: 2}}
	// Stored out of order (the controller sorts them): the answers do not
	// rely on the order.
	svc.Status.ServiceDeployments = []ecsv1alpha1.ServiceDeploymentRecord{rolledBack, record(dep1, 1, ecsv1alpha1.ServiceDeploymentSuccessful), inProgress}
	svc.Status.ServiceRevisions = []ecsv1alpha1.ServiceRevision{revision(dep3, 3, "nginx:3"), revision(dep2, 2, "nginx:2"), revision(dep1, 1, "nginx:1")}
	return svc
}

// deploymentsEnv is a caller in namespace default (cluster default, service
// web) over a fake client, with funcs intercepting its calls.
func deploymentsEnv(t *testing.T, funcs interceptor.Funcs, objs ...client.Object) (context.Context, *handlers, client.Client) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := ecsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cl := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "default"}}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(append(objs, cl)...).
		WithStatusSubresource(&ecsv1alpha1.Service{}).WithInterceptorFuncs(funcs).Build()
	ctx := awsapi.WithCaller(context.Background(), &awsapi.Caller{Identity: awsapi.Identity{Namespace: "default"}, Client: c, Account: names.DefaultAccount})
	return ctx, &handlers{o: Options{Wait: time.Second, Poll: 5 * time.Millisecond}}, c
}

// errCode is an API error's type and message.
func errCode(err error) string {
	var e *awsjson.Error
	if errors.As(err, &e) {
		return e.Type + ": " + e.Message
	}
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// callerArn is a service deployment's ARN in the caller's account.
func callerArn(id string) string {
	return names.DefaultAccount.ServiceDeploymentArn("default", "web", id)
}

func TestListServiceDeployments(t *testing.T) {
	ctx, h, _ := deploymentsEnv(t, interceptor.Funcs{}, webService())
	list := func(in *ecswire.ListServiceDeploymentsRequest) ([]string, string, error) {
		in.Service = "web"
		out, err := h.listServiceDeployments(ctx, in)
		if err != nil {
			return nil, "", err
		}
		var got []string
		for _, b := range out.ServiceDeployments {
			got = append(got, b.ServiceDeploymentArn+" "+string(b.Status))
		}
		return got, out.NextToken, nil
	}
	all := []string{callerArn(dep3) + " IN_PROGRESS", callerArn(dep2) + " ROLLBACK_SUCCESSFUL", callerArn(dep1) + " SUCCESSFUL"}

	for _, tc := range []struct {
		name string
		in   ecswire.ListServiceDeploymentsRequest
		want []string
	}{
		{"all, newest first", ecswire.ListServiceDeploymentsRequest{}, all},
		{"by cluster ARN", ecswire.ListServiceDeploymentsRequest{Cluster: names.DefaultAccount.ClusterArn("default")}, all},
		{"status filter", ecswire.ListServiceDeploymentsRequest{Status: []ecswire.ServiceDeploymentStatus{"SUCCESSFUL", "ROLLBACK_SUCCESSFUL"}}, all[1:]},
		{"created after the first", ecswire.ListServiceDeploymentsRequest{CreatedAt: &ecswire.CreatedAt{After: awsjson.At(t0.Add(time.Minute))}}, all[:2]},
		{"created before the third", ecswire.ListServiceDeploymentsRequest{CreatedAt: &ecswire.CreatedAt{Before: awsjson.At(t0.Add(3 * time.Minute))}}, all[1:]},
		{"none in the window", ecswire.ListServiceDeploymentsRequest{CreatedAt: &ecswire.CreatedAt{After: awsjson.At(t0.Add(time.Hour))}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := list(&tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || next != "" {
				t.Errorf("deployments (-want +got):\n%s\nnextToken %q", diff, next)
			}
		})
	}

	t.Run("pages", func(t *testing.T) {
		var got []string
		token := ""
		for pages := 1; ; pages++ {
			page, next, err := list(&ecswire.ListServiceDeploymentsRequest{MaxResults: ptr.To[int32](2), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			if token = next; token == "" {
				if pages != 2 {
					t.Errorf("%d pages, want 2", pages)
				}
				break
			}
		}
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("pages (-want +got):\n%s", diff)
		}
	})

	for _, tc := range []struct {
		name string
		in   ecswire.ListServiceDeploymentsRequest
		want string
	}{
		{"no service", ecswire.ListServiceDeploymentsRequest{}, "InvalidParameterException: service must be specified."},
		{"unknown service", ecswire.ListServiceDeploymentsRequest{Service: "api"}, "ServiceNotFoundException: Service not found."},
		{"unknown cluster", ecswire.ListServiceDeploymentsRequest{Service: "web", Cluster: "prod"}, "ClusterNotFoundException: Cluster not found."},
		{"maxResults 0", ecswire.ListServiceDeploymentsRequest{Service: "web", MaxResults: ptr.To[int32](0)}, "InvalidParameterException: maxResults must be between 1 and 100"},
		{"maxResults 101", ecswire.ListServiceDeploymentsRequest{Service: "web", MaxResults: ptr.To[int32](101)}, "InvalidParameterException: maxResults must be between 1 and 100"},
		{"bad token", ecswire.ListServiceDeploymentsRequest{Service: "web", NextToken: "!"}, "InvalidParameterException: Invalid nextToken"},
		{"bad status", ecswire.ListServiceDeploymentsRequest{Service: "web", Status: []ecswire.ServiceDeploymentStatus{"DONE"}}, `InvalidParameterException: Invalid status filter "DONE".`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.listServiceDeployments(ctx, &tc.in)
			if got := errCode(err); got != tc.want {
				t.Errorf("error %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDescribeServiceDeployments(t *testing.T) {
	ctx, h, _ := deploymentsEnv(t, interceptor.Funcs{}, webService())
	unknown := callerArn("ecs-svc/0000000000000000009")
	otherAccount := operatorAccount.ServiceDeploymentArn("default", "web", dep2)
	out, err := h.describeServiceDeployments(ctx, &ecswire.DescribeServiceDeploymentsRequest{
		ServiceDeploymentArns: []string{callerArn(dep2), unknown, otherAccount, callerArn(dep3), "web"}})
	if err != nil {
		t.Fatal(err)
	}
	rev := func(id string) string { return names.DefaultAccount.ServiceRevisionArn("default", "web", id) }
	stamp := func(seconds int) *awsjson.Timestamp { return awsjson.At(t0.Add(time.Duration(seconds) * time.Second)) }
	dc := &ecswire.DeploymentConfiguration{MaximumPercent: ptr.To[int32](200), MinimumHealthyPercent: ptr.To[int32](100)}
	want := []ecswire.ServiceDeployment{{
		ServiceDeploymentArn: callerArn(dep2), ServiceArn: names.DefaultAccount.ServiceArn("default", "web"), ClusterArn: names.DefaultAccount.ClusterArn("default"),
		CreatedAt: stamp(120), StartedAt: stamp(120), FinishedAt: stamp(180), UpdatedAt: stamp(120),
		TargetServiceRevision: &ecswire.ServiceRevisionSummary{Arn: rev(dep2), RequestedTaskCount: 2, RunningTaskCount: 1},
		Status:                "ROLLBACK_SUCCESSFUL", StatusReason: "deployment failed: alarm detected.",
		DeploymentConfiguration: dc,
		Rollback:                &ecswire.Rollback{Reason: "rolling back", StartedAt: stamp(150), ServiceRevisionArn: rev(dep1)},
		Alarms:                  &ecswire.ServiceDeploymentAlarms{Status: "TRIGGERED", AlarmNames: []string{"cpu"}, TriggeredAlarmNames: []string{"cpu"}},
	}, {
		ServiceDeploymentArn: callerArn(dep3), ServiceArn: names.DefaultAccount.ServiceArn("default", "web"), ClusterArn: names.DefaultAccount.ClusterArn("default"),
		CreatedAt: stamp(180), StartedAt: stamp(180), UpdatedAt: stamp(180),
		SourceServiceRevisions: []ecswire.ServiceRevisionSummary{{Arn: rev(dep1), RequestedTaskCount: 2, RunningTaskCount: 2}},
		TargetServiceRevision:  &ecswire.ServiceRevisionSummary{Arn: rev(dep3), RequestedTaskCount: 2, RunningTaskCount: 1},
		Status:                 "IN_PROGRESS", DeploymentConfiguration: dc,
	}}
	if diff := cmp.Diff(want, out.ServiceDeployments); diff != "" {
		t.Errorf("service deployments (-want +got):\n%s", diff)
	}
	wantFailures := []ecswire.Failure{missing(unknown), missing(otherAccount), missing("web")}
	if diff := cmp.Diff(wantFailures, out.Failures); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}

	for n, want := range map[int]string{0: "InvalidParameterException: serviceDeploymentArns must contain between 1 and 20 items.",
		21: "InvalidParameterException: serviceDeploymentArns must contain between 1 and 20 items."} {
		_, err := h.describeServiceDeployments(ctx, &ecswire.DescribeServiceDeploymentsRequest{ServiceDeploymentArns: make([]string, n)})
		if got := errCode(err); got != want {
			t.Errorf("%d ARNs: %q, want %q", n, got, want)
		}
	}
}

func TestDescribeServiceRevisions(t *testing.T) {
	ctx, h, _ := deploymentsEnv(t, interceptor.Funcs{}, webService())
	rev := func(id string) string { return names.DefaultAccount.ServiceRevisionArn("default", "web", id) }
	out, err := h.describeServiceRevisions(ctx, &ecswire.DescribeServiceRevisionsRequest{
		ServiceRevisionArns: []string{rev(dep1), rev("ecs-svc/0000000000000000009"), callerArn(dep1)}})
	if err != nil {
		t.Fatal(err)
	}
	want := []ecswire.ServiceRevision{{
		ServiceRevisionArn: rev(dep1), ServiceArn: names.DefaultAccount.ServiceArn("default", "web"), ClusterArn: names.DefaultAccount.ClusterArn("default"),
		TaskDefinition: names.DefaultAccount.TaskDefinitionArn("web", 1), LaunchType: "EC2",
		ContainerImages: []ecswire.ContainerImage{{ContainerName: "app", Image: "nginx:1"}}, CreatedAt: awsjson.At(t0.Add(time.Minute)),
	}}
	if diff := cmp.Diff(want, out.ServiceRevisions); diff != "" {
		t.Errorf("service revisions (-want +got):\n%s", diff)
	}
	// A deployment's ARN is not its revision's.
	wantFailures := []ecswire.Failure{missing(rev("ecs-svc/0000000000000000009")), missing(callerArn(dep1))}
	if diff := cmp.Diff(wantFailures, out.Failures); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	_, err = h.describeServiceRevisions(ctx, &ecswire.DescribeServiceRevisionsRequest{})
	if got, want := errCode(err), "InvalidParameterException: serviceRevisionArns must contain between 1 and 20 items."; got != want {
		t.Errorf("no ARNs: %q, want %q", got, want)
	}
}

func TestStopServiceDeployment(t *testing.T) {
	for _, tc := range []struct {
		name        string
		arn         string
		stopType    ecswire.StopServiceDeploymentStopType
		annotations map[string]string // on the Service before the call
		wantErr     string
		want        map[string]string // the Service's annotations after it
		wantShown   ecswire.ServiceDeploymentStatus
	}{
		{name: "in progress, ROLLBACK by default", arn: callerArn(dep3),
			want:      map[string]string{ecsv1alpha1.AnnotationStopDeployment: operatorAccount.ServiceDeploymentArn("default", "web", dep3), ecsv1alpha1.AnnotationStopDeploymentType: "ROLLBACK"},
			wantShown: "ROLLBACK_REQUESTED"},
		{name: "in progress, ABORT", arn: callerArn(dep3), stopType: "ABORT",
			want:      map[string]string{ecsv1alpha1.AnnotationStopDeployment: operatorAccount.ServiceDeploymentArn("default", "web", dep3), ecsv1alpha1.AnnotationStopDeploymentType: "ABORT"},
			wantShown: "STOP_REQUESTED"},
		{name: "replaces a stop of an older deployment", arn: callerArn(dep3),
			annotations: map[string]string{ecsv1alpha1.AnnotationStopDeployment: dep2, ecsv1alpha1.AnnotationStopDeploymentType: "ABORT", "team": "a"},
			want:        map[string]string{ecsv1alpha1.AnnotationStopDeployment: operatorAccount.ServiceDeploymentArn("default", "web", dep3), ecsv1alpha1.AnnotationStopDeploymentType: "ROLLBACK", "team": "a"},
			wantShown:   "ROLLBACK_REQUESTED"},
		{name: "already requested: the rollback continues", arn: callerArn(dep3), stopType: "ABORT",
			annotations: map[string]string{ecsv1alpha1.AnnotationStopDeployment: callerArn(dep3)},
			want:        map[string]string{ecsv1alpha1.AnnotationStopDeployment: callerArn(dep3)},
			wantShown:   "ROLLBACK_REQUESTED"},
		{name: "ended", arn: callerArn(dep1),
			wantErr: "ConflictException: The service deployment is SUCCESSFUL and cannot be stopped: only a PENDING or IN_PROGRESS deployment can be (one STOP_REQUESTED, ROLLBACK_REQUESTED or ROLLBACK_IN_PROGRESS is already stopping)."},
		{name: "rolled back", arn: callerArn(dep2), wantErr: "ConflictException: The service deployment is ROLLBACK_SUCCESSFUL and cannot be stopped"},
		{name: "unknown deployment", arn: callerArn("ecs-svc/0000000000000000009"), wantErr: "ServiceDeploymentNotFoundException: Service deployment not found."},
		{name: "unknown service", arn: names.DefaultAccount.ServiceDeploymentArn("default", "api", dep3), wantErr: "ServiceDeploymentNotFoundException: Service deployment not found."},
		{name: "another account's ARN", arn: operatorAccount.ServiceDeploymentArn("default", "web", dep3), wantErr: "InvalidParameterException: The ARN"},
		{name: "a revision's ARN", arn: names.DefaultAccount.ServiceRevisionArn("default", "web", dep3), wantErr: "InvalidParameterException: The ARN"},
		{name: "bad stop type", arn: callerArn(dep3), stopType: "PAUSE", wantErr: `InvalidParameterException: Invalid stopType "PAUSE": ROLLBACK or ABORT.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := webService()
			svc.Annotations = tc.annotations
			ctx, h, c := deploymentsEnv(t, interceptor.Funcs{}, svc)
			before := &ecsv1alpha1.Service{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(svc), before); err != nil {
				t.Fatal(err)
			}
			out, err := h.stopServiceDeployment(ctx, &ecswire.StopServiceDeploymentRequest{ServiceDeploymentArn: tc.arn, StopType: tc.stopType})
			after := &ecsv1alpha1.Service{}
			if gerr := c.Get(ctx, client.ObjectKeyFromObject(svc), after); gerr != nil {
				t.Fatal(gerr)
			}
			if tc.wantErr != "" {
				if got := errCode(err); len(got) < len(tc.wantErr) || got[:len(tc.wantErr)] != tc.wantErr {
					t.Errorf("error %q, want %q", got, tc.wantErr)
				}
				if after.ResourceVersion != before.ResourceVersion {
					t.Errorf("a refused stop wrote the Service")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.ServiceDeploymentArn != tc.arn {
				t.Errorf("serviceDeploymentArn %q, want %q", out.ServiceDeploymentArn, tc.arn)
			}
			if diff := cmp.Diff(tc.want, after.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			list, err := h.listServiceDeployments(ctx, &ecswire.ListServiceDeploymentsRequest{Service: "web", MaxResults: ptr.To[int32](1)})
			if err != nil {
				t.Fatal(err)
			}
			if got := list.ServiceDeployments[0].Status; got != tc.wantShown {
				t.Errorf("listed as %s, want %s until the controller acts", got, tc.wantShown)
			}
		})
	}
}

// The stop is written only on the Service whose status was checked: when
// the deployment ends between the read and the write, the write conflicts,
// the Service is read again, and the stop is refused as for an ended
// deployment.
func TestStopServiceDeploymentIsFenced(t *testing.T) {
	patches := 0
	ended := func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
		patches++
		if patches == 1 {
			live := &ecsv1alpha1.Service{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
				return err
			}
			for i := range live.Status.ServiceDeployments {
				if r := &live.Status.ServiceDeployments[i]; r.ID == dep3 {
					r.Status = ecsv1alpha1.ServiceDeploymentSuccessful
				}
			}
			if err := c.Status().Update(ctx, live); err != nil {
				return err
			}
		}
		return c.Patch(ctx, obj, patch, opts...)
	}
	ctx, h, c := deploymentsEnv(t, interceptor.Funcs{Patch: ended}, webService())
	_, err := h.stopServiceDeployment(ctx, &ecswire.StopServiceDeploymentRequest{ServiceDeploymentArn: callerArn(dep3)})
	if got, want := errCode(err), "ConflictException: The service deployment is SUCCESSFUL"; len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("error %q, want %q", got, want)
	}
	if patches != 1 {
		t.Errorf("%d patches, want 1 (the one that conflicted)", patches)
	}
	svc := &ecsv1alpha1.Service{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "web"}, svc); err != nil {
		t.Fatal(err)
	}
	if v, ok := svc.Annotations[ecsv1alpha1.AnnotationStopDeployment]; ok {
		t.Errorf("the stop was written (%q) on a deployment that had ended", v)
	}
}
