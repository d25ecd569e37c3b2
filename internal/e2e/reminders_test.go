package e2e

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/smtptest"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// quickPlaybook has one obligation whose only reminder falls a few seconds after its clock starts,
// so real-time tests see it fire.
const quickPlaybook = `
format: 1
name: quick
version: "1"
title: Quick reminder
defaults:
  reminders: [{before: 3594s}]
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
obligations:
  - {id: report, title: Report, citation: test, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 1}}
`

// TestReminderDueWhileWorkerDownIsSentOnce: the worker stops before a reminder falls due; the
// durable timer fires on the server anyway; when a worker comes back the reminder is sent, once.
func TestReminderDueWhileWorkerDownIsSentOnce(t *testing.T) {
	smtpd := smtptest.Start(t, smtptest.Options{})
	transport, err := activities.NewSMTP(activities.SMTPConfig{Host: "127.0.0.1", Port: smtpd.Port(), Security: activities.SecurityPlain})
	require.NoError(t, err)
	dir := t.TempDir()
	srv, err := engine.StartEmbedded(dir, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	c, err := engine.Dial(config.Temporal{Address: srv.HostPort(), Namespace: srv.Namespace()}, engine.Logger(slog.LevelError))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	set, err := engine.Templates("")
	require.NoError(t, err)
	ledger, err := activities.OpenLedger(filepath.Join(dir, "ledger"))
	require.NoError(t, err)
	newWorker := func() worker.Worker {
		w := worker.New(c, workflows.TaskQueue, worker.Options{})
		engine.Register(w, &activities.Activities{Templates: set, Transport: transport, Ledger: ledger, From: "desk@agency.example"})
		require.NoError(t, w.Start())
		return w
	}

	pb, err := playbook.Parse("quick.yaml", []byte(quickPlaybook), set)
	require.NoError(t, err)
	discovered := time.Now().UTC().Truncate(time.Second)
	id := workflows.NewIncidentID()
	w1 := newWorker()
	_, err = c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.IncidentWorkflow, workflows.StartIncidentInput{IncidentID: id, Title: "Quick", DiscoveredAt: discovered, Playbook: *pb, StartedBy: "a"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return obligationState(status(t, c, id), "report") == workflows.StateDue }, 10*time.Second, 50*time.Millisecond)
	w1.Stop()

	// The rung is 6 s after discovery; stay down well past it.
	rung := discovered.Add(6 * time.Second)
	time.Sleep(time.Until(rung) + 3*time.Second)
	require.Empty(t, smtpd.Messages(), "nothing can be sent while no worker runs")

	w2 := newWorker()
	t.Cleanup(w2.Stop)
	msgs := smtpd.WaitFor(t, 1, 30*time.Second)
	require.Contains(t, msgs[0].MessageID, "report.reminder.")
	require.True(t, msgs[0].ReceivedAt.After(rung))
	require.True(t, strings.Contains(msgs[0].Subject, "Reminder"), msgs[0].Subject)

	// Give a duplicate every chance to show up, then count.
	require.Eventually(t, func() bool {
		for _, n := range status(t, c, id).Notices {
			if n.State != workflows.NoticeSent {
				return false
			}
		}
		return true
	}, 10*time.Second, 50*time.Millisecond)
	time.Sleep(time.Second)
	require.Len(t, smtpd.Messages(), 1, "the reminder is sent exactly once")
	for _, n := range smtpd.CountByMessageID() {
		require.Equal(t, 1, n)
	}
}
