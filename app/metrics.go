package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/realtime"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are one Server's Prometheus collectors, in a registry of its own
// (never the global default one: tests run several servers in a process).
// It is the hub's realtime.Observer. /metrics is served only on
// METRICS_ADDR, a listener of its own (see ServeMetrics), never on the
// public port.
type metrics struct {
	reg               *prometheus.Registry
	published         prometheus.Counter
	publishFailed     prometheus.Counter
	delivered         prometheus.Counter
	fanOut            prometheus.Histogram
	queueFull         prometheus.Counter
	gapFilled         prometheus.Counter
	brokerReconnected prometheus.Counter
	http              *prometheus.HistogramVec
	// Secrets verified: passwords (sign-in and every "current password"
	// check; an unknown email's dummy hash counts too) and second-factor
	// codes. A rise is someone guessing; the throttles bound it.
	passwordChecks atomic.Int64
	codeChecks     atomic.Int64
}

var (
	_ realtime.Observer = (*metrics)(nil)
	_ accounts.Meter    = (*metrics)(nil)
)

func (m *metrics) PasswordChecked() { m.passwordChecks.Add(1) }
func (m *metrics) CodeChecked()     { m.codeChecks.Add(1) }

// Latencies here are milliseconds: buckets from 0.1 ms (fan-out to a few
// sockets) and 1 ms (a cached page) up to 10 s.
var (
	fanOutBuckets = []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25}
	httpBuckets   = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
)

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "corkboard", Name: name, Help: help})
		m.reg.MustRegister(c)
		return c
	}
	m.published = counter("events_published_total", "Committed events this instance published to the broker.")
	m.publishFailed = counter("events_publish_failures_total", "Committed events the broker refused (viewers fill them from the log).")
	m.delivered = counter("events_delivered_total", "Event frames queued to this instance's sockets (one per socket per event).")
	m.queueFull = counter("ws_queue_full_total", "Sockets closed 1013 because their send queue was full.")
	m.gapFilled = counter("gap_filled_events_total", "Events read from the log to close a gap in the broker's stream.")
	m.brokerReconnected = counter("broker_reconnects_total", "Times the broker connection came back after a loss.")
	m.fanOut = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "corkboard", Name: "fanout_duration_seconds",
		Help: "Time to queue one event to every local socket of its project.", Buckets: fanOutBuckets})
	m.http = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "corkboard", Name: "http_request_duration_seconds",
		Help: "HTTP requests by method, route pattern and status class.", Buckets: httpBuckets},
		[]string{"method", "route", "status"})
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "corkboard", Name: "password_checks_total",
			Help: "Passwords verified (argon2id): sign-in and current-password checks."},
			func() float64 { return float64(m.passwordChecks.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "corkboard", Name: "second_factor_checks_total",
			Help: "Two-factor codes (TOTP or backup) verified."},
			func() float64 { return float64(m.codeChecks.Load()) }))
	m.reg.MustRegister(m.fanOut, m.http,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watch registers the gauges read from the server when scraped: open
// sockets and rooms, and the database pool.
func (m *metrics) watch(s *Server) {
	gauge := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "corkboard", Name: name, Help: help}, f))
	}
	gauge("ws_connections", "Open live-board sockets on this instance.", func() float64 { return float64(s.hub.Stats().Conns) })
	gauge("ws_rooms", "Projects with at least one socket on this instance.", func() float64 { return float64(s.hub.Stats().Rooms) })
	gauge("db_connections_open", "Open connections of the database read pool.", func() float64 { return float64(s.store.PoolStats().OpenConnections) })
	gauge("db_connections_in_use", "Connections of the database read pool in use.", func() float64 { return float64(s.store.PoolStats().InUse) })
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "corkboard", Name: "db_wait_total",
		Help: "Times a query waited for a free pool connection."}, func() float64 { return float64(s.store.PoolStats().WaitCount) }))
}

// The realtime.Observer methods: counters only, cheap under a room's lock.

func (m *metrics) Delivered(n int)        { m.delivered.Add(float64(n)) }
func (m *metrics) FanOut(d time.Duration) { m.fanOut.Observe(d.Seconds()) }
func (m *metrics) QueueFull()             { m.queueFull.Inc() }
func (m *metrics) GapFilled(n int)        { m.gapFilled.Add(float64(n)) }
func (m *metrics) BrokerReconnected()     { m.brokerReconnected.Inc() }

// published counts one committed event handed to the broker (or refused
// by it).
func (m *metrics) publishedEvent(err error) {
	if err != nil {
		m.publishFailed.Inc()
		return
	}
	m.published.Inc()
}

// observeHTTP records one request under its route pattern (c.Route().Path,
// never the raw path, which would make a series per issue id). A request
// that ended in a root middleware (a refusal before routing, or the 404 of
// no route) is "unmatched": its route is "/" but its path is not.
func (m *metrics) observeHTTP(c *fiber.Ctx, d time.Duration) {
	route := "unmatched"
	if r := c.Route(); r != nil && (r.Path != "/" || c.Path() == "/") {
		route = r.Path
	}
	m.http.WithLabelValues(c.Method(), route, statusClass(c.Response().StatusCode())).Observe(d.Seconds())
}

func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}

// MetricsHandler serves this server's registry in the Prometheus text
// format.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{Registry: s.metrics.reg})
}

// ServeMetrics answers GET /metrics on ln until ctx ends. Run calls it when
// METRICS_ADDR is set; the address should be private (loopback, or a port
// the load balancer does not publish), as nothing guards it.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.MetricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startMetrics serves /metrics on METRICS_ADDR, if set, until the returned
// stop is called.
func (s *Server) startMetrics() (stop func(), err error) {
	if s.cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	s.log.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.ServeMetrics(ctx, ln); err != nil {
			s.log.Error("metrics listener", "err", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}
