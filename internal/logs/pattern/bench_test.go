package pattern

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Realistic events: an application's text log (one in ten an ERROR), its
// JSON log, and an Apache access log.
var (
	benchText   []string
	benchJSON   []string
	benchApache []string
)

func init() {
	for k := 0; k < 100; k++ {
		level, msg := "INFO", fmt.Sprintf("order %d created for customer %d in %d ms", 10000+k, 600+k%37, 20+k%50)
		if k%10 == 3 {
			level, msg = "ERROR", fmt.Sprintf("order %d failed: connection reset by peer (attempt %d)", 10000+k, k%4)
		}
		benchText = append(benchText, fmt.Sprintf(
			"2024-05-01T12:%02d:%02d.%03dZ %s [http-nio-8080-exec-%d] c.e.orders.OrderService - %s",
			k/60, k%60, k*7%1000, level, k%8, msg))
		status := []int{200, 200, 200, 201, 304, 404, 500, 200, 200, 302}[k%10]
		benchJSON = append(benchJSON, fmt.Sprintf(
			`{"time":"2024-05-01T12:%02d:%02d.%03dZ","level":"%s","msg":"request completed","method":"GET",`+
				`"path":"/api/v1/orders/%d","status":%d,"latency":%d.%d,"user":{"id":%d,"roles":["admin","dev"]},`+
				`"trace_id":"4bf92f3577b34da6a3ce929d0e0e%04d"}`,
			k/60, k%60, k*7%1000, strings.ToLower(level), 10000+k, status, 5+k*13%900, k%10, 600+k%37, k))
		benchApache = append(benchApache, fmt.Sprintf(
			`10.0.%d.%d - frank [10/Oct/2000:13:%02d:%02d -0700] "GET /shop/item%d.html HTTP/1.1" %d %d`,
			k%4, k%250, k/60, k%60, k, status, 200+k*97%3000))
	}
}

var benchSink int

// BenchmarkMatch measures Match per event over the events above.
func BenchmarkMatch(b *testing.B) {
	for _, c := range []struct {
		name, pattern string
		events        []string
	}{
		{"term", `ERROR`, benchText},
		{"terms", `ERROR -timeout "connection reset"`, benchText},
		{"any-term", `?ERROR ?WARN ?FATAL`, benchText},
		{"regex", `%order \d+ failed%`, benchText},
		{"json", `{ $.level = "error" }`, benchJSON},
		{"json-compound", `{ $.status >= 500 || ($.latency > 500 && $.user.roles[*] = "admin") }`, benchJSON},
		{"json-regex", `{ $.path = %^/api/v1/orders/1000[0-9]$% }`, benchJSON},
		{"delimited", `[ip, user, username, timestamp, request = *.html*, status_code = 4* || status_code = 5*, bytes > 1000]`, benchApache},
		{"delimited-ellipsis", `[..., status_code = 5*, bytes]`, benchApache},
	} {
		p, err := Parse(c.pattern)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; i < b.N; i++ {
				if p.Match(c.events[i%len(c.events)]) {
					n++
				}
			}
			benchSink = n
		})
	}
}

// BenchmarkDecodeJSON is the alternative to the scanner: encoding/json
// decoding each event into an any.
func BenchmarkDecodeJSON(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var v any
		d := json.NewDecoder(strings.NewReader(benchJSON[i%len(benchJSON)]))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}
