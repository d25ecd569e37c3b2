// Package e2e holds integration tests: the engine against a real Temporal server (the embedded
// one, on SQLite in a temporary folder) and a real SMTP server on loopback.
package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/devserver"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/internal/smtptest"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// stack is an embedded server, a client and a worker sharing one data folder.
type stack struct {
	srv       *devserver.Server
	client    client.Client
	worker    worker.Worker
	templates *templates.Set
}

func startStack(t *testing.T, dataDir string, transport activities.Transport) *stack {
	t.Helper()
	return startStackWith(t, dataDir, transport, nil)
}

// startStackWith is startStack with payload encryption when keys is not nil, and any extra
// workflows registered on the worker.
func startStackWith(t testing.TB, dataDir string, transport activities.Transport, keys *codec.Keyring, extra ...any) *stack {
	t.Helper()
	srv, err := engine.StartEmbedded(dataDir, 0)
	require.NoError(t, err)
	c, err := engine.Dial(config.Temporal{Address: srv.HostPort(), Namespace: srv.Namespace(), Keys: keys}, engine.Logger(slog.LevelError))
	require.NoError(t, err)
	set, err := engine.Templates("")
	require.NoError(t, err)
	ledger, err := activities.OpenLedger(filepath.Join(dataDir, "ledger"))
	require.NoError(t, err)
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	engine.RegisterTrusting(w, &activities.Activities{Templates: set, Transport: transport, Ledger: ledger, From: "incident-desk@agency.example",
		Digests: engine.DigestSink{Client: c, TaskQueue: workflows.TaskQueue}}, testConsole.keys())
	for _, wf := range extra {
		w.RegisterWorkflow(wf)
	}
	require.NoError(t, w.Start())
	s := &stack{srv: srv, client: c, worker: w, templates: set}
	t.Cleanup(s.stop)
	return s
}

// stop shuts the worker, client and server down; safe to call twice.
func (s *stack) stop() {
	if s.srv == nil {
		return
	}
	s.worker.Stop()
	s.client.Close()
	_ = s.srv.Stop()
	s.srv = nil
}

// cbpInput is the example incident (examples/cbp-2019.yaml), discovered now, with edit applied
// to the file first (nil for none).
func cbpInput(t testing.TB, edit func(*incidentfile.File)) workflows.StartIncidentInput {
	t.Helper()
	raw, err := os.ReadFile("../../examples/cbp-2019.yaml")
	require.NoError(t, err)
	f, err := incidentfile.Parse("cbp-2019.yaml", raw)
	require.NoError(t, err)
	if edit != nil {
		edit(f)
	}
	set, err := engine.Templates("")
	require.NoError(t, err)
	pb, err := engine.LoadPlaybook(f.Playbook, set)
	require.NoError(t, err)
	in, err := f.Input(workflows.NewIncidentID(), pb, "coordinator", time.Now().UTC().Truncate(time.Second), true)
	require.NoError(t, err)
	return in
}

// startIncident starts an incident workflow with the title in its memo, as the starter does.
func startIncident(t testing.TB, c client.Client, in workflows.StartIncidentInput) string {
	t.Helper()
	_, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: workflows.IncidentWorkflowID(in.IncidentID), TaskQueue: workflows.TaskQueue, Memo: map[string]any{"title": in.Title},
	}, workflows.IncidentWorkflow, in)
	require.NoError(t, err)
	return in.IncidentID
}

// startCBP starts the example incident, discovered now.
func startCBP(t *testing.T, c client.Client) (string, workflows.StartIncidentInput) {
	t.Helper()
	in := cbpInput(t, nil)
	return startIncident(t, c, in), in
}

// update sends an Update the way the starter and the console do (engine.SendUpdate).
func update(t testing.TB, c client.Client, id, name string, arg any) (workflows.Status, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var st workflows.Status
	err := engine.SendUpdate(ctx, c, id, name, arg, &st)
	return st, err
}

func status(t testing.TB, c client.Client, id string) workflows.Status {
	t.Helper()
	v, err := c.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus)
	require.NoError(t, err)
	var st workflows.Status
	require.NoError(t, v.Get(&st))
	return st
}

func obligationState(st workflows.Status, id string) string {
	for _, o := range st.Obligations {
		if o.ID == id {
			return o.State
		}
	}
	return ""
}

