package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/cwwire"
	"github.com/berth-dev/berth/internal/names"
)

// The alarm operations keep a MetricAlarm object per alarm in the caller's
// namespace (its account), read and written as the caller (RBAC on
// ecs.berth.dev metricalarms decides). The operator's metricalarm
// controller evaluates them.

// More of CloudWatch's error types: AWS Query's ValidationError (the
// model's operations name no shape for it), and the model's
// ResourceNotFound and InvalidFormatFault.
const (
	ValidationError    = "ValidationError"
	ResourceNotFound   = "ResourceNotFound"
	InvalidFormatFault = "InvalidFormatFault"
)

// Limits of the alarm operations.
const (
	maxAlarmNames      = 100
	defaultAlarmRecord = 50
	maxAlarmRecords    = 100
)

// namespaceAlarms lists the caller's alarms that hold their name (not
// being deleted; of two objects with one alarm name, the first created),
// sorted by alarm name.
func namespaceAlarms(ctx context.Context) ([]ecsv1alpha1.MetricAlarm, error) {
	c := caller(ctx)
	var list ecsv1alpha1.MetricAlarmList
	if err := c.Client.List(ctx, &list, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	var out []ecsv1alpha1.MetricAlarm
	for i := range list.Items {
		a := &list.Items[i]
		if a.DeletionTimestamp.IsZero() && alarms.Duplicate(a, list.Items) == "" {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b ecsv1alpha1.MetricAlarm) int { return strings.Compare(alarms.Name(&a), alarms.Name(&b)) })
	return out, nil
}

// findAlarm is the caller's alarm of that name, nil if none.
func findAlarm(ctx context.Context, name string) (*ecsv1alpha1.MetricAlarm, error) {
	all, err := namespaceAlarms(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if alarms.Name(&all[i]) == name {
			return &all[i], nil
		}
	}
	return nil, nil
}

func (h *handlers) putMetricAlarm(ctx context.Context, in *cwwire.PutMetricAlarmInput) (*struct{}, error) {
	if in.AlarmName == "" {
		return nil, fail(MissingRequiredParameterException, "The parameter AlarmName is required.")
	}
	spec := specOf(in)
	// An alarm on a metric Berth does not publish would never have data:
	// refused, where CloudWatch would keep it INSUFFICIENT_DATA.
	if m, ok := alarms.MetricOf(&spec); ok {
		if _, ferr := alarms.Resolve(m); ferr != nil {
			return nil, fail(ValidationError, "%s", ferr.Error())
		}
	}
	c := caller(ctx)
	err := wait.ExponentialBackoffWithContext(ctx, wait.Backoff{Duration: 20 * time.Millisecond, Factor: 2, Steps: 6}, func(ctx context.Context) (bool, error) {
		existing, err := findAlarm(ctx, in.AlarmName)
		if err != nil {
			return false, err
		}
		if existing == nil {
			err = createAlarm(ctx, c, in.AlarmName, spec)
		} else {
			// An update overwrites the configuration; the state stays,
			// and so do the tags (CloudWatch ignores Tags on an update).
			tags := existing.Spec.Tags
			existing.Spec = spec
			existing.Spec.Tags = tags
			err = c.Client.Update(ctx, existing)
		}
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return err == nil, invalid(err)
	})
	if wait.Interrupted(err) {
		return nil, fail("ConcurrentModificationException", "The alarm %s was modified concurrently; try again", in.AlarmName)
	}
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// createAlarm creates the MetricAlarm of a new alarm name (spec.alarmName
// holds it): named after it (names.AlarmObject), or generated from it when
// another alarm has that object name.
func createAlarm(ctx context.Context, c *awsapi.Caller, name string, spec ecsv1alpha1.MetricAlarmSpec) error {
	a := &ecsv1alpha1.MetricAlarm{ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: names.AlarmObject(name)}, Spec: spec}
	err := c.Client.Create(ctx, a)
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	holder := &ecsv1alpha1.MetricAlarm{}
	if gerr := c.Client.Get(ctx, client.ObjectKeyFromObject(a), holder); gerr != nil || alarms.Name(holder) == name {
		// A concurrent PutMetricAlarm created this very alarm (or it
		// cannot be read now): the caller's loop finds it and updates it,
		// rather than making a twin that would be a duplicate name.
		return err
	}
	a.Name, a.GenerateName = "", names.AlarmObject(name)+"-"
	return c.Client.Create(ctx, a)
}

// invalid turns the API server's refusal of a spec (its CEL rules carry
// CloudWatch's messages) into CloudWatch's ValidationError.
func invalid(err error) error {
	var se apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &se) {
		return err
	}
	var msgs []string
	if d := se.Status().Details; d != nil {
		for _, c := range d.Causes {
			msg := strings.TrimPrefix(c.Message, "Invalid value: ")
			if c.Field != "" && c.Field != "<nil>" {
				msg = c.Field + ": " + msg
			}
			msgs = append(msgs, msg)
		}
	}
	if len(msgs) == 0 {
		msgs = append(msgs, err.Error())
	}
	return fail(ValidationError, "%s", strings.Join(msgs, "; "))
}

