package importer

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// alarmTodo is a StepScaling policy of a ScalableTarget manifest whose
// CloudWatch alarms must be written in: AAS gives only their names.
type alarmTodo struct {
	// policy is the index in spec.scalingPolicies.
	policy int
	// alarmNames are the names AAS gave, if any.
	alarmNames []string
	// cluster and service are the ECS names, the alarm's dimensions.
	cluster, service string
}

// The manifest's layout, as sigs.k8s.io/yaml writes it: spec's members two
// spaces in, a list's items at its key's indent, an item's members four.
const (
	policiesLine = "  scalingPolicies:"
	itemPrefix   = "  - "
	memberIndent = "    "
)

// insertAlarmTodos puts a commented alarm skeleton at the end of each
// StepScaling policy without alarms. The comment changes nothing: the API
// server refuses the policy until it has an alarm, with the CRD's message
// "A StepScaling policy needs ... at least one alarm".
func insertAlarmTodos(doc []byte, todos []alarmTodo) ([]byte, error) {
	lines := strings.Split(string(doc), "\n")
	start := slices.Index(lines, policiesLine)
	if start < 0 {
		return nil, errors.New("the manifest has no spec.scalingPolicies")
	}
	var ends []int // the line after each item
	end := func(i int) {
		if len(ends) > 0 {
			ends[len(ends)-1] = i
		}
	}
items:
	for i := start + 1; i < len(lines); i++ {
		switch {
		case strings.HasPrefix(lines[i], itemPrefix):
			end(i)
			ends = append(ends, len(lines))
		case !strings.HasPrefix(lines[i], memberIndent):
			end(i)
			break items
		}
	}
	for j := len(todos) - 1; j >= 0; j-- {
		td := todos[j]
		if td.policy >= len(ends) {
			return nil, fmt.Errorf("the manifest has no spec.scalingPolicies[%d]", td.policy)
		}
		at := ends[td.policy]
		lines = slices.Insert(lines, at, td.comment()...)
	}
	return []byte(strings.Join(lines, "\n")), nil
}

// comment is the skeleton: the alarms as PutMetricAlarm's members, with
// what AAS gave filled in and <placeholders> (which the API server
// refuses) for the rest.
func (td alarmTodo) comment() []string {
	alarms := td.alarmNames
	get := "aws cloudwatch describe-alarms --alarm-names <name>"
	if len(alarms) > 0 {
		get = "aws cloudwatch describe-alarms --alarm-names " + shellWords(alarms)
	} else {
		alarms = []string{"<AlarmName>"}
	}
	text := []string{
		"berth import: AAS names the CloudWatch alarms that run this StepScaling policy, not",
		"their metric, threshold and periods. Write each alarm here with PutMetricAlarm's members,",
		"from " + get,
		"(docs/autoscaling.md, \"Step scaling and its alarms\"). Until the policy has an alarm the",
		"API server refuses this ScalableTarget.",
		"alarms:",
	}
	for _, name := range alarms {
		text = append(text,
			"- alarmName: "+yamlScalar(name),
			"  namespace: AWS/ECS",
			"  metricName: <CPUUtilization or MemoryUtilization>",
			fmt.Sprintf("  dimensions: [{name: ClusterName, value: %s}, {name: ServiceName, value: %s}]", yamlScalar(td.cluster), yamlScalar(td.service)),
			"  statistic: <Statistic>",
			"  period: <Period>",
			"  evaluationPeriods: <EvaluationPeriods>",
			"  datapointsToAlarm: <DatapointsToAlarm>   # optional",
			"  threshold: <Threshold>",
			"  comparisonOperator: <ComparisonOperator>",
			"  treatMissingData: <TreatMissingData>     # optional",
		)
	}
	out := make([]string, len(text))
	for i, t := range text {
		out[i] = memberIndent + "# " + t
	}
	return out
}

// yamlScalar writes s as a YAML scalar, quoted when YAML needs it.
func yamlScalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(out), "\n")
}
