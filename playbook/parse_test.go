package playbook_test

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// templateSet returns the real embedded notice templates.
func templateSet(t *testing.T) *templates.Set {
	t.Helper()
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	return set
}

// defaultPlaybook parses the shipped us-federal-breach playbook.
func defaultPlaybook(t *testing.T) *playbook.Playbook {
	t.Helper()
	data, err := fs.ReadFile(templates.Embedded(), "playbooks/us-federal-breach.yaml")
	require.NoError(t, err)
	pb, err := playbook.Parse("us-federal-breach.yaml", data, templateSet(t))
	require.NoError(t, err)
	return pb
}

// baseYAML is a small valid playbook with two obligations. Every line that a test case edits is
// unique in it, so that an edit hits exactly one place.
func baseYAML() string {
	return `format: 1
name: test-playbook
version: "1"
title: Test playbook
defaults:
  time_zone: America/New_York
  calendar: us-federal
  reminders:
    - before: 1h
  escalation:
    to: [coordinator]
    every: 1d
roles:
  coordinator:
    title: Coordinator
    contacts:
      - {name: Coordinator, email: coord@agency.example}
  regulator: {title: Regulator}
facts:
  count: {type: number, title: People affected}
  pii: {type: bool, title: PII involved}
  summary: {type: text, title: What happened}
determinations:
  major: {title: Major incident}
obligations:
  - id: first
    title: First thing
    citation: Rule 1
    owner: coordinator
    anchor: discovery
    deadline: {clock: hours, amount: 1}
    when:
      - {fact: pii, equals: "true"}
    notice:
      template: cisa-report
      to: [regulator]
      cc: [coordinator]
      send: manual
  - id: second
    title: Second thing
    citation: Rule 2
    owner: regulator
    anchor: obligation:first
    deadline: {clock: business_days, amount: 3}
    depends_on: [first]
`
}

// edit replaces old (which must occur exactly once) with new.
type edit struct{ old, new string }

func apply(t *testing.T, s string, edits []edit) string {
	t.Helper()
	for _, e := range edits {
		require.Equal(t, 1, strings.Count(s, e.old), "edit target %q must occur exactly once", e.old)
		s = strings.Replace(s, e.old, e.new, 1)
	}
	return s
}

// lineOf returns the 1-based line on which sub first occurs.
func lineOf(t *testing.T, s, sub string) int {
	t.Helper()
	i := strings.Index(s, sub)
	require.GreaterOrEqual(t, i, 0, "%q not found", sub)
	return strings.Count(s[:i], "\n") + 1
}

