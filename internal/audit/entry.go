package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// Entry is one line of the audit timeline.
type Entry struct {
	// At is when it happened on the workflow's clock (the clock deadlines are judged on) where
	// the workflow's record holds the act, else the event's time.
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	Obligation string    `json:"obligation,omitempty"`
	Details    string    `json:"details,omitempty"`
	// Record is what the workflow's own record (its log) adds to the event, e.g. "late by 2h".
	Record string `json:"record,omitempty"`
	// Source is "history" for an event of the history (confirmed by the record where it holds
	// the act) and "record" for an act only the workflow's record holds (the engine's clocks,
	// reminders, overdue marks).
	Source    string    `json:"source"`
	Run       int       `json:"run,omitempty"`
	EventID   int64     `json:"event_id,omitempty"`
	EventTime time.Time `json:"event_time,omitzero"`
	// Update and Identity are the Workflow Update's name and the client identity that sent it;
	// Input is the update's decoded input.
	Update   string `json:"update,omitempty"`
	Identity string `json:"identity,omitempty"`
	// Proof is how the audit knows the actor of a person's action (ProofVerified, ProofAsserted,
	// ProofInvalid, ProofUnchecked); Subject is the authenticated identity a signed action names.
	Proof   string        `json:"proof,omitempty"`
	Subject string        `json:"subject,omitempty"`
	Input   any           `json:"input,omitempty"`
	Notice  *NoticeDetail `json:"notice,omitempty"`

	// rank orders entries of the same instant: the record's order, then the history's.
	rank int
}

// NoticeDetail is a notice as the history holds it: the SendNotice activity's input and result.
type NoticeDetail struct {
	Key         string   `json:"key"`
	Kind        string   `json:"kind"`
	To          []string `json:"to,omitempty"`
	Cc          []string `json:"cc,omitempty"`
	Subject     string   `json:"subject,omitempty"`
	ContentHash string   `json:"content_hash,omitempty"`
	MessageID   string   `json:"message_id,omitempty"`
	Transport   string   `json:"transport,omitempty"`
	Receipt     string   `json:"receipt,omitempty"`
	// SentAt is the activity's own clock at delivery.
	SentAt      time.Time `json:"sent_at,omitzero"`
	AlreadySent bool      `json:"already_sent,omitempty"`
	// PossibleDuplicate: the send ledger's reason to think this delivery was a second copy.
	PossibleDuplicate string `json:"possible_duplicate,omitempty"`
	// ApprovedBy are those whose approvals (bound to a content hash) released the notice.
	ApprovedBy []string `json:"approved_by,omitempty"`
	// Attempt is the activity attempt that ended the round (retries within a round).
	Attempt int32  `json:"attempt,omitempty"`
	Error   string `json:"error,omitempty"`
}

// How the audit knows who took an action (Entry.Proof): it verifies each signed Update's
// signature itself, from the Update's input in the history, against the console public keys it
// is given — independently of the worker that accepted it.
const (
	// ProofVerified: the action is signed, and the signature verifies with a given console key.
	ProofVerified = "verified"
	// ProofAsserted: the action is not signed; the actor is the name the caller typed.
	ProofAsserted = "asserted"
	// ProofInvalid: the action is signed, but the signature does not verify (altered input,
	// another incident, or a key not given): a problem that fails the audit.
	ProofInvalid = "signature invalid"
	// ProofUnchecked: the action is signed, but the audit was given no console key to check it.
	ProofUnchecked = "signed, not checked"
)

// Where an audit's final status and the workflow's record came from (IncidentReport.StatusFrom).
const (
	FromResult     = "workflow result"
	FromReplay     = "replay of the history (as of its last event)"
	FromQuery      = "status and log queries (live)"
	FromLastUpdate = "last update's outcome (the workflow's record was not available)"
	FromNothing    = "none: no status in the history"
)

const (
	actorEngine    = workflows.ActorEngine
	sourceHistory  = "history"
	sourceRecord   = "record"
	eventOnlyRank  = 1 << 40
	activitySend   = "SendNotice"
	activityRender = "RenderNotice"
)

// Timeline actions the audit names itself, for history events that no record line names.
const (
	entryRunStarted         = "run started"
	entryFactRecorded       = "fact recorded"
	entryDeterminationMade  = "determination recorded"
	entryHoldReleased       = "hold released"
	entryDeliveryUnderWay   = "delivery under way"
	entryRenderFailed       = "render failed"
	entryWorkflowCompleted  = "workflow completed"
	entryUpdateFailedSuffix = " (failed)"
)

func noticeFrom(in *activities.SendNoticeInput) *NoticeDetail {
	if in == nil {
		return &NoticeDetail{Kind: templates.KindNotice, Error: "the SendNotice input is not readable"}
	}
	kind := workflows.NoticeKey(in.NoticeKey).Kind()
	if kind == "" {
		kind = templates.KindNotice // a key this build does not know: still a notice
	}
	return &NoticeDetail{
		Key: in.NoticeKey, Kind: kind, To: in.To, Cc: in.Cc,
		Subject: in.Notice.Subject, ContentHash: in.Notice.ContentHash, MessageID: in.MessageID,
	}
}

func (n *NoticeDetail) key() workflows.NoticeKey { return workflows.NoticeKey(n.Key) }

func (n *NoticeDetail) obligation() string { return n.key().Obligation() }

// summary is the one-line account of a delivered notice.
func (n *NoticeDetail) summary() string {
	parts := []string{n.Key}
	if len(n.To) > 0 {
		parts = append(parts, "to "+strings.Join(n.To, ", "))
	}
	if len(n.Cc) > 0 {
		parts = append(parts, "cc "+strings.Join(n.Cc, ", "))
	}
	if n.Subject != "" {
		parts = append(parts, fmt.Sprintf("subject %q", n.Subject))
	}
	if n.ContentHash != "" {
		parts = append(parts, "content sha256:"+n.ContentHash)
	}
	if n.MessageID != "" {
		parts = append(parts, "Message-ID "+n.MessageID)
	}
	if n.Transport != "" {
		parts = append(parts, "via "+n.Transport)
	}
	if n.Receipt != "" {
		parts = append(parts, "receipt "+firstLine(n.Receipt))
	}
	if n.AlreadySent {
		parts = append(parts, "an earlier attempt had delivered it (ledger)")
	}
	if n.PossibleDuplicate != "" {
		parts = append(parts, "POSSIBLE DUPLICATE: "+n.PossibleDuplicate)
	}
	if n.Attempt > 1 {
		parts = append(parts, fmt.Sprintf("attempt %d", n.Attempt))
	}
	if n.Error != "" {
		parts = append(parts, n.Error)
	}
	return strings.Join(parts, "; ")
}

// stamp writes an instant for the audit: UTC, to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
