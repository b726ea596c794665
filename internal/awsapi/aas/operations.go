package aas

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi/aaswire"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
)

// serviceLinkedRole is the role Application Auto Scaling shows for an ECS
// target registered without one.
func serviceLinkedRole(account string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService", account)
}

func registerScalableTarget(ctx context.Context, in *aaswire.RegisterScalableTargetRequest) (*aaswire.RegisterScalableTargetResponse, error) {
	c := caller(ctx)
	if err := checkNamespace(in.ServiceNamespace, in.ScalableDimension); err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 {
		return nil, fail(ValidationException, "Berth's scalable targets have no tags (TagResource is not served either): use the ScalableTarget object's labels")
	}
	existing, err := findTarget(ctx, c, in.ResourceId)
	if err != nil {
		return nil, err
	}
	var t *ecsv1alpha1.ScalableTarget
	if existing == nil {
		t, err = newTarget(ctx, c.Client, c.Namespace, in)
	} else {
		// Registering a target again updates what the call gives.
		t, err = update(ctx, c, in.ResourceId, in.ScalableDimension, func(t *ecsv1alpha1.ScalableTarget) error {
			if in.MinCapacity != nil {
				t.Spec.MinCapacity = *in.MinCapacity
			}
			if in.MaxCapacity != nil {
				t.Spec.MaxCapacity = *in.MaxCapacity
			}
			if in.RoleARN != "" {
				t.Spec.RoleARN = in.RoleARN
			}
			return suspended(in, t)
		})
	}
	if err != nil {
		return nil, err
	}
	return &aaswire.RegisterScalableTargetResponse{ScalableTargetARN: arns{c.Account}.target(t)}, nil
}

// newTarget creates the ScalableTarget of a first RegisterScalableTarget.
func newTarget(ctx context.Context, c client.Client, namespace string, in *aaswire.RegisterScalableTargetRequest) (*ecsv1alpha1.ScalableTarget, error) {
	if in.MinCapacity == nil || in.MaxCapacity == nil {
		return nil, fail(ValidationException, "MinCapacity and MaxCapacity are required when registering a new scalable target")
	}
	t := &ecsv1alpha1.ScalableTarget{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: targetObjectName(in.ResourceId)}}
	t.Spec.ServiceNamespace = ecsv1alpha1.ServiceNamespaceECS
	t.Spec.ResourceID = in.ResourceId
	t.Spec.ScalableDimension = ecsv1alpha1.ScalableDimensionECSServiceDesiredCount
	t.Spec.MinCapacity, t.Spec.MaxCapacity, t.Spec.RoleARN = *in.MinCapacity, *in.MaxCapacity, in.RoleARN
	if err := suspended(in, t); err != nil {
		return nil, err
	}
	if err := c.Create(ctx, t); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil, fail("ConcurrentUpdateException", "Concurrent update on the scalable target %s", in.ResourceId)
		}
		return nil, invalid(err)
	}
	return t, nil
}

// suspended applies RegisterScalableTarget's SuspendedState.
func suspended(in *aaswire.RegisterScalableTargetRequest, t *ecsv1alpha1.ScalableTarget) error {
	if in.SuspendedState == nil {
		return nil
	}
	t.Spec.SuspendedState = &ecsv1alpha1.SuspendedState{}
	if err := recase(in.SuspendedState, t.Spec.SuspendedState, lower); err != nil {
		return fail(ValidationException, "%v", err)
	}
	return nil
}

func targetShape(a arns, t *ecsv1alpha1.ScalableTarget) aaswire.ScalableTarget {
	out := aaswire.ScalableTarget{
		ServiceNamespace: aaswire.ServiceNamespaceEcs, ResourceId: t.Spec.ResourceID,
		ScalableDimension: aaswire.ScalableDimension(ecsv1alpha1.ScalableDimensionECSServiceDesiredCount),
		MinCapacity:       t.Spec.MinCapacity, MaxCapacity: t.Spec.MaxCapacity, RoleARN: t.Spec.RoleARN,
		CreationTime: awsjson.At(t.CreationTimestamp.Time), ScalableTargetARN: a.target(t),
	}
	if out.RoleARN == "" {
		out.RoleARN = serviceLinkedRole(a.AccountID)
	}
	if s := t.Spec.SuspendedState; s != nil {
		out.SuspendedState = &aaswire.SuspendedState{
			DynamicScalingInSuspended: ptr.To(s.DynamicScalingInSuspended), DynamicScalingOutSuspended: ptr.To(s.DynamicScalingOutSuspended),
			ScheduledScalingSuspended: ptr.To(s.ScheduledScalingSuspended),
		}
	}
	return out
}

