package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/audit"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/workflows"
)

// exportKey signs the exports of these tests; trusted audits them with its public key.
var (
	exportKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	signed    = audit.ExportOptions{SigningKey: exportKey}
	trusted   = audit.Options{VerifyKeys: []ed25519.PublicKey{exportKey.Public().(ed25519.PublicKey)}}
)

func findEntry(tl []audit.Entry, actor, action, obligation string) *audit.Entry {
	for i := range tl {
		if tl[i].Actor == actor && tl[i].Action == action && (obligation == "" || tl[i].Obligation == obligation) {
			return &tl[i]
		}
	}
	return nil
}

// TestExportAuditRoundTrip: an incident runs on the embedded server with a few coordinator
// actions and is closed; Export writes its history and manifest; Audit of the export folder
// checks the hashes, replays the history against today's code, and gives a timeline with the
// actions, the notices with their Message-IDs and content hashes, and the obligations with their
// deadlines. A changed byte in the export fails the audit.
func TestExportAuditRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")})
	ctx := context.Background()
	id, _ := startCBP(t, s.client)
	steps := []struct {
		name string
		arg  any
	}{
		{workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"}},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "coordinator", Note: "scoped"}},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "184000", By: "analyst", Note: "OIG-20-71"}},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "major_incident", Value: "yes", Determination: true, By: "cio"}},
		{workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "congress-notice", By: "cio"}},
		{workflows.UpdateWaive, workflows.WaiveInput{Obligation: "public-statement", By: "coordinator", Reason: "covered by the department's statement"}},
	}
	for _, st := range steps {
		_, err := update(t, s.client, id, st.name, st.arg)
		require.NoError(t, err, st.name)
	}
	// The notice to Congress needs two approvals of its exact content, by others than the CIO.
	var hash string
	for _, n := range status(t, s.client, id).Notices {
		if n.Key == "congress-notice/notice" {
			require.Equal(t, workflows.NoticeAwaitingApproval, n.State)
			hash = n.ContentHash
		}
	}
	require.NotEmpty(t, hash)
	for _, by := range []string{"general-counsel", "ciso"} {
		_, err := update(t, s.client, id, workflows.UpdateApprove, workflows.ApproveInput{Obligation: "congress-notice", By: by, ContentHash: hash[:12]})
		require.NoError(t, err, by)
	}
	var open workflows.Status
	require.Eventually(t, func() bool {
		open = status(t, s.client, id)
		for _, n := range open.Notices {
			if n.State != workflows.NoticeSent {
				return false
			}
		}
		return len(open.Notices) >= 8
	}, 30*time.Second, 100*time.Millisecond)

	// A live audit of the open incident reads its status and record by query.
	rep, err := audit.Audit(ctx, audit.Source{IncidentID: id, Client: s.client}, audit.Options{})
	require.NoError(t, err)
	require.Equal(t, workflows.IncidentOpen, rep.Incidents[0].Status)
	require.Equal(t, audit.FromQuery, rep.Incidents[0].StatusFrom)
	require.Equal(t, audit.ReplayOK, rep.Incidents[0].Runs[0].Replay)

	_, err = update(t, s.client, id, workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "round trip over"})
	require.NoError(t, err)
	var res workflows.IncidentResult
	require.NoError(t, s.client.GetWorkflow(ctx, id, "").Get(ctx, &res))

	// Export.
	out := t.TempDir()
	m, err := audit.ExportWithOptions(ctx, s.client, id, out, signed)
	require.NoError(t, err)
	folder := filepath.Join(out, id)
	require.Equal(t, id, m.IncidentID)
	require.Equal(t, "us-federal-breach", m.PlaybookName)
	require.NotEmpty(t, m.PlaybookVersion)
	require.Len(t, m.Runs, 1)
	require.Equal(t, "WorkflowExecutionCompleted", m.Runs[0].LastEvent)
	require.Equal(t, m.Runs[0].Events, m.TotalEvents)
	require.False(t, m.ExportedAt.Before(m.LastEventTime))
	raw, err := os.ReadFile(filepath.Join(folder, m.Runs[0].File))
	require.NoError(t, err)
	h, err := client.HistoryFromJSON(bytes.NewReader(raw), client.HistoryJSONOptions{})
	require.NoError(t, err, "the SDK reads the exported file")
	require.Len(t, h.Events, m.Runs[0].Events)

	// Audit the export folder.
	rep, err = audit.Audit(ctx, audit.Source{Path: folder}, trusted)
	require.NoError(t, err)
	require.Len(t, rep.Incidents, 1)
	ir := rep.Incidents[0]
	require.True(t, ir.OK(), ir.Problems)
	require.Equal(t, audit.SignatureValid, ir.Signature.Status, "export signs, audit verifies")
	require.Equal(t, audit.HashOK, ir.Runs[0].Hash)
	require.Equal(t, audit.ReplayOK, ir.Runs[0].Replay)
	require.Equal(t, audit.FromResult, ir.StatusFrom, "the result carries the final status and the record")
	require.Equal(t, workflows.IncidentClosed, ir.Status)
	require.True(t, ir.Forced)
	require.Equal(t, "coordinator", ir.ClosedBy)

	tl := ir.Timeline
	require.NotNil(t, findEntry(tl, "coordinator", "opened", ""))
	require.NotNil(t, findEntry(tl, "coordinator", "approved notice", "cisa-report"))
	triage := findEntry(tl, "coordinator", "completed", "triage")
	require.NotNil(t, triage)
	require.Contains(t, triage.Details, "scoped")
	fact := findEntry(tl, "analyst", "fact recorded", "")
	require.NotNil(t, fact)
	require.Contains(t, fact.Details, "affected_count = 184000")
	require.Contains(t, fact.Details, "OIG-20-71")
	require.NotNil(t, findEntry(tl, "cio", "determination recorded", ""))
	require.NotNil(t, findEntry(tl, "cio", "requested approval", "congress-notice"), "the request, named by the workflow's record")
	for _, by := range []string{"general-counsel", "ciso"} {
		a := findEntry(tl, by, "approved", "congress-notice")
		require.NotNil(t, a, by)
		require.Contains(t, a.Details, hash[:12])
	}
	require.NotNil(t, findEntry(tl, "engine", "notice released", "congress-notice"))
	congress := findEntry(tl, "engine", "notice sent", "congress-notice")
	require.NotNil(t, congress)
	require.True(t, strings.HasPrefix(congress.Notice.ContentHash, hash[:12]), "the content sent is the content approved")
	require.Equal(t, []string{"general-counsel", "ciso"}, congress.Notice.ApprovedBy)
	require.NotContains(t, strings.Join(ir.Notes, "\n"), "finding:")
	waive := findEntry(tl, "coordinator", "waived", "public-statement")
	require.NotNil(t, waive)
	require.Contains(t, waive.Details, "covered by the department's statement")
	closed := findEntry(tl, "coordinator", "closed", "")
	require.NotNil(t, closed)
	require.Contains(t, closed.Details, "round trip over")
	require.NotNil(t, findEntry(tl, "engine", "clock started", "congress-notice"), "the engine's acts, from the workflow's record")
	require.NotNil(t, findEntry(tl, "engine", "completed", "cisa-report"))

	// Every notice in the incident's status is in the timeline with its Message-ID and hash.
	for _, n := range open.Notices {
		var found bool
		for _, e := range tl {
			if e.Notice != nil && e.Action == n.Kind+" sent" && e.Notice.Key == n.Key.String() {
				require.Equal(t, n.MessageID, e.Notice.MessageID, n.Key)
				require.Equal(t, n.ContentHash, e.Notice.ContentHash, n.Key)
				require.Equal(t, n.Receipt, e.Notice.Receipt, n.Key)
				found = true
			}
		}
		require.True(t, found, "notice %s in the timeline", n.Key)
	}

	obl := map[string]audit.ObligationAudit{}
	for _, o := range ir.Obligations {
		obl[o.ID] = o
	}
	for _, ob := range []string{"cisa-report", "triage", "congress-notice"} {
		require.False(t, obl[ob].Deadline.IsZero(), ob)
		require.Equal(t, audit.OutcomeMet, obl[ob].Outcome, ob)
		require.Positive(t, obl[ob].Margin, ob)
	}
	require.Equal(t, "coordinator", obl["triage"].DoneBy)
	require.Equal(t, "engine", obl["cisa-report"].DoneBy, "delivering the notice completed it")
	require.False(t, obl["omb-report"].Deadline.IsZero(), "the determination started the OMB clock")
	require.Equal(t, audit.OutcomeUnfinished, obl["omb-report"].Outcome)
	require.Equal(t, audit.OutcomeWaived, obl["public-statement"].Outcome)
	require.Equal(t, "covered by the department's statement", obl["public-statement"].WaiveReason)
	require.Equal(t, 3, rep.Summary.ObligationsMet)

	var md bytes.Buffer
	require.NoError(t, audit.WriteMarkdown(&md, rep))
	require.Contains(t, md.String(), "| cio (asserted) | determination recorded |")

	// A live audit of the closed incident agrees.
	live, err := audit.Audit(ctx, audit.Source{IncidentID: id, Client: s.client}, audit.Options{})
	require.NoError(t, err)
	require.Equal(t, audit.FromResult, live.Incidents[0].StatusFrom)
	require.Len(t, live.Incidents[0].Timeline, len(tl))

	// Tamper with the export: one byte.
	raw[len(raw)/2] ^= 0x01
	require.NoError(t, os.WriteFile(filepath.Join(folder, m.Runs[0].File), raw, 0o600))
	rep, err = audit.Audit(ctx, audit.Source{Path: folder}, trusted)
	require.Error(t, err)
	require.Contains(t, err.Error(), "SHA-256 mismatch")
	require.Contains(t, err.Error(), m.Runs[0].File)
	require.Contains(t, err.Error(), m.Runs[0].SHA256)
	require.Contains(t, err.Error(), "tampered with or corrupted")
	require.Equal(t, 1, rep.Summary.HashMismatches)
	require.True(t, strings.Contains(rep.Incidents[0].Problems[0], "SHA-256 mismatch"))
}

