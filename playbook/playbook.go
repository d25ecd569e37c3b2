// Package playbook defines the versioned data that lists what an organization owes after a breach:
// obligations with their trigger (anchor), deadline clock, applicability condition, recipients,
// notice template, reminder ladder and escalation.
//
// Playbooks are YAML files parsed strictly: an unknown field, an unknown role, fact or template, a
// dependency cycle, a non-positive duration or a malformed address is an error that names the
// file, the obligation and the field. An incident snapshots its playbook when it starts, so a later
// edit of the file never changes a running incident.
package playbook

import (
	"strings"
)

// FormatVersion is the playbook file format this build reads.
const FormatVersion = 1

// Anchor kinds: what starts an obligation's clock.
const (
	// AnchorDiscovery starts the clock at the incident's discovery time.
	AnchorDiscovery = "discovery"
	// AnchorDetermination starts it when a determination (e.g. major_incident) is recorded as true.
	AnchorDetermination = "determination"
	// AnchorFact starts it when a fact is first recorded with a true or non-empty value; a date
	// fact starts it at the date it gives (its latest value).
	AnchorFact = "fact"
	// AnchorObligation starts it when another obligation is completed.
	AnchorObligation = "obligation"
	// AnchorNotice starts it when another obligation's own notice was delivered (chained reports).
	AnchorNotice = "notice"
	// AnchorDecision starts it when a decision (Playbook.Decisions) was recorded.
	AnchorDecision = "decision"
)

// Deadline kinds: whether a deadline is the law's or the organization's own.
const (
	// DeadlineLegal is a deadline a rule sets (the default for an obligation with a deadline).
	DeadlineLegal = "legal"
	// DeadlineInternalTarget is a deadline the organization set itself; it is never shown as a
	// legal deadline.
	DeadlineInternalTarget = "internal_target"
)

// Sources of an obligation's rule.
const (
	// SourcePrimary: the rule was read in its primary text (statute, regulation, policy).
	SourcePrimary = "primary"
	// SourceSecondary: the rule rests on secondary sources only (summaries, press).
	SourceSecondary = "secondary"
)

// Send modes of an obligation's notice.
const (
	// SendOnDue sends the notice automatically as soon as the obligation becomes due.
	SendOnDue = "on_due"
	// SendManual sends the notice only when a coordinator approves it (`starter send`).
	SendManual = "manual"
)

// Fact types a playbook can declare.
const (
	FactNumber = "number"
	FactText   = "text"
	FactBool   = "bool"
	FactDate   = "date"
)

// Playbook is one version of a set of obligations.
type Playbook struct {
	// Format is the file format version; must be FormatVersion.
	Format int `yaml:"format" json:"format"`
	// Name identifies the playbook, e.g. "us-federal-breach".
	Name string `yaml:"name" json:"name"`
	// Version is the playbook's own version, e.g. "2026.1"; incidents record it.
	Version string `yaml:"version" json:"version"`
	// Regime is the short ID of the law the playbook encodes (e.g. "gdpr"); when an incident
	// combines several playbooks, its obligations are named "<regime>.<id>". Default: Name.
	Regime string `yaml:"regime,omitempty" json:"regime,omitempty"`
	// Title is a human-readable name.
	Title string `yaml:"title" json:"title"`
	// Description says what the playbook covers.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Defaults apply to every obligation that does not set its own.
	Defaults Defaults `yaml:"defaults" json:"defaults"`
	// Roles are the parties notices go to, by role ID.
	Roles map[string]Role `yaml:"roles" json:"roles"`
	// Facts are the facts an incident may record, by fact ID.
	Facts map[string]FactDef `yaml:"facts" json:"facts"`
	// Determinations are the decisions an incident may record, by ID (e.g. major_incident).
	Determinations map[string]DeterminationDef `yaml:"determinations" json:"determinations"`
	// Decisions are the decisions people record with a rationale, by ID (e.g. notify_individuals).
	Decisions map[string]DecisionDef `yaml:"decisions,omitempty" json:"decisions,omitempty"`
	// AppliesWhen lists conditions that must all hold for the playbook's regime to apply; Combine
	// adds them to each of its obligations' conditions.
	AppliesWhen []Condition `yaml:"applies_when,omitempty" json:"applies_when,omitempty"`
	// Enabled false ships the whole playbook disabled (a rule not in force): each obligation is
	// listed as disabled and never starts a clock. Default true.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// Obligations are what is owed, in display order.
	Obligations []Obligation `yaml:"obligations" json:"obligations"`
	// SignedApprovals requires every approval of every notice of this playbook to be signed
	// (Parse sets each notice's SignedApprovals).
	SignedApprovals bool `yaml:"signed_approvals,omitempty" json:"signed_approvals,omitempty"`
	// Auditors are roles whose people may read an incident but not act on it: a signed action by
	// one of their contacts is refused.
	Auditors []string `yaml:"auditors,omitempty" json:"auditors,omitempty"`
	// Source is the file the playbook was read from (not part of the YAML).
	Source string `yaml:"-" json:"source,omitempty"`
	// Regimes lists the playbooks Combine joined into this one, in order; empty for a playbook
	// read from one file.
	Regimes []Regime `yaml:"-" json:"regimes,omitempty"`
}

