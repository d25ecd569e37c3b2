package workflows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/breachflow/breachflow/workflows"
)

// burst sends updates in the same instant (args returns nil after the last), so later ones are
// validated while an earlier handler waits (for a render): the race a validator alone cannot
// close. It returns how many completed without error.
func (h *harness) burst(at time.Duration, name string, args func(i int) any) *int {
	ok := new(int)
	h.env.RegisterDelayedCallback(func() {
		for i := 0; ; i++ {
			arg := args(i)
			if arg == nil {
				break
			}
			h.env.UpdateWorkflow(name, fmt.Sprintf("burst-%s-%d-%d", name, at, i), &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(error) {},
				OnComplete: func(_ any, err error) {
					if err == nil {
						*ok++
					}
				},
			}, arg)
		}
	}, at)
	return ok
}

// TestConcurrentSendRequestsRecordOneNotice: thirty simultaneous requests of a notice that needs
// approval (rendered between validation and recording) leave exactly one request; before the
// handler re-checked, 2–8 duplicates were recorded that could never be approved and blocked close.
func TestConcurrentSendRequestsRecordOneNotice(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	accepted := h.burst(hour, workflows.UpdateSendNotice, func(i int) any {
		if i >= 30 {
			return nil
		}
		return workflows.SendNoticeInput{Obligation: "congress-notice", By: fmt.Sprintf("coordinator-%d", i)}
	})
	h.snapshot(2 * hour)
	h.do(3*hour, workflows.UpdateClose, workflows.CloseInput{By: "alice", Force: true, Reason: "test over"}, "")
	h.run(approvalsInput(t, t0))

	require.Equal(t, 1, *accepted, "exactly one of thirty concurrent requests succeeds")
	n := 0
	for _, rec := range h.snaps[2*hour].Notices {
		if rec.Key == workflows.OwnNoticeKey("congress-notice") {
			n++
		}
	}
	require.Equal(t, 1, n, "one notice record, not one per request")
}

// TestConcurrentApprovalsBySameActor: one person approving twice at the same instant, under
// spellings that differ only in case, white space or width, counts once; the two-person rule
// holds. The requester cannot approve under another spelling either.
func TestConcurrentApprovalsBySameActor(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	var p workflows.Preview
	h.do(hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "congress-notice", By: "alice"}, "")
	h.env.RegisterDelayedCallback(func() { p = h.preview("congress-notice") }, hour+time.Minute)
	h.doLate(2*hour, workflows.UpdateApprove, func() any {
		return workflows.ApproveInput{Obligation: "congress-notice", By: " ALICE ", ContentHash: p.Rendered.ContentHash}
	}, "cannot approve")
	h.doLate(2*hour+time.Minute, workflows.UpdateApprove, func() any {
		return workflows.ApproveInput{Obligation: "congress-notice", By: "ａｌｉｃｅ", ContentHash: p.Rendered.ContentHash}
	}, "cannot approve")
	spellings := []string{"bob", "bob ", "Bob", "ｂｏｂ", "BOB"}
	accepted := new(int)
	h.env.RegisterDelayedCallback(func() {
		inner := h.burst(0, workflows.UpdateApprove, func(i int) any {
			if i >= len(spellings) {
				return nil
			}
			return workflows.ApproveInput{Obligation: "congress-notice", By: spellings[i], ContentHash: p.Rendered.ContentHash}
		})
		accepted = inner
	}, 3*hour-time.Millisecond)
	h.snapshot(4 * hour)
	h.do(5*hour, workflows.UpdateClose, workflows.CloseInput{By: "alice", Force: true, Reason: "test over"}, "")
	h.run(approvalsInput(t, t0))

	require.Equal(t, 1, *accepted, "bob approves once however he spells his name")
	n := noticeOf(h.snaps[4*hour], "congress-notice/notice")
	require.Equal(t, workflows.NoticeAwaitingApproval, n.State, "one person's approval is not two")
	require.Len(t, n.Approvals, 1)
	require.Equal(t, "bob", n.Approvals[0].By, "the name is recorded in its normal form")
}

