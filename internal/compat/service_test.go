package compat

import (
	"reflect"
	"testing"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func TestServiceNotes(t *testing.T) {
	plain := ecsv1alpha1.ServiceSpec{CreateServiceInput: ecsv1alpha1.CreateServiceInput{
		ServiceName: "web", TaskDefinition: "web", DesiredCount: ptr.To[int32](2),
		DeploymentConfiguration: &ecsv1alpha1.DeploymentConfiguration{
			Strategy: ecsv1alpha1.DeploymentStrategyRolling, MaximumPercent: ptr.To[int32](200),
		},
		PlacementStrategy: []ecsv1alpha1.PlacementStrategy{{Type: "spread", Field: "instanceId"}},
	}}
	if notes := ServiceNotes(&plain); len(notes) != 0 {
		t.Errorf("a ROLLING service with exact members got notes: %+v", notes)
	}

	bg := plain.DeepCopy()
	bg.DeploymentController = &ecsv1alpha1.DeploymentController{Type: ecsv1alpha1.DeploymentControllerTypeCodeDeploy}
	bg.DeploymentConfiguration.Strategy = ecsv1alpha1.DeploymentStrategyBlueGreen
	bg.PlatformVersion = "LATEST"
	bg.NetworkConfiguration = &ecsv1alpha1.NetworkConfiguration{AwsvpcConfiguration: &ecsv1alpha1.AwsVpcConfiguration{
		Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}}}
	got := ServiceNotes(bg)
	var paths []string
	levels := map[string]Level{}
	for _, n := range got {
		paths = append(paths, n.Path)
		levels[n.Path] = n.Level
		if n.Message == "" {
			t.Errorf("%s: no message", n.Path)
		}
	}
	// The approximated networkConfiguration, and below it what is not
	// supported (subnets, security groups), each for itself; its
	// awsvpcConfiguration, whose entry only points to its members, not.
	want := []string{"deploymentController.type", "networkConfiguration",
		"networkConfiguration.awsvpcConfiguration.securityGroups", "networkConfiguration.awsvpcConfiguration.subnets", "platformVersion"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %q, want %q", paths, want)
	}
	if levels["platformVersion"] != Unsupported || levels["deploymentController.type"] != Approximated {
		t.Errorf("levels = %v", levels)
	}
	// Deterministic: the same spec gives the same notes.
	if again := ServiceNotes(bg); !reflect.DeepEqual(again, got) {
		t.Errorf("notes differ between two runs:\n%+v\n%+v", got, again)
	}
	// LINEAR's weights are approximated; BLUE_GREEN's all-at-once switch
	// is not.
	linear := plain.DeepCopy()
	linear.DeploymentConfiguration.Strategy = ecsv1alpha1.DeploymentStrategyLinear
	if notes := ServiceNotes(linear); len(notes) != 1 || notes[0].Path != "deploymentConfiguration.strategy" || notes[0].Level != Approximated {
		t.Errorf("LINEAR: notes %+v, want the strategy approximated", notes)
	}
}

func TestReportNestedAndCovered(t *testing.T) {
	l := Layout{
		Root:   Table{"a": E("a"), "a.b": U("b is unsupported"), "list": E("list"), "list[].x": A("x approximated")},
		Nested: map[string]Table{"inner[]": {"y": U("y unsupported"), "z": E("z")}},
	}
	spec := map[string]any{
		"a":     map[string]any{"b": 1},
		"list":  []any{map[string]any{"x": 1}, map[string]any{"x": 2}},
		"inner": []any{map[string]any{"y": 1, "z": 2}},
		"extra": 3, // outside the tables: Berth's own member
	}
	got := l.Report(spec, []Note{{Path: "list[1].x", Level: Unsupported, Message: "own"}})
	want := []Note{
		{Path: "a.b", Level: Unsupported, Message: "b is unsupported"},
		{Path: "inner[0].y", Level: Unsupported, Message: "y unsupported"},
		{Path: "list[0].x", Level: Approximated, Message: "x approximated"},
		{Path: "list[1].x", Level: Unsupported, Message: "own"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Report =\n%+v\nwant\n%+v", got, want)
	}
}

func TestMessage(t *testing.T) {
	reason, msg := Message([]Note{{Path: "a", Level: Unsupported}, {Path: "b", Level: Approximated}, {Path: "c", Level: Approximated}}, "docs/x.md")
	if reason != ecsv1alpha1.ReasonUnsupportedFields || msg != "1 not supported (stored without effect): a; 2 approximated (status.fieldNotes says how; docs/x.md lists every field)" {
		t.Errorf("Message = %q, %q", reason, msg)
	}
}
