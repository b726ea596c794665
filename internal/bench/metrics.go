package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is one scrape of a Prometheus endpoint.
type Metrics map[string]*dto.MetricFamily

// ParseMetrics parses the Prometheus text format.
func ParseMetrics(r io.Reader) (Metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	m, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return m, nil
}

// scrape GETs url with the HTTP client and parses the answer.
func scrape(ctx context.Context, c *http.Client, url string) (Metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	return ParseMetrics(resp.Body)
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// SumBy sums a counter or gauge family by the value of one label, keeping
// only the samples whose labels match every pair of filter.
func (ms Metrics) SumBy(name, by string, filter map[string]string) map[string]float64 {
	res := map[string]float64{}
	f := ms[name]
	if f == nil {
		return res
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range filter {
			if label(m, k) != v {
				continue next
			}
		}
		res[label(m, by)] += value(m)
	}
	return res
}

// histogram is cumulative bucket counts keyed by upper bound.
type histogram struct {
	count   uint64
	buckets map[float64]uint64
}

// histograms groups a histogram family by the given labels, joined by " ".
func (ms Metrics) histograms(name string, by ...string) map[string]*histogram {
	res := map[string]*histogram{}
	f := ms[name]
	if f == nil {
		return res
	}
	for _, m := range f.GetMetric() {
		parts := make([]string, len(by))
		for i, b := range by {
			parts[i] = label(m, b)
		}
		k := strings.Join(parts, " ")
		h := res[k]
		if h == nil {
			h = &histogram{buckets: map[float64]uint64{}}
			res[k] = h
		}
		hm := m.GetHistogram()
		h.count += hm.GetSampleCount()
		for _, b := range hm.GetBucket() {
			h.buckets[b.GetUpperBound()] += b.GetCumulativeCount()
		}
	}
	return res
}

// HistogramQuantiles returns, per group of the by labels, the number of
// observations between two scrapes and their q-quantile, interpolated
// within buckets as Prometheus's histogram_quantile does.
func HistogramQuantiles(before, after Metrics, name string, q float64, by ...string) map[string]struct {
	Count    int
	Quantile float64
} {
	res := map[string]struct {
		Count    int
		Quantile float64
	}{}
	b := before.histograms(name, by...)
	for k, ha := range after.histograms(name, by...) {
		hb := b[k]
		delta := map[float64]uint64{}
		count := ha.count
		for ub, c := range ha.buckets {
			delta[ub] = c
			if hb != nil {
				delta[ub] = c - hb.buckets[ub]
			}
		}
		if hb != nil {
			count -= hb.count
		}
		if count == 0 {
			continue
		}
		res[k] = struct {
			Count    int
			Quantile float64
		}{int(count), quantile(delta, q)}
	}
	return res
}

// quantile interpolates the q-quantile of cumulative buckets.
func quantile(buckets map[float64]uint64, q float64) float64 {
	bounds := make([]float64, 0, len(buckets))
	for ub := range buckets {
		bounds = append(bounds, ub)
	}
	sort.Float64s(bounds)
	if len(bounds) == 0 {
		return math.NaN()
	}
	total := buckets[bounds[len(bounds)-1]]
	if total == 0 {
		return math.NaN()
	}
	rank := q * float64(total)
	prevBound, prevCount := 0.0, uint64(0)
	for _, ub := range bounds {
		c := buckets[ub]
		if float64(c) >= rank {
			if math.IsInf(ub, 1) {
				return prevBound // the highest finite bound, as Prometheus does
			}
			if c == prevCount {
				return ub
			}
			return prevBound + (ub-prevBound)*(rank-float64(prevCount))/float64(c-prevCount)
		}
		prevBound, prevCount = ub, c
	}
	return prevBound
}
