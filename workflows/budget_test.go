package workflows_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/breachflow/breachflow/workflows"
)

// TestStateBudget: facts with the longest values the limits allow, recorded until the state
// would pass MaxStateBytes, are refused from then on with a message that says why and what to
// do; the state stays within the budget, and a close still ends the incident. (Found by a
// review: ~500 facts of 2,000 characters pushed the continue-as-new input past 2 MB.)
func TestStateBudget(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	long := strings.Repeat("x", 1990)
	var refused []error
	accepted := 0
	h.env.RegisterDelayedCallback(func() {
		for i := range 700 {
			h.env.UpdateWorkflow(workflows.UpdateRecordFact, fmt.Sprint("fact-", i), &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) { refused = append(refused, err) },
				OnComplete: func(_ any, err error) {
					if err == nil {
						accepted++
					}
				},
			}, workflows.RecordFactInput{Name: "location", Value: fmt.Sprintf("%04d %s", i, long), By: "analyst", Note: long})
		}
	}, hour)
	var st workflows.Status
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryStatus)
		require.NoError(t, err)
		require.NoError(t, v.Get(&st))
	}, 2*hour)
	h.do(3*hour, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "budget test over"}, "")
	in := cbpInput(t, t0)
	in.ContinueAfterEvents = 100000 // one run: the budget, not a handover, must hold the state
	h.run(in)

	require.NotEmpty(t, refused, "the budget refuses at some point")
	require.Greater(t, accepted, 100)
	require.ErrorContains(t, refused[0], "near the 1024 KiB an incident can carry")
	require.ErrorContains(t, refused[0], "open a follow-up")
	var res workflows.IncidentResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	res.Log = nil // the record of this run is bounded by its history, not by the budget
	raw, err := json.Marshal(res.Final)
	require.NoError(t, err)
	require.Less(t, len(raw), 2<<20, "the final status fits a payload")
}
