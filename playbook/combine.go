package playbook

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Combine joins the playbooks of several regimes (US federal, GDPR, a state, …) into the one
// snapshot an incident runs on, so one fact re-evaluates every regime and one status sorts every
// deadline:
//
//   - each obligation's ID becomes "<regime>.<id>" (the regime is the playbook's regime, or its name) and its
//     Regime field names the regime; references inside a regime (obligation and notice anchors,
//     depends_on, also_due) are rewritten to the new IDs;
//   - each regime's defaults (time zone, calendar, closures, reminders, cadence, escalation) are
//     pushed down onto its obligations, so every regime keeps its own zone and calendar; the
//     combined defaults keep only the first playbook's zone and calendar (the incident's);
//   - a regime's applies_when becomes part of each of its obligations' conditions, and a
//     disabled playbook's obligations are disabled;
//   - facts, determinations, decisions and roles are shared by ID: the same ID declared
//     differently by two playbooks is an error naming both.
//
// One playbook is returned unchanged (a copy), so a single-playbook incident keeps its IDs.
func Combine(pbs ...*Playbook) (*Playbook, error) {
	if len(pbs) == 0 {
		return nil, errors.New("combine: no playbook given")
	}
	if len(pbs) == 1 {
		return clonePlaybook(pbs[0])
	}
	first := pbs[0]
	out := &Playbook{
		Format: FormatVersion, Title: "", Defaults: Defaults{TimeZone: first.Defaults.TimeZone, Calendar: first.Defaults.Calendar},
		Roles: map[string]Role{}, Facts: map[string]FactDef{}, Determinations: map[string]DeterminationDef{}, Decisions: map[string]DecisionDef{},
	}
	var names, versions, titles, sources, regimes []string
	var errs []error
	owner := map[string]string{} // "fact:ID" → the playbook that declared it first
	for _, in := range pbs {
		pb, err := clonePlaybook(in)
		if err != nil {
			return nil, err
		}
		if out.Defaults.Digest == nil && pb.Defaults.Digest != nil {
			// The first playbook that asks for a digest sets its time for the incident.
			d := *pb.Defaults.Digest
			d.TimeZone = firstNonEmpty(d.TimeZone, pb.Defaults.TimeZone)
			out.Defaults.Digest = &d
		}
		if slices.Contains(names, pb.Name) {
			return nil, fmt.Errorf("combine: playbook %s is given twice", pb.Name)
		}
		if slices.Contains(regimes, pb.RegimeID()) {
			return nil, fmt.Errorf("combine: two playbooks name the regime %s: give one of them another regime", pb.RegimeID())
		}
		regimes = append(regimes, pb.RegimeID())
		names, versions = append(names, pb.Name), append(versions, pb.Version)
		titles, sources = append(titles, firstNonEmpty(pb.Title, pb.Name)), append(sources, firstNonEmpty(pb.Source, pb.Name))
		disabled := pb.Enabled != nil && !*pb.Enabled
		out.Regimes = append(out.Regimes, Regime{Name: pb.RegimeID(), Version: pb.Version, Title: pb.Title, AppliesWhen: pb.AppliesWhen, Disabled: disabled})
		errs = append(errs, share(out.Roles, pb.Roles, "role", pb.Name, owner, mergeRoles)...)
		errs = append(errs, share(out.Facts, pb.Facts, "fact", pb.Name, owner, mergeFacts)...)
		errs = append(errs, share(out.Determinations, pb.Determinations, "determination", pb.Name, owner, mergeDeterminations)...)
		errs = append(errs, share(out.Decisions, pb.Decisions, "decision", pb.Name, owner, mergeDecisions)...)
		for _, o := range pb.Obligations {
			out.Obligations = append(out.Obligations, pushDown(pb, o, disabled))
		}
		for _, r := range pb.Auditors {
			if !slices.Contains(out.Auditors, r) {
				out.Auditors = append(out.Auditors, r)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out.Name, out.Version = strings.Join(names, "+"), strings.Join(versions, "+")
	// The regimes' titles are in Regimes; the combined title names them briefly, within the limit.
	out.Title, out.Source = strings.Join(titles, " + "), strings.Join(sources, ", ")
	if len([]rune(out.Title)) > MaxTitleLen {
		out.Title = fmt.Sprintf("%d regimes: %s", len(regimes), strings.Join(regimes, ", "))
	}
	if err := out.Validate(nil); err != nil {
		return nil, fmt.Errorf("combine %s: %w", out.Name, err)
	}
	return out, nil
}

// pushDown namespaces one obligation of pb and gives it pb's defaults and applicability.
func pushDown(pb *Playbook, o Obligation, disabled bool) Obligation {
	ns := func(id string) string { return pb.RegimeID() + "." + id }
	rewrite := func(anchor string) string {
		if kind, ref, err := ParseAnchor(anchor); err == nil && (kind == AnchorObligation || kind == AnchorNotice) {
			return kind + ":" + ns(ref)
		}
		return anchor
	}
	o.ID, o.Regime = ns(o.ID), pb.RegimeID()
	for i, a := range o.Anchor {
		o.Anchor[i] = rewrite(a)
	}
	if o.AlsoDue != nil {
		o.AlsoDue.Anchor = rewrite(o.AlsoDue.Anchor)
	}
	for i, d := range o.DependsOn {
		o.DependsOn[i] = ns(d)
	}
	o.Deadline.TimeZone = firstNonEmpty(o.Deadline.TimeZone, pb.Defaults.TimeZone, "UTC")
	o.Deadline.Calendar = firstNonEmpty(o.Deadline.Calendar, pb.Defaults.Calendar)
	if len(pb.Defaults.Closures) > 0 {
		o.Deadline.Closures = append(slices.Clone(pb.Defaults.Closures), o.Deadline.Closures...)
	}
	if o.Reminders == nil {
		o.Reminders = slices.Clone(pb.Defaults.Reminders)
	}
	if o.Cadence == 0 {
		o.Cadence = pb.Defaults.Cadence
	}
	if o.Escalation == nil {
		o.Escalation = pb.Defaults.Escalation
	}
	if disabled {
		o.Enabled = new(false)
	}
	o.When = append(slices.Clone(pb.AppliesWhen), o.When...)
	return o
}

// share adds a playbook's declarations to the combined ones; an ID declared differently before
// is an error naming both playbooks.
func share[V any](into, from map[string]V, what, playbook string, owner map[string]string, merge func(prev, v V) (V, string)) []error {
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(from)) {
		v := from[id]
		prev, ok := into[id]
		key := what + ":" + id
		if !ok {
			into[id], owner[key] = v, playbook
			continue
		}
		merged, conflict := merge(prev, v)
		if conflict != "" {
			errs = append(errs, fmt.Errorf("combine: %s %q is declared differently by %s and %s (%s): give it one definition in both, or rename it in one", what, id, owner[key], playbook, conflict))
			continue
		}
		into[id] = merged
	}
	return errs
}

// Shared declarations merge when they mean the same: the first playbook's title is kept (titles
// differ between regimes without changing the meaning); what changes the meaning must agree.

// mergeFacts: one fact, one type.
func mergeFacts(prev, v FactDef) (FactDef, string) {
	if prev.Type != v.Type {
		return prev, fmt.Sprintf("type %s and %s", prev.Type, v.Type)
	}
	return prev, ""
}

// mergeRoles: the contacts of both (each address once); allowed domains, where both restrict
// them, must be the same list — a role cannot be both open and closed to an address.
func mergeRoles(prev, v Role) (Role, string) {
	switch {
	case len(v.AllowedDomains) == 0:
	case len(prev.AllowedDomains) == 0:
		prev.AllowedDomains = v.AllowedDomains
	case !slices.Equal(slices.Sorted(slices.Values(prev.AllowedDomains)), slices.Sorted(slices.Values(v.AllowedDomains))):
		return prev, "allowed_domains differ"
	}
	for _, c := range v.Contacts {
		if !slices.ContainsFunc(prev.Contacts, func(p Contact) bool { return strings.EqualFold(p.Email, c.Email) }) {
			prev.Contacts = append(prev.Contacts, c)
		}
	}
	for _, c := range prev.Contacts {
		if !prev.Allows(c.Email) {
			return prev, fmt.Sprintf("contact %s is outside the allowed domains", c.Email)
		}
	}
	return prev, ""
}

// mergeDeterminations: where both say what implies the determination, they say the same.
func mergeDeterminations(prev, v DeterminationDef) (DeterminationDef, string) {
	switch {
	case len(v.ImpliedBy) == 0:
	case len(prev.ImpliedBy) == 0:
		prev.ImpliedBy = v.ImpliedBy
	case !reflect.DeepEqual(prev.ImpliedBy, v.ImpliedBy):
		return prev, "implied_by differs"
	}
	return prev, ""
}

// mergeDecisions: one decision, one set of outcomes.
func mergeDecisions(prev, v DecisionDef) (DecisionDef, string) {
	if !slices.Equal(prev.AllowedOutcomes(), v.AllowedOutcomes()) {
		return prev, "outcomes differ"
	}
	return prev, ""
}

// clonePlaybook deep-copies a playbook through JSON (what a snapshot goes through anyway),
// keeping the fields JSON does not carry.
func clonePlaybook(p *Playbook) (*Playbook, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("copying playbook %s: %w", p.Name, err)
	}
	var c Playbook
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("copying playbook %s: %w", p.Name, err)
	}
	return &c, nil
}

