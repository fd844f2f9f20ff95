package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape serves s's /metrics on a real listener and reads it over HTTP.
func scrape(t *testing.T, s *Server) map[string]*dto.MetricFamily {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeMetrics(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("metrics listener: %v", err)
		}
	}()
	res, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// value is a counter's or gauge's value (the sum over its series).
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	sum := 0.0
	for _, m := range f.Metric {
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// routeCount is the number of requests the HTTP histogram holds for labels.
func routeCount(fams map[string]*dto.MetricFamily, method, route, status string) uint64 {
	for _, m := range fams["corkboard_http_request_duration_seconds"].GetMetric() {
		l := map[string]string{}
		for _, lp := range m.Label {
			l[lp.GetName()] = lp.GetValue()
		}
		if l["method"] == method && l["route"] == route && l["status"] == status {
			return m.Histogram.GetSampleCount()
		}
	}
	return 0
}

// TestMetricsAfterAMoveAndAViewer scrapes /metrics over HTTP after a card
// moved while a WebSocket viewer watched: events published and delivered,
// one open socket, fan-out observed, and the move counted under its route
// pattern (never its raw path).
func TestMetricsAfterAMoveAndAViewer(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{})
	a, p, issues := ls.board("metrics@example.com", 2)
	var cur models.Project
	a.must(200, "GET", "/api/v1/projects/"+p.ID, nil, &cur)
	conn := ls.mustDial(a, p.ID, cur.Seq)
	if f := next(t, conn); f.Type != "hello" {
		t.Fatalf("first frame %s", f.Type)
	}
	before := scrape(t, ls.Server)
	if got := value(t, before, "corkboard_ws_connections"); got != 1 {
		t.Fatalf("ws_connections %v, want 1", got)
	}
	published0 := value(t, before, "corkboard_events_published_total")
	if published0 < 2 { // the two issues
		t.Errorf("events_published_total %v before the move, want >= 2", published0)
	}

	a.must(200, "POST", "/api/v1/projects/"+p.ID+"/issues/"+issues[0].ID+"/move", map[string]string{"status": "done"}, nil)
	if f := next(t, conn); f.Type != "issue.moved" {
		t.Fatalf("viewer got %s, want issue.moved", f.Type)
	}
	a.do("GET", "/no/such/page/"+issues[1].ID, nil)

	after := scrape(t, ls.Server)
	if got := value(t, after, "corkboard_events_published_total"); got != published0+1 {
		t.Errorf("events_published_total %v after one move, want %v", got, published0+1)
	}
	if got := value(t, after, "corkboard_events_delivered_total"); got < 1 {
		t.Errorf("events_delivered_total %v, want >= 1", got)
	}
	if got := value(t, after, "corkboard_fanout_duration_seconds"); got < 1 {
		t.Errorf("fanout observations %v, want >= 1", got)
	}
	if got := value(t, after, "corkboard_ws_connections"); got != 1 {
		t.Errorf("ws_connections %v, want 1", got)
	}
	if n := routeCount(after, "POST", "/api/v1/projects/:pid/issues/:iid/move", "2xx"); n != 1 {
		t.Errorf("move route observed %d times, want 1", n)
	}
	if n := routeCount(after, "POST", "/api/v1/projects/:pid/issues", "2xx"); n != 2 {
		t.Errorf("create-issue route observed %d times, want 2", n)
	}
	if n := routeCount(after, "GET", "unmatched", "4xx"); n != 1 {
		t.Errorf("unmatched 404 observed %d times, want 1", n)
	}
	for _, m := range after["corkboard_http_request_duration_seconds"].GetMetric() {
		for _, lp := range m.Label {
			if strings.Contains(lp.GetValue(), p.ID) || strings.Contains(lp.GetValue(), issues[1].ID) {
				t.Errorf("a raw path reached a label: %s=%s", lp.GetName(), lp.GetValue())
			}
		}
	}

	// The viewer leaves: the gauge follows (polled: the hub unregisters
	// after the socket's read loop ends).
	conn.Close(1000, "")
	deadline := time.Now().Add(10 * time.Second)
	for value(t, scrape(t, ls.Server), "corkboard_ws_connections") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("ws_connections did not return to 0")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMetricsNotOnThePublicPort: /metrics is only on METRICS_ADDR.
func TestMetricsNotOnThePublicPort(t *testing.T) {
	ts := newTestServer(t)
	if res, _ := ts.anon().do("GET", "/metrics", nil); res.StatusCode != 404 {
		t.Fatalf("GET /metrics on the app's port: %d, want 404", res.StatusCode)
	}
}

// TestMetricsPerServer: two servers in one process keep separate counts
// (no global registry).
func TestMetricsPerServer(t *testing.T) {
	one, two := newTestServer(t), newTestServer(t)
	for i := range 3 {
		one.anon().do("GET", fmt.Sprintf("/health?%d", i), nil)
	}
	if n := routeCount(scrape(t, one.Server), "GET", "/health", "2xx"); n != 3 {
		t.Errorf("server one: /health observed %d times, want 3", n)
	}
	if n := routeCount(scrape(t, two.Server), "GET", "/health", "2xx"); n != 0 {
		t.Errorf("server two: /health observed %d times, want 0", n)
	}
}

// BenchmarkObserverFanOut is the metrics work a room does per event, under
// its lock: one Delivered and one FanOut.
func BenchmarkObserverFanOut(b *testing.B) {
	m := newMetrics()
	for b.Loop() {
		m.Delivered(10)
		m.FanOut(120 * time.Microsecond)
	}
}
