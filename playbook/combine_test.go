package playbook_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
)

const fedYAML = `format: 1
name: fed
version: "1"
defaults:
  time_zone: America/New_York
  calendar: us-federal-dc
  closures: [2026-12-24]
  reminders: [{before: 1h}]
  cadence: 7d
  escalation: {to: [owner], every: 1d}
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
facts:
  affected_count: {type: number, title: People affected}
determinations:
  major_incident: {title: Major incident}
obligations:
  - {id: report, title: Report, citation: x, owner: owner, anchor: discovery, deadline: {clock: business_days, amount: 1}, notice: {template: cisa-report, to: [owner]}}
  - {id: follow, title: Follow-up, citation: x, owner: owner, anchor: "notice:report", deadline: {clock: calendar_days, amount: 30}, depends_on: [report]}
`

const euYAML = `format: 1
name: gdpr
version: "2"
defaults:
  time_zone: Europe/Brussels
  cadence: 3d
applies_when: [{fact: eu_residents, above: 0}]
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
facts:
  affected_count: {type: number, title: People affected}
  eu_residents: {type: number, title: EU residents}
obligations:
  - {id: report, title: Art. 33, citation: GDPR Art. 33, owner: owner, anchor: discovery, deadline: {clock: calendar_days, amount: 3}, when: [{fact: affected_count, at_least: 1}], notice: {template: cisa-report, to: [owner]}}
  - {id: final, title: Final, citation: x, owner: owner, anchor: "obligation:report", deadline: {clock: calendar_months, amount: 1}, also_due: {anchor: "notice:report", clock: hours, amount: 1}}
`

func parse(t *testing.T, name, yaml string) *playbook.Playbook {
	t.Helper()
	pb, err := playbook.Parse(name, []byte(yaml), templateSet(t))
	require.NoError(t, err)
	return pb
}

func TestCombine(t *testing.T) {
	fed, eu := parse(t, "fed.yaml", fedYAML), parse(t, "gdpr.yaml", strings.Replace(euYAML, "also_due: {anchor: \"notice:report\", clock: hours, amount: 1}", "depends_on: [report]", 1))
	c, err := playbook.Combine(fed, eu)
	require.NoError(t, err)
	require.Equal(t, "fed+gdpr", c.Name)
	require.Equal(t, "1+2", c.Version)
	require.Equal(t, []string{"fed", "gdpr"}, []string{c.Regimes[0].Name, c.Regimes[1].Name})
	var ids []string
	for _, o := range c.Obligations {
		ids = append(ids, o.ID)
		require.Equal(t, strings.Split(o.ID, ".")[0], o.Regime)
		require.NotContains(t, o.ID, "/")
	}
	require.Equal(t, []string{"fed.report", "fed.follow", "gdpr.report", "gdpr.final"}, ids)

	// References inside a regime follow the new IDs.
	require.Equal(t, playbook.Anchor{"notice:fed.report"}, c.Obligation("fed.follow").Anchor)
	require.Equal(t, []string{"fed.report"}, c.Obligation("fed.follow").DependsOn)
	require.Equal(t, playbook.Anchor{"obligation:gdpr.report"}, c.Obligation("gdpr.final").Anchor)
	require.Equal(t, []string{"gdpr.report"}, c.Obligation("gdpr.final").DependsOn)

	// Each regime keeps its zone, calendar, closures, reminders, cadence and escalation.
	ny, _ := time.LoadLocation("America/New_York")
	bru, _ := time.LoadLocation("Europe/Brussels")
	fedSpec, err := c.ClockSpec(c.Obligation("fed.report"))
	require.NoError(t, err)
	require.Equal(t, ny, fedSpec.Location)
	// 1 business day from Wednesday 23 December 2026 skips the closure, Christmas and the
	// weekend: the end of Monday 28.
	due, _ := fedSpec.Due(time.Date(2026, 12, 23, 10, 0, 0, 0, ny))
	require.Equal(t, time.Date(2026, 12, 29, 0, 0, 0, 0, ny), due)
	euSpec, err := c.ClockSpec(c.Obligation("gdpr.report"))
	require.NoError(t, err)
	require.Equal(t, bru, euSpec.Location)
	require.Len(t, c.RemindersFor(c.Obligation("fed.report")), 1)
	require.Empty(t, c.RemindersFor(c.Obligation("gdpr.report")), "GDPR set no reminders; the federal ones stay federal")
	require.Equal(t, 3*24*time.Hour, c.CadenceFor(c.Obligation("gdpr.final")))
	require.Equal(t, "Europe/Brussels", c.Obligation("gdpr.final").Deadline.TimeZone)
	require.NotNil(t, c.EscalationFor(c.Obligation("fed.follow")))
	require.Nil(t, c.EscalationFor(c.Obligation("gdpr.final")))
	require.Equal(t, "America/New_York", c.Defaults.TimeZone, "the incident's zone is the first regime's")

	// applies_when becomes part of each of the regime's obligations' conditions.
	require.Equal(t, []playbook.Condition{{Fact: "eu_residents", Above: new(0.0)}, {Fact: "affected_count", AtLeast: new(1.0)}}, c.Obligation("gdpr.report").When)
	require.Equal(t, []playbook.Condition{{Fact: "eu_residents", Above: new(0.0)}}, c.Obligation("gdpr.final").When)
	require.Empty(t, c.Obligation("fed.report").When)

	// Facts are shared by ID; the inputs are untouched.
	require.Len(t, c.Facts, 2)
	require.Equal(t, "report", fed.Obligations[0].ID)
	require.Equal(t, playbook.Anchor{"notice:report"}, fed.Obligation("follow").Anchor)
	require.Empty(t, fed.Obligation("report").Deadline.TimeZone)

	// The combined snapshot validates as an incident's would.
	require.NoError(t, c.Validate(templateSet(t)))
}

