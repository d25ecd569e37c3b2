package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

const testUS = `format: 1
name: us
version: "1"
title: US federal
defaults: {time_zone: America/New_York}
roles: {owner: {title: Owner, contacts: [{email: owner@agency.example}]}}
facts: {affected_count: {type: number, title: People affected}}
obligations:
  - {id: report, title: Report, citation: x, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 1}}
`

const testCA = `format: 1
name: california
version: "2026.1"
title: California
defaults: {time_zone: America/Los_Angeles}
applies_when: [{fact: residents_ca, above: 500}]
roles: {owner: {title: Owner, contacts: [{email: owner@agency.example}]}}
facts: {residents_ca: {type: number, title: California residents}}
obligations:
  - {id: residents, title: Notify residents, citation: Cal. Civ. Code 1798.82(a), owner: owner, anchor: discovery, deadline: {clock: calendar_days, amount: 30}}
`

const testCIRCIA = `format: 1
name: circia
version: "0"
enabled: false
roles: {owner: {title: Owner, contacts: [{email: owner@agency.example}]}}
obligations:
  - {id: report, title: Report, citation: 6 U.S.C. 681b, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 72}}
`

func writeIncident(t *testing.T, residents string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"us.yaml": testUS, "ca.yaml": testCA, "circia.yaml": testCIRCIA} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	inc := "title: Test\ndiscovered_at: 2026-11-02T09:00:00-05:00\nplaybooks: [us.yaml, ca.yaml, circia.yaml]\nfacts:\n  affected_count: 2000\n" + residents
	path := filepath.Join(dir, "incident.yaml")
	require.NoError(t, os.WriteFile(path, []byte(inc), 0o600))
	return path
}

// TestRegimesCommand: `starter regimes` says, for each playbook of an incident file, whether it
// applies given the file's facts and which condition holds or fails.
func TestRegimesCommand(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, cmdRegimes([]string{writeIncident(t, "  residents_ca: 812\n")}, &out))
	require.Equal(t, `us 1 (US federal): applies, 1 obligation(s)
  no applies_when: it applies to every incident
california 2026.1 (California): applies, 1 obligation(s)
  residents_ca = 812; condition residents_ca above 500: holds
circia 0: disabled, 1 obligation(s)
  no applies_when: it applies to every incident
  the playbook ships disabled (enabled: false): its obligations are listed, none starts a clock
`, out.String())

	out.Reset()
	require.NoError(t, cmdRegimes([]string{writeIncident(t, "  residents_ca: 500\n")}, &out))
	require.Contains(t, out.String(), "california 2026.1 (California): does not apply, 1 obligation(s)\n  residents_ca = 500; condition residents_ca above 500: does not hold\n")
	out.Reset()
	require.NoError(t, cmdRegimes([]string{writeIncident(t, "")}, &out))
	require.Contains(t, out.String(), "residents_ca (not recorded); condition residents_ca above 500: does not hold")

	out.Reset()
	require.NoError(t, cmdRegimes([]string{"--json", writeIncident(t, "")}, &out))
	require.Contains(t, out.String(), `"applies": false`)
}

// TestPrintStatusOfRegimes: a combined incident's table shows every regime's obligations
// together, soonest deadline first, with the regime; an internal target is labelled; decisions,
// implied determinations and the reason an obligation does not apply are listed.
func TestPrintStatusOfRegimes(t *testing.T) {
	disc := time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)
	st := workflows.Status{IncidentID: "INC-1", Title: "T", Status: "open", DiscoveredAt: disc, PlaybookName: "us+california", Regimes: []string{"us", "california"}, TimeZone: "America/New_York"}
	st.Obligations = []workflows.ObligationStatus{
		{ID: "us.report", Regime: "us", State: "due", Deadline: disc.Add(72 * time.Hour), DeadlineKind: "legal"},
		{ID: "us.le", Regime: "us", State: "due", Deadline: disc.Add(24 * time.Hour), DeadlineKind: "internal_target"},
		{ID: "california.residents", Regime: "california", State: "due", Deadline: disc.Add(48 * time.Hour), DeadlineKind: "legal", Limit: "30 calendar_days from discovery (its own deadline)"},
		{ID: "us.individuals", Regime: "us", State: "not_applicable", Reason: "decision notify_individuals = no by cio: low risk of harm"},
	}
	st.Implied = []workflows.ImpliedDetermination{{Determination: "major_incident", Fact: "affected_count", Value: "184000", At: disc.Add(time.Hour)}}
	st.Decisions = []workflows.DecisionStatus{{ID: "notify_individuals", History: []workflows.DecisionRecord{
		{Outcome: "yes", By: "cio", At: disc, Rationale: "first view"},
		{Outcome: "no", By: "cio", At: disc.Add(time.Hour), Rationale: "low risk of harm", Assessment: "RA-1"},
	}}}
	var out bytes.Buffer
	printStatus(&out, st, disc.Add(time.Hour))
	s := out.String()
	require.Less(t, strings.Index(s, "us.le"), strings.Index(s, "california.residents"))
	require.Less(t, strings.Index(s, "california.residents"), strings.Index(s, "us.report"))
	require.Less(t, strings.Index(s, "us.report"), strings.Index(s, "us.individuals"))
	for _, want := range []string{
		"REGIME      OBLIGATION",
		"us          us.le                 due             Tue 2026-11-03 09:00 EST (internal target)",
		"california  california.residents",
		"us.individuals: decision notify_individuals = no by cio: low risk of harm",
		"california.residents: deadline set by 30 calendar_days from discovery (its own deadline)",
		"major_incident = true, implied by affected_count = 184000 as of Mon 2026-11-02 10:00 EST",
		"notify_individuals = yes (superseded) by cio (asserted), Mon 2026-11-02 09:00 EST: first view",
		"notify_individuals = no (in force) by cio (asserted), Mon 2026-11-02 10:00 EST: low risk of harm [assessment: RA-1]",
	} {
		require.Contains(t, s, want)
	}
	require.NotContains(t, s, "us.report              due             Thu 2026-11-05 09:00 EST (internal target)")
}
