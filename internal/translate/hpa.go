package translate

import (
	"fmt"
	"math"
	"sort"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	autoscalingv2ac "k8s.io/client-go/applyconfigurations/autoscaling/v2"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

// RequestsPerMinuteMetric is the object metric, on the Kubernetes Service of
// a target group, that ALBRequestCountPerTarget reads: the requests the
// Service received in the last minute. A custom metrics adapter (for
// example prometheus-adapter over the ingress controller's request
// counter) serves it; docs/autoscaling.md shows one.
const RequestsPerMinuteMetric = "requests_per_minute"

// defaultTargetTrackingCooldown is Application Auto Scaling's cooldown for
// ECS target tracking policies, in seconds.
const defaultTargetTrackingCooldown = 300

// HPAInput is what the HorizontalPodAutoscaler of a scalable target depends
// on.
type HPAInput struct {
	Target  *ecsv1alpha1.ScalableTarget
	Service *ecsv1alpha1.Service
	// Min and Max are the capacity range in force.
	Min, Max int32
	// ScaleInOff and ScaleOutOff turn the HPA's scaling in that direction
	// off: suspended dynamic scaling, or (scale-in) an ECS deployment in
	// progress.
	ScaleInOff, ScaleOutOff bool
}

// TargetTrackingPolicies returns a target's target tracking policies,
// sorted by name.
func TargetTrackingPolicies(st *ecsv1alpha1.ScalableTarget) []*ecsv1alpha1.ScalingPolicy {
	var out []*ecsv1alpha1.ScalingPolicy
	for i := range st.Spec.ScalingPolicies {
		p := &st.Spec.ScalingPolicies[i]
		if p.PolicyType == ecsv1alpha1.PolicyTypeTargetTracking && p.TargetTrackingScalingPolicyConfiguration != nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].PolicyName < out[b].PolicyName })
	return out
}

// HPA translates a scalable target's target tracking policies into one
// HorizontalPodAutoscaler on the ECS Service's scale subresource, named
// after the target: one metric per policy (the HPA follows the metric that
// asks for the most tasks, as Application Auto Scaling scales out when any
// policy asks and in only when all do), minReplicas/maxReplicas from the
// range in force, scale-in cooldowns as the scale-down stabilization
// window, disableScaleIn and suspension as a disabled direction. It returns
// nil when the target has no target tracking policy, or none can run (a
// maximum capacity of 0).
func HPA(in HPAInput) (*autoscalingv2ac.HorizontalPodAutoscalerApplyConfiguration, error) {
	policies := TargetTrackingPolicies(in.Target)
	if len(policies) == 0 || in.Max < 1 {
		return nil, nil
	}
	var metrics []*autoscalingv2ac.MetricSpecApplyConfiguration
	cooldown := int32(0)
	disableIn := false
	for i, p := range policies {
		c := p.TargetTrackingScalingPolicyConfiguration
		m, err := hpaMetric(in.Service, c, policyPath(in.Target, p).Child("targetTrackingScalingPolicyConfiguration"))
		if err != nil {
			return nil, err
		}
		metrics = append(metrics, m)
		cd := int32(defaultTargetTrackingCooldown)
		if c.ScaleInCooldown != nil {
			cd = *c.ScaleInCooldown
		}
		if i == 0 || cd > cooldown {
			cooldown = cd
		}
		disableIn = disableIn || c.DisableScaleIn
	}
	minReplicas := max(in.Min, 1)
	up := autoscalingv2ac.HPAScalingRules().WithStabilizationWindowSeconds(0)
	if in.ScaleOutOff {
		up.WithSelectPolicy(autoscalingv2.DisabledPolicySelect)
	}
	down := autoscalingv2ac.HPAScalingRules().WithStabilizationWindowSeconds(cooldown)
	if in.ScaleInOff || disableIn {
		down.WithSelectPolicy(autoscalingv2.DisabledPolicySelect)
	}
	st := in.Target
	return autoscalingv2ac.HorizontalPodAutoscaler(st.Name, st.Namespace).
		WithLabels(map[string]string{
			ecsv1alpha1.LabelManagedBy: ecsv1alpha1.ManagedByValue,
			ecsv1alpha1.LabelService:   in.Service.Name,
		}).
		WithOwnerReferences(ownerRef(ecsv1alpha1.GroupVersion.String(), "ScalableTarget", st.Name, string(st.UID))).
		WithSpec(autoscalingv2ac.HorizontalPodAutoscalerSpec().
			WithScaleTargetRef(autoscalingv2ac.CrossVersionObjectReference().
				WithAPIVersion(ecsv1alpha1.GroupVersion.String()).WithKind("Service").WithName(in.Service.Name)).
			WithMinReplicas(minReplicas).
			WithMaxReplicas(max(in.Max, minReplicas)).
			WithMetrics(metrics...).
			WithBehavior(autoscalingv2ac.HorizontalPodAutoscalerBehavior().WithScaleUp(up).WithScaleDown(down))), nil
}

func policyPath(st *ecsv1alpha1.ScalableTarget, p *ecsv1alpha1.ScalingPolicy) *field.Path {
	for i := range st.Spec.ScalingPolicies {
		if st.Spec.ScalingPolicies[i].PolicyName == p.PolicyName {
			return field.NewPath("spec", "scalingPolicies").Index(i)
		}
	}
	return field.NewPath("spec", "scalingPolicies")
}

