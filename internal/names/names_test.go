package names

import "testing"

func TestParseTaskDefinition(t *testing.T) {
	cases := []struct {
		in      string
		want    TaskDefinitionRef
		wantErr bool
	}{
		{in: "web", want: TaskDefinitionRef{Family: "web"}},
		{in: "My_App-2:7", want: TaskDefinitionRef{Family: "My_App-2", Revision: 7}},
		{in: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3", want: TaskDefinitionRef{Family: "web", Revision: 3}},
		{in: "arn:aws:ecs:us-east-1:123456789012:task-definition/web", wantErr: true},
		{in: "arn:aws:ecs:us-east-1:123456789012:service/web", wantErr: true},
		{in: "web:0", wantErr: true},
		{in: "web:x", wantErr: true},
		{in: "web:01", wantErr: true},
		{in: "we b", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseTaskDefinition(c.in)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, c.wantErr)
			}
			if err == nil && got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestObjectNameAndArns(t *testing.T) {
	if got := ObjectName("FARGATE_SPOT"); got != "fargate-spot" {
		t.Errorf("ObjectName = %q", got)
	}
	if got := ClusterName("arn:aws:ecs:us-east-1:1:cluster/prod"); got != "prod" {
		t.Errorf("ClusterName(arn) = %q", got)
	}
	if got := ClusterName(""); got != "default" {
		t.Errorf("ClusterName(\"\") = %q", got)
	}
	a := Account{Region: "eu-west-1", AccountID: "123456789012"}
	if got, want := a.TaskDefinitionArn("web", 2), "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:2"; got != want {
		t.Errorf("TaskDefinitionArn = %q, want %q", got, want)
	}
	if got, want := a.ServiceArn("default", "web"), "arn:aws:ecs:eu-west-1:123456789012:service/default/web"; got != want {
		t.Errorf("ServiceArn = %q, want %q", got, want)
	}
	if got := TaskID("0f3a-11"); got != "0f3a11" {
		t.Errorf("TaskID = %q", got)
	}
}

func TestContainer(t *testing.T) {
	if got := Container("log_Router"); got != "log-router" {
		t.Errorf("Container = %q", got)
	}
	long := Container("a234567890b234567890c234567890d234567890e234567890f234567890g234567890")
	if len(long) != 63 {
		t.Errorf("len(Container(long)) = %d, want 63", len(long))
	}
	if long == Container("a234567890b234567890c234567890d234567890e234567890f234567890g23456789X") {
		t.Error("long names that differ must not collide")
	}
}

// Child names are what Berth finds its children by: changing one would
// make existing children look missing (made twice) or foreign (orphaned).
func TestChildNames(t *testing.T) {
	for got, want := range map[string]string{
		Deployment("web"):                      "web",
		SliceDeployment("web", "fargate-spot"): "web-fargate-spot",
		TaskPod("once"):                        "once",
		FargateNode("fargate", "uid-1", 0):     "fargate-" + fargateHash("uid-1"),
		FargateNode("fargate", "uid-1", 2):     "fargate-" + fargateHash("uid-1") + "-2",
		PoolNode("ec2", 3):                     "ec2-3",
		ServiceName("", "web"):                 "web",
		ServiceName("Web_Svc", "web"):          "Web_Svc",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if h := fargateHash("uid-1"); h != "4a49acf8a6" {
		t.Errorf("the Fargate node hash of uid-1 is %q: existing nodes carry 4a49acf8a6", h)
	}
}

func fargateHash(uid string) string { return FargateNode("", uid, 0)[1:] }

func TestStopDeployment(t *testing.T) {
	arn := "arn:aws:ecs:us-east-1:000000000000:service-deployment/default/web/123"
	for _, c := range []struct {
		ann      map[string]string
		ref      string
		rollback bool
	}{
		{nil, "", false},
		{map[string]string{"ecs.berth.dev/stop-deployment": " ecs-svc/123 "}, "ecs-svc/123", true},
		{map[string]string{"ecs.berth.dev/stop-deployment": arn, "ecs.berth.dev/stop-deployment-type": "abort"}, arn, false},
		{map[string]string{"ecs.berth.dev/stop-deployment": "ecs-svc/9", "ecs.berth.dev/stop-deployment-type": "ROLLBACK"}, "ecs-svc/9", true},
	} {
		if ref, rb := StopDeployment(c.ann); ref != c.ref || rb != c.rollback {
			t.Errorf("StopDeployment(%v) = %q, %v; want %q, %v", c.ann, ref, rb, c.ref, c.rollback)
		}
	}
}
