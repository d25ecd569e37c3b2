package workflows

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/breachflow/breachflow/playbook"
)

// Actor is a person about to act. Subject is set when the person is signed in (the console
// signs the action); Name is the name or e-mail address the action is recorded under.
type Actor struct {
	Subject string `json:"subject,omitempty"`
	Name    string `json:"name"`
}

// Access is what the rules of who may act need from the playbook snapshot and the incident's
// contacts. It is part of Status, so a front end decides what to offer with MayAct — the very
// rules the Update validators apply.
type Access struct {
	// Auditors are roles whose people read but do not act (playbook auditors).
	Auditors []string `json:"auditors,omitempty"`
	// ActedBy lists, per obligation, the roles whose people may act on it when signed in
	// (playbook acted_by); an obligation not listed is open to everyone.
	ActedBy map[string][]string `json:"acted_by,omitempty"`
	// Approvers holds, per obligation whose notice needs approvals, who may approve it.
	Approvers map[string]ApproverRule `json:"approvers,omitempty"`
	// Members lists, per role named above, its contacts' e-mail addresses in this incident
	// (lower case).
	Members map[string][]string `json:"members,omitempty"`
	// Guarded lists the roles whose contacts only a signed action may change, with why: they
	// decide who may sign for something (approver roles of signed approvals, acted_by, auditors).
	Guarded map[string]string `json:"guarded,omitempty"`
}

// ApproverRule says who may approve one notice.
type ApproverRule struct {
	// Signed refuses approvals that are not signed.
	Signed bool `json:"signed,omitempty"`
	// Roles, when set, accepts a signed approval only from these roles' contacts.
	Roles []string `json:"roles,omitempty"`
}

// MayAct reports whether who may take the action named by update (an Update* name) on target
// — the obligation, the role for UpdateSetContacts, "" for other actions on the incident — as
// the incident stands in s; nil means yes, an error says why not and what to do instead. The
// validators apply the same rules (and more: the state of the obligation, the input's fields),
// so a nil here is no promise of acceptance.
func MayAct(s Status, who Actor, update, target string) error {
	var n *NoticeRecord
	for i := range s.Notices {
		if update == UpdateApprove && s.Notices[i].Key == OwnNoticeKey(target) {
			n = &s.Notices[i]
		}
	}
	return s.Access.check(who, update, target, n)
}

