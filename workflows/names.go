// Package workflows holds IncidentWorkflow: one durable workflow per incident that owns the
// incident's state — facts, determinations, obligations and their clocks, notices and every
// decision — from discovery until the incident is closed.
package workflows

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the task queue incident workflows and their activities run on.
const TaskQueue = "breachflow-incidents"

// Names of the workflow's updates (coordinator actions) and queries.
const (
	// UpdateComplete marks an obligation done (CompleteInput).
	UpdateComplete = "complete"
	// UpdateWaive waives an obligation with a reason (WaiveInput).
	UpdateWaive = "waive"
	// UpdateRecordFact records a fact or a determination (RecordFactInput).
	UpdateRecordFact = "record-fact"
	// UpdateSendNotice requests an obligation's notice (SendNoticeInput): it is sent at once,
	// unless the playbook wants approvals first (UpdateApprove).
	UpdateSendNotice = "send-notice"
	// UpdateClose closes the incident (CloseInput).
	UpdateClose = "close"
	// UpdateApprove approves a notice awaiting approval (ApproveInput).
	UpdateApprove = "approve"
	// UpdateSetContacts replaces a role's contacts (SetContactsInput).
	UpdateSetContacts = "set-contacts"
	// UpdateHold puts an obligation on hold or extends its hold (HoldInput).
	UpdateHold = "hold"
	// UpdateRelease ends a hold (ReleaseInput).
	UpdateRelease = "release"
	// UpdateCorrectDiscovery corrects the discovery time (CorrectDiscoveryInput).
	UpdateCorrectDiscovery = "correct-discovery"
	// UpdateDecide records a decision with its rationale (DecideInput).
	UpdateDecide = "decide"
	// QueryStatus returns the incident's Status.
	QueryStatus = "status"
	// QueryPreview returns an obligation's notice as it will be sent (Preview); argument: obligation ID.
	QueryPreview = "preview"
	// QueryLog returns the record this run holds ([]LogEntry): what was done, when and by whom.
	// After continue-as-new the oldest lines stay in earlier runs (see QueryLogPage and
	// IncidentState.LogOffset); it is meant for in-process replays, which have no size limit.
	QueryLog = "log"
	// QueryLogPage returns one page of the record (LogPage; argument LogPageRequest), bounded so
	// the answer stays far below Temporal's payload limit however long the incident runs.
	QueryLogPage = "log-page"
	// QueryRules returns the rule behind each obligation as the incident's playbook states it
	// ([]Rule): citation, the rule's own words and whether they were read in the primary text.
	// Not part of Status, which every Update's result carries into the history.
	QueryRules = "rules"
)

// Incident status values, also stored in the IncidentStatus search attribute.
const (
	IncidentOpen   = "open"
	IncidentClosed = "closed"
)

// Obligation states.
const (
	// StatePending: the obligation's clock has not started (its anchor has not happened yet).
	StatePending = "pending"
	// StateDue: the clock is running and the deadline (if any) has not passed.
	StateDue = "due"
	// StateOverdue: the deadline has passed and the obligation is not done.
	StateOverdue = "overdue"
	// StateOnHold: its clock is paused by a law-enforcement or national-security hold.
	StateOnHold = "on_hold"
	// StateDone: completed; its lateness is frozen.
	StateDone = "done"
	// StateWaived: a coordinator waived it with a reason.
	StateWaived = "waived"
	// StateNotApplicable: its condition on facts (or on a decision) does not hold.
	StateNotApplicable = "not_applicable"
	// StateDisabled: the playbook ships it disabled (a rule not in force); its clock never starts.
	StateDisabled = "disabled"
)

// Notice delivery states.
const (
	NoticeQueued = "queued"
	// NoticeAwaitingApproval: rendered, waiting for the approvals the playbook requires.
	NoticeAwaitingApproval = "awaiting_approval"
	NoticeFailing          = "failing"
	NoticeSent             = "sent"
	// NoticeCancelled: a forced close stopped a delivery that had not succeeded; recorded, not silent.
	NoticeCancelled = "cancelled"
	// NoticeInDigest: an escalation handed to its recipients' daily digests, not yet reported
	// delivered (DigestWorkflow); it becomes sent with the digest's Message-ID.
	NoticeInDigest = "in_digest"
	// NoticeWithdrawn: an escalation withdrawn from the digests before they went out, because
	// its obligation was no longer overdue or the incident closed.
	NoticeWithdrawn = "withdrawn"
)

// Search attributes the workflow keeps current, so lists are visibility queries, not scans.
var (
	// SearchIncidentStatus is open or closed.
	SearchIncidentStatus = temporal.NewSearchAttributeKeyKeyword("IncidentStatus")
	// SearchNextDeadline is the earliest deadline among open obligations (unset when none).
	SearchNextDeadline = temporal.NewSearchAttributeKeyTime("NextDeadline")
	// SearchOverdueCount is how many obligations are overdue.
	SearchOverdueCount = temporal.NewSearchAttributeKeyInt64("OverdueCount")
)

// IncidentIDPrefix starts every incident ID.
const IncidentIDPrefix = "INC-"

// NewIncidentID returns a fresh incident ID, INC-<uuid>.
func NewIncidentID() string { return IncidentIDPrefix + uuid.NewString() }

// IncidentWorkflowID is the workflow ID of an incident: the incident ID itself, so that every
// Temporal tool shows the ID coordinators use.
func IncidentWorkflowID(incidentID string) string { return incidentID }

// IncidentIDFromWorkflowID is the inverse of IncidentWorkflowID; it checks the format.
func IncidentIDFromWorkflowID(workflowID string) (string, error) {
	rest, ok := strings.CutPrefix(workflowID, IncidentIDPrefix)
	if !ok {
		return "", fmt.Errorf("%q is not an incident ID: it starts with %s", workflowID, IncidentIDPrefix)
	}
	if _, err := uuid.Parse(rest); err != nil {
		return "", fmt.Errorf("%q is not an incident ID: %s must be followed by a UUID", workflowID, IncidentIDPrefix)
	}
	return workflowID, nil
}
