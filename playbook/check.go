package playbook

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// normalizeAddresses converts contacts with a non-ASCII domain to its ASCII (IDNA) form; any
// other problem is left for Validate to report.
func (p *Playbook) normalizeAddresses() {
	for _, r := range p.Roles {
		for i, c := range r.Contacts {
			if norm, err := NormalizeAddress(c.Email); err == nil {
				r.Contacts[i].Email = norm
			}
		}
	}
}

// validateTexts checks every free-text field of the playbook against the limits in limits.go:
// titles are one line, descriptions may span lines, none holds control characters.
func (p *Playbook) validateTexts(v *validator) {
	line := func(obligation, field, s string, max int) {
		if err := CheckLine("", s, max); err != nil {
			v.add(obligation, field, err.Error())
		}
	}
	text := func(obligation, field, s string, max int) {
		if err := CheckText("", s, max); err != nil {
			v.add(obligation, field, err.Error())
		}
	}
	line("", "version", p.Version, MaxTitleLen)
	line("", "title", p.Title, MaxTitleLen)
	text("", "description", p.Description, MaxSummaryLen)
	for _, id := range slices.Sorted(maps.Keys(p.Roles)) {
		r := p.Roles[id]
		line("", "roles."+id+".title", r.Title, MaxTitleLen)
		for i, c := range r.Contacts {
			line("", fmt.Sprintf("roles.%s.contacts[%d].name", id, i), c.Name, MaxTitleLen)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.Facts)) {
		f := p.Facts[id]
		line("", "facts."+id+".title", f.Title, MaxTitleLen)
	}
	for _, id := range slices.Sorted(maps.Keys(p.Determinations)) {
		d := p.Determinations[id]
		line("", "determinations."+id+".title", d.Title, MaxTitleLen)
	}
	for _, o := range p.Obligations {
		line(o.ID, "title", o.Title, MaxTitleLen)
		line(o.ID, "citation", o.Citation, MaxNoteLen)
		line(o.ID, "holds_forbidden", o.HoldsForbidden, MaxNoteLen)
		for i, h := range o.HoldAuthorities {
			f := fmt.Sprintf("hold_authorities[%d]", i)
			if strings.TrimSpace(h) == "" {
				v.add(o.ID, f, "empty: name who may ask for a hold (an empty name would let anyone)")
			}
			line(o.ID, f, h, MaxTitleLen)
		}
		text(o.ID, "description", o.Description, MaxSummaryLen)
		line(o.ID, "deadline.note", o.Deadline.Note, MaxNoteLen)
	}
}
