package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/breachflow/breachflow/templates"
)

// Action names one kind of line in an incident's record. The values are stored in workflow
// histories and read back by audits years later: they are a schema. Never rename one; add a new
// constant instead.
type Action string

// Record actions written by people (through Updates).
const (
	// ActionOpened: the incident was started (playbook and discovery time in the detail).
	ActionOpened Action = "opened"
	// ActionFact: a fact value was recorded (Fact names it).
	ActionFact Action = "fact"
	// ActionDetermination: a determination was recorded (Fact names it).
	ActionDetermination Action = "determination"
	// ActionCompleted: an obligation was marked done (by a person, or by the engine when its
	// notice was delivered and the playbook says that completes it).
	ActionCompleted Action = "completed"
	// ActionWaived: an obligation was waived with a reason.
	ActionWaived Action = "waived"
	// ActionNoticeRequested: a notice that needs no approval was requested and queued.
	ActionNoticeRequested Action = "approved notice"
	// ActionApprovalRequested: a notice that needs approvals was rendered and awaits them.
	ActionApprovalRequested Action = "requested approval"
	// ActionApproved: one person approved the exact content awaiting approval.
	ActionApproved Action = "approved"
	// ActionHold: an obligation was put on hold.
	ActionHold Action = "hold"
	// ActionHoldReconfirmed: the hold in force was re-confirmed or extended.
	ActionHoldReconfirmed Action = "hold re-confirmed"
	// ActionHoldEnded: a hold ended (released by a person, or expired).
	ActionHoldEnded Action = "hold ended"
	// ActionDiscoveryCorrected: the discovery time was corrected; discovery clocks re-armed.
	ActionDiscoveryCorrected Action = "discovery corrected"
	// ActionContactsChanged: a role's contacts were replaced.
	ActionContactsChanged Action = "contacts changed"
	// ActionClosed: the incident was closed (detail "forced: reason" when forced).
	ActionClosed Action = "closed"
	// ActionApprovalCancelled: a forced close cancelled a notice awaiting approval.
	ActionApprovalCancelled Action = "approval request cancelled"
)

// Record actions written by the engine (actor ActorEngine).
const (
	// ActionNotApplicable: an obligation's condition on facts stopped holding.
	ActionNotApplicable Action = "not applicable"
	// ActionClockStarted: an obligation's anchor happened; its deadline is in the detail.
	ActionClockStarted Action = "clock started"
	// ActionClockStopped: an obligation's anchor no longer holds.
	ActionClockStopped Action = "clock stopped"
	// ActionDeadlineMoved: an obligation's deadline moved (anchor corrected, hold ended).
	ActionDeadlineMoved Action = "deadline moved"
	// ActionOverdue: an obligation's deadline passed while it was open.
	ActionOverdue Action = "overdue"
	// ActionReminder: a reminder rung was due; its notice was queued.
	ActionReminder Action = Action(templates.KindReminder)
	// ActionEscalation: an escalation rung was due; its notice was queued.
	ActionEscalation Action = Action(templates.KindEscalation)
	// ActionSkippedReminder: reminder rungs that fell due together with a later one (after an
	// outage) and were superseded by it; Count says how many when more than one.
	ActionSkippedReminder Action = "skipped reminder"
	// ActionSkippedEscalation: escalation rungs superseded by a later one, as above.
	ActionSkippedEscalation Action = "skipped escalation"
	// ActionHoldExpiring: the re-confirm-or-release reminder of a hold was queued.
	ActionHoldExpiring Action = "hold expiring"
	// ActionApprovalsLapsed: the content awaiting approval changed; approvals given lapsed.
	ActionApprovalsLapsed Action = "approvals lapsed"
	// ActionNoticeReleased: the last approval was given; the approved content is being sent.
	ActionNoticeReleased Action = "notice released"
	// ActionDeliveryFailed: a delivery round failed; the next round is scheduled.
	ActionDeliveryFailed Action = "delivery failed"
	// ActionDeliveryCancelled: a forced close stopped a delivery that had not succeeded.
	ActionDeliveryCancelled Action = "delivery cancelled"
	// ActionContinuedAsNew: the incident handed over to a new workflow run.
	ActionContinuedAsNew Action = "continued as new"
)