// fieldErrors flattens a (joined) error into its FieldErrors.
func fieldErrors(err error) []*playbook.FieldError {
	var out []*playbook.FieldError
	var walk func(error)
	walk = func(e error) {
		if fe, ok := e.(*playbook.FieldError); ok {
			out = append(out, fe)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if x := errors.Unwrap(e); x != nil {
			walk(x)
		}
	}
	walk(err)
	return out
}

func TestParseDefaultPlaybook(t *testing.T) {
	pb := defaultPlaybook(t)
	require.Equal(t, "us-federal-breach", pb.Name)
	require.Equal(t, playbook.FormatVersion, pb.Format)
	require.NotEmpty(t, pb.Version)
	require.Equal(t, "us-federal-breach.yaml", pb.Source)
	require.Equal(t, "America/New_York", pb.Defaults.TimeZone)

	type want struct {
		clock  string
		amount int
		anchor string
	}
	wants := map[string]*want{
		"triage":                   nil,
		"cisa-report":              {"hours", 1, "discovery"},
		"omb-report":               nil,
		"congress-notice":          {"calendar_days", 7, "determination:major_incident"},
		"congress-breach-report":   {"calendar_days", 30, "discovery"},
		"law-enforcement":          nil,
		"opr-referral":             nil,
		"equipment-removal":        nil,
		"subcontractor-monitoring": nil,
		"dark-web-monitoring":      nil,
		"public-statement":         nil,
		// FISMA 2014 sec. 2(d)(1)(B): the duty runs from discovery, not from a later decision.
		"individual-notice": {"none", 0, "discovery"},
		"contractor-report": {"hours", 1, "fact:contractor_discovered_at"},
		"omb-notified":      {"hours", 1, "obligation:omb-report"},
		"after-action":      {"calendar_days", 30, "obligation:response-closed"},
	}
	for id, w := range wants {
		t.Run(id, func(t *testing.T) {
			o := pb.Obligation(id)
			require.NotNil(t, o, "obligation %s missing from the default playbook", id)
			if w != nil {
				require.Equal(t, w.clock, o.Deadline.Clock)
				require.Equal(t, w.amount, o.Deadline.Amount)
				require.Equal(t, w.anchor, o.Anchor.String())
			}
		})
	}
	require.NotEmpty(t, pb.Obligation("individual-notice").Deadline.Note, "a deadline without a date needs a note")
	require.Nil(t, pb.Obligation("no-such-obligation"))

	ids := map[string]bool{}
	for _, o := range pb.Obligations {
		require.False(t, ids[o.ID], "duplicate %s", o.ID)
		ids[o.ID] = true
		require.NotEmpty(t, strings.TrimSpace(o.Citation), "obligation %s has no citation", o.ID)
		require.NotEmpty(t, o.Title, o.ID)
		if o.Notice != nil {
			require.NotEmpty(t, o.Notice.To, o.ID)
		}
		spec, err := pb.ClockSpec(&o)
		require.NoError(t, err, o.ID)
		require.Equal(t, "America/New_York", spec.Location.String(), o.ID)
	}
	require.GreaterOrEqual(t, len(pb.Obligations), len(wants))
}

func TestParseBaseIsValid(t *testing.T) {
	pb, err := playbook.Parse("bad.yaml", []byte(baseYAML()), templateSet(t))
	require.NoError(t, err)
	require.Len(t, pb.Obligations, 2)
	require.Equal(t, "bad.yaml", pb.Source)
	// A nil template set skips the template checks (used to revalidate a snapshot).
	require.NoError(t, pb.Validate(nil))
}

func TestParseStrictYAML(t *testing.T) {
	tests := []struct {
		name   string
		edits  []edit
		field  string // the unknown field, as written
		inType string
	}{
		{"top-level", []edit{{"title: Test playbook\n", "title: Test playbook\ncolour: blue\n"}}, "colour", "Playbook"},
		{"obligation", []edit{{"    citation: Rule 2\n", "    citation: Rule 2\n    deadlin: 3d\n"}}, "deadlin", "Obligation"},
		{"deadline", []edit{{"{clock: hours, amount: 1}", "{clock: hours, amount: 1, amont: 2}"}}, "amont", "Deadline"},
		{"notice", []edit{{"      send: manual\n", "      send: manual\n      bcc: [regulator]\n"}}, "bcc", "Notice"},
		{"defaults", []edit{{"  calendar: us-federal\n", "  calendar: us-federal\n  timezone: UTC\n"}}, "timezone", "Defaults"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := apply(t, baseYAML(), tt.edits)
			_, err := playbook.Parse("bad.yaml", []byte(src), templateSet(t))
			require.Error(t, err)
			msg := err.Error()
			require.Contains(t, msg, "bad.yaml")
			require.Contains(t, msg, fmt.Sprintf("line %d", lineOf(t, src, tt.field+":")))
			require.Contains(t, msg, fmt.Sprintf("unknown field %q in %s", tt.field, tt.inType))
			require.Contains(t, msg, "check the spelling")
		})
	}
}

