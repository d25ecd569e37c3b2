package playbook

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/breachflow/breachflow/clock"
)

// This file validates what a playbook says about the law itself: anchors of every kind, second
// limits (also_due), quotes and sources, legal deadlines versus internal targets, disabled rules,
// decisions, implied determinations and the conditions they all use.

// validateAnchor checks an obligation's anchor: one anchor, or an earliest-of list of them.
func (p *Playbook) validateAnchor(v *validator, o *Obligation) {
	switch {
	case len(o.Anchor) == 0:
		v.add(o.ID, "anchor", "missing: use discovery, determination:ID, fact:ID, obligation:ID, notice:ID or decision:ID")
		return
	case len(o.Anchor) > MaxEarliest:
		v.add(o.ID, "anchor.earliest", fmt.Sprintf("lists %d anchors: give at most %d", len(o.Anchor), MaxEarliest))
		return
	}
	for i, a := range o.Anchor {
		field := "anchor"
		if len(o.Anchor) > 1 {
			field = fmt.Sprintf("anchor.earliest[%d]", i)
		}
		p.checkAnchorRef(v, o.ID, field, a)
	}
}

// checkAnchorRef checks one anchor written as a string against what the playbook declares.
func (p *Playbook) checkAnchorRef(v *validator, id, field, anchor string) {
	kind, ref, err := ParseAnchor(anchor)
	if err != nil {
		v.add(id, field, err.Error())
		return
	}
	switch kind {
	case AnchorDetermination:
		if _, ok := p.Determinations[ref]; !ok {
			v.add(id, field, fmt.Sprintf("unknown determination %q: declare it under determinations (known: %s)", ref, keys(p.Determinations)))
		}
	case AnchorFact:
		if _, ok := p.Facts[ref]; !ok {
			v.add(id, field, fmt.Sprintf("unknown fact %q: declare it under facts (known: %s)", ref, keys(p.Facts)))
		}
	case AnchorDecision:
		if _, ok := p.Decisions[ref]; !ok {
			v.add(id, field, fmt.Sprintf("unknown decision %q: declare it under decisions (known: %s)", ref, keys(p.Decisions)))
		}
	case AnchorObligation, AnchorNotice:
		switch other := p.Obligation(ref); {
		case other == nil:
			v.add(id, field, fmt.Sprintf("unknown obligation %q: use the id of an obligation in this playbook (known: %s)", ref, p.obligationIDs()))
		case ref == id:
			v.add(id, field, "an obligation cannot be anchored on itself")
		case kind == AnchorNotice && other.Notice == nil:
			v.add(id, field, fmt.Sprintf("obligation %q sends no notice: anchor on obligation:%s (its completion) instead", ref, ref))
		}
	}
}

// obligationRefs lists the obligations an obligation's clock waits on (anchors on their
// completion or their notice, in its anchor or its second limit), for the cycle check.
func (o *Obligation) obligationRefs() []string {
	anchors := slices.Clone(o.Anchor)
	if o.AlsoDue != nil {
		anchors = append(anchors, o.AlsoDue.Anchor)
	}
	var refs []string
	for _, a := range anchors {
		if kind, ref, err := ParseAnchor(a); err == nil && (kind == AnchorObligation || kind == AnchorNotice) {
			refs = append(refs, ref)
		}
	}
	return refs
}

// validateLaw checks an obligation's quote, source, deadline kind, second limit and closures.
func (p *Playbook) validateLaw(v *validator, o *Obligation) {
	if err := CheckText("", o.Quote, MaxNoteLen); err != nil {
		v.add(o.ID, "quote", err.Error())
	} else if strings.Contains(o.Quote, "\n\n") {
		v.add(o.ID, "quote", "holds more than one paragraph: quote the one paragraph that sets the rule and cite the rest")
	}
	switch o.Source {
	case "", SourcePrimary, SourceSecondary:
	default:
		v.add(o.ID, "source", fmt.Sprintf("unknown source %q: use primary (the rule's text was read) or secondary (summaries only)", o.Source))
	}
	switch k := o.Deadline.Kind; {
	case k != "" && k != DeadlineLegal && k != DeadlineInternalTarget:
		v.add(o.ID, "deadline.kind", fmt.Sprintf("unknown kind %q: use legal or internal_target", k))
	case k != "" && (o.Deadline.Clock == string(clock.None) || o.Deadline.Clock == ""):
		v.add(o.ID, "deadline.kind", "applies only to a fixed deadline (clock is none): remove it, and give no invented date")
	}
	for i, c := range o.Deadline.Closures {
		if _, err := clock.ParseCivilDate(c); err != nil {
			v.add(o.ID, fmt.Sprintf("deadline.closures[%d]", i), err.Error())
		}
	}
	if len(o.Deadline.Closures)+len(p.Defaults.Closures) > clock.MaxClosures {
		v.add(o.ID, "deadline.closures", fmt.Sprintf("list at most %d closure days with the playbook's", clock.MaxClosures))
	}
	if a := o.AlsoDue; a != nil {
		p.checkAnchorRef(v, o.ID, "also_due.anchor", a.Anchor)
		kind, err := clock.ParseKind(a.Clock)
		switch {
		case err != nil || kind == clock.None:
			v.add(o.ID, "also_due.clock", fmt.Sprintf("unknown clock %q: use hours, calendar_days, calendar_months, business_days or after_year_end", a.Clock))
		case o.Deadline.Clock == string(clock.None):
			v.add(o.ID, "also_due", "a second limit needs a first: give the obligation a fixed deadline, or make this its deadline")
		case a.Amount <= 0 || a.Amount > clock.MaxAmount(kind):
			v.add(o.ID, "also_due.amount", fmt.Sprintf("must be between 1 and %d %s (got %d)", clock.MaxAmount(kind), kind, a.Amount))
		}
	}
}