// SentAction is the record action of a delivered notice of a kind: "notice sent",
// "reminder sent", "escalation sent", "hold-expiring sent".
func SentAction(kind string) Action { return Action(kind + " sent") }

// SkippedAction is the record action for superseded rungs of a kind.
func SkippedAction(kind string) Action { return Action("skipped " + kind) }

// ActorEngine is the actor of every record line the engine writes by itself.
const ActorEngine = "engine"

// LogEntry is one line of the incident's record.
type LogEntry struct {
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     Action    `json:"action"`
	Obligation string    `json:"obligation,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	// UpdateID is the ID of the Update (coordinator action) that wrote this line, so an audit
	// joins the line to its history events exactly. Empty for lines the engine wrote by itself
	// and for lines recorded before the field existed.
	UpdateID string `json:"update_id,omitempty"`
	// NoticeKey is the notice the line is about, when it is about one.
	NoticeKey NoticeKey `json:"notice_key,omitempty"`
	// Fact is the fact or determination the line records, when it records one.
	Fact string `json:"fact,omitempty"`
	// Count is how many like events the line stands for when more than one (skipped rungs).
	Count int `json:"count,omitempty"`
}

// NoticeKey identifies a notice within an incident: "<obligation>/notice" for an obligation's
// own notice, "<obligation>/<rung>" for a reminder, escalation or hold-expiring notice, where the
// rung is e.g. "reminder/1559300400/2". Keys go into Message-IDs and histories: a schema.
type NoticeKey string

// noticeSuffix ends the key of an obligation's own notice.
const noticeSuffix = "notice"

// OwnNoticeKey is the key of an obligation's own notice.
func OwnNoticeKey(obligation string) NoticeKey {
	return NoticeKey(obligation + "/" + noticeSuffix)
}

// RungNoticeKey is the key of the notice sent for a reminder, escalation, cadence or hold rung
// of an obligation; rung is the rung's key within the obligation.
func RungNoticeKey(obligation, rung string) NoticeKey {
	return NoticeKey(obligation + "/" + rung)
}

// ParseNoticeKey splits a key into its obligation and its rung ("notice" for the obligation's
// own notice); it is the inverse of OwnNoticeKey and RungNoticeKey. Obligation IDs never
// contain a slash (the playbook parser refuses one).
func ParseNoticeKey(key NoticeKey) (obligation, rung string, err error) {
	obligation, rung, ok := strings.Cut(string(key), "/")
	if !ok || obligation == "" || rung == "" {
		return "", "", fmt.Errorf("%q is not a notice key: expected <obligation>/notice or <obligation>/<rung>", key)
	}
	return obligation, rung, nil
}

// Obligation is the obligation the notice belongs to ("" for a malformed key).
func (k NoticeKey) Obligation() string {
	o, _, _ := ParseNoticeKey(k)
	return o
}

// Kind is the notice kind the key implies: notice, reminder, escalation or hold-expiring.
// Cadence rungs are reminders.
func (k NoticeKey) Kind() string {
	_, rung, err := ParseNoticeKey(k)
	if err != nil {
		return ""
	}
	head, _, _ := strings.Cut(rung, "/")
	switch head {
	case noticeSuffix:
		return templates.KindNotice
	case "cadence", "reminder":
		return templates.KindReminder
	case "escalation":
		return templates.KindEscalation
	case "hold":
		return templates.KindHoldExpiring
	}
	return ""
}

// String returns the key as stored.
func (k NoticeKey) String() string { return string(k) }

// line is what a handler or the engine writes to the record; record fills in the rest.
type line struct {
	actor      string
	action     Action
	obligation string
	detail     string
	notice     NoticeKey
	fact       string
	count      int
}
