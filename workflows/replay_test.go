package workflows_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/workflows"
)

// The histories in testdata/ were recorded on a real server; regenerate them with
//
//	BREACHFLOW_RECORD_HISTORY=1 go test ./internal/e2e/ -run TestRecordHistory
//
// A change to IncidentWorkflow that makes them fail to replay would break every running incident:
// guard such a change with workflow.GetVersion instead of regenerating.
//
// The replayer here trusts no console key, yet incident-signed.json (actions signed by a console)
// replays: Update validators, which verify signatures, never run on replay.
func TestReplayCommittedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	// Digest histories live apart: the audit reads every testdata/*.json as an incident.
	digests, err := filepath.Glob("testdata/digests/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, digests)
	files = append(files, digests...)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.IncidentWorkflow)
			r.RegisterWorkflow(workflows.DigestWorkflow)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(quietLogger(), f))
		})
	}
}

// TestReplayDetectsIncompatibleChange shows the guard works: a workflow that schedules a timer
// the recorded one did not is refused with a non-determinism error.
func TestReplayDetectsIncompatibleChange(t *testing.T) {
	changed := func(ctx workflow.Context, in workflows.StartIncidentInput) (*workflows.IncidentResult, error) {
		if err := workflow.Sleep(ctx, time.Minute); err != nil {
			return nil, err
		}
		return workflows.IncidentWorkflow(ctx, in)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: "IncidentWorkflow"})
	err := r.ReplayWorkflowHistoryFromJSONFile(quietLogger(), "testdata/incident-forced-close.json")
	require.Error(t, err)
	// TMPRL1100 is the SDK's code for a history that does not match the workflow code.
	require.Contains(t, err.Error(), "TMPRL1100")
}

func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}
