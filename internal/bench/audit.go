package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/breachflow/breachflow/internal/audit"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// auditPlaybook: a duty without a fixed deadline whose reminder cadence sends a notice every
// minute (the shortest the playbook allows), and a free-text fact that the benchmark records
// over and over: the history of an incident that has been open, and talked about, for a long
// time.
const auditPlaybook = `
format: 1
name: long
version: "1"
title: A long incident
defaults:
  cadence: 1m
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
facts:
  status_note: {type: text, title: Where things stand}
obligations:
  - {id: watch, title: Monitor the dark web, citation: test, owner: owner, anchor: discovery, deadline: {clock: none}}
`

// TrivialSignals is the floor of the audit workload: a workflow that does nothing but receive n
// signals, so that its history is as long as the incident's and the SDK's replayer has nothing
// but events to go through.
func TrivialSignals(ctx workflow.Context, n int) error {
	ch := workflow.GetSignalChannel(ctx, "tick")
	for range n {
		ch.Receive(ctx, nil)
	}
	return nil
}

// auditConfig sizes the audit workload.
type auditConfig struct {
	// Facts is the number of fact updates recorded on the long incident (its reminders go on
	// meanwhile).
	Facts int
	// Folder is the number of small incidents exported into one folder and audited together.
	Folder  int
	Clients int
}

