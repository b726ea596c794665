package autoscaling

import (
	"fmt"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

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
