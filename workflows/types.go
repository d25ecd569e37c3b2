package workflows

import (
	"time"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// StartIncidentInput starts an IncidentWorkflow.
type StartIncidentInput struct {
	// IncidentID is INC-<uuid>; it is also the workflow ID.
	IncidentID string `json:"incident_id"`
	// Title is a short name for the incident.
	Title string `json:"title"`
	// Summary says what happened, for notices.
	Summary string `json:"summary,omitempty"`
	// DiscoveredAt is the moment of awareness; it may lie in the past.
	DiscoveredAt time.Time `json:"discovered_at"`
	// Playbook is the snapshot the incident runs on; later edits of the file change nothing here.
	Playbook playbook.Playbook `json:"playbook"`
	// Facts are the facts known at the start.
	Facts []FactInput `json:"facts,omitempty"`
	// Contacts are the recipients by role, added to the playbook's defaults.
	Contacts map[string][]playbook.Contact `json:"contacts,omitempty"`
	// StartedBy is the coordinator who opened the incident.
	StartedBy string `json:"started_by"`
	// Carried is the state of a previous run when the incident continues as new.
	Carried *IncidentState `json:"carried,omitempty"`
	// ContinueAfterEvents starts a new run (continue-as-new) once the history holds this many
	// events; zero means DefaultContinueAfterEvents. The server may suggest it earlier.
	ContinueAfterEvents int `json:"continue_after_events,omitempty"`
	// CarryLogLines is how many of the latest record lines a new run carries over (the earlier
	// ones stay in the run that wrote them; export and audit join them); zero means 200.
	CarryLogLines int `json:"carry_log_lines,omitempty"`
}

// FactInput is a fact value in an input.
type FactInput struct {
	// Name is the fact ID from the playbook.
	Name string `json:"name"`
	// Value is the raw value; it is normalized to the fact's type.
	Value string `json:"value"`
	// At is when the value became known; zero means now.
	At time.Time `json:"at,omitzero"`
}

// IncidentResult is what a closed incident returns.
type IncidentResult struct {
	IncidentID string    `json:"incident_id"`
	ClosedAt   time.Time `json:"closed_at"`
	ClosedBy   string    `json:"closed_by"`
	// Forced is true when the incident was closed with obligations still open.
	Forced bool `json:"forced"`
	// Obligations counts obligations by final state.
	Obligations map[string]int `json:"obligations"`
	// NoticesSent counts delivered notices.
	NoticesSent int `json:"notices_sent"`
	// Final is the incident's status when it closed: every obligation's deadline, completion and
	// lateness, every notice with its receipt.
	Final Status `json:"final"`
	// Log is the incident's record: what was done, when and by whom — the lines from LogOffset
	// on; the earlier ones are in earlier runs (an export holds every run).
	Log       []LogEntry `json:"log"`
	LogOffset int        `json:"log_offset,omitempty"`
}

// CompleteInput marks an obligation done.
type CompleteInput struct {
	Signed
	Obligation string `json:"obligation"`
	// By names the person acting; required.
	By string `json:"by"`
	// At is when the work was actually done; zero means now. It may not lie in the future or
	// before the incident was discovered.
	At   time.Time `json:"at,omitzero"`
	Note string    `json:"note,omitempty"`
}

// WaiveInput waives an obligation.
type WaiveInput struct {
	Signed
	Obligation string `json:"obligation"`
	By         string `json:"by"`
	// Reason is required: an auditor must see why.
	Reason string `json:"reason"`
}

// RecordFactInput records a fact or a determination.
type RecordFactInput struct {
	Signed
	// Name is a fact ID, or a determination ID when Determination is true.
	Name string `json:"name"`
	// Value is the raw value (determinations take true/false, yes/no).
	Value         string `json:"value"`
	Determination bool   `json:"determination,omitempty"`
	By            string `json:"by"`
	// At is when the value became known or the determination was made; zero means now.
	// A later time than now is refused. A determination's time starts the clocks anchored on it.
	At   time.Time `json:"at,omitzero"`
	Note string    `json:"note,omitempty"`
}

// SendNoticeInput requests an obligation's notice: it is sent at once, unless the playbook
// wants approvals first (see ApproveInput).
type SendNoticeInput struct {
	Signed
	Obligation string `json:"obligation"`
	By         string `json:"by"`
}

// HoldInput puts an obligation on hold (or extends the hold in force).
type HoldInput struct {
	Signed
	Obligation  string    `json:"obligation"`
	By          string    `json:"by"`
	RequestedBy string    `json:"requested_by"`
	Authority   string    `json:"authority"`
	Until       time.Time `json:"until"`
	Note        string    `json:"note,omitempty"`
}

// ReleaseInput ends a hold before it expires.
type ReleaseInput struct {
	Signed
	Obligation string `json:"obligation"`
	By         string `json:"by"`
	Note       string `json:"note,omitempty"`
}

// CorrectDiscoveryInput corrects when the organization became aware of the breach; every clock
// anchored on discovery re-arms.
type CorrectDiscoveryInput struct {
	Signed
	DiscoveredAt time.Time `json:"discovered_at"`
	By           string    `json:"by"`
	Reason       string    `json:"reason"`
}

// SetContactsInput replaces a role's contacts in this incident, e.g. to fix an address a notice
// bounced on; notices still failing use the new addresses on their next round.
type SetContactsInput struct {
	Signed
	Role     string             `json:"role"`
	Contacts []playbook.Contact `json:"contacts"`
	By       string             `json:"by"`
	Reason   string             `json:"reason"`
}

// CloseInput closes the incident.
type CloseInput struct {
	Signed
	By string `json:"by"`
	// Force closes even with obligations open or notices undelivered; Reason is then required.
	Force  bool   `json:"force,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// IncidentState is all of a workflow's state, in one serializable struct (carried across
// continue-as-new).
type IncidentState struct {
	IncidentID   string                        `json:"incident_id"`
	Title        string                        `json:"title"`
	Summary      string                        `json:"summary,omitempty"`
	DiscoveredAt time.Time                     `json:"discovered_at"`
	OpenedAt     time.Time                     `json:"opened_at"`
	OpenedBy     string                        `json:"opened_by"`
	Playbook     playbook.Playbook             `json:"playbook"`
	Contacts     map[string][]playbook.Contact `json:"contacts"`
	// Facts keeps every value of every fact, oldest first.
	Facts map[string][]FactRecord `json:"facts"`
	// Determinations keeps every recorded determination, oldest first.
	Determinations map[string][]FactRecord `json:"determinations"`
	// SignedUpdates are the Update IDs of the signed actions applied while their signatures
	// could still be accepted (MaxSignatureAge and MaxSignatureSkew), with when they were
	// signed; carried to a new run, whose server has not seen those IDs, so a signed action is
	// applied once across runs too.
	SignedUpdates map[string]time.Time `json:"signed_updates,omitempty"`
	// Implied holds, per determination the facts imply (implied_by), the time it counts from,
	// as last written to the record.
	Implied map[string]time.Time `json:"implied,omitempty"`
	// Decisions keeps every recorded decision, oldest first.
	Decisions   map[string][]DecisionRecord `json:"decisions,omitempty"`
	Obligations []*ObligationState          `json:"obligations"`
	Notices     []*NoticeRecord             `json:"notices"`
	// Log is the record of what was done, when and by whom: its latest lines, from LogOffset on
	// (the lines before are in earlier runs' histories).
	Log []LogEntry `json:"log"`
	// LogOffset is the index in the whole record of Log[0].
	LogOffset int       `json:"log_offset,omitempty"`
	Status    string    `json:"status"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	ClosedBy  string    `json:"closed_by,omitempty"`
	// ClosedProof says whether ClosedBy signed the close.
	ClosedProof Proof `json:"closed_proof,omitzero"`
	// Forced is set when the incident was closed with obligations or notices still open.
	Forced bool `json:"forced,omitempty"`
	// Runs counts the workflow runs before this one (continue-as-new); one incident, many runs.
	Runs int `json:"runs,omitempty"`
	// ContinueAfterEvents is carried from the first run's input.
	ContinueAfterEvents int `json:"continue_after_events,omitempty"`
	// CarryLogLines is carried from the first run's input.
	CarryLogLines int `json:"carry_log_lines,omitempty"`
}

// FactRecord is one value of a fact or determination.
type FactRecord struct {
	Value string `json:"value"`
	// At is when the value became known (or the determination was made).
	At time.Time `json:"at"`
	// RecordedAt is when it was entered into the engine.
	RecordedAt time.Time `json:"recorded_at"`
	By         string    `json:"by"`
	Note       string    `json:"note,omitempty"`
	// Proof says whether By signed the value or asserted it.
	Proof
}

// ObligationState is the live state of one obligation.
type ObligationState struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// ActiveSince is when the engine first saw the clock running; reminder rungs before it are
	// not sent (they were never meaningful).
	ActiveSince time.Time `json:"active_since,omitzero"`
	AnchorAt    time.Time `json:"anchor_at,omitzero"`
	// Deadline is zero for obligations without a fixed deadline.
	Deadline    time.Time `json:"deadline,omitzero"`
	OverdueAt   time.Time `json:"overdue_at,omitzero"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	CompletedBy string    `json:"completed_by,omitempty"`
	// CompletedProof says whether CompletedBy signed the completion.
	CompletedProof Proof     `json:"completed_proof,omitzero"`
	Note           string    `json:"note,omitempty"`
	WaivedAt       time.Time `json:"waived_at,omitzero"`
	WaivedBy       string    `json:"waived_by,omitempty"`
	// WaivedProof says whether WaivedBy signed the waiver.
	WaivedProof Proof  `json:"waived_proof,omitzero"`
	WaiveReason string `json:"waive_reason,omitempty"`
	// Sent records the reminder and escalation rungs already handled, so each fires exactly once.
	Sent map[string]time.Time `json:"sent,omitempty"`
	// Repeats records, per repeating series (escalations after a deadline, cadence reminders of
	// a duty without one), the number of the last rung handled: a series of any length costs one
	// entry, so the state carried across continue-as-new stays small.
	Repeats map[string]int `json:"repeats,omitempty"`
	// Hold is the hold in force, if any; Holds are the ended ones.
	Hold  *Hold  `json:"hold,omitempty"`
	Holds []Hold `json:"holds,omitempty"`
	// HeldFor is the total time of ended holds; it pushes the deadline back.
	HeldFor time.Duration `json:"held_for,omitempty"`
	// EarlierNoticesSent counts delivered reminders and escalations no longer carried in Notices.
	EarlierNoticesSent int `json:"earlier_notices_sent,omitempty"`
	// Reason says why it does not apply (a decision's rationale) or is disabled.
	Reason string `json:"reason,omitempty"`
	// Limit says which limit governs the deadline of an obligation with a second limit
	// (also_due), e.g. "24 hours from discovery (also_due)".
	Limit string `json:"limit,omitempty"`
}

// Hold is a delay of an obligation requested by law enforcement or for national security: its
// clock stops from From until the hold is released or expires.
type Hold struct {
	// RequestedBy is who asked for the delay, e.g. "FBI Cyber Division".
	RequestedBy string `json:"requested_by"`
	// Authority is the authority invoked, e.g. "request of the Attorney General, FISMA 2014 sec. 2(b)".
	Authority string    `json:"authority"`
	From      time.Time `json:"from"`
	Until     time.Time `json:"until"`
	// By is the coordinator who recorded it.
	By        string    `json:"by"`
	Note      string    `json:"note,omitempty"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	EndedBy   string    `json:"ended_by,omitempty"`
	EndReason string    `json:"end_reason,omitempty"`
	// Proof says whether By signed the hold; EndedProof whether EndedBy signed its release.
	Proof
	EndedProof Proof `json:"ended_proof,omitzero"`
}

