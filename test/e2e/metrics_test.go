package e2e

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	resourcehelper "k8s.io/component-helpers/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/awsapi/endpoint"
	"github.com/berth-dev/berth/internal/ecsmetrics"
	"github.com/berth-dev/berth/internal/localrun"
	berthnames "github.com/berth-dev/berth/internal/names"
)

// metricsSampleInterval is how often the e2e operator samples the ECS
// metrics: 10 s instead of ECS's minute, so that the first samples come
// soon after the tasks' use shows. metrics-server scrapes kwok every 10 s
// and a change shows in PodMetrics 10-20 s after it (internal/localcp), so
// a change reaches a sample within about 30 s: inside the next 1-minute
// period, which is what the test checks with the Period=60 the AWS CLI
// sends.
const metricsSampleInterval = 10 * time.Second

// metricStore is the e2e operator's store (main_test.go gives it to the
// operator), served by metricsAPI's endpoint, as make run's in-process
// endpoint would.
var metricStore = ecsmetrics.NewStore(ecsmetrics.Retention, metricsSampleInterval)

var (
	metricsOnce sync.Once
	metricsEP   apiEndpoint
	metricsErr  error
)

// metricsAPI is ecsAPI's endpoint (its key and namespace) with the
// operator's metrics as its CloudWatch source.
func metricsAPI(t *testing.T) apiEndpoint {
	t.Helper()
	e := ecsAPI(t)
	metricsOnce.Do(func() {
		var ep *endpoint.Endpoint
		ep, metricsErr = endpoint.New(cp.AdminConfig(), endpoint.Options{Addr: "127.0.0.1:0", KeyNamespace: localrun.Namespace,
			Account: berthnames.DefaultAccount, MetricSource: metricStore, Log: logf.Log.WithName("api-metrics")})
		if metricsErr != nil {
			return
		}
		ready := make(chan string, 1)
		errc := make(chan error, 1)
		go func() { errc <- ep.Serve(context.Background(), func(a string) { ready <- a }) }()
		select {
		case a := <-ready:
			metricsEP = e
			metricsEP.url = "http://" + a
		case metricsErr = <-errc:
		}
	})
	if metricsErr != nil {
		t.Fatalf("the endpoint with the operator's metrics: %v", metricsErr)
	}
	return metricsEP
}

// datapoint is one of get-metric-statistics' datapoints.
type datapoint struct {
	At                    time.Time
	Average, Max, Samples float64
}

