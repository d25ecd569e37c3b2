package activities_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/activities"
)

// Two ledgers on one folder, as two worker processes on one machine: one claim wins.
func TestFileLedgerConcurrentClaimsGrantOne(t *testing.T) {
	dir := t.TempDir()
	var ledgers [2]*activities.FileLedger
	for i := range ledgers {
		l, err := activities.OpenLedger(dir)
		require.NoError(t, err)
		ledgers[i] = l
	}
	const n = 40
	states := make([]activities.ClaimState, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := ledgers[i%2].Claim(context.Background(), "<m@inc>", fmt.Sprint("holder-", i), time.Minute)
			require.NoError(t, err)
			states[i] = c.State
		})
	}
	wg.Wait()
	granted := 0
	for _, s := range states {
		if s == activities.ClaimGranted {
			granted++
		} else {
			require.Equal(t, activities.ClaimBusy, s)
		}
	}
	require.Equal(t, 1, granted)
}

func TestFileLedgerExpiredClaimIsRecovered(t *testing.T) {
	l, err := activities.OpenLedger(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()
	_, err = l.Claim(ctx, "<m@inc>", "a", 100*time.Millisecond)
	require.NoError(t, err)
	c, err := l.Claim(ctx, "<m@inc>", "b", time.Minute)
	require.NoError(t, err)
	require.Equal(t, activities.ClaimBusy, c.State)
	time.Sleep(150 * time.Millisecond)
	c, err = l.Claim(ctx, "<m@inc>", "b", time.Minute)
	require.NoError(t, err)
	require.Equal(t, activities.ClaimGranted, c.State)
	require.Equal(t, "a", c.RecoveredFrom)
	require.ErrorIs(t, l.Renew(ctx, "<m@inc>", "a", time.Minute), activities.ErrClaimLost)
	n, err := l.Delivered(ctx, "b", activities.SendNoticeResult{MessageID: "<m@inc>", Receipt: "250 b"})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = l.Delivered(ctx, "a", activities.SendNoticeResult{MessageID: "<m@inc>", Receipt: "250 a"})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	c, err = l.Claim(ctx, "<m@inc>", "c", time.Minute)
	require.NoError(t, err)
	require.Equal(t, activities.ClaimDelivered, c.State)
	require.Equal(t, "250 b", c.Receipt.Receipt)
}
