package hooks

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/strategy"
)

var account = names.Account{Region: "us-west-2", AccountID: "123456789012"}

const (
	green = "arn:aws:ecs:us-west-2:123456789012:service-revision/my-cluster/my-service/9313423515462893900"
	blue  = "arn:aws:ecs:us-west-2:123456789012:service-revision/my-cluster/my-service/1920498462936580504"
)

func eventInput(stage strategy.Stage) EventInput {
	return EventInput{
		Account: account, Cluster: "my-cluster", Service: "my-service",
		Deployment: "ecs-svc/9313423515462893900", Source: "ecs-svc/1920498462936580504",
		Key: strategy.HookKey{Stage: stage}, Production: strategy.AllBlue, Test: strategy.AllBlue,
	}
}

// TestNewEvent_Weights: the weights are where ECS's payload examples show
// them (lambda-lifecycle-hooks, "Lifecycle stage payloads"), {} elsewhere.
func TestNewEvent_Weights(t *testing.T) {
	none := map[string]float64{}
	cases := []struct {
		name             string
		in               func(*EventInput)
		wantTest, wantPr map[string]float64
	}{
		{name: "PRE_SCALE_UP", in: func(in *EventInput) { in.Key.Stage = strategy.StagePreScaleUp }, wantTest: none, wantPr: none},
		{name: "POST_SCALE_UP", in: func(in *EventInput) { in.Key.Stage = strategy.StagePostScaleUp }, wantTest: none, wantPr: none},
		{name: "TEST_TRAFFIC_SHIFT", in: func(in *EventInput) {
			in.Key.Stage, in.Test = strategy.StageTestTrafficShift, strategy.AllGreen
		}, wantTest: map[string]float64{green: 100, blue: 0}, wantPr: none},
		{name: "POST_TEST_TRAFFIC_SHIFT", in: func(in *EventInput) {
			in.Key.Stage, in.Test = strategy.StagePostTestTrafficShift, strategy.AllGreen
		}, wantTest: none, wantPr: none},
		{name: "PRE_PRODUCTION_TRAFFIC_SHIFT: the weights before the step", in: func(in *EventInput) {
			in.Key.Stage, in.Test = strategy.StagePreProductionTrafficShift, strategy.AllGreen
		}, wantTest: none, wantPr: map[string]float64{green: 0, blue: 100}},
		{name: "PRODUCTION_TRAFFIC_SHIFT, a canary step in tenths", in: func(in *EventInput) {
			in.Key.Stage, in.Production = strategy.StageProductionTrafficShift, strategy.Weights{Blue: 875, Green: 125}
		}, wantTest: none, wantPr: map[string]float64{green: 12.5, blue: 87.5}},
		{name: "PRODUCTION_TRAFFIC_SHIFT during a rollback: back on blue", in: func(in *EventInput) {
			in.Key = strategy.HookKey{Stage: strategy.StageProductionTrafficShift, Rollback: true}
		}, wantTest: none, wantPr: map[string]float64{green: 0, blue: 100}},
		{name: "POST_PRODUCTION_TRAFFIC_SHIFT", in: func(in *EventInput) {
			in.Key.Stage, in.Production = strategy.StagePostProductionTrafficShift, strategy.AllGreen
		}, wantTest: none, wantPr: none},
		{name: "no source revision: green only", in: func(in *EventInput) {
			in.Key.Stage, in.Source, in.Production = strategy.StageProductionTrafficShift, "", strategy.AllGreen
		}, wantTest: none, wantPr: map[string]float64{green: 100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := eventInput("")
			c.in(&in)
			ev, err := NewEvent(in)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.wantTest, ev.ExecutionDetails.TestTrafficWeights); d != "" {
				t.Errorf("testTrafficWeights (-want +got):\n%s", d)
			}
			if d := cmp.Diff(c.wantPr, ev.ExecutionDetails.ProductionTrafficWeights); d != "" {
				t.Errorf("productionTrafficWeights (-want +got):\n%s", d)
			}
			if ev.LifecycleStage != string(in.Key.Stage) {
				t.Errorf("lifecycleStage = %s, want %s", ev.LifecycleStage, in.Key.Stage)
			}
		})
	}
}

