package e2e

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// TestRecordHistory regenerates the committed histories that workflows/replay_test.go replays:
//
//	BREACHFLOW_RECORD_HISTORY=1 go test ./internal/e2e/ -run TestRecordHistory
//
// Each representative incident runs on the embedded server and its history is written as JSON.
// Histories recorded by older builds (incident-forced-close.json predates local rendering) are kept
// as they are: they are what guards the workflow.GetVersion branches (incident-forced-close.json
// came from this test's first version: notices sent on their own and on request, a completion, a
// fact, a determination, a waiver, a forced close). Only regenerate one when a
// change deliberately drops support for incidents that old, and say so in the change.
func TestRecordHistory(t *testing.T) {
	if os.Getenv("BREACHFLOW_RECORD_HISTORY") == "" {
		t.Skip("set BREACHFLOW_RECORD_HISTORY=1 to regenerate workflows/testdata/")
	}
	t.Run("approvals-holds", recordApprovalsAndHolds)
	t.Run("typed-record", recordTypedRecord)
	t.Run("law", recordLaw)
	t.Run("signed", recordSigned)
	t.Run("digest", recordDigest)
	t.Run("end-own-task", recordEndOwnTask)
}

// recordEndOwnTask: a forced close while the first notices are being sent; the close is
// answered in one workflow task and the run ends in the next (workflows.ChangeEndInOwnTask):
//
//	BREACHFLOW_RECORD_HISTORY=1 go test ./internal/e2e/ -run TestRecordHistory/end-own-task
func recordEndOwnTask(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")})
	id, _ := startCBP(t, s.client)
	must := mustUpdate(t, s, id)
	must(workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "coordinator"})
	must(workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "closed while notices are sent"})
	writeHistory(t, s, id, "incident-end-own-task.json")
}

// recordSigned records an incident whose actions are signed by a console, as the web console
// signs a signed-in person's actions, mixed with an asserted one (the CLI), so replay tests and
// the audit's signature checks cover that shape:
//
//	BREACHFLOW_RECORD_HISTORY=1 go test ./internal/e2e/ -run TestRecordHistory/signed
//
// The console key is the fixed test key (testConsole); its public half is committed next to the
// history (incident-signed.console-key) for the audit tests.
func recordSigned(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")})
	id, _ := startCBP(t, s.client)
	must := mustUpdate(t, s, id)
	hash := previewHash(t, s, id)
	const coordinator, cio, counsel = "local:coordinator", "oidc:https://login.agency.example#4711", "local:ogc@agency.example"
	must(workflows.UpdateSendNotice, testConsole.sign(t, id, workflows.UpdateSendNotice, &workflows.SendNoticeInput{Obligation: "cisa-report"}, coordinator, "coordinator@agency.example"))
	must(workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "coordinator", Note: "scoped (from the CLI)"})
	must(workflows.UpdateRecordFact, testConsole.sign(t, id, workflows.UpdateRecordFact, &workflows.RecordFactInput{Name: "major_incident", Value: "yes", Determination: true}, cio, "cio@agency.example"))
	must(workflows.UpdateSendNotice, testConsole.sign(t, id, workflows.UpdateSendNotice, &workflows.SendNoticeInput{Obligation: "congress-notice"}, coordinator, "coordinator@agency.example"))
	_, err := update(t, s.client, id, workflows.UpdateApprove, testConsole.sign(t, id, workflows.UpdateApprove,
		&workflows.ApproveInput{Obligation: "congress-notice", ContentHash: hash("congress-notice")}, "local:analyst", "analyst@agency.example"))
	require.ErrorContains(t, err, "may not approve", "only counsel and the CIO approve the notice to Congress")
	must(workflows.UpdateApprove, testConsole.sign(t, id, workflows.UpdateApprove, &workflows.ApproveInput{Obligation: "congress-notice", ContentHash: hash("congress-notice")}, counsel, "General Counsel"))
	must(workflows.UpdateApprove, testConsole.sign(t, id, workflows.UpdateApprove, &workflows.ApproveInput{Obligation: "congress-notice", ContentHash: hash("congress-notice")}, cio, "cio@agency.example"))
	must(workflows.UpdateWaive, testConsole.sign(t, id, workflows.UpdateWaive, &workflows.WaiveInput{Obligation: "public-statement", Reason: "covered by the department's statement"}, coordinator, "coordinator@agency.example"))
	require.Eventually(t, func() bool {
		for _, n := range status(t, s.client, id).Notices {
			if n.State != workflows.NoticeSent {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond)
	must(workflows.UpdateClose, testConsole.sign(t, id, workflows.UpdateClose, &workflows.CloseInput{Force: true, Reason: "recorded for replay tests"}, coordinator, "coordinator@agency.example"))
	writeHistory(t, s, id, "incident-signed.json")
	require.NoError(t, os.WriteFile("../../workflows/testdata/incident-signed.console-key", []byte(base64.StdEncoding.EncodeToString(testConsole.pub)+"\n"), 0o644))
}

// recordDigest: two incidents whose repeat escalation goes to one daily digest per recipient; the
// digest's delivery report, a completion that withdraws nothing (the next escalation never came),
// a normal close. It writes one incident's history and the boss's digest history (still running:
// a digest waits a day for more before it ends; replay covers what it did).
func recordDigest(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")})
	ids, _ := startDigestIncidents(t, s)
	for _, id := range ids {
		digestDelivered(t, s, id)
	}
	must := mustUpdate(t, s, ids[0])
	must(workflows.UpdateComplete, workflows.CompleteInput{Obligation: "report", By: "a"})
	must(workflows.UpdateClose, workflows.CloseInput{By: "a"})
	writeHistory(t, s, ids[0], "incident-digest.json")
	writeRunningHistory(t, s, workflows.DigestWorkflowID("boss@agency.example"), "digests/digest.json")
}

// writeRunningHistory writes the history of a workflow that is still running.
func writeRunningHistory(t *testing.T, s *stack, id, name string) {
	var hist historypb.History
	iter := s.client.GetWorkflowHistory(context.Background(), id, "", false, 0)
	for iter.HasNext() {
		e, err := iter.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, e)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&hist)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("../../workflows/testdata", name), data, 0o644))
	t.Logf("wrote %s: %d events", name, len(hist.Events))
}