// Regime is one playbook of a combined playbook.
type Regime struct {
	// Name is the playbook's name; its obligations' IDs start with it and a dot.
	Name string `json:"name"`
	// Version and Title are the playbook's.
	Version string `json:"version"`
	Title   string `json:"title,omitempty"`
	// AppliesWhen is the playbook's applies_when.
	AppliesWhen []Condition `json:"applies_when,omitempty"`
	// Disabled is set when the playbook ships disabled.
	Disabled bool `json:"disabled,omitempty"`
}

// Defaults are playbook-wide settings.
type Defaults struct {
	// TimeZone is the IANA zone for calendar and business-day clocks (default "UTC").
	TimeZone string `yaml:"time_zone" json:"time_zone,omitempty"`
	// Calendar is the holiday calendar for business days (default "us-federal").
	Calendar string `yaml:"calendar" json:"calendar,omitempty"`
	// Reminders is the reminder ladder for obligations with a deadline.
	Reminders []Reminder `yaml:"reminders" json:"reminders,omitempty"`
	// Cadence is how often obligations without a fixed deadline are brought up again (e.g. "7d").
	Cadence Duration `yaml:"cadence" json:"cadence,omitempty"`
	// Escalation applies once a deadline has passed.
	Escalation *Escalation `yaml:"escalation" json:"escalation,omitempty"`
	// Closures are extra days off (e.g. "2026-12-24", closed by executive order) that
	// business-day clocks skip, besides the calendar's holidays.
	Closures []string `yaml:"closures,omitempty" json:"closures,omitempty"`
	// Digest, when set, gathers the repeating internal reminders — repeat escalations of an
	// overdue obligation and repeat cadence reminders of one without a fixed deadline — into one
	// mail per recipient per day that lists them for every incident. The first of each series
	// still goes out at once, on its own; legal notices and the reminders before a deadline are
	// never digested. Off by default.
	Digest *Digest `yaml:"digest,omitempty" json:"digest,omitempty"`
}

// Role is a party that receives notices.
type Role struct {
	// Title is a human-readable name, e.g. "House and Senate oversight committees".
	Title string `yaml:"title" json:"title"`
	// Contacts are default addresses; an incident adds its own.
	Contacts []Contact `yaml:"contacts,omitempty" json:"contacts,omitempty"`
	// AllowedDomains, when set, lists the only e-mail domains this role's contacts may have
	// (e.g. house.gov, senate.gov): a typo'd or foreign address is refused before anything is sent.
	AllowedDomains []string `yaml:"allowed_domains,omitempty" json:"allowed_domains,omitempty"`
}

