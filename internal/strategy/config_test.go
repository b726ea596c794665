package strategy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

func TestSteps(t *testing.T) {
	greens := func(c Config) []int32 {
		var g []int32
		for _, s := range c.Steps() {
			if s.Blue+s.Green != Whole {
				t.Errorf("%+v does not make 100%%", s)
			}
			g = append(g, s.Green)
		}
		return g
	}
	cases := []struct {
		name string
		cfg  Config
		want []int32
	}{
		{"BLUE_GREEN", Config{Strategy: "BLUE_GREEN", StepPercent: 10, CanaryPercent: 10}, []int32{1000}},
		{"LINEAR 25", Config{Strategy: "LINEAR", StepPercent: 25}, []int32{250, 500, 750, 1000}},
		{"LINEAR 11 (the last step takes the rest)", Config{Strategy: "LINEAR", StepPercent: 11},
			[]int32{110, 220, 330, 440, 550, 660, 770, 880, 990, 1000}},
		{"LINEAR 33.3", Config{Strategy: "LINEAR", StepPercent: 33.3}, []int32{333, 666, 999, 1000}},
		{"LINEAR 100", Config{Strategy: "LINEAR", StepPercent: 100}, []int32{1000}},
		{"LINEAR below ECS's 3.0 is 3.0", Config{Strategy: "LINEAR", StepPercent: 0.5}, nil},
		{"CANARY 10", Config{Strategy: "CANARY", CanaryPercent: 10}, []int32{100, 1000}},
		{"CANARY 0.1", Config{Strategy: "CANARY", CanaryPercent: 0.1}, []int32{1, 1000}},
		{"CANARY 0.04 is 0.1", Config{Strategy: "CANARY", CanaryPercent: 0.04}, []int32{1, 1000}},
		{"CANARY 100", Config{Strategy: "CANARY", CanaryPercent: 100}, []int32{1000}},
	}
	for _, tc := range cases {
		got := greens(tc.cfg)
		if tc.want == nil {
			if len(got) != 34 || got[0] != 30 || got[32] != 990 || got[33] != 1000 {
				t.Errorf("%s: %v", tc.name, got)
			}
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestFromDeploymentConfiguration(t *testing.T) {
	hooks := []ecsv1alpha1.DeploymentLifecycleHook{
		{HookTargetArn: "arn:aws:lambda:us-east-1:1:function:f", LifecycleStages: []ecsv1alpha1.DeploymentLifecycleHookStage{"POST_TEST_TRAFFIC_SHIFT"}},
		{TargetType: "PAUSE", LifecycleStages: []ecsv1alpha1.DeploymentLifecycleHookStage{"PRE_PRODUCTION_TRAFFIC_SHIFT"},
			TimeoutConfiguration: &ecsv1alpha1.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: ptr.To[int32](20160), Action: "CONTINUE"}},
	}
	cases := []struct {
		name   string
		dc     *ecsv1alpha1.DeploymentConfiguration
		minute time.Duration
		want   Config
		err    string
	}{
		{
			name:   "LINEAR with ECS's defaults",
			dc:     &ecsv1alpha1.DeploymentConfiguration{Strategy: "LINEAR", LifecycleHooks: hooks},
			minute: time.Minute,
			want: Config{Strategy: "LINEAR", StepPercent: 10, StepBake: 6 * time.Minute, CallbackDelay: 30 * time.Second, StageTimeout: 24 * time.Hour,
				Hooks: []Hook{
					{Stages: hooks[0].LifecycleStages, Timeout: 24 * time.Hour, TimeoutAction: "ROLLBACK"},
					{Stages: hooks[1].LifecycleStages, Pause: true, Timeout: 14 * 24 * time.Hour, TimeoutAction: "CONTINUE"},
				}},
		},
		{
			name: "CANARY with ECS's defaults, a second for a minute",
			dc: &ecsv1alpha1.DeploymentConfiguration{Strategy: "CANARY", BakeTimeInMinutes: ptr.To[int32](3),
				Alarms:                   &ecsv1alpha1.DeploymentAlarms{AlarmNames: []string{"a"}, Enable: true, Rollback: true},
				DeploymentCircuitBreaker: &ecsv1alpha1.DeploymentCircuitBreaker{Enable: false, Rollback: true}},
			minute: time.Second,
			want: Config{Strategy: "CANARY", CanaryPercent: 5, StepBake: 10 * time.Second, Bake: 3 * time.Second, CallbackDelay: 500 * time.Millisecond,
				StageTimeout: 1440 * time.Second, AlarmRollback: true},
		},
		{
			name: "LINEAR 25% every 30 s",
			dc: &ecsv1alpha1.DeploymentConfiguration{Strategy: "LINEAR", BakeTimeInMinutes: ptr.To[int32](1),
				LinearConfiguration:      &ecsv1alpha1.LinearConfiguration{StepPercent: ptr.To(25.0), StepBakeTimeInMinutes: ptr.To[int32](1)},
				DeploymentCircuitBreaker: &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
			minute: 30 * time.Second,
			want: Config{Strategy: "LINEAR", StepPercent: 25, StepBake: 30 * time.Second, Bake: 30 * time.Second, CallbackDelay: 15 * time.Second,
				StageTimeout: 12 * time.Hour, CircuitBreakerRollback: true},
		},
		{
			name:   "BLUE_GREEN",
			dc:     &ecsv1alpha1.DeploymentConfiguration{Strategy: "BLUE_GREEN", BakeTimeInMinutes: ptr.To[int32](1440)},
			minute: time.Minute,
			want:   Config{Strategy: "BLUE_GREEN", Bake: 24 * time.Hour, CallbackDelay: 30 * time.Second, StageTimeout: 24 * time.Hour},
		},
		{name: "no configuration", err: "deploymentConfiguration: required for a BLUE_GREEN, LINEAR or CANARY deployment"},
		{name: "ROLLING", dc: &ecsv1alpha1.DeploymentConfiguration{Strategy: "ROLLING"}, err: `strategy: "ROLLING" is not BLUE_GREEN, LINEAR or CANARY`},
		{name: "step too small", dc: &ecsv1alpha1.DeploymentConfiguration{Strategy: "LINEAR",
			LinearConfiguration: &ecsv1alpha1.LinearConfiguration{StepPercent: ptr.To(2.9)}},
			err: "linearConfiguration.stepPercent: 2.9 is not between 3 and 100"},
		{name: "canary too large", dc: &ecsv1alpha1.DeploymentConfiguration{Strategy: "CANARY",
			CanaryConfiguration: &ecsv1alpha1.CanaryConfiguration{CanaryPercent: ptr.To(100.5)}},
			err: "canaryConfiguration.canaryPercent: 100.5 is not between 0.1 and 100"},
		{name: "bake too long", dc: &ecsv1alpha1.DeploymentConfiguration{Strategy: "BLUE_GREEN", BakeTimeInMinutes: ptr.To[int32](1441)},
			err: "bakeTimeInMinutes: 1441 is not between 0 and 1440"},
		{name: "step bake too long", dc: &ecsv1alpha1.DeploymentConfiguration{Strategy: "CANARY",
			CanaryConfiguration: &ecsv1alpha1.CanaryConfiguration{CanaryBakeTimeInMinutes: ptr.To[int32](-1)}},
			err: "canaryConfiguration.canaryBakeTimeInMinutes: -1 is not between 0 and 1440"},
		{name: "PAUSE at PRODUCTION_TRAFFIC_SHIFT", dc: &ecsv1alpha1.DeploymentConfiguration{Strategy: "BLUE_GREEN",
			LifecycleHooks: []ecsv1alpha1.DeploymentLifecycleHook{hooks[0], {TargetType: "PAUSE", LifecycleStages: []ecsv1alpha1.DeploymentLifecycleHookStage{"PRODUCTION_TRAFFIC_SHIFT"}}}},
			err: "lifecycleHooks[1]: lifecycleStages: a PAUSE hook cannot run at PRODUCTION_TRAFFIC_SHIFT"},
		{name: "hook timeout 0", dc: &ecsv1alpha1.DeploymentConfiguration{Strategy: "BLUE_GREEN",
			LifecycleHooks: []ecsv1alpha1.DeploymentLifecycleHook{{TimeoutConfiguration: &ecsv1alpha1.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: ptr.To[int32](0)}}}},
			err: "lifecycleHooks[0]: timeoutConfiguration.timeoutInMinutes: 0 is not between 1 and 20160"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromDeploymentConfiguration(tc.dc, tc.minute)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}
