package importer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// resourceFixtures are testdata/resources' inputs, as aws ecs prints them
// (describe-clusters with --include SETTINGS CONFIGURATIONS TAGS
// ATTACHMENTS STATISTICS, describe-services with --include TAGS), and
// CreateService input as --cli-input-json takes it.
var resourceFixtures = []string{"describe-capacity-providers.json", "describe-clusters.json", "describe-services.json", "create-service.json"}

// dryRunCreate has the API server validate the manifest, with strict field
// validation (unknown fields are errors, as kubectl apply makes them).
func dryRunCreate(t *testing.T, ctx context.Context, obj map[string]any) error {
	t.Helper()
	raw, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &u.Object); err != nil {
		t.Fatal(err)
	}
	return client.WithFieldValidation(apiClient, metav1.FieldValidationStrict).Create(ctx, u, client.DryRunAll)
}

// strictObject reads a manifest into the Go type of its kind, refusing
// unknown fields.
func strictObject(t *testing.T, doc []byte) (client.Object, error) {
	t.Helper()
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		t.Fatal(err)
	}
	var obj client.Object
	switch tm.Kind {
	case "Service":
		obj = &ecsv1alpha1.Service{}
	case "Cluster":
		obj = &ecsv1alpha1.Cluster{}
	case "CapacityProvider":
		obj = &ecsv1alpha1.CapacityProvider{}
	case "TaskDefinition":
		obj = &ecsv1alpha1.TaskDefinition{}
	case "ScalableTarget":
		obj = &ecsv1alpha1.ScalableTarget{}
	default:
		t.Fatalf("kind %q", tm.Kind)
	}
	return obj, yaml.UnmarshalStrict(doc, obj)
}