// Explain evaluates conditions against fact values (canonical, by ID; decisions by ID in
// decisions) and says for each whether it holds and why, e.g. "residents_ca = 812 is above 500:
// holds". ok is set when every condition holds (an empty list always does).
func (p *Playbook) Explain(conds []Condition, facts, decisions map[string]string) (ok bool, why []string) {
	ok = true
	for _, c := range conds {
		var holds bool
		var subject string
		if c.Decision != "" {
			v, set := decisions[c.Decision]
			holds, subject = c.HoldsDecision(v, set), "decision "+c.Decision
			if set {
				subject += " = " + v
			} else {
				subject += " (not decided)"
			}
		} else {
			v, set := facts[c.Fact]
			holds, subject = c.Holds(p.Facts[c.Fact], v, set), c.Fact
			if set {
				subject += " = " + v
			} else {
				subject += " (not recorded)"
			}
		}
		verdict := "holds"
		if !holds {
			verdict, ok = "does not hold", false
		}
		why = append(why, fmt.Sprintf("%s; condition %s: %s", subject, c.Describe(), verdict))
	}
	return ok, why
}

// Describe says a condition as written, e.g. "residents_ca above 500".
func (c Condition) Describe() string {
	subject := c.Fact
	if c.Decision != "" {
		subject = "decision " + c.Decision
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	switch {
	case c.Equals != nil:
		return subject + " equals " + *c.Equals
	case c.NotEquals != nil:
		return subject + " not equal to " + *c.NotEquals
	case c.AtLeast != nil:
		return subject + " at least " + num(*c.AtLeast)
	case c.Below != nil:
		return subject + " below " + num(*c.Below)
	case c.Above != nil:
		return subject + " above " + num(*c.Above)
	case c.AtMost != nil:
		return subject + " at most " + num(*c.AtMost)
	case c.IsSet != nil && *c.IsSet:
		return subject + " is set"
	case c.IsSet != nil:
		return subject + " is not set"
	}
	return subject
}