func describeScalableTargets(ctx context.Context, in *aaswire.DescribeScalableTargetsRequest) (*aaswire.DescribeScalableTargetsResponse, error) {
	c := caller(ctx)
	if err := checkNamespace(in.ServiceNamespace, in.ScalableDimension); err != nil {
		return nil, err
	}
	ts, err := targets(ctx, c)
	if err != nil {
		return nil, err
	}
	var keys []string
	byID := map[string]*ecsv1alpha1.ScalableTarget{}
	for i := range ts {
		if len(in.ResourceIds) > 0 && !slices.Contains(in.ResourceIds, ts[i].Spec.ResourceID) {
			continue
		}
		keys = append(keys, ts[i].Spec.ResourceID)
		byID[ts[i].Spec.ResourceID] = &ts[i]
	}
	from, to, next, err := pageOf(keys, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &aaswire.DescribeScalableTargetsResponse{ScalableTargets: []aaswire.ScalableTarget{}, NextToken: next}
	for _, k := range keys[from:to] {
		out.ScalableTargets = append(out.ScalableTargets, targetShape(arns{c.Account}, byID[k]))
	}
	return out, nil
}

func deregisterScalableTarget(ctx context.Context, in *aaswire.DeregisterScalableTargetRequest) (*aaswire.DeregisterScalableTargetResponse, error) {
	c := caller(ctx)
	if err := checkNamespace(in.ServiceNamespace, in.ScalableDimension); err != nil {
		return nil, err
	}
	t, err := mustTarget(ctx, c, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	if err := c.Client.Delete(ctx, t, client.Preconditions{UID: &t.UID}); client.IgnoreNotFound(err) != nil {
		return nil, err
	}
	return &aaswire.DeregisterScalableTargetResponse{}, nil
}

func putScalingPolicy(ctx context.Context, in *aaswire.PutScalingPolicyRequest) (*aaswire.PutScalingPolicyResponse, error) {
	c := caller(ctx)
	if err := checkNamespace(in.ServiceNamespace, in.ScalableDimension); err != nil {
		return nil, err
	}
	if in.PolicyType == aaswire.PolicyTypePredictivescaling {
		return nil, fail(ValidationException, "Berth does not implement PredictiveScaling policies")
	}
	var p ecsv1alpha1.ScalingPolicy
	req := *in
	req.ServiceNamespace, req.ResourceId, req.ScalableDimension = "", "", ""
	if err := recase(req, &p, lower); err != nil {
		return nil, fail(ValidationException, "%v", err)
	}
	if p.PolicyType == "" {
		p.PolicyType = ecsv1alpha1.PolicyTypeStep
	}
	t, err := update(ctx, c, in.ResourceId, in.ScalableDimension, func(t *ecsv1alpha1.ScalableTarget) error {
		i := slices.IndexFunc(t.Spec.ScalingPolicies, func(x ecsv1alpha1.ScalingPolicy) bool { return x.PolicyName == p.PolicyName })
		if i >= 0 {
			p.Alarms = t.Spec.ScalingPolicies[i].Alarms // Berth's alarms of a step policy stay
			t.Spec.ScalingPolicies[i] = p
		} else {
			t.Spec.ScalingPolicies = append(t.Spec.ScalingPolicies, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a := arns{c.Account}
	return &aaswire.PutScalingPolicyResponse{PolicyARN: a.policy(t, p.PolicyName), Alarms: alarmsOf(a, t, p.PolicyName)}, nil
}

// alarmsOf are the alarms of a policy, as the controller reports them.
func alarmsOf(a arns, t *ecsv1alpha1.ScalableTarget, policy string) []aaswire.Alarm {
	out := []aaswire.Alarm{}
	for _, ps := range t.Status.ScalingPolicies {
		if ps.PolicyName != policy {
			continue
		}
		for _, al := range ps.Alarms {
			out = append(out, aaswire.Alarm{AlarmName: al.AlarmName, AlarmARN: a.alarm(al.AlarmName)})
		}
	}
	return out
}

func describeScalingPolicies(ctx context.Context, in *aaswire.DescribeScalingPoliciesRequest) (*aaswire.DescribeScalingPoliciesResponse, error) {
	c := caller(ctx)
	if err := checkNamespace(in.ServiceNamespace, in.ScalableDimension); err != nil {
		return nil, err
	}
	ts, err := targets(ctx, c)
	if err != nil {
		return nil, err
	}
	a := arns{c.Account}
	var keys []string
	byKey := map[string]aaswire.ScalingPolicy{}
	for i := range ts {
		t := &ts[i]
		if in.ResourceId != "" && t.Spec.ResourceID != in.ResourceId {
			continue
		}
		for _, p := range t.Spec.ScalingPolicies {
			if len(in.PolicyNames) > 0 && !slices.Contains(in.PolicyNames, p.PolicyName) {
				continue
			}
			var out aaswire.ScalingPolicy
			q := p
			q.Alarms = nil // Berth's own alarm definitions are not AAS members
			if err := recase(q, &out, upper); err != nil {
				return nil, err
			}
			out.PolicyARN, out.ServiceNamespace, out.ResourceId = a.policy(t, p.PolicyName), aaswire.ServiceNamespaceEcs, t.Spec.ResourceID
			out.ScalableDimension = aaswire.ScalableDimension(ecsv1alpha1.ScalableDimensionECSServiceDesiredCount)
			out.Alarms, out.CreationTime = alarmsOf(a, t, p.PolicyName), awsjson.At(t.CreationTimestamp.Time)
			k := t.Spec.ResourceID + "\x00" + p.PolicyName
			keys = append(keys, k)
			byKey[k] = out
		}
	}
	from, to, next, err := pageOf(keys, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &aaswire.DescribeScalingPoliciesResponse{ScalingPolicies: []aaswire.ScalingPolicy{}, NextToken: next}
	for _, k := range keys[from:to] {
		out.ScalingPolicies = append(out.ScalingPolicies, byKey[k])
	}
	return out, nil
}

func deleteScalingPolicy(ctx context.Context, in *aaswire.DeleteScalingPolicyRequest) (*aaswire.DeleteScalingPolicyResponse, error) {
	c := caller(ctx)
	if err := checkNamespace(in.ServiceNamespace, in.ScalableDimension); err != nil {
		return nil, err
	}
	_, err := update(ctx, c, in.ResourceId, in.ScalableDimension, func(t *ecsv1alpha1.ScalableTarget) error {
		i := slices.IndexFunc(t.Spec.ScalingPolicies, func(x ecsv1alpha1.ScalingPolicy) bool { return x.PolicyName == in.PolicyName })
		if i < 0 {
			return fail(ObjectNotFoundException, "No scaling policy found for service namespace: ecs, resource ID: %s, scalable dimension: %s, policy name: %s",
				in.ResourceId, in.ScalableDimension, in.PolicyName)
		}
		t.Spec.ScalingPolicies = slices.Delete(t.Spec.ScalingPolicies, i, i+1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &aaswire.DeleteScalingPolicyResponse{}, nil
}

func putScheduledAction(ctx context.Context, in *aaswire.PutScheduledActionRequest) (*aaswire.PutScheduledActionResponse, error) {
	c := caller(ctx)
	if err := checkNamespace(in.ServiceNamespace, in.ScalableDimension); err != nil {
		return nil, err
	}
	_, err := update(ctx, c, in.ResourceId, in.ScalableDimension, func(t *ecsv1alpha1.ScalableTarget) error {
		i := slices.IndexFunc(t.Spec.ScheduledActions, func(x ecsv1alpha1.ScheduledAction) bool { return x.ScheduledActionName == in.ScheduledActionName })
		var act ecsv1alpha1.ScheduledAction
		if i >= 0 {
			act = t.Spec.ScheduledActions[i] // PutScheduledAction updates what it gives
		}
		act.ScheduledActionName = in.ScheduledActionName
		if in.Schedule != "" {
			act.Schedule = in.Schedule
		}
		if in.Timezone != "" {
			act.Timezone = in.Timezone
		}
		if in.StartTime != nil {
			act.StartTime = &metav1.Time{Time: in.StartTime.Time}
		}
		if in.EndTime != nil {
			act.EndTime = &metav1.Time{Time: in.EndTime.Time}
		}
		if in.ScalableTargetAction != nil {
			act.ScalableTargetAction = ecsv1alpha1.ScalableTargetAction{MinCapacity: in.ScalableTargetAction.MinCapacity, MaxCapacity: in.ScalableTargetAction.MaxCapacity}
		}
		if act.Schedule == "" {
			return fail(ValidationException, "Schedule is required when creating a scheduled action")
		}
		if i >= 0 {
			t.Spec.ScheduledActions[i] = act
		} else {
			t.Spec.ScheduledActions = append(t.Spec.ScheduledActions, act)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &aaswire.PutScheduledActionResponse{}, nil
}

func describeScheduledActions(ctx context.Context, in *aaswire.DescribeScheduledActionsRequest) (*aaswire.DescribeScheduledActionsResponse, error) {
	c := caller(ctx)
	if err := checkNamespace(in.ServiceNamespace, in.ScalableDimension); err != nil {
		return nil, err
	}
	ts, err := targets(ctx, c)
	if err != nil {
		return nil, err
	}
	a := arns{c.Account}
	var keys []string
	byKey := map[string]aaswire.ScheduledAction{}
	for i := range ts {
		t := &ts[i]
		if in.ResourceId != "" && t.Spec.ResourceID != in.ResourceId {
			continue
		}
		for _, act := range t.Spec.ScheduledActions {
			if len(in.ScheduledActionNames) > 0 && !slices.Contains(in.ScheduledActionNames, act.ScheduledActionName) {
				continue
			}
			k := t.Spec.ResourceID + "\x00" + act.ScheduledActionName
			keys = append(keys, k)
			byKey[k] = aaswire.ScheduledAction{
				ScheduledActionName: act.ScheduledActionName, ScheduledActionARN: a.action(t, act.ScheduledActionName),
				ServiceNamespace: aaswire.ServiceNamespaceEcs, Schedule: act.Schedule, Timezone: act.Timezone, ResourceId: t.Spec.ResourceID,
				ScalableDimension: aaswire.ScalableDimension(ecsv1alpha1.ScalableDimensionECSServiceDesiredCount),
				StartTime:         at(act.StartTime), EndTime: at(act.EndTime),
				ScalableTargetAction: &aaswire.ScalableTargetAction{MinCapacity: act.ScalableTargetAction.MinCapacity, MaxCapacity: act.ScalableTargetAction.MaxCapacity},
				CreationTime:         awsjson.At(t.CreationTimestamp.Time),
			}
		}
	}
	from, to, next, err := pageOf(keys, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &aaswire.DescribeScheduledActionsResponse{ScheduledActions: []aaswire.ScheduledAction{}, NextToken: next}
	for _, k := range keys[from:to] {
		out.ScheduledActions = append(out.ScheduledActions, byKey[k])
	}
	return out, nil
}

func deleteScheduledAction(ctx context.Context, in *aaswire.DeleteScheduledActionRequest) (*aaswire.DeleteScheduledActionResponse, error) {
	c := caller(ctx)
	if err := checkNamespace(in.ServiceNamespace, in.ScalableDimension); err != nil {
		return nil, err
	}
	_, err := update(ctx, c, in.ResourceId, in.ScalableDimension, func(t *ecsv1alpha1.ScalableTarget) error {
		i := slices.IndexFunc(t.Spec.ScheduledActions, func(x ecsv1alpha1.ScheduledAction) bool { return x.ScheduledActionName == in.ScheduledActionName })
		if i < 0 {
			return fail(ObjectNotFoundException, "No scheduled action found for service namespace: ecs, resource ID: %s, scalable dimension: %s, scheduled action name: %s",
				in.ResourceId, in.ScalableDimension, in.ScheduledActionName)
		}
		t.Spec.ScheduledActions = slices.Delete(t.Spec.ScheduledActions, i, i+1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &aaswire.DeleteScheduledActionResponse{}, nil
}

func describeScalingActivities(ctx context.Context, in *aaswire.DescribeScalingActivitiesRequest) (*aaswire.DescribeScalingActivitiesResponse, error) {
	c := caller(ctx)
	if err := checkNamespace(in.ServiceNamespace, in.ScalableDimension); err != nil {
		return nil, err
	}
	ts, err := targets(ctx, c)
	if err != nil {
		return nil, err
	}
	var keys []string
	byKey := map[string]aaswire.ScalingActivity{}
	for i := range ts {
		t := &ts[i]
		if in.ResourceId != "" && t.Spec.ResourceID != in.ResourceId {
			continue
		}
		for _, act := range t.Status.ScalingActivities {
			k := t.Spec.ResourceID + "\x00" + act.ActivityID
			keys = append(keys, k)
			byKey[k] = aaswire.ScalingActivity{
				ActivityId: act.ActivityID, ServiceNamespace: aaswire.ServiceNamespaceEcs, ResourceId: t.Spec.ResourceID,
				ScalableDimension: aaswire.ScalableDimension(ecsv1alpha1.ScalableDimensionECSServiceDesiredCount),
				Description:       act.Description, Cause: act.Cause, StartTime: awsjson.At(act.StartTime.Time), EndTime: at(act.EndTime),
				StatusCode: aaswire.ScalingActivityStatusCode(act.StatusCode), StatusMessage: act.StatusMessage,
			}
		}
	}
	from, to, next, err := pageOf(keys, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &aaswire.DescribeScalingActivitiesResponse{ScalingActivities: []aaswire.ScalingActivity{}, NextToken: next}
	for _, k := range keys[from:to] {
		out.ScalingActivities = append(out.ScalingActivities, byKey[k])
	}
	return out, nil
}
