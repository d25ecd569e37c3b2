package workflows_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/workflows"
)

const longPlaybook = `
format: 1
name: long
version: "1"
title: A year-long incident
defaults:
  cadence: 1d
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
obligations:
  - {id: watch, title: Monitor the dark web, citation: test, owner: owner, anchor: discovery, deadline: {clock: none}}
  - {id: report, title: Final report, citation: test, owner: owner, anchor: discovery, deadline: {clock: calendar_days, amount: 200}}
`

// TestYearLongIncidentContinuesAsNew: an incident open for a year with a daily reminder hands over
// to new runs before its history grows large, carrying its state: every daily reminder fires once
// across all runs, and a decision taken in one run holds in the next.
func TestYearLongIncidentContinuesAsNew(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 9, 0, 0, 0, ny)
	in := testInput(t, longPlaybook, t0)
	in.ContinueAfterEvents = 1000

	var sends []sendObs
	var res workflows.IncidentResult
	var record []workflows.LogEntry
	runs := 0
	for start := t0; ; runs++ {
		require.Less(t, runs, 50, "too many runs")
		h := newHarness(t, start, nil)
		// The final report is done on day 100, in whichever run that falls.
		if at := t0.Add(100 * day).Sub(start); at > 0 {
			h.do(at, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "report", By: "a"}, "")
		}
		// The coordinator closes the incident a year after discovery, in whichever run that falls.
		h.do(t0.Add(366*day).Sub(start), workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "year over"}, "")
		h.env.ExecuteWorkflow(workflows.WorkflowType, in)
		require.True(t, h.env.IsWorkflowCompleted())
		sends = append(sends, h.sends...)
		for _, st := range h.steps {
			if st.done {
				require.NoError(t, st.err, st.name)
			}
		}

		var can *workflow.ContinueAsNewError
		if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
			require.NoError(t, err)
			require.NoError(t, h.env.GetWorkflowResult(&res))
			break
		}
		var next workflows.StartIncidentInput
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
		require.NotNil(t, next.Carried, "the new run carries the state")
		require.Equal(t, in.IncidentID, next.IncidentID)
		require.Equal(t, runs+1, next.Carried.Runs)
		record = h.stitchRun(record, in)
		in, start = next, h.env.Now()
	}

	require.GreaterOrEqual(t, runs, 3, "a year of daily reminders spans several runs")
	require.Equal(t, in.IncidentID, res.IncidentID)
	require.Equal(t, workflows.IncidentClosed, res.Final.Status)
	// The completion in the first run holds in the last.
	require.Equal(t, workflows.StateDone, obligation(res.Final, "report").State)
	require.True(t, obligation(res.Final, "report").CompletedAt.Equal(t0.Add(100*day)))

	// One cadence reminder a day, on the day, exactly once, across every run: days 1..365.
	var watch []time.Time
	seen := map[string]bool{}
	for _, s := range sends {
		require.False(t, seen[s.key], "%s sent twice", s.key)
		seen[s.key] = true
		if len(s.key) > 14 && s.key[:14] == "watch/cadence/" {
			watch = append(watch, s.at)
		}
	}
	require.Len(t, watch, 365)
	for i, at := range watch {
		require.True(t, at.Equal(t0.Add(time.Duration(i+1)*day)), "reminder %d at %s", i+1, at)
	}
	record, err := workflows.StitchRecord(record, res.LogOffset, res.Log)
	require.NoError(t, err)
	require.Greater(t, res.LogOffset, 0, "the last run does not carry the whole record")
	handovers := 0
	for _, e := range record {
		if e.Action == "continued as new" {
			handovers++
		}
	}
	require.Equal(t, runs, handovers, "every handover is in the record")
	require.Equal(t, workflows.ActionOpened, record[0].Action, "the stitched record starts at the opening")
	require.Equal(t, 1, count(record, workflows.ActionClosed), "closed once")
	reminders := 0
	for _, e := range record {
		if e.Action == workflows.SentAction("reminder") && e.Obligation == "watch" {
			reminders++
		}
	}
	require.Equal(t, 365, reminders, "every delivered reminder is in the stitched record once")
	require.Equal(t, 365, obligation(res.Final, "watch").NoticesSent,
		"reminders delivered in earlier runs still count")
}

func count(record []workflows.LogEntry, a workflows.Action) int {
	n := 0
	for _, e := range record {
		if e.Action == a {
			n++
		}
	}
	return n
}

// TestUpdateRefusedWhileHandingOver: an Update that fills the run's event budget is answered in
// its own workflow task and the run hands over one millisecond later (ChangeEndInOwnTask); an
// Update arriving in that millisecond is refused with ErrHandingOver, applying nothing, so no
// Update is taken in the task that ends the run (engine.SendUpdate sends it again, to the new
// run), and the first Update's effect is carried.
func TestUpdateRefusedWhileHandingOver(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 9, 0, 0, 0, ny)
	in := testInput(t, longPlaybook, t0)
	in.ContinueAfterEvents = 4 // the first Update's turn of the loop fills it
	h := newHarness(t, t0, nil)
	h.do(time.Hour, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "report", By: "a"}, "")
	h.do(time.Hour+500*time.Microsecond, workflows.UpdateWaive, workflows.WaiveInput{Obligation: "watch", By: "a", Reason: "not needed"}, workflows.ErrHandingOver.Error())
	h.env.ExecuteWorkflow(workflows.WorkflowType, in)
	require.True(t, h.env.IsWorkflowCompleted())
	for _, st := range h.steps {
		require.True(t, st.done, st.name)
		if st.wantErr == "" {
			require.NoError(t, st.err, st.name)
		} else {
			require.ErrorContains(t, st.err, st.wantErr, st.name)
		}
	}
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, h.env.GetWorkflowError(), &can)
	require.True(t, t0.Add(time.Hour+time.Millisecond).Equal(h.env.Now()), "the run ends a millisecond after the Update, in a task of its own: %s", h.env.Now())
	var next workflows.StartIncidentInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	states := map[string]string{}
	for _, o := range next.Carried.Obligations {
		states[o.ID] = o.State
	}
	require.Equal(t, workflows.StateDone, states["report"], "the first Update's effect is carried")
	require.NotEqual(t, workflows.StateWaived, states["watch"], "the refused Update applied nothing")
}
