package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// benchPlaybook: one obligation with one reminder a minute after discovery.
const benchPlaybook = `
format: 1
name: bench
version: "1"
title: Reminder lateness
defaults:
  reminders: [{before: 59m}]
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
obligations:
  - {id: report, title: Report, citation: test, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 1}}
`

// recorder is a Transport that notes when each reminder reached it, and sends nothing.
type recorder struct {
	mu   sync.Mutex
	seen map[string]time.Time // incident ID -> delivery time
}

func (r *recorder) Name() string { return "recorder" }

func (r *recorder) Deliver(_ context.Context, messageID, _ string, _ []string, _ []byte) (string, error) {
	// Message-IDs end in "@inc-<uuid>.breachflow>"; the incident ID is what we key on.
	at := time.Now()
	domain := messageID[strings.LastIndex(messageID, "@")+1:]
	r.mu.Lock()
	r.seen[strings.TrimSuffix(domain, ".breachflow>")] = at
	r.mu.Unlock()
	return "recorded", nil
}

// BenchmarkReminderLateness measures how late reminders are delivered (delivery time minus the
// moment the reminder was due) with 10 and with 1,000 open incidents on one embedded server, in
// one run. Reminders are spread evenly over one minute. Run it with
//
//	go test ./internal/e2e/ -run '^$' -bench ReminderLateness -benchtime 1x
func BenchmarkReminderLateness(b *testing.B) {
	rec := &recorder{seen: map[string]time.Time{}}
	s := startStackWith(b, b.TempDir(), rec, nil)
	c := s.client
	pb, err := playbook.Parse("bench.yaml", []byte(benchPlaybook), s.templates)
	require.NoError(b, err)

	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("incidents=%d", n), func(b *testing.B) {
			for range b.N {
				p50, p99, max := lateness(b, c, pb, rec, n)
				b.ReportMetric(float64(p50.Milliseconds()), "p50-ms")
				b.ReportMetric(float64(p99.Milliseconds()), "p99-ms")
				b.ReportMetric(float64(max.Milliseconds()), "max-ms")
				b.Logf("%d open incidents: reminder lateness p50 %s, p99 %s, max %s", n, p50, p99, max)
			}
		})
	}
}

// lateness starts n incidents whose reminders fall due evenly over one minute, starting once all
// are running, and returns the delivery lateness percentiles.
func lateness(b *testing.B, c client.Client, pb *playbook.Playbook, rec *recorder, n int) (p50, p99, max time.Duration) {
	b.Helper()
	// Starting 1,000 workflows takes a while on 2 cores; the first reminder falls after that.
	startBy := time.Now().Add(time.Duration(n)*40*time.Millisecond + 10*time.Second)
	due := map[string]time.Time{}
	var mu sync.Mutex
	ids := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				reminder := startBy.Add(time.Duration(i) * time.Minute / time.Duration(n)).Truncate(time.Millisecond)
				id := workflows.NewIncidentID()
				in := workflows.StartIncidentInput{IncidentID: id, Title: "Bench", DiscoveredAt: reminder.Add(-time.Minute), Playbook: *pb, StartedBy: "bench"}
				_, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.IncidentWorkflow, in)
				require.NoError(b, err)
				mu.Lock()
				due[strings.ToLower(id)] = reminder
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		ids <- i
	}
	close(ids)
	wg.Wait()
	require.True(b, time.Now().Before(startBy), "starting %d incidents took longer than planned", n)

	deadline := startBy.Add(time.Minute + 5*time.Minute)
	for {
		rec.mu.Lock()
		got := 0
		for id := range due {
			if _, ok := rec.seen[id]; ok {
				got++
			}
		}
		rec.mu.Unlock()
		if got == n {
			break
		}
		require.True(b, time.Now().Before(deadline), "only %d of %d reminders delivered", got, n)
		time.Sleep(100 * time.Millisecond)
	}
	var lates []time.Duration
	rec.mu.Lock()
	for id, at := range due {
		lates = append(lates, rec.seen[id].Sub(at))
	}
	rec.mu.Unlock()
	slices.Sort(lates)
	pct := func(p float64) time.Duration { return lates[min(len(lates)-1, int(p*float64(len(lates))))] }
	return pct(0.50), pct(0.99), lates[len(lates)-1]
}
