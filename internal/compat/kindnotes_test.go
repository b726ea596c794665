package compat

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// levels is notes as path → level, for comparisons.
func levels(notes []Note) map[string]Level {
	res := map[string]Level{}
	for _, n := range notes {
		res[n.Path] = n.Level
	}
	return res
}

// checkNotes compares notes' paths and levels with want, checks that each
// has a message, and that the notes are the same when computed again.
func checkNotes(t *testing.T, name string, notes func() []Note, want map[string]Level) {
	t.Helper()
	got := notes()
	for _, n := range got {
		if n.Message == "" {
			t.Errorf("%s: %s has no message", name, n.Path)
		}
	}
	if g := levels(got); !reflect.DeepEqual(g, want) && (len(g) > 0 || len(want) > 0) {
		t.Errorf("%s: notes = %v, want %v\n%+v", name, g, want, got)
	}
	if again := notes(); !reflect.DeepEqual(again, got) {
		t.Errorf("%s: notes differ between two runs", name)
	}
}

func TestClusterNotes(t *testing.T) {
	plain := ecsv1alpha1.ClusterSpec{CreateClusterInput: ecsv1alpha1.CreateClusterInput{
		ClusterName: "prod", CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"},
		DefaultCapacityProviderStrategy: []ecsv1alpha1.CapacityProviderStrategyItem{{CapacityProvider: "FARGATE", Weight: ptr.To[int32](1)}},
		Settings:                        []ecsv1alpha1.ClusterSetting{{Name: ecsv1alpha1.ClusterSettingNameContainerinsights, Value: "enabled"}},
		Tags:                            []ecsv1alpha1.Tag{{Key: "team", Value: "a"}},
	}}
	cases := []struct {
		name string
		edit func(*ecsv1alpha1.ClusterSpec)
		want map[string]Level
	}{
		{"plain", func(*ecsv1alpha1.ClusterSpec) {}, nil},
		{"container insights disabled", func(s *ecsv1alpha1.ClusterSpec) { s.Settings[0].Value = "disabled" },
			map[string]Level{"settings[0].value": Unsupported}},
		{"container insights enhanced", func(s *ecsv1alpha1.ClusterSpec) { s.Settings[0].Value = "enhanced" },
			map[string]Level{"settings[0].value": Approximated}},
		{"a default strategy of two providers", func(s *ecsv1alpha1.ClusterSpec) {
			s.DefaultCapacityProviderStrategy = append(s.DefaultCapacityProviderStrategy,
				ecsv1alpha1.CapacityProviderStrategyItem{CapacityProvider: "FARGATE_SPOT", Weight: ptr.To[int32](4)})
		}, map[string]Level{"defaultCapacityProviderStrategy": Approximated}},
		{"exec configuration, reported once", func(s *ecsv1alpha1.ClusterSpec) {
			s.Configuration = &ecsv1alpha1.ClusterConfiguration{ExecuteCommandConfiguration: &ecsv1alpha1.ExecuteCommandConfiguration{
				KmsKeyId: "k", Logging: "OVERRIDE", LogConfiguration: &ecsv1alpha1.ExecuteCommandLogConfiguration{S3BucketName: "b"}}}
			s.ServiceConnectDefaults = &ecsv1alpha1.ClusterServiceConnectDefaultsRequest{Namespace: "ns"}
		}, map[string]Level{"configuration.executeCommandConfiguration": Unsupported, "serviceConnectDefaults": Approximated}},
	}
	for _, c := range cases {
		spec := plain.DeepCopy()
		c.edit(spec)
		checkNotes(t, c.name, func() []Note { return ClusterNotes(spec) }, c.want)
	}
}