// TestNewEvent_Shape: the JSON is ECS's example payload for
// PRODUCTION_TRAFFIC_SHIFT member for member (but for executionId, which
// is Berth's, and the ARNs' deployment ids, which are Berth's digits).
func TestNewEvent_Shape(t *testing.T) {
	in := eventInput(strategy.StageProductionTrafficShift)
	in.Production = strategy.AllGreen
	ev, err := NewEvent(in)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ev.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "executionId": "` + ev.ExecutionID + `",
  "lifecycleStage": "PRODUCTION_TRAFFIC_SHIFT",
  "resourceArn": "arn:aws:ecs:us-west-2:123456789012:service-deployment/my-cluster/my-service/9313423515462893900",
  "executionDetails": {
    "serviceArn": "arn:aws:ecs:us-west-2:123456789012:service/my-cluster/my-service",
    "targetServiceRevisionArn": "` + green + `",
    "testTrafficWeights": {},
    "productionTrafficWeights": {
      "` + green + `": 100,
      "` + blue + `": 0
    }
  }
}`
	var got, wantObj any
	if err := json.Unmarshal([]byte(s), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &wantObj); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantObj, got); d != "" {
		t.Errorf("event (-want +got):\n%s", d)
	}
	if ev.ExecutionID != Execution(in.Deployment, in.Key).ID() {
		t.Errorf("executionId %s is not the execution's", ev.ExecutionID)
	}
}

func TestNewEvent_HookDetails(t *testing.T) {
	in := eventInput(strategy.StagePostTestTrafficShift)
	in.HookDetails = &runtime.RawExtension{Raw: []byte(`{"S3_BUCKET_NAME":"my-approval-bucket","big":12345678901234567890}`)}
	ev, err := NewEvent(in)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ev.JSON()
	var got map[string]json.RawMessage
	_ = json.Unmarshal([]byte(s), &got)
	// Numbers go back as written.
	if want := `{"S3_BUCKET_NAME":"my-approval-bucket","big":12345678901234567890}`; string(got["hookDetails"]) != want {
		t.Errorf("hookDetails = %s, want %s", got["hookDetails"], want)
	}
	in.HookDetails = &runtime.RawExtension{Raw: []byte(`[1]`)}
	if _, err := NewEvent(in); err == nil {
		t.Error("hookDetails that is not an object: no error")
	}
	in.HookDetails = nil
	ev, _ = NewEvent(in)
	fresh := map[string]json.RawMessage{}
	if s, _ := ev.JSON(); json.Unmarshal([]byte(s), &fresh) != nil || fresh["hookDetails"] != nil {
		t.Errorf("no hookDetails: %s", s)
	}
}

func TestMergeHookDetails(t *testing.T) {
	cases := []struct {
		name                  string
		previous, answer, out map[string]any
	}{
		{name: "none"},
		{name: "spec only", previous: map[string]any{"a": "1"}, out: map[string]any{"a": "1"}},
		{name: "answer adds and replaces", previous: map[string]any{"a": "1", "b": "2"}, answer: map[string]any{"b": "3", "c": true},
			out: map[string]any{"a": "1", "b": "3", "c": true}},
		{name: "answer only", answer: map[string]any{"c": true}, out: map[string]any{"c": true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := cmp.Diff(c.out, MergeHookDetails(c.previous, c.answer)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestParseEvent_RoundTrip(t *testing.T) {
	in := eventInput(strategy.StageTestTrafficShift)
	in.HookDetails = &runtime.RawExtension{Raw: []byte(`{"n":1.50}`)}
	ev, _ := NewEvent(in)
	s, _ := ev.JSON()
	back, err := ParseEvent(s)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(ev, back); d != "" {
		t.Errorf("(-sent +read):\n%s", d)
	}
}
