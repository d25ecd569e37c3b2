package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
)

// DigestItem is one repeating reminder handed to a recipient's daily digest: what the digest lists about
// it, and the schedule of the playbook that escalated it.
type DigestItem struct {
	IncidentID    string `json:"incident_id"`
	IncidentTitle string `json:"incident_title"`
	// NoticeKey is the escalation's notice key in the incident; with IncidentID it identifies
	// the item, so a repeated hand-off is listed once.
	NoticeKey string `json:"notice_key"`
	// Kind is escalation (the obligation is overdue) or reminder (a cadence reminder of an
	// obligation without a fixed deadline, open since OpenSince).
	Kind            string    `json:"kind"`
	ObligationID    string    `json:"obligation_id"`
	ObligationTitle string    `json:"obligation_title"`
	Citation        string    `json:"citation,omitempty"`
	Deadline        time.Time `json:"deadline,omitzero"`
	OpenSince       time.Time `json:"open_since,omitzero"`
	InternalTarget  bool      `json:"internal_target,omitempty"`
	// Label names the rung, e.g. "escalation 9" or "open for 3 weeks".
	Label string `json:"label"`
	// At is when the rung fell due (the incident's workflow time).
	At time.Time `json:"at"`
	// SendAt is the digest's local time of day ("09:00") and TimeZone its IANA zone.
	SendAt   string `json:"send_at"`
	TimeZone string `json:"time_zone"`
}

// DigestRetraction withdraws an item from a digest: its obligation was done or waived, or the
// incident closed, before the digest went out.
type DigestRetraction struct {
	IncidentID string `json:"incident_id"`
	NoticeKey  string `json:"notice_key"`
	Reason     string `json:"reason"`
}

// DigestSink hands items to the per-recipient digest workflows. The worker's implementation
// signals them through the Temporal client (engine.DigestSink); a simulation collects them.
type DigestSink interface {
	// Add hands an item to the recipient's digest, starting the digest when none is running.
	// Adding the same item twice lists it once.
	Add(ctx context.Context, recipient string, item DigestItem) error
	// Retract withdraws an item; a digest that is not running (it went out already) is no error.
	Retract(ctx context.Context, recipient string, r DigestRetraction) error
}

// HandToDigestInput is the input of HandToDigest.
type HandToDigestInput struct {
	// Recipients are RFC 5322 addresses; each gets the item in their own digest.
	Recipients []string   `json:"recipients"`
	Item       DigestItem `json:"item"`
}

// HandToDigest hands an escalation to the digest of each recipient. A retry re-adds to every
// recipient; the digests drop the duplicates.
func (a *Activities) HandToDigest(ctx context.Context, in HandToDigestInput) error {
	if a.Digests == nil {
		return errNoDigests
	}
	for _, r := range in.Recipients {
		if err := a.Digests.Add(ctx, r, in.Item); err != nil {
			return fmt.Errorf("handing %s to a digest: %w", in.Item.NoticeKey, err)
		}
	}
	return nil
}

// RetractFromDigestInput is the input of RetractFromDigest.
type RetractFromDigestInput struct {
	Recipients []string         `json:"recipients"`
	Retraction DigestRetraction `json:"retraction"`
}

// RetractFromDigest withdraws an item from the digest of each recipient.
func (a *Activities) RetractFromDigest(ctx context.Context, in RetractFromDigestInput) error {
	if a.Digests == nil {
		return errNoDigests
	}
	for _, r := range in.Recipients {
		if err := a.Digests.Retract(ctx, r, in.Retraction); err != nil {
			return fmt.Errorf("withdrawing %s from a digest: %w", in.Retraction.NoticeKey, err)
		}
	}
	return nil
}

// errNoDigests is returned by a worker built without a digest sink: the playbook asks for
// digests, and a person must configure the worker (engine.DigestSink) for it.
var errNoDigests = temporal.NewNonRetryableApplicationError(
	"the playbook sends escalations as digests, but this worker has no digest sink: build its activities with Digests set (engine.DigestSink)",
	"NoDigestSink", nil)