// TestExportAuditContinueAsNew: an incident whose runs hand over by continue-as-new is exported
// as one file per run, following the chain, and audits as one incident: every run replays, and
// actions taken in different runs are on one timeline.
func TestExportAuditContinueAsNew(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")})
	ctx := context.Background()
	in := cbpInput(t, nil)
	in.ContinueAfterEvents = 40 // hand over after a few actions
	in.CarryLogLines = 3        // and carry only the last lines of the record: the audit joins the rest
	id := startIncident(t, s.client, in)

	firstRun := func() string {
		d, err := s.client.DescribeWorkflowExecution(ctx, id, "")
		require.NoError(t, err)
		return d.GetWorkflowExecutionInfo().GetFirstRunId()
	}()
	actions := []struct {
		name string
		arg  any
	}{
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "coordinator", Note: "scoped"}},
		{workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"}},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "law-enforcement", By: "liaison", Note: "FBI informed"}},
		{workflows.UpdateWaive, workflows.WaiveInput{Obligation: "public-statement", By: "coordinator", Reason: "covered by the department's statement"}},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "equipment-removal", By: "itops"}},
	}
	for _, a := range actions {
		require.Eventually(t, func() bool {
			_, err := update(t, s.client, id, a.name, a.arg)
			return err == nil
		}, 30*time.Second, 200*time.Millisecond, a.name)
	}
	require.Eventually(t, func() bool {
		d, err := s.client.DescribeWorkflowExecution(ctx, id, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetExecution().GetRunId() != firstRun
	}, 30*time.Second, 200*time.Millisecond, "the incident continued as new")
	require.Eventually(t, func() bool {
		_, err := update(t, s.client, id, workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "test over"})
		return err == nil
	}, 30*time.Second, 200*time.Millisecond)
	var res workflows.IncidentResult
	require.NoError(t, s.client.GetWorkflow(ctx, id, "").Get(ctx, &res))

	out := t.TempDir()
	m, err := audit.ExportWithOptions(ctx, s.client, id, out, signed)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(m.Runs), 2)
	require.Equal(t, firstRun, m.Runs[0].RunID)
	for _, r := range m.Runs[:len(m.Runs)-1] {
		require.Equal(t, "WorkflowExecutionContinuedAsNew", r.LastEvent)
	}
	require.Equal(t, "WorkflowExecutionCompleted", m.Runs[len(m.Runs)-1].LastEvent)
	require.Equal(t, "us-federal-breach", m.PlaybookName, "from the first run's input")

	rep, err := audit.Audit(ctx, audit.Source{Path: filepath.Join(out, id)}, trusted)
	require.NoError(t, err)
	ir := rep.Incidents[0]
	require.Len(t, ir.Runs, len(m.Runs))
	for _, r := range ir.Runs {
		require.Equal(t, audit.ReplayOK, r.Replay, r.RunID)
		require.Equal(t, audit.HashOK, r.Hash, r.RunID)
	}
	require.Equal(t, rep.Summary.Histories, len(m.Runs))
	tl := ir.Timeline
	require.NotNil(t, findEntry(tl, "coordinator", "opened", ""))
	require.NotNil(t, findEntry(tl, "engine", "continued as new", ""))
	require.Greater(t, res.LogOffset, 0, "the last run does not carry the whole record")
	// Lines only the first run's record holds (the engine's clock starts) are on the timeline.
	require.NotNil(t, findEntry(tl, "engine", "clock started", "triage"), "the record of earlier runs is joined")
	runs := map[int]bool{}
	for _, a := range []struct{ actor, action, obligation string }{
		{"coordinator", "completed", "triage"}, {"liaison", "completed", "law-enforcement"},
		{"coordinator", "waived", "public-statement"}, {"itops", "completed", "equipment-removal"},
		{"coordinator", "closed", ""},
	} {
		e := findEntry(tl, a.actor, a.action, a.obligation)
		require.NotNil(t, e, "%+v", a)
		runs[e.Run] = true
	}
	require.Greater(t, len(runs), 1, "the actions span runs and are on one timeline")
	obl := map[string]audit.ObligationAudit{}
	for _, o := range ir.Obligations {
		obl[o.ID] = o
	}
	require.Equal(t, "liaison", obl["law-enforcement"].DoneBy)
	require.Equal(t, audit.OutcomeMet, obl["law-enforcement"].Outcome)
	require.Equal(t, audit.OutcomeMet, obl["equipment-removal"].Outcome)
}