// TestImportResources imports testdata/resources as `berth import
// --namespace shop <files>` does: describe-capacity-providers (an EC2 Auto
// Scaling provider; an INACTIVE one, FARGATE and FARGATE_SPOT skipped),
// describe-clusters, describe-services (an INACTIVE service skipped, a
// failure reported) and CreateService input (clientToken dropped). It
// compares stdout and stderr with the golden files (-update rewrites them),
// reads every manifest back strictly into its Go type, and has the API
// server validate each.
func TestImportResources(t *testing.T) {
	dir := filepath.Join("testdata", "resources")
	args := []string{"--namespace", "shop"}
	for _, f := range resourceFixtures {
		args = append(args, filepath.Join(dir, f))
	}
	var stdout, stderr bytes.Buffer
	if code := Main(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	golden(t, filepath.Join(dir, "want.yaml"), stdout.Bytes())
	golden(t, filepath.Join(dir, "want.stderr"), stderr.Bytes())

	docs := strings.Split(strings.TrimPrefix(stdout.String(), "---\n"), "---\n")
	var got []string
	objs := map[string]client.Object{}
	for _, doc := range docs {
		obj, err := strictObject(t, []byte(doc))
		if err != nil {
			t.Fatalf("%v:\n%s", err, doc)
		}
		kind := obj.GetObjectKind().GroupVersionKind().Kind
		got = append(got, kind+" "+obj.GetNamespace()+"/"+obj.GetName())
		objs[kind+" "+obj.GetName()] = obj
	}
	want := []string{"CapacityProvider /ec2-general", "Cluster shop/prod", "Service shop/web-api", "Service shop/order-worker"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("manifests (-want +got):\n%s", diff)
	}
	checkImportedResources(t, objs)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	namespaceWithAccount(t, ctx, "shop")
	for _, doc := range docs {
		u := map[string]any{}
		if err := yaml.Unmarshal([]byte(doc), &u); err != nil {
			t.Fatal(err)
		}
		if err := dryRunCreate(t, ctx, u); err != nil {
			t.Errorf("the API server refuses the manifest: %v\n%s", err, doc)
		}
	}
}

func checkImportedResources(t *testing.T, objs map[string]client.Object) {
	t.Helper()
	web := objs["Service web-api"].(*ecsv1alpha1.Service).Spec
	if web.ServiceName != "web_api" || web.Cluster != "prod" || web.Role != "" || *web.DesiredCount != 3 ||
		web.TaskDefinition != "web_api" ||
		len(web.LoadBalancers) != 1 || web.LoadBalancers[0].ContainerPort == nil || *web.LoadBalancers[0].ContainerPort != 8080 ||
		web.NetworkConfiguration == nil || len(web.NetworkConfiguration.AwsvpcConfiguration.Subnets) != 2 ||
		web.DeploymentConfiguration == nil || !web.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback ||
		*web.HealthCheckGracePeriodSeconds != 60 || web.PropagateTags != "SERVICE" || web.AvailabilityZoneRebalancing != "ENABLED" {
		t.Errorf("Service web-api: %+v", web)
	}
	worker := objs["Service order-worker"].(*ecsv1alpha1.Service).Spec
	if worker.ClientToken != "" || worker.TaskDefinition != "order_worker" || len(worker.CapacityProviderStrategy) != 1 || len(worker.PlacementStrategy) != 2 {
		t.Errorf("Service order-worker: %+v", worker)
	}
	prod := objs["Cluster prod"].(*ecsv1alpha1.Cluster).Spec
	if prod.ClusterName != "prod" || !slices.Equal(prod.CapacityProviders, []string{"FARGATE", "FARGATE_SPOT", "ec2_general"}) ||
		len(prod.DefaultCapacityProviderStrategy) != 2 || prod.ServiceConnectDefaults == nil ||
		prod.ServiceConnectDefaults.Namespace != "arn:aws:servicediscovery:eu-central-1:123456789012:namespace/ns-3lx5kfpl5sqvyc6k" {
		t.Errorf("Cluster prod: %+v", prod)
	}
	cp := objs["CapacityProvider ec2-general"].(*ecsv1alpha1.CapacityProvider).Spec
	if cp.Name != "ec2_general" || cp.Type != ecsv1alpha1.CapacityProviderEC2AutoScaling || cp.AutoScalingGroupProvider == nil ||
		cp.AutoScalingGroupProvider.ManagedScaling == nil || *cp.AutoScalingGroupProvider.ManagedScaling.TargetCapacity != 90 {
		t.Errorf("CapacityProvider ec2-general: %+v", cp)
	}
}

// importResources runs the inputs through Resources as Main does, and
// returns the manifests, the changes ("input: action path") and the
// errors.
func importResources(t *testing.T, inputs []aasInput, opts Options) (results []*Result, changes, errs []string) {
	t.Helper()
	var rs Resources
	for _, in := range inputs {
		doc, ok := ParseResource([]byte(in.json))
		if !ok {
			t.Fatalf("%s is not recognised as an ECS service, cluster or capacity provider", in.name)
		}
		ch, es := rs.Add(in.name, doc)
		for _, c := range ch {
			changes = append(changes, in.name+": "+c.Action+" "+c.Path)
		}
		for _, e := range es {
			errs = append(errs, e.Error())
		}
	}
	results, es := rs.Build(opts)
	for _, e := range es {
		errs = append(errs, e.Error())
	}
	for _, r := range results {
		for _, c := range r.Changes {
			changes = append(changes, r.Label+": "+c.Action+" "+c.Path)
		}
	}
	return results, changes, errs
}

const (
	svcWeb = `"serviceArn":"arn:aws:ecs:us-east-1:1:service/blue/web","serviceName":"web","clusterArn":"arn:aws:ecs:us-east-1:1:cluster/blue",` +
		`"taskDefinition":"web:3","desiredCount":1,"runningCount":1,"status":"ACTIVE"`
	specWeb = `"cluster":"blue","desiredCount":1,"serviceName":"web","taskDefinition":"web"`
	asg     = `"autoScalingGroupProvider":{"autoScalingGroupArn":"arn:aws:autoscaling:us-east-1:1:autoScalingGroup:x:autoScalingGroupName/g","managedTerminationProtection":"DISABLED"}`
)

func TestImportResourceShapes(t *testing.T) {
	cases := []struct {
		name    string
		inputs  []aasInput
		opts    Options
		objects []string // kind namespace/name
		specs   []string // each manifest's spec, as JSON
		changes []string
		errs    []string // substrings, one per error
		refused string   // the API server refuses the manifest, naming this
	}{{
		name: "CreateService input: clientToken dropped, an unknown member kept for the API server to name",
		inputs: []aasInput{{"create.json", `{"serviceName":"Web_App","taskDefinition":"web","desiredCount":2,
			"clientToken":"a1b2","loadBalancers":[],"count":3}`}},
		opts:    Options{Namespace: "import-resources"},
		objects: []string{"Service import-resources/web-app"},
		specs:   []string{`{"count":3,"desiredCount":2,"loadBalancers":[],"serviceName":"Web_App","taskDefinition":"web"}`},
		changes: []string{"create.json: dropped clientToken", "create.json: kept count"},
		refused: `unknown field "spec.count"`,
	}, {
		name: "create-service output: the wrapper, clusterArn as the cluster's name, roleArn as role, read-only dropped",
		inputs: []aasInput{{"out.json", `{"service":{` + svcWeb + `,"roleArn":"arn:aws:iam::1:role/ecsServiceRole",
			"loadBalancers":[{"loadBalancerName":"classic","containerName":"app","containerPort":80}],
			"deployments":[{"id":"ecs-svc/1","status":"PRIMARY"},{"id":"ecs-svc/2","status":"ACTIVE"}],"events":[]},"ResponseMetadata":{}}`}},
		opts:    Options{Namespace: "import-resources"},
		objects: []string{"Service import-resources/web"},
		specs: []string{`{` + specWeb + `,"loadBalancers":[{"containerName":"app","containerPort":80,"loadBalancerName":"classic"}],` +
			`"role":"arn:aws:iam::1:role/ecsServiceRole"}`},
		changes: []string{
			"out.json: converted service.clusterArn", "out.json: dropped service.deployments", "out.json: dropped service.events",
			"out.json: converted service.roleArn", "out.json: dropped service.runningCount", "out.json: dropped service.serviceArn",
			"out.json: dropped service.status", "out.json: converted service.taskDefinition", "out.json: dropped ResponseMetadata",
		},
	}, {
		name: "describe-services: INACTIVE and DRAINING skipped, failures reported, nothing imported",
		inputs: []aasInput{{"svc.json", `{"services":[
			{"serviceName":"old","clusterArn":"arn:aws:ecs:us-east-1:1:cluster/blue","status":"INACTIVE","desiredCount":0},
			{"serviceName":"going","clusterArn":"arn:aws:ecs:us-east-1:1:cluster/blue","status":"DRAINING","desiredCount":0}],
			"failures":[{"arn":"arn:aws:ecs:us-east-1:1:service/blue/a","reason":"MISSING"},{"arn":"arn:aws:ecs:us-east-1:1:service/blue/b","reason":"MISSING","detail":"x"}]}`}},
		changes: []string{"svc.json: skipped services[0]", "svc.json: skipped services[1]", "svc.json: dropped failures[0]", "svc.json: dropped failures[1]"},
	}, {
		name: "services of one name in two clusters are named after the cluster too; a revision or an ARN becomes the family",
		inputs: []aasInput{
			{"blue.json", `{"services":[{` + svcWeb + `}]}`},
			{"green.json", `{"services":[{"serviceName":"web","clusterArn":"arn:aws:ecs:us-east-1:1:cluster/Green_1","desiredCount":1,
				"taskDefinition":"arn:aws:ecs:us-east-1:1:task-definition/web:9"}]}`},
		},
		opts:    Options{Namespace: "import-resources"},
		objects: []string{"Service import-resources/blue-web", "Service import-resources/green-1-web"},
		specs:   []string{`{` + specWeb + `}`, `{"cluster":"Green_1","desiredCount":1,"serviceName":"web","taskDefinition":"web"}`},
		changes: []string{
			"blue.json: converted services[*].clusterArn", "blue.json: dropped services[*].runningCount", "blue.json: dropped services[*].serviceArn",
			"blue.json: dropped services[*].status", "blue.json: converted services[*].taskDefinition",
			"green.json: converted services[*].clusterArn", "green.json: converted services[*].taskDefinition",
			"service blue/web: converted metadata.name", "service Green_1/web: converted metadata.name",
		},
	}, {
		name: "describe-capacity-providers with type: Managed Instances and FARGATE skipped, the next page said",
		inputs: []aasInput{{"cp.json", `{"capacityProviders":[
			{"capacityProviderArn":"arn:aws:ecs:us-east-1:1:capacity-provider/Big_Pool","name":"Big_Pool","status":"ACTIVE","type":"EC2_AUTOSCALING",` + asg + `,"tags":[]},
			{"name":"mi","cluster":"blue","status":"ACTIVE","type":"MANAGED_INSTANCES","managedInstancesProvider":{"infrastructureRoleArn":"arn:aws:iam::1:role/r"}},
			{"name":"FARGATE","status":"ACTIVE","type":"FARGATE"}],"nextToken":"abc"}`}},
		opts:    Options{Namespace: "import-resources"},
		objects: []string{"CapacityProvider /big-pool"},
		specs:   []string{`{` + asg + `,"name":"Big_Pool","tags":[],"type":"EC2_AUTOSCALING"}`},
		changes: []string{
			"cp.json: dropped capacityProviders[*].capacityProviderArn", "cp.json: dropped capacityProviders[*].status",
			"cp.json: skipped capacityProviders[1]", "cp.json: skipped capacityProviders[2]", "cp.json: dropped nextToken",
		},
	}, {
		name:    "CreateCapacityProvider input: type added, --name its name",
		inputs:  []aasInput{{"cp.json", `{"name":"spot_pool",` + asg + `}`}},
		opts:    Options{Name: "spot-pool"},
		objects: []string{"CapacityProvider /spot-pool"},
		specs:   []string{`{` + asg + `,"name":"spot_pool","type":"EC2_AUTOSCALING"}`},
		changes: []string{"cp.json: added type"},
	}, {
		name: "create-cluster output; CreateCluster input",
		inputs: []aasInput{
			{"a.json", `{"cluster":{"clusterArn":"arn:aws:ecs:us-east-1:1:cluster/My_Cluster","clusterName":"My_Cluster","status":"ACTIVE","runningTasksCount":0}}`},
			{"b.json", `{"clusterName":"Default","settings":[{"name":"containerInsights","value":"disabled"}]}`},
		},
		opts:    Options{Namespace: "import-resources"},
		objects: []string{"Cluster import-resources/my-cluster", "Cluster import-resources/default"},
		specs:   []string{`{"clusterName":"My_Cluster"}`, `{"clusterName":"Default","settings":[{"name":"containerInsights","value":"disabled"}]}`},
		changes: []string{"a.json: dropped cluster.clusterArn", "a.json: dropped cluster.runningTasksCount", "a.json: dropped cluster.status"},
	}, {
		name: "what cannot be imported: no provider, names that are no object names, a --name the CRD refuses",
		inputs: []aasInput{
			{"cp.json", `{"name":"bare","capacityProviderArn":"arn:aws:ecs:us-east-1:1:capacity-provider/bare"}`},
			{"long.json", `{"name":"` + strings.Repeat("p", 64) + `",` + asg + `}`},
			{"cl.json", `{"clusters":[{"clusterName":"_private"},{"clusterName":"ok"}]}`},
		},
		opts: Options{Name: "other"},
		errs: []string{
			"cp.json: CreateCapacityProvider input: neither autoScalingGroupProvider nor managedInstancesProvider: CreateCapacityProvider requires one",
			`long.json: CreateCapacityProvider input: "pppp`,
			`cl.json: clusters[0]: "-private" is not an object name`,
			"cl.json: clusters[1]: --name other: Berth names a Cluster after its clusterName in lower case with '_' as '-': ok",
		},
		changes: []string{"cp.json: dropped capacityProviderArn", "long.json: added type"},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	namespaceWithAccount(t, ctx, "import-resources")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			results, changes, errs := importResources(t, c.inputs, c.opts)
			if diff := cmp.Diff(c.changes, changes); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if len(errs) != len(c.errs) {
				t.Errorf("errors: got %q, want %d", errs, len(c.errs))
			}
			for i := range min(len(errs), len(c.errs)) {
				if !strings.Contains(errs[i], c.errs[i]) {
					t.Errorf("error %d:\n got %s\nwant %s", i, errs[i], c.errs[i])
				}
			}
			if len(results) != len(c.specs) {
				t.Fatalf("%d manifests, want %d", len(results), len(c.specs))
			}
			for i, res := range results {
				spec, err := jsonOf(res.Object["spec"])
				if err != nil {
					t.Fatal(err)
				}
				if want := normalJSON(t, c.specs[i]); spec != want {
					t.Errorf("spec %d:\n got %s\nwant %s", i, spec, want)
				}
				meta := res.Object["metadata"].(map[string]any)
				ns, _ := meta["namespace"].(string)
				if got := res.Object["kind"].(string) + " " + ns + "/" + meta["name"].(string); got != c.objects[i] {
					t.Errorf("manifest %d: %s, want %s", i, got, c.objects[i])
				}
				err = dryRunCreate(t, ctx, res.Object)
				switch {
				case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
					t.Errorf("the API server: %v; want it to refuse %s", err, c.refused)
				case c.refused == "" && err != nil:
					t.Errorf("the API server refuses the manifest: %v", err)
				}
			}
		})
	}
}