// validatePlaybookLaw checks decisions, implied determinations, applies_when and closures.
func (p *Playbook) validatePlaybookLaw(v *validator) {
	for _, id := range slices.Sorted(maps.Keys(p.Decisions)) {
		d := p.Decisions[id]
		field := "decisions." + id
		if !idPattern.MatchString(id) {
			v.add("", field, "decision IDs use lowercase letters, digits, dashes and underscores")
		}
		if err := CheckLine("", d.Title, MaxTitleLen); err != nil {
			v.add("", field+".title", err.Error())
		} else if d.Title == "" {
			v.add("", field+".title", "missing: say what is decided")
		}
		if len(d.Outcomes) > 20 {
			v.add("", field+".outcomes", fmt.Sprintf("lists %d outcomes: give at most 20", len(d.Outcomes)))
		}
		for i, o := range d.Outcomes {
			if !idPattern.MatchString(o) || len(o) > 40 {
				v.add("", fmt.Sprintf("%s.outcomes[%d]", field, i), fmt.Sprintf("%q is not a valid outcome: use lowercase letters, digits, dashes and underscores (at most 40)", short(o)))
			} else if slices.Index(d.Outcomes, o) != i {
				v.add("", fmt.Sprintf("%s.outcomes[%d]", field, i), fmt.Sprintf("outcome %q is listed twice", o))
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.Determinations)) {
		p.checkConditions(v, "", "determinations."+id+".implied_by", p.Determinations[id].ImpliedBy, false)
	}
	p.checkConditions(v, "", "applies_when", p.AppliesWhen, true)
	for i, c := range p.Defaults.Closures {
		if _, err := clock.ParseCivilDate(c); err != nil {
			v.add("", fmt.Sprintf("defaults.closures[%d]", i), err.Error())
		}
	}
}

// MaxConditions bounds a condition list (when, implied_by, applies_when).
const MaxConditions = 50

// checkConditions checks a list of conditions on facts (and, where allowed, decisions).
func (p *Playbook) checkConditions(v *validator, obligation, field string, conds []Condition, decisions bool) {
	if len(conds) > MaxConditions {
		v.add(obligation, field, fmt.Sprintf("lists %d conditions: give at most %d", len(conds), MaxConditions))
		return
	}
	for i, c := range conds {
		f := fmt.Sprintf("%s[%d]", field, i)
		for _, x := range []struct {
			name string
			v    *float64
		}{{"at_least", c.AtLeast}, {"below", c.Below}, {"above", c.Above}, {"at_most", c.AtMost}} {
			if x.v != nil && (math.IsNaN(*x.v) || math.IsInf(*x.v, 0)) {
				v.add(obligation, f+"."+x.name, fmt.Sprintf("%g is not a number: write digits such as 100000", *x.v))
			}
		}
		switch {
		case c.Decision != "" && c.Fact != "":
			v.add(obligation, f, "give either fact or decision, not both")
		case c.Decision != "" && !decisions:
			v.add(obligation, f+".decision", "only facts can imply a determination: test a fact here")
		case c.Decision != "":
			d, ok := p.Decisions[c.Decision]
			if !ok {
				v.add(obligation, f+".decision", fmt.Sprintf("unknown decision %q: declare it under decisions (known: %s)", c.Decision, keys(p.Decisions)))
			} else if err := c.checkDecision(d); err != nil {
				v.add(obligation, f, err.Error())
			}
		default:
			def, ok := p.Facts[c.Fact]
			if !ok {
				v.add(obligation, f+".fact", fmt.Sprintf("unknown fact %q: declare it under facts (known: %s)", c.Fact, keys(p.Facts)))
			} else if err := c.check(def); err != nil {
				v.add(obligation, f, err.Error())
			}
		}
	}
}

// validID reports whether an obligation's ID is well formed: idPattern, or in a combined
// playbook "<regime>.<id>" with exactly one dot.
func (p *Playbook) validID(o *Obligation) bool {
	if len(p.Regimes) == 0 || o.Regime == "" {
		return idPattern.MatchString(o.ID)
	}
	regime, local, ok := strings.Cut(o.ID, ".")
	return ok && regime == o.Regime && idPattern.MatchString(regime) && idPattern.MatchString(local)
}

// validateRegimes checks a combined playbook's regimes.
func (p *Playbook) validateRegimes(v *validator) {
	for i, r := range p.Regimes {
		if !idPattern.MatchString(r.Name) {
			v.add("", fmt.Sprintf("regimes[%d].name", i), fmt.Sprintf("%q is not a valid name: use lowercase letters, digits and dashes", r.Name))
		}
		p.checkConditions(v, "", fmt.Sprintf("regimes[%d].applies_when", i), r.AppliesWhen, true)
	}
}
