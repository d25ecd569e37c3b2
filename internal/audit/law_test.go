package audit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// TestDescribeDecide: the timeline decodes the decide Update by its name and reads its input:
// the decision and outcome, the rationale and the assessment, joined to the record's "decided"
// line by Update ID (or by the decision's name, the fallback).
func TestDescribeDecide(t *testing.T) {
	in, ok := workflows.NewUpdateInput(workflows.UpdateDecide).(*workflows.DecideInput)
	require.True(t, ok, "the audit decodes decide into DecideInput")
	*in = workflows.DecideInput{Decision: "notify_individuals", Outcome: "no", Rationale: "low risk of harm",
		Assessment: "risk-assessment", By: "cio", At: time.Date(2019, 6, 20, 16, 0, 0, 0, time.UTC)}
	a := describe(in)
	require.Equal(t, "decided", a.action)
	require.Equal(t, "cio", a.by)
	require.Equal(t, []workflows.Action{workflows.ActionDecided}, a.lines)
	require.Equal(t, "notify_individuals = ", a.prefix)
	require.Equal(t, []string{"notify_individuals = no as of 2019-06-20T16:00:00Z", "rationale: low risk of harm", "assessment: risk-assessment"}, a.details)
}

// TestInternalTargetLabelled: an internal target is never shown as a bare (legal) deadline.
func TestInternalTargetLabelled(t *testing.T) {
	at := time.Date(2019, 6, 1, 9, 0, 0, 0, time.UTC)
	o := ObligationAudit{Deadline: at, DeadlineKind: playbook.DeadlineInternalTarget}
	require.Equal(t, "2019-06-01T09:00:00Z (internal target)", deadlineText(o))
	o.DeadlineKind = playbook.DeadlineLegal
	require.Equal(t, "2019-06-01T09:00:00Z", deadlineText(o))
	st := &workflows.Status{Obligations: []workflows.ObligationStatus{{ID: "le", State: workflows.StateDue, Deadline: at, DeadlineKind: playbook.DeadlineInternalTarget}}, AsOf: at}
	require.Equal(t, playbook.DeadlineInternalTarget, obligationsFrom(st, nil)[0].DeadlineKind)
}
