package importer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

func jsonOf(v any) (string, error) {
	raw, err := utiljson.Marshal(v)
	return string(raw), err
}

func TestImportShapes(t *testing.T) {
	cases := []struct {
		name, in string
		opts     Options
		wantSpec string
		changes  []string
	}{{
		name:     "register input",
		in:       `{"family":"Web_App","containerDefinitions":[{"name":"app","image":"nginx","memory":256}]}`,
		wantSpec: `{"containerDefinitions":[{"image":"nginx","memory":256,"name":"app"}],"family":"Web_App"}`,
	}, {
		name: "describe output with its wrapper, read-only members and tags",
		in: `{"taskDefinition":{"family":"web","revision":7,"status":"ACTIVE","taskDefinitionArn":"arn:aws:ecs:us-east-1:1:task-definition/web:7",
			"compatibilities":["EC2"],"registeredAt":"2024-01-01T00:00:00Z","requiresAttributes":[{"name":"x"}],"cpu":256,"memory":512,
			"containerDefinitions":[{"name":"app","image":"nginx"}]},"tags":[{"key":"team","value":"a"}],"ResponseMetadata":{}}`,
		wantSpec: `{"containerDefinitions":[{"image":"nginx","name":"app"}],"cpu":"256","family":"web","memory":"512","tags":[{"key":"team","value":"a"}]}`,
		changes: []string{
			"dropped ResponseMetadata", "dropped compatibilities", "converted cpu", "converted memory", "dropped registeredAt",
			"dropped requiresAttributes", "dropped revision", "dropped status", "dropped taskDefinitionArn",
		},
	}, {
		name:     "bare containerDefinitions",
		in:       `[{"name":"app","image":"nginx","memoryReservation":64}]`,
		opts:     Options{Family: "from-terraform"},
		wantSpec: `{"containerDefinitions":[{"image":"nginx","memoryReservation":64,"name":"app"}],"family":"from-terraform"}`,
	}, {
		name:     "unknown members are kept, for the API server to name them",
		in:       `{"family":"x","containerDefinitions":[{"name":"a","image":"b","portBindings":{}}]}`,
		wantSpec: `{"containerDefinitions":[{"image":"b","name":"a","portBindings":{}}],"family":"x"}`,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Import([]byte(c.in), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ch := range res.Changes {
				got = append(got, ch.Action+" "+ch.Path)
			}
			if diff := cmp.Diff(c.changes, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			spec, err := jsonOf(res.Object["spec"])
			if err != nil {
				t.Fatal(err)
			}
			if spec != c.wantSpec {
				t.Errorf("spec:\n got %s\nwant %s", spec, c.wantSpec)
			}
			if res.Object["kind"] != "TaskDefinition" || res.Object["apiVersion"] != "ecs.berth.dev/v1alpha1" {
				t.Errorf("not a TaskDefinition: %v %v", res.Object["apiVersion"], res.Object["kind"])
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"family":`:                  "not JSON",
		`"text"`:                      "neither a task definition",
		`[{"name":"a"}]`:              "has no family",
		`{"containerDefinitions":[]}`: "has no family",
	} {
		if _, err := Import([]byte(in), Options{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Import(%s) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestMainWritesManifestsAndChanges(t *testing.T) {
	var out, errs bytes.Buffer
	in := strings.NewReader(`{"taskDefinition":{"family":"Web_App","revision":3,"containerDefinitions":[{"name":"app","image":"nginx","memory":128}]}}`)
	if code := Main([]string{"--namespace", "team-a", "-"}, in, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	for _, want := range []string{"kind: TaskDefinition", "name: web-app", "namespace: team-a", "family: Web_App"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errs.String(), "-: dropped revision: read-only") {
		t.Errorf("stderr does not say what was dropped: %q", errs.String())
	}
	if code := Main([]string{"/nonexistent.json"}, nil, &out, &errs); code != 1 {
		t.Errorf("a missing file: exit %d, want 1", code)
	}
}