// recordApprovalsAndHolds: a notice approved by two people, a fact that makes an approval lapse,
// a law-enforcement hold re-confirmed and released, a discovery correction, a normal close.
func recordApprovalsAndHolds(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")})
	id, _ := startCBP(t, s.client)
	must := mustUpdate(t, s, id)
	hash := previewHash(t, s, id)
	must(workflows.UpdateCorrectDiscovery, workflows.CorrectDiscoveryInput{DiscoveredAt: time.Now().Add(-2 * time.Hour), By: "coordinator", Reason: "SOC ticket shows earlier awareness"})
	must(workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"})
	must(workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "major_incident", Value: "yes", Determination: true, By: "cio"})
	must(workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "congress-notice", By: "coordinator"})
	must(workflows.UpdateApprove, workflows.ApproveInput{Obligation: "congress-notice", By: "cio", ContentHash: hash("congress-notice")})
	must(workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "184000", By: "analyst"})
	require.Eventually(t, func() bool {
		for _, n := range status(t, s.client, id).Notices {
			if n.Key == "congress-notice/notice" {
				return len(n.Approvals) == 0
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "the approval lapses with the new count")
	must(workflows.UpdateApprove, workflows.ApproveInput{Obligation: "congress-notice", By: "cio", ContentHash: hash("congress-notice")})
	must(workflows.UpdateApprove, workflows.ApproveInput{Obligation: "congress-notice", By: "general-counsel", ContentHash: hash("congress-notice")})
	hold := workflows.HoldInput{Obligation: "public-statement", By: "coordinator", RequestedBy: "FBI Cyber Division", Authority: "investigation in progress", Until: time.Now().Add(48 * time.Hour)}
	must(workflows.UpdateHold, hold)
	hold.Until = hold.Until.Add(24 * time.Hour)
	must(workflows.UpdateHold, hold)
	must(workflows.UpdateRelease, workflows.ReleaseInput{Obligation: "public-statement", By: "coordinator", Note: "FBI agreed"})
	require.Eventually(t, func() bool {
		for _, n := range status(t, s.client, id).Notices {
			if n.State != workflows.NoticeSent {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond)
	must(workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "recorded for replay tests"})
	writeHistory(t, s, id, "incident-approvals-holds.json")
}

// recordTypedRecord records an incident with the typed record (Update IDs, notice keys, facts on
// its lines), so replay tests and the audit's exact joins cover that shape:
//
//	BREACHFLOW_RECORD_HISTORY=1 go test ./internal/e2e/ -run TestRecordHistory/typed-record
//
// It has a contacts change, a completion, a waiver, a fact and a determination, a notice released
// by its one approval, a notice left awaiting two approvals, a hold re-confirmed and released, a
// notice whose delivery fails round after round, and a forced close that cancels both.
func recordTypedRecord(t *testing.T) {
	dir := t.TempDir()
	transport := &refusingTransport{Outbox: activities.Outbox{Dir: filepath.Join(dir, "outbox")}, refuse: "dark-web-monitoring.notice"}
	s := startStack(t, dir, transport)
	id, _ := startCBP(t, s.client)
	must := mustUpdate(t, s, id)
	hash := previewHash(t, s, id)
	require.Eventually(t, func() bool {
		for _, n := range status(t, s.client, id).Notices {
			if n.Key == "dark-web-monitoring/notice" && n.State == workflows.NoticeFailing {
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "the refused notice fails its first round")
	must(workflows.UpdateSetContacts, workflows.SetContactsInput{Role: "law_enforcement", By: "coordinator", Reason: "new FBI liaison",
		Contacts: []playbook.Contact{{Name: "FBI Liaison", Email: "liaison@fbi.example"}}})
	must(workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "coordinator", Note: "scoped"})
	must(workflows.UpdateWaive, workflows.WaiveInput{Obligation: "equipment-removal", By: "ciso", Reason: "the subcontractor's equipment was already seized"})
	must(workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "184000", By: "analyst"})
	must(workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "major_incident", Value: "yes", Determination: true, By: "cio"})
	must(workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"})
	must(workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "omb-report", By: "coordinator"})
	must(workflows.UpdateApprove, workflows.ApproveInput{Obligation: "omb-report", By: "cio", ContentHash: hash("omb-report")})
	must(workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "congress-notice", By: "coordinator"})
	hold := workflows.HoldInput{Obligation: "public-statement", By: "coordinator", RequestedBy: "FBI Cyber Division", Authority: "investigation in progress", Until: time.Now().Add(48 * time.Hour)}
	must(workflows.UpdateHold, hold)
	hold.Until = hold.Until.Add(24 * time.Hour)
	must(workflows.UpdateHold, hold)
	must(workflows.UpdateRelease, workflows.ReleaseInput{Obligation: "public-statement", By: "coordinator", Note: "FBI agreed"})
	require.Eventually(t, func() bool {
		for _, n := range status(t, s.client, id).Notices {
			if n.Key == "omb-report/notice" {
				return n.State == workflows.NoticeSent
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "the approved notice is delivered")
	must(workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "recorded for replay tests"})
	writeHistory(t, s, id, "incident-typed-record.json")
}

// recordLaw records an incident on the law model (the default playbook of the 2026.3 kind), so
// replay tests and the golden audit cover its shape and its workflow.GetVersion branches:
//
//	BREACHFLOW_RECORD_HISTORY=1 go test ./internal/e2e/ -run TestRecordHistory/law
//
// It has a count that implies the major-incident determination (the CISA and Congress clocks run
// from it), the contractor's own discovery time, a decision not to notify individuals with its
// rationale and assessment, a decision superseded by a later one, a refused hold on the notice
// to Congress, a hold on the notice to individuals, and a forced close.
func recordLaw(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")})
	id, _ := startCBP(t, s.client)
	must := mustUpdate(t, s, id)
	must(workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"})
	must(workflows.UpdateComplete, workflows.CompleteInput{Obligation: "contractor-report", By: "coordinator", Note: "the subcontractor's report reached the SOC"})
	must(workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "120000", By: "analyst", Note: "people, from the forensic review"})
	must(workflows.UpdateDecide, workflows.DecideInput{Decision: "notify_individuals", Outcome: "yes", Rationale: "moderate risk of harm pending review", Assessment: "risk-assessment", By: "privacy-officer"})
	must(workflows.UpdateDecide, workflows.DecideInput{Decision: "notify_individuals", Outcome: "no", Rationale: "low risk of harm: images only, no other identifiers", Assessment: "risk-assessment", By: "privacy-officer"})
	_, err := update(t, s.client, id, workflows.UpdateHold, workflows.HoldInput{Obligation: "congress-notice", By: "coordinator",
		RequestedBy: "FBI Cyber Division", Authority: "investigation in progress", Until: time.Now().Add(48 * time.Hour)})
	require.ErrorContains(t, err, "may not be put on hold")
	must(workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "major_incident", Value: "yes", Determination: true, By: "cio", Note: "confirms what the count implied"})
	must(workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "recorded for replay tests"})
	writeHistory(t, s, id, "incident-law.json")
}

// mustUpdate returns a function that sends an Update to the incident and fails the test if it
// is refused.
func mustUpdate(t *testing.T, s *stack, id string) func(name string, arg any) {
	return func(name string, arg any) {
		_, err := update(t, s.client, id, name, arg)
		require.NoError(t, err, name)
	}
}

// previewHash returns a function that reads the content hash of an obligation's notice, as an
// approver would from `starter preview`.
func previewHash(t *testing.T, s *stack, id string) func(obligation string) string {
	return func(obligation string) string {
		v, err := s.client.QueryWorkflow(context.Background(), id, "", workflows.QueryPreview, obligation)
		require.NoError(t, err)
		var p workflows.Preview
		require.NoError(t, v.Get(&p))
		return p.Rendered.ContentHash
	}
}

// writeHistory waits for the incident to finish and writes its history to workflows/testdata.
func writeHistory(t *testing.T, s *stack, id, name string) {
	require.NoError(t, s.client.GetWorkflow(context.Background(), id, "").Get(context.Background(), nil))
	var hist historypb.History
	iter := s.client.GetWorkflowHistory(context.Background(), id, "", false, 0)
	for iter.HasNext() {
		e, err := iter.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, e)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&hist)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("../../workflows/testdata", name), data, 0o644))
	t.Logf("wrote %s: %d events", name, len(hist.Events))
}