// NoticeRecord is one notice: requested, being delivered, delivered, or failing.
type NoticeRecord struct {
	// Key is unique within the incident, e.g. "congress-notice/notice" or "cisa-report/reminder/1559300400/1".
	Key        NoticeKey `json:"key"`
	Obligation string    `json:"obligation"`
	// Kind is notice, reminder, escalation or hold-expiring (templates.Kind*).
	Kind        string    `json:"kind"`
	Template    string    `json:"template"`
	ToRoles     []string  `json:"to_roles"`
	CcRoles     []string  `json:"cc_roles,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
	RequestedBy string    `json:"requested_by"`
	// RequestedProof says whether RequestedBy signed the request.
	RequestedProof Proof     `json:"requested_proof,omitzero"`
	State          string    `json:"state"`
	Attempts       int       `json:"attempts"`
	LastError      string    `json:"last_error,omitempty"`
	Subject        string    `json:"subject,omitempty"`
	ContentHash    string    `json:"content_hash,omitempty"`
	MessageID      string    `json:"message_id,omitempty"`
	To             []string  `json:"to,omitempty"`
	Cc             []string  `json:"cc,omitempty"`
	SentAt         time.Time `json:"sent_at,omitzero"`
	// Transport is smtp or outbox; Receipt is the server's reply or the outbox file.
	Transport string `json:"transport,omitempty"`
	Receipt   string `json:"receipt,omitempty"`
	// AlreadySent: the delivering attempt found an earlier attempt's delivery in the send ledger.
	AlreadySent bool `json:"already_sent,omitempty"`
	// PossibleDuplicate says why the delivery may have been a second copy of the Message-ID.
	PossibleDuplicate string `json:"possible_duplicate,omitempty"`
	// ApprovalsNeeded is how many people must approve before it is sent; Approvals are those given
	// for the current content. A change of content (facts changed) clears them.
	ApprovalsNeeded int        `json:"approvals_needed,omitempty"`
	Approvals       []Approval `json:"approvals,omitempty"`
	// Draft is the rendered content awaiting approval; it is what will be sent, unchanged.
	Draft *templates.Rendered `json:"draft,omitempty"`
	// Due is when the notice was meant to leave: a reminder's or escalation's moment, or the
	// obligation's deadline for its own notice; zero when there is none. Metrics measure lateness
	// against it.
	Due time.Time `json:"due,omitzero"`
	// Digest marks a repeat escalation or cadence reminder that goes out in its recipients'
	// daily digests (ChangeEscalationDigest); MessageID is then the first digest's that listed it.
	Digest bool `json:"digest,omitempty"`
	// Rung labels a digest rung, e.g. "escalation 9" or "open for 3 weeks".
	Rung string `json:"rung,omitempty"`
}

// Approval is one person's sign-off on one exact content.
type Approval struct {
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	ContentHash string    `json:"content_hash"`
	// Proof says whether By signed the approval (the two-person rule compares subjects).
	Proof
}

// ApproveInput approves the notice awaiting approval, bound to the content hash the approver read.
type ApproveInput struct {
	Signed
	Obligation string `json:"obligation"`
	By         string `json:"by"`
	// ContentHash is the hash shown by `starter preview` (at least its first 12 characters).
	ContentHash string `json:"content_hash"`
}

// Preview is the answer to QueryPreview: the notice as it will be sent, or the data to render it.
type Preview struct {
	Obligation      string     `json:"obligation"`
	Template        string     `json:"template"`
	State           string     `json:"state,omitempty"`
	RequestedBy     string     `json:"requested_by,omitempty"`
	RequestedProof  Proof      `json:"requested_proof,omitzero"`
	To              []string   `json:"to"`
	Cc              []string   `json:"cc,omitempty"`
	ApprovalsNeeded int        `json:"approvals_needed"`
	Approvals       []Approval `json:"approvals,omitempty"`
	// Rendered is the exact content awaiting approval or already sent, when there is one.
	Rendered *templates.Rendered `json:"rendered,omitempty"`
	// Data renders the notice as it would be requested now, when nothing is rendered yet.
	Data *templates.Data `json:"data,omitempty"`
}

// Status is the answer to QueryStatus and to every update.
type Status struct {
	IncidentID      string    `json:"incident_id"`
	Title           string    `json:"title"`
	Status          string    `json:"status"`
	DiscoveredAt    time.Time `json:"discovered_at"`
	PlaybookName    string    `json:"playbook_name"`
	PlaybookVersion string    `json:"playbook_version"`
	// TimeZone is the IANA zone the incident is worked in (the playbook's default time_zone);
	// empty means UTC. People are shown times in it (see Location).
	TimeZone       string             `json:"time_zone,omitempty"`
	AsOf           time.Time          `json:"as_of"`
	Obligations    []ObligationStatus `json:"obligations"`
	Facts          map[string]string  `json:"facts"`
	Determinations map[string]string  `json:"determinations,omitempty"`
	// Implied lists the determinations the facts make by definition (implied_by).
	Implied []ImpliedDetermination `json:"implied,omitempty"`
	// Decisions lists every recorded decision with its history.
	Decisions []DecisionStatus `json:"decisions,omitempty"`
	// Regimes names the playbooks of a combined incident (empty for one playbook).
	Regimes      []string       `json:"regimes,omitempty"`
	Notices      []NoticeRecord `json:"notices"`
	NextDeadline time.Time      `json:"next_deadline,omitzero"`
	OverdueCount int            `json:"overdue_count"`
	ClosedAt     time.Time      `json:"closed_at,omitzero"`
	// LogOffset is the index of the first record line this run holds (QueryLogPage reads from it).
	LogOffset int `json:"log_offset,omitempty"`
	// Access is who may act, for MayAct.
	Access Access `json:"access,omitzero"`
}

// Location is the zone the incident's times are shown in.
func (s Status) Location() *time.Location { return Location(s.TimeZone) }

// ObligationStatus is one obligation in a Status.
type ObligationStatus struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	Citation     string    `json:"citation"`
	State        string    `json:"state"`
	AnchorAt     time.Time `json:"anchor_at,omitzero"`
	Deadline     time.Time `json:"deadline,omitzero"`
	DeadlineNote string    `json:"deadline_note,omitempty"`
	CompletedAt  time.Time `json:"completed_at,omitzero"`
	// Late is how late it was completed (frozen once done); zero when on time.
	Late time.Duration `json:"late,omitempty"`
	// NoticesSent counts delivered notices for this obligation (the notice, reminders, escalations).
	NoticesSent int `json:"notices_sent"`
	// NoticeState is the state of the obligation's own notice, empty if none was requested.
	NoticeState string `json:"notice_state,omitempty"`
	// Hold is the hold in force, if any.
	Hold *Hold `json:"hold,omitempty"`
	// HeldFor is the time spent on ended holds.
	HeldFor time.Duration `json:"held_for,omitempty"`
	// Regime is the playbook the obligation comes from, in a combined incident.
	Regime string `json:"regime,omitempty"`
	// DeadlineKind is legal or internal_target (a deadline the organization set itself, never
	// to be shown as a legal one); empty without a fixed deadline.
	DeadlineKind string `json:"deadline_kind,omitempty"`
	// Source is primary or secondary (the rule rests on secondary sources only), when said.
	Source string `json:"source,omitempty"`
	// Reason says why it does not apply (a decision's rationale) or is disabled.
	Reason string `json:"reason,omitempty"`
	// Limit says which limit governs the deadline when the obligation has a second one.
	Limit string `json:"limit,omitempty"`
	// CompletedBy (or WaivedBy) is who completed (or waived) it, with how that is known.
	CompletedBy    string `json:"completed_by,omitempty"`
	CompletedProof Proof  `json:"completed_proof,omitzero"`
	WaivedBy       string `json:"waived_by,omitempty"`
	WaivedProof    Proof  `json:"waived_proof,omitzero"`
}

// InternalTarget reports whether the deadline is an internal target, not a legal deadline.
func (o ObligationStatus) InternalTarget() bool {
	return o.DeadlineKind == playbook.DeadlineInternalTarget
}
