package activities

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Ledger is the send ledger: the record, shared by every worker, of which Message-IDs are being
// delivered and which have been. The send activity claims a Message-ID before the SMTP
// conversation and marks it delivered after, so two attempts (on one worker or on two) never both
// deliver it while the first attempt is alive. A claim is a lease: an attempt that dies holding it
// (a killed worker) loses it when the lease expires, and the next attempt recovers it. That is the
// one window left: if the dead attempt had handed the message over before it died, the message
// goes out twice, with the same Message-ID, and the recovery is reported (Claim.RecoveredFrom).
//
// Two implementations: FileLedger, a folder of files for the embedded default (one machine), and
// the PostgreSQL ledger in activities/ledger for a cluster of workers.
type Ledger interface {
	// Claim asks for the right to deliver messageID for lease. holder names the attempt (it
	// appears in the ledger and in the activity result, so it holds no personal data).
	Claim(ctx context.Context, messageID, holder string, lease time.Duration) (Claim, error)
	// Renew extends a claim held by holder; ErrClaimLost when another attempt took it over.
	Renew(ctx context.Context, messageID, holder string, lease time.Duration) error
	// Release drops a claim held by holder after a delivery that certainly failed, so the next
	// attempt claims afresh (not as a recovery).
	Release(ctx context.Context, messageID, holder string) error
	// Delivered records the receipt of a delivery made under holder's claim and returns how
	// many deliveries of this Message-ID the ledger now knows (1 unless something went wrong).
	Delivered(ctx context.Context, holder string, r SendNoticeResult) (int, error)
}

// ClaimState is the outcome of a claim.
type ClaimState int

const (
	// ClaimGranted: the caller holds the claim and may deliver.
	ClaimGranted ClaimState = iota + 1
	// ClaimDelivered: the Message-ID was delivered already; Claim.Receipt is its receipt.
	ClaimDelivered
	// ClaimBusy: another live attempt holds the claim; the caller must not deliver now.
	ClaimBusy
)

// Claim is the answer of Ledger.Claim.
type Claim struct {
	State ClaimState
	// Receipt is the earlier delivery's receipt (ClaimDelivered).
	Receipt SendNoticeResult
	// Holder and Until name the live claim (ClaimBusy).
	Holder string
	Until  time.Time
	// RecoveredFrom names the attempt whose claim had expired when this one was granted: that
	// attempt may have delivered the message before it died.
	RecoveredFrom string
}

// ErrClaimLost is returned by Renew when the claim is no longer the caller's.
var ErrClaimLost = errors.New("send ledger: the claim was taken over by another attempt after its lease expired")

// BusyError is the retryable error of a send attempt that found another live attempt delivering
// the same Message-ID.
func BusyError(messageID string, c Claim) error {
	return fmt.Errorf("send ledger: %s is being delivered by %s (claim until %s); retrying later, not sending twice",
		messageID, c.Holder, c.Until.UTC().Format(time.RFC3339))
}
