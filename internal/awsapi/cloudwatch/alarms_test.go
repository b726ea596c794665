package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/alarms"
	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/cwwire"
	"github.com/berth-dev/berth/internal/names"
)

// alarmCaller acts in namespace "team" over a fake API server holding
// objs; funcs intercept its calls.
func alarmCaller(t *testing.T, funcs interceptor.Funcs, objs ...client.Object) (context.Context, client.Client) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := ecsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).WithStatusSubresource(&ecsv1alpha1.MetricAlarm{}).WithInterceptorFuncs(funcs).Build()
	return awsapi.WithCaller(context.Background(), &awsapi.Caller{Identity: awsapi.Identity{Username: "u", Namespace: "team"}, Client: c, Account: names.DefaultAccount}), c
}

// cpuInput is PutMetricAlarm's input for an alarm on web's CPU.
func cpuInput(name string) *cwwire.PutMetricAlarmInput {
	return &cwwire.PutMetricAlarmInput{
		AlarmName: name, AlarmDescription: "web's CPU", Namespace: "AWS/ECS", MetricName: "CPUUtilization", Statistic: cwwire.StatisticAverage,
		Dimensions: webDims(), Period: ptr.To[int32](60), EvaluationPeriods: ptr.To[int32](3), DatapointsToAlarm: ptr.To[int32](2),
		Threshold: ptr.To(70.0), ComparisonOperator: cwwire.ComparisonOperatorGreaterthanthreshold, TreatMissingData: "breaching",
		AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:oncall"}, Tags: []cwwire.Tag{{Key: "team", Value: "web"}},
	}
}

// alarmObject is a MetricAlarm as the operator leaves it: evaluated, in
// state.
func alarmObject(object, alarmName string, state ecsv1alpha1.AlarmState, created time.Time) *ecsv1alpha1.MetricAlarm {
	a := &ecsv1alpha1.MetricAlarm{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: object, CreationTimestamp: metav1.NewTime(created)}}
	a.Spec = specOf(cpuInput(alarmName))
	if alarmName == object {
		a.Spec.AlarmName = ""
	}
	a.Status.StateValue, a.Status.StateReason = state, "Threshold Crossed: ..."
	a.Status.StateUpdatedTimestamp = &metav1.Time{Time: t0}
	return a
}

func TestPutMetricAlarm(t *testing.T) {
	ctx, c := alarmCaller(t, interceptor.Funcs{})
	h := &handlers{}
	if _, err := h.putMetricAlarm(ctx, cpuInput("web-cpu-high")); err != nil {
		t.Fatal(err)
	}
	var a ecsv1alpha1.MetricAlarm
	if err := c.Get(ctx, client.ObjectKey{Namespace: "team", Name: "web-cpu-high"}, &a); err != nil {
		t.Fatal(err)
	}
	want := ecsv1alpha1.MetricAlarmSpec{
		AlarmName: "web-cpu-high", AlarmDescription: "web's CPU", Namespace: "AWS/ECS", MetricName: "CPUUtilization", Statistic: ecsv1alpha1.StatisticAverage,
		Dimensions: []ecsv1alpha1.MetricDimension{{Name: "ServiceName", Value: "web"}, {Name: "ClusterName", Value: "prod"}},
		Period:     ptr.To[int32](60), EvaluationPeriods: ptr.To[int32](3), DatapointsToAlarm: ptr.To[int32](2), Threshold: ptr.To(70.0),
		ComparisonOperator: ecsv1alpha1.AlarmComparisonOperator(ecsv1alpha1.GreaterThanThreshold), TreatMissingData: ecsv1alpha1.TreatMissingDataBreaching,
		AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:oncall"}, Tags: []ecsv1alpha1.Tag{{Key: "team", Value: "web"}},
	}
	if diff := cmp.Diff(want, a.Spec); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}

	// Again: the configuration is overwritten, the state stays.
	a.Status.StateValue = ecsv1alpha1.AlarmStateAlarm
	if err := c.Status().Update(ctx, &a); err != nil {
		t.Fatal(err)
	}
	in := cpuInput("web-cpu-high")
	in.Threshold, in.AlarmActions, in.Tags = ptr.To(90.0), nil, nil
	if _, err := h.putMetricAlarm(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(&a), &a); err != nil {
		t.Fatal(err)
	}
	if *a.Spec.Threshold != 90 || a.Spec.AlarmActions != nil || a.Status.StateValue != ecsv1alpha1.AlarmStateAlarm {
		t.Errorf("after the update: threshold %v, actions %v, state %s", *a.Spec.Threshold, a.Spec.AlarmActions, a.Status.StateValue)
	}

	// A name that is no object name: the object is named after it, and
	// spec.alarmName holds it.
	if _, err := h.putMetricAlarm(ctx, cpuInput("Web CPU > 70%")); err != nil {
		t.Fatal(err)
	}
	var list ecsv1alpha1.MetricAlarmList
	if err := c.List(ctx, &list, client.InNamespace("team")); err != nil {
		t.Fatal(err)
	}
	var other ecsv1alpha1.MetricAlarm
	if err := c.Get(ctx, client.ObjectKey{Namespace: "team", Name: names.AlarmObject("Web CPU > 70%")}, &other); err != nil || len(list.Items) != 2 || other.Spec.AlarmName != "Web CPU > 70%" {
		t.Errorf("alarms: %d, %q, %v", len(list.Items), other.Spec.AlarmName, err)
	}

	// Errors, as CloudWatch answers them.
	for name, c := range map[string]struct {
		in       *cwwire.PutMetricAlarmInput
		typ, msg string
	}{
		"no name": {&cwwire.PutMetricAlarmInput{}, MissingRequiredParameterException, "The parameter AlarmName is required."},
		"a metric Berth does not publish": {func() *cwwire.PutMetricAlarmInput { in := cpuInput("x"); in.Namespace = "AWS/EC2"; return in }(),
			ValidationError, `spec.namespace: Invalid value: "AWS/EC2": Berth publishes the metrics of namespaces AWS/ECS and ECS/ContainerInsights only (docs/metrics.md): an alarm on another namespace would never have data`},
	} {
		_, err := h.putMetricAlarm(ctx, c.in)
		if typ, msg := errType(err); typ != c.typ || msg != c.msg {
			t.Errorf("%s: %s %q; want %s %q", name, typ, msg, c.typ, c.msg)
		}
	}
}