func TestParseResource(t *testing.T) {
	for in, want := range map[string]string{
		`{"services":[],"failures":[]}`:                          "Service",
		`{"service":{"serviceName":"a"}}`:                        "Service",
		`{"serviceName":"a","cluster":"prod"}`:                   "Service",
		`{"serviceArn":"arn:aws:ecs:us-east-1:1:service/a/b"}`:   "Service",
		`{"clusters":[{"clusterName":"a"}]}`:                     "Cluster",
		`{"cluster":{"clusterName":"a"}}`:                        "Cluster",
		`{"clusterName":"a","capacityProviders":[]}`:             "Cluster",
		`{"clusterName":"a","capacityProviders":["FARGATE"]}`:    "Cluster",
		`{"capacityProviders":[{"name":"FARGATE"}]}`:             "CapacityProvider",
		`{"capacityProvider":{"name":"a"}}`:                      "CapacityProvider",
		`{"name":"a","autoScalingGroupProvider":{}}`:             "CapacityProvider",
		`{"capacityProviders":["FARGATE"]}`:                      "",
		`{"cluster":"prod","taskDefinition":"web"}`:              "",
		`{"family":"web","containerDefinitions":[]}`:             "",
		`{"taskDefinition":{"family":"web"},"tags":[]}`:          "",
		`[{"name":"app","image":"nginx"}]`:                       "",
		`{"ScalableTargets":[]}`:                                 "",
		`{"services":"web"}`:                                     "",
		`{"serviceName":`:                                        "",
		`{"name":"app","image":"nginx","essential":true}`:        "",
		`{"service":"web","cluster":"prod","desiredCount":1}`:    "",
		`{"services":[{"serviceName":"a"}],"nextToken":"x"}    `: "Service",
	} {
		got := ""
		if doc, ok := ParseResource([]byte(in)); ok {
			k, _ := resourceOf(doc)
			got = k.kind
		}
		if got != want {
			t.Errorf("ParseResource(%s): %q, want %q", in, got, want)
		}
	}
}

