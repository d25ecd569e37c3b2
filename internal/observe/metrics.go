// Package observe gives the worker what a cluster operator expects: Prometheus metrics (the SDK's
// own and the engine's), health endpoints, OpenTelemetry tracing and structured logs.
//
// Metric names are stable: dashboards and alerts are built on them (deploy/grafana/breachflow.json
// is checked against EngineMetricNames by a test). Labels hold template names, notice kinds,
// transports and incident statuses only: never an incident ID, an address or a fact.
package observe

import (
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	contribtally "go.temporal.io/sdk/contrib/tally"
)

// The engine's own metrics. The SDK's metrics (workflow and activity task latencies, poller
// counts, …) are exported beside them under the prefix SDKMetricPrefix.
const (
	// MetricNoticesSent counts notices delivered (not those a retry found already delivered),
	// labelled template, kind and transport.
	MetricNoticesSent = "breachflow_notices_sent_total"
	// MetricNoticesAlreadySent counts send attempts that found, in the ledger, that an earlier
	// attempt had delivered the notice: duplicates prevented.
	MetricNoticesAlreadySent = "breachflow_notices_already_sent_total"
	// MetricNoticeFailures counts failed send attempts, labelled template, kind and transport.
	// The workflow retries them; a rising rate means mail is not leaving.
	MetricNoticeFailures = "breachflow_notice_failures_total"
	// MetricNoticeLateness is the delivery time minus the time the notice was due (a reminder's or
	// escalation's moment, an obligation's deadline), in seconds, labelled kind. Notices sent early
	// or on time fall in the le="0" bucket; notices with no due time are not observed.
	MetricNoticeLateness = "breachflow_notice_lateness_seconds"
	// MetricIncidents is the number of incidents by status: open (running) and closed.
	MetricIncidents = "breachflow_incidents"
	// MetricIncidentsOverdue is the number of open incidents with at least one overdue obligation.
	MetricIncidentsOverdue = "breachflow_incidents_overdue"
	// MetricOverdueObligations is the number of overdue obligations across open incidents.
	MetricOverdueObligations = "breachflow_overdue_obligations"
	// MetricGaugeRefreshes counts refreshes of the incident gauges from visibility, labelled
	// result (ok or error): the gauges are only as fresh as the last ok.
	MetricGaugeRefreshes = "breachflow_gauge_refreshes_total"
	// MetricGaugesUpdated is the Unix time of the last successful refresh of the incident gauges.
	MetricGaugesUpdated = "breachflow_gauges_updated_timestamp_seconds"
)

// SDKMetricPrefix starts the name of every metric the Temporal SDK exports.
const SDKMetricPrefix = "temporal_"

// EngineMetricNames lists the engine's metric families as exported (a histogram also exports
// _bucket, _sum and _count series).
var EngineMetricNames = []string{
	MetricNoticesSent, MetricNoticesAlreadySent, MetricNoticeFailures, MetricNoticeLateness,
	MetricIncidents, MetricIncidentsOverdue, MetricOverdueObligations,
	MetricGaugeRefreshes, MetricGaugesUpdated,
}

// LatenessBuckets are the lateness histogram's upper bounds in seconds: on time, then from a
// second to a week.
var LatenessBuckets = []float64{0, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600}

// Metrics holds the registry the worker serves on /metrics: the engine's metrics, the SDK's
// (through tally's Prometheus reporter) and the Go runtime's.
type Metrics struct {
	// Registry gathers every metric; Handler serves it.
	Registry *prometheus.Registry

	sent, alreadySent, failures *prometheus.CounterVec
	lateness                    *prometheus.HistogramVec
	incidents                   *prometheus.GaugeVec
	incidentsOverdue, overdue   prometheus.Gauge
	refreshes                   *prometheus.CounterVec
	updated                     prometheus.Gauge

	sdk   client.MetricsHandler
	scope io.Closer
}

// NewMetrics creates the registry and the SDK's metrics handler. Close flushes the SDK's scope.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	noticeLabels := []string{"template", "kind", "transport"}
	m := &Metrics{
		Registry: reg,
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricNoticesSent,
			Help: "Notices delivered, by template, kind and transport."}, noticeLabels),
		alreadySent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricNoticesAlreadySent,
			Help: "Send attempts that found the notice already delivered (duplicates prevented)."}, noticeLabels),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricNoticeFailures,
			Help: "Failed notice send attempts (retried), by template, kind and transport."}, noticeLabels),
		lateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricNoticeLateness,
			Help:    "Delivery time minus due time of notices with a due time (reminders, escalations, own notices with a deadline), by kind.",
			Buckets: LatenessBuckets}, []string{"kind"}),
		incidents: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricIncidents,
			Help: "Incidents by status (open: running; closed), from visibility."}, []string{"status"}),
		incidentsOverdue: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricIncidentsOverdue,
			Help: "Open incidents with at least one overdue obligation, from visibility."}),
		overdue: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricOverdueObligations,
			Help: "Overdue obligations across open incidents, from visibility."}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricGaugeRefreshes,
			Help: "Refreshes of the incident gauges from visibility, by result (ok, error)."}, []string{"result"}),
		updated: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricGaugesUpdated,
			Help: "Unix time of the last successful refresh of the incident gauges."}),
	}
	for _, c := range []prometheus.Collector{
		m.sent, m.alreadySent, m.failures, m.lateness, m.incidents, m.incidentsOverdue, m.overdue,
		m.refreshes, m.updated,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering metrics: %w", err)
		}
	}
	// Series that exist from the start, so that rate() and absent() work before the first event.
	m.refreshes.WithLabelValues("ok")
	m.refreshes.WithLabelValues("error")

	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer: reg,
		// Histograms, not summaries: they aggregate across workers.
		DefaultTimerType: tallyprom.HistogramTimerType,
		// The reporter registers lazily, at a metric's first use; one the SDK would register twice
		// with other labels is dropped rather than crashing the worker (tally's default).
		OnRegisterError: func(error) {},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &contribtally.PrometheusSanitizeOptions,
	}, time.Second)
	m.sdk = contribtally.NewMetricsHandler(contribtally.NewPrometheusNamingScope(scope))
	m.scope = closer
	return m, nil
}

// SDKHandler is the MetricsHandler for client.Options: the SDK reports through it.
func (m *Metrics) SDKHandler() client.MetricsHandler { return m.sdk }

// Close flushes and stops the SDK's metrics scope.
func (m *Metrics) Close() error { return m.scope.Close() }

// labelOr returns v, or "unknown" for inputs written before the label existed.
func labelOr(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}
