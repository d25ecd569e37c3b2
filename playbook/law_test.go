package playbook_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/playbook"
)

// lawYAML uses every piece of the law syntax: implied determinations, decisions, earliest-of,
// notice and decision anchors, a second limit, the after_year_end clock, internal targets,
// quotes and sources, disabled obligations, closures and applies_when.
const lawYAML = `format: 1
name: law
version: "1"
title: Law
defaults:
  time_zone: America/New_York
  calendar: us-federal-dc
  closures: [2026-12-24]
  reminders: [{before: 1h}]
  cadence: 7d
applies_when: [{fact: residents_ca, above: 500}]
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
facts:
  affected_count: {type: number, title: People affected}
  residents_ca: {type: number, title: California residents}
  breach_confirmed: {type: bool, title: Breach confirmed}
determinations:
  major_incident:
    title: Major incident
    implied_by: [{fact: affected_count, at_least: 100000}]
decisions:
  notify_individuals: {title: Notify affected individuals, outcomes: [yes, no]}
  below_threshold: {title: Major below the threshold}
obligations:
  - id: congress
    title: Notify Congress
    citation: 44 U.S.C. 3554(b)(7)(C)(iii)(III)(aa)
    quote: "not later than 7 days after the date on which there is a reasonable basis to conclude that the major incident has occurred"
    source: primary
    owner: owner
    anchor: {earliest: [determination:major_incident, fact:breach_confirmed]}
    deadline: {clock: calendar_days, amount: 7}
  - id: individuals
    title: Notify individuals
    citation: FISMA 2014 sec. 2(d)
    owner: owner
    anchor: discovery
    deadline: {clock: none, note: without unreasonable delay}
    when: [{decision: notify_individuals, not_equals: "no"}]
    notice: {template: individual-notice, to: [owner]}
  - id: ag
    title: Attorney General
    citation: Cal. Civ. Code 1798.82(f)
    owner: owner
    anchor: notice:individuals
    deadline: {clock: calendar_days, amount: 15}
  - id: dora-initial
    title: DORA initial report
    citation: Reg. (EU) 2022/2554 Art. 19
    owner: owner
    anchor: decision:below_threshold
    deadline: {clock: hours, amount: 4}
    also_due: {anchor: discovery, clock: hours, amount: 24}
  - id: hhs
    title: HHS annual log
    citation: 45 CFR 164.408(c)
    owner: owner
    anchor: discovery
    deadline: {clock: after_year_end, amount: 60}
  - id: le
    title: Contact law enforcement
    citation: internal policy
    owner: owner
    anchor: discovery
    deadline: {clock: business_days, amount: 1, kind: internal_target}
  - id: circia
    title: CIRCIA report
    citation: 6 U.S.C. 681b (not in force)
    source: secondary
    enabled: false
    owner: owner
    anchor: discovery
    deadline: {clock: hours, amount: 72}
`

func TestParseLawSyntax(t *testing.T) {
	pb, err := playbook.Parse("law.yaml", []byte(lawYAML), templateSet(t))
	require.NoError(t, err)
	require.Equal(t, []playbook.Condition{{Fact: "affected_count", AtLeast: new(100000.0)}}, pb.Determinations["major_incident"].ImpliedBy)
	require.Equal(t, []string{"yes", "no"}, pb.Decisions["notify_individuals"].AllowedOutcomes())
	require.Equal(t, []string{"yes", "no"}, pb.Decisions["below_threshold"].AllowedOutcomes(), "default outcomes")
	require.Equal(t, playbook.Anchor{"determination:major_incident", "fact:breach_confirmed"}, pb.Obligation("congress").Anchor)
	require.Equal(t, "earliest of determination:major_incident, fact:breach_confirmed", pb.Obligation("congress").Anchor.String())
	require.Equal(t, playbook.DeadlineLegal, pb.Obligation("congress").DeadlineKind())
	require.Equal(t, playbook.DeadlineInternalTarget, pb.Obligation("le").DeadlineKind())
	require.Equal(t, "", pb.Obligation("individuals").DeadlineKind(), "no fixed deadline: neither")
	require.False(t, pb.IsEnabled(pb.Obligation("circia")))
	require.True(t, pb.IsEnabled(pb.Obligation("hhs")))
	require.Equal(t, []string{"2026-12-24"}, pb.Defaults.Closures)

	// The business-day clock skips the closure: 1 business day from Wednesday 23 December 2026
	// is Monday 28 (24 closed, 25 Christmas, then the weekend), ending at 00:00 on Tuesday 29.
	spec, err := pb.ClockSpec(pb.Obligation("le"))
	require.NoError(t, err)
	ny, _ := time.LoadLocation("America/New_York")
	due, ok := spec.Due(time.Date(2026, 12, 23, 10, 0, 0, 0, ny))
	require.True(t, ok)
	require.Equal(t, time.Date(2026, 12, 29, 0, 0, 0, 0, ny), due)

	second, ok, err := pb.AlsoDueSpec(pb.Obligation("dora-initial"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, clock.Spec{Kind: clock.Hours, Amount: 24, Location: ny}, second)

	// A single anchor stays a string in JSON (snapshots in old histories read as before).
	raw, err := json.Marshal(pb.Obligation("hhs"))
	require.NoError(t, err)
	require.Contains(t, string(raw), `"anchor":"discovery"`)
	raw, err = json.Marshal(pb)
	require.NoError(t, err)
	var back playbook.Playbook
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, pb.Obligation("congress").Anchor, back.Obligation("congress").Anchor)
}