// TestExportAuditEncrypted: with payload encryption on, the export records the key IDs and the
// audit reads the history with the keys; without them it says which keys it needs.
func TestExportAuditEncrypted(t *testing.T) {
	keys, err := codec.ParseKeys("k-audit:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	require.NoError(t, err)
	dir := t.TempDir()
	// The relay refuses the dark-web monitoring notice: a failed delivery round is in the history,
	// its error message encrypted like every payload.
	transport := &refusingTransport{Outbox: activities.Outbox{Dir: filepath.Join(dir, "outbox")}, refuse: "dark-web-monitoring.notice"}
	s := startStackWith(t, dir, transport, keys)
	ctx := context.Background()
	id, _ := startCBP(t, s.client)
	require.Eventually(t, func() bool {
		for _, n := range status(t, s.client, id).Notices {
			if n.Key == "dark-web-monitoring/notice" && n.State == workflows.NoticeFailing {
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond)
	_, err = update(t, s.client, id, workflows.UpdateWaive, workflows.WaiveInput{Obligation: "public-statement", By: "coordinator", Reason: "covered by the department's statement"})
	require.NoError(t, err)
	_, err = update(t, s.client, id, workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "encrypted round trip"})
	require.NoError(t, err)
	require.NoError(t, s.client.GetWorkflow(ctx, id, "").Get(ctx, nil))

	dc := codec.DataConverter(keys)
	out := t.TempDir()
	m, err := audit.ExportWithOptions(ctx, s.client, id, out, audit.ExportOptions{DataConverter: dc, SigningKey: exportKey})
	require.NoError(t, err)
	require.Equal(t, []string{"k-audit"}, m.EncryptionKeyIDs)
	require.Equal(t, "us-federal-breach", m.PlaybookName)
	raw, err := os.ReadFile(filepath.Join(out, id, m.Runs[0].File))
	require.NoError(t, err)
	require.NotContains(t, string(raw), "coordinator", "the export holds ciphertext only")

	rep, err := audit.Audit(ctx, audit.Source{Path: filepath.Join(out, id)}, audit.Options{DataConverter: dc, VerifyKeys: trusted.VerifyKeys})
	require.NoError(t, err)
	ir := rep.Incidents[0]
	require.Equal(t, audit.ReplayOK, ir.Runs[0].Replay)
	require.Equal(t, audit.FromResult, ir.StatusFrom)
	w := findEntry(ir.Timeline, "coordinator", "waived", "public-statement")
	require.NotNil(t, w)
	require.Contains(t, w.Details, "covered by the department's statement")
	failed := findEntry(ir.Timeline, "engine", "delivery failed", "dark-web-monitoring")
	require.NotNil(t, failed)
	require.Contains(t, failed.Details, "550 relay refused", "the failure message, decrypted")
	require.Contains(t, failed.Record, "next try in", "the workflow's record of the round")
	require.NotEmpty(t, failed.Notice.MessageID)
	require.NotNil(t, findEntry(ir.Timeline, "engine", "delivery cancelled", "dark-web-monitoring"), "the forced close cancelled it")

	rep, err = audit.Audit(ctx, audit.Source{Path: filepath.Join(out, id)}, trusted)
	require.Error(t, err)
	require.Equal(t, audit.ReplayFailed, rep.Incidents[0].Runs[0].Replay)
	require.Contains(t, strings.Join(rep.Incidents[0].Notes, "\n"), "key ID(s) k-audit")
}

// refusingTransport delivers into an outbox, except messages whose Message-ID contains refuse:
// those fail at once, without retries within the round.
type refusingTransport struct {
	activities.Outbox
	refuse string
}

func (r *refusingTransport) Deliver(ctx context.Context, messageID, from string, rcpts []string, raw []byte) (string, error) {
	if strings.Contains(messageID, r.refuse) {
		return "", temporal.NewNonRetryableApplicationError("550 relay refused", "SMTPRefused", nil)
	}
	return r.Outbox.Deliver(ctx, messageID, from, rcpts, raw)
}
