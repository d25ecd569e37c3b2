package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/breachflow/breachflow/internal/audit"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// yearPlaybook compresses a year of daily cadence reminders into minutes: one reminder every
// 500 ms stands for one a day, so the history has the length and shape of a year-long incident.
const yearPlaybook = `
format: 1
name: year
version: "1"
title: A year of monitoring
defaults:
  cadence: 500ms
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
obligations:
  - {id: watch, title: Monitor the dark web, citation: test, owner: owner, anchor: discovery, deadline: {clock: none}}
`

// TrivialSignals is a workflow that does nothing but receive n signals: the baseline history.
// (Timers would do too, but the server fires at most about one timer a second per workflow.)
func TrivialSignals(ctx workflow.Context, n int) error {
	ch := workflow.GetSignalChannel(ctx, "tick")
	for range n {
		ch.Receive(ctx, nil)
	}
	return nil
}

// BenchmarkAuditReplay compares the auditor's replay speed (hash check, replay, timeline) on a
// year-long incident's history (365 daily reminders) with the SDK's replayer on a trivial
// workflow history of the same length, in one run:
//
//	go test ./internal/e2e/ -run '^$' -bench AuditReplay -benchtime 5x
//
// Setting up records both histories on the embedded server, which takes about four minutes.
func BenchmarkAuditReplay(b *testing.B) {
	dir := b.TempDir()
	s := startStackWith(b, dir, &recorder{seen: map[string]time.Time{}}, nil, TrivialSignals)
	c := s.client
	ctx := context.Background()

	// A year of daily reminders.
	pb, err := playbook.Parse("year.yaml", []byte(yearPlaybook), s.templates)
	require.NoError(b, err)
	id := workflows.NewIncidentID()
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.IncidentWorkflow,
		workflows.StartIncidentInput{IncidentID: id, Title: "Year", DiscoveredAt: time.Now().UTC(), Playbook: *pb, StartedBy: "bench"})
	require.NoError(b, err)
	require.Eventually(b, func() bool {
		n := 0
		for _, nt := range status(b, c, id).Notices {
			if nt.State == workflows.NoticeSent {
				n++
			}
		}
		return n >= 365
	}, 10*time.Minute, time.Second)
	_, err = update(b, c, id, workflows.UpdateClose, workflows.CloseInput{By: "bench", Force: true, Reason: "a year is over"})
	require.NoError(b, err)
	require.NoError(b, c.GetWorkflow(ctx, id, "").Get(ctx, nil))
	exported := filepath.Join(dir, "export")
	m, err := audit.ExportWithOptions(ctx, c, id, exported, signed)
	require.NoError(b, err)
	events := m.TotalEvents

	// The trivial history of about the same length: one signal, and often a workflow task, per
	// event pair; signal until the history is as long as the incident's.
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "trivial", TaskQueue: workflows.TaskQueue}, TrivialSignals, events)
	require.NoError(b, err)
	for length := 0; length < events; {
		require.NoError(b, c.SignalWorkflow(ctx, "trivial", "", "tick", nil))
		d, err := c.DescribeWorkflowExecution(ctx, "trivial", "")
		require.NoError(b, err)
		length = int(d.GetWorkflowExecutionInfo().GetHistoryLength())
	}
	require.NoError(b, c.TerminateWorkflow(ctx, "trivial", "", "long enough"))
	var trivial historypb.History
	iter := c.GetWorkflowHistory(ctx, "trivial", "", false, 0)
	for iter.HasNext() {
		e, err := iter.Next()
		require.NoError(b, err)
		trivial.Events = append(trivial.Events, e)
	}
	trivialEvents := len(trivial.Events)
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&trivial)
	require.NoError(b, err)
	trivialFile := filepath.Join(dir, "trivial.json")
	require.NoError(b, os.WriteFile(trivialFile, data, 0o600))
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflow(TrivialSignals)
	b.Logf("incident history: %d events in %d run(s); trivial history: %d events", events, len(m.Runs), trivialEvents)

	b.Run("audit-incident", func(b *testing.B) {
		start := time.Now()
		for range b.N {
			rep, err := audit.Audit(ctx, audit.Source{Path: filepath.Join(exported, id)}, trusted)
			require.NoError(b, err)
			require.Zero(b, rep.Summary.Failed)
		}
		b.ReportMetric(float64(events*b.N)/time.Since(start).Seconds(), "events/s")
	})
	b.Run("sdk-replayer-trivial", func(b *testing.B) {
		start := time.Now()
		for range b.N {
			require.NoError(b, replayer.ReplayWorkflowHistoryFromJSONFile(nil, trivialFile))
		}
		b.ReportMetric(float64(trivialEvents*b.N)/time.Since(start).Seconds(), "events/s")
	})
}
