package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/workflows"
)

// committed is the history recorded on the embedded server by internal/e2e TestRecordHistory:
// notices sent on their own and on approval, a completion, a fact, a determination by the CIO,
// a waiver with a reason, a forced close.
const committed = "../../workflows/testdata/incident-forced-close.json"

// testSigningKey signs the exports tests build; trusted audits them with its public key, and
// lone audits history files that no manifest lists.
var (
	testSigningKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	trusted        = Options{VerifyKeys: []ed25519.PublicKey{testSigningKey.Public().(ed25519.PublicKey)}}
	lone           = Options{AllowUnsigned: true}
)

func auditFile(t *testing.T, path string, opts Options) (*Report, error) {
	t.Helper()
	return Audit(context.Background(), Source{Path: path}, opts)
}

func find(tl []Entry, actor, action, obligation string) *Entry {
	for i := range tl {
		e := &tl[i]
		if e.Actor == actor && e.Action == action && (obligation == "" || e.Obligation == obligation) {
			return e
		}
	}
	return nil
}

func TestAuditCommittedHistory(t *testing.T) {
	rep, err := auditFile(t, committed, lone)
	require.NoError(t, err)
	require.Len(t, rep.Incidents, 1)
	ir := rep.Incidents[0]
	require.True(t, ir.OK(), ir.Problems)
	require.Len(t, ir.Runs, 1)
	require.Equal(t, ReplayOK, ir.Runs[0].Replay)
	require.Equal(t, HashNotChecked, ir.Runs[0].Hash)
	require.Equal(t, "WorkflowExecutionCompleted", ir.Runs[0].LastEvent)
	require.True(t, strings.HasPrefix(ir.IncidentID, workflows.IncidentIDPrefix))
	require.Equal(t, "us-federal-breach", ir.PlaybookName)
	require.Equal(t, "2026.1", ir.PlaybookVersion)
	require.Equal(t, workflows.IncidentClosed, ir.Status)
	require.Equal(t, "coordinator", ir.ClosedBy)
	require.True(t, ir.Forced)

	tl := ir.Timeline
	opened := find(tl, "coordinator", "opened", "")
	require.NotNil(t, opened)
	require.Contains(t, opened.Details, "playbook us-federal-breach 2026.1")
	require.Contains(t, opened.Details, "affected_count=99999", "initial facts by name")

	det := find(tl, "cio", "determination recorded", "")
	require.NotNil(t, det, "the CIO recorded the major-incident determination")
	require.Contains(t, det.Details, "major_incident = yes")
	require.Contains(t, det.Record, "major_incident = true", "the workflow's record adds the normalized value")
	require.Equal(t, workflows.UpdateRecordFact, det.Update)

	waived := find(tl, "coordinator", "waived", "public-statement")
	require.NotNil(t, waived)
	require.Contains(t, waived.Details, "covered by the department's statement")

	require.NotNil(t, find(tl, "analyst", "fact recorded", ""))
	require.NotNil(t, find(tl, "coordinator", "completed", "triage"))
	require.NotNil(t, find(tl, "cio", "approved notice", "congress-notice"))
	closed := find(tl, "coordinator", "closed", "")
	require.NotNil(t, closed)
	require.Contains(t, closed.Details, "forced: recorded for replay tests")

	// The engine's own acts come from the workflow's record (rebuilt by the replay: this history's
	// result predates IncidentResult.Log).
	require.Equal(t, FromReplay, ir.StatusFrom)
	started := find(tl, "engine", "clock started", "congress-notice")
	require.NotNil(t, started, "the determination started the Congress clock")
	require.Equal(t, sourceRecord, started.Source)
	require.True(t, !started.At.Before(det.At), "the clock starts after the determination that starts it")
	delivered := find(tl, "engine", "completed", "cisa-report")
	require.NotNil(t, delivered, "delivering the CISA report completed it")

	// Every notice: its key, recipients, subject, content hash and the Message-ID derived from them.
	var sent []*Entry
	for i := range tl {
		if tl[i].Action == "notice sent" {
			sent = append(sent, &tl[i])
		}
	}
	require.Len(t, sent, 8)
	keys := map[string]bool{}
	for _, e := range sent {
		n := e.Notice
		require.NotNil(t, n)
		keys[n.Key] = true
		require.Len(t, n.ContentHash, 64)
		require.Equal(t, activities.MessageID(ir.IncidentID, n.Key, n.ContentHash), n.MessageID)
		require.NotEmpty(t, n.To)
		require.NotEmpty(t, n.Subject)
		require.Equal(t, "outbox", n.Transport)
		require.NotEmpty(t, n.Receipt)
		require.Contains(t, e.Details, n.MessageID)
		require.Contains(t, e.Details, n.ContentHash)
		require.Equal(t, strings.TrimSuffix(n.Key, "/notice"), e.Obligation)
	}
	require.True(t, keys["cisa-report/notice"] && keys["congress-notice/notice"], keys)

	// Time order.
	for i := 1; i < len(tl); i++ {
		require.False(t, tl[i].At.Before(tl[i-1].At), "entry %d before %d", i, i-1)
	}

	obl := map[string]ObligationAudit{}
	for _, o := range ir.Obligations {
		obl[o.ID] = o
	}
	require.Equal(t, OutcomeWaived, obl["public-statement"].Outcome)
	require.Equal(t, "coordinator", obl["public-statement"].DoneBy)
	require.Equal(t, "covered by the department's statement", obl["public-statement"].WaiveReason)
	require.Equal(t, OutcomeMet, obl["triage"].Outcome)
	require.Equal(t, "coordinator", obl["triage"].DoneBy)
	require.False(t, obl["triage"].Deadline.IsZero())
	require.Positive(t, obl["triage"].Margin)
	require.Equal(t, OutcomeMet, obl["congress-notice"].Outcome)
	require.Equal(t, "engine", obl["congress-notice"].DoneBy)
	require.Equal(t, OutcomeUnfinished, obl["law-enforcement"].Outcome)
	require.Equal(t, OutcomeNotStarted, obl["after-action"].Outcome)
	require.Equal(t, 3, rep.Summary.ObligationsMet)
	require.Equal(t, 0, rep.Summary.ObligationsMissed)
	require.Equal(t, Summary{Incidents: 1, Histories: 1, ReplayedOK: 1, ObligationsMet: 3}, rep.Summary)
}

