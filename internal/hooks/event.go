package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/berth-dev/berth/internal/names"
	"github.com/berth-dev/berth/internal/strategy"
)

// Event is the payload ECS gives a lifecycle hook's Lambda function
// ("Lambda hooks for Amazon ECS service deployments", lambda-lifecycle-hooks,
// "Lifecycle payloads"), member for member. Berth gives it, as JSON, to
// every container of the hook's Job (EnvEvent) and in the Job's
// annotation AnnotationEvent.
type Event struct {
	// ExecutionID identifies the hook execution; its invocations (after an
	// IN_PROGRESS answer) share it.
	ExecutionID string `json:"executionId"`
	// LifecycleStage is the hook's stage, PRE_PRODUCTION_TRAFFIC_SHIFT
	// included (ECS's payloads name it; ServiceDeployment.lifecycleStage
	// does not).
	LifecycleStage string `json:"lifecycleStage"`
	// ResourceArn is the service deployment's ARN.
	ResourceArn      string           `json:"resourceArn"`
	ExecutionDetails ExecutionDetails `json:"executionDetails"`
	// HookDetails is the hook's hookDetails, merged with those of the
	// previous invocation's IN_PROGRESS answer; absent when empty.
	HookDetails map[string]any `json:"hookDetails,omitempty"`
}

// ExecutionDetails is the event's deployment-specific part.
type ExecutionDetails struct {
	ServiceArn               string `json:"serviceArn"`
	TargetServiceRevisionArn string `json:"targetServiceRevisionArn"`
	// TestTrafficWeights and ProductionTrafficWeights map service
	// revision ARNs to percentages; {} at the stages where ECS's payloads
	// show none.
	TestTrafficWeights       map[string]float64 `json:"testTrafficWeights"`
	ProductionTrafficWeights map[string]float64 `json:"productionTrafficWeights"`
}

// EventInput is what an event is made of.
type EventInput struct {
	Account names.Account
	// Cluster and Service are the ECS cluster's and service's names.
	Cluster, Service string
	// Deployment is the deployment's id; Source the id of the deployment
	// whose revision it replaces (blue), "" when there is none.
	Deployment, Source string
	Key                strategy.HookKey
	// Production and Test are the traffic weights as the invoking pass
	// decided them (strategy.Output.Production and Test).
	Production, Test strategy.Weights
	// HookDetails is the hook's hookDetails (a JSON object, or nil).
	HookDetails *runtime.RawExtension
}

// Execution is the hook execution key names: its names.HookExecution.
func Execution(deploymentID string, key strategy.HookKey) names.HookExecution {
	return names.HookExecution{Deployment: deploymentID, Stage: string(key.Stage), Step: key.Step, Hook: key.Hook, Rollback: key.Rollback}
}

// NewEvent builds the event ECS would give the hook. Weights are in the
// payload where ECS's examples show them: the test weights at
// TEST_TRAFFIC_SHIFT, the production weights at PRE_PRODUCTION_TRAFFIC_SHIFT
// and PRODUCTION_TRAFFIC_SHIFT (the weights before the step, then after it;
// during a rollback, back on blue). Elsewhere they are {}.
func NewEvent(in EventInput) (Event, error) {
	details, err := objectOf(in.HookDetails)
	if err != nil {
		return Event{}, fmt.Errorf("hookDetails: %w", err)
	}
	green := in.Account.ServiceRevisionArn(in.Cluster, in.Service, in.Deployment)
	ev := Event{
		ExecutionID:    Execution(in.Deployment, in.Key).ID(),
		LifecycleStage: string(in.Key.Stage),
		ResourceArn:    in.Account.ServiceDeploymentArn(in.Cluster, in.Service, in.Deployment),
		ExecutionDetails: ExecutionDetails{
			ServiceArn:               in.Account.ServiceArn(in.Cluster, in.Service),
			TargetServiceRevisionArn: green,
			TestTrafficWeights:       map[string]float64{},
			ProductionTrafficWeights: map[string]float64{},
		},
		HookDetails: details,
	}
	weights := func(w strategy.Weights) map[string]float64 {
		m := map[string]float64{green: percent(w.Green)}
		if in.Source != "" {
			m[in.Account.ServiceRevisionArn(in.Cluster, in.Service, in.Source)] = percent(w.Blue)
		}
		return m
	}
	switch in.Key.Stage {
	case strategy.StageTestTrafficShift:
		ev.ExecutionDetails.TestTrafficWeights = weights(in.Test)
	case strategy.StagePreProductionTrafficShift, strategy.StageProductionTrafficShift:
		ev.ExecutionDetails.ProductionTrafficWeights = weights(in.Production)
	}
	return ev, nil
}

// percent turns tenths of a percent into a percentage.
func percent(tenths int32) float64 { return float64(tenths) / 10 }

func objectOf(raw *runtime.RawExtension) (map[string]any, error) {
	if raw == nil || len(raw.Raw) == 0 {
		return nil, nil
	}
	m, err := decodeObject(raw.Raw)
	if err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	return m, nil
}

// decodeObject decodes a JSON object keeping numbers as they are written
// (json.Number): hookDetails go back to the hook unchanged.
func decodeObject(b []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the object")
	}
	return m, nil
}

// MergeHookDetails is the hookDetails of the next invocation: those of the
// previous one's event, with the members of its IN_PROGRESS answer's
// hookDetails added or replaced ("Amazon ECS merges this data and passes
// it back on the next invocation"; a shallow merge, the answer winning).
func MergeHookDetails(previous, answer map[string]any) map[string]any {
	if len(previous) == 0 && len(answer) == 0 {
		return nil
	}
	out := make(map[string]any, len(previous)+len(answer))
	maps.Copy(out, previous)
	maps.Copy(out, answer)
	return out
}

// JSON is the event as the hook receives it.
func (e Event) JSON() (string, error) {
	b, err := json.Marshal(e)
	return string(b), err
}

// ParseEvent reads an event back from its JSON (a Job's AnnotationEvent).
func ParseEvent(s string) (Event, error) {
	var e Event
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	err := dec.Decode(&e)
	return e, err
}
