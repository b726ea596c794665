package aas

import "github.com/berth-dev/berth/internal/awsapi/support"

// Level is how far Berth serves an operation (internal/awsapi/support).
type Level = support.Level

// Support is one operation's level and what is missing or why.
type Support support.Support

// Levels of support.
const (
	Served      = support.Served
	Partial     = support.Partial
	Unsupported = support.Unsupported
)

// Operations says, for every Application Auto Scaling operation of the
// model, whether Berth serves it (the ECS service namespace only).
var Operations = map[string]Support{
	"RegisterScalableTarget":       {Partial, "service namespace ecs only; Tags are refused"},
	"DescribeScalableTargets":      {Served, ""},
	"DeregisterScalableTarget":     {Served, ""},
	"PutScalingPolicy":             {Partial, "TargetTrackingScaling and StepScaling; a step policy acts on the alarms written in its ScalableTarget's spec (a MetricAlarm's alarmActions naming the policy are stored without effect); PredictiveScaling is refused"},
	"DescribeScalingPolicies":      {Served, ""},
	"DeleteScalingPolicy":          {Served, ""},
	"PutScheduledAction":           {Served, ""},
	"DescribeScheduledActions":     {Served, ""},
	"DeleteScheduledAction":        {Served, ""},
	"DescribeScalingActivities":    {Partial, "IncludeNotScaledActivities is ignored: Berth records the activities that scaled"},
	"GetPredictiveScalingForecast": {Unsupported, "predictive scaling is not implemented"},
	"TagResource":                  {Unsupported, "scalable targets have no tags in Berth"},
	"UntagResource":                {Unsupported, "scalable targets have no tags in Berth"},
	"ListTagsForResource":          {Unsupported, "scalable targets have no tags in Berth"},
}