// specOf is PutMetricAlarm's input as a MetricAlarm's spec.
func specOf(in *cwwire.PutMetricAlarmInput) ecsv1alpha1.MetricAlarmSpec {
	s := ecsv1alpha1.MetricAlarmSpec{
		AlarmName: in.AlarmName, AlarmDescription: in.AlarmDescription, ActionsEnabled: in.ActionsEnabled,
		OKActions: in.OKActions, AlarmActions: in.AlarmActions, InsufficientDataActions: in.InsufficientDataActions,
		MetricName: in.MetricName, Namespace: in.Namespace, Statistic: ecsv1alpha1.MetricStatistic(in.Statistic),
		ExtendedStatistic: in.ExtendedStatistic, Dimensions: dimensionsOf(in.Dimensions), Period: in.Period,
		Unit: ecsv1alpha1.StandardUnit(in.Unit), DatapointsToAlarm: in.DatapointsToAlarm, Threshold: in.Threshold,
		ComparisonOperator: ecsv1alpha1.AlarmComparisonOperator(in.ComparisonOperator),
		TreatMissingData:   ecsv1alpha1.TreatMissingData(in.TreatMissingData), EvaluateLowSampleCountPercentile: in.EvaluateLowSampleCountPercentile,
		ThresholdMetricID: in.ThresholdMetricId, EvaluationInterval: in.EvaluationInterval, EvaluationPeriods: in.EvaluationPeriods,
	}
	for _, q := range in.Metrics {
		aq := ecsv1alpha1.AlarmMetricDataQuery{ID: q.Id, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData, Period: q.Period, AccountID: q.AccountId}
		if ms := q.MetricStat; ms != nil {
			aq.MetricStat = &ecsv1alpha1.AlarmMetricStat{Period: ms.Period, Stat: ms.Stat, Unit: ecsv1alpha1.StandardUnit(ms.Unit)}
			if m := ms.Metric; m != nil {
				aq.MetricStat.Metric = ecsv1alpha1.AlarmMetric{Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: dimensionsOf(m.Dimensions)}
			}
		}
		s.Metrics = append(s.Metrics, aq)
	}
	for _, t := range in.Tags {
		s.Tags = append(s.Tags, ecsv1alpha1.Tag{Key: t.Key, Value: t.Value})
	}
	if ec := in.EvaluationCriteria; ec != nil {
		s.EvaluationCriteria = &ecsv1alpha1.AlarmEvaluationCriteria{}
		if p := ec.PromQLCriteria; p != nil {
			s.EvaluationCriteria.PromQLCriteria = &ecsv1alpha1.AlarmPromQLCriteria{Query: p.Query, PendingPeriod: p.PendingPeriod, RecoveryPeriod: p.RecoveryPeriod}
		}
	}
	return s
}

func dimensionsOf(dims []cwwire.Dimension) []ecsv1alpha1.MetricDimension {
	var out []ecsv1alpha1.MetricDimension
	for _, d := range dims {
		out = append(out, ecsv1alpha1.MetricDimension{Name: d.Name, Value: d.Value})
	}
	return out
}

func wireDimensions(dims []ecsv1alpha1.MetricDimension) []cwwire.Dimension {
	var out []cwwire.Dimension
	for _, d := range dims {
		out = append(out, cwwire.Dimension{Name: d.Name, Value: d.Value})
	}
	return out
}

