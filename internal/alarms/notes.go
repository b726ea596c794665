package alarms

import (
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// Notes lists the members of a MetricAlarm's spec that Berth stores
// without effect or approximates (status.fieldNotes), sorted by path.
func Notes(spec *ecsv1alpha1.MetricAlarmSpec) []ecsv1alpha1.FieldNote {
	var notes []ecsv1alpha1.FieldNote
	add := func(p *field.Path, level ecsv1alpha1.FidelityLevel, msg string) {
		notes = append(notes, ecsv1alpha1.FieldNote{Path: p.String(), Level: level, Message: msg})
	}
	s := field.NewPath("spec")
	const noActions = "stored: Berth runs no alarm actions (SNS, Lambda, Auto Scaling, EC2, Systems Manager); " +
		"watch the alarm's status.stateValue and its AlarmStateChanged events, or name it in a Service's deploymentConfiguration.alarms"
	for member, list := range map[string][]string{"okActions": spec.OKActions, "alarmActions": spec.AlarmActions, "insufficientDataActions": spec.InsufficientDataActions} {
		if len(list) > 0 {
			add(s.Child(member), ecsv1alpha1.FidelityUnsupported, noActions)
		}
	}
	if spec.ActionsEnabled != nil {
		add(s.Child("actionsEnabled"), ecsv1alpha1.FidelityUnsupported, noActions)
	}
	if len(spec.Tags) > 0 {
		add(s.Child("tags"), ecsv1alpha1.FidelityUnsupported, "stored: ListTagsForResource is not served; use the object's labels")
	}
	for i, q := range spec.Metrics {
		qp := s.Child("metrics").Index(i)
		if q.Label != "" {
			add(qp.Child("label"), ecsv1alpha1.FidelityUnsupported, "stored: the label names the data in graphs, which Berth does not draw")
		}
		if q.AccountID != "" {
			add(qp.Child("accountId"), ecsv1alpha1.FidelityUnsupported, "stored: the metric is read in the alarm's namespace (its account)")
		}
		if q.Period != nil {
			add(qp.Child("period"), ecsv1alpha1.FidelityUnsupported, "stored: it is an expression's period, and Berth evaluates metricStat queries, which have their own")
		}
	}
	if m, ok := MetricOf(spec); ok {
		add(m.path("period"), ecsv1alpha1.FidelityApproximated,
			"a datapoint is the statistic read once per period (the tasks' use as metrics-server last measured it, the counts the Service's status has then), "+
				"not an aggregate of the samples within the period: SampleCount counts tasks, not tasks times samples")
	}
	sort.Slice(notes, func(i, j int) bool { return notes[i].Path < notes[j].Path })
	return notes
}
