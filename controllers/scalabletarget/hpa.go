package scalabletarget

import (
	"context"
	"errors"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/autoscaling"
	"github.com/berth-dev/berth/internal/translate"
)

func metav1Time(t time.Time) metav1.Time { return metav1.NewTime(t) }

// AnnotationAppliedHash records the hash of the last applied HPA, so that
// an unchanged one is not applied again.
const AnnotationAppliedHash = "ecs.berth.dev/applied-hash"

// reconcileHPA applies the HorizontalPodAutoscaler of the target tracking
// policies (or deletes it when there are none), and records the HPA's
// latest scaling as an activity.
func (r *Reconciler) reconcileHPA(ctx context.Context, s *scope) error {
	st := s.st
	in, out := blocked(st, s.svc)
	desired, err := translate.HPA(translate.HPAInput{Target: st, Service: s.svc, Min: s.rng.Min, Max: s.rng.Max,
		ScaleInOff: in != "", ScaleOutOff: out != ""})
	var ferr *field.Error
	if errors.As(err, &ferr) {
		s.invalid = append(s.invalid, ferr)
		desired = nil
	} else if err != nil {
		return err
	}
	live := &autoscalingv2.HorizontalPodAutoscaler{}
	err = r.Client.Get(ctx, client.ObjectKey{Namespace: st.Namespace, Name: st.Name}, live)
	switch {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return fmt.Errorf("get HorizontalPodAutoscaler %s/%s: %w", st.Namespace, st.Name, err)
	case !metav1.IsControlledBy(live, st):
		s.invalid = append(s.invalid, field.Invalid(field.NewPath("metadata", "name"), st.Name,
			fmt.Sprintf("a HorizontalPodAutoscaler named %s exists and is not controlled by this ScalableTarget; Berth does not adopt it", st.Name)))
		return nil
	}
	if desired == nil {
		st.Status.HorizontalPodAutoscaler = ""
		if live != nil {
			if err := r.Client.Delete(ctx, live); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("delete HorizontalPodAutoscaler %s: %w", klog.KObj(live), err)
			}
			logf.FromContext(ctx).Info("Deleted HorizontalPodAutoscaler: no target tracking policy", "hpa", klog.KObj(live))
		}
		return nil
	}
	applied := translate.AppliedHash(desired)
	desired.WithAnnotations(map[string]string{AnnotationAppliedHash: applied})
	hpa := live
	if live == nil || live.Annotations[AnnotationAppliedHash] != applied {
		if err := r.Client.Apply(ctx, desired, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("apply HorizontalPodAutoscaler %s/%s: %w", st.Namespace, st.Name, err)
		}
		logf.FromContext(ctx).V(1).Info("Applied HorizontalPodAutoscaler", "hpa", klog.KRef(st.Namespace, st.Name))
		if hpa == nil {
			hpa = &autoscalingv2.HorizontalPodAutoscaler{}
			hpa.Name, hpa.Namespace = st.Name, st.Namespace
		}
	}
	st.Status.HorizontalPodAutoscaler = st.Name
	s.hpa = hpa
	r.recordHPAScale(s)
	return nil
}

// recordHPAScale records the HPA's latest scaling, once, as Application
// Auto Scaling records a target tracking policy's: "Setting desired count
// to N." caused by the policy's AlarmHigh or AlarmLow alarm.
func (r *Reconciler) recordHPAScale(s *scope) {
	st, hpa := s.st, s.hpa
	t := hpa.Status.LastScaleTime
	if t == nil || (st.Status.LastHPAScaleTime != nil && !t.After(st.Status.LastHPAScaleTime.Time)) {
		return
	}
	st.Status.LastHPAScaleTime = t
	policies := translate.TargetTrackingPolicies(st)
	if len(policies) == 0 {
		return
	}
	n := hpa.Status.DesiredReplicas
	policy, ratio := leadingPolicy(policies, hpa)
	// The HPA scaled out when its leading metric is above its target, in
	// when below; without metrics, by the count it scaled from.
	high := ratio >= 1
	if ratio < 0 {
		high = n >= hpa.Status.CurrentReplicas
	}
	a := autoscaling.SetDesiredCount(r.NewID(), n, autoscaling.AlarmCause(autoscaling.TargetTrackingAlarm(st.Spec.ResourceID, high), policy), t.Time)
	s.record(a)
}

// leadingPolicy is the target tracking policy whose metric asks for the
// most tasks: the one furthest above (or least below) its target, with its
// metric over its target (-1 when the HPA shows no metric).
func leadingPolicy(policies []*ecsv1alpha1.ScalingPolicy, hpa *autoscalingv2.HorizontalPodAutoscaler) (string, float64) {
	best, bestRatio := policies[0].PolicyName, -1.0
	for i, p := range policies {
		if i >= len(hpa.Status.CurrentMetrics) {
			break
		}
		ratio := metricRatio(hpa.Status.CurrentMetrics[i], p.TargetTrackingScalingPolicyConfiguration.TargetValue)
		if ratio > bestRatio {
			best, bestRatio = p.PolicyName, ratio
		}
	}
	return best, bestRatio
}

func metricRatio(m autoscalingv2.MetricStatus, target float64) float64 {
	var v float64
	switch {
	case m.Resource != nil && m.Resource.Current.AverageUtilization != nil:
		v = float64(*m.Resource.Current.AverageUtilization)
	case m.Object != nil && m.Object.Current.AverageValue != nil:
		v = m.Object.Current.AverageValue.AsApproximateFloat64()
	case m.External != nil && m.External.Current.Value != nil:
		v = m.External.Current.Value.AsApproximateFloat64()
	}
	if target <= 0 {
		return v
	}
	return v / target
}
