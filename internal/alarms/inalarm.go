package alarms

import (
	"context"
	"fmt"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// IndexAlarmName is the field index of MetricAlarms by their alarm name
// (Name: spec.alarmName, else metadata.name), registered with Berth's other
// indexes (resolve.SetupIndexes): how a Service's
// deploymentConfiguration.alarms.alarmNames finds its alarms.
const IndexAlarmName = "ecs.berth.dev/alarm-name"

// Named lists the MetricAlarms of namespace whose alarm names are in
// alarmNames, through c (a cached client with IndexAlarmName), sorted by
// alarm name then creation. Names no alarm has are left out: CloudWatch
// lets a deployment name an alarm that does not exist (it is never in
// ALARM).
func Named(ctx context.Context, c client.Reader, namespace string, alarmNames []string) ([]ecsv1alpha1.MetricAlarm, error) {
	var out []ecsv1alpha1.MetricAlarm
	seen := map[string]bool{}
	for _, n := range alarmNames {
		if seen[n] {
			continue
		}
		seen[n] = true
		var list ecsv1alpha1.MetricAlarmList
		if err := c.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{IndexAlarmName: n}); err != nil {
			return nil, fmt.Errorf("list MetricAlarms named %q: %w", n, err)
		}
		out = append(out, list.Items...)
	}
	slices.SortStableFunc(out, func(a, b ecsv1alpha1.MetricAlarm) int {
		if n, m := Name(&a), Name(&b); n != m {
			if n < m {
				return -1
			}
			return 1
		}
		return a.CreationTimestamp.Compare(b.CreationTimestamp.Time)
	})
	return out, nil
}

// InAlarm returns the first of names (in their order) whose MetricAlarm
// among alarms is in the ALARM state, with the alarm's stateReason; "" when
// none is. An alarm counts under its alarm name (Name); a name several
// objects have counts the one created first (the others are Stalled as
// duplicates); an alarm being deleted does not count. This is what a
// deployment's alarms (deploymentConfiguration.alarms with rollback) check.
func InAlarm(alarms []ecsv1alpha1.MetricAlarm, names []string) (name, reason string) {
	first := map[string]*ecsv1alpha1.MetricAlarm{}
	for i := range alarms {
		a := &alarms[i]
		if !a.DeletionTimestamp.IsZero() {
			continue
		}
		n := Name(a)
		if o, ok := first[n]; !ok || olderAlarm(a, o) {
			first[n] = a
		}
	}
	for _, n := range names {
		if a, ok := first[n]; ok && a.Status.StateValue == ecsv1alpha1.AlarmStateAlarm {
			return n, a.Status.StateReason
		}
	}
	return "", ""
}

// olderAlarm says whether a was created before b (ties: by object name):
// the one of two same-named alarms that holds the name.
func olderAlarm(a, b *ecsv1alpha1.MetricAlarm) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}

// Duplicate names the MetricAlarm among others (its namespace's alarms)
// that holds a's alarm name before it (created first; ties: by object
// name), or "".
func Duplicate(a *ecsv1alpha1.MetricAlarm, others []ecsv1alpha1.MetricAlarm) string {
	for i := range others {
		o := &others[i]
		if o.Name == a.Name || !o.DeletionTimestamp.IsZero() || Name(o) != Name(a) {
			continue
		}
		if olderAlarm(o, a) {
			return o.Name
		}
	}
	return ""
}