// runAudit measures the auditor's events per second on one long incident against the SDK's
// replayer on a trivial history of the same length (both read from exported JSON files), and
// the time to audit a folder of many exported incidents with the progress bar.
func runAudit(ctx context.Context, dir string, cfg auditConfig, progress io.Writer) ([]Row, error) {
	s, err := startStack(dir, benchWorkerOptions(), TrivialSignals)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signed := audit.ExportOptions{SigningKey: priv}
	trusted := audit.Options{VerifyKeys: []ed25519.PublicKey{pub}}
	exported := filepath.Join(dir, "export")

	fmt.Fprintf(progress, "bench: audit: recording a long history (%d facts)…\n", cfg.Facts)
	id, m, err := longIncident(ctx, s, cfg.Facts, exported, signed)
	if err != nil {
		return nil, err
	}
	events := m.TotalEvents
	trivialFile := filepath.Join(dir, "trivial.json")
	trivialEvents, err := trivialHistory(ctx, s.client, events, trivialFile)
	if err != nil {
		return nil, err
	}
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflow(TrivialSignals)

	auditRate, err := eventsPerSecond(events, func() error {
		rep, err := audit.Audit(ctx, audit.Source{Path: filepath.Join(exported, id)}, trusted)
		if err != nil {
			return err
		}
		if rep.Summary.Failed != 0 {
			return fmt.Errorf("the long incident failed its audit: %v", rep.Incidents[0].Problems)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sdkRate, err := eventsPerSecond(trivialEvents, func() error { return replayer.ReplayWorkflowHistoryFromJSONFile(nil, trivialFile) })
	if err != nil {
		return nil, err
	}
	rows := []Row{{
		Workload: "audit", Case: fmt.Sprintf("events=%d/runs=%d", events, len(m.Runs)), Metric: "events/s", Value: auditRate,
		Baseline: sdkRate, BaselineName: fmt.Sprintf("SDK replayer, trivial history of %d events", trivialEvents),
		Ratio: auditRate / sdkRate, Goal: "≥ 0.8×", Met: ptr(auditRate/sdkRate >= 0.8),
	}}

	if cfg.Folder > 0 {
		folder, err := exportFolder(ctx, s, cfg, filepath.Join(dir, "folder"), signed, progress)
		if err != nil {
			return rows, err
		}
		fmt.Fprintf(progress, "bench: audit: auditing %d exported incidents…\n", cfg.Folder)
		opts := trusted
		opts.Progress = progress
		start := time.Now()
		rep, err := audit.Audit(ctx, audit.Source{Path: folder}, opts)
		if err != nil {
			return rows, err
		}
		took := time.Since(start)
		if rep.Summary.Incidents != cfg.Folder || rep.Summary.Failed != 0 {
			return rows, fmt.Errorf("the folder's audit found %d incidents (want %d), %d failed", rep.Summary.Incidents, cfg.Folder, rep.Summary.Failed)
		}
		total := 0
		for _, ir := range rep.Incidents {
			for _, r := range ir.Runs {
				total += r.Events
			}
		}
		c := fmt.Sprintf("folder=%d", cfg.Folder)
		rows = append(rows,
			Row{Workload: "audit", Case: c, Metric: "total s", Value: took.Seconds()},
			Row{Workload: "audit", Case: c, Metric: "incidents/s", Value: float64(cfg.Folder) / took.Seconds()},
			Row{Workload: "audit", Case: c, Metric: "events/s", Value: float64(total) / took.Seconds(), Note: fmt.Sprintf("%d events in all", total)},
		)
	}
	return rows, nil
}

// eventsPerSecond runs fn once untimed, then at least three times and for at least two seconds,
// and returns events per second. The untimed run takes what a process pays once: the SDK hashes
// its own executable (MD5) the first time it builds a workflow task handler, which on a large
// binary costs more than replaying a long history.
func eventsPerSecond(events int, fn func() error) (float64, error) {
	if err := fn(); err != nil {
		return 0, err
	}
	start := time.Now()
	n := 0
	for n < 3 || time.Since(start) < 2*time.Second {
		if err := fn(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(events*n) / time.Since(start).Seconds(), nil
}

// longIncident runs an incident (with a reminder a minute) while facts are recorded one after
// another, closes it and exports it.
func longIncident(ctx context.Context, s *stack, facts int, out string, opts audit.ExportOptions) (string, *audit.Manifest, error) {
	pb, err := playbook.Parse("long.yaml", []byte(auditPlaybook), s.templates)
	if err != nil {
		return "", nil, err
	}
	id := workflows.NewIncidentID()
	in := workflows.StartIncidentInput{IncidentID: id, Title: "Long", DiscoveredAt: time.Now().UTC(), Playbook: *pb, StartedBy: "bench"}
	if _, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.IncidentWorkflow, in); err != nil {
		return "", nil, err
	}
	for i := range facts {
		h, err := s.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: workflows.UpdateRecordFact, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.RecordFactInput{Name: "status_note", Value: fmt.Sprintf("update %d: still monitoring", i), By: "bench"}},
		})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		if err != nil {
			return "", nil, fmt.Errorf("recording fact %d: %w", i, err)
		}
	}
	if err := closeIncident(ctx, s.client, id); err != nil {
		return "", nil, err
	}
	m, err := audit.ExportWithOptions(ctx, s.client, id, out, opts)
	return id, m, err
}

// trivialHistory records a TrivialSignals history at least as long as events and writes it to
// file as JSON; it returns its length.
func trivialHistory(ctx context.Context, c client.Client, events int, file string) (int, error) {
	const id = "trivial"
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, TrivialSignals, events); err != nil {
		return 0, err
	}
	for length := 0; length < events; {
		for range 10 {
			if err := c.SignalWorkflow(ctx, id, "", "tick", nil); err != nil {
				return 0, err
			}
		}
		d, err := c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return 0, err
		}
		length = int(d.GetWorkflowExecutionInfo().GetHistoryLength())
	}
	if err := c.TerminateWorkflow(ctx, id, "", "long enough"); err != nil {
		return 0, err
	}
	var h historypb.History
	iter := c.GetWorkflowHistory(ctx, id, "", false, 0)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			return 0, err
		}
		h.Events = append(h.Events, e)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		return 0, err
	}
	return len(h.Events), os.WriteFile(file, data, 0o600)
}

// exportFolder runs cfg.Folder example incidents (examples/cbp-2019.yaml: each sends its
// automatic notices), closes them and exports each into folder.
func exportFolder(ctx context.Context, s *stack, cfg auditConfig, folder string, opts audit.ExportOptions, progress io.Writer) (string, error) {
	pb, file, err := cbpExample(s)
	if err != nil {
		return "", err
	}
	in, err := file.Input(workflows.NewIncidentID(), pb, "bench", time.Now().UTC().Truncate(time.Second), true)
	if err != nil {
		return "", err
	}
	k, err := warmUp(ctx, s, in)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(progress, "bench: audit: running and exporting %d incidents…\n", cfg.Folder)
	_, err = drive(throughputConfig{Incidents: cfg.Folder, Clients: cfg.Clients}, func(int) error {
		in, err := file.Input(workflows.NewIncidentID(), pb, "bench", time.Now().UTC().Truncate(time.Second), true)
		if err != nil {
			return err
		}
		if err := oneIncident(ctx, s, in, k); err != nil {
			return err
		}
		_, err = audit.ExportWithOptions(ctx, s.client, in.IncidentID, folder, opts)
		return err
	})
	return folder, err
}
