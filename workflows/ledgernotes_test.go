package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/workflows"
)

// recoveringLedger grants every claim as if recovered from a worker killed mid-send.
type recoveringLedger struct{ *activities.FileLedger }

func (l recoveringLedger) Claim(ctx context.Context, id, holder string, lease time.Duration) (activities.Claim, error) {
	c, err := l.FileLedger.Claim(ctx, id, holder, lease)
	if c.State == activities.ClaimGranted {
		c.RecoveredFrom = "dead-worker"
	}
	return c, err
}

// A delivery the ledger flags as a possible second copy is in the notice's status and the
// record; and the send activity runs with its heartbeat timeout.
func TestPossibleDuplicateIsRecorded(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	fl, err := activities.OpenLedger(t.TempDir())
	require.NoError(t, err)
	h := newHarnessWithLedger(t, t0, nil, recoveringLedger{fl})
	h.snapshot(3 * hour)
	h.do(4*hour, workflows.UpdateClose, workflows.CloseInput{By: "alice", Force: true, Reason: "test over"}, "")
	h.run(cbpInput(t, t0))

	st := h.snaps[3*hour]
	flagged := 0
	for _, n := range st.Notices {
		if n.State != workflows.NoticeSent {
			continue
		}
		require.Contains(t, n.PossibleDuplicate, "dead-worker", n.Key.String())
		flagged++
	}
	require.NotZero(t, flagged, "some notice was sent in the first hours")
	var res workflows.IncidentResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	logged := 0
	for _, e := range res.Log {
		if e.Action == workflows.ActionPossibleDuplicate {
			require.True(t, strings.Contains(e.Detail, "dead-worker"), e.Detail)
			logged++
		}
	}
	require.Equal(t, flagged, logged)
	require.NotEmpty(t, h.sends)
	for _, s := range h.sends {
		require.Equal(t, workflows.SendHeartbeatTimeout, s.heartbeat)
	}
}
