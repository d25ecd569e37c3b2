package simulate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/templates"
)

// TestDigestManyHandOffsAtOneMoment: an incident left open for years hands many rungs to one
// digest at the same simulated moment. Played through DigestWorkflow they must all be listed in
// one mail; fired from one callback they used to fill the test environment's queue, and the
// simulation hung.
func TestDigestManyHandOffsAtOneMoment(t *testing.T) {
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	ledger, err := activities.OpenLedger(t.TempDir())
	require.NoError(t, err)
	acts := &activities.Activities{Templates: set, Transport: &activities.Outbox{Dir: t.TempDir()}, Ledger: ledger, From: "desk@agency.example"}
	at := time.Date(2019, 6, 3, 12, 0, 0, 0, time.UTC)
	var evs []digestEvent
	for i := range 3000 {
		it := activities.DigestItem{IncidentID: fmt.Sprintf("INC-%d", i), IncidentTitle: "Stolen laptop", NoticeKey: "report/escalation/1/2",
			Kind: "escalation", ObligationID: "report", ObligationTitle: "Report", Deadline: at.Add(-time.Hour), Label: "escalation 2",
			At: at, SendAt: "09:00", TimeZone: "America/New_York"}
		evs = append(evs, digestEvent{at: at, recipient: "boss@agency.example", add: &it})
	}
	type result struct {
		mails int
		err   error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	go func() {
		n, err := runDigests(ctx, acts, evs, logger, time.Minute)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		require.NoError(t, r.err)
		require.Equal(t, 1, r.mails, "one digest lists every hand-off of that day")
	case <-time.After(2 * time.Minute):
		t.Fatal("the digest simulation hung with 3,000 hand-offs at one moment")
	}
}