func TestSameActor(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"alice", "alice", true},
		{"alice", " alice ", true},
		{"alice", "ALICE", true},
		{"alice", "ａｌｉｃｅ", true},
		{"Mary  Ann", "mary ann", true},
		{"alice", "alicia", false},
		{"alice", "аlice", false}, // Cyrillic а: a different name, not folded into Latin
	} {
		require.Equal(t, c.same, workflows.SameActor(c.a, c.b), "%q vs %q", c.a, c.b)
	}
	require.Equal(t, "Mary Ann", workflows.NormalizeActor("  Mary \t Ann "))
}

// TestConcurrentActionsTakeEffectOnce: thirty copies of one action sent in the same instant —
// whatever the handler, the action takes effect once and the others are refused with the
// validator's message; two approvals are needed, so of thirty different approvers two count.
func TestConcurrentActionsTakeEffectOnce(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	for _, c := range []struct {
		name  string
		setup func(h *harness)
		args  func(h *harness, i int) any
		want  int
	}{
		{workflows.UpdateComplete, nil, func(_ *harness, i int) any {
			return workflows.CompleteInput{Obligation: "congress-notice", By: fmt.Sprint("p", i)}
		}, 1},
		{workflows.UpdateWaive, nil, func(_ *harness, i int) any {
			return workflows.WaiveInput{Obligation: "congress-notice", By: fmt.Sprint("p", i), Reason: "covered elsewhere"}
		}, 1},
		{workflows.UpdateRelease, func(h *harness) {
			h.do(30*time.Minute, workflows.UpdateHold, workflows.HoldInput{Obligation: "congress-notice", By: "a", RequestedBy: "FBI", Authority: "AG", Until: t0.Add(48 * time.Hour)}, "")
		}, func(_ *harness, i int) any {
			return workflows.ReleaseInput{Obligation: "congress-notice", By: fmt.Sprint("p", i)}
		}, 1},
		{workflows.UpdateApprove, func(h *harness) {
			h.do(30*time.Minute, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "congress-notice", By: "requester"}, "")
		}, func(h *harness, i int) any {
			return workflows.ApproveInput{Obligation: "congress-notice", By: fmt.Sprint("p", i), ContentHash: h.preview("congress-notice").Rendered.ContentHash}
		}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, t0, nil)
			if c.setup != nil {
				c.setup(h)
			}
			accepted := h.burst(hour, c.name, func(i int) any {
				if i >= 30 {
					return nil
				}
				return c.args(h, i)
			})
			h.do(2*hour, workflows.UpdateClose, workflows.CloseInput{By: "alice", Force: true, Reason: "test over"}, "")
			h.run(approvalsInput(t, t0))
			require.Equal(t, c.want, *accepted, "%s taken %d times of 30", c.name, *accepted)
		})
	}
	// Thirty forced closes: one closes the incident; the workflow then ends.
	h := newHarness(t, t0, nil)
	accepted := h.burst(hour, workflows.UpdateClose, func(i int) any {
		if i >= 30 {
			return nil
		}
		return workflows.CloseInput{By: fmt.Sprint("p", i), Force: true, Reason: "done"}
	})
	h.env.ExecuteWorkflow(workflows.WorkflowType, approvalsInput(t, t0))
	require.True(t, h.env.IsWorkflowCompleted())
	require.Equal(t, 1, *accepted)
}

// TestRedraftTakesEveryChange: two facts recorded in the same instant while a notice awaits
// approval — the second arrives while the first one's re-render is running — both reach the
// draft the approvers will sign. (Found by a review: the second change was lost from the draft.)
func TestRedraftTakesEveryChange(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	h.do(hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "congress-notice", By: "alice"}, "")
	values := []string{"5000", "184000"}
	h.burst(2*hour, workflows.UpdateRecordFact, func(i int) any {
		if i >= len(values) {
			return nil
		}
		return workflows.RecordFactInput{Name: "affected_count", Value: values[i], By: "analyst"}
	})
	var p workflows.Preview
	h.env.RegisterDelayedCallback(func() { p = h.preview("congress-notice") }, 3*hour)
	h.do(4*hour, workflows.UpdateClose, workflows.CloseInput{By: "alice", Force: true, Reason: "test over"}, "")
	h.run(approvalsInput(t, t0))
	require.NotNil(t, p.Rendered)
	require.Contains(t, p.Rendered.Text, "184000", "the draft has the latest count")
}