func TestAuditOutputs(t *testing.T) {
	rep, err := auditFile(t, committed, lone)
	require.NoError(t, err)
	ir := rep.Incidents[0]
	var cisa *NoticeDetail
	for _, e := range ir.Timeline {
		if e.Notice != nil && e.Notice.Key == "cisa-report/notice" {
			cisa = e.Notice
		}
	}
	require.NotNil(t, cisa)

	var table bytes.Buffer
	require.NoError(t, Write(&table, rep, FormatTable))
	for _, want := range []string{"AUDIT PASSED", ir.IncidentID, "TIMELINE", "determination recorded", "cio", "covered by the department's statement",
		cisa.MessageID, cisa.ContentHash, "OBLIGATIONS", "public-statement", "met, ", "Summary: 1 incident(s), 1 histories audited: 1 replayed OK, 0 failed"} {
		require.Contains(t, table.String(), want)
	}

	var md bytes.Buffer
	require.NoError(t, Write(&md, rep, FormatMarkdown))
	for _, want := range []string{"## " + ir.IncidentID + " — passed", "### Timeline (UTC)", "| cio (asserted) | determination recorded |",
		"| coordinator (asserted) | waived | public-statement | reason: covered by the department's statement |",
		"&lt;" + strings.Trim(cisa.MessageID, "<>") + "&gt;", cisa.ContentHash, "### Obligations", "## Summary"} {
		require.Contains(t, md.String(), want)
	}
	require.NotContains(t, md.String(), cisa.MessageID, "a raw <Message-ID> would vanish as an HTML tag")

	var js bytes.Buffer
	require.NoError(t, Write(&js, rep, FormatJSON))
	var back struct {
		Incidents []struct {
			IncidentID string `json:"incident_id"`
			Timeline   []struct {
				Actor, Action, Obligation, Details string
				Notice                             *NoticeDetail
			} `json:"timeline"`
			Obligations []ObligationAudit `json:"obligations"`
		} `json:"incidents"`
		Summary Summary `json:"summary"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Equal(t, ir.IncidentID, back.Incidents[0].IncidentID)
	var gotDet, gotWaive, gotNotice bool
	for _, e := range back.Incidents[0].Timeline {
		gotDet = gotDet || (e.Actor == "cio" && e.Action == "determination recorded")
		gotWaive = gotWaive || (e.Actor == "coordinator" && e.Action == "waived" && strings.Contains(e.Details, "covered by the department's statement"))
		gotNotice = gotNotice || (e.Notice != nil && e.Notice.MessageID == cisa.MessageID && e.Notice.ContentHash == cisa.ContentHash)
	}
	require.True(t, gotDet && gotWaive && gotNotice)
	require.Len(t, back.Incidents[0].Obligations, len(ir.Obligations))
	require.Equal(t, rep.Summary, back.Summary)

	require.Error(t, Write(&js, rep, "xml"))
}

// makeExport builds an export folder holding a copy of the committed history, as Export writes it,
// signed with testSigningKey.
func makeExport(t *testing.T, root string) (dir, file string, sum string) {
	t.Helper()
	data, err := os.ReadFile(committed)
	require.NoError(t, err)
	h, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	require.NoError(t, err)
	in, err := decodeStart(new(Options).dataConverter(), h)
	require.NoError(t, err)
	dir = filepath.Join(root, in.IncidentID)
	require.NoError(t, os.MkdirAll(dir, 0o700))
	runID := h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetOriginalExecutionRunId()
	name := "run-001-" + runID + ".json"
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	m := Manifest{
		Format: ManifestFormat, IncidentID: in.IncidentID, WorkflowID: in.IncidentID,
		PlaybookName: in.Playbook.Name, PlaybookVersion: in.Playbook.Version, Build: CurrentBuild(),
		Runs:        []RunFile{{RunID: runID, File: name, Events: len(h.Events), SHA256: sha256Hex(data)}},
		TotalEvents: len(h.Events), ExportedAt: time.Now().UTC(),
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), mj, 0o600))
	sig, err := SignManifest(testSigningKey, mj)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, SignatureFile), sig, 0o600))
	return dir, filepath.Join(dir, name), sha256Hex(data)
}

func TestAuditExportFolderAndTampering(t *testing.T) {
	dir, file, sum := makeExport(t, t.TempDir())
	rep, err := auditFile(t, dir, trusted)
	require.NoError(t, err)
	ir := rep.Incidents[0]
	require.Equal(t, HashOK, ir.Runs[0].Hash)
	require.Equal(t, ReplayOK, ir.Runs[0].Replay)
	require.NotNil(t, ir.Manifest)
	require.NotEmpty(t, ir.Timeline)

	// A single file of the folder is checked against the manifest next to it.
	rep, err = auditFile(t, file, trusted)
	require.NoError(t, err)
	require.Equal(t, HashOK, rep.Incidents[0].Runs[0].Hash)

	// Change one byte: a letter of a field name, so the JSON stays valid.
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	i := bytes.Index(data, []byte(`"eventType"`))
	require.Positive(t, i)
	data[i+2] ^= 0x20 // "eventType" -> "eVentType": still JSON, no longer the same bytes
	require.NoError(t, os.WriteFile(file, data, 0o600))
	bad := sha256Hex(data)

	rep, err = auditFile(t, dir, trusted)
	require.Error(t, err)
	for _, want := range []string{"SHA-256 mismatch", filepath.Base(file), sum, bad, "tampered with or corrupted"} {
		require.Contains(t, err.Error(), want)
	}
	require.NotNil(t, rep)
	ir = rep.Incidents[0]
	require.False(t, ir.OK())
	require.Equal(t, HashMismatch, ir.Runs[0].Hash)
	require.Equal(t, ReplaySkipped, ir.Runs[0].Replay)
	require.Empty(t, ir.Timeline, "no timeline from a file that failed its check")
	require.Equal(t, 1, rep.Summary.HashMismatches)
	require.Equal(t, 1, rep.Summary.Failed)
	require.Equal(t, 0, rep.Summary.ReplayedOK)

	var out bytes.Buffer
	require.NoError(t, WriteTable(&out, rep))
	require.Contains(t, out.String(), "AUDIT FAILED")
	require.Contains(t, out.String(), "tampered with or corrupted")

	// The single file too.
	_, err = auditFile(t, file, trusted)
	require.ErrorContains(t, err, "SHA-256 mismatch")
}

func TestAuditDetectsChangedWorkflow(t *testing.T) {
	changed := func(ctx workflow.Context, in workflows.StartIncidentInput) (*workflows.IncidentResult, error) {
		if err := workflow.Sleep(ctx, time.Minute); err != nil {
			return nil, err
		}
		return workflows.IncidentWorkflow(ctx, in)
	}
	rep, err := auditFile(t, committed, Options{AllowUnsigned: true, RegisterWorkflows: func(r worker.WorkflowRegistry) {
		r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: "IncidentWorkflow"})
	}})
	require.Error(t, err)
	// TMPRL1100 is the SDK's code for a history that does not match the workflow code; the
	// replayer's message names the event that diverges.
	require.Contains(t, err.Error(), "TMPRL1100")
	require.Contains(t, err.Error(), "replay failed")
	ir := rep.Incidents[0]
	require.Equal(t, ReplayFailed, ir.Runs[0].Replay)
	require.Contains(t, ir.Runs[0].ReplayError, "TMPRL1100")
	require.Contains(t, err.Error(), ir.Runs[0].ReplayError, "the replayer's error, verbatim")
	require.Equal(t, 1, rep.Summary.ReplayFailures)
	// The timeline is still built (for the investigation), from the last update's outcome.
	require.NotNil(t, find(ir.Timeline, "cio", "determination recorded", ""))
	require.Equal(t, FromLastUpdate, ir.StatusFrom)
	require.NotEmpty(t, ir.Obligations)

	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, rep))
	require.Contains(t, md.String(), "**FAILED**")
	require.Contains(t, md.String(), "TMPRL1100")
}

// TestAuditOpenIncident: a history cut while the incident was open (before the close) shows it
// open, with the state the replay rebuilt as of its last event.
func TestAuditOpenIncident(t *testing.T) {
	data, err := os.ReadFile(committed)
	require.NoError(t, err)
	full, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	require.NoError(t, err)
	// The last workflow task started before the close was accepted.
	var cut int64
	for _, e := range full.Events {
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED &&
			e.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName() == workflows.UpdateClose {
			break
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED {
			cut = e.GetEventId()
		}
	}
	require.Positive(t, cut)
	h, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{LastEventID: cut})
	require.NoError(t, err)
	out, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "open.json")
	require.NoError(t, os.WriteFile(path, out, 0o600))

	rep, err := auditFile(t, path, lone)
	require.NoError(t, err)
	ir := rep.Incidents[0]
	require.Equal(t, workflows.IncidentOpen, ir.Status)
	require.Equal(t, FromReplay, ir.StatusFrom)
	require.Nil(t, find(ir.Timeline, "coordinator", "closed", ""))
	require.NotNil(t, find(ir.Timeline, "coordinator", "waived", "public-statement"))
	require.NotNil(t, find(ir.Timeline, "engine", "clock started", "omb-report"))
	obl := map[string]ObligationAudit{}
	for _, o := range ir.Obligations {
		obl[o.ID] = o
	}
	require.Equal(t, OutcomeOpen, obl["law-enforcement"].Outcome)
	require.Positive(t, obl["law-enforcement"].Margin)
	require.Contains(t, obl["law-enforcement"].Verdict, "left as of")
}

func TestAuditFolderOfMany(t *testing.T) {
	root := t.TempDir()
	makeExport(t, filepath.Join(root, "exports"))
	data, err := os.ReadFile(committed)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "loose"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(root, "loose", "history.json"), data, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(root, "loose", "notes.json"), []byte(`{"not":"a history"}`), 0o600))

	var progress bytes.Buffer
	rep, err := auditFile(t, root, Options{Progress: &progress, VerifyKeys: trusted.VerifyKeys, AllowUnsigned: true})
	require.NoError(t, err)
	require.Len(t, rep.Incidents, 2)
	require.Equal(t, []string{filepath.Join(root, "loose", "notes.json")}, rep.Skipped)
	require.Equal(t, 2, rep.Summary.Histories)
	require.Equal(t, 2, rep.Summary.ReplayedOK)
	require.Equal(t, 6, rep.Summary.ObligationsMet)
	require.Contains(t, progress.String(), "\r[")
	require.Contains(t, progress.String(), "] 3/3", "two histories and a file that turned out not to be one")
	require.True(t, strings.HasSuffix(progress.String(), "\n"))

	// Tamper with the export: the folder audit fails, the loose copy still passes.
	var file string
	matches, _ := filepath.Glob(filepath.Join(root, "exports", "*", "run-*.json"))
	require.Len(t, matches, 1)
	file = matches[0]
	data[len(data)/2] ^= 0x01
	require.NoError(t, os.WriteFile(file, data, 0o600))
	rep, err = auditFile(t, root, Options{VerifyKeys: trusted.VerifyKeys, AllowUnsigned: true})
	require.ErrorContains(t, err, "SHA-256 mismatch")
	require.Equal(t, 1, rep.Summary.ReplayedOK)
	require.Equal(t, 1, rep.Summary.HashMismatches)
	var out bytes.Buffer
	require.NoError(t, WriteTable(&out, rep))
	require.Contains(t, out.String(), "2 histories audited: 1 replayed OK, 1 failed (1 hash mismatch(es)")
}

func TestJudge(t *testing.T) {
	dl := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		o       workflows.ObligationStatus
		asOf    time.Time
		closed  bool
		outcome workflows.Outcome
		margin  time.Duration
	}{
		{"done early", workflows.ObligationStatus{State: workflows.StateDone, Deadline: dl, CompletedAt: dl.Add(-2 * time.Hour)}, dl, true, OutcomeMet, 2 * time.Hour},
		{"done late", workflows.ObligationStatus{State: workflows.StateDone, Deadline: dl, CompletedAt: dl.Add(3 * time.Hour), Late: 3 * time.Hour}, dl, true, OutcomeMissed, -3 * time.Hour},
		{"overdue, open", workflows.ObligationStatus{State: workflows.StateOverdue, Deadline: dl}, dl.Add(26 * time.Hour), false, OutcomeMissed, -26 * time.Hour},
		{"due past deadline at close", workflows.ObligationStatus{State: workflows.StateDue, Deadline: dl}, dl.Add(time.Hour), true, OutcomeMissed, -time.Hour},
		{"due at close", workflows.ObligationStatus{State: workflows.StateDue, Deadline: dl}, dl.Add(-time.Hour), true, OutcomeUnfinished, time.Hour},
		{"due, open", workflows.ObligationStatus{State: workflows.StateDue, Deadline: dl}, dl.Add(-time.Hour), false, OutcomeOpen, time.Hour},
		{"no deadline done", workflows.ObligationStatus{State: workflows.StateDone, CompletedAt: dl}, dl, true, OutcomeMet, 0},
		{"waived", workflows.ObligationStatus{State: workflows.StateWaived}, dl, true, OutcomeWaived, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a ObligationAudit
			judge(&a, c.o, c.asOf, c.closed)
			require.Equal(t, c.outcome, a.Outcome)
			require.Equal(t, c.margin, a.Margin)
			require.NotEmpty(t, a.Verdict)
		})
	}
}

// TestNoticeKinds: a notice's kind and obligation come from its key, as the workflow wrote it.
func TestNoticeKinds(t *testing.T) {
	for key, want := range map[string][2]string{
		"cisa-report/notice":                {"cisa-report", "notice"},
		"cisa-report/reminder/1700000000/2": {"cisa-report", "reminder"},
		"risk-assessment/cadence/1700/3":    {"risk-assessment", "reminder"},
		"omb-report/escalation/1700/0":      {"omb-report", "escalation"},
		"individual-notice/hold/1700/1800":  {"individual-notice", "hold-expiring"},
		"other/unknown-rung/1":              {"other", "notice"},
	} {
		nd := noticeFrom(&activities.SendNoticeInput{NoticeKey: key})
		require.Equal(t, want, [2]string{nd.obligation(), nd.Kind}, key)
	}
}

// fakeClient serves stored histories for Export; every other method panics.
type fakeClient struct {
	client.Client
	runs     map[string]*historypb.History
	current  string
	firstRun string
}

func (f *fakeClient) DescribeWorkflowExecution(ctx context.Context, wid, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Execution:  &commonpb.WorkflowExecution{WorkflowId: wid, RunId: f.current},
		FirstRunId: f.firstRun,
	}}, nil
}

func (f *fakeClient) GetWorkflowHistory(ctx context.Context, wid, runID string, _ bool, _ enumspb.HistoryEventFilterType) client.HistoryEventIterator {
	if runID == "" {
		runID = f.current
	}
	return &sliceIter{events: f.runs[runID].GetEvents(), missing: f.runs[runID] == nil}
}

type sliceIter struct {
	events  []*historypb.HistoryEvent
	missing bool
}

func (s *sliceIter) HasNext() bool { return s.missing || len(s.events) > 0 }
func (s *sliceIter) Next() (*historypb.HistoryEvent, error) {
	if s.missing {
		s.missing = false
		return nil, serviceerror.NewNotFound("no such run")
	}
	e := s.events[0]
	s.events = s.events[1:]
	return e, nil
}

// TestExportFollowsContinueAsNew: Export follows a chain of runs from the first one, through each
// WorkflowExecutionContinuedAsNew event, and writes files the SDK reads back with their hashes.
func TestExportFollowsContinueAsNew(t *testing.T) {
	data, err := os.ReadFile(committed)
	require.NoError(t, err)
	full, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	require.NoError(t, err)
	in, err := decodeStart(new(Options).dataConverter(), full)
	require.NoError(t, err)

	// Run 1 ends by continuing as new into run 2, which goes on to the close.
	run1 := proto.Clone(full).(*historypb.History)
	run1.Events = run1.Events[:20]
	last := run1.Events[19]
	run1.Events = append(run1.Events, &historypb.HistoryEvent{
		EventId: last.EventId + 1, EventTime: last.EventTime,
		EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes{
			WorkflowExecutionContinuedAsNewEventAttributes: &historypb.WorkflowExecutionContinuedAsNewEventAttributes{NewExecutionRunId: "run-2"},
		},
	})
	run1.Events[0].GetWorkflowExecutionStartedEventAttributes().FirstExecutionRunId = "run-1"
	run2 := proto.Clone(full).(*historypb.History)
	run2.Events[0].GetWorkflowExecutionStartedEventAttributes().ContinuedExecutionRunId = "run-1"
	run2.Events[0].GetWorkflowExecutionStartedEventAttributes().FirstExecutionRunId = ""

	for _, firstRun := range []string{"run-1", ""} { // FirstRunId, or walking back from the current run
		fc := &fakeClient{runs: map[string]*historypb.History{"run-1": run1, "run-2": run2}, current: "run-2", firstRun: firstRun}
		out := t.TempDir()
		exportedAt := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		m, err := ExportWithOptions(context.Background(), fc, in.IncidentID, out, ExportOptions{Now: func() time.Time { return exportedAt }})
		require.NoError(t, err)
		require.Equal(t, in.IncidentID, m.IncidentID)
		require.Equal(t, "us-federal-breach", m.PlaybookName)
		require.Equal(t, "2026.1", m.PlaybookVersion)
		require.Equal(t, exportedAt, m.ExportedAt)
		require.NotEmpty(t, m.Build.Version)
		require.Len(t, m.Runs, 2)
		require.Equal(t, []string{"run-1", "run-2"}, []string{m.Runs[0].RunID, m.Runs[1].RunID})
		require.Equal(t, "WorkflowExecutionContinuedAsNew", m.Runs[0].LastEvent)
		require.Equal(t, "WorkflowExecutionCompleted", m.Runs[1].LastEvent)
		require.Equal(t, len(run1.Events)+len(run2.Events), m.TotalEvents)
		require.Equal(t, run1.Events[0].EventTime.AsTime().UTC(), m.FirstEventTime)
		require.Equal(t, run2.Events[len(run2.Events)-1].EventTime.AsTime().UTC(), m.LastEventTime)

		dir := filepath.Join(out, in.IncidentID)
		back, err := ReadManifest(dir)
		require.NoError(t, err)
		require.Equal(t, m.Runs, back.Runs)
		for i, r := range m.Runs {
			raw, err := os.ReadFile(filepath.Join(dir, r.File))
			require.NoError(t, err)
			require.Equal(t, r.SHA256, sha256Hex(raw))
			h, err := client.HistoryFromJSON(bytes.NewReader(raw), client.HistoryJSONOptions{})
			require.NoError(t, err)
			require.Len(t, h.Events, r.Events)
			require.True(t, proto.Equal([]*historypb.History{run1, run2}[i], h), "run %d reads back as written", i+1)
			fi, err := os.Stat(filepath.Join(dir, r.File))
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		}

		// An export is never overwritten.
		_, err = Export(context.Background(), fc, in.IncidentID, out)
		require.ErrorContains(t, err, "already exists")
	}

	_, err = Export(context.Background(), &fakeClient{}, "not-an-incident", t.TempDir())
	require.Error(t, err)
}

// TestAuditEncryptedHistory: with payload encryption on, the history's payloads are ciphertext;
// the audit reads them with the DataConverter carrying the codec, in the timeline and in the
// replayer alike, and without it says what is missing.
func TestAuditEncryptedHistory(t *testing.T) {
	keys, err := codec.ParseKeys("k-test:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	require.NoError(t, err)
	data, err := os.ReadFile(committed)
	require.NoError(t, err)
	h, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	require.NoError(t, err)
	cdc := codec.NewCodec(keys)
	require.NoError(t, proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return cdc.Encode(p)
		},
	}))
	enc, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	require.True(t, encrypted(h))
	path := filepath.Join(t.TempDir(), "encrypted.json")
	require.NoError(t, os.WriteFile(path, enc, 0o600))

	plain, err := auditFile(t, committed, lone)
	require.NoError(t, err)
	rep, err := auditFile(t, path, Options{DataConverter: codec.DataConverter(keys), AllowUnsigned: true})
	require.NoError(t, err)
	ir := rep.Incidents[0]
	require.Equal(t, ReplayOK, ir.Runs[0].Replay)
	require.Equal(t, plain.Incidents[0].IncidentID, ir.IncidentID)
	require.NotNil(t, find(ir.Timeline, "cio", "determination recorded", ""))
	waived := find(ir.Timeline, "coordinator", "waived", "public-statement")
	require.NotNil(t, waived)
	require.Contains(t, waived.Details, "covered by the department's statement")
	require.Len(t, ir.Timeline, len(plain.Incidents[0].Timeline))

	rep, err = auditFile(t, path, lone)
	require.Error(t, err, "without the keys the history cannot be replayed")
	require.Equal(t, ReplayFailed, rep.Incidents[0].Runs[0].Replay)
	require.Contains(t, strings.Join(rep.Incidents[0].Notes, "\n"), "encrypted")
	require.Contains(t, strings.Join(rep.Incidents[0].Notes, "\n"), codec.EnvKeys)
	require.Contains(t, strings.Join(rep.Incidents[0].Notes, "\n"), "key ID(s) k-test")
	require.Equal(t, []string{"k-test"}, appendKeyIDs(nil, h))
	require.Empty(t, appendKeyIDs(nil, plainHistory(t)))
}

func TestCheckApprovals(t *testing.T) {
	at := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	approve := func(by, hash string) Entry {
		return Entry{At: at, Actor: by, Action: "approved", Obligation: "congress-notice", Update: workflows.UpdateApprove,
			Input: workflows.ApproveInput{Obligation: "congress-notice", By: by, ContentHash: hash}}
	}
	sent := func(hash string) Entry {
		return Entry{At: at, Actor: "engine", Action: "notice sent", Obligation: "congress-notice",
			Notice: &NoticeDetail{Key: "congress-notice/notice", Kind: "notice", ContentHash: hash}}
	}
	tl := []Entry{approve("a", "aaaaaaaaaaaa"), {Action: "approvals lapsed", Obligation: "congress-notice"},
		approve("b", "bbbbbbbbbbbb"), approve("c", "bbbbbbbbbbbb"), sent("bbbbbbbbbbbbffff")}
	require.Empty(t, checkApprovals(tl), "lapsed approvals do not count")
	require.Equal(t, []string{"b", "c"}, tl[4].Notice.ApprovedBy)
	require.Contains(t, tl[4].Details, "approved by b, c")

	tl = []Entry{approve("a", "aaaaaaaaaaaa"), sent("bbbbbbbbbbbbffff")}
	findings := checkApprovals(tl)
	require.Len(t, findings, 1)
	require.Contains(t, findings[0], "a approved content aaaaaaaaaaaa of congress-notice")
	require.Contains(t, findings[0], "bbbbbbbbbbbbffff was sent")
}

func plainHistory(t *testing.T) *historypb.History {
	t.Helper()
	data, err := os.ReadFile(committed)
	require.NoError(t, err)
	h, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	require.NoError(t, err)
	return h
}
