package alarms

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/ecsmetrics"
	"github.com/berth-dev/berth/internal/names"
)

// InitialReason is the stateReason of a new alarm, INSUFFICIENT_DATA until
// its first evaluation, as CloudWatch words it.
const InitialReason = "Unchecked: Initial alarm creation"

// Name is a MetricAlarm's alarm name: spec.alarmName, else its object's
// name. A Service's deploymentConfiguration.alarms.alarmNames name alarms
// by it.
func Name(a *ecsv1alpha1.MetricAlarm) string { return names.AlarmName(a.Spec.AlarmName, a.Name) }

// Metric is the metric an alarm watches, from the spec's top-level members
// or from the metricStat of the query that returns data.
type Metric struct {
	Namespace, Name string
	Dimensions      []ecsv1alpha1.MetricDimension
	Statistic       string
	Period          int32
	Unit            ecsv1alpha1.StandardUnit
	// query is the index of the query in spec.metrics it comes from; -1
	// for the top-level members.
	query int
}

// path is where the spec gives member ("namespace", "metricName",
// "dimensions", "statistic", "period", "unit") of the metric.
func (m Metric) path(member string) *field.Path {
	spec := field.NewPath("spec")
	if m.query < 0 {
		return spec.Child(member)
	}
	ms := spec.Child("metrics").Index(m.query).Child("metricStat")
	switch member {
	case "namespace", "metricName", "dimensions":
		return ms.Child("metric", member)
	case "statistic":
		return ms.Child("stat")
	}
	return ms.Child(member)
}

// MetricOf is the metric an alarm's spec watches; false when it names none
// (admission refuses such a spec).
func MetricOf(spec *ecsv1alpha1.MetricAlarmSpec) (Metric, bool) {
	if len(spec.Metrics) == 0 {
		if spec.MetricName == "" || spec.Period == nil {
			return Metric{}, false
		}
		return Metric{Namespace: spec.Namespace, Name: spec.MetricName, Dimensions: spec.Dimensions,
			Statistic: string(spec.Statistic), Period: *spec.Period, Unit: spec.Unit, query: -1}, true
	}
	for i, q := range spec.Metrics {
		if q.ReturnData != nil && !*q.ReturnData || q.MetricStat == nil {
			continue
		}
		ms := q.MetricStat
		return Metric{Namespace: ms.Metric.Namespace, Name: ms.Metric.MetricName, Dimensions: ms.Metric.Dimensions,
			Statistic: ms.Stat, Period: ms.Period, Unit: ms.Unit, query: i}, true
	}
	return Metric{}, false
}

// source identifies what the datapoints of m measure.
func (m Metric) source() string {
	dims := make([]string, 0, len(m.Dimensions))
	for _, d := range m.Dimensions {
		dims = append(dims, d.Name+"="+d.Value)
	}
	slices.Sort(dims)
	return strings.Join([]string{m.Namespace, m.Name, strings.Join(dims, ","), m.Statistic, fmt.Sprint(m.Period), string(m.Unit)}, "|")
}

// RuleOf is a MetricAlarm's rule; false when its spec names no metric.
func RuleOf(a *ecsv1alpha1.MetricAlarm) (Rule, bool) {
	m, ok := MetricOf(&a.Spec)
	if !ok {
		return Rule{}, false
	}
	r := Rule{
		Period: time.Duration(m.Period) * time.Second, EvaluationPeriods: ptr.Deref(a.Spec.EvaluationPeriods, 1),
		ComparisonOperator: ecsv1alpha1.ComparisonOperator(a.Spec.ComparisonOperator), TreatMissingData: a.Spec.TreatMissingData,
		Statistic: m.Statistic, Source: m.source(),
	}
	if a.Spec.Threshold != nil {
		r.Threshold = *a.Spec.Threshold
	}
	if a.Spec.DatapointsToAlarm != nil {
		r.DatapointsToAlarm = *a.Spec.DatapointsToAlarm
	}
	return r, true
}

// Source is where Berth reads a metric: a service's or a cluster's figures
// (ECS names; Service empty: the cluster's), as internal/ecsmetrics
// computes them.
type Source struct {
	MetricNS, MetricName, Statistic string
	Cluster, Service                string
}

// ResourceID is the service the source reads, service/<cluster>/<service>
// (resolve.ResourceID's form), or "" for a cluster's metric.
func (s Source) ResourceID() string {
	if s.Service == "" {
		return ""
	}
	return names.ServiceResourceID(s.Cluster, s.Service)
}

// scope says which dimensions a metric Berth publishes has.
type scope int

const (
	serviceScope scope = 1 << iota
	clusterScope
)