// TestMetricsWithTheAWSCLI: a service's two tasks use what their kwok
// usage annotations say; aws cloudwatch get-metric-statistics returns the
// CPUUtilization that implies (used over the task's cpu, within 5 %) and,
// when the annotations change, the new figure in a period that starts
// within 2 periods (of 60 s) of the change. list-metrics, get-metric-data,
// Container Insights' RunningTaskCount, a time range that ends before it
// starts, and the operator's Prometheus gauge too.
func TestMetricsWithTheAWSCLI(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	e := metricsAPI(t)
	const cluster, svc = "metrics", "metricweb"
	began := time.Now()

	e.aws(t, "ecs", "create-cluster", "--cluster-name", cluster, "--capacity-providers", "FARGATE",
		"--default-capacity-provider-strategy", "capacityProvider=FARGATE,weight=1")
	e.aws(t, "ecs", "register-task-definition", "--cli-input-json", writeJSON(t, map[string]any{
		"family": "metrics-web", "networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"}, "cpu": "256", "memory": "512",
		"containerDefinitions": []map[string]any{{"name": "app", "image": "nginx", "essential": true}},
	}))
	e.aws(t, "ecs", "create-service", "--cluster", cluster, "--service-name", svc, "--task-definition", "metrics-web",
		"--desired-count", "2", "--network-configuration", "awsvpcConfiguration={subnets=[subnet-1]}")
	e.aws(t, "ecs", "wait", "services-stable", "--cluster", cluster, "--services", svc)
	defer e.aws(t, "ecs", "delete-service", "--cluster", cluster, "--service", svc, "--force")

	var pods corev1.PodList
	g.Expect(admin.List(ctx, &pods, client.InNamespace(e.ns), client.MatchingLabels{ecsv1alpha1.LabelCluster: cluster})).To(Succeed())
	g.Expect(pods.Items).To(HaveLen(2))
	// What ECS reserves for a task: its cpu (256 units) as Berth
	// translates it into the pod's requests.
	var reservedCPU int64
	for i := range pods.Items {
		req := resourcehelper.PodRequests(&pods.Items[i], resourcehelper.PodResourcesOptions{})
		reservedCPU += req.Cpu().MilliValue()
	}
	g.Expect(reservedCPU).To(BeNumerically(">", 0))
	use := func(cpu string) {
		for i := range pods.Items {
			p := &pods.Items[i]
			patch := client.RawPatch("application/merge-patch+json", fmt.Appendf(nil,
				`{"metadata":{"annotations":{"kwok.x-k8s.io/usage-cpu":%q,"kwok.x-k8s.io/usage-memory":"256Mi"}}}`, cpu))
			g.Expect(admin.Patch(ctx, p, patch)).To(Succeed())
		}
	}
	want := func(milli int64) float64 { return 100 * float64(milli*int64(len(pods.Items))) / float64(reservedCPU) }

	stats := func() []datapoint {
		now := time.Now().UTC()
		out := e.aws(t, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization",
			"--dimensions", "Name=ClusterName,Value="+cluster, "Name=ServiceName,Value="+svc,
			"--start-time", now.Add(-15*time.Minute).Format(time.RFC3339), "--end-time", now.Add(time.Minute).Format(time.RFC3339),
			"--period", "60", "--statistics", "Average", "Maximum", "SampleCount")
		var dps []datapoint
		raw, _ := path(out, "Datapoints").([]any)
		for _, d := range raw {
			// AWS CLI v1 prints timestamps as they came (epoch seconds)
			// unless cli_timestamp_format says otherwise.
			var at time.Time
			switch ts := path(d, "Timestamp").(type) {
			case float64:
				at = time.UnixMilli(int64(ts * 1000)).UTC()
			case string:
				var err error
				at, err = time.Parse(time.RFC3339, ts)
				g.Expect(err).NotTo(HaveOccurred())
			}
			g.Expect(path(d, "Unit")).To(Equal("Percent"))
			dps = append(dps, datapoint{At: at, Average: path(d, "Average").(float64), Max: path(d, "Maximum").(float64), Samples: path(d, "SampleCount").(float64)})
		}
		return dps
	}
	// within5 finds the first datapoint at or after from whose Average is
	// within 5 % of w.
	within5 := func(dps []datapoint, from time.Time, w float64) (datapoint, bool) {
		for _, d := range dps {
			if !d.At.Before(from) && math.Abs(d.Average-w) <= 0.05*w {
				return d, true
			}
		}
		return datapoint{}, false
	}

	// 125m of each task's cpu.
	use("125m")
	annotated := time.Now()
	first := want(125)
	var got datapoint
	g.Eventually(func() bool {
		var ok bool
		got, ok = within5(stats(), time.Time{}, first)
		return ok
	}).WithTimeout(4*time.Minute).WithPolling(5*time.Second).Should(BeTrue(), "CPUUtilization %.1f %% within 5 %%", first)
	t.Logf("CPUUtilization %.2f %% (want %.2f %%: 2 × 125m of %dm reserved), SampleCount %v, %s after the annotations",
		got.Average, first, reservedCPU, got.Samples, time.Since(annotated).Round(time.Second))

	// The use rises to 200m.
	use("200m")
	changed := time.Now()
	second := want(200)
	g.Eventually(func() bool {
		var ok bool
		got, ok = within5(stats(), changed.Truncate(time.Minute), second)
		return ok
	}).WithTimeout(4*time.Minute).WithPolling(5*time.Second).Should(BeTrue(), "CPUUtilization %.1f %% after the change", second)
	t.Logf("after the change: %.2f %% (want %.2f %%) in the period of %s, %s after the change; seen %s after it",
		got.Average, second, got.At.Format("15:04:05"), got.At.Sub(changed).Round(time.Second), time.Since(changed).Round(time.Second))
	g.Expect(got.At.Sub(changed)).To(BeNumerically("<", 2*time.Minute), "the new figure is in a period that starts within 2 periods of the change")

	// list-metrics lists the service's and the cluster's series.
	lm := e.aws(t, "cloudwatch", "list-metrics", "--namespace", "AWS/ECS", "--dimensions", "Name=ServiceName,Value="+svc)
	var listed []string
	metrics, _ := path(lm, "Metrics").([]any)
	for _, m := range metrics {
		listed = append(listed, path(m, "MetricName").(string))
	}
	g.Expect(listed).To(ConsistOf("CPUUtilization", "MemoryUtilization"))

	// get-metric-data: the running tasks (Container Insights) and the
	// memory (256Mi of 512Mi).
	now := time.Now().UTC()
	gmd := e.aws(t, "cloudwatch", "get-metric-data", "--start-time", now.Add(-5*time.Minute).Format(time.RFC3339), "--end-time", now.Format(time.RFC3339),
		"--metric-data-queries", writeJSON(t, []map[string]any{
			{"Id": "tasks", "MetricStat": map[string]any{"Metric": map[string]any{"Namespace": "ECS/ContainerInsights", "MetricName": "RunningTaskCount",
				"Dimensions": []map[string]string{{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": svc}}}, "Period": 60, "Stat": "Maximum"}},
			{"Id": "mem", "MetricStat": map[string]any{"Metric": map[string]any{"Namespace": "AWS/ECS", "MetricName": "MemoryUtilization",
				"Dimensions": []map[string]string{{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": svc}}}, "Period": 60, "Stat": "Average"}},
		}))
	g.Expect(path(gmd, "MetricDataResults.0.Id")).To(Equal("tasks"))
	g.Expect(path(gmd, "MetricDataResults.0.Values.0")).To(BeNumerically("==", 2))
	g.Expect(path(gmd, "MetricDataResults.1.Values.0")).To(BeNumerically("~", 50, 2.5))

	// A time range that ends before it starts: CloudWatch's error.
	out, err := e.awsRaw("cloudwatch", "get-metric-statistics", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization",
		"--start-time", now.Format(time.RFC3339), "--end-time", now.Add(-time.Hour).Format(time.RFC3339), "--period", "60", "--statistics", "Average")
	g.Expect(err).To(HaveOccurred())
	g.Expect(string(out)).To(ContainSubstring("An error occurred (InvalidParameterValue) when calling the GetMetricStatistics operation: The parameter StartTime must be less than the parameter EndTime."))
	out, err = e.awsRaw("cloudwatch", "get-metric-statistics", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization",
		"--start-time", now.Add(-time.Hour).Format(time.RFC3339), "--end-time", now.Format(time.RFC3339), "--period", "90", "--statistics", "Average")
	g.Expect(err).To(HaveOccurred())
	g.Expect(string(out)).To(ContainSubstring("(InvalidParameterValue) when calling the GetMetricStatistics operation: The parameter Period must be a multiple of 60."))

	// The operator's metrics endpoint has the service's gauge.
	g.Expect(gauge("berth_service_cpu_utilization_percent", e.ns, cluster, svc)).To(BeNumerically("~", second, 0.05*second))
	g.Expect(gauge("berth_service_running_tasks", e.ns, cluster, svc)).To(BeNumerically("==", 2))
	t.Logf("TestMetricsWithTheAWSCLI took %s", time.Since(began).Round(time.Second))
}

// gauge reads a service gauge from controller-runtime's registry (what the
// operator's /metrics serves); -1 when it has no such series.
func gauge(name, namespace, cluster, service string) float64 {
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return -1
	}
	want := map[string]string{"namespace": namespace, "cluster": cluster, "service": service}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.Metric {
			if labelsEqual(m.Label, want) {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

func labelsEqual(got []*dto.LabelPair, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, l := range got {
		if want[l.GetName()] != l.GetValue() {
			return false
		}
	}
	return true
}
