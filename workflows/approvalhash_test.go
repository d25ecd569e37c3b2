package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

// TestApprovalNeedsTwelveHashCharacters: an approval names the content it approves by at least
// the first 12 hex characters of its hash (48 bits); 11 are refused even when they match, 12
// are accepted.
func TestApprovalNeedsTwelveHashCharacters(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	in := approvalsInput(t, t0)
	var p workflows.Preview
	approve := func(at time.Duration, by string, n int, want string) {
		h.doLate(at, workflows.UpdateApprove, func() any {
			return workflows.ApproveInput{Obligation: "congress-notice", By: by, ContentHash: p.Rendered.ContentHash[:n]}
		}, want)
	}
	h.do(hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "congress-notice", By: "alice"}, "")
	h.env.RegisterDelayedCallback(func() { p = h.preview("congress-notice") }, hour+time.Minute)
	approve(2*hour, "bob", 11, "at least 12 characters")
	approve(2*hour+time.Minute, "bob", 12, "")
	approve(2*hour+2*time.Minute, "carol", 11, "at least 12 characters")
	approve(2*hour+3*time.Minute, "carol", 64, "")
	h.snapshot(3 * hour)
	h.do(4*hour, workflows.UpdateClose, workflows.CloseInput{By: "alice"}, "")
	h.run(in)

	sent := noticeOf(h.snaps[3*hour], "congress-notice/notice")
	require.Equal(t, workflows.NoticeSent, sent.State)
	require.Len(t, sent.Approvals, 2)
	require.Equal(t, "bob", sent.Approvals[0].By)
}