// metricAlarm is an alarm as DescribeAlarms shows it. An alarm Berth has
// not evaluated yet is INSUFFICIENT_DATA, as CloudWatch's new alarms are.
func metricAlarm(acct names.Account, a *ecsv1alpha1.MetricAlarm) cwwire.MetricAlarm {
	s, st := &a.Spec, &a.Status
	name := alarms.Name(a)
	out := cwwire.MetricAlarm{
		AlarmName: name, AlarmArn: acct.AlarmArn(name), AlarmDescription: s.AlarmDescription,
		ActionsEnabled: s.ActionsEnabled, OKActions: s.OKActions, AlarmActions: s.AlarmActions, InsufficientDataActions: s.InsufficientDataActions,
		StateValue: cwwire.StateValue(st.StateValue), StateReason: st.StateReason, StateReasonData: st.StateReasonData,
		StateUpdatedTimestamp: at(st.StateUpdatedTimestamp), StateTransitionedTimestamp: at(st.StateTransitionedTimestamp),
		AlarmConfigurationUpdatedTimestamp: at(st.AlarmConfigurationUpdatedTimestamp),
		MetricName:                         s.MetricName, Namespace: s.Namespace, Statistic: cwwire.Statistic(s.Statistic), ExtendedStatistic: s.ExtendedStatistic,
		Dimensions: wireDimensions(s.Dimensions), Period: s.Period, Unit: cwwire.StandardUnit(s.Unit),
		EvaluationPeriods: s.EvaluationPeriods, DatapointsToAlarm: s.DatapointsToAlarm, Threshold: s.Threshold,
		ComparisonOperator: cwwire.ComparisonOperator(s.ComparisonOperator), TreatMissingData: string(s.TreatMissingData),
		EvaluateLowSampleCountPercentile: s.EvaluateLowSampleCountPercentile, ThresholdMetricId: s.ThresholdMetricID,
	}
	if out.ActionsEnabled == nil {
		out.ActionsEnabled = ptrTo(true)
	}
	if out.StateValue == "" {
		out.StateValue, out.StateReason = cwwire.StateValueInsufficientData, alarms.InitialReason
		out.StateUpdatedTimestamp = awsjson.At(a.CreationTimestamp.Time)
		out.StateTransitionedTimestamp = out.StateUpdatedTimestamp
	}
	if out.AlarmConfigurationUpdatedTimestamp == nil {
		out.AlarmConfigurationUpdatedTimestamp = awsjson.At(a.CreationTimestamp.Time)
	}
	for _, q := range s.Metrics {
		wq := cwwire.MetricDataQuery{Id: q.ID, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData, Period: q.Period, AccountId: q.AccountID}
		if ms := q.MetricStat; ms != nil {
			wq.MetricStat = &cwwire.MetricStat{Period: ms.Period, Stat: ms.Stat, Unit: cwwire.StandardUnit(ms.Unit),
				Metric: &cwwire.Metric{Namespace: ms.Metric.Namespace, MetricName: ms.Metric.MetricName, Dimensions: wireDimensions(ms.Metric.Dimensions)}}
		}
		out.Metrics = append(out.Metrics, wq)
	}
	return out
}

func at(t *metav1.Time) *awsjson.Timestamp {
	if t == nil {
		return nil
	}
	return awsjson.At(t.Time)
}

func ptrTo[T any](v T) *T { return &v }

// checkAlarmsInput checks DescribeAlarms' input as CloudWatch does, and
// returns the page size.
func checkAlarmsInput(in *cwwire.DescribeAlarmsInput) (int, error) {
	switch {
	case len(in.AlarmNames) > maxAlarmNames:
		return 0, fail(InvalidParameterValueException, "The collection AlarmNames must not have more than %d members.", maxAlarmNames)
	case len(in.AlarmNames) > 0 && in.AlarmNamePrefix != "":
		return 0, fail(InvalidParameterCombinationException, "AlarmNames and AlarmNamePrefix cannot be specified together.")
	case in.StateValue != "" && !in.StateValue.Valid():
		return 0, fail(InvalidParameterValueException, "The parameter StateValue must be a value in the set [ OK, ALARM, INSUFFICIENT_DATA ].")
	}
	for _, t := range in.AlarmTypes {
		if !t.Valid() {
			return 0, fail(InvalidParameterValueException, "The parameter AlarmTypes must be a value in the set [ CompositeAlarm, MetricAlarm ].")
		}
	}
	n := defaultAlarmRecord
	if in.MaxRecords != nil {
		if *in.MaxRecords < 1 || *in.MaxRecords > maxAlarmRecords {
			return 0, fail(InvalidParameterValueException, "The parameter MaxRecords must be between 1 and %d.", maxAlarmRecords)
		}
		n = int(*in.MaxRecords)
	}
	return n, nil
}

