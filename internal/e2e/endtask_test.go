package e2e

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/workflows"
)

// TestCloseAnsweredBeforeRunEnds: the close is accepted and answered in one workflow task and
// the run completes in a later one (workflows.ChangeEndInOwnTask). The server refuses a task that
// completes a run when an event arrived while the worker ran it (a delivery's result, a timer);
// it used to take the close with it, and the person closing was told "unexpected workflow task
// failure" (CI hit it: a forced close while notices were being sent). The order of the events
// is checked on the real server's history, so the test does not depend on winning that race.
func TestCloseAnsweredBeforeRunEnds(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")})
	ctx := context.Background()
	id, _ := startCBP(t, s.client)
	// Notices are in flight when the close comes.
	_, err := update(t, s.client, id, workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "closed while notices are sent"})
	require.NoError(t, err)
	require.NoError(t, s.client.GetWorkflow(ctx, id, "").Get(ctx, nil))

	var lastTask, closeAccepted, closeAnswered, runEnded int64
	var closeUpdate string
	it := s.client.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	markers := map[string]bool{}
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			lastTask = e.GetEventId()
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if p := e.GetMarkerRecordedEventAttributes().GetDetails()["change-id"]; p != nil {
				for _, pl := range p.GetPayloads() {
					markers[string(pl.GetData())] = true
				}
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes()
			if a.GetAcceptedRequest().GetInput().GetName() == workflows.UpdateClose {
				closeUpdate = a.GetProtocolInstanceId()
				closeAccepted = lastTask
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			if e.GetWorkflowExecutionUpdateCompletedEventAttributes().GetMeta().GetUpdateId() == closeUpdate {
				closeAnswered = lastTask
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
			runEnded = e.GetWorkflowExecutionCompletedEventAttributes().GetWorkflowTaskCompletedEventId()
		}
	}
	require.True(t, markers[`"`+workflows.ChangeEndInOwnTask+`"`], "the history carries the %s marker: %v", workflows.ChangeEndInOwnTask, markers)
	require.NotZero(t, closeAccepted, "the close was accepted")
	require.NotZero(t, closeAnswered, "the close was answered")
	require.NotZero(t, runEnded, "the run completed")
	require.Less(t, closeAnswered, runEnded, "the close is answered in a task before the one that ends the run")
	require.LessOrEqual(t, closeAccepted, closeAnswered)
}
