package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

const yearEndPlaybook = `
format: 1
name: yearend
version: "1"
title: Year-end and calendars
defaults:
  time_zone: America/New_York
  reminders: [{before: 0s}]
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
obligations:
  - {id: hhs, title: HHS log of small breaches, citation: 45 CFR 164.408(c), owner: owner, anchor: discovery, deadline: {clock: after_year_end, amount: 60}}
  - {id: dc, title: Washington office, citation: test, owner: owner, anchor: discovery, deadline: {clock: business_days, amount: 4, calendar: us-federal-dc, closures: [2017-01-24]}}
  - {id: fed, title: Federal, citation: test, owner: owner, anchor: discovery, deadline: {clock: business_days, amount: 4}}
`

// TestYearEndOnTheWorkflowClock: a breach discovered on 10 March 2025 is reported to HHS 60 days
// after the end of 2025: 31 days of January and 28 of February make 59, so day 60 is 1 March
// 2026 and its reminder fires at the end of that day, 00:00 EST on 2 March 2026.
func TestYearEndOnTheWorkflowClock(t *testing.T) {
	t0 := time.Date(2025, 3, 10, 10, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	deadline := time.Date(2026, 3, 2, 0, 0, 0, 0, ny)
	closeAt(h, deadline.Add(hour).Sub(t0))
	h.run(testInput(t, yearEndPlaybook, t0))
	require.Equal(t, utc(deadline), h.sentMatching("hhs/reminder/"))
}

// TestCalendarsOnTheWorkflowClock: four business days from Tuesday 17 January 2017, 10:00 ET. On
// the us-federal calendar: 18, 19, 20 and 23 January, deadline 00:00 on the 24th. In Washington
// (us-federal-dc) the 20th was Inauguration Day, and a closure on the 24th is listed: 18, 19, 23
// and 25, deadline 00:00 on the 26th.
func TestCalendarsOnTheWorkflowClock(t *testing.T) {
	t0 := time.Date(2017, 1, 17, 10, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	closeAt(h, 10*day)
	h.run(testInput(t, yearEndPlaybook, t0))
	require.Equal(t, utc(time.Date(2017, 1, 24, 0, 0, 0, 0, ny)), h.sentMatching("fed/reminder/"))
	require.Equal(t, utc(time.Date(2017, 1, 26, 0, 0, 0, 0, ny)), h.sentMatching("dc/reminder/"))
}

const usRegime = `
format: 1
name: us
version: "1"
defaults:
  time_zone: America/New_York
  reminders: [{before: 0s}]
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
facts:
  affected_count: {type: number, title: People affected}
obligations:
  - {id: report, title: Report, citation: test, owner: owner, anchor: discovery, deadline: {clock: calendar_days, amount: 3}}
  - {id: follow, title: Follow-up, citation: test, owner: owner, anchor: "obligation:report", deadline: {clock: hours, amount: 10}}
`

const euRegime = `
format: 1
name: gdpr
version: "1"
defaults:
  time_zone: Europe/Brussels
  reminders: [{before: 0s}]
applies_when: [{fact: eu_residents, above: 0}]
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
facts:
  affected_count: {type: number, title: People affected}
  eu_residents: {type: number, title: EU residents}
obligations:
  - {id: report, title: Art. 33 notification, citation: GDPR Art. 33(1), owner: owner, anchor: discovery, deadline: {clock: calendar_days, amount: 3}}
`

// TestCombinedRegimes: one incident applies two regimes. Their obligations are namespaced and
// carry their regime; each regime counts calendar days in its own zone (Europe changed to summer
// time on 31 March 2024, the US on 10 March, so 3 days from Friday 29 March 12:00 UTC are 71
// hours in Brussels and 72 in New York); GDPR applies only once a fact says EU residents are
// affected; a completion in one regime starts the clock chained on it in the same regime.
func TestCombinedRegimes(t *testing.T) {
	t0 := time.Date(2024, 3, 29, 12, 0, 0, 0, time.UTC)
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	us, err := playbook.Parse("us.yaml", []byte(usRegime), set)
	require.NoError(t, err)
	eu, err := playbook.Parse("gdpr.yaml", []byte(euRegime), set)
	require.NoError(t, err)
	pb, err := playbook.Combine(us, eu)
	require.NoError(t, err)
	in := workflows.StartIncidentInput{IncidentID: workflows.NewIncidentID(), Title: "Two regimes", DiscoveredAt: t0, Playbook: *pb, StartedBy: "coordinator"}
	require.NoError(t, workflows.ValidateStart(in))

	h := newHarness(t, t0, nil)
	h.snapshot(hour)
	h.do(2*hour, workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "eu_residents", Value: "12", By: "a"}, "")
	h.do(3*hour, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "us.report", By: "a"}, "")
	h.do(4*hour, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "report", By: "a"}, `unknown obligation "report": this incident has us.report, us.follow, gdpr.report`)
	h.snapshot(5 * hour)
	closeAt(h, 5*day)
	h.run(in)

	st := h.snaps[hour]
	require.Equal(t, []string{"us", "gdpr"}, st.Regimes)
	require.Equal(t, "us+gdpr", st.PlaybookName)
	require.Equal(t, workflows.StateNotApplicable, obligation(st, "gdpr.report").State, "no EU residents recorded yet")
	require.Equal(t, "gdpr", obligation(st, "gdpr.report").Regime)
	require.Equal(t, "us", obligation(st, "us.report").Regime)

	st = h.snaps[5*hour]
	require.Equal(t, workflows.StateDue, obligation(st, "gdpr.report").State)
	require.Equal(t, workflows.StateDue, obligation(st, "us.follow").State)
	require.Equal(t, utc(t0.Add(71*hour)), h.sentMatching("gdpr.report/reminder/"))
	require.Equal(t, utc(t0.Add(13*hour)), h.sentMatching("us.follow/reminder/"))
	require.Empty(t, h.sentMatching("us.report/reminder/"), "done before its deadline")
}
