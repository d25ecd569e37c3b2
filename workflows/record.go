package workflows

import (
	"encoding/json"
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
	// ActionDecided: a decision was recorded with its rationale (Fact names the decision).
	ActionDecided Action = "decided"
)

// Record actions written by the engine (actor ActorEngine).
const (
	// ActionNotApplicable: an obligation's condition on facts stopped holding.
	ActionNotApplicable Action = "not applicable"
	// ActionDeterminationImplied: the facts made a determination by definition (implied_by);
	// Fact names the deciding fact, the detail its value and since when.
	ActionDeterminationImplied Action = "determination implied"
	// ActionDisabled: an obligation the playbook ships disabled was listed as disabled.
	ActionDisabled Action = "disabled"
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
	// ActionPossibleDuplicate: a notice was delivered, and the send ledger says it may be a
	// second copy of its Message-ID (a dead attempt's claim was recovered, or another delivery
	// was counted). The detail says which.
	ActionPossibleDuplicate Action = "possible duplicate delivery"
	// ActionAlreadyDelivered: a retried send found the notice delivered by an earlier attempt
	// whose completion was lost, and did not send it again.
	ActionAlreadyDelivered Action = "delivery confirmed by ledger"
	// ActionContinuedAsNew: the incident handed over to a new workflow run.
	ActionContinuedAsNew Action = "continued as new"
	// ActionHandedToDigest: a repeat escalation went to its recipients' daily digests.
	ActionHandedToDigest Action = "handed to digest"
	// ActionWithdrawnFromDigest: an escalation was withdrawn from the digests before they went
	// out (its obligation was no longer overdue, or the incident closed).
	ActionWithdrawnFromDigest Action = "withdrawn from digest"
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
	// Proof says whether a person's action was signed (subject, verified) or asserted (empty).
	Proof
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

// LogPageRequest asks for record lines by their index in the whole record (0 is the opening).
type LogPageRequest struct {
	// From is the index of the first line wanted; a negative From counts from the end (-50: the
	// last 50 lines).
	From int `json:"from"`
	// Limit is the most lines wanted; zero or more than MaxLogPage means MaxLogPage.
	Limit int `json:"limit,omitempty"`
}

// LogPage is one page of the record.
type LogPage struct {
	// From is the index of Entries[0] in the whole record.
	From    int        `json:"from"`
	Entries []LogEntry `json:"entries"`
	// Total is the number of lines in the whole record.
	Total int `json:"total"`
	// Earliest is the index of the first line this run still holds; lines before it are in
	// earlier runs' histories (export and audit read them there).
	Earliest int `json:"earliest"`
}

// MaxLogPage bounds a page of the record.
const MaxLogPage = 500

// logPage answers QueryLogPage.
func (w *incident) logPage(req LogPageRequest) (LogPage, error) {
	off := w.st.LogOffset
	total := off + len(w.st.Log)
	limit := req.Limit
	if limit <= 0 || limit > MaxLogPage {
		limit = MaxLogPage
	}
	from := req.From
	if from < 0 {
		from = max(total+from, 0)
	}
	p := LogPage{From: from, Total: total, Earliest: off}
	if from < off {
		return p, fmt.Errorf("lines before %d are in earlier runs of this incident: export it and audit the export to read them", off)
	}
	if from >= total {
		return p, nil
	}
	p.Entries = w.st.Log[from-off : min(from-off+limit, len(w.st.Log))]
	return p, nil
}

// carriedLogLines is how many of the latest record lines a new run carries over; the earlier
// ones stay in the history of the run that wrote them.
const carriedLogLines = 200

// carryOver returns the state to hand to a new run, bounded: the record keeps its latest lines
// (the rest are in this run's history, and this run's own record stays whole for queries and
// replays), and delivered reminders, escalations and hold reminders are counted rather than
// carried (their rungs are remembered in Sent and Repeats).
func (st *IncidentState) carryOver() (*IncidentState, error) {
	// A deep copy through JSON: it is what the new run will decode anyway.
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding the state to carry: %w", err)
	}
	var c IncidentState
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decoding the state to carry: %w", err)
	}
	c.compact()
	return &c, nil
}