// TestResourceMembersMatchGoTypes checks ECS's shapes against Berth's
// specs: every member the import carries (a Create* request member that
// is not dropped, a renamed output member, a Berth member of the output)
// is a JSON field of the spec's Go type, and every field of the spec comes
// from one, but Berth's own (a capacity provider's nodePool). The members
// the import renames, drops or reads itself are members of ECS's shapes,
// so that a change to the model that leaves them stale fails here.
func TestResourceMembersMatchGoTypes(t *testing.T) {
	for _, c := range []struct {
		kind      *resourceKind
		spec      reflect.Type
		berthOnly []string
	}{
		{serviceKind, reflect.TypeFor[ecsv1alpha1.ServiceSpec](), nil},
		{clusterKind, reflect.TypeFor[ecsv1alpha1.ClusterSpec](), nil},
		{capacityProviderKind, reflect.TypeFor[ecsv1alpha1.CapacityProviderSpec](), []string{"nodePool"}},
	} {
		fields := jsonFields(c.spec)
		carried := map[string]bool{}
		for m := range c.kind.request {
			if c.kind.dropped[m] == "" {
				carried[m] = true
			}
		}
		for m, r := range c.kind.renamed {
			carried[r.to] = true
			if !c.kind.element[m] || !c.kind.request[r.to] {
				t.Errorf("%s: %s → %s: not an output member renamed to a request member", c.kind.kind, m, r.to)
			}
		}
		for m := range c.kind.berth {
			carried[m] = true
			if !c.kind.element[m] {
				t.Errorf("%s: %s is no member of ECS's %s output", c.kind.kind, m, c.kind.describe)
			}
		}
		for m := range c.kind.dropped {
			if !c.kind.request[m] && !c.kind.element[m] {
				t.Errorf("%s: dropped %s is no member of ECS's shapes", c.kind.kind, m)
			}
		}
		for _, m := range append([]string{c.kind.nameMember}, c.kind.marks...) {
			if !c.kind.request[m] && !c.kind.element[m] {
				t.Errorf("%s: %s is no member of ECS's shapes", c.kind.kind, m)
			}
		}
		for m := range carried {
			if !fields[m] {
				t.Errorf("%s: the import carries %s, which %v has not", c.kind.kind, m, c.spec)
			}
		}
		for f := range fields {
			if !carried[f] && c.kind.dropped[f] == "" && !slices.Contains(c.berthOnly, f) {
				t.Errorf("%s: %v.%s comes from no member ECS's JSON gives", c.kind.kind, c.spec, f)
			}
		}
	}
	for _, k := range resourceKinds {
		if !k.element["status"] {
			t.Errorf("%s: the import skips by status, which ECS's %s output has not", k.kind, k.describe)
		}
	}
}