func TestParseErrors(t *testing.T) {
	const reminders = "    depends_on: [first]\n"
	tests := []struct {
		name  string
		edits []edit
		// obligation is the obligation the error must name; empty for playbook-level fields.
		obligation string
		field      string
		// problem is a substring of the problem, including how to fix it.
		problem []string
	}{
		// Templates.
		{"unknown template", []edit{{"template: cisa-report", "template: no-such-template"}},
			"first", "notice.template", []string{`unknown template "no-such-template"`, "templates/notices/no-such-template."}},
		{"missing template", []edit{{"      template: cisa-report\n", ""}},
			"first", "notice.template", []string{"missing", "name a template"}},

		// Roles.
		{"unknown owner", []edit{{"owner: regulator", "owner: nobody"}},
			"second", "owner", []string{`unknown role "nobody"`, "declare it under roles", "coordinator, regulator"}},
		{"missing owner", []edit{{"    owner: regulator\n", ""}},
			"second", "owner", []string{"missing", "name a role"}},
		{"unknown notice.to", []edit{{"to: [regulator]", "to: [nobody]"}},
			"first", "notice.to[0]", []string{`unknown role "nobody"`, "declare it under roles"}},
		{"unknown notice.cc", []edit{{"cc: [coordinator]", "cc: [coordinator, nobody]"}},
			"first", "notice.cc[1]", []string{`unknown role "nobody"`, "declare it under roles"}},
		{"unknown escalation.to", []edit{{reminders, reminders + "    escalation: {to: [nobody], every: 1d}\n"}},
			"second", "escalation.to[0]", []string{`unknown role "nobody"`, "declare it under roles"}},
		{"unknown defaults.escalation.to", []edit{{"to: [coordinator]", "to: [nobody]"}},
			"", "defaults.escalation.to[0]", []string{`unknown role "nobody"`, "declare it under roles"}},
		{"escalation without to", []edit{{reminders, reminders + "    escalation: {every: 1d}\n"}},
			"second", "escalation.to", []string{"missing", "list at least one role"}},

		// Facts and determinations.
		{"unknown fact in when", []edit{{`{fact: pii, equals: "true"}`, `{fact: nosuch, equals: "true"}`}},
			"first", "when[0].fact", []string{`unknown fact "nosuch"`, "declare it under facts", "count, pii, summary"}},
		{"unknown fact in anchor", []edit{{"anchor: obligation:first", "anchor: fact:nosuch"}},
			"second", "anchor", []string{`unknown fact "nosuch"`, "declare it under facts"}},
		{"unknown determination in anchor", []edit{{"anchor: obligation:first", "anchor: determination:nosuch"}},
			"second", "anchor", []string{`unknown determination "nosuch"`, "declare it under determinations", "known: major"}},
		{"bad anchor kind", []edit{{"anchor: obligation:first", "anchor: event:first"}},
			"second", "anchor", []string{`bad anchor "event:first"`, "use discovery, determination:ID, fact:ID, obligation:ID, notice:ID or decision:ID"}},
		{"anchor without reference", []edit{{"anchor: obligation:first", "anchor: 'fact:'"}},
			"second", "anchor", []string{`bad anchor "fact:"`, "use discovery"}},
		{"missing anchor", []edit{{"    anchor: obligation:first\n", ""}},
			"second", "anchor", []string{"missing", "use discovery"}},
		{"bad fact type", []edit{{"{type: number, title: People affected}", "{type: integer, title: People affected}"}},
			"", "facts.count.type", []string{`unknown type "integer"`, "use number, text, bool or date"}},

		// Obligations referenced by others, and cycles.
		{"unknown obligation in depends_on", []edit{{"depends_on: [first]", "depends_on: [nosuch]"}},
			"second", "depends_on[0]", []string{`unknown obligation "nosuch"`, "known: first, second"}},
		{"unknown obligation in anchor", []edit{{"anchor: obligation:first", "anchor: obligation:nosuch"}},
			"second", "anchor", []string{`unknown obligation "nosuch"`, "known: first, second"}},
		{"cycle via depends_on", []edit{
			{"anchor: obligation:first", "anchor: discovery"},
			{"      send: manual\n", "      send: manual\n    depends_on: [second]\n"},
		}, "first", "depends_on", []string{"dependency cycle first -> second -> first", "remove"}},
		{"cycle via anchors", []edit{
			{"    anchor: discovery\n", "    anchor: obligation:second\n"},
			{"    depends_on: [first]\n", ""},
		}, "first", "anchor", []string{"dependency cycle first -> second -> first", "remove"}},
		{"self dependency", []edit{{"depends_on: [first]", "depends_on: [second]"}},
			"second", "depends_on", []string{"dependency cycle second -> second", "remove"}},
		{"self anchor", []edit{{"anchor: obligation:first", "anchor: obligation:second"}},
			"second", "anchor", []string{"cannot be anchored on itself"}},

		// Deadlines.
		{"zero amount", []edit{{"amount: 3}", "amount: 0}"}},
			"second", "deadline.amount", []string{"must be positive", "got 0"}},
		{"negative amount", []edit{{"amount: 3}", "amount: -1}"}},
			"second", "deadline.amount", []string{"must be positive", "got -1"}},
		{"amount on clock none", []edit{{"{clock: business_days, amount: 3}", "{clock: none, amount: 3}"}, {reminders, reminders + "    cadence: 1d\n"}},
			"second", "deadline.amount", []string{"leave it out for clock none"}},
		{"missing clock", []edit{{"{clock: business_days, amount: 3}", "{amount: 3}"}},
			"second", "deadline.clock", []string{"missing", "use hours, calendar_days, calendar_months, business_days, after_year_end or none"}},
		{"unknown clock kind", []edit{{"clock: hours,", "clock: weeks,"}},
			"first", "deadline.clock", []string{`unknown clock "weeks"`, "use hours, calendar_days, calendar_months, business_days, after_year_end or none"}},
		{"bad time zone", []edit{{"amount: 3}", "amount: 3, time_zone: Mars/Olympus}"}},
			"second", "deadline.time_zone", []string{`unknown time zone "Mars/Olympus"`, "IANA name such as America/New_York"}},
		{"bad default time zone", []edit{{"time_zone: America/New_York", "time_zone: Eastern"}},
			"", "defaults.time_zone", []string{`unknown time zone "Eastern"`, "IANA name such as America/New_York"}},
		{"bad calendar", []edit{{"amount: 3}", "amount: 3, calendar: mars}"}},
			"second", "deadline.calendar", []string{`unknown calendar "mars"`, "known: us-federal"}},
		{"bad default calendar", []edit{{"calendar: us-federal", "calendar: mars"}},
			"", "defaults.calendar", []string{`unknown calendar "mars"`, "known: us-federal"}},
		{"bad close_of_business", []edit{{"amount: 3}", "amount: 3, close_of_business: 5pm}"}},
			"second", "deadline.close_of_business", []string{`bad close_of_business "5pm"`, "24-hour time such as 17:00"}},
		{"close_of_business on an hours clock", []edit{{"amount: 1}", `amount: 1, close_of_business: "17:00"}`}},
			"first", "deadline.close_of_business", []string{"only to business_days"}},
		{"clock none without cadence", []edit{{"{clock: business_days, amount: 3}", "{clock: none, note: whenever}"}},
			"second", "cadence", []string{"needs a reminder cadence", "e.g. 7d"}},
		{"negative cadence", []edit{{reminders, reminders + "    cadence: -1d\n"}},
			"second", "cadence", []string{"must be positive"}},

		// Addresses.
		{"address without @", []edit{{"email: coord@agency.example", "email: not-an-email"}},
			"", "roles.coordinator.contacts[0].email", []string{`malformed e-mail address "not-an-email"`, "plain address such as privacy@agency.example"}},
		{"address without dot", []edit{{"email: coord@agency.example", "email: a@b"}},
			"", "roles.coordinator.contacts[0].email", []string{`malformed e-mail address "a@b"`, "plain address"}},
		{"address with display name", []edit{{"email: coord@agency.example", `email: "Name <a@b.example>"`}},
			"", "roles.coordinator.contacts[0].email", []string{`malformed e-mail address "Name <a@b.example>"`, "plain address"}},
		{"empty address", []edit{{"{name: Coordinator, email: coord@agency.example}", "{name: Coordinator}"}},
			"", "roles.coordinator.contacts[0].email", []string{`malformed e-mail address ""`}},
		{"bad role ID", []edit{{"  regulator: {title: Regulator}", "  Regulator: {title: Regulator}"}, {"owner: regulator", "owner: Regulator"}, {"to: [regulator]", "to: [Regulator]"}},
			"", "roles.Regulator", []string{"role IDs use lowercase letters"}},

		// Obligation identity and required fields.
		{"duplicate obligation ID", []edit{{"- id: second", "- id: first"}, {"anchor: obligation:first", "anchor: discovery"}, {"depends_on: [first]", "depends_on: []"}},
			"first", "id", []string{"duplicate obligation ID", "each obligation needs its own"}},
		{"bad obligation ID", []edit{{"- id: second", "- id: Second Thing"}},
			"Second Thing", "obligations[1].id", []string{`"Second Thing" is not a valid ID`, "lowercase letters, digits and dashes"}},
		{"missing obligation ID", []edit{{"- id: second\n    title", "- title"}},
			"", "obligations[1].id", []string{`"" is not a valid ID`, "lowercase letters"}},
		{"missing title", []edit{{"    title: Second thing\n", ""}},
			"second", "title", []string{"missing", "say what is owed"}},
		{"missing citation", []edit{{"    citation: Rule 2\n", ""}},
			"second", "citation", []string{"missing", "cite the statute"}},

		// Notices.
		{"notice without to", []edit{{"      to: [regulator]\n", ""}},
			"first", "notice.to", []string{"missing", "list at least one recipient role"}},
		{"bad notice.send", []edit{{"send: manual", "send: sometimes"}},
			"first", "notice.send", []string{`unknown mode "sometimes"`, "use on_due or manual"}},

		// Reminders and escalation.
		{"reminder with before and at_fraction", []edit{{reminders, reminders + "    reminders: [{before: 1h, at_fraction: 0.5}]\n"}},
			"second", "reminders[0]", []string{"exactly one of before", "at_fraction"}},
		{"empty reminder", []edit{{reminders, reminders + "    reminders: [{}]\n"}},
			"second", "reminders[0]", []string{"exactly one of before"}},
		{"at_fraction 0", []edit{{reminders, reminders + "    reminders: [{at_fraction: 0}]\n"}},
			"second", "reminders[0].at_fraction", []string{"between 0 and 1", "got 0"}},
		{"at_fraction 1", []edit{{reminders, reminders + "    reminders: [{at_fraction: 1}]\n"}},
			"second", "reminders[0].at_fraction", []string{"between 0 and 1", "got 1"}},
		{"at_fraction 1.5", []edit{{reminders, reminders + "    reminders: [{at_fraction: 1.5}]\n"}},
			"second", "reminders[0].at_fraction", []string{"between 0 and 1", "got 1.5"}},
		{"negative before", []edit{{reminders, reminders + "    reminders: [{before: 2h}, {before: -1h}]\n"}},
			"second", "reminders[1].before", []string{"must not be negative", "-1h"}},
		{"negative default before", []edit{{"    - before: 1h\n", "    - before: -1d\n"}},
			"", "defaults.reminders[0].before", []string{"must not be negative"}},
		{"escalation.every 0", []edit{{reminders, reminders + "    escalation: {to: [coordinator], every: 0s}\n"}},
			"second", "escalation.every", []string{"must be positive", "got 0s"}},
		{"escalation without every", []edit{{reminders, reminders + "    escalation: {to: [coordinator]}\n"}},
			"second", "escalation.every", []string{"must be positive"}},
		{"defaults escalation.every 0", []edit{{"every: 1d", "every: 0m"}},
			"", "defaults.escalation.every", []string{"must be positive"}},

		// Conditions.
		{"condition without operator", []edit{{`{fact: pii, equals: "true"}`, `{fact: pii}`}},
			"first", "when[0]", []string{"give exactly one of equals, not_equals, at_least, below, above, at_most, is_set (got 0)"}},
		{"condition with two operators", []edit{{`{fact: pii, equals: "true"}`, `{fact: pii, equals: "true", is_set: true}`}},
			"first", "when[0]", []string{"give exactly one of", "(got 2)"}},
		{"at_least on a text fact", []edit{{`{fact: pii, equals: "true"}`, `{fact: summary, at_least: 5}`}},
			"first", "when[0]", []string{"at_least, below, above and at_most need a number fact", `"summary" is text`}},
		{"below on a bool fact", []edit{{`{fact: pii, equals: "true"}`, `{fact: pii, below: 1}`}},
			"first", "when[0]", []string{"need a number fact"}},
		{"equals maybe on a bool", []edit{{`{fact: pii, equals: "true"}`, `{fact: pii, equals: "maybe"}`}},
			"first", "when[0]", []string{`"maybe" is not a yes/no value`, "write true or false"}},
		{"not_equals text on a number", []edit{{`{fact: pii, equals: "true"}`, `{fact: count, not_equals: "many"}`}},
			"first", "when[0]", []string{`"many" is not a number`, "write digits"}},

		// Playbook header.
		{"wrong format version", []edit{{"format: 1\n", "format: 2\n"}},
			"", "format", []string{"unsupported format 2", "this build reads format 1"}},
		{"missing format", []edit{{"format: 1\n", ""}},
			"", "format", []string{"unsupported format 0", "this build reads format 1"}},
		{"missing version", []edit{{"version: \"1\"\n", ""}},
			"", "version", []string{"missing", "give the playbook a version"}},
		{"bad name", []edit{{"name: test-playbook", "name: Test Playbook"}},
			"", "name", []string{`"Test Playbook" is not a valid name`, "lowercase letters"}},
	}
	set := templateSet(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := apply(t, baseYAML(), tt.edits)
			pb, err := playbook.Parse("bad.yaml", []byte(src), set)
			require.Error(t, err)
			require.Nil(t, pb)
			msg := err.Error()

			require.Contains(t, msg, "bad.yaml: ")
			prefix := "bad.yaml: "
			if tt.obligation != "" {
				prefix += fmt.Sprintf("obligation %q: ", tt.obligation)
			}
			prefix += "field " + tt.field + ": "
			require.Contains(t, msg, prefix)
			for _, p := range tt.problem {
				require.Contains(t, msg, p)
			}

			// The same location is available in structured form.
			var found bool
			for _, fe := range fieldErrors(err) {
				require.Equal(t, "bad.yaml", fe.File)
				if fe.Obligation == tt.obligation && fe.Field == tt.field {
					found = true
				}
			}
			require.True(t, found, "no FieldError for obligation %q field %q in:\n%s", tt.obligation, tt.field, msg)
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	src := apply(t, baseYAML(), []edit{
		{"owner: regulator", "owner: nobody"},
		{"send: manual", "send: sometimes"},
		{"version: \"1\"\n", ""},
	})
	_, err := playbook.Parse("bad.yaml", []byte(src), templateSet(t))
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, `bad.yaml: obligation "second": field owner: unknown role "nobody"`)
	require.Contains(t, msg, `bad.yaml: obligation "first": field notice.send: unknown mode "sometimes"`)
	require.Contains(t, msg, `bad.yaml: field version: missing`)
	require.Len(t, fieldErrors(err), 3)
}