// Allows reports whether an address may receive this role's notices.
func (r Role) Allows(address string) bool {
	if len(r.AllowedDomains) == 0 {
		return true
	}
	at := strings.LastIndex(address, "@")
	if at < 0 {
		return false
	}
	domain := strings.ToLower(address[at+1:])
	for _, d := range r.AllowedDomains {
		d = strings.ToLower(d)
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}

// Contact is a person or mailbox.
type Contact struct {
	// Name is the display name.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Email is the address; it must parse as an RFC 5322 address.
	Email string `yaml:"email" json:"email"`
}

// FactDef declares a fact an incident may carry.
type FactDef struct {
	// Type is one of number, text, bool, date.
	Type string `yaml:"type" json:"type"`
	// Title is a human-readable name.
	Title string `yaml:"title" json:"title"`
}

// DeterminationDef declares a determination an incident may record.
type DeterminationDef struct {
	// Title is a human-readable name, e.g. "Major incident (FISMA, OMB M-23-03)".
	Title string `yaml:"title" json:"title"`
	// ImpliedBy lists conditions on facts that make the determination by definition ("100,000 or
	// more people is a major incident", OMB M-17-05): once they all hold, it counts as made when
	// the deciding fact value became known. Empty: only a person makes it.
	ImpliedBy []Condition `yaml:"implied_by,omitempty" json:"implied_by,omitempty"`
}

// DecisionDef declares a decision people record with a rationale (e.g. whether to notify
// affected individuals), kept with its history.
type DecisionDef struct {
	// Title is a human-readable name, e.g. "Notify affected individuals".
	Title string `yaml:"title" json:"title"`
	// Outcomes lists the allowed outcomes (default yes, no).
	Outcomes []string `yaml:"outcomes,omitempty" json:"outcomes,omitempty"`
}

// DefaultOutcomes are a decision's outcomes when it lists none.
var DefaultOutcomes = []string{"yes", "no"}

// AllowedOutcomes returns the decision's outcomes, DefaultOutcomes when it lists none.
func (d DecisionDef) AllowedOutcomes() []string {
	if len(d.Outcomes) == 0 {
		return DefaultOutcomes
	}
	return d.Outcomes
}

// Obligation is one thing owed after a breach.
type Obligation struct {
	// ID is unique within the playbook: lowercase letters, digits and dashes.
	ID string `yaml:"id" json:"id"`
	// Title says what is owed.
	Title string `yaml:"title" json:"title"`
	// Citation is the legal or policy source, e.g. "44 U.S.C. 3554(b)(7)(C)(iii)".
	Citation string `yaml:"citation" json:"citation"`
	// Quote is the rule's own words (one paragraph, at most MaxNoteLen characters).
	Quote string `yaml:"quote,omitempty" json:"quote,omitempty"`
	// Source is primary (the rule's text was read) or secondary (it rests on secondary sources
	// only); empty when not said.
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
	// Regime is the playbook the obligation came from in a combined playbook (see Combine).
	Regime string `yaml:"-" json:"regime,omitempty"`
	// Enabled false ships the obligation disabled (a rule not in force): listed as disabled,
	// its clock never starts. Default true.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// HoldsForbidden, when set, is the rule that forbids pausing this obligation's clock (e.g.
	// "FISMA 2014 sec. 2(d)(2): only notice to individuals may be delayed"): a hold is refused,
	// naming it.
	HoldsForbidden string `yaml:"holds_forbidden,omitempty" json:"holds_forbidden,omitempty"`
	// HoldAuthorities, when set, lists who may ask for a hold (e.g. FISMA 2014 sec. 2(d)(2): the
	// Attorney General, the head of an element of the intelligence community, the Secretary of
	// Homeland Security): a hold's authority must name one of them.
	HoldAuthorities []string `yaml:"hold_authorities,omitempty" json:"hold_authorities,omitempty"`
	// Description gives detail for the people doing the work.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Owner is the role responsible; reminders go to it.
	Owner string `yaml:"owner" json:"owner"`
	// ActedBy, when set, lists the roles whose people may act on the obligation with signed
	// actions (complete, waive, send its notice, hold, release): a signed action from anyone
	// else is refused. Approvals follow the notice's approver roles instead.
	ActedBy []string `yaml:"acted_by,omitempty" json:"acted_by,omitempty"`
	// Anchor says what starts the clock: "discovery", "determination:ID", "fact:ID",
	// "obligation:ID", "notice:ID" or "decision:ID", or the earliest of several (see Anchor).
	Anchor Anchor `yaml:"anchor" json:"anchor"`
	// Deadline is the duration on a clock from the anchor.
	Deadline Deadline `yaml:"deadline" json:"deadline"`
	// AlsoDue is a second limit: the deadline is the earlier of the obligation's own and this
	// one, once the obligation's clock runs (DORA: 4 hours from classification and no later than
	// 24 hours from awareness).
	AlsoDue *AlsoDue `yaml:"also_due,omitempty" json:"also_due,omitempty"`
	// When lists conditions on facts that must all hold for the obligation to apply.
	When []Condition `yaml:"when,omitempty" json:"when,omitempty"`
	// DependsOn lists obligations that must be done or waived before this one can be completed.
	DependsOn []string `yaml:"depends_on,omitempty" json:"depends_on,omitempty"`
	// Notice is the message the obligation sends, if any.
	Notice *Notice `yaml:"notice,omitempty" json:"notice,omitempty"`
	// Reminders overrides the playbook's reminder ladder.
	Reminders []Reminder `yaml:"reminders,omitempty" json:"reminders,omitempty"`
	// Cadence overrides the playbook's cadence for an obligation without a fixed deadline.
	Cadence Duration `yaml:"cadence,omitempty" json:"cadence,omitempty"`
	// Escalation overrides the playbook's escalation.
	Escalation *Escalation `yaml:"escalation,omitempty" json:"escalation,omitempty"`
}

// Deadline is a duration on a clock.
type Deadline struct {
	// Clock is hours, calendar_days, calendar_months, business_days or none.
	Clock string `yaml:"clock" json:"clock"`
	// Amount is the number of clock units; positive unless Clock is none.
	Amount int `yaml:"amount,omitempty" json:"amount,omitempty"`
	// TimeZone overrides the playbook's zone.
	TimeZone string `yaml:"time_zone,omitempty" json:"time_zone,omitempty"`
	// Calendar overrides the playbook's holiday calendar.
	Calendar string `yaml:"calendar,omitempty" json:"calendar,omitempty"`
	// CloseOfBusiness ends business-day deadlines at this local time ("17:00") instead of midnight.
	CloseOfBusiness string `yaml:"close_of_business,omitempty" json:"close_of_business,omitempty"`
	// Note explains a deadline without a fixed date, e.g. "without unreasonable delay".
	Note string `yaml:"note,omitempty" json:"note,omitempty"`
	// Kind is legal (default) or internal_target (a deadline the organization set itself,
	// never presented as a legal deadline).
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`
	// Closures are extra days off for business-day clocks, added to the playbook's.
	Closures []string `yaml:"closures,omitempty" json:"closures,omitempty"`
}

// AlsoDue is a second limit on an obligation's deadline: Amount units of Clock from Anchor.
type AlsoDue struct {
	// Anchor is a single anchor, as Obligation.Anchor's string form.
	Anchor string `yaml:"anchor" json:"anchor"`
	// Clock is hours, calendar_days, calendar_months, business_days or after_year_end.
	Clock string `yaml:"clock" json:"clock"`
	// Amount is the number of clock units; positive.
	Amount int `yaml:"amount" json:"amount"`
}

// Notice is the message an obligation sends.
type Notice struct {
	// Template names a notice template (templates/notices/NAME.subject.tmpl, .txt.tmpl, .html.tmpl).
	Template string `yaml:"template" json:"template"`
	// To lists recipient roles.
	To []string `yaml:"to" json:"to"`
	// Cc lists roles copied.
	Cc []string `yaml:"cc,omitempty" json:"cc,omitempty"`
	// Send is on_due (automatic) or manual (after a coordinator's approval); default manual.
	Send string `yaml:"send,omitempty" json:"send,omitempty"`
	// CompletesObligation marks the obligation done once the notice is delivered.
	CompletesObligation bool `yaml:"completes_obligation,omitempty" json:"completes_obligation,omitempty"`
	// Approvals is how many distinct people other than the requester must approve the exact
	// rendered content before it is sent (0: the request itself is the approval). In YAML it is
	// a count (approvals: 2) or {count: 2, signed: true, roles: [general_counsel, cio]}.
	Approvals int `yaml:"-" json:"approvals,omitempty"`
	// SignedApprovals refuses an approval that is not signed (given in the console, signed in):
	// the history then proves who approved. Set by approvals.signed or the playbook's
	// signed_approvals.
	SignedApprovals bool `yaml:"-" json:"signed_approvals,omitempty"`
	// ApproverRoles, when set, accepts a signed approval only from a person whose e-mail address
	// is among these roles' contacts in the incident. Asserted approvals (the CLI) cannot be
	// checked against it: add signed to refuse them.
	ApproverRoles []string `yaml:"-" json:"approver_roles,omitempty"`
	// ApprovalsYAML is the approvals field as written; Parse copies it into the fields above.
	ApprovalsYAML ApprovalsSpec `yaml:"approvals,omitempty" json:"-"`
}

// Condition is a test on one fact or one decision; exactly one operator is set.
type Condition struct {
	// Fact is the fact ID (empty when Decision is set).
	Fact string `yaml:"fact,omitempty" json:"fact"`
	// Decision is the decision ID (instead of Fact): equals holds when the latest decision has
	// that outcome, not_equals unless it has (so also while undecided), is_set once decided.
	Decision string `yaml:"decision,omitempty" json:"decision,omitempty"`
	// Equals holds when the fact equals the value (numbers numerically, bools as bools).
	Equals *string `yaml:"equals,omitempty" json:"equals,omitempty"`
	// NotEquals holds when the fact is set and differs from the value.
	NotEquals *string `yaml:"not_equals,omitempty" json:"not_equals,omitempty"`
	// AtLeast holds when a number fact is >= the value.
	AtLeast *float64 `yaml:"at_least,omitempty" json:"at_least,omitempty"`
	// Below holds when a number fact is < the value.
	Below *float64 `yaml:"below,omitempty" json:"below,omitempty"`
	// Above holds when a number fact is > the value.
	Above *float64 `yaml:"above,omitempty" json:"above,omitempty"`
	// AtMost holds when a number fact is <= the value.
	AtMost *float64 `yaml:"at_most,omitempty" json:"at_most,omitempty"`
	// IsSet holds when the fact has (true) or has not (false) been recorded.
	IsSet *bool `yaml:"is_set,omitempty" json:"is_set,omitempty"`
}

// Reminder is one rung of a reminder ladder, before the deadline.
type Reminder struct {
	// Before is how long before the deadline, e.g. "1d", "1h", "0s" (at the deadline).
	Before *Duration `yaml:"before,omitempty" json:"before,omitempty"`
	// AtFraction is a point within the window, e.g. 0.5 for half-way from anchor to deadline.
	AtFraction *float64 `yaml:"at_fraction,omitempty" json:"at_fraction,omitempty"`
}

// Escalation notifies more people after a deadline has passed, repeating on a cadence.
type Escalation struct {
	// To lists the roles escalated to.
	To []string `yaml:"to" json:"to"`
	// Every is the repeat interval (e.g. "1d").
	Every Duration `yaml:"every" json:"every"`
	// Then slows the escalation down as the obligation stays overdue, so it helps rather than
	// floods: e.g. daily for a week, then weekly ([{after: 7d, every: 7d}]). Steps in order of
	// After, the time since the deadline from which their interval applies.
	Then []EscalationStep `yaml:"then,omitempty" json:"then,omitempty"`
	// Max caps how many escalations one deadline sends (zero: no cap).
	Max int `yaml:"max,omitempty" json:"max,omitempty"`
}

// Digest is the daily send time of a reminder digest.
type Digest struct {
	// At is the local time of day the digest goes out: "HH:MM" or "HH:MM:SS".
	At string `yaml:"at" json:"at"`
	// TimeZone is the IANA zone of At (default: the playbook's time zone).
	TimeZone string `yaml:"time_zone,omitempty" json:"time_zone,omitempty"`
}

// EscalationStep is a later pace of an escalation.
type EscalationStep struct {
	// After is the time since the deadline from which Every applies.
	After Duration `yaml:"after" json:"after"`
	// Every is the interval from then on.
	Every Duration `yaml:"every" json:"every"`
}

// MaxEscalationSteps bounds Escalation.Then.
const MaxEscalationSteps = 8