// TestPutMetricAlarmInvalid: the API server's refusal (the CRD's CEL rules
// carry CloudWatch's messages) is CloudWatch's ValidationError.
func TestPutMetricAlarmInvalid(t *testing.T) {
	refuse := interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
		return apierrors.NewInvalid(schema.GroupKind{Group: "ecs.berth.dev", Kind: "MetricAlarm"}, obj.GetName(), field.ErrorList{
			field.Invalid(field.NewPath("spec", "period"), 45, "Period must be 10, 20, 30 or a multiple of 60"),
		})
	}}
	ctx, _ := alarmCaller(t, refuse)
	in := cpuInput("x")
	in.Period = ptr.To[int32](45)
	_, err := (&handlers{}).putMetricAlarm(ctx, in)
	if typ, msg := errType(err); typ != ValidationError || msg != "spec.period: 45: Period must be 10, 20, 30 or a multiple of 60" {
		t.Errorf("%s %q", typ, msg)
	}
}

func TestDescribeAlarms(t *testing.T) {
	var objs []client.Object
	for i, s := range []ecsv1alpha1.AlarmState{ecsv1alpha1.AlarmStateOK, ecsv1alpha1.AlarmStateAlarm, ecsv1alpha1.AlarmStateOK, ecsv1alpha1.AlarmStateAlarm} {
		objs = append(objs, alarmObject(fmt.Sprintf("a%d", i), fmt.Sprintf("a%d", i), s, t0))
	}
	// A second object with a0's name: a duplicate the operator stalls,
	// not shown.
	objs = append(objs, alarmObject("dup", "a0", ecsv1alpha1.AlarmStateAlarm, t0.Add(time.Minute)))
	// One the operator has not evaluated yet: INSUFFICIENT_DATA.
	fresh := alarmObject("fresh", "fresh", "", t0)
	fresh.Status = ecsv1alpha1.MetricAlarmStatus{}
	objs = append(objs, fresh)
	ctx, _ := alarmCaller(t, interceptor.Funcs{}, objs...)
	h := &handlers{}
	describe := func(in *cwwire.DescribeAlarmsInput) ([]string, string) {
		t.Helper()
		out, err := h.describeAlarms(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range out.MetricAlarms {
			got = append(got, m.AlarmName+"="+string(m.StateValue))
		}
		return got, out.NextToken
	}
	got, _ := describe(&cwwire.DescribeAlarmsInput{})
	if diff := cmp.Diff([]string{"a0=OK", "a1=ALARM", "a2=OK", "a3=ALARM", "fresh=INSUFFICIENT_DATA"}, got); diff != "" {
		t.Errorf("all (-want +got):\n%s", diff)
	}
	got, _ = describe(&cwwire.DescribeAlarmsInput{StateValue: cwwire.StateValueAlarm})
	if diff := cmp.Diff([]string{"a1=ALARM", "a3=ALARM"}, got); diff != "" {
		t.Errorf("ALARM (-want +got):\n%s", diff)
	}
	got, _ = describe(&cwwire.DescribeAlarmsInput{AlarmNames: []string{"a2", "nope", "a0"}})
	if diff := cmp.Diff([]string{"a0=OK", "a2=OK"}, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	got, _ = describe(&cwwire.DescribeAlarmsInput{AlarmNamePrefix: "fr"})
	if diff := cmp.Diff([]string{"fresh=INSUFFICIENT_DATA"}, got); diff != "" {
		t.Errorf("prefix (-want +got):\n%s", diff)
	}
	got, _ = describe(&cwwire.DescribeAlarmsInput{ActionPrefix: "arn:aws:sns:us-east-1:000000000000:on", AlarmNamePrefix: "a"})
	if len(got) != 4 {
		t.Errorf("action prefix: %v", got)
	}
	got, _ = describe(&cwwire.DescribeAlarmsInput{AlarmTypes: []cwwire.AlarmType{cwwire.AlarmTypeCompositealarm}})
	if len(got) != 0 {
		t.Errorf("composite alarms: %v", got)
	}

	// Pages of 2.
	var all []string
	token := ""
	for range 5 {
		page, next := describe(&cwwire.DescribeAlarmsInput{MaxRecords: ptr.To[int32](2), NextToken: token})
		all = append(all, page...)
		if token = next; token == "" {
			break
		}
	}
	if len(all) != 5 || token != "" {
		t.Errorf("paged: %v, %q", all, token)
	}

	// An alarm as DescribeAlarms shows it.
	out, err := h.describeAlarms(ctx, &cwwire.DescribeAlarmsInput{AlarmNames: []string{"a1"}})
	if err != nil {
		t.Fatal(err)
	}
	m := out.MetricAlarms[0]
	if m.AlarmArn != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:a1" || !*m.ActionsEnabled || *m.Threshold != 70 || *m.EvaluationPeriods != 3 ||
		m.ComparisonOperator != cwwire.ComparisonOperatorGreaterthanthreshold || m.TreatMissingData != "breaching" || len(m.Dimensions) != 2 ||
		!m.StateUpdatedTimestamp.Equal(t0) || m.StateReason != "Threshold Crossed: ..." {
		t.Errorf("a1: %+v", m)
	}
	for name, c := range map[string]struct {
		in       *cwwire.DescribeAlarmsInput
		typ, msg string
	}{
		"names and prefix": {&cwwire.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: "a"}, InvalidParameterCombinationException, "AlarmNames and AlarmNamePrefix cannot be specified together."},
		"state":            {&cwwire.DescribeAlarmsInput{StateValue: "RED"}, InvalidParameterValueException, "The parameter StateValue must be a value in the set [ OK, ALARM, INSUFFICIENT_DATA ]."},
		"max records":      {&cwwire.DescribeAlarmsInput{MaxRecords: ptr.To[int32](101)}, InvalidParameterValueException, "The parameter MaxRecords must be between 1 and 100."},
		"token":            {&cwwire.DescribeAlarmsInput{NextToken: "!"}, InvalidNextToken, `The token "!" is not a token of this list.`},
	} {
		_, err := h.describeAlarms(ctx, c.in)
		if typ, msg := errType(err); typ != c.typ || msg != c.msg {
			t.Errorf("%s: %s %q; want %s %q", name, typ, msg, c.typ, c.msg)
		}
	}
}

func TestDescribeAlarmsForMetric(t *testing.T) {
	mem := alarmObject("mem", "mem", ecsv1alpha1.AlarmStateOK, t0)
	mem.Spec.MetricName = "MemoryUtilization"
	ctx, _ := alarmCaller(t, interceptor.Funcs{}, alarmObject("cpu", "cpu", ecsv1alpha1.AlarmStateOK, t0), mem)
	h := &handlers{}
	for name, c := range map[string]struct {
		in   *cwwire.DescribeAlarmsForMetricInput
		want int
	}{
		"by name":          {&cwwire.DescribeAlarmsForMetricInput{Namespace: "AWS/ECS", MetricName: "CPUUtilization"}, 1},
		"with dimensions":  {&cwwire.DescribeAlarmsForMetricInput{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: webDims()}, 1},
		"other dimensions": {&cwwire.DescribeAlarmsForMetricInput{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: webDims()[:1]}, 0},
		"other statistic":  {&cwwire.DescribeAlarmsForMetricInput{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Statistic: cwwire.StatisticMaximum}, 0},
		"other period":     {&cwwire.DescribeAlarmsForMetricInput{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Period: ptr.To[int32](300)}, 0},
	} {
		out, err := h.describeAlarmsForMetric(ctx, c.in)
		if err != nil || len(out.MetricAlarms) != c.want {
			t.Errorf("%s: %+v, %v; want %d", name, out, err, c.want)
		}
	}
}

func TestDeleteAlarms(t *testing.T) {
	ctx, c := alarmCaller(t, interceptor.Funcs{}, alarmObject("a", "a", ecsv1alpha1.AlarmStateOK, t0), alarmObject("b-object", "b", ecsv1alpha1.AlarmStateOK, t0))
	h := &handlers{}
	// One does not exist: none is deleted.
	_, err := h.deleteAlarms(ctx, &cwwire.DeleteAlarmsInput{AlarmNames: []string{"a", "nope"}})
	if typ, msg := errType(err); typ != ResourceNotFound || msg != "Alarm nope not found" {
		t.Errorf("%s %q", typ, msg)
	}
	var list ecsv1alpha1.MetricAlarmList
	if err := c.List(ctx, &list); err != nil || len(list.Items) != 2 {
		t.Fatalf("%d alarms, %v", len(list.Items), err)
	}
	if _, err := h.deleteAlarms(ctx, &cwwire.DeleteAlarmsInput{AlarmNames: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.List(ctx, &list); err != nil || len(list.Items) != 0 {
		t.Fatalf("%d alarms left, %v", len(list.Items), err)
	}
}

// TestSetAlarmState: SetAlarmState sets the alarm's set-alarm-state
// annotations, which the operator applies (alarms.Requested); each call is
// a request of its own.
func TestSetAlarmState(t *testing.T) {
	ctx, c := alarmCaller(t, interceptor.Funcs{}, alarmObject("a", "a", ecsv1alpha1.AlarmStateOK, t0))
	h := &handlers{}
	in := &cwwire.SetAlarmStateInput{AlarmName: "a", StateValue: cwwire.StateValueAlarm, StateReason: "testing", StateReasonData: `{"why":"test"}`}
	if _, err := h.setAlarmState(ctx, in); err != nil {
		t.Fatal(err)
	}
	var a ecsv1alpha1.MetricAlarm
	if err := c.Get(ctx, client.ObjectKey{Namespace: "team", Name: "a"}, &a); err != nil {
		t.Fatal(err)
	}
	req, err := alarms.Requested(&a)
	if err != nil || req == nil || req.State != ecsv1alpha1.AlarmStateAlarm || req.Reason != "testing" || req.ReasonData != `{"why":"test"}` {
		t.Fatalf("request %+v, %v", req, err)
	}
	first := req.Fingerprint
	if _, err := h.setAlarmState(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(&a), &a); err != nil {
		t.Fatal(err)
	}
	if req, _ := alarms.Requested(&a); req == nil || req.Fingerprint == first {
		t.Errorf("the same call again is another request: %+v", req)
	}
	for name, c := range map[string]struct {
		in       *cwwire.SetAlarmStateInput
		typ, msg string
	}{
		"no such alarm": {&cwwire.SetAlarmStateInput{AlarmName: "nope", StateValue: "OK", StateReason: "x"}, ResourceNotFound, "Alarm nope not found"},
		"bad state": {&cwwire.SetAlarmStateInput{AlarmName: "a", StateValue: "RED", StateReason: "x"}, ValidationError,
			"1 validation error detected: Value 'RED' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"},
		"bad data":  {&cwwire.SetAlarmStateInput{AlarmName: "a", StateValue: "OK", StateReason: "x", StateReasonData: "{"}, InvalidFormatFault, "Data was not syntactically valid JSON"},
		"no reason": {&cwwire.SetAlarmStateInput{AlarmName: "a", StateValue: "OK"}, MissingRequiredParameterException, "The parameter StateReason is required."},
	} {
		_, err := h.setAlarmState(ctx, c.in)
		if typ, msg := errType(err); typ != c.typ || msg != c.msg {
			t.Errorf("%s: %s %q; want %s %q", name, typ, msg, c.typ, c.msg)
		}
	}
}

// TestAlarmsAsTheCaller: the operations act as the caller: RBAC's refusal
// passes through (the endpoint answers AccessDeniedException).
func TestAlarmsAsTheCaller(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "ecs.berth.dev", Resource: "metricalarms"}, "", errors.New("RBAC: access denied"))
	ctx, _ := alarmCaller(t, interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
		return forbidden
	}})
	if _, err := (&handlers{}).describeAlarms(ctx, &cwwire.DescribeAlarmsInput{}); !apierrors.IsForbidden(err) {
		t.Errorf("got %v", err)
	}
}