// access builds the incident's Access from its playbook snapshot and contacts.
func (w *incident) access() Access {
	pb := &w.st.Playbook
	a := Access{Auditors: pb.Auditors}
	roles := append([]string(nil), pb.Auditors...)
	for i := range pb.Obligations {
		o := &pb.Obligations[i]
		if len(o.ActedBy) > 0 {
			if a.ActedBy == nil {
				a.ActedBy = map[string][]string{}
			}
			a.ActedBy[o.ID] = o.ActedBy
			roles = append(roles, o.ActedBy...)
		}
		if n := o.Notice; n != nil && n.Approvals > 0 && (n.SignedApprovals || len(n.ApproverRoles) > 0) {
			if a.Approvers == nil {
				a.Approvers = map[string]ApproverRule{}
			}
			a.Approvers[o.ID] = ApproverRule{Signed: n.SignedApprovals, Roles: n.ApproverRoles}
			roles = append(roles, n.ApproverRoles...)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(pb.Roles)) {
		if why := guardedRole(pb, r); why != "" {
			if a.Guarded == nil {
				a.Guarded = map[string]string{}
			}
			a.Guarded[r] = why
		}
	}
	for _, r := range roles {
		if _, ok := a.Members[r]; ok {
			continue
		}
		if a.Members == nil {
			a.Members = map[string][]string{}
		}
		var emails []string
		for _, c := range append(append([]playbook.Contact(nil), w.st.Contacts[r]...), pb.Roles[r].Contacts...) {
			if e := strings.ToLower(c.Email); !slices.Contains(emails, e) {
				emails = append(emails, e)
			}
		}
		a.Members[r] = emails
	}
	return a
}

// mayAct applies Access to an Update input in a validator, after checkAttested (so By is the
// attested person and ctx carries the Proof).
func (w *incident) mayAct(p Proof, update string, in any) error {
	who := Actor{Subject: p.Subject}
	if act, ok := in.(actorInput); ok {
		who.Name = NormalizeActor(*act.actor())
	}
	obligation := ""
	if o, ok := in.(targetInput); ok {
		obligation = o.target()
	}
	var n *NoticeRecord
	if update == UpdateApprove {
		n = w.notice(OwnNoticeKey(obligation))
	}
	acc := w.access()
	return acc.check(who, update, obligation, n)
}

// check is the one implementation of the rules of who may act (MayAct, validators).
func (a *Access) check(who Actor, update, obligation string, n *NoticeRecord) error {
	signed := who.Subject != ""
	p := Proof{Subject: who.Subject, Verified: signed}
	if signed {
		if r := a.memberOf(who, a.Auditors); r != "" {
			return fmt.Errorf("%s is an auditor of this incident (role %s): auditors read the record, they do not act", who.Name, r)
		}
	}
	// A role's contacts decide who may sign for it: changing them must be as provable as what
	// they guard, or anyone could add themselves by typing a name and then sign in.
	if why := a.Guarded[obligation]; update == UpdateSetContacts && why != "" && !signed {
		return fmt.Errorf("role %s %s: change its contacts in the console, signed in (an asserted change could let anyone sign for it)", obligation, why)
	}
	if update == UpdateApprove {
		rule := a.Approvers[obligation]
		if rule.Signed && !signed {
			return fmt.Errorf("this notice needs a signed approval: approve it in the console, signed in as %s", a.describe(rule.Roles, "an approver other than the requester"))
		}
		if signed && len(rule.Roles) > 0 && a.memberOf(who, rule.Roles) == "" {
			return fmt.Errorf("%s may not approve the notice of %q: its approvers are %s", who.Name, obligation, a.describe(rule.Roles, ""))
		}
		if n != nil {
			if samePerson(who.Name, p, n.RequestedBy, n.RequestedProof) {
				return fmt.Errorf("%s requested this notice%s and cannot approve it: another person must", who.Name, alias(who.Name, n.RequestedBy))
			}
			for _, ap := range n.Approvals {
				if samePerson(ap.By, ap.Proof, who.Name, p) {
					return fmt.Errorf("%s has already approved this content%s: the second approval must come from another person", who.Name, alias(who.Name, ap.By))
				}
			}
		}
		return nil
	}
	if roles := a.ActedBy[obligation]; signed && len(roles) > 0 && actsOnObligation(update) && a.memberOf(who, roles) == "" {
		return fmt.Errorf("%s may not act on obligation %q: the playbook lets %s act on it", who.Name, obligation, a.describe(roles, ""))
	}
	return nil
}

// alias names the other name one person acted under, for a message: " (as bob)", or "".
func alias(name, earlier string) string {
	if SameActor(name, earlier) {
		return ""
	}
	return " (as " + earlier + ")"
}

// actsOnObligation reports whether an Update acts on one obligation (and so follows acted_by).
func actsOnObligation(update string) bool {
	switch update {
	case UpdateComplete, UpdateWaive, UpdateSendNotice, UpdateHold, UpdateRelease:
		return true
	}
	return false
}

// memberOf returns the first of roles whose contacts include who's e-mail address (the
// attested name, or the subject of a local login), or "".
func (a *Access) memberOf(who Actor, roles []string) string {
	ids := []string{strings.ToLower(who.Name), strings.ToLower(who.Subject), strings.ToLower(strings.TrimPrefix(who.Subject, "local:"))}
	for _, r := range roles {
		for _, m := range a.Members[r] {
			if slices.Contains(ids, m) {
				return r
			}
		}
	}
	return ""
}

// describe names the people of roles for a message: "ogc@agency.example (general_counsel) or
// cio@agency.example (cio)"; fallback when roles is empty.
func (a *Access) describe(roles []string, fallback string) string {
	if len(roles) == 0 {
		return fallback
	}
	var out []string
	for _, r := range roles {
		if len(a.Members[r]) == 0 {
			out = append(out, "a contact of role "+r+" (it has none: add one with `starter contacts`)")
			continue
		}
		for _, m := range a.Members[r] {
			out = append(out, m+" ("+r+")")
		}
	}
	return strings.Join(out, " or ")
}

// guardedRole says why a role's contacts may only be changed by a signed action — they decide who
// may give a signed approval, act on an obligation, or only read — or "" when they do not.
func guardedRole(pb *playbook.Playbook, role string) string {
	if slices.Contains(pb.Auditors, role) {
		return "lists the incident's auditors"
	}
	for i := range pb.Obligations {
		o := &pb.Obligations[i]
		if slices.Contains(o.ActedBy, role) {
			return "decides who may act on " + o.ID
		}
		if n := o.Notice; n != nil && n.SignedApprovals && slices.Contains(n.ApproverRoles, role) {
			return "decides who may approve the notice of " + o.ID
		}
	}
	return ""
}

// targetInput is an Update input about one obligation, or one role (set-contacts).
type targetInput interface{ target() string }

func (in *CompleteInput) target() string    { return in.Obligation }
func (in *WaiveInput) target() string       { return in.Obligation }
func (in *SendNoticeInput) target() string  { return in.Obligation }
func (in *ApproveInput) target() string     { return in.Obligation }
func (in *HoldInput) target() string        { return in.Obligation }
func (in *ReleaseInput) target() string     { return in.Obligation }
func (in *SetContactsInput) target() string { return in.Role }