func TestParseDefaultProblemReportedOnce(t *testing.T) {
	// A bad default zone is one mistake: it is reported once, at defaults.time_zone, and not again
	// for every obligation that inherits it.
	src := apply(t, baseYAML(), []edit{{"time_zone: America/New_York", "time_zone: Eastern"}})
	_, err := playbook.Parse("bad.yaml", []byte(src), templateSet(t))
	require.Error(t, err)
	fes := fieldErrors(err)
	require.Len(t, fes, 1, err.Error())
	require.Equal(t, "defaults.time_zone", fes[0].Field)
}

// missingTemplates is a template set without the generic reminder and escalation templates.
type missingTemplates struct{ have map[string]bool }

func (m missingTemplates) Has(name string) bool { return m.have[name] }

func TestParseNeedsGenericTemplates(t *testing.T) {
	_, err := playbook.Parse("bad.yaml", []byte(baseYAML()), missingTemplates{map[string]bool{"cisa-report": true, "reminder": true}})
	require.Error(t, err)
	require.Contains(t, err.Error(), `bad.yaml: field templates: template "escalation" is missing`)
	require.NotContains(t, err.Error(), `template "reminder" is missing`)
}

func TestLoadFile(t *testing.T) {
	_, err := playbook.LoadFile(t.TempDir()+"/absent.yaml", templateSet(t))
	require.ErrorContains(t, err, "reading playbook")
}

