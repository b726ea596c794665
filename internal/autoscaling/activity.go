package autoscaling

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// MaxActivities is how many scaling activities a target's status keeps.
const MaxActivities = 20

// SetDesiredCount is the activity of setting a service's desired count, in
// Application Auto Scaling's words.
func SetDesiredCount(id string, n int32, cause string, now time.Time) ecsv1alpha1.ScalingActivity {
	t := metav1.NewTime(now)
	return ecsv1alpha1.ScalingActivity{
		ActivityID:    id,
		Description:   fmt.Sprintf("Setting desired count to %d.", n),
		Cause:         cause,
		StartTime:     t,
		EndTime:       &t,
		StatusCode:    ecsv1alpha1.ActivitySuccessful,
		StatusMessage: fmt.Sprintf("Successfully set desired count to %d. Change successfully fulfilled by ecs.", n),
	}
}

// SetRange is the activity of a scheduled action setting the capacity
// range; err is why it failed, if it did.
func SetRange(id string, r, old Range, action string, err error, now time.Time) ecsv1alpha1.ScalingActivity {
	t := metav1.NewTime(now)
	a := ecsv1alpha1.ScalingActivity{
		ActivityID:  id,
		Description: r.Describe(old),
		Cause:       fmt.Sprintf("scheduled action name %s was triggered", action),
		StartTime:   t,
		EndTime:     &t,
		StatusCode:  ecsv1alpha1.ActivitySuccessful,
	}
	if err != nil {
		a.StatusCode = ecsv1alpha1.ActivityFailed
		a.StatusMessage = err.Error()
	}
	return a
}

// AlarmCause is the cause of a step scaling activity.
func AlarmCause(alarm, policy string) string {
	return fmt.Sprintf("monitor alarm %s in state ALARM triggered policy %s", alarm, policy)
}

// TargetTrackingAlarm is the name Application Auto Scaling gives the alarm
// of a target tracking policy: TargetTracking-<resourceId>-AlarmHigh or
// -AlarmLow.
func TargetTrackingAlarm(resourceID string, high bool) string {
	if high {
		return "TargetTracking-" + resourceID + "-AlarmHigh"
	}
	return "TargetTracking-" + resourceID + "-AlarmLow"
}

// Push adds an activity to a newest-first list, keeping MaxActivities.
func Push(list []ecsv1alpha1.ScalingActivity, a ecsv1alpha1.ScalingActivity) []ecsv1alpha1.ScalingActivity {
	out := append([]ecsv1alpha1.ScalingActivity{a}, list...)
	if len(out) > MaxActivities {
		out = out[:MaxActivities]
	}
	return out
}
