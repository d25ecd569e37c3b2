package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/playbook"
)

// status builds the read-only view returned by the query and by every update.
func (w *incident) status(now time.Time) Status {
	st := w.st
	s := Status{
		IncidentID:      st.IncidentID,
		Title:           st.Title,
		Status:          st.Status,
		DiscoveredAt:    st.DiscoveredAt,
		PlaybookName:    st.Playbook.Name,
		PlaybookVersion: st.Playbook.Version,
		TimeZone:        st.Playbook.Defaults.TimeZone,
		AsOf:            now,
		Facts:           w.currentFacts(),
		Determinations:  w.currentDeterminations(),
		Implied:         w.impliedAll(),
		Decisions:       w.decisionsStatus(),
		ClosedAt:        st.ClosedAt,
		LogOffset:       st.LogOffset,
		Access:          w.access(),
	}
	s.NextDeadline, s.OverdueCount = w.nextDeadlineAndOverdue()
	for _, r := range st.Playbook.Regimes {
		s.Regimes = append(s.Regimes, r.Name)
	}
	sent := map[string]int{}
	for _, n := range st.Notices {
		s.Notices = append(s.Notices, *n)
		if n.State == NoticeSent {
			sent[n.Obligation]++
		}
	}
	for _, o := range st.Obligations {
		def := st.Playbook.Obligation(o.ID)
		os := ObligationStatus{
			ID: o.ID, Title: def.Title, Citation: def.Citation, State: o.State,
			AnchorAt: o.AnchorAt, Deadline: o.Deadline, DeadlineNote: def.Deadline.Note,
			CompletedAt: o.CompletedAt, NoticesSent: sent[o.ID] + o.EarlierNoticesSent,
			Hold: o.Hold, HeldFor: o.HeldFor,
			Regime: def.Regime, DeadlineKind: def.DeadlineKind(), Source: def.Source, Reason: o.Reason, Limit: o.Limit,
			CompletedBy: o.CompletedBy, CompletedProof: o.CompletedProof, WaivedBy: o.WaivedBy, WaivedProof: o.WaivedProof,
		}
		if j := Judge(os, now, false); j.Done {
			os.Late = j.Late()
		}
		if n := w.notice(OwnNoticeKey(o.ID)); n != nil {
			os.NoticeState = n.State
		}
		s.Obligations = append(s.Obligations, os)
	}
	return s
}

