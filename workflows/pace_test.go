package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

const pacedPlaybook = `
format: 1
name: paced
version: "1"
title: An escalation that slows down
defaults:
  reminders: []
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
  boss: {title: Boss, contacts: [{email: boss@agency.example}]}
obligations:
  - id: report
    title: Report
    citation: test
    owner: owner
    anchor: discovery
    deadline: {clock: hours, amount: 1}
    escalation: {to: [boss], every: 1d, then: [{after: 7d, every: 7d}], max: 10}
`

// TestEscalationSlowsDownAndStops: an obligation left overdue is escalated daily for a week,
// then weekly, ten times in all — not every day for as long as it stays open (two years of
// daily escalations were hundreds of identical mails nobody read). Each rung fires once, on time.
func TestEscalationSlowsDownAndStops(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	h.do(90*day, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "test over"}, "")
	h.run(testInput(t, pacedPlaybook, t0))
	deadline := t0.Add(hour)
	var want []time.Time
	for d := range 7 {
		want = append(want, deadline.Add(time.Duration(d)*day))
	}
	for w := 1; w <= 3; w++ {
		want = append(want, deadline.Add(time.Duration(7*w)*day))
	}
	require.Equal(t, utc(want...), h.sentMatching("report/escalation/"))
}

func TestEscalationStepsAreChecked(t *testing.T) {
	bad := func(change string) string {
		return `
format: 1
name: paced
version: "1"
title: x
defaults:
  reminders: []
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
obligations:
  - id: report
    title: Report
    citation: test
    owner: owner
    anchor: discovery
    deadline: {clock: hours, amount: 1}
    escalation: ` + change + "\n"
	}
	for _, c := range []struct{ esc, want string }{
		{"{to: [owner], every: 1d, then: [{after: 7d, every: 7d}, {after: 3d, every: 1d}]}", "then[1].after: must come after the step before"},
		{"{to: [owner], every: 1d, then: [{after: 7d, every: 1s}]}", "then[0].every"},
		{"{to: [owner], every: 1d, max: -1}", "escalation.max"},
	} {
		_, err := parsePlaybook(bad(c.esc))
		require.ErrorContains(t, err, c.want, c.esc)
	}
}

func parsePlaybook(src string) (*playbook.Playbook, error) {
	set, err := templates.Load(templates.Embedded())
	if err != nil {
		return nil, err
	}
	return playbook.Parse("test.yaml", []byte(src), set)
}

func TestEmptyHoldAuthorityRefused(t *testing.T) {
	_, err := parsePlaybook(strings.Replace(pacedPlaybook, "    deadline: {clock: hours, amount: 1}\n", "    deadline: {clock: hours, amount: 1}\n    hold_authorities: [\"\"]\n", 1))
	require.ErrorContains(t, err, "hold_authorities[0]: empty")
}