func TestCapacityProviderNotes(t *testing.T) {
	plain := ecsv1alpha1.CapacityProviderSpec{Type: ecsv1alpha1.CapacityProviderFargate}
	ec2 := ecsv1alpha1.CapacityProviderSpec{Type: ecsv1alpha1.CapacityProviderEC2AutoScaling,
		CreateCapacityProviderInput: ecsv1alpha1.CreateCapacityProviderInput{Name: "ec2",
			AutoScalingGroupProvider: &ecsv1alpha1.AutoScalingGroupProvider{
				ManagedScaling: &ecsv1alpha1.ManagedScaling{Status: ecsv1alpha1.ManagedScalingStatusEnabled, TargetCapacity: ptr.To[int32](90)},
			}},
		NodePool: ecsv1alpha1.NodePool{Provisioner: ecsv1alpha1.NodeProvisionerKwok, NodeLabels: map[string]string{"a": "b"}},
	}
	cases := []struct {
		name string
		spec ecsv1alpha1.CapacityProviderSpec
		edit func(*ecsv1alpha1.CapacityProviderSpec)
		want map[string]Level
	}{
		{"fargate", plain, func(*ecsv1alpha1.CapacityProviderSpec) {}, nil},
		{"managed scaling with a provisioner", ec2, func(*ecsv1alpha1.CapacityProviderSpec) {}, nil},
		{"managed scaling without a provisioner", ec2, func(s *ecsv1alpha1.CapacityProviderSpec) { s.NodePool.Provisioner = "" },
			map[string]Level{"autoScalingGroupProvider.managedScaling.status": Approximated}},
		{"managed scaling DISABLED without a provisioner", ec2, func(s *ecsv1alpha1.CapacityProviderSpec) {
			s.NodePool.Provisioner = ecsv1alpha1.NodeProvisionerNone
			s.AutoScalingGroupProvider.ManagedScaling.Status = ecsv1alpha1.ManagedScalingStatusDisabled
		}, nil},
		{"protection and draining ENABLED", ec2, func(s *ecsv1alpha1.CapacityProviderSpec) {
			s.AutoScalingGroupProvider.ManagedTerminationProtection = ecsv1alpha1.ManagedTerminationProtectionEnabled
			s.AutoScalingGroupProvider.ManagedDraining = ecsv1alpha1.ManagedDrainingEnabled
		}, nil},
		{"protection and draining DISABLED", ec2, func(s *ecsv1alpha1.CapacityProviderSpec) {
			s.AutoScalingGroupProvider.ManagedTerminationProtection = ecsv1alpha1.ManagedTerminationProtectionDisabled
			s.AutoScalingGroupProvider.ManagedDraining = ecsv1alpha1.ManagedDrainingDisabled
		}, map[string]Level{"autoScalingGroupProvider.managedTerminationProtection": Approximated, "autoScalingGroupProvider.managedDraining": Approximated}},
		{"group ARN, warm-up and cluster", ec2, func(s *ecsv1alpha1.CapacityProviderSpec) {
			s.AutoScalingGroupProvider.AutoScalingGroupArn = "arn:aws:autoscaling:us-east-1:1:autoScalingGroup:x"
			s.AutoScalingGroupProvider.ManagedScaling.InstanceWarmupPeriod = ptr.To[int32](60)
			s.Cluster = "prod"
		}, map[string]Level{"autoScalingGroupProvider.autoScalingGroupArn": Approximated,
			"autoScalingGroupProvider.managedScaling.instanceWarmupPeriod": Approximated, "cluster": Unsupported}},
	}
	for _, c := range cases {
		spec := c.spec.DeepCopy()
		c.edit(spec)
		checkNotes(t, c.name, func() []Note { return CapacityProviderNotes(spec) }, c.want)
	}
}

