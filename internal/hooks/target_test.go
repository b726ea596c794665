package hooks

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func TestParseTarget(t *testing.T) {
	cases := []struct {
		arn     string
		want    Target
		wantErr bool
	}{
		{arn: "arn:aws:lambda:eu-west-1:123456789012:function:checkout-smoke-test",
			want: Target{Function: "checkout-smoke-test", CronJob: "checkout-smoke-test"}},
		{arn: "arn:aws:lambda:us-west-2:123456789012:function:My_Approval_Hook:prod",
			want: Target{Function: "My_Approval_Hook", Qualifier: "prod", CronJob: "my-approval-hook"}},
		{arn: "arn:aws:lambda:us-west-2:123456789012:function:hook:$LATEST",
			want: Target{Function: "hook", Qualifier: "$LATEST", CronJob: "hook"}},
		{arn: "arn:aws-cn:lambda:cn-north-1:123456789012:function:hook:7",
			want: Target{Function: "hook", Qualifier: "7", CronJob: "hook"}},
		{arn: "", wantErr: true},
		{arn: "hook", wantErr: true},
		{arn: "arn:aws:lambda:us-west-2:123456789012:hook", wantErr: true},
		{arn: "arn:aws:ecs:us-west-2:123456789012:function:hook", wantErr: true},
		{arn: "arn:aws:lambda:us-west-2:1234:function:hook", wantErr: true},
		{arn: "arn:aws:lambda:us-west-2:123456789012:function:ho.ok", wantErr: true},
		{arn: "arn:aws:lambda:us-west-2:123456789012:function:hook:a:b", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.arn, func(t *testing.T) {
			got, err := ParseTarget(c.arn)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			c.want.Arn = c.arn
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestCronJobsOf(t *testing.T) {
	hook := func(typ ecsv1alpha1.DeploymentLifecycleHookTargetType, arn string) ecsv1alpha1.DeploymentLifecycleHook {
		return ecsv1alpha1.DeploymentLifecycleHook{TargetType: typ, HookTargetArn: arn}
	}
	svc := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}}
	if got := CronJobsOf(svc); got != nil {
		t.Errorf("no deploymentConfiguration: %v", got)
	}
	svc.Spec.DeploymentConfiguration = &ecsv1alpha1.DeploymentConfiguration{LifecycleHooks: []ecsv1alpha1.DeploymentLifecycleHook{
		hook("", "arn:aws:lambda:us-east-1:123456789012:function:Smoke_Test"),
		hook(ecsv1alpha1.DeploymentLifecycleHookTargetTypeAwsLambda, "arn:aws:lambda:us-east-1:123456789012:function:approve"),
		hook(ecsv1alpha1.DeploymentLifecycleHookTargetTypeAwsLambda, "arn:aws:lambda:us-east-1:123456789012:function:approve:2"),
		hook(ecsv1alpha1.DeploymentLifecycleHookTargetTypePause, "arn:aws:lambda:us-east-1:123456789012:function:paused"),
		hook(ecsv1alpha1.DeploymentLifecycleHookTargetTypeAwsLambda, "not an arn"),
	}}
	if d := cmp.Diff([]string{"approve", "smoke-test"}, CronJobsOf(svc)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if got := CronJobsOf(&ecsv1alpha1.Cluster{}); got != nil {
		t.Errorf("a Cluster: %v", got)
	}
}
