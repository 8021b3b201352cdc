// Package metrics exposes Steward's own figures to Prometheus: requests,
// job runs, ingestion, the journal's queue, and the headline governance
// figures, so existing dashboards can graph them.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds Steward's collectors in a registry of its own.
type Metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	jobRuns     *prometheus.CounterVec
	jobDuration *prometheus.HistogramVec
	ingested    *prometheus.CounterVec
}

// New registers Steward's collectors, with Go runtime and process figures.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_http_requests_total", Help: "HTTP requests answered, by method, route pattern and status class.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "steward_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_job_runs_total", Help: "Job runs finished, by job and outcome.",
		}, []string{"job", "status"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "steward_job_run_duration_seconds", Help: "How long job runs took, by job.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600},
		}, []string{"job"}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_ingest_events_total", Help: "Events acknowledged by the ingest endpoints, by source kind.",
		}, []string{"kind"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.jobRuns, m.jobDuration, m.ingested,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus' exposition format.
func (m *Metrics) Handler() http.Handler {
	// Echo's gzip middleware compresses; compressing here too would
	// send gzip inside gzip.
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry, DisableCompression: true})
}

// Register adds a collector, such as the governance figures.
func (m *Metrics) Register(c prometheus.Collector) error { return m.registry.Register(c) }

// Gauge registers a gauge read at scrape time.
func (m *Metrics) Gauge(name, help string, read func() float64) error {
	return m.registry.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, read))
}

// Counter registers a counter read at scrape time, for totals kept
// elsewhere (the journal's appends and fsyncs).
func (m *Metrics) Counter(name, help string, read func() float64) error {
	return m.registry.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, read))
}

// Request records one answered request; route is the pattern ("/apis/:api"),
// never the path, so the number of series stays bounded.
func (m *Metrics) Request(method, route string, status int, took time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status/100)+"xx").Inc()
	m.duration.WithLabelValues(route).Observe(took.Seconds())
}

// JobFinished records one job run's outcome and duration.
func (m *Metrics) JobFinished(job, status string, took time.Duration) {
	m.jobRuns.WithLabelValues(job, status).Inc()
	m.jobDuration.WithLabelValues(job).Observe(took.Seconds())
}

// Ingested counts acknowledged events; refused ingest requests show in
// the requests counter under their route and status class.
func (m *Metrics) Ingested(kind string, n int) { m.ingested.WithLabelValues(kind).Add(float64(n)) }
