package workflows_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// domainsPlaybook has a regulator role that may only receive mail in regulator.example.
const domainsPlaybook = `
format: 1
name: domains
version: "1"
title: Allowed domains
defaults:
  reminders: []
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
  regulator: {title: Regulator, allowed_domains: [regulator.example]}
facts:
  note: {type: text, title: Note}
obligations:
  - id: report
    title: Report to the regulator
    citation: test
    owner: owner
    anchor: discovery
    deadline: {clock: calendar_days, amount: 7}
    notice: {template: cisa-report, to: [regulator], send: manual, completes_obligation: true}
`

// TestStartRefusesForeignDomain: an incident whose contacts put an address outside a role's
// allowed domains does not start, and nothing is sent.
func TestStartRefusesForeignDomain(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	in := testInput2(t, domainsPlaybook, t0, map[string]string{"regulator": "desk@regulator.example"})
	in.Contacts["regulator"] = []playbook.Contact{{Email: "desk@regulator.exmaple"}}

	h := newHarness(t, t0, nil)
	h.env.ExecuteWorkflow(workflows.WorkflowType, in)
	require.True(t, h.env.IsWorkflowCompleted())
	err := h.env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, "InvalidInput", appErr.Type())
	require.Contains(t, appErr.Error(), `"desk@regulator.exmaple" is not in an allowed domain for regulator`)
	require.Empty(t, h.sendTimes(), "nothing is sent for an incident that did not start")
}

// TestSetContactsRefusesForeignDomain: the set-contacts Update refuses an address outside the
// role's allowed domains (leaving the contacts as they were) and accepts one inside them,
// subdomains included.
func TestSetContactsRefusesForeignDomain(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	in := testInput2(t, domainsPlaybook, t0, map[string]string{"regulator": "desk@regulator.example"})
	set := func(at time.Duration, email, want string) {
		h.do(at, workflows.UpdateSetContacts, workflows.SetContactsInput{
			Role: "regulator", Contacts: []playbook.Contact{{Email: email}}, By: "a", Reason: "new desk",
		}, want)
	}
	set(hour, "desk@regulator.exmaple", `"desk@regulator.exmaple" is not in an allowed domain for regulator (regulator.example)`)
	set(hour+time.Minute, "desk@regulator.example.evil.example", "not in an allowed domain")
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, []string{"desk@regulator.example"}, h.preview("report").To, "a refused change leaves the contacts as they were")
	}, hour+2*time.Minute)
	set(2*hour, "breach@desk.regulator.example", "")
	h.do(3*hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "report", By: "a"}, "")
	h.snapshot(4 * hour)
	h.do(5*hour, workflows.UpdateClose, workflows.CloseInput{By: "a"}, "")
	h.run(in)

	sent := noticeOf(h.snaps[4*hour], "report/notice")
	require.Equal(t, workflows.NoticeSent, sent.State)
	require.Equal(t, []string{"breach@desk.regulator.example"}, sent.To)
}

// TestSendRefusesRecipientOutsideAllowedDomains: an address outside its role's allowed domains
// that reached the incident's state by a path other than start-up and set-contacts (here, a
// state carried into a new run as an older build wrote it) is refused when the notice is sent:
// the notice is failing with a message naming the address, and nothing reaches the transport.
func TestSendRefusesRecipientOutsideAllowedDomains(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	in := testInput2(t, domainsPlaybook, t0, map[string]string{"regulator": "desk@regulator.example"})
	in.ContinueAfterEvents = 1

	// First run: it hands over to a new run at its first opportunity.
	first := newHarness(t, t0, nil)
	first.do(hour, workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "note", Value: "x", By: "a"}, "") // any Update wakes the run
	first.env.ExecuteWorkflow(workflows.WorkflowType, in)
	require.True(t, first.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(first.env.GetWorkflowError(), &can), "the first run continues as new: %v", first.env.GetWorkflowError())
	var next workflows.StartIncidentInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.Carried)
	require.Empty(t, first.sendTimes())

	// The carried state holds a foreign address; the second run is asked to send the notice.
	next.Carried.Contacts["regulator"] = []playbook.Contact{{Email: "desk@regulator.exmaple"}}
	next.Carried.ContinueAfterEvents = 0
	start := first.env.Now()
	h := newHarness(t, start, nil)
	h.do(hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "report", By: "a"}, "")
	h.snapshot(2 * hour)
	h.do(3*hour, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "test over"}, "")
	h.run(next)

	failing := noticeOf(h.snaps[2*hour], "report/notice")
	require.Equal(t, workflows.NoticeFailing, failing.State)
	require.Contains(t, failing.LastError, "recipient desk@regulator.exmaple is outside the allowed domains of role regulator")
	require.Empty(t, h.sendTimes(), "the send activity never ran")
	files, err := os.ReadDir(h.outbox)
	require.NoError(t, err)
	require.Empty(t, files, "nothing was written to the outbox")
}
