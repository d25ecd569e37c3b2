package engine

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/breachflow/breachflow/workflows"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
)

// lostUpdateRetries bounds how often SendUpdate sends an Update again after the server aborted it.
const lostUpdateRetries = 5

// UpdatesResent counts the Updates SendUpdate sent again after the server aborted them with
// their workflow task, in this process (the benchmark reports it).
var UpdatesResent atomic.Int64

// SendUpdate sends an Update to a workflow and waits for its result (decoded into result when
// not nil). An Update that arrives in the same workflow task as an activity result can be aborted
// with that task: when the task would also complete the workflow (a close), the server refuses
// the completion as an unhandled command and the Update fails with "unexpected workflow task
// failure", though the person did nothing wrong. SendUpdate then sends it again under the same
// Update ID, which the server deduplicates, so an Update that did take effect is never applied
// twice; the person sees the answer instead of a failure to retry by hand. An Update refused
// because the incident's run was ending (workflows.ErrHandingOver) is sent again the same way
// and reaches the new run.
//
// A signed action goes under the Update ID it was signed for (workflows.UpdateIDOf); any other
// under a new one.
func SendUpdate(ctx context.Context, c client.Client, workflowID, name string, arg, result any) error {
	updateID := workflows.UpdateIDOf(arg)
	if updateID == "" {
		updateID = uuid.NewString()
	}
	opts := client.UpdateWorkflowOptions{
		UpdateID:     updateID,
		WorkflowID:   workflowID,
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	for attempt := 0; ; attempt++ {
		err := sendUpdateOnce(ctx, c, opts, result)
		if err == nil || !(abortedWithTask(err) || handingOver(err)) || attempt >= lostUpdateRetries {
			return err
		}
		UpdatesResent.Add(1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
		}
	}
}

func sendUpdateOnce(ctx context.Context, c client.Client, opts client.UpdateWorkflowOptions, result any) error {
	h, err := c.UpdateWorkflow(ctx, opts)
	if err != nil {
		return err
	}
	return h.Get(ctx, result)
}

// abortedWithTask reports whether the server aborted an Update together with the workflow task
// that carried it (the server's words; no typed error says it).
func abortedWithTask(err error) bool {
	return strings.Contains(err.Error(), "unexpected workflow task failure")
}

// handingOver reports whether the incident refused the Update because its run was ending
// (workflows.ErrHandingOver): nothing was applied, and the same Update reaches the new run.
func handingOver(err error) bool {
	return strings.Contains(err.Error(), workflows.ErrHandingOver.Error())
}
