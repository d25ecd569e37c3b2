package observe_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/internal/observe"
	"github.com/breachflow/breachflow/workflows"
)

// syncBuffer is a bytes.Buffer safe for the worker's concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// failOnce fails its first delivery, as a relay that is briefly down; the activity retries.
type failOnce struct {
	activities.Transport
	failed atomic.Bool
}

func (f *failOnce) Deliver(ctx context.Context, messageID, from string, rcpts []string, raw []byte) (string, error) {
	if !f.failed.Swap(true) {
		return "", errors.New("relay unavailable")
	}
	return f.Transport.Deliver(ctx, messageID, from, rcpts, raw)
}

// scrape GETs /metrics and parses the text exposition.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + observe.PathMetrics)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// sum adds the values (counter, gauge, or histogram sample count) of a family's series whose
// labels include want.
func sum(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	var total float64
series:
	for _, m := range f.GetMetric() {
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestMetricsScrapedFromARunningWorker runs an incident on a real embedded Temporal server with the
// worker wired as `worker --metrics` wires it, scrapes /metrics over HTTP and checks that the
// engine's counters, histogram and gauges moved and that the SDK's metrics are there; /readyz
// turns 503 once Temporal is gone. The worker's log (JSON, debug level) is checked for addresses
// and fact values, which must never appear.
func TestMetricsScrapedFromARunningWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	dir := t.TempDir()
	srv, err := engine.StartEmbedded(dir, 0)
	require.NoError(t, err)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = srv.Stop()
		}
	})

	var logs syncBuffer
	slogger, err := observe.NewLogger(&logs, observe.LogJSON, slog.LevelDebug)
	require.NoError(t, err)
	m, err := observe.NewMetrics()
	require.NoError(t, err)
	defer m.Close()
	c, err := engine.Dial(config.Temporal{Address: srv.HostPort(), Namespace: srv.Namespace()}, sdklog.NewStructuredLogger(slogger),
		func(o *client.Options) { o.MetricsHandler = m.SDKHandler() })
	require.NoError(t, err)
	defer c.Close()

	health := observe.NewHealth(c)
	hs, err := observe.Listen("127.0.0.1:0", observe.Handler(m, health))
	require.NoError(t, err)
	defer hs.Close()

	code, _ := get(t, hs.URL()+observe.PathHealthz)
	require.Equal(t, http.StatusOK, code)
	code, body := get(t, hs.URL()+observe.PathReadyz)
	require.Equal(t, http.StatusServiceUnavailable, code, "not ready before the worker starts")
	require.Contains(t, body, "worker not started")

	set, err := engine.Templates("")
	require.NoError(t, err)
	ledger, err := activities.OpenLedger(filepath.Join(dir, "ledger"))
	require.NoError(t, err)
	outbox := &failOnce{Transport: &activities.Outbox{Dir: filepath.Join(dir, "outbox")}}
	w := worker.New(c, workflows.TaskQueue, worker.Options{Interceptors: []interceptor.WorkerInterceptor{m.WorkerInterceptor(outbox.Name())}})
	engine.Register(w, &activities.Activities{Templates: set, Transport: outbox, Ledger: ledger, From: "incident-desk@agency.example"})
	require.NoError(t, w.Start())
	defer w.Stop()
	health.SetStarted(true)
	code, body = get(t, hs.URL()+observe.PathReadyz)
	require.Equal(t, http.StatusOK, code, body)

	// The 2019 example as written: discovered years ago, so its clocks have run out, its on-due
	// notices leave late and its escalations fire.
	raw, err := os.ReadFile("../../examples/cbp-2019.yaml")
	require.NoError(t, err)
	f, err := incidentfile.Parse("cbp-2019.yaml", raw)
	require.NoError(t, err)
	pb, err := engine.LoadPlaybook(f.Playbook, set)
	require.NoError(t, err)
	in, err := f.Input(workflows.NewIncidentID(), pb, "coordinator", time.Now().UTC().Truncate(time.Second), false)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.IncidentWorkflowID(in.IncidentID), TaskQueue: workflows.TaskQueue}, workflows.IncidentWorkflow, in)
	require.NoError(t, err)
	require.NoError(t, engine.SendUpdate(ctx, c, in.IncidentID, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"}, nil))

	// Wait until every requested notice has been delivered, then compare with the status.
	var st workflows.Status
	require.Eventually(t, func() bool {
		v, err := c.QueryWorkflow(ctx, in.IncidentID, "", workflows.QueryStatus)
		if err != nil || v.Get(&st) != nil {
			return false
		}
		for _, n := range st.Notices {
			if n.State != workflows.NoticeSent {
				return false
			}
		}
		return len(st.Notices) > 0
	}, time.Minute, 200*time.Millisecond, "every notice delivered")
	sentByKind := map[string]float64{}
	withDue := 0
	for _, n := range st.Notices {
		sentByKind[n.Kind]++
		if !n.Due.IsZero() {
			withDue++
		}
	}
	t.Logf("%d notices delivered by kind %v, %d with a due time", len(st.Notices), sentByKind, withDue)
	require.Positive(t, sentByKind["notice"])
	require.Positive(t, withDue, "some notices have a due time (escalations, deadlines)")

	fams := scrape(t, hs.URL())
	require.Equal(t, float64(len(st.Notices)), sum(fams, observe.MetricNoticesSent, map[string]string{"transport": "outbox"}),
		"one sent count per delivered notice")
	for kind, n := range sentByKind {
		require.Equal(t, n, sum(fams, observe.MetricNoticesSent, map[string]string{"kind": kind}), kind)
	}
	require.Equal(t, 1.0, sum(fams, observe.MetricNoticesSent, map[string]string{"template": pb.Obligation("cisa-report").Notice.Template, "kind": "notice"}))
	require.Equal(t, float64(withDue), sum(fams, observe.MetricNoticeLateness, nil), "a lateness sample per notice with a due time")
	require.Equal(t, 1.0, sum(fams, observe.MetricNoticeFailures, map[string]string{"transport": "outbox"}), "the one failed attempt, retried")
	// The 2019 incident's deadlines passed years ago: its lateness lands above a day, in no
	// bucket at or below 0.
	for _, mt := range fams[observe.MetricNoticeLateness].GetMetric() {
		require.Positive(t, mt.GetHistogram().GetSampleSum(), "late by the years since 2019")
	}

	// The SDK reports through the same registry (flushed every second).
	require.Eventually(t, func() bool {
		for name := range scrape(t, hs.URL()) {
			if strings.HasPrefix(name, observe.SDKMetricPrefix+"activity_execution_latency") {
				return true
			}
		}
		return false
	}, 10*time.Second, 200*time.Millisecond, "SDK activity metrics exported")

	// Gauges, from visibility, match the status the workflow reports.
	overdue := 0
	for _, o := range st.Obligations {
		if o.State == workflows.StateOverdue {
			overdue++
		}
	}
	require.Positive(t, overdue)
	t.Logf("%d obligations overdue", overdue)
	require.Eventually(t, func() bool {
		if err := m.RefreshGauges(ctx, c); err != nil {
			t.Log(err)
			return false
		}
		fams = scrape(t, hs.URL())
		return sum(fams, observe.MetricOverdueObligations, nil) == float64(overdue)
	}, 30*time.Second, 500*time.Millisecond, "overdue obligations gauge reaches %d", overdue)
	require.Equal(t, 1.0, sum(fams, observe.MetricIncidents, map[string]string{"status": workflows.IncidentOpen}))
	require.Equal(t, 0.0, sum(fams, observe.MetricIncidents, map[string]string{"status": workflows.IncidentClosed}))
	require.Equal(t, 1.0, sum(fams, observe.MetricIncidentsOverdue, nil))
	require.Positive(t, sum(fams, observe.MetricGaugeRefreshes, map[string]string{"result": "ok"}))
	require.Positive(t, sum(fams, observe.MetricGaugesUpdated, nil))

	// Every SDK metric the Grafana dashboard queries is exported by this worker (the engine's
	// are checked by name in deploy/grafana_test.go: a labelled series exists only once used).
	dash, err := os.ReadFile("../../deploy/grafana/breachflow.json")
	require.NoError(t, err)
	used, err := observe.DashboardMetrics(dash)
	require.NoError(t, err)
	fams = scrape(t, hs.URL())
	for _, name := range used {
		if !strings.HasPrefix(name, observe.SDKMetricPrefix) {
			continue
		}
		if _, ok := fams[name]; ok {
			continue
		}
		family, series := observe.HistogramFamily(name)
		require.True(t, series && fams[family] != nil && fams[family].GetType() == dto.MetricType_HISTOGRAM,
			"the dashboard queries %s, which the worker does not export", name)
	}

	// No personal data in the worker's log: no recipient address, no fact value.
	out := logs.String()
	require.NotEmpty(t, out, "the worker logged at debug level")
	for _, secret := range []string{"report@cisa.example", "ciso@agency.example", "coordinator@agency.example", string(f.Facts["data_types"]), string(f.Facts["location"])} {
		require.NotContains(t, out, secret)
	}

	// Temporal gone: not ready, still alive.
	require.NoError(t, srv.Stop())
	stopped = true
	code, body = get(t, hs.URL()+observe.PathReadyz)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "temporal unreachable")
	code, _ = get(t, hs.URL()+observe.PathHealthz)
	require.Equal(t, http.StatusOK, code)
}