func TestParseLawErrors(t *testing.T) {
	tests := []struct {
		name        string
		edits       []edit
		obligation  string
		field, want string
	}{
		{"notice anchor on an obligation without notice", []edit{{"anchor: notice:individuals", "anchor: notice:hhs"}},
			"ag", "anchor", `obligation "hhs" sends no notice`},
		{"unknown decision anchor", []edit{{"anchor: decision:below_threshold", "anchor: decision:nope"}},
			"dora-initial", "anchor", `unknown decision "nope"`},
		{"earliest with a bad anchor", []edit{{"fact:breach_confirmed]", "fact:nope]"}},
			"congress", "anchor.earliest[1]", `unknown fact "nope"`},
		{"outcome not allowed", []edit{{`not_equals: "no"`, `not_equals: "maybe"`}},
			"individuals", "when[0]", `decision "notify_individuals" has no outcome "maybe"`},
		{"decision condition with a number operator", []edit{{`not_equals: "no"`, `at_least: 3`}},
			"individuals", "when[0]", "exactly one of equals, not_equals, is_set"},
		{"implied by a decision", []edit{{"implied_by: [{fact: affected_count, at_least: 100000}]", "implied_by: [{decision: below_threshold, equals: yes}]"}},
			"", "determinations.major_incident.implied_by[0].decision", "only facts can imply"},
		{"internal target without a deadline", []edit{{"{clock: none, note: without unreasonable delay}", "{clock: none, kind: internal_target}"}},
			"individuals", "deadline.kind", "applies only to a fixed deadline"},
		{"unknown deadline kind", []edit{{"kind: internal_target", "kind: target"}},
			"le", "deadline.kind", `unknown kind "target"`},
		{"quote of two paragraphs", []edit{{`quote: "not later`, `quote: "one\n\ntwo not later`}},
			"congress", "quote", "more than one paragraph"},
		{"unknown source", []edit{{"source: primary", "source: blog"}},
			"congress", "source", `unknown source "blog"`},
		{"second limit with clock none", []edit{{"also_due: {anchor: discovery, clock: hours, amount: 24}", "also_due: {anchor: discovery, clock: none}"}},
			"dora-initial", "also_due.clock", "unknown clock"},
		{"second limit too long", []edit{{"clock: hours, amount: 24}", "clock: hours, amount: 99999999}"}},
			"dora-initial", "also_due.amount", "must be between 1 and 876000"},
		{"after_year_end too long", []edit{{"{clock: after_year_end, amount: 60}", "{clock: after_year_end, amount: 40000}"}},
			"hhs", "deadline.amount", "at most 36135"},
		{"bad closure", []edit{{"closures: [2026-12-24]", "closures: [24-12-2026]"}},
			"", "defaults.closures[0]", "not a date"},
		{"unknown calendar", []edit{{"calendar: us-federal-dc", "calendar: dc"}},
			"", "defaults.calendar", "known: us-federal, us-federal-dc"},
		{"applies_when on an unknown fact", []edit{{"applies_when: [{fact: residents_ca", "applies_when: [{fact: residents_ny"}},
			"", "applies_when[0].fact", `unknown fact "residents_ny"`},
		{"bad outcome ID", []edit{{"outcomes: [yes, no]", "outcomes: [Yes, no]"}},
			"", "decisions.notify_individuals.outcomes[0]", "not a valid outcome"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := playbook.Parse("law.yaml", []byte(apply(t, lawYAML, tt.edits)), templateSet(t))
			require.Error(t, err)
			var found bool
			for _, fe := range fieldErrors(err) {
				if fe.Obligation == tt.obligation && fe.Field == tt.field {
					require.Contains(t, fe.Problem, tt.want)
					found = true
				}
			}
			require.True(t, found, "no error for %s %s in:\n%v", tt.obligation, tt.field, err)
		})
	}
}

// TestConditionOperators: above and at_most complete at_least and below; conditions on
// decisions hold per HoldsDecision (not_equals holds while undecided).
func TestConditionOperators(t *testing.T) {
	num := playbook.FactDef{Type: playbook.FactNumber}
	above := playbook.Condition{Fact: "n", Above: new(500.0)}
	atMost := playbook.Condition{Fact: "n", AtMost: new(500.0)}
	require.False(t, above.Holds(num, "500", true))
	require.True(t, above.Holds(num, "501", true))
	require.True(t, atMost.Holds(num, "500", true))
	require.False(t, atMost.Holds(num, "501", true))
	require.False(t, atMost.Holds(num, "", false))

	notNo := playbook.Condition{Decision: "d", NotEquals: new("no")}
	require.True(t, notNo.HoldsDecision("", false), "undecided: still applies")
	require.True(t, notNo.HoldsDecision("yes", true))
	require.False(t, notNo.HoldsDecision("no", true))
	yes := playbook.Condition{Decision: "d", Equals: new("yes")}
	require.False(t, yes.HoldsDecision("", false))
	require.True(t, yes.HoldsDecision("yes", true))
	require.True(t, playbook.Condition{Decision: "d", IsSet: new(true)}.HoldsDecision("no", true))
}
