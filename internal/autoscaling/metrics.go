package autoscaling

import (
	"fmt"
	"math"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// TaskUsage is one running task's use and reservation of CPU (millicores)
// and memory (bytes), as the resource metrics API and its pod show them.
type TaskUsage struct {
	CPUUsed, CPUReserved       int64
	MemoryUsed, MemoryReserved int64
}

// Utilization returns the service's CPUUtilization or MemoryUtilization
// statistic over its tasks, in percent, as ECS publishes it: Average is the
// tasks' total use over their total reservation, Minimum and Maximum the
// least and most utilised task, Sum the sum of the tasks' utilizations and
// SampleCount the number of tasks. ok is false when no task reports, or
// none has a reservation.
func Utilization(metricName string, stat ecsv1alpha1.MetricStatistic, tasks []TaskUsage) (float64, bool) {
	var used, reserved int64
	var per []float64
	for _, t := range tasks {
		u, r := t.CPUUsed, t.CPUReserved
		if metricName == "MemoryUtilization" {
			u, r = t.MemoryUsed, t.MemoryReserved
		}
		if r <= 0 {
			continue
		}
		used += u
		reserved += r
		per = append(per, 100*float64(u)/float64(r))
	}
	if len(per) == 0 {
		return 0, false
	}
	switch stat {
	case ecsv1alpha1.StatisticMinimum:
		v := math.Inf(1)
		for _, p := range per {
			v = math.Min(v, p)
		}
		return v, true
	case ecsv1alpha1.StatisticMaximum:
		v := math.Inf(-1)
		for _, p := range per {
			v = math.Max(v, p)
		}
		return v, true
	case ecsv1alpha1.StatisticSum:
		var v float64
		for _, p := range per {
			v += p
		}
		return v, true
	case ecsv1alpha1.StatisticSampleCount:
		return float64(len(per)), true
	}
	return 100 * float64(used) / float64(reserved), true
}

// CheckDimensions checks that an alarm's dimensions, when given, name the
// target's service.
func CheckDimensions(a *ecsv1alpha1.StepPolicyAlarm, cluster, service string) error {
	for _, d := range a.Dimensions {
		want := ""
		switch d.Name {
		case "ClusterName":
			want = cluster
		case "ServiceName":
			want = service
		default:
			return fmt.Errorf("dimension %s: AWS/ECS %s has the dimensions ClusterName and ServiceName", d.Name, a.MetricName)
		}
		if d.Value != want {
			return fmt.Errorf("dimension %s is %q, but the scalable target's service is %s in cluster %s", d.Name, d.Value, service, cluster)
		}
	}
	return nil
}