// published are the metrics Berth publishes (docs/metrics.md), by
// namespace and name, with the dimension sets they have.
var published = map[string]map[string]scope{
	ecsmetrics.NamespaceECS: {
		ecsmetrics.CPUUtilization: serviceScope | clusterScope, ecsmetrics.MemoryUtilization: serviceScope | clusterScope,
	},
	ecsmetrics.NamespaceContainerInsights: {
		ecsmetrics.RunningTaskCount: serviceScope, ecsmetrics.PendingTaskCount: serviceScope, ecsmetrics.DesiredTaskCount: serviceScope,
		ecsmetrics.ServiceCount: clusterScope, ecsmetrics.TaskCount: clusterScope,
		ecsmetrics.CPUUtilized: serviceScope | clusterScope, ecsmetrics.CPUReserved: serviceScope | clusterScope,
		ecsmetrics.MemoryUtilized: serviceScope | clusterScope, ecsmetrics.MemoryReserved: serviceScope | clusterScope,
	},
}

// publishedNames lists a namespace's metrics, sorted.
func publishedNames(ns string) string {
	var out []string
	for n := range published[ns] {
		out = append(out, n)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// Resolve says where Berth reads an alarm's metric. The error, for a metric
// Berth does not publish (an alarm that would never have data), names the
// member the user must change.
func Resolve(m Metric) (Source, *field.Error) {
	metrics, ok := published[m.Namespace]
	if !ok {
		return Source{}, field.Invalid(m.path("namespace"), m.Namespace, fmt.Sprintf(
			"Berth publishes the metrics of namespaces %s and %s only (docs/metrics.md): an alarm on another namespace would never have data",
			ecsmetrics.NamespaceECS, ecsmetrics.NamespaceContainerInsights))
	}
	sc, ok := metrics[m.Name]
	if !ok {
		return Source{}, field.Invalid(m.path("metricName"), m.Name, fmt.Sprintf("Berth publishes no %s metric of that name: it publishes %s", m.Namespace, publishedNames(m.Namespace)))
	}
	src := Source{MetricNS: m.Namespace, MetricName: m.Name, Statistic: m.Statistic}
	var cluster, service int
	for _, d := range m.Dimensions {
		switch d.Name {
		case ecsmetrics.DimensionClusterName:
			cluster++
			src.Cluster = d.Value
		case ecsmetrics.DimensionServiceName:
			service++
			src.Service = d.Value
		default:
			cluster = -1
		}
	}
	switch {
	case cluster == 1 && service == 1 && sc&serviceScope != 0, cluster == 1 && service == 0 && sc&clusterScope != 0:
	default:
		return Source{}, field.Invalid(m.path("dimensions"), dimensionNames(m.Dimensions), fmt.Sprintf("%s %s has the dimensions %s", m.Namespace, m.Name, scopeWords(sc)))
	}
	if unit := ecsmetrics.Unit(m.Name); m.Unit != "" && string(m.Unit) != unit {
		return Source{}, field.Invalid(m.path("unit"), m.Unit, fmt.Sprintf("%s %s is published in %s: an alarm on unit %s would never have data", m.Namespace, m.Name, unit, m.Unit))
	}
	if !slices.Contains(ecsmetrics.Statistics, m.Statistic) {
		return Source{}, field.Invalid(m.path("statistic"), m.Statistic, "Berth evaluates the statistics "+strings.Join(ecsmetrics.Statistics, ", "))
	}
	return src, nil
}

func dimensionNames(dims []ecsv1alpha1.MetricDimension) string {
	out := make([]string, 0, len(dims))
	for _, d := range dims {
		out = append(out, d.Name)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func scopeWords(sc scope) string {
	svc := ecsmetrics.DimensionClusterName + " and " + ecsmetrics.DimensionServiceName + " (a service's)"
	cl := ecsmetrics.DimensionClusterName + " alone (the cluster's)"
	switch sc {
	case serviceScope:
		return svc
	case clusterScope:
		return cl
	}
	return svc + " or " + cl
}

// ResourceID is the service a MetricAlarm's metric names,
// service/<cluster>/<service>, or "" (a cluster's metric, or none): the
// alarms a Service's creation or deletion concerns.
func ResourceID(a *ecsv1alpha1.MetricAlarm) string {
	m, ok := MetricOf(&a.Spec)
	if !ok {
		return ""
	}
	var cluster, service string
	for _, d := range m.Dimensions {
		switch d.Name {
		case ecsmetrics.DimensionClusterName:
			cluster = d.Value
		case ecsmetrics.DimensionServiceName:
			service = d.Value
		}
	}
	if cluster == "" || service == "" {
		return ""
	}
	return names.ServiceResourceID(cluster, service)
}