func TestParseAnchor(t *testing.T) {
	tests := []struct {
		in, kind, ref string
		ok            bool
	}{
		{"discovery", playbook.AnchorDiscovery, "", true},
		{"determination:major_incident", playbook.AnchorDetermination, "major_incident", true},
		{"fact:affected_count", playbook.AnchorFact, "affected_count", true},
		{"obligation:triage", playbook.AnchorObligation, "triage", true},
		{"notice:congress-notice", playbook.AnchorNotice, "congress-notice", true},
		{"decision:notify_individuals", playbook.AnchorDecision, "notify_individuals", true},
		{"", "", "", false},
		{"discovery:x", "", "", false},
		{"fact:", "", "", false},
		{"incident:x", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			kind, ref, err := playbook.ParseAnchor(tt.in)
			if !tt.ok {
				require.ErrorContains(t, err, "use discovery, determination:ID, fact:ID, obligation:ID, notice:ID or decision:ID")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.kind, kind)
			require.Equal(t, tt.ref, ref)
		})
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"privacy@agency.example", true},
		{"first.last+tag@sub.agency.example", true},
		{"not-an-email", false},
		{"a@b", false},
		{"Name <a@b.example>", false},
		{"<a@b.example>", false},
		{"a@b.example, c@d.example", false},
		{" a@b.example", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := playbook.CheckAddress(tt.in)
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, "malformed e-mail address")
			}
		})
	}
}
