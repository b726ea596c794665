// Package aas serves the Application Auto Scaling API for ECS services over
// ScalableTarget objects: a scalable target is one object, its scaling
// policies and scheduled actions are members of its spec, and what the
// controller did (alarms, activities) is its status.
package aas

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/aaswire"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/names"
)

// Application Auto Scaling's exceptions.
const (
	ValidationException       = "ValidationException"
	ObjectNotFoundException   = "ObjectNotFoundException"
	InvalidNextTokenException = "InvalidNextTokenException"
)

// API is the Application Auto Scaling API's description for the endpoint.
func API(h *aaswire.Handlers) awsapi.API {
	return awsapi.API{
		TargetPrefix: aaswire.TargetPrefix,
		SigningName:  aaswire.SigningName,
		Handler:      h.Handler,
		Unsupported: func(op string) *awsjson.Error {
			return awsjson.Errorf(ValidationException, "Berth does not serve %s: see docs/ecs-api.md for the operations it serves", op)
		},
	}
}

// New returns the handlers.
func New() *aaswire.Handlers {
	return &aaswire.Handlers{
		RegisterScalableTarget:    registerScalableTarget,
		DescribeScalableTargets:   describeScalableTargets,
		DeregisterScalableTarget:  deregisterScalableTarget,
		PutScalingPolicy:          putScalingPolicy,
		DescribeScalingPolicies:   describeScalingPolicies,
		DeleteScalingPolicy:       deleteScalingPolicy,
		PutScheduledAction:        putScheduledAction,
		DescribeScheduledActions:  describeScheduledActions,
		DeleteScheduledAction:     deleteScheduledAction,
		DescribeScalingActivities: describeScalingActivities,
	}
}

func fail(typ, format string, args ...any) error {
	return &awsjson.Error{Type: typ, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func caller(ctx context.Context) *awsapi.Caller {
	c := awsapi.CallerFrom(ctx)
	if c == nil {
		panic("aas: handler called without a caller")
	}
	return c
}

// checkNamespace refuses service namespaces other than ecs: Berth scales
// ECS services only.
func checkNamespace(ns aaswire.ServiceNamespace, dim aaswire.ScalableDimension) error {
	if ns != aaswire.ServiceNamespaceEcs {
		return fail(ValidationException, "Unsupported service namespace %s: Berth scales ECS services (ecs) only", ns)
	}
	if dim != "" && string(dim) != string(ecsv1alpha1.ScalableDimensionECSServiceDesiredCount) {
		return fail(ValidationException, "Unsupported scalable dimension %s", dim)
	}
	return nil
}

// targets lists the namespace's scalable targets, by resource ID.
func targets(ctx context.Context, c *awsapi.Caller) ([]ecsv1alpha1.ScalableTarget, error) {
	var list ecsv1alpha1.ScalableTargetList
	if err := c.Client.List(ctx, &list, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	items := slices.DeleteFunc(list.Items, func(t ecsv1alpha1.ScalableTarget) bool { return !t.DeletionTimestamp.IsZero() })
	sort.Slice(items, func(i, j int) bool { return items[i].Spec.ResourceID < items[j].Spec.ResourceID })
	return items, nil
}

func findTarget(ctx context.Context, c *awsapi.Caller, resourceID string) (*ecsv1alpha1.ScalableTarget, error) {
	ts, err := targets(ctx, c)
	if err != nil {
		return nil, err
	}
	for i := range ts {
		if ts[i].Spec.ResourceID == resourceID {
			return &ts[i], nil
		}
	}
	return nil, nil
}

func mustTarget(ctx context.Context, c *awsapi.Caller, resourceID string, dim aaswire.ScalableDimension) (*ecsv1alpha1.ScalableTarget, error) {
	t, err := findTarget(ctx, c, resourceID)
	if err == nil && t == nil {
		err = fail(ObjectNotFoundException, "No scalable target registered for service namespace: ecs, resource ID: %s, scalable dimension: %s", resourceID, dim)
	}
	return t, err
}

// update re-reads the target and applies change with an optimistic lock,
// retrying on conflicts.
func update(ctx context.Context, c *awsapi.Caller, resourceID string, dim aaswire.ScalableDimension, change func(*ecsv1alpha1.ScalableTarget) error) (*ecsv1alpha1.ScalableTarget, error) {
	var t *ecsv1alpha1.ScalableTarget
	err := wait.ExponentialBackoffWithContext(ctx, wait.Backoff{Duration: 20 * time.Millisecond, Factor: 2, Steps: 6}, func(ctx context.Context) (bool, error) {
		var err error
		if t, err = mustTarget(ctx, c, resourceID, dim); err != nil {
			return false, err
		}
		if err := change(t); err != nil {
			return false, err
		}
		err = c.Client.Update(ctx, t)
		if apierrors.IsConflict(err) {
			return false, nil
		}
		return err == nil, invalid(err)
	})
	return t, err
}

func invalid(err error) error {
	if apierrors.IsInvalid(err) {
		return fail(ValidationException, "%s", err.Error())
	}
	return err
}

// targetObjectName is the object name of a target registered through the
// API: service/<cluster>/<service> as a DNS label.
func targetObjectName(resourceID string) string {
	return names.ServiceObject(strings.ReplaceAll(strings.TrimPrefix(resourceID, "service/"), "/", "-"))
}

func (a arns) target(t *ecsv1alpha1.ScalableTarget) string {
	return fmt.Sprintf("arn:aws:application-autoscaling:%s:%s:scalable-target/%s", a.Region, a.AccountID, strings.ReplaceAll(string(t.UID), "-", ""))
}

func (a arns) policy(t *ecsv1alpha1.ScalableTarget, name string) string {
	return fmt.Sprintf("arn:aws:autoscaling:%s:%s:scalingPolicy:%s:resource/ecs/%s:policyName/%s", a.Region, a.AccountID, t.UID, t.Spec.ResourceID, name)
}

func (a arns) action(t *ecsv1alpha1.ScalableTarget, name string) string {
	return fmt.Sprintf("arn:aws:autoscaling:%s:%s:scheduledAction:%s:resource/ecs/%s:scheduledActionName/%s", a.Region, a.AccountID, t.UID, t.Spec.ResourceID, name)
}

func (a arns) alarm(name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", a.Region, a.AccountID, name)
}

type arns struct{ names.Account }

// recase copies in to out through JSON, renaming every object key with f:
// the API's members are the spec's with a capital first letter.
func recase(in, out any, f func(string) string) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	b, err = json.Marshal(rename(v, f))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func rename(v any, f func(string) string) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[f(k)] = rename(e, f)
		}
		return m
	case []any:
		for i := range x {
			x[i] = rename(x[i], f)
		}
	}
	return v
}

func lower(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

func upper(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// pageOf pages keys by MaxResults (default and most 50) and NextToken.
func pageOf(keys []string, maxResults *int32, token string) (from, to int, next string, err error) {
	n := 50
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 50 {
			return 0, 0, "", fail(ValidationException, "MaxResults must be between 1 and 50")
		}
		n = int(*maxResults)
	}
	sort.Strings(keys) // callers' keys are unique: resource ID, then name
	from, to, next, ok := awsapi.Page(keys, n, token, nil)
	if !ok {
		return 0, 0, "", fail(InvalidNextTokenException, "Invalid token")
	}
	return from, to, next, nil
}

func at(t *metav1.Time) *awsjson.Timestamp {
	if t == nil {
		return nil
	}
	return awsjson.At(t.Time)
}