// ValidateStart checks a new incident against its playbook snapshot: required fields, facts of the
// declared types, contacts with valid addresses, and a contact for every role a notice goes to.
// The starter calls it before starting a workflow; the workflow calls it again and fails without
// retry on bad input.
func ValidateStart(in StartIncidentInput) error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if _, err := IncidentIDFromWorkflowID(in.IncidentID); err != nil {
		add("incident_id", "%v", err)
	}
	if strings.TrimSpace(in.Title) == "" {
		add("title", "missing: give the incident a short title")
	}
	if in.DiscoveredAt.IsZero() {
		add("discovered_at", "missing: when did the organization become aware (RFC 3339, e.g. 2019-05-31T09:00:00-04:00)?")
	} else if err := clock.CheckTime("discovered_at", in.DiscoveredAt); err != nil {
		errs = append(errs, err)
	}
	if err := playbook.CheckLine("title", in.Title, playbook.MaxTitleLen); err != nil {
		errs = append(errs, err)
	}
	if err := playbook.CheckText("summary", in.Summary, playbook.MaxSummaryLen); err != nil {
		errs = append(errs, err)
	}
	if err := checkActor(in.StartedBy); err != nil && strings.TrimSpace(in.StartedBy) != "" {
		errs = append(errs, fmt.Errorf("started_by: %w", err))
	}
	for i, f := range in.Facts {
		if !f.At.IsZero() {
			if err := clock.CheckTime(fmt.Sprintf("facts[%d].at", i), f.At); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if strings.TrimSpace(in.StartedBy) == "" {
		add("started_by", "missing: name the coordinator opening the incident")
	}
	pb := &in.Playbook
	if err := pb.Validate(nil); err != nil {
		add("playbook", "%v", err)
	}
	for i, f := range in.Facts {
		def, ok := pb.Facts[f.Name]
		if !ok {
			add(fmt.Sprintf("facts[%d]", i), "unknown fact %q: the playbook declares %s", f.Name, names(pb.Facts))
			continue
		}
		if _, err := playbook.NormalizeFact(def, f.Value); err != nil {
			add("facts."+f.Name, "%v", err)
		}
	}
	for _, role := range slices.Sorted(maps.Keys(in.Contacts)) {
		cs := in.Contacts[role]
		r, ok := pb.Roles[role]
		if !ok {
			add("contacts."+role, "unknown role: the playbook declares %s", names(pb.Roles))
		}
		for i, c := range cs {
			if err := playbook.CheckAddress(c.Email); err != nil {
				add(fmt.Sprintf("contacts.%s[%d].email", role, i), "%v", err)
			} else if !r.Allows(c.Email) {
				add(fmt.Sprintf("contacts.%s[%d].email", role, i), "%q is not in an allowed domain for %s (%s): check for a typo", c.Email, role, strings.Join(r.AllowedDomains, ", "))
			}
		}
	}
	if raw, err := json.Marshal(in); err == nil && len(raw) > MaxStartBytes {
		add("input", "the incident's input (playbooks, facts, contacts) is %d KiB: at most %d KiB, so that it fits the state an incident carries; shorten the texts or split the playbooks", len(raw)/1024, MaxStartBytes/1024)
	}
	var missing []string
	for _, role := range rolesNotified(pb) {
		if len(in.Contacts[role]) == 0 && len(pb.Roles[role].Contacts) == 0 {
			missing = append(missing, role)
		}
	}
	if len(missing) > 0 {
		add("contacts", "no address for role(s) %s: notices go to them; add them under contacts", strings.Join(missing, ", "))
	}
	for i := range pb.Obligations {
		o := &pb.Obligations[i]
		if o.Notice == nil || len(o.Notice.ApproverRoles) == 0 {
			continue
		}
		if !slices.ContainsFunc(o.Notice.ApproverRoles, func(r string) bool { return len(in.Contacts[r]) > 0 || len(pb.Roles[r].Contacts) > 0 }) {
			add("contacts", "no address for the approver role(s) %s of %s: a signed approval is accepted only from their contacts; add the approvers' e-mail addresses under contacts", strings.Join(o.Notice.ApproverRoles, ", "), o.ID)
		}
	}
	return errors.Join(errs...)
}

// rolesNotified lists every role a notice, reminder, escalation or hold-expiring notice can go
// to (the last goes to the owner and the escalation's roles).
func rolesNotified(pb *playbook.Playbook) []string {
	set := map[string]bool{}
	for i := range pb.Obligations {
		o := &pb.Obligations[i]
		set[o.Owner] = true
		if o.Notice != nil {
			for _, r := range append(append([]string{}, o.Notice.To...), o.Notice.Cc...) {
				set[r] = true
			}
		}
		if e := pb.EscalationFor(o); e != nil {
			for _, r := range e.To {
				set[r] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Rule is the rule behind one obligation, as the incident's playbook states it (QueryRules).
type Rule struct {
	Obligation string `json:"obligation"`
	// Citation names the rule, e.g. "FISMA 2014 sec. 2(d)(1)"; empty when none.
	Citation string `json:"citation,omitempty"`
	// Quote is the rule's own words, where its text was read.
	Quote string `json:"quote,omitempty"`
	// Source is primary (the rule's text was read) or secondary; empty when not said.
	Source string `json:"source,omitempty"`
	// DeadlineKind is legal, internal_target (a deadline the organization set itself: no rule
	// sets it) or empty (no deadline).
	DeadlineKind string `json:"deadline_kind,omitempty"`
}

// Label names the rule: its citation, whether its words were read in the primary text, and,
// for a deadline the organization set itself, that no rule sets it (unless the citation says so).
func (r Rule) Label() string {
	s := r.Citation
	if s == "" {
		s = "-"
	}
	if r.Source != "" {
		s += " (" + r.Source + " source)"
	}
	if r.DeadlineKind == playbook.DeadlineInternalTarget && !strings.Contains(strings.ToLower(r.Citation), "internal target") {
		s += "; the deadline is an internal target: no rule sets it"
	}
	return s
}

// RulesOf lists the rule behind every obligation of a playbook, in its order.
func RulesOf(pb *playbook.Playbook) []Rule {
	out := make([]Rule, 0, len(pb.Obligations))
	for _, o := range pb.Obligations {
		out = append(out, Rule{Obligation: o.ID, Citation: o.Citation, Quote: o.Quote, Source: o.Source, DeadlineKind: o.DeadlineKind()})
	}
	return out
}
