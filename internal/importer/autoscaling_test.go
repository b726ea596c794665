package importer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

type aasInput struct{ name, json string }

// importAutoScaling runs the inputs through AutoScaling as Main does, and
// returns each manifest's spec as JSON, the changes ("input: action path")
// and the errors.
func importAutoScaling(t *testing.T, inputs []aasInput, opts Options) (results []*Result, changes, errs []string) {
	t.Helper()
	var a AutoScaling
	for _, in := range inputs {
		doc, ok := ParseAutoScaling([]byte(in.json))
		if !ok {
			t.Fatalf("%s is not recognised as Application Auto Scaling JSON", in.name)
		}
		ch, es := a.Add(in.name, doc)
		for _, c := range ch {
			changes = append(changes, in.name+": "+c.Action+" "+c.Path)
		}
		for _, e := range es {
			errs = append(errs, e.Error())
		}
	}
	results, es := a.Build(opts)
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

// normalJSON writes JSON with its keys sorted.
func normalJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := utiljson.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	out, err := jsonOf(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// strictScalableTarget renders res and reads it back into the Go type,
// refusing unknown fields.
func strictScalableTarget(t *testing.T, res *Result) (*ecsv1alpha1.ScalableTarget, error) {
	t.Helper()
	out, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	st := &ecsv1alpha1.ScalableTarget{}
	return st, yaml.UnmarshalStrict(out, st)
}

const (
	regWeb     = `{"ServiceNamespace":"ecs","ResourceId":"service/default/web","ScalableDimension":"ecs:service:DesiredCount","MinCapacity":1,"MaxCapacity":4}`
	specWebOne = `{"maxCapacity":4,"minCapacity":1,"resourceId":"service/default/web","scalableDimension":"ecs:service:DesiredCount","serviceNamespace":"ecs"`
	idWeb      = `"ServiceNamespace":"ecs","ResourceId":"service/default/web","ScalableDimension":"ecs:service:DesiredCount"`
	idB        = `"ServiceNamespace":"ecs","ResourceId":"service/default/b","ScalableDimension":"ecs:service:DesiredCount"`
	idTable    = `"ServiceNamespace":"dynamodb","ResourceId":"table/orders","ScalableDimension":"dynamodb:table:ReadCapacityUnits"`
	ttCPU      = `"PolicyType":"TargetTrackingScaling","TargetTrackingScalingPolicyConfiguration":{"TargetValue":50,"PredefinedMetricSpecification":{"PredefinedMetricType":"ECSServiceAverageCPUUtilization"}}`
)

func TestImportAutoScalingShapes(t *testing.T) {
	cases := []struct {
		name     string
		inputs   []aasInput
		opts     Options
		names    []string // object names
		specs    []string // each manifest's spec, as JSON
		changes  []string
		errs     []string // substrings, one per error
		unstrict string   // the strict read fails, naming this
	}{{
		name: "RegisterScalableTarget input; tags have no place",
		inputs: []aasInput{{"reg.json", `{` + idWeb + `,"MinCapacity":1,"MaxCapacity":4,"RoleARN":"arn:aws:iam::1:role/x",
			"SuspendedState":{"ScheduledScalingSuspended":true},"Tags":{"team":"a"}}`}},
		opts:    Options{Namespace: "team-a"},
		names:   []string{"web"},
		specs:   []string{specWebOne + `,"roleARN":"arn:aws:iam::1:role/x","suspendedState":{"scheduledScalingSuspended":true}}`},
		changes: []string{"reg.json: dropped Tags"},
	}, {
		name: "request shapes across inputs, one in an array: nested lists, values untouched, timestamps",
		inputs: []aasInput{
			{"reg.json", regWeb},
			{"put.json", `[{"PolicyName":"queue",` + idWeb + `,"PolicyType":"TargetTrackingScaling","TargetTrackingScalingPolicyConfiguration":{
				"TargetValue":100,"DisableScaleIn":true,"CustomizedMetricSpecification":{"MetricName":"QueueDepth","Namespace":"MyApp",
				"Dimensions":[{"Name":"Queue","Value":"Orders"}],"Statistic":"Average","Unit":"Count"}}},
				{"ScheduledActionName":"launch",` + idWeb + `,"Schedule":"at(2024-06-01T08:00:00)","StartTime":"1717200000",
				"EndTime":"2024-06-02T08:00:00.250+02:00","ScalableTargetAction":{"MinCapacity":10}}]`},
		},
		names: []string{"web"},
		specs: []string{specWebOne + `,"scalingPolicies":[{"policyName":"queue","policyType":"TargetTrackingScaling","targetTrackingScalingPolicyConfiguration":{` +
			`"customizedMetricSpecification":{"dimensions":[{"name":"Queue","value":"Orders"}],"metricName":"QueueDepth","namespace":"MyApp","statistic":"Average","unit":"Count"},` +
			`"disableScaleIn":true,"targetValue":100}}],` +
			`"scheduledActions":[{"endTime":"2024-06-02T06:00:00Z","scalableTargetAction":{"minCapacity":10},"schedule":"at(2024-06-01T08:00:00)","scheduledActionName":"launch","startTime":"2024-06-01T00:00:00Z"}]}`},
		changes: []string{
			"put.json: dropped [0].{ServiceNamespace,ResourceId,ScalableDimension}",
			"put.json: dropped [1].{ServiceNamespace,ResourceId,ScalableDimension}",
			"put.json: converted [1].EndTime",
			"put.json: converted [1].StartTime",
		},
	}, {
		name: "describe outputs: other service namespaces skipped, the wrapper dropped",
		inputs: []aasInput{
			{"targets.json", `{"ScalableTargets":[{` + idTable + `,"MinCapacity":1,"MaxCapacity":9},{` + idWeb + `,"MinCapacity":1,"MaxCapacity":4,
				"PredictedCapacity":3,"CreationTime":1.7e9}],"NextToken":"abc","ResponseMetadata":{}}`},
			{"policies.json", `{"ScalingPolicies":[{"PolicyName":"reads",` + idTable + `,"PolicyType":"TargetTrackingScaling"}]}`},
		},
		names: []string{"web"},
		specs: []string{specWebOne + `}`},
		changes: []string{
			"targets.json: skipped ScalableTargets[0]",
			"targets.json: dropped ScalableTargets[1].CreationTime",
			"targets.json: dropped ScalableTargets[1].PredictedCapacity",
			"targets.json: dropped NextToken",
			"targets.json: dropped ResponseMetadata",
			"policies.json: skipped ScalingPolicies[0]",
		},
	}, {
		name: "a PredictiveScaling policy is skipped, the others kept",
		inputs: []aasInput{{"all.json", `{"ScalableTargets":[` + regWeb + `],"ScalingPolicies":[
			{"PolicyName":"forecast",` + idWeb + `,"PolicyType":"PredictiveScaling","PredictiveScalingPolicyConfiguration":{"MetricSpecifications":[]}},
			{"PolicyName":"cpu",` + idWeb + `,` + ttCPU + `}]}`}},
		names: []string{"web"},
		specs: []string{specWebOne + `,"scalingPolicies":[{"policyName":"cpu","policyType":"TargetTrackingScaling","targetTrackingScalingPolicyConfiguration":` +
			`{"predefinedMetricSpecification":{"predefinedMetricType":"ECSServiceAverageCPUUtilization"},"targetValue":50}}]}`},
		changes: []string{
			"all.json: skipped ScalingPolicies[0]",
			"all.json: dropped ScalingPolicies[1].{ServiceNamespace,ResourceId,ScalableDimension}",
		},
	}, {
		name: "policies and actions of an unregistered target are an error for that resource only",
		inputs: []aasInput{
			{"targets.json", `{"ScalableTargets":[` + regWeb + `]}`},
			{"policies.json", `{"ScalingPolicies":[{"PolicyName":"cpu",` + idWeb + `,` + ttCPU + `},{"PolicyName":"cpu-b",` + idB + `,` + ttCPU + `}]}`},
			{"actions.json", `{"ScheduledActions":[{"ScheduledActionName":"nightly",` + idB + `,"Schedule":"cron(0 0 * * ? *)","ScalableTargetAction":{"MaxCapacity":1}}]}`},
		},
		names: []string{"web"},
		specs: []string{specWebOne + `,"scalingPolicies":[{"policyName":"cpu","policyType":"TargetTrackingScaling","targetTrackingScalingPolicyConfiguration":` +
			`{"predefinedMetricSpecification":{"predefinedMetricType":"ECSServiceAverageCPUUtilization"},"targetValue":50}}]}`},
		changes: []string{
			"policies.json: dropped ScalingPolicies[0].{ServiceNamespace,ResourceId,ScalableDimension}",
			"policies.json: dropped ScalingPolicies[1].{ServiceNamespace,ResourceId,ScalableDimension}",
			"actions.json: dropped ScheduledActions[0].{ServiceNamespace,ResourceId,ScalableDimension}",
		},
		errs: []string{"service/default/b: No scalable target registered for service namespace: ecs, resource ID: service/default/b, scalable dimension: ecs:service:DesiredCount " +
			"(AAS's ObjectNotFoundException): not imported: scaling policy cpu-b (policies.json), scheduled action nightly (actions.json)"},
	}, {
		name: "given twice: a registration updates, a policy is replaced, an action updated",
		inputs: []aasInput{
			{"a.json", `{"ScalableTargets":[` + regWeb + `],"ScalingPolicies":[{"PolicyName":"cpu",` + idWeb + `,` + ttCPU + `}],
				"ScheduledActions":[{"ScheduledActionName":"n",` + idWeb + `,"Schedule":"rate(1 day)","ScalableTargetAction":{"MaxCapacity":1}}]}`},
			{"b.json", `[{` + idWeb + `,"MaxCapacity":8},{"PolicyName":"cpu",` + idWeb + `,"PolicyType":"TargetTrackingScaling",
				"TargetTrackingScalingPolicyConfiguration":{"TargetValue":70,"PredefinedMetricSpecification":{"PredefinedMetricType":"ECSServiceAverageMemoryUtilization"}}},
				{"ScheduledActionName":"n",` + idWeb + `,"Timezone":"Asia/Tokyo"}]`},
		},
		names: []string{"web"},
		specs: []string{`{"maxCapacity":8,"minCapacity":1,"resourceId":"service/default/web","scalableDimension":"ecs:service:DesiredCount",` +
			`"scalingPolicies":[{"policyName":"cpu","policyType":"TargetTrackingScaling","targetTrackingScalingPolicyConfiguration":` +
			`{"predefinedMetricSpecification":{"predefinedMetricType":"ECSServiceAverageMemoryUtilization"},"targetValue":70}}],` +
			`"scheduledActions":[{"scalableTargetAction":{"maxCapacity":1},"schedule":"rate(1 day)","scheduledActionName":"n","timezone":"Asia/Tokyo"}],"serviceNamespace":"ecs"}`},
		changes: []string{
			"a.json: dropped ScalingPolicies[0].{ServiceNamespace,ResourceId,ScalableDimension}",
			"a.json: dropped ScheduledActions[0].{ServiceNamespace,ResourceId,ScalableDimension}",
			"b.json: merged [0]",
			"b.json: dropped [1].{ServiceNamespace,ResourceId,ScalableDimension}",
			"b.json: replaced [1]",
			"b.json: dropped [2].{ServiceNamespace,ResourceId,ScalableDimension}",
			"b.json: merged [2]",
		},
	}, {
		name: "metric math: the nested queries convert too (Berth refuses them at admission)",
		inputs: []aasInput{{"all.json", `{"ScalableTargets":[` + regWeb + `],"ScalingPolicies":[{"PolicyName":"m",` + idWeb + `,"PolicyType":"TargetTrackingScaling",
			"TargetTrackingScalingPolicyConfiguration":{"TargetValue":10,"CustomizedMetricSpecification":{"Metrics":[
			{"Id":"m1","MetricStat":{"Metric":{"MetricName":"Jobs","Namespace":"App","Dimensions":[{"Name":"Q","Value":"A"}]},"Stat":"Sum"},"ReturnData":false},
			{"Id":"e1","Expression":"m1 / 2","Label":"Half","ReturnData":true}]}}}]}`}},
		names: []string{"web"},
		specs: []string{specWebOne + `,"scalingPolicies":[{"policyName":"m","policyType":"TargetTrackingScaling","targetTrackingScalingPolicyConfiguration":` +
			`{"customizedMetricSpecification":{"metrics":[{"id":"m1","metricStat":{"metric":{"dimensions":[{"name":"Q","value":"A"}],"metricName":"Jobs","namespace":"App"},"stat":"Sum"},"returnData":false},` +
			`{"expression":"m1 / 2","id":"e1","label":"Half","returnData":true}]},"targetValue":10}}]}`},
		changes: []string{"all.json: dropped ScalingPolicies[0].{ServiceNamespace,ResourceId,ScalableDimension}"},
	}, {
		name:     "members the model does not know are kept, for the API server to name",
		inputs:   []aasInput{{"reg.json", `{` + idWeb + `,"MinCapacity":1,"MaxCapacity":4,"Priority":1}`}},
		names:    []string{"web"},
		specs:    []string{specWebOne + `,"Priority":1}`},
		changes:  []string{"reg.json: kept Priority"},
		unstrict: `unknown field "Priority"`,
	}, {
		name: "services of one name in two clusters",
		inputs: []aasInput{{"t.json", `{"ScalableTargets":[
			{"ServiceNamespace":"ecs","ResourceId":"service/Blue/Web_App","ScalableDimension":"ecs:service:DesiredCount","MinCapacity":1,"MaxCapacity":2},
			{"ServiceNamespace":"ecs","ResourceId":"service/green/web_app","ScalableDimension":"ecs:service:DesiredCount","MinCapacity":1,"MaxCapacity":2},
			{"ServiceNamespace":"ecs","ResourceId":"service/green/api","ScalableDimension":"ecs:service:DesiredCount","MinCapacity":1,"MaxCapacity":2}]}`}},
		names: []string{"blue-web-app", "green-web-app", "api"},
		specs: []string{
			`{"maxCapacity":2,"minCapacity":1,"resourceId":"service/Blue/Web_App","scalableDimension":"ecs:service:DesiredCount","serviceNamespace":"ecs"}`,
			`{"maxCapacity":2,"minCapacity":1,"resourceId":"service/green/web_app","scalableDimension":"ecs:service:DesiredCount","serviceNamespace":"ecs"}`,
			`{"maxCapacity":2,"minCapacity":1,"resourceId":"service/green/api","scalableDimension":"ecs:service:DesiredCount","serviceNamespace":"ecs"}`,
		},
		changes: []string{"service/Blue/Web_App: converted metadata.name", "service/green/web_app: converted metadata.name"},
	}, {
		name: "what AAS would refuse: a missing required member, a resource ID that is no ECS service's",
		inputs: []aasInput{{"bad.json", `[{"PolicyName":"p","ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount"},
			{"ServiceNamespace":"ecs","ResourceId":"web","ScalableDimension":"ecs:service:DesiredCount","MinCapacity":1,"MaxCapacity":2},
			{"ServiceNamespace":"ecs","ResourceId":7,"ScalableDimension":"ecs:service:DesiredCount"}]`}},
		errs: []string{
			"bad.json: [0]: scaling policy has no ResourceId, which PutScalingPolicy requires",
			"bad.json: [2]: ResourceId: not a non-empty string",
			"web: the resource ID of an ECS service is service/<cluster-name>/<service-name>",
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			results, changes, errs := importAutoScaling(t, c.inputs, c.opts)
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
				st, err := strictScalableTarget(t, res)
				switch {
				case c.unstrict != "":
					if err == nil || !strings.Contains(err.Error(), c.unstrict) {
						t.Errorf("strict read: %v, want an error naming %s", err, c.unstrict)
					}
					continue
				case err != nil:
					t.Fatalf("the manifest is not a ScalableTarget: %v", err)
				}
				if st.Kind != "ScalableTarget" || st.APIVersion != "ecs.berth.dev/v1alpha1" || st.Name != c.names[i] || st.Namespace != c.opts.Namespace {
					t.Errorf("manifest %d: %s %s %s/%s, want ScalableTarget %s", i, st.APIVersion, st.Kind, st.Namespace, st.Name, c.names[i])
				}
			}
		})
	}
}

func TestIsAutoScaling(t *testing.T) {
	for in, want := range map[string]bool{
		`{"ScalableTargets":[]}`:                        true,
		`{"ScalingPolicies":[],"NextToken":"x"}`:        true,
		`{"ScheduledActions":[]}`:                       true,
		`{"ResourceId":"service/a/b"}`:                  true,
		`[{"PolicyName":"p","ServiceNamespace":"ecs"}]`: true,
		`{"family":"web","containerDefinitions":[]}`:    false,
		`{"taskDefinition":{"family":"web"}}`:           false,
		`[{"name":"app","image":"nginx"}]`:              false,
		`[{"ResourceId":"service/a/b"},{"name":"app"}]`: false,
		`[]`:         false,
		`{"family":`: false,
		`{"scalableTargets":[],"resourceId":"service/a/b"}`:   false,
		`{"ScalableTargets":[{"ResourceId":"service/a/b"}]} `: true,
	} {
		if _, got := ParseAutoScaling([]byte(in)); got != want {
			t.Errorf("ParseAutoScaling(%s) = %v, want %v", in, got, want)
		}
	}
}

// TestImportThreeFiles imports the output of describe-scalable-targets,
// describe-scaling-policies and describe-scheduled-actions for one ECS
// service (testdata/autoscaling: a target, a target tracking CPU policy
// with cooldowns, a step policy, a cron action in a time zone), as
// `berth import targets.json policies.json actions.json` does, compares
// stdout and stderr with the golden files (-update rewrites them), reads
// the manifest back strictly, and has the API server validate it: refused
// while the step policy has no alarm, accepted once the commented
// skeleton is filled in.
func TestImportThreeFiles(t *testing.T) {
	dir := filepath.Join("testdata", "autoscaling")
	var stdout, stderr bytes.Buffer
	args := []string{"--namespace", "shop"}
	for _, f := range []string{"targets.json", "policies.json", "actions.json"} {
		args = append(args, filepath.Join(dir, f))
	}
	if code := Main(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	golden(t, filepath.Join(dir, "want.yaml"), stdout.Bytes())
	golden(t, filepath.Join(dir, "want.stderr"), stderr.Bytes())

	doc := strings.TrimPrefix(stdout.String(), "---\n")
	st := &ecsv1alpha1.ScalableTarget{}
	if err := yaml.UnmarshalStrict([]byte(doc), st); err != nil {
		t.Fatal(err)
	}
	checkThreeFiles(t, st)

	// The comment is only a comment: without it the manifest is what
	// sigs.k8s.io/yaml writes.
	var plain []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(l, "    # ") {
			plain = append(plain, l)
		}
	}
	obj := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	want, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), strings.Join(plain, "\n")); diff != "" {
		t.Errorf("without the comment, the manifest is not sigs.k8s.io/yaml's (-want +got):\n%s", diff)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	namespaceWithAccount(t, ctx, "shop")
	strict := client.WithFieldValidation(apiClient, metav1.FieldValidationStrict)
	create := func(manifest string) error {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
			t.Fatal(err)
		}
		return strict.Create(ctx, u, client.DryRunAll)
	}
	const refused = "A StepScaling policy needs stepScalingPolicyConfiguration and at least one alarm"
	if err := create(doc); err == nil || !strings.Contains(err.Error(), refused) {
		t.Fatalf("the API server: %v; want the step policy refused: %s", err, refused)
	}
	filled := strings.NewReplacer(
		"<CPUUtilization or MemoryUtilization>", "MemoryUtilization", "<Statistic>", "Average", "<Period>", "60",
		"<EvaluationPeriods>", "3", "<DatapointsToAlarm>", "2", "<Threshold>", "75",
		"<ComparisonOperator>", "GreaterThanOrEqualToThreshold", "<TreatMissingData>", "missing",
	).Replace(uncommentSkeleton(doc))
	if err := create(filled); err != nil {
		t.Fatalf("the API server refuses the manifest with its alarm written in: %v\n%s", err, filled)
	}
	st = &ecsv1alpha1.ScalableTarget{}
	if err := yaml.UnmarshalStrict([]byte(filled), st); err != nil {
		t.Fatal(err)
	}
	if a := st.Spec.ScalingPolicies[1].Alarms; len(a) != 1 || a[0].AlarmName != "web-api-memory-high" || a[0].Dimensions[1].Value != "web_api" || a[0].Threshold != 75 {
		t.Errorf("the filled-in alarm: %+v", a)
	}
}