// wanted says whether DescribeAlarms' filters keep an alarm.
func wanted(in *cwwire.DescribeAlarmsInput, a *cwwire.MetricAlarm) bool {
	if len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, a.AlarmName) ||
		!strings.HasPrefix(a.AlarmName, in.AlarmNamePrefix) ||
		in.StateValue != "" && a.StateValue != in.StateValue {
		return false
	}
	if in.ActionPrefix != "" {
		all := slices.Concat(a.OKActions, a.AlarmActions, a.InsufficientDataActions)
		if !slices.ContainsFunc(all, func(s string) bool { return strings.HasPrefix(s, in.ActionPrefix) }) {
			return false
		}
	}
	return true
}

func (h *handlers) describeAlarms(ctx context.Context, in *cwwire.DescribeAlarmsInput) (*cwwire.DescribeAlarmsOutput, error) {
	n, err := checkAlarmsInput(in)
	if err != nil {
		return nil, err
	}
	all, err := namespaceAlarms(ctx)
	if err != nil {
		return nil, err
	}
	out := &cwwire.DescribeAlarmsOutput{MetricAlarms: []cwwire.MetricAlarm{}, CompositeAlarms: []cwwire.CompositeAlarm{}}
	// Berth has no composite alarms: asking for them, or for an alarm's
	// children or parents (a composite alarm's), finds none.
	metric := len(in.AlarmTypes) == 0 || slices.Contains(in.AlarmTypes, cwwire.AlarmTypeMetricalarm)
	if !metric || in.ChildrenOfAlarmName != "" || in.ParentsOfAlarmName != "" {
		return out, nil
	}
	acct := caller(ctx).Account
	var keys []string
	byName := map[string]cwwire.MetricAlarm{}
	for i := range all {
		m := metricAlarm(acct, &all[i])
		if wanted(in, &m) {
			keys = append(keys, m.AlarmName)
			byName[m.AlarmName] = m
		}
	}
	from, to, next, ok := awsapi.Page(keys, n, in.NextToken, nil)
	if !ok {
		return nil, fail(InvalidNextToken, "The token %q is not a token of this list.", in.NextToken)
	}
	for _, k := range keys[from:to] {
		out.MetricAlarms = append(out.MetricAlarms, byName[k])
	}
	out.NextToken = next
	return out, nil
}

func (h *handlers) describeAlarmsForMetric(ctx context.Context, in *cwwire.DescribeAlarmsForMetricInput) (*cwwire.DescribeAlarmsForMetricOutput, error) {
	switch {
	case in.MetricName == "":
		return nil, fail(MissingRequiredParameterException, "The parameter MetricName is required.")
	case in.Namespace == "":
		return nil, fail(MissingRequiredParameterException, "The parameter Namespace is required.")
	}
	all, err := namespaceAlarms(ctx)
	if err != nil {
		return nil, err
	}
	acct := caller(ctx).Account
	out := &cwwire.DescribeAlarmsForMetricOutput{MetricAlarms: []cwwire.MetricAlarm{}}
	for i := range all {
		m, ok := alarms.MetricOf(&all[i].Spec)
		if ok && forMetric(in, m) {
			out.MetricAlarms = append(out.MetricAlarms, metricAlarm(acct, &all[i]))
		}
	}
	return out, nil
}