// utilizationPercent is a target value as the HPA's whole-number percent.
func utilizationPercent(v float64) int32 {
	return int32(max(1, math.Round(v)))
}

func hpaMetric(svc *ecsv1alpha1.Service, c *ecsv1alpha1.TargetTrackingScalingPolicyConfiguration, p *field.Path) (*autoscalingv2ac.MetricSpecApplyConfiguration, error) {
	if pm := c.PredefinedMetricSpecification; pm != nil {
		switch pm.PredefinedMetricType {
		case ecsv1alpha1.MetricECSServiceAverageCPUUtilization:
			return resourceMetric("cpu", c.TargetValue), nil
		case ecsv1alpha1.MetricECSServiceAverageMemoryUtilization:
			return resourceMetric("memory", c.TargetValue), nil
		default:
			return albMetric(svc, pm.ResourceLabel, c.TargetValue, p.Child("predefinedMetricSpecification", "resourceLabel"))
		}
	}
	cm := c.CustomizedMetricSpecification
	if cm.Namespace == "AWS/ECS" {
		switch cm.MetricName {
		case "CPUUtilization":
			return resourceMetric("cpu", c.TargetValue), nil
		case "MemoryUtilization":
			return resourceMetric("memory", c.TargetValue), nil
		}
	}
	return externalMetric(cm, c.TargetValue, p.Child("customizedMetricSpecification"))
}

func resourceMetric(name string, target float64) *autoscalingv2ac.MetricSpecApplyConfiguration {
	return autoscalingv2ac.MetricSpec().WithType(autoscalingv2.ResourceMetricSourceType).
		WithResource(autoscalingv2ac.ResourceMetricSource().WithName(corev1.ResourceName(name)).
			WithTarget(autoscalingv2ac.MetricTarget().WithType(autoscalingv2.UtilizationMetricType).
				WithAverageUtilization(utilizationPercent(target))))
}

// TargetGroupName returns the target group an ALBRequestCountPerTarget
// resource label names (app/<lb>/<id>/targetgroup/<name>/<id>).
func TargetGroupName(label string) string {
	parts := strings.Split(label, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "targetgroup" {
			return parts[i+1]
		}
	}
	return ""
}

func albMetric(svc *ecsv1alpha1.Service, label string, target float64, p *field.Path) (*autoscalingv2ac.MetricSpecApplyConfiguration, error) {
	tg := TargetGroupName(label)
	found := false
	for _, lb := range svc.Spec.LoadBalancers {
		found = found || targetGroupName(lb) == tg
	}
	if !found {
		return nil, field.Invalid(p, label, fmt.Sprintf("target group %s is not one of service %s's loadBalancers", tg, svc.Name))
	}
	return autoscalingv2ac.MetricSpec().WithType(autoscalingv2.ObjectMetricSourceType).
		WithObject(autoscalingv2ac.ObjectMetricSource().
			WithDescribedObject(autoscalingv2ac.CrossVersionObjectReference().WithAPIVersion("v1").WithKind("Service").WithName(names.ObjectName(tg))).
			WithMetric(autoscalingv2ac.MetricIdentifier().WithName(RequestsPerMinuteMetric)).
			WithTarget(autoscalingv2ac.MetricTarget().WithType(autoscalingv2.AverageValueMetricType).WithAverageValue(quantity(target)))), nil
}

func externalMetric(cm *ecsv1alpha1.CustomizedMetricSpecification, target float64, p *field.Path) (*autoscalingv2ac.MetricSpecApplyConfiguration, error) {
	id := autoscalingv2ac.MetricIdentifier().WithName(cm.MetricName)
	if strings.ContainsAny(cm.MetricName, "/%") {
		return nil, field.Invalid(p.Child("metricName"), cm.MetricName, "an external metric name cannot contain '/' or '%'")
	}
	if len(cm.Dimensions) > 0 {
		sel := map[string]string{}
		for i, d := range cm.Dimensions {
			if errs := validation.IsQualifiedName(d.Name); len(errs) > 0 {
				return nil, field.Invalid(p.Child("dimensions").Index(i).Child("name"), d.Name, "must be a valid label name for the external metric's selector: "+strings.Join(errs, "; "))
			}
			if errs := validation.IsValidLabelValue(d.Value); len(errs) > 0 {
				return nil, field.Invalid(p.Child("dimensions").Index(i).Child("value"), d.Value, "must be a valid label value for the external metric's selector: "+strings.Join(errs, "; "))
			}
			sel[d.Name] = d.Value
		}
		id.WithSelector(metav1ac.LabelSelector().WithMatchLabels(sel))
	}
	return autoscalingv2ac.MetricSpec().WithType(autoscalingv2.ExternalMetricSourceType).
		WithExternal(autoscalingv2ac.ExternalMetricSource().WithMetric(id).
			WithTarget(autoscalingv2ac.MetricTarget().WithType(autoscalingv2.ValueMetricType).WithValue(quantity(target)))), nil
}

// quantity is a target value as a Quantity, to the milli.
func quantity(v float64) resource.Quantity {
	return *resource.NewMilliQuantity(int64(math.Round(v*1000)), resource.DecimalSI)
}