func (st *IncidentState) compact() {
	keep := st.CarryLogLines
	if keep <= 0 {
		keep = carriedLogLines
	}
	if drop := len(st.Log) - keep; drop > 0 {
		st.Log = append([]LogEntry(nil), st.Log[drop:]...)
		st.LogOffset += drop
	}
	kept := st.Notices[:0]
	for _, n := range st.Notices {
		if n.State == NoticeSent && n.Kind != templates.KindNotice {
			for _, o := range st.Obligations {
				if o.ID == n.Obligation {
					o.EarlierNoticesSent++
				}
			}
			continue
		}
		kept = append(kept, n)
	}
	st.Notices = kept
}

// StitchRecord joins the record of one run (its lines from offset on) to the record read from
// the runs before it: a later run's copy of a line replaces the earlier one. Records of runs
// that carried everything (offset 0) simply replace what came before. The offset was counted by
// the build that wrote the run, while the runs before may have been rebuilt by replay with
// another build: the run's first line is looked for where the offset says and, failing that,
// anywhere before it, so the two line up on content. A run whose lines cannot be lined up, or
// that starts after the end of what came before, is an error (a run is missing, or the builds
// disagree on the record).
func StitchRecord(before []LogEntry, offset int, lines []LogEntry) ([]LogEntry, error) {
	if offset > len(before) {
		return append(before, lines...), fmt.Errorf("record lines %d to %d are missing: a run of the incident is missing from the history", len(before), offset-1)
	}
	if len(lines) == 0 || offset == len(before) || sameLine(before[offset], lines[0]) {
		return append(before[:offset:offset], lines...), nil
	}
	for j := len(before) - 1; j >= 0; j-- {
		if sameLine(before[j], lines[0]) {
			return append(before[:j:j], lines...), nil
		}
	}
	return append(before[:offset:offset], lines...), fmt.Errorf("the record of a run does not line up with the run before it at line %d: lines around the handover may be missing or repeated", offset)
}

// sameLine reports whether two record lines say the same (the Update ID aside, which lines
// recorded before it existed lack).
func sameLine(a, b LogEntry) bool {
	return a.At.Equal(b.At) && a.Actor == b.Actor && a.Action == b.Action && a.Obligation == b.Obligation && a.Detail == b.Detail
}

// MaxStateBytes bounds the state an incident keeps and hands to its next run (facts with their
// history, decisions, holds, notices awaiting approval with their drafts, the latest record
// lines): far below Temporal's 2 MB payload limit, so a continue-as-new, a status answer and the
// final result always fit. An action that would pass it is refused, saying so.
const MaxStateBytes = 1 << 20

// MaxStartBytes bounds a new incident's input, its playbook snapshot included, to half the state
// budget.
const MaxStartBytes = MaxStateBytes / 2

// checkStateBudget refuses an action whose input (adding bytes) would take the state past
// MaxStateBytes. Measuring means encoding the whole state, so it measures only now and then — every
// budgetEvery actions, or when an estimate (the last measure plus twice what the actions since
// brought in) comes within half of the budget — and exactly near the limit. The estimate lives in
// validators only, which never run on replay, so it never touches what the workflow does.
func (w *incident) checkStateBudget(adding int) error {
	if w.budget.unmeasured >= budgetEvery || w.budget.estimate+2*adding > MaxStateBytes/2 || w.budget.estimate == 0 {
		st := *w.st
		if n := len(st.Log); n > carriedLogLines {
			st.Log = st.Log[n-carriedLogLines:]
		}
		raw, err := json.Marshal(&st)
		if err != nil {
			return fmt.Errorf("measuring the incident's state: %w", err)
		}
		w.budget.estimate, w.budget.unmeasured = len(raw), 0
	}
	if w.budget.estimate+adding > MaxStateBytes {
		return fmt.Errorf("this incident already holds %d KiB of facts, decisions, holds and notices, near the %d KiB an incident can carry (Temporal's payload limit is 2 MB): record long texts as a reference to a document, or close this incident and open a follow-up that refers to it", w.budget.estimate/1024, MaxStateBytes/1024)
	}
	// What the action brings in lands in the state about twice (the value and its record line).
	w.budget.estimate += 2*adding + 256
	w.budget.unmeasured++
	return nil
}

// budgetEvery is how many accepted actions may pass between two measures of the state.
const budgetEvery = 64
