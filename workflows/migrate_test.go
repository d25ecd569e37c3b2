package workflows_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/workflows"
)

// TestCarriedStateOfAnOlderBuild: a run handed over by a build that kept one Sent key per
// repeating rung ("cadence/<anchor>/<k>") — before Repeats existed — resumes on this build
// without sending any of those rungs again and without skipping the next one.
func TestCarriedStateOfAnOlderBuild(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 9, 0, 0, 0, ny)
	in := testInput(t, longPlaybook, t0)
	in.ContinueAfterEvents = 300

	h := newHarness(t, t0, nil)
	h.env.ExecuteWorkflow(workflows.WorkflowType, in)
	require.True(t, h.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "the first run hands over")
	var next workflows.StartIncidentInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	first := h.sentMatching("watch/cadence/")
	require.NotEmpty(t, first)

	// Rewrite the carried state as the older build wrote it.
	keys := 0
	for _, o := range next.Carried.Obligations {
		for series, k := range o.Repeats {
			for j := 1; j <= k; j++ {
				if o.Sent == nil {
					o.Sent = map[string]time.Time{}
				}
				o.Sent[fmt.Sprintf("%s/%d", series, j)] = t0
				keys++
			}
		}
		o.Repeats = nil
	}
	require.Equal(t, len(first), keys, "one old-style key per cadence reminder sent")

	h2 := newHarness(t, h.env.Now(), nil)
	h2.do(5*day, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "enough"}, "")
	h2.run(next)
	again := h2.sentMatching("watch/cadence/")
	require.GreaterOrEqual(t, len(again), 4, "one reminder a day in the five days of the new run")
	for i := 1; i < len(again); i++ {
		require.Equal(t, day, again[i].Sub(again[i-1]), "daily")
	}
	for _, s := range h2.sends {
		if strings.HasPrefix(s.key, "watch/cadence/") {
			for _, old := range h.sends {
				require.NotEqual(t, old.key, s.key, "a rung of the older run sent again")
			}
		}
	}
	require.True(t, again[0].Equal(first[len(first)-1].Add(day)), "the next rung follows the last one sent: %s after %s", again[0], first[len(first)-1])
}
