package e2e

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/smtptest"
	"github.com/breachflow/breachflow/workflows"
)

// clusterBenchIncidents is how many incidents each measurement starts (the CBP example: five
// notices each as soon as it starts).
const clusterBenchIncidents = 100

// runNoticeWave starts clusterBenchIncidents incidents at once and returns how long it took until
// the SMTP server had every one of their first five notices; kill, when set, runs once a quarter
// of them arrived (a worker restart) and the returned time is then measured from it.
func runNoticeWave(b *testing.B, c client.Client, smtpd *smtptest.Server, kill func()) time.Duration {
	b.Helper()
	before := len(smtpd.Messages())
	want := before + clusterBenchIncidents*5
	start := time.Now()
	errs := make(chan error, clusterBenchIncidents)
	for range clusterBenchIncidents {
		go func() {
			in := cbpInput(b, nil)
			_, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
				ID: workflows.IncidentWorkflowID(in.IncidentID), TaskQueue: workflows.TaskQueue,
			}, workflows.IncidentWorkflow, in)
			errs <- err
		}()
	}
	for range clusterBenchIncidents {
		require.NoError(b, <-errs)
	}
	if kill != nil {
		require.Eventually(b, func() bool { return len(smtpd.Messages()) >= before+clusterBenchIncidents*5/4 }, 5*time.Minute, 50*time.Millisecond)
		start = time.Now()
		kill()
	}
	require.Eventually(b, func() bool { return len(smtpd.Messages()) >= want }, 10*time.Minute, 50*time.Millisecond)
	return time.Since(start)
}

// BenchmarkClusterThroughput measures, once (run with -benchtime=1x), how fast 100 incidents get
// their first five notices delivered: on the Temporal server process on PostgreSQL with 1, 2 and
// 3 worker processes (shared PG ledger), and on the embedded server with one worker process. It
// also measures a worker restart: with 2 workers, one is SIGKILLed and started again once a quarter
// of the notices arrived; the time from the kill until every notice is delivered is reported.
//
//	go test ./internal/e2e -run '^$' -bench ClusterThroughput -benchtime=1x -timeout 30m
func BenchmarkClusterThroughput(b *testing.B) {
	workerBin := buildWorker(b)
	smtpd := smtptest.Start(b, smtptest.Options{})
	tc := startTemporalCluster(b)
	c := tc.dial()
	defer c.Close()
	report := func(name string, d time.Duration) {
		b.Logf("%s: %d incidents (%d notices) in %.1f s: %.1f incidents/s", name, clusterBenchIncidents, clusterBenchIncidents*5, d.Seconds(), clusterBenchIncidents/d.Seconds())
		b.ReportMetric(clusterBenchIncidents/d.Seconds(), name+"-incidents/s")
	}
	b.ResetTimer()
	for range b.N {
		var running []*workerProc
		for n := 1; n <= 3; n++ {
			running = append(running, startClusterWorker(b, workerBin, tc, smtpd.Port(), &lockedBuffer{}))
			report("pg-"+string(rune('0'+n))+"w", runNoticeWave(b, c, smtpd, nil))
			if n == 2 {
				d := runNoticeWave(b, c, smtpd, func() {
					running[1].kill()
					running[1] = startClusterWorker(b, workerBin, tc, smtpd.Port(), &lockedBuffer{})
				})
				b.Logf("worker restart (2 workers, one SIGKILLed and restarted): every notice delivered %.1f s after the kill", d.Seconds())
				b.ReportMetric(d.Seconds(), "restart-s")
			}
		}
		for _, w := range running {
			w.kill()
		}

		srv, err := engine.StartEmbedded(b.TempDir(), freePort(b))
		require.NoError(b, err)
		ec, err := engine.Dial(config.Temporal{Address: srv.HostPort(), Namespace: srv.Namespace()}, engine.Logger(slog.LevelError))
		require.NoError(b, err)
		w := startWorker(b, workerBin, srv.HostPort(), b.TempDir(), smtpd.Port(), &lockedBuffer{})
		report("embedded-1w", runNoticeWave(b, ec, smtpd, nil))
		w.kill()
		ec.Close()
		require.NoError(b, srv.Stop())
	}
}
