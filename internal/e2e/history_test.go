package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/workflows"
)

// TestRecordHistory regenerates the committed history that workflows/replay_test.go replays:
//
//	BREACHFLOW_RECORD_HISTORY=1 go test ./internal/e2e/ -run TestRecordHistory
//
// It runs a representative incident on the embedded server — notices sent on their own and on
// approval, a completion, a fact that changes applicability, a determination that starts two
// clocks, a refused and an accepted waiver, a forced close — and writes its history as JSON.
func TestRecordHistory(t *testing.T) {
	if os.Getenv("BREACHFLOW_RECORD_HISTORY") == "" {
		t.Skip("set BREACHFLOW_RECORD_HISTORY=1 to regenerate workflows/testdata/")
	}
	dir := t.TempDir()
	s := startStack(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")})
	id, _ := startCBP(t, s.client)
	steps := []struct {
		name string
		arg  any
	}{
		{workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"}},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "coordinator", Note: "scoped"}},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "184000", By: "analyst"}},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "major_incident", Value: "yes", Determination: true, By: "cio"}},
		{workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "congress-notice", By: "cio"}},
		{workflows.UpdateWaive, workflows.WaiveInput{Obligation: "public-statement", By: "coordinator", Reason: "covered by the department's statement"}},
	}
	for _, st := range steps {
		_, err := update(t, s.client, id, st.name, st.arg)
		require.NoError(t, err, st.name)
	}
	_, err := update(t, s.client, id, workflows.UpdateWaive, workflows.WaiveInput{Obligation: "opr-referral", By: "coordinator"})
	require.Error(t, err, "a refused update leaves no event")
	require.Eventually(t, func() bool {
		for _, n := range status(t, s.client, id).Notices {
			if n.State != workflows.NoticeSent {
				return false
			}
		}
		return true
	}, 30e9, 1e8)
	_, err = update(t, s.client, id, workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "recorded for replay tests"})
	require.NoError(t, err)
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
	require.NoError(t, os.WriteFile("../../workflows/testdata/incident-forced-close.json", data, 0o644))
	t.Logf("wrote %d events", len(hist.Events))
}