// uncommentSkeleton turns the commented alarms of the manifest into YAML.
func uncommentSkeleton(doc string) string {
	lines := strings.Split(doc, "\n")
	in := false
	for i, l := range lines {
		if l == "    # alarms:" {
			in = true
		}
		if in && strings.HasPrefix(l, "    # ") {
			lines[i] = "    " + strings.TrimPrefix(l, "    # ")
		} else {
			in = false
		}
	}
	return strings.Join(lines, "\n")
}

func checkThreeFiles(t *testing.T, st *ecsv1alpha1.ScalableTarget) {
	t.Helper()
	i32 := func(n int32) *int32 { return &n }
	f64 := func(f float64) *float64 { return &f }
	at := func(s string) *metav1.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &metav1.Time{Time: tm}
	}
	want := &ecsv1alpha1.ScalableTarget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "ecs.berth.dev/v1alpha1", Kind: "ScalableTarget"},
		ObjectMeta: metav1.ObjectMeta{Name: "web-api", Namespace: "shop"},
		Spec: ecsv1alpha1.ScalableTargetSpec{
			ServiceNamespace:  "ecs",
			ResourceID:        "service/prod/web_api",
			ScalableDimension: ecsv1alpha1.ScalableDimensionECSServiceDesiredCount,
			MinCapacity:       2,
			MaxCapacity:       20,
			SuspendedState:    &ecsv1alpha1.SuspendedState{},
			RoleARN:           "arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
			ScalingPolicies: []ecsv1alpha1.ScalingPolicy{{
				PolicyName: "cpu-target-60",
				PolicyType: ecsv1alpha1.PolicyTypeTargetTracking,
				TargetTrackingScalingPolicyConfiguration: &ecsv1alpha1.TargetTrackingScalingPolicyConfiguration{
					TargetValue:                   60,
					PredefinedMetricSpecification: &ecsv1alpha1.PredefinedMetricSpecification{PredefinedMetricType: ecsv1alpha1.MetricECSServiceAverageCPUUtilization},
					ScaleOutCooldown:              i32(60),
					ScaleInCooldown:               i32(300),
				},
			}, {
				PolicyName: "memory-step-out",
				PolicyType: ecsv1alpha1.PolicyTypeStep,
				StepScalingPolicyConfiguration: &ecsv1alpha1.StepScalingPolicyConfiguration{
					AdjustmentType: ecsv1alpha1.AdjustmentChangeInCapacity,
					StepAdjustments: []ecsv1alpha1.StepAdjustment{
						{MetricIntervalLowerBound: f64(0), MetricIntervalUpperBound: f64(15), ScalingAdjustment: 1},
						{MetricIntervalLowerBound: f64(15), ScalingAdjustment: 3},
					},
					Cooldown:              i32(120),
					MetricAggregationType: "Average",
				},
			}},
			ScheduledActions: []ecsv1alpha1.ScheduledAction{{
				ScheduledActionName:  "weekday-morning-peak",
				Schedule:             "cron(0 7 ? * MON-FRI *)",
				Timezone:             "Europe/Berlin",
				StartTime:            at("2024-03-31T22:00:00Z"),
				EndTime:              at("2024-12-31T23:59:59Z"),
				ScalableTargetAction: ecsv1alpha1.ScalableTargetAction{MinCapacity: i32(6), MaxCapacity: i32(30)},
			}},
		},
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("the imported ScalableTarget (-want +got):\n%s", diff)
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got; -update rewrites it):\n%s", path, diff)
	}
}