func TestTaskNotes(t *testing.T) {
	plain := ecsv1alpha1.TaskSpec{RunTaskInput: ecsv1alpha1.RunTaskInput{
		TaskDefinition: "batch", Cluster: "prod", LaunchType: ecsv1alpha1.LaunchTypeFargate, Group: "g", StartedBy: "ci",
		PropagateTags: ecsv1alpha1.PropagateTagsNone, EnableECSManagedTags: ptr.To(false),
		Overrides: &ecsv1alpha1.TaskOverride{Cpu: "512", ContainerOverrides: []ecsv1alpha1.ContainerOverride{{
			Name: "app", Command: []string{"run"}, Environment: []ecsv1alpha1.KeyValuePair{{Name: "A", Value: "1"}},
			ResourceRequirements: []ecsv1alpha1.ResourceRequirement{{Type: ecsv1alpha1.ResourceTypeGpu, Value: "1"}},
		}}},
	}, DesiredStatus: ecsv1alpha1.DesiredTaskStatus(ecsv1alpha1.TaskStopped), StopReason: "done"}
	cases := []struct {
		name string
		edit func(*ecsv1alpha1.TaskSpec)
		want map[string]Level
	}{
		{"plain", func(*ecsv1alpha1.TaskSpec) {}, nil},
		{"EXTERNAL", func(s *ecsv1alpha1.TaskSpec) { s.LaunchType = ecsv1alpha1.LaunchTypeExternal },
			map[string]Level{"launchType": Unsupported}},
		{"one provider", func(s *ecsv1alpha1.TaskSpec) {
			s.LaunchType = ""
			s.CapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{{CapacityProvider: "FARGATE_SPOT", Base: ptr.To[int32](1)}}
		}, nil},
		{"two providers", func(s *ecsv1alpha1.TaskSpec) {
			s.LaunchType = ""
			s.CapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{{CapacityProvider: "FARGATE", Base: ptr.To[int32](1)}, {CapacityProvider: "FARGATE_SPOT"}}
		}, map[string]Level{"capacityProviderStrategy": Approximated}},
		{"tags propagated and managed", func(s *ecsv1alpha1.TaskSpec) {
			s.PropagateTags = ecsv1alpha1.PropagateTagsTaskDefinition
			s.EnableECSManagedTags = ptr.To(true)
		}, map[string]Level{"propagateTags": Unsupported, "enableECSManagedTags": Unsupported}},
		{"overrides", func(s *ecsv1alpha1.TaskSpec) {
			s.Overrides.TaskRoleArn = "arn:aws:iam::1:role/r"
			s.Overrides.ContainerOverrides[0].ResourceRequirements = append(s.Overrides.ContainerOverrides[0].ResourceRequirements,
				ecsv1alpha1.ResourceRequirement{Type: ecsv1alpha1.ResourceTypeInferenceaccelerator, Value: "device"})
		}, map[string]Level{"overrides.taskRoleArn": Approximated, "overrides.containerOverrides[0].resourceRequirements[1]": Unsupported}},
		{"network", func(s *ecsv1alpha1.TaskSpec) {
			s.NetworkConfiguration = &ecsv1alpha1.NetworkConfiguration{AwsvpcConfiguration: &ecsv1alpha1.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}
			s.PlatformVersion = "LATEST"
		}, map[string]Level{"networkConfiguration": Approximated, "networkConfiguration.awsvpcConfiguration.subnets": Unsupported, "platformVersion": Unsupported}},
	}
	for _, c := range cases {
		spec := plain.DeepCopy()
		c.edit(spec)
		checkNotes(t, c.name, func() []Note { return TaskNotes(spec) }, c.want)
	}
}

