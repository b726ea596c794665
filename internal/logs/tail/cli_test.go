package tail

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// cluster is namespace shop: Service web (ECS name web-svc, cluster prod)
// with two tasks, a standalone Task job whose pod runs, a Task gone whose
// pod is gone, and a Service api in the default cluster whose ECS name is
// also web-svc.
func cluster(funcs *interceptor.Funcs) (Connect, *fakeLogs) {
	web := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}}
	web.Spec.ServiceName = "web-svc"
	web.Spec.Cluster = "prod"
	api := &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop"}}
	api.Spec.ServiceName = "web-svc"
	job := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Name: "job", Namespace: "shop", UID: types.UID(uidT)}}
	gone := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Name: "gone", Namespace: "shop", UID: "dddddddd-0000-0000-0000-000000000004"}}
	pa := taskPod("web-a", uidA, 0, []string{"app=app"})
	pb := taskPod("web-b", uidB, 1, []string{"app=app"})
	pj := taskPod("job", "eeeeeeee-0000-0000-0000-000000000005", 0, []string{"main=main"}, ownedBy("job", uidT))
	pa.Labels[ecsv1alpha1.LabelCluster], pb.Labels[ecsv1alpha1.LabelCluster] = "prod", "prod"
	delete(pj.Labels, ecsv1alpha1.LabelService)
	b := fake.NewClientBuilder().WithScheme(Scheme()).WithObjects(web, api, job, gone, &pa, &pb, &pj)
	if funcs != nil {
		b = b.WithInterceptorFuncs(*funcs)
	}
	c := b.Build()
	logs := &fakeLogs{}
	logs.add("web-a/app", at(0), "a says hi")
	logs.add("web-b/app", at(10), "b says hi")
	logs.add("job/main", at(5), "job done")
	return func(_, _, ns string) (Clients, error) {
		if ns == "" {
			ns = "shop" // the context's
		}
		return Clients{Client: c, Logs: logs, Namespace: ns}, nil
	}, logs
}

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // exactly
		stderr string // contained
	}{
		{name: "no target", args: nil, code: 2, stderr: "Usage: berth logs service/NAME|task/ID"},
		{name: "two targets", args: []string{"service/web", "service/api"}, code: 2, stderr: "Usage:"},
		{name: "help", args: []string{"-h"}, code: 0, stderr: "--filter"},
		{name: "unknown flag", args: []string{"service/web", "--tail", "5"}, code: 2, stderr: "flag provided but not defined: -tail"},
		{name: "bare name", args: []string{"web"}, code: 2, stderr: `berth logs: "web": say service/NAME or task/ID`},
		{name: "other kind", args: []string{"deployment/web"}, code: 2, stderr: "deployment is neither service nor task"},
		{name: "not an ECS ARN", args: []string{"arn:aws:s3:::bucket"}, code: 2, stderr: "is not an ECS service or task ARN"},
		{name: "bad since", args: []string{"service/web", "--since", "yesterday"}, code: 2, stderr: `--since: "yesterday" is neither a duration`},
		{name: "bad filter", args: []string{"service/web", "--filter", `{ $.level = `}, code: 2, stderr: "berth logs: --filter: Invalid filter pattern at position"},
		{name: "ARN cluster is not --cluster", args: []string{"arn:aws:ecs:us-east-1:000000000000:service/prod/web-svc", "--cluster", "dev"}, code: 2, stderr: "the ARN's cluster prod is not --cluster dev"},

		{name: "service by object name, flags after it", args: []string{"service/web", "--since", "0"}, stdout: idA + "/app a says hi\n" + idB + "/app b says hi\n"},
		{name: "service by ECS name and cluster", args: []string{"--cluster=prod", "-since=0", "service/web-svc"}, stdout: idA + "/app a says hi\n" + idB + "/app b says hi\n"},
		{name: "service ARN", args: []string{"arn:aws:ecs:us-east-1:000000000000:service/prod/web-svc", "--since", "0"}, stdout: idA + "/app a says hi\n" + idB + "/app b says hi\n"},
		{name: "ECS name in two clusters", args: []string{"service/web-svc"}, code: 1, stderr: "2 services are named web-svc in namespace shop: say which with --cluster"},
		{name: "service of another cluster", args: []string{"service/web", "--cluster", "default"}, code: 1, stderr: "service web not found in cluster default of namespace shop"},
		{name: "service not found", args: []string{"svc/nope"}, code: 1, stderr: "service nope not found in namespace shop"},
		{name: "other namespace", args: []string{"service/web", "-n", "other"}, code: 1, stderr: "service web not found in namespace other"},
		{name: "since 10m by default: nothing that old", args: []string{"service/web"}, stdout: ""},

		{name: "task by Task name", args: []string{"task/job", "--since", "0", "--timestamps"}, stdout: "2026-03-01T12:00:00.005000000Z " + idT + "/main job done\n"},
		{name: "task by ECS ID of a Task", args: []string{"task/" + idT, "--since", "0"}, stdout: idT + "/main job done\n"},
		{name: "task by pod UID", args: []string{"task/" + strings.ToUpper(uidB), "--since", "0"}, stdout: idB + "/app b says hi\n"},
		{name: "task by ECS ID of a service's task", args: []string{"task/" + idB, "--since", "0"}, stdout: idB + "/app b says hi\n"},
		{name: "task ARN", args: []string{"arn:aws:ecs:us-east-1:000000000000:task/prod/" + idA, "--since", "0"}, stdout: idA + "/app a says hi\n"},
		{name: "task ARN of another cluster", args: []string{"arn:aws:ecs:us-east-1:000000000000:task/dev/" + idA}, code: 1, stderr: "task " + idA + " not found"},
		{name: "Task whose pod is gone", args: []string{"task/dddddddd000000000000000000000004", "--since", "0"}, stderr: "no running task"},
		{name: "task not found", args: []string{"task/nope"}, code: 1, stderr: "task nope not found in namespace shop"},
		{name: "filter", args: []string{"service/web", "--since", "0", "--filter", `"b says"`}, stdout: idB + "/app b says hi\n"},
		{name: "unknown container", args: []string{"service/web", "-c", "db"}, code: 1, stderr: `no container "db" in the tasks (their containers: app)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			connect, _ := cluster(nil)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr, connect, nil)
			if code != tc.code || stdout.String() != tc.stdout || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestCommandRBAC: a refusal is printed, and the exit code is 1.
func TestCommandRBAC(t *testing.T) {
	gr := schema.GroupResource{Group: ecsv1alpha1.GroupVersion.Group, Resource: "services"}
	connect, _ := cluster(&interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		return apierrors.NewForbidden(gr, key.Name, errors.New(`User "dev" cannot get resource "services"`))
	}})
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"service/web"}, &stdout, &stderr, connect, nil); code != 1 || !strings.Contains(stderr.String(), `cannot get resource "services"`) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}

	connect, logs := cluster(nil)
	logs.errs = map[string]error{"web-b/app": apierrors.NewForbidden(schema.GroupResource{Resource: "pods/log"}, "web-b", errors.New("no"))}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"service/web", "--since", "0"}, &stdout, &stderr, connect, nil); code != 1 || !strings.Contains(stderr.String(), `pods/log "web-b" is forbidden`) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestCommandFollow: --follow polls until the context ends, then exits 0.
func TestCommandFollow(t *testing.T) {
	connect, logs := cluster(nil)
	ctx, cancel := context.WithCancel(context.Background())
	polls := 0
	wait := func(context.Context, time.Duration) bool {
		polls++
		if polls == 2 {
			cancel()
			return false
		}
		logs.add("web-a/app", at(20), "a again")
		return true
	}
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"service/web", "-f", "--since", "2026-03-01T12:00:00Z"}, &stdout, &stderr, connect, wait)
	want := idA + "/app a says hi\n" + idB + "/app b says hi\n" + idA + "/app a again\n"
	if code != 0 || stdout.String() != want || stderr.Len() > 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}