// TestMainMixesKinds: task definitions and scalable targets in one run,
// each kind detected from its JSON; --name names one object.
func TestMainMixesKinds(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	td := write("td.json", `{"family":"web","containerDefinitions":[{"name":"app","image":"nginx","memory":128}]}`)
	reg := write("reg.json", regWeb)
	pol := write("pol.json", `{"ScalingPolicies":[{"PolicyName":"cpu",`+idWeb+`,`+ttCPU+`},{"PolicyName":"cpu-b",`+idB+`,`+ttCPU+`}]}`)

	var out, errs bytes.Buffer
	if code := Main([]string{td, reg, pol}, nil, &out, &errs); code != 1 {
		t.Errorf("a policy without its target: exit %d, want 1", code)
	}
	docs := strings.Split(out.String(), "---\n")
	if len(docs) != 3 || docs[0] != "" || !strings.Contains(docs[1], "kind: TaskDefinition") || !strings.Contains(docs[2], "kind: ScalableTarget") ||
		!strings.Contains(docs[2], "policyName: cpu\n") {
		t.Errorf("want a TaskDefinition and a ScalableTarget, each after ---:\n%s", out.String())
	}
	if !strings.Contains(errs.String(), "berth import: service/default/b: No scalable target registered for service namespace: ecs, resource ID: service/default/b") {
		t.Errorf("stderr: %s", errs.String())
	}

	out.Reset()
	errs.Reset()
	if code := Main([]string{"--name", "x", td, reg}, nil, &out, &errs); code != 2 || out.Len() > 0 {
		t.Errorf("--name with two objects: exit %d, output %q", code, out.String())
	}
	if code := Main([]string{"--name", "x", td, td}, nil, &out, &errs); code != 2 || !strings.Contains(errs.String(), "--name needs exactly one input") {
		t.Errorf("--name with two task definitions: exit %d, %s", code, errs.String())
	}

	out.Reset()
	errs.Reset()
	pol = write("pol.json", `{"PolicyName":"cpu",`+idWeb+`,`+ttCPU+`}`)
	if code := Main([]string{"--name", "front", reg, pol}, nil, &out, &errs); code != 0 {
		t.Fatalf("--name with one target from two inputs: exit %d: %s", code, errs.String())
	}
	if !strings.HasPrefix(out.String(), "---\napiVersion: ecs.berth.dev/v1alpha1\nkind: ScalableTarget\nmetadata:\n  name: front\n") {
		t.Errorf("output:\n%s", out.String())
	}

	out.Reset()
	errs.Reset()
	if code := Main([]string{"-"}, strings.NewReader(regWeb), &out, &errs); code != 0 || strings.HasPrefix(out.String(), "---") || errs.Len() > 0 {
		t.Errorf("one target on stdin: exit %d, stdout %q, stderr %q", code, out.String(), errs.String())
	}
}