// forMetric says whether an alarm's metric is the one DescribeAlarmsForMetric
// names: its namespace and name, and the dimensions, statistic, period and
// unit the request gives.
func forMetric(in *cwwire.DescribeAlarmsForMetricInput, m alarms.Metric) bool {
	if m.Namespace != in.Namespace || m.Name != in.MetricName ||
		in.Statistic != "" && string(in.Statistic) != m.Statistic || in.ExtendedStatistic != "" && in.ExtendedStatistic != m.Statistic ||
		in.Period != nil && *in.Period != m.Period || in.Unit != "" && string(in.Unit) != string(m.Unit) {
		return false
	}
	if len(in.Dimensions) == 0 {
		return true
	}
	if len(in.Dimensions) != len(m.Dimensions) {
		return false
	}
	for _, d := range in.Dimensions {
		if !slices.Contains(m.Dimensions, ecsv1alpha1.MetricDimension{Name: d.Name, Value: d.Value}) {
			return false
		}
	}
	return true
}

func (h *handlers) deleteAlarms(ctx context.Context, in *cwwire.DeleteAlarmsInput) (*struct{}, error) {
	switch {
	case len(in.AlarmNames) == 0:
		return nil, fail(MissingRequiredParameterException, "The parameter AlarmNames is required.")
	case len(in.AlarmNames) > maxAlarmNames:
		return nil, fail(InvalidParameterValueException, "The collection AlarmNames must not have more than %d members.", maxAlarmNames)
	}
	all, err := namespaceAlarms(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]*ecsv1alpha1.MetricAlarm{}
	for i := range all {
		byName[alarms.Name(&all[i])] = &all[i]
	}
	// If any alarm does not exist, none is deleted.
	var missing []string
	for _, n := range in.AlarmNames {
		if byName[n] == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fail(ResourceNotFound, "%s", notFound(missing))
	}
	c := caller(ctx)
	for _, n := range in.AlarmNames {
		if err := c.Client.Delete(ctx, byName[n]); client.IgnoreNotFound(err) != nil {
			return nil, err
		}
	}
	return &struct{}{}, nil
}

// notFound words alarms that do not exist.
func notFound(alarmNames []string) string {
	if len(alarmNames) == 1 {
		return fmt.Sprintf("Alarm %s not found", alarmNames[0])
	}
	return fmt.Sprintf("Alarms %s not found", strings.Join(alarmNames, ", "))
}

// setAlarmState sets an alarm's state through its set-alarm-state
// annotations (SetAlarmState's declarative form): the operator applies
// them within a reconcile, and the state holds until the alarm's next
// evaluation changes it.
func (h *handlers) setAlarmState(ctx context.Context, in *cwwire.SetAlarmStateInput) (*struct{}, error) {
	switch {
	case in.AlarmName == "":
		return nil, fail(MissingRequiredParameterException, "The parameter AlarmName is required.")
	case in.StateValue == "":
		return nil, fail(MissingRequiredParameterException, "The parameter StateValue is required.")
	case in.StateReason == "":
		return nil, fail(MissingRequiredParameterException, "The parameter StateReason is required.")
	}
	req := alarms.Request{State: ecsv1alpha1.AlarmState(in.StateValue), Reason: in.StateReason, ReasonData: in.StateReasonData}
	if err := req.Check(); err != nil {
		typ := ValidationError
		if in.StateReasonData != "" && strings.Contains(err.Error(), "JSON") {
			typ = InvalidFormatFault
		}
		return nil, fail(typ, "%s", err.Error())
	}
	a, err := findAlarm(ctx, in.AlarmName)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, fail(ResourceNotFound, "%s", notFound([]string{in.AlarmName}))
	}
	orig := a.DeepCopy()
	if a.Annotations == nil {
		a.Annotations = map[string]string{}
	}
	a.Annotations[ecsv1alpha1.AnnotationSetAlarmState] = string(in.StateValue)
	a.Annotations[ecsv1alpha1.AnnotationSetAlarmStateReason] = in.StateReason
	a.Annotations[ecsv1alpha1.AnnotationSetAlarmStateReasonData] = in.StateReasonData
	if in.StateReasonData == "" {
		delete(a.Annotations, ecsv1alpha1.AnnotationSetAlarmStateReasonData)
	}
	// Each call is a request of its own, even with the same state and
	// reason.
	a.Annotations[ecsv1alpha1.AnnotationSetAlarmStateAt] = string(uuid.NewUUID())
	if err := caller(ctx).Client.Patch(ctx, a, client.MergeFrom(orig)); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fail(ResourceNotFound, "%s", notFound([]string{in.AlarmName}))
		}
		return nil, err
	}
	return &struct{}{}, nil
}
