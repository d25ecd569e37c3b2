package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

const heldNoticePlaybook = `
format: 1
name: held
version: "1"
title: A notice to individuals that may be delayed or decided against
defaults:
  reminders: []
  cadence: 30d
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
  people: {title: Affected individuals, contacts: [{email: notify@agency.example}]}
facts:
  affected_count: {type: number, title: People affected}
decisions:
  notify_individuals: {title: Notify affected individuals}
obligations:
  - id: individual-notice
    title: Notify affected individuals
    citation: FISMA 2014 sec. 2(d)(1)(B)
    owner: owner
    anchor: discovery
    deadline: {clock: none, note: without unreasonable delay}
    when: [{decision: notify_individuals, not_equals: "no"}]
    notice: {template: individual-notice, to: [people], send: manual, approvals: 2, completes_obligation: true}
    hold_authorities: [Attorney General, intelligence community, Secretary of Homeland Security]
`

// TestHeldOrDecidedNoticeIsNotSent: a notice to individuals awaiting approval cannot be released
// while a hold delays it (FISMA 2014 sec. 2(d)(2)), and a decision not to notify cancels it on
// the record — before, two approvals sent it in both cases (found by a review), and the waiting
// notice blocked a normal close.
func TestHeldOrDecidedNoticeIsNotSent(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	var p workflows.Preview
	approve := func(at time.Duration, by, want string) {
		h.doLate(at, workflows.UpdateApprove, func() any {
			return workflows.ApproveInput{Obligation: "individual-notice", By: by, ContentHash: p.Rendered.ContentHash}
		}, want)
	}
	h.do(hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "individual-notice", By: "alice"}, "")
	h.env.RegisterDelayedCallback(func() { p = h.preview("individual-notice") }, hour+time.Minute)
	h.do(2*hour-time.Minute, workflows.UpdateHold, workflows.HoldInput{Obligation: "individual-notice", By: "alice", RequestedBy: "FBI Cyber Division",
		Authority: "the agent in charge", Until: t0.Add(72 * hour)}, "a hold must be asked for by Attorney General, or intelligence community")
	h.do(2*hour, workflows.UpdateHold, workflows.HoldInput{Obligation: "individual-notice", By: "alice", RequestedBy: "FBI Cyber Division",
		Authority: "request of the Attorney General", Until: t0.Add(72 * hour)}, "")
	approve(3*hour, "bob", "is on hold until")
	approve(3*hour+time.Minute, "carol", "is on hold until")
	h.do(4*hour, workflows.UpdateRelease, workflows.ReleaseInput{Obligation: "individual-notice", By: "alice"}, "")
	approve(4*hour+time.Minute, "bob", "")
	h.do(5*hour, workflows.UpdateDecide, workflows.DecideInput{Decision: "notify_individuals", Outcome: "no", By: "privacy-officer",
		Rationale: "low risk of harm: images only, no other identifiers", Assessment: "risk-assessment"}, "")
	h.snapshot(6 * hour)
	approve(7*hour, "carol", "not awaiting approval")
	h.do(8*hour, workflows.UpdateClose, workflows.CloseInput{By: "alice"}, "")
	h.run(testInput2(t, heldNoticePlaybook, t0, nil))

	require.Empty(t, h.sentMatching("individual-notice/notice"), "never sent")
	st := h.snaps[6*hour]
	require.Equal(t, workflows.StateNotApplicable, obligation(st, "individual-notice").State)
	n := noticeOf(st, "individual-notice/notice")
	require.Equal(t, workflows.NoticeCancelled, n.State, "the decision cancels the notice awaiting approval")
	var res workflows.IncidentResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	require.False(t, res.Forced, "nothing left open: a normal close")
	found := false
	for _, e := range res.Log {
		if e.Action == workflows.ActionApprovalCancelled && e.Obligation == "individual-notice" {
			found = true
			require.Contains(t, e.Detail, "no longer owed")
		}
	}
	require.True(t, found, "the cancellation is on the record")
}