// TestNoticesArriveOverSMTP: an incident on the real server sends its notices through a real SMTP
// server, with the right envelope, headers, subject and body, once each; status reflects it.
func TestNoticesArriveOverSMTP(t *testing.T) {
	smtpd := smtptest.Start(t, smtptest.Options{})
	transport, err := activities.NewSMTP(activities.SMTPConfig{Host: "127.0.0.1", Port: smtpd.Port(), Security: activities.SecurityPlain, Timeout: 10 * time.Second})
	require.NoError(t, err)
	s := startStack(t, t.TempDir(), transport)
	id, in := startCBP(t, s.client)

	// The playbook's on-due notices go out on their own when the clocks start (triage, risk
	// assessment, equipment removal, monitoring, …): as many as the status counts queued.
	st := status(t, s.client, id)
	auto := 0
	for _, n := range st.Notices {
		if n.RequestedBy == workflows.ActorEngine {
			auto++
		}
	}
	require.Positive(t, auto)
	smtpd.WaitFor(t, auto, 30*time.Second)

	st, err = update(t, s.client, id, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"})
	require.NoError(t, err)
	msgs := smtpd.WaitFor(t, auto+1, 30*time.Second)
	require.Len(t, msgs, auto+1, "the automatic notices and the CISA report, each once")

	var cisa *smtptest.Message
	for i := range msgs {
		if strings.Contains(msgs[i].MessageID, "cisa-report.notice") {
			cisa = &msgs[i]
		}
	}
	require.NotNil(t, cisa, "the CISA report arrived")
	require.ElementsMatch(t, []string{"report@cisa.example", "ciso@agency.example"}, cisa.To, "envelope: To cisa, Cc the CISO")
	to, err := mail.ParseAddressList(cisa.Header.Get("To"))
	require.NoError(t, err)
	require.Equal(t, "report@cisa.example", to[0].Address)
	require.Contains(t, cisa.Header.Get("Cc"), "ciso@agency.example")
	require.Equal(t, "incident-desk@agency.example", cisa.From)
	require.True(t, strings.HasPrefix(cisa.Subject, "["+id+"]"), "subject %q starts with the incident ID", cisa.Subject)
	require.Contains(t, cisa.Subject, "CISA")
	require.Contains(t, cisa.Text, in.Title)
	require.Contains(t, cisa.HTML, "<html")
	require.Equal(t, id, cisa.Header.Get("X-Breachflow-Incident"))

	require.Eventually(t, func() bool {
		st = status(t, s.client, id)
		return obligationState(st, "cisa-report") == workflows.StateDone
	}, 30*time.Second, 100*time.Millisecond, "delivering the CISA report completes the obligation")
	var rec workflows.NoticeRecord
	for _, n := range st.Notices {
		if n.Key == "cisa-report/notice" {
			rec = n
		}
	}
	require.Equal(t, workflows.NoticeSent, rec.State)
	require.Equal(t, cisa.MessageID, rec.MessageID, "status records the Message-ID the server received")
	require.True(t, strings.HasPrefix(rec.Receipt, "250 "), "receipt is the server's reply: %q", rec.Receipt)
	require.Equal(t, "smtp", rec.Transport)

	for mid, n := range smtpd.CountByMessageID() {
		require.Equal(t, 1, n, "Message-ID %s delivered %d times", mid, n)
	}

	// A completion shows in status; a refused action is reported to the caller.
	st, err = update(t, s.client, id, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "coordinator"})
	require.NoError(t, err)
	require.Equal(t, workflows.StateDone, obligationState(st, "triage"))
	_, err = update(t, s.client, id, workflows.UpdateWaive, workflows.WaiveInput{Obligation: "opr-referral", By: "coordinator"})
	require.ErrorContains(t, err, "reason is required")
}

// TestIncidentSurvivesServerRestart: stop the embedded server and the worker, start them again on
// the same data folder, and the incident carries on where it was.
func TestIncidentSurvivesServerRestart(t *testing.T) {
	dir := t.TempDir()
	outbox := &activities.Outbox{Dir: filepath.Join(dir, "outbox")}
	s := startStack(t, dir, outbox)
	id, _ := startCBP(t, s.client)
	_, err := update(t, s.client, id, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "coordinator", Note: "before restart"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		return len(files) >= 5
	}, 30*time.Second, 100*time.Millisecond)
	s.stop()

	s2 := startStack(t, dir, outbox)
	st := status(t, s2.client, id)
	require.Equal(t, workflows.IncidentOpen, st.Status)
	require.Equal(t, workflows.StateDone, obligationState(st, "triage"), "state from before the restart")
	require.Equal(t, workflows.StateDue, obligationState(st, "law-enforcement"))

	st, err = update(t, s2.client, id, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return obligationState(status(t, s2.client, id), "cisa-report") == workflows.StateDone
	}, 30*time.Second, 100*time.Millisecond, "actions after the restart are carried out")

	// The visibility store survived too: the incident is listed as open.
	require.Eventually(t, func() bool {
		resp, err := s2.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("%s = '%s'", workflows.SearchIncidentStatus.GetName(), workflows.IncidentOpen),
		})
		if err != nil {
			t.Logf("list: %v", err)
			return false
		}

		return slices.ContainsFunc(resp.Executions, func(e *workflowpb.WorkflowExecutionInfo) bool { return e.GetExecution().GetWorkflowId() == id })
	}, 30*time.Second, 200*time.Millisecond)

	// Closing ends the workflow with its result.
	_, err = update(t, s2.client, id, workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "test over"})
	require.NoError(t, err)
	var res workflows.IncidentResult
	require.NoError(t, s2.client.GetWorkflow(context.Background(), id, "").Get(context.Background(), &res))
	require.True(t, res.Forced)
	require.Equal(t, 2, res.Obligations[workflows.StateDone])
}