// jsonFields are the JSON names of a struct's fields, inlined structs
// included.
func jsonFields(typ reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" && strings.Contains(opts, "inline") {
			for n := range jsonFields(f.Type) {
				out[n] = true
			}
			continue
		}
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

// TestMainMixesResources: describe-services output, a task definition and
// AAS's scalable targets of the same service in one run make every
// manifest, those that others name first; --name names one object.
func TestMainMixesResources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	svc := filepath.Join("testdata", "resources", "describe-services.json")
	td := filepath.Join("testdata", "corpus", "taskdefs", "describe-task-definition-output.json")
	targets := filepath.Join("testdata", "autoscaling", "targets.json")
	cluster := write("cluster.json", `{"clusterName":"prod"}`)

	var out, errs bytes.Buffer
	if code := Main([]string{"--namespace", "shop", targets, svc, td, cluster}, nil, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	var kinds []string
	for _, doc := range strings.Split(strings.TrimPrefix(out.String(), "---\n"), "---\n") {
		obj, err := strictObject(t, []byte(doc))
		if err != nil {
			t.Fatalf("%v:\n%s", err, doc)
		}
		kinds = append(kinds, obj.GetObjectKind().GroupVersionKind().Kind+" "+obj.GetName())
	}
	want := []string{"Cluster prod", "TaskDefinition billing-api", "Service web-api", "ScalableTarget web-api"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("manifests (-want +got):\n%s", diff)
	}
	for _, line := range []string{
		svc + ": skipped services[1]: service report_cron is INACTIVE (deleted): not imported\n",
		svc + ": dropped failures[0]: ECS could not describe arn:aws:ecs:eu-central-1:123456789012:service/prod/billing: MISSING; nothing of it to import\n",
		targets + ": dropped ScalableTargets[0].ScalableTargetARN: ",
		td + ": dropped taskDefinitionArn: ",
	} {
		if !strings.Contains(errs.String(), line) {
			t.Errorf("stderr lacks %q:\n%s", line, errs.String())
		}
	}

	out.Reset()
	errs.Reset()
	if code := Main([]string{"--name", "x", svc, td}, nil, &out, &errs); code != 2 || out.Len() > 0 ||
		!strings.Contains(errs.String(), "--name names one object, and the inputs make 2") {
		t.Errorf("--name with two objects: exit %d, output %q, stderr %q", code, out.String(), errs.String())
	}
	out.Reset()
	errs.Reset()
	if code := Main([]string{"--name", "x", cluster}, nil, &out, &errs); code != 1 || out.Len() > 0 ||
		!strings.Contains(errs.String(), "--name x: Berth names a Cluster after its clusterName") {
		t.Errorf("--name for a cluster of another name: exit %d, output %q, stderr %q", code, out.String(), errs.String())
	}
	out.Reset()
	errs.Reset()
	if code := Main([]string{"--name", "front", "-"}, strings.NewReader(`{"serviceName":"web","taskDefinition":"web","desiredCount":1}`), &out, &errs); code != 0 ||
		!strings.HasPrefix(out.String(), "apiVersion: ecs.berth.dev/v1alpha1\nkind: Service\nmetadata:\n  name: front\nspec:\n") || errs.Len() > 0 {
		t.Errorf("one service on stdin with --name: exit %d, stdout %q, stderr %q", code, out.String(), errs.String())
	}
}
