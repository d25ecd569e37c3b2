package playbook

import (
	"errors"
	"fmt"
)

// TemplateChecker is a TemplateSet that can also render a template with sample data, as
// templates.Set does. Parse and DryRun use it to find a broken template when a playbook loads
// rather than when a notice is sent.
type TemplateChecker interface {
	TemplateSet
	// DryRun renders the named template in every part, once with facts and determinations set
	// (by ID, with sample values) and once with none, in the IANA zone timeZone ("" for UTC).
	DryRun(name, timeZone string, facts, determinations map[string]string) error
}

// GenericTemplates are the templates every playbook uses besides its obligations' own: for
// reminders, escalations and hold re-confirmations.
var GenericTemplates = []string{"reminder", "escalation", "hold-expiring"}

// DigestTemplate is the template of the daily digest (templates.KindDigest), used by a playbook
// with defaults.digest.
const DigestTemplate = "escalation-digest"

// genericTemplates are GenericTemplates and, with a digest, DigestTemplate.
func (p *Playbook) genericTemplates() []string {
	names := append([]string{}, GenericTemplates...)
	if p.Defaults.Digest != nil {
		names = append(names, DigestTemplate)
	}
	return names
}

// sampleValues are the values DryRun gives facts of each type.
var sampleValues = map[string]string{
	FactNumber: "184000",
	FactText:   "sample text",
	FactBool:   "true",
	FactDate:   "2019-05-31T09:00:00Z",
}

// SampleFacts returns a sample value for each fact the playbook declares, by type, and "true" for
// each determination.
func (p *Playbook) SampleFacts() (facts, determinations map[string]string) {
	facts = make(map[string]string, len(p.Facts))
	for id, f := range p.Facts {
		facts[id] = sampleValues[f.Type]
	}
	determinations = make(map[string]string, len(p.Determinations))
	for id := range p.Determinations {
		determinations[id] = "true"
	}
	return facts, determinations
}

// DryRun renders every template the playbook uses — each obligation's notice template and the
// generic ones — with sample data built from its facts (SampleFacts), and returns a FieldError
// naming the obligation and notice.template for each that fails. It does nothing unless
// templates is a TemplateChecker, and skips templates that do not exist (Validate reports those).
func (p *Playbook) DryRun(templates TemplateSet) error {
	tc, ok := templates.(TemplateChecker)
	if !ok {
		return nil
	}
	file := p.Source
	if file == "" {
		file = p.Name
	}
	facts, determinations := p.SampleFacts()
	results := map[string]error{}
	render := func(name string) error {
		if err, done := results[name]; done {
			return err
		}
		var err error
		if tc.Has(name) {
			err = tc.DryRun(name, p.Defaults.TimeZone, facts, determinations)
		}
		results[name] = err
		return err
	}
	problem := func(name string, err error) string {
		return fmt.Sprintf("template %q does not render with sample data: %s: fix the template (read facts with {{fact .Facts \"ID\"}})", name, SanitizeError(err.Error()))
	}
	var errs []error
	for _, name := range p.genericTemplates() {
		if err := render(name); err != nil {
			errs = append(errs, &FieldError{File: file, Field: "templates", Problem: problem(name, err)})
		}
	}
	for _, o := range p.Obligations {
		if o.Notice == nil || o.Notice.Template == "" {
			continue
		}
		if err := render(o.Notice.Template); err != nil {
			errs = append(errs, &FieldError{File: file, Obligation: o.ID, Field: "notice.template", Problem: problem(o.Notice.Template, err)})
		}
	}
	return errors.Join(errs...)
}

// TemplateNames lists the templates the playbook uses, generic ones first, each once.
func (p *Playbook) TemplateNames() []string {
	names := p.genericTemplates()
	for _, o := range p.Obligations {
		if o.Notice != nil && o.Notice.Template != "" && !contains(names, o.Notice.Template) {
			names = append(names, o.Notice.Template)
		}
	}
	return names
}
