package playbook

import (
	"fmt"
	"sort"
	"strings"

	"github.com/breachflow/breachflow/clock"
)

// validator collects every problem found in a playbook, each located by obligation and field.
type validator struct {
	file string
	errs []error
	// badDefaults is set when defaults.time_zone or defaults.calendar is wrong; it is reported
	// once, not again for every obligation that inherits it.
	badDefaults bool
}

func (v *validator) add(obligation, field, problem string) {
	v.errs = append(v.errs, &FieldError{File: v.file, Obligation: obligation, Field: field, Problem: problem})
}

func (v *validator) role(p *Playbook, obligation, field, role string) {
	if role == "" {
		v.add(obligation, field, "missing: name a role from roles")
		return
	}
	if _, ok := p.Roles[role]; !ok {
		v.add(obligation, field, fmt.Sprintf("unknown role %q: declare it under roles (known: %s)", role, keys(p.Roles)))
	}
}

// duration checks a repeat interval; optional ones may be left out (zero).
func (v *validator) duration(obligation, field string, d Duration, optional bool) {
	switch {
	case d < 0 || (d == 0 && !optional):
		v.add(obligation, field, fmt.Sprintf("must be positive (got %s)", d.Std()))
	case d == 0:
	default:
		if err := clock.CheckInterval(d.Std()); err != nil {
			v.add(obligation, field, err.Error())
		}
	}
}

func (v *validator) reminders(obligation, field string, rs []Reminder) {
	for i, r := range rs {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case (r.Before == nil) == (r.AtFraction == nil):
			v.add(obligation, f, "give exactly one of before (e.g. 1d) or at_fraction (e.g. 0.5)")
		case r.Before != nil && *r.Before < 0:
			v.add(obligation, f+".before", fmt.Sprintf("must not be negative (got %s)", r.Before.Std()))
		case r.Before != nil && clock.CheckLead(r.Before.Std()) != nil:
			v.add(obligation, f+".before", clock.CheckLead(r.Before.Std()).Error())
		case r.AtFraction != nil && !(*r.AtFraction > 0 && *r.AtFraction < 1): // also refuses NaN
			v.add(obligation, f+".at_fraction", fmt.Sprintf("must be between 0 and 1 exclusive (got %g)", *r.AtFraction))
		}
	}
}

func (v *validator) escalation(p *Playbook, obligation, field string, e *Escalation) {
	if e == nil {
		return
	}
	if len(e.To) == 0 {
		v.add(obligation, field+".to", "missing: list at least one role to escalate to")
	}
	for i, r := range e.To {
		v.role(p, obligation, fmt.Sprintf("%s.to[%d]", field, i), r)
	}
	v.duration(obligation, field+".every", e.Every, false)
	if len(e.Then) > MaxEscalationSteps {
		v.add(obligation, field+".then", fmt.Sprintf("%d steps: at most %d", len(e.Then), MaxEscalationSteps))
	}
	var prev Duration
	for i, st := range e.Then {
		f := fmt.Sprintf("%s.then[%d]", field, i)
		v.duration(obligation, f+".every", st.Every, false)
		switch {
		case st.After <= prev:
			v.add(obligation, f+".after", fmt.Sprintf("must come after the step before (%s): list the steps in order", prev.Std()))
		case clock.CheckLead(st.After.Std()) != nil:
			v.add(obligation, f+".after", clock.CheckLead(st.After.Std()).Error())
		}
		prev = st.After
	}
	if e.Max < 0 || e.Max > 10000 {
		v.add(obligation, field+".max", fmt.Sprintf("%d: give a cap from 1 to 10000, or leave it out", e.Max))
	}
}

func keys[V any](m map[string]V) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		return "none declared"
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