func TestScalableTargetNotes(t *testing.T) {
	cpu := func(target float64) *ecsv1alpha1.TargetTrackingScalingPolicyConfiguration {
		return &ecsv1alpha1.TargetTrackingScalingPolicyConfiguration{TargetValue: target, ScaleInCooldown: ptr.To[int32](300),
			PredefinedMetricSpecification: &ecsv1alpha1.PredefinedMetricSpecification{PredefinedMetricType: ecsv1alpha1.MetricECSServiceAverageCPUUtilization}}
	}
	plain := ecsv1alpha1.ScalableTargetSpec{ServiceNamespace: "ecs", ResourceID: "service/default/web",
		ScalableDimension: ecsv1alpha1.ScalableDimensionECSServiceDesiredCount, MinCapacity: 1, MaxCapacity: 10,
		SuspendedState: &ecsv1alpha1.SuspendedState{ScheduledScalingSuspended: true},
		ScalingPolicies: []ecsv1alpha1.ScalingPolicy{
			{PolicyName: "cpu", PolicyType: ecsv1alpha1.PolicyTypeTargetTracking, TargetTrackingScalingPolicyConfiguration: cpu(50)},
			{PolicyName: "step", PolicyType: ecsv1alpha1.PolicyTypeStep,
				StepScalingPolicyConfiguration: &ecsv1alpha1.StepScalingPolicyConfiguration{AdjustmentType: ecsv1alpha1.AdjustmentChangeInCapacity,
					StepAdjustments: []ecsv1alpha1.StepAdjustment{{MetricIntervalLowerBound: ptr.To(0.0), ScalingAdjustment: 1}}},
				Alarms: []ecsv1alpha1.StepPolicyAlarm{{AlarmName: "high", Namespace: "AWS/ECS", MetricName: "CPUUtilization",
					Statistic: ecsv1alpha1.StatisticAverage, Period: 60, EvaluationPeriods: 1, Threshold: 70, ComparisonOperator: ecsv1alpha1.GreaterThanThreshold}}},
		},
		ScheduledActions: []ecsv1alpha1.ScheduledAction{{ScheduledActionName: "night", Schedule: "cron(0 22 * * ? *)", Timezone: "Europe/Paris",
			ScalableTargetAction: ecsv1alpha1.ScalableTargetAction{MaxCapacity: ptr.To[int32](2)}}},
	}
	const tt = "scalingPolicies[0].targetTrackingScalingPolicyConfiguration"
	cases := []struct {
		name string
		edit func(*ecsv1alpha1.ScalableTargetSpec)
		want map[string]Level
	}{
		{"plain", func(*ecsv1alpha1.ScalableTargetSpec) {}, nil},
		{"a fractional utilization target", func(s *ecsv1alpha1.ScalableTargetSpec) {
			s.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue = 50.5
		}, map[string]Level{tt + ".targetValue": Approximated}},
		{"minCapacity 0 with target tracking", func(s *ecsv1alpha1.ScalableTargetSpec) { s.MinCapacity = 0 },
			map[string]Level{"minCapacity": Approximated}},
		{"minCapacity 0 with step scaling only", func(s *ecsv1alpha1.ScalableTargetSpec) {
			s.MinCapacity = 0
			s.ScalingPolicies = s.ScalingPolicies[1:]
		}, nil},
		{"ALBRequestCountPerTarget, a fraction kept", func(s *ecsv1alpha1.ScalableTargetSpec) {
			s.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue = 100.5
			s.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification = &ecsv1alpha1.PredefinedMetricSpecification{
				PredefinedMetricType: ecsv1alpha1.MetricALBRequestCountPerTarget, ResourceLabel: "app/lb/1/targetgroup/web/2"}
		}, map[string]Level{tt + ".predefinedMetricSpecification.predefinedMetricType": Approximated}},
		{"AWS/ECS customized, Maximum", func(s *ecsv1alpha1.ScalableTargetSpec) {
			c := s.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration
			c.PredefinedMetricSpecification = nil
			c.CustomizedMetricSpecification = &ecsv1alpha1.CustomizedMetricSpecification{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Statistic: ecsv1alpha1.StatisticMaximum}
		}, map[string]Level{tt + ".customizedMetricSpecification.statistic": Approximated}},
		{"another customized metric, with a unit", func(s *ecsv1alpha1.ScalableTargetSpec) {
			c := s.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration
			c.PredefinedMetricSpecification = nil
			c.TargetValue = 10.5 // a Value target: no rounding
			c.CustomizedMetricSpecification = &ecsv1alpha1.CustomizedMetricSpecification{Namespace: "App", MetricName: "queue_depth", Unit: "Count",
				Dimensions: []ecsv1alpha1.MetricDimension{{Name: "queue", Value: "jobs"}}}
		}, map[string]Level{tt + ".customizedMetricSpecification": Approximated, tt + ".customizedMetricSpecification.unit": Unsupported}},
		{"static approximations", func(s *ecsv1alpha1.ScalableTargetSpec) {
			s.RoleARN = "arn:aws:iam::1:role/r"
			s.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.ScaleOutCooldown = ptr.To[int32](60)
			s.ScalingPolicies[1].StepScalingPolicyConfiguration.MetricAggregationType = "Maximum"
		}, map[string]Level{"roleARN": Approximated, tt + ".scaleOutCooldown": Approximated,
			"scalingPolicies[1].stepScalingPolicyConfiguration.metricAggregationType": Approximated}},
	}
	for _, c := range cases {
		spec := plain.DeepCopy()
		c.edit(spec)
		checkNotes(t, c.name, func() []Note { return ScalableTargetNotes(spec) }, c.want)
	}
	fraction := plain.DeepCopy()
	fraction.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue = 50.5
	if n := ScalableTargetNotes(fraction); len(n) != 1 || !strings.Contains(n[0].Message, "50.5 is rounded to 51%") {
		t.Errorf("targetValue note = %+v", n)
	}
}
