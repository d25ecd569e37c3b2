package workflows_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/workflows"
)

// TestHistoricalIncidentsStayBounded: an incident started years after its discovery (the
// README's own example is from 2019) used to write one "skipped" line per missed daily rung —
// 16,395 at start — until the log query exceeded the payload limit and the state carried across
// continue-as-new grew too large for any update, even a forced close. Started 1, 5 and 10 years
// after discovery, with thousands of facts recorded across several runs, the record stays
// small, every query answers, and the state each new run carries stays far below Temporal's
// 2 MB payload limit.
func TestHistoricalIncidentsStayBounded(t *testing.T) {
	for _, years := range []int{1, 5, 10} {
		t.Run(fmt.Sprintf("%d years", years), func(t *testing.T) {
			now := time.Date(2026, 11, 30, 9, 0, 0, 0, ny)
			in := cbpInput(t, now.AddDate(-years, 0, 0))
			in.ContinueAfterEvents = 3000
			const facts, batch = 2500, 100
			recorded, runs := 0, 0
			var startLog, record []workflows.LogEntry
			var page workflows.LogPage
			var res workflows.IncidentResult
			for start := now; ; runs++ {
				require.Less(t, runs, 10, "too many runs")
				h := newHarness(t, start, nil)
				if runs == 0 {
					h.env.RegisterDelayedCallback(func() {
						v, err := h.env.QueryWorkflow(workflows.QueryLog)
						require.NoError(t, err)
						require.NoError(t, v.Get(&startLog))
					}, time.Minute)
				}
				// Thousands of facts, a hundred at a time (the test environment queues at most
				// about a thousand callbacks); what a run did not take goes to the next.
				var accepted []*int
				for b := 0; recorded+b*batch < facts; b++ {
					first := recorded + b*batch
					accepted = append(accepted, h.burst(2*time.Minute+time.Duration(b)*batch*time.Second, workflows.UpdateRecordFact, func(i int) any {
						if i >= batch || first+i >= facts {
							return nil
						}
						return workflows.RecordFactInput{Name: "systems_affected", Value: fmt.Sprintf("host-%05d of the border-crossing image store", first+i), By: "analyst"}
					}))
				}
				h.env.RegisterDelayedCallback(func() {
					v, err := h.env.QueryWorkflow(workflows.QueryLogPage, workflows.LogPageRequest{From: -50})
					require.NoError(t, err)
					require.NoError(t, v.Get(&page))
				}, 2*time.Minute+time.Duration(len(accepted))*batch*time.Second)
				h.do(3*time.Minute+time.Duration(len(accepted))*batch*time.Second, workflows.UpdateClose,
					workflows.CloseInput{By: "coordinator", Force: true, Reason: "historical import done"}, "")
				h.env.ExecuteWorkflow(workflows.WorkflowType, in)
				require.True(t, h.env.IsWorkflowCompleted())
				for _, n := range accepted {
					recorded += *n
				}

				var can *workflow.ContinueAsNewError
				if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
					require.NoError(t, err)
					require.NoError(t, h.env.GetWorkflowResult(&res))
					break
				}
				var next workflows.StartIncidentInput
				require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
				raw, err := json.Marshal(next)
				require.NoError(t, err)
				require.Less(t, len(raw), 1<<20, "run %d carries %d bytes: must stay far below the 2 MB limit", runs+1, len(raw))
				require.LessOrEqual(t, len(next.Carried.Log), 200)
				for _, o := range next.Carried.Obligations {
					require.LessOrEqual(t, len(o.Sent), 20, "obligation %s carries %d rung keys", o.ID, len(o.Sent))
				}
				// The ended run's own record is whole: an audit reads it by replaying the run.
				record = h.stitchRun(record, in)
				in, start = next, h.env.Now()
			}

			// At start: one line per kind of superseded rungs, not one per missed day.
			require.Less(t, len(startLog), 120, "the record at start holds a few lines per obligation")
			skipped := 0
			for _, e := range startLog {
				if e.Action == workflows.ActionSkippedEscalation || e.Action == workflows.ActionSkippedReminder {
					skipped += max(e.Count, 1)
				}
			}
			// Escalations are daily for a week, weekly to three months, then monthly: a year of
			// them is over a dozen per overdue obligation, counted on one line, not listed.
			require.Greater(t, skipped, 12*years, "years of missed escalations are counted, not listed")

			require.Equal(t, facts, recorded, "every fact was recorded")
			require.Greater(t, runs, 0, "thousands of facts span several runs")
			require.LessOrEqual(t, len(page.Entries), 50, "a page of the record is bounded")
			require.Equal(t, workflows.IncidentClosed, res.Final.Status)
			require.True(t, res.Forced)
			record, err := workflows.StitchRecord(record, res.LogOffset, res.Log)
			require.NoError(t, err)
			require.Equal(t, facts, countFact(record, "systems_affected"), "every fact is in the stitched record once")
		})
	}
}

func countFact(record []workflows.LogEntry, name string) int {
	n := 0
	for _, e := range record {
		if e.Action == workflows.ActionFact && e.Fact == name {
			n++
		}
	}
	return n
}

// stitchRun adds the whole record of the run that in started (read from the ended run, as an
// audit reads it by replay) to the record of the runs before it.
func (h *harness) stitchRun(record []workflows.LogEntry, in workflows.StartIncidentInput) []workflows.LogEntry {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(workflows.QueryLog)
	require.NoError(h.t, err)
	var lines []workflows.LogEntry
	require.NoError(h.t, v.Get(&lines))
	offset := 0
	if in.Carried != nil {
		offset = in.Carried.LogOffset
	}
	record, err = workflows.StitchRecord(record, offset, lines)
	require.NoError(h.t, err)
	return record
}
