package playbook

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/breachflow/breachflow/clock"
)

// FieldError is one problem in a playbook, located precisely enough to fix.
type FieldError struct {
	// File is the playbook file (or its name when embedded).
	File string
	// Obligation is the obligation ID, empty for playbook-level fields.
	Obligation string
	// Field is the YAML path of the field, e.g. "deadline.amount".
	Field string
	// Problem says what is wrong and how to fix it.
	Problem string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Obligation != "" {
		fmt.Fprintf(&b, ": obligation %q", e.Obligation)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

// TemplateSet tells the parser which notice templates exist.
type TemplateSet interface {
	Has(name string) bool
}

// LoadFile reads and validates a playbook file.
func LoadFile(path string, templates TemplateSet) (*Playbook, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading playbook: %w", err)
	}
	return Parse(filepath.Base(path), data, templates)
}

var yamlUnknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type playbook\.(\w+)`)

// playbookExpected describes a playbook for the message about an empty file.
const playbookExpected = "a playbook with format, name, version, defaults, roles, facts and obligations (see templates/playbooks/us-federal-breach.yaml)"

// Parse decodes a playbook strictly and validates it. name labels errors (usually the file name).
// All problems are reported at once, joined. Contacts with a non-ASCII domain are converted to
// its ASCII (IDNA) form. When templates can dry-render (see TemplateChecker), every notice
// template the playbook uses is rendered with sample data, so a broken template is found now
// rather than when a notice is sent.
func Parse(name string, data []byte, templates TemplateSet) (*Playbook, error) {
	var p Playbook
	if err := DecodeYAML(name, data, &p, playbookExpected); err != nil {
		msg := yamlUnknownField.ReplaceAllString(err.Error(), "line $1: unknown field \"$2\" in $3 (check the spelling against the playbook format in README.md)")
		return nil, errors.New(msg)
	}
	p.Source = name
	p.normalizeAddresses()
	p.applyApprovals()
	if err := p.Validate(templates); err != nil {
		return nil, err
	}
	if err := p.DryRun(templates); err != nil {
		return nil, err
	}
	return &p, nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Validate checks the whole playbook and returns every problem found, joined.
func (p *Playbook) Validate(templates TemplateSet) error {
	v := validator{file: p.Source}
	if v.file == "" {
		v.file = p.Name
	}
	if p.Format != FormatVersion {
		v.add("", "format", fmt.Sprintf("unsupported format %d: this build reads format %d", p.Format, FormatVersion))
	}
	if len(p.Regimes) > 0 {
		p.validateRegimes(&v)
	} else if !idPattern.MatchString(p.Name) {
		v.add("", "name", fmt.Sprintf("%q is not a valid name: use lowercase letters, digits and dashes", p.Name))
	}
	if p.Regime != "" && !idPattern.MatchString(p.Regime) {
		v.add("", "regime", fmt.Sprintf("%q is not a valid regime ID: use lowercase letters, digits and dashes (it prefixes obligation IDs)", p.Regime))
	}
	if p.Version == "" {
		v.add("", "version", "missing: give the playbook a version such as 2026.1")
	}
	for _, id := range slices.Sorted(maps.Keys(p.Roles)) {
		r := p.Roles[id]
		if !idPattern.MatchString(id) {
			v.add("", "roles."+id, "role IDs use lowercase letters, digits, dashes and underscores")
		}
		for i, c := range r.Contacts {
			if err := CheckAddress(c.Email); err != nil {
				v.add("", fmt.Sprintf("roles.%s.contacts[%d].email", id, i), err.Error())
			} else if !r.Allows(c.Email) {
				v.add("", fmt.Sprintf("roles.%s.contacts[%d].email", id, i), fmt.Sprintf("%q is outside the role's allowed_domains (%s)", c.Email, strings.Join(r.AllowedDomains, ", ")))
			}
		}
	}
	for i, r := range p.Auditors {
		if _, ok := p.Roles[r]; !ok {
			v.add("", fmt.Sprintf("auditors[%d]", i), fmt.Sprintf("unknown role %q: declare it under roles (known: %s)", r, keys(p.Roles)))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.Facts)) {
		f := p.Facts[id]
		switch f.Type {
		case FactNumber, FactText, FactBool, FactDate:
		default:
			v.add("", "facts."+id+".type", fmt.Sprintf("unknown type %q: use number, text, bool or date", f.Type))
		}
	}
	if _, err := time.LoadLocation(p.Defaults.TimeZone); err != nil {
		v.add("", "defaults.time_zone", fmt.Sprintf("unknown time zone %q: use an IANA name such as America/New_York", p.Defaults.TimeZone))
		v.badDefaults = true
	}
	if _, err := clock.CalendarByName(p.Defaults.Calendar); err != nil {
		v.add("", "defaults.calendar", err.Error())
		v.badDefaults = true
	}
	p.validateTexts(&v)
	p.validatePlaybookLaw(&v)
	v.duration("", "defaults.cadence", p.Defaults.Cadence, true)
	v.reminders("", "defaults.reminders", p.Defaults.Reminders)
	v.escalation(p, "", "defaults.escalation", p.Defaults.Escalation)
	if d := p.Defaults.Digest; d != nil {
		if _, err := ParseTimeOfDay(d.At); err != nil {
			v.add("", "defaults.digest.at", err.Error())
		}
		if d.TimeZone != "" {
			if _, err := time.LoadLocation(d.TimeZone); err != nil {
				v.add("", "defaults.digest.time_zone", fmt.Sprintf("%q is not an IANA time zone: give one like America/New_York", d.TimeZone))
			}
		}
	}

	if templates != nil {
		// Reminders, escalations and holds of every obligation (and the digest) use generic templates.
		for _, name := range p.genericTemplates() {
			if !templates.Has(name) {
				v.add("", "templates", fmt.Sprintf("template %q is missing: add templates/notices/%s.{subject,txt,html}.tmpl", name, name))
			}
		}
	}
	seen := map[string]bool{}
	for i := range p.Obligations {
		o := &p.Obligations[i]
		if !p.validID(o) {
			v.add(o.ID, fmt.Sprintf("obligations[%d].id", i), fmt.Sprintf("%q is not a valid ID: use lowercase letters, digits and dashes", o.ID))
		}
		if seen[o.ID] {
			v.add(o.ID, "id", "duplicate obligation ID: each obligation needs its own")
		}
		seen[o.ID] = true
	}
	for i := range p.Obligations {
		p.validateObligation(&v, &p.Obligations[i], templates)
	}
	if len(v.errs) == 0 {
		if cycle := p.dependencyCycle(); cycle != nil {
			// Name the field of cycle[0] that makes the first step of the cycle.
			field := "anchor"
			if slices.Contains(p.Obligation(cycle[0]).DependsOn, cycle[1]) {
				field = "depends_on"
			}
			v.add(cycle[0], field, fmt.Sprintf("dependency cycle %s: an obligation cannot wait on itself; remove one of these depends_on entries or obligation anchors", strings.Join(cycle, " -> ")))
		}
	}
	return errors.Join(v.errs...)
}

func (p *Playbook) validateObligation(v *validator, o *Obligation, templates TemplateSet) {
	if o.Title == "" {
		v.add(o.ID, "title", "missing: say what is owed")
	}
	if o.Citation == "" {
		v.add(o.ID, "citation", "missing: cite the statute, regulation or policy (write \"internal policy\" if none)")
	}
	v.role(p, o.ID, "owner", o.Owner)
	p.validateAnchor(v, o)
	p.validateDeadline(v, o)
	p.validateLaw(v, o)
	if o.Deadline.Clock == "none" && p.CadenceFor(o) <= 0 {
		v.add(o.ID, "cadence", "an obligation without a fixed deadline needs a reminder cadence (here or in defaults.cadence), e.g. 7d")
	}
	p.checkConditions(v, o.ID, "when", o.When, true)
	for i, d := range o.DependsOn {
		if p.Obligation(d) == nil {
			v.add(o.ID, fmt.Sprintf("depends_on[%d]", i), fmt.Sprintf("unknown obligation %q: use the id of an obligation in this playbook (known: %s)", d, p.obligationIDs()))
		}
	}
	if n := o.Notice; n != nil {
		if n.Template == "" {
			v.add(o.ID, "notice.template", "missing: name a template from templates/notices")
		} else if templates != nil && !templates.Has(n.Template) {
			v.add(o.ID, "notice.template", fmt.Sprintf("unknown template %q: add templates/notices/%s.{subject,txt,html}.tmpl or fix the name", n.Template, n.Template))
		}
		if len(n.To) == 0 {
			v.add(o.ID, "notice.to", "missing: list at least one recipient role")
		}
		for i, r := range n.To {
			v.role(p, o.ID, fmt.Sprintf("notice.to[%d]", i), r)
		}
		for i, r := range n.Cc {
			v.role(p, o.ID, fmt.Sprintf("notice.cc[%d]", i), r)
		}
		switch n.Send {
		case "", SendManual, SendOnDue:
		default:
			v.add(o.ID, "notice.send", fmt.Sprintf("unknown mode %q: use on_due or manual", n.Send))
		}
		for i, r := range n.ApproverRoles {
			v.role(p, o.ID, fmt.Sprintf("notice.approvals.roles[%d]", i), r)
		}
		if len(n.ApproverRoles) > 0 && n.Approvals == 0 {
			v.add(o.ID, "notice.approvals.roles", "approver roles without approvals: give a count (approvals: {count: 2, roles: [...]})")
		}
		if n.SignedApprovals && n.Approvals == 0 {
			v.add(o.ID, "notice.approvals.signed", "signed approvals without approvals: give a count (approvals: {count: 2, signed: true})")
		}
		switch {
		case n.Approvals < 0 || n.Approvals > 5:
			v.add(o.ID, "notice.approvals", fmt.Sprintf("must be between 0 and 5 (got %d)", n.Approvals))
		case n.Approvals > 0 && n.Send == SendOnDue:
			v.add(o.ID, "notice.approvals", "a notice that needs approvals cannot be sent on_due: use send: manual")
		}
	}
	for i, r := range o.ActedBy {
		v.role(p, o.ID, fmt.Sprintf("acted_by[%d]", i), r)
	}
	v.duration(o.ID, "cadence", o.Cadence, true)
	v.reminders(o.ID, "reminders", o.Reminders)
	v.escalation(p, o.ID, "escalation", o.Escalation)
}

// validateDeadline checks each deadline field on its own, so that an error names the field to fix.
func (p *Playbook) validateDeadline(v *validator, o *Obligation) {
	const kinds = "use hours, calendar_days, calendar_months, business_days, after_year_end or none"
	d := o.Deadline
	kind, err := clock.ParseKind(d.Clock)
	switch {
	case d.Clock == "":
		v.add(o.ID, "deadline.clock", "missing: "+kinds)
		return
	case err != nil:
		v.add(o.ID, "deadline.clock", fmt.Sprintf("unknown clock %q: %s", d.Clock, kinds))
		return
	}
	n := len(v.errs)
	switch {
	case kind == clock.None && d.Amount != 0:
		v.add(o.ID, "deadline.amount", fmt.Sprintf("leave it out for clock none (got %d)", d.Amount))
	case kind != clock.None && d.Amount <= 0:
		v.add(o.ID, "deadline.amount", fmt.Sprintf("must be positive: the number of %s (got %d)", kind, d.Amount))
	case kind != clock.None && d.Amount > clock.MaxAmount(kind):
		v.add(o.ID, "deadline.amount", fmt.Sprintf("must be at most %d %s (got %d): a deadline lies within 100 years of its anchor; check the number and the clock", clock.MaxAmount(kind), kind, d.Amount))
	}
	if d.TimeZone != "" {
		if _, err := time.LoadLocation(d.TimeZone); err != nil {
			v.add(o.ID, "deadline.time_zone", fmt.Sprintf("unknown time zone %q: use an IANA name such as America/New_York", d.TimeZone))
		}
	}
	if d.Calendar != "" {
		if _, err := clock.CalendarByName(d.Calendar); err != nil {
			v.add(o.ID, "deadline.calendar", err.Error())
		}
	}
	if d.CloseOfBusiness != "" {
		if kind != clock.BusinessDays {
			v.add(o.ID, "deadline.close_of_business", fmt.Sprintf("applies only to business_days (clock is %s): remove it", kind))
		} else if _, err := time.Parse("15:04", d.CloseOfBusiness); err != nil {
			v.add(o.ID, "deadline.close_of_business", fmt.Sprintf("bad close_of_business %q: write a 24-hour time such as 17:00", d.CloseOfBusiness))
		}
	}
	if len(v.errs) > n || v.badDefaults {
		return
	}
	// Anything the checks above missed.
	if _, err := p.ClockSpec(o); err != nil {
		v.add(o.ID, "deadline", err.Error())
	}
}

func (p *Playbook) obligationIDs() string {
	ids := make([]string, len(p.Obligations))
	for i, o := range p.Obligations {
		ids[i] = o.ID
	}
	return strings.Join(ids, ", ")
}

// dependencyCycle returns a cycle through depends_on and obligation anchors, or nil.
func (p *Playbook) dependencyCycle() []string {
	edges := map[string][]string{}
	for _, o := range p.Obligations {
		edges[o.ID] = append(edges[o.ID], o.DependsOn...)
		edges[o.ID] = append(edges[o.ID], o.obligationRefs()...)
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(id string) []string
	visit = func(id string) []string {
		state[id] = visiting
		stack = append(stack, id)
		for _, next := range edges[id] {
			switch state[next] {
			case visiting:
				for i, s := range stack {
					if s == next {
						return append(append([]string{}, stack[i:]...), next)
					}
				}
			case unvisited:
				if c := visit(next); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		return nil
	}
	for _, o := range p.Obligations {
		if state[o.ID] == unvisited {
			if c := visit(o.ID); c != nil {
				return c
			}
		}
	}
	return nil
}

// IsPath reports whether a playbook reference names a file rather than an embedded playbook.
func IsPath(ref string) bool {
	return strings.ContainsAny(ref, "/\\") || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml")
}

// Resolve loads a playbook by reference: a file path, or the name of one of the playbooks in
// embedded (files playbooks/NAME.yaml, e.g. templates.Embedded()).
func Resolve(ref string, embedded fs.FS, templates TemplateSet) (*Playbook, error) {
	if IsPath(ref) {
		return LoadFile(ref, templates)
	}
	data, err := fs.ReadFile(embedded, "playbooks/"+ref+".yaml")
	if err != nil {
		names, _ := fs.Glob(embedded, "playbooks/*.yaml")
		for i, n := range names {
			names[i] = strings.TrimSuffix(path.Base(n), ".yaml")
		}
		return nil, fmt.Errorf("unknown playbook %q: give a file path or one of %s", ref, strings.Join(names, ", "))
	}
	return Parse(ref+".yaml", data, templates)
}
