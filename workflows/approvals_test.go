package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

const approvalsPlaybook = `
format: 1
name: approvals
version: "1"
title: Approval test
defaults:
  reminders: []
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
  congress: {title: Committees, allowed_domains: [house.example, senate.example]}
facts:
  affected_count: {type: number, title: People affected}
obligations:
  - id: congress-notice
    title: Notify Congress
    citation: 44 U.S.C. 3554(b)(7)(C)(iii)
    owner: owner
    anchor: discovery
    deadline: {clock: calendar_days, amount: 7}
    notice: {template: congress-notice, to: [congress], send: manual, approvals: 2, completes_obligation: true}
`

func approvalsInput(t *testing.T, t0 time.Time) workflows.StartIncidentInput {
	in := testInput2(t, approvalsPlaybook, t0, map[string]string{"congress": "hsc@house.example"})
	return in
}

// TestApprovalFlow: a notice marked for two approvals is sent only after two people other than
// the requester approved the exact content they previewed; a change of facts that changes the
// text makes the approvals given lapse.
func TestApprovalFlow(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	in := approvalsInput(t, t0)
	var first, second workflows.Preview
	approve := func(at time.Duration, by string, hash func() string, want string) {
		h.doLate(at, workflows.UpdateApprove, func() any {
			return workflows.ApproveInput{Obligation: "congress-notice", By: by, ContentHash: hash()}
		}, want)
	}
	h.do(hour, workflows.UpdateApprove, workflows.ApproveInput{Obligation: "congress-notice", By: "bob", ContentHash: "0123456789abcdef"}, "request it with `starter send` first")
	h.do(2*hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "congress-notice", By: "alice"}, "")
	h.env.RegisterDelayedCallback(func() { first = h.preview("congress-notice") }, 2*hour+time.Minute)
	hashOf := func(p *workflows.Preview) func() string { return func() string { return p.Rendered.ContentHash } }
	approve(3*hour, "alice", hashOf(&first), "cannot approve")
	approve(3*hour+time.Minute, "bob", func() string { return "" }, "content_hash is required")
	approve(3*hour+2*time.Minute, "bob", func() string { return "ffffffffffffffff" }, "changed since that preview")
	approve(4*hour, "bob", func() string { return first.Rendered.ContentHash[:12] }, "")
	approve(4*hour+time.Minute, "bob", hashOf(&first), "already approved")
	h.snapshot(4*hour + 2*time.Minute)
	// The count grows past 100,000: the text of the notice changes, bob's approval lapses.
	h.do(5*hour, workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "184000", By: "analyst"}, "")
	h.env.RegisterDelayedCallback(func() { second = h.preview("congress-notice") }, 5*hour+time.Minute)
	approve(6*hour, "carol", hashOf(&first), "changed since that preview")
	approve(6*hour+time.Minute, "carol", hashOf(&second), "")
	h.snapshot(6*hour + 2*time.Minute)
	approve(7*hour, "dave", hashOf(&second), "")
	h.snapshot(8 * hour)
	approve(9*hour, "erin", hashOf(&second), "is sent, not awaiting approval")
	h.do(10*hour, workflows.UpdateClose, workflows.CloseInput{By: "alice"}, "")
	h.run(in)

	require.NotNil(t, first.Rendered)
	require.Equal(t, workflows.NoticeAwaitingApproval, first.State)
	require.Equal(t, 2, first.ApprovalsNeeded)
	require.Equal(t, []string{"hsc@house.example"}, first.To)
	require.NotEqual(t, first.Rendered.ContentHash, second.Rendered.ContentHash, "the new count changes the text")
	require.Contains(t, second.Rendered.Text, "184000")

	oneApproval := noticeOf(h.snaps[4*hour+2*time.Minute], "congress-notice/notice")
	require.Len(t, oneApproval.Approvals, 1)
	require.Equal(t, "bob", oneApproval.Approvals[0].By)
	require.Equal(t, first.Rendered.ContentHash, oneApproval.Approvals[0].ContentHash)

	lapsed := noticeOf(h.snaps[6*hour+2*time.Minute], "congress-notice/notice")
	require.Equal(t, workflows.NoticeAwaitingApproval, lapsed.State)
	require.Len(t, lapsed.Approvals, 1, "bob's approval lapsed; carol's is for the new content")
	require.Equal(t, "carol", lapsed.Approvals[0].By)

	sent := noticeOf(h.snaps[8*hour], "congress-notice/notice")
	require.Equal(t, workflows.NoticeSent, sent.State)
	require.Equal(t, second.Rendered.ContentHash, sent.ContentHash, "sent exactly as approved")
	require.Equal(t, workflows.StateDone, obligation(h.snaps[8*hour], "congress-notice").State)
	require.Equal(t, utc(t0.Add(7*hour)), h.sentMatching("congress-notice/notice"), "sent once, when the second approval came")
}

// TestAllowedDomainsRefuseForeignAddresses: a contact outside a role's allowed domains is refused
// when the incident starts, with a message naming it.
func TestAllowedDomainsRefuseForeignAddresses(t *testing.T) {
	in := approvalsInput(t, time.Date(2024, 3, 4, 9, 0, 0, 0, ny))
	in.Contacts["congress"][0].Email = "hsc@house.exmaple"
	err := workflows.ValidateStart(in)
	require.ErrorContains(t, err, `"hsc@house.exmaple" is not in an allowed domain for congress`)
}

func noticeOf(st workflows.Status, key string) workflows.NoticeRecord {
	for _, n := range st.Notices {
		if n.Key.String() == key {
			return n
		}
	}
	return workflows.NoticeRecord{}
}