func TestCombineSingleKeepsIDs(t *testing.T) {
	fed := parse(t, "fed.yaml", fedYAML)
	c, err := playbook.Combine(fed)
	require.NoError(t, err)
	require.Equal(t, fed, c)
	require.Empty(t, c.Regimes)
	require.Equal(t, "report", c.Obligations[0].ID)
}

func TestCombineSecondLimitAndDisabled(t *testing.T) {
	eu := parse(t, "gdpr.yaml", strings.Replace(euYAML, "applies_when:", "enabled: false\napplies_when:", 1))
	fed := parse(t, "fed.yaml", fedYAML)
	c, err := playbook.Combine(fed, eu)
	require.NoError(t, err)
	require.Equal(t, "notice:gdpr.report", c.Obligation("gdpr.final").AlsoDue.Anchor)
	require.True(t, c.Regimes[1].Disabled)
	require.False(t, c.IsEnabled(c.Obligation("gdpr.final")))
	require.True(t, c.IsEnabled(c.Obligation("fed.report")))
}

func TestCombineConflicts(t *testing.T) {
	fed := parse(t, "fed.yaml", fedYAML)
	// A title is the regime's own wording: the first is kept. A type is meaning: it must agree.
	eu := parse(t, "gdpr.yaml", strings.Replace(euYAML, "affected_count: {type: number, title: People affected}", "affected_count: {type: number, title: Data subjects}", 1))
	c, err := playbook.Combine(fed, eu)
	require.NoError(t, err)
	require.Equal(t, "People affected", c.Facts["affected_count"].Title)
	eu = parse(t, "gdpr.yaml", strings.Replace(euYAML, "eu_residents: {type: number, title: EU residents}", "eu_residents: {type: number, title: EU residents}\n  location: {type: bool, title: In the EU}", 1))
	fedText := parse(t, "fed.yaml", strings.Replace(fedYAML, "affected_count: {type: number, title: People affected}", "affected_count: {type: number, title: People affected}\n  location: {type: text, title: Where}", 1))
	_, err = playbook.Combine(fedText, eu)
	require.ErrorContains(t, err, `fact "location" is declared differently by fed and gdpr (type text and bool)`)

	_, err = playbook.Combine(fed, fed)
	require.ErrorContains(t, err, "playbook fed is given twice")
	_, err = playbook.Combine()
	require.Error(t, err)

	other := parse(t, "other.yaml", strings.NewReplacer("name: fed", "name: other", "major_incident: {title: Major incident}", "major_incident: {title: Major, implied_by: [{fact: affected_count, at_least: 5}]}").Replace(fedYAML))
	c, err = playbook.Combine(fed, other)
	require.NoError(t, err, "one playbook says what implies it, the other does not")
	require.Len(t, c.Determinations["major_incident"].ImpliedBy, 1)
	third := parse(t, "third.yaml", strings.NewReplacer("name: fed", "name: third", "major_incident: {title: Major incident}", "major_incident: {title: Major, implied_by: [{fact: affected_count, at_least: 7}]}").Replace(fedYAML))
	_, err = playbook.Combine(other, third)
	require.ErrorContains(t, err, `determination "major_incident" is declared differently by other and third (implied_by differs)`)
}

func TestCombineMergesRoles(t *testing.T) {
	a := parse(t, "a.yaml", strings.Replace(fedYAML, "name: fed", "name: a", 1))
	b := parse(t, "b.yaml", strings.Replace(fedYAML, "name: fed", "name: b", 1))
	a.Roles["owner"] = playbook.Role{Title: "Owner", Contacts: []playbook.Contact{{Email: "one@agency.example"}}}
	b.Roles["owner"] = playbook.Role{Title: "Responsible person", Contacts: []playbook.Contact{{Email: "ONE@agency.example"}, {Email: "two@agency.example"}}}
	c, err := playbook.Combine(a, b)
	require.NoError(t, err)
	require.Equal(t, "Owner", c.Roles["owner"].Title)
	require.Equal(t, []playbook.Contact{{Email: "one@agency.example"}, {Email: "two@agency.example"}}, c.Roles["owner"].Contacts, "each address once")

	b.Roles["owner"] = playbook.Role{Title: "Owner", AllowedDomains: []string{"other.example"}}
	_, err = playbook.Combine(a, b)
	require.ErrorContains(t, err, "contact one@agency.example is outside the allowed domains")
	a.Roles["owner"] = playbook.Role{Title: "Owner", AllowedDomains: []string{"agency.example"}}
	_, err = playbook.Combine(a, b)
	require.ErrorContains(t, err, "allowed_domains differ")
}

func TestExplain(t *testing.T) {
	eu := parse(t, "gdpr.yaml", euYAML)
	ok, why := eu.Explain(eu.AppliesWhen, map[string]string{"eu_residents": "812"}, nil)
	require.True(t, ok)
	require.Equal(t, []string{"eu_residents = 812; condition eu_residents above 0: holds"}, why)
	ok, why = eu.Explain(eu.AppliesWhen, map[string]string{}, nil)
	require.False(t, ok)
	require.Equal(t, []string{"eu_residents (not recorded); condition eu_residents above 0: does not hold"}, why)
}
