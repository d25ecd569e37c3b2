package workflows_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/breachflow/breachflow/playbook"
	"go.temporal.io/sdk/testsuite"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// TestLifecycleDefaultPlaybook runs the seed case through the whole default playbook on the
// workflow clock, from discovery (Friday 31 May 2019, 09:00 EDT) to closure, and checks that
// every deadline, reminder and escalation fires at the exact moment the playbook says.
func TestLifecycleDefaultPlaybook(t *testing.T) {
	t0 := time.Date(2019, 5, 31, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	in := cbpInput(t, t0)

	by := "coordinator"
	complete := func(at time.Duration, id, want string) {
		h.do(at, workflows.UpdateComplete, workflows.CompleteInput{Obligation: id, By: by}, want)
	}
	send := func(at time.Duration, id, want string) {
		h.do(at, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: id, By: by}, want)
	}
	// approve has other people approve the notice awaiting approval with the hash they previewed.
	approve := func(at time.Duration, id string, approvers ...string) {
		for i, who := range approvers {
			h.doLate(at+time.Duration(i)*time.Minute, workflows.UpdateApprove, func() any {
				return workflows.ApproveInput{Obligation: id, By: who, ContentHash: h.preview(id).Rendered.ContentHash}
			}, "")
		}
	}
	fact := func(at time.Duration, name, value string, det bool) {
		h.do(at, workflows.UpdateRecordFact, workflows.RecordFactInput{Name: name, Value: value, Determination: det, By: by}, "")
	}

	waive := func(at time.Duration, id, reason string) {
		h.do(at, workflows.UpdateWaive, workflows.WaiveInput{Obligation: id, By: by, Reason: reason}, "")
	}

	send(30*time.Minute, "cisa-report", "")
	complete(45*time.Minute, "contractor-report", "") // the contractor's report reaches the agency
	complete(2*hour, "triage", "")
	complete(20*hour, "contractor-report-details", "")
	h.snapshot(25 * hour)
	complete(40*hour, "equipment-removal", "")
	complete(50*hour, "law-enforcement", "") // 26 hours late
	complete(3*day, "ig-gc-informed", "")
	complete(5*day, "opr-referral", "")
	complete(6*day, "response-closed", "") // containment done: the after-action clock starts
	complete(9*day, "risk-assessment", "")
	complete(9*day+hour, "credit-monitoring-decision", "")
	fact(10*day, "affected_count", "184000", false) // 184,000 people: over OMB's 100,000 line
	h.snapshot(10*day + time.Minute)
	complete(11*day-time.Minute, "major-incident-determination", "")
	fact(11*day, "major_incident", "yes", true)
	send(11*day+30*time.Minute, "omb-report", "")
	approve(11*day+31*time.Minute, "omb-report", "ciso")
	complete(11*day+hour, "omb-notified", "") // DHS told OMB within its hour
	complete(11*day+2*hour, "breach-response-team", "")
	send(12*day, "congress-notice", "")
	approve(12*day+time.Minute, "congress-notice", "cio", "general-counsel")
	send(20*day, "congress-breach-report", "")
	approve(20*day+time.Minute, "congress-breach-report", "privacy-officer", "general-counsel")
	h.do(21*day, workflows.UpdateClose, workflows.CloseInput{By: by}, "cannot close")
	complete(22*day, "public-statement", "")
	waive(23*day, "individual-notice", "risk assessment of day 9: low risk of harm; the privacy officer decided not to notify")
	complete(25*day, "dark-web-monitoring", "")
	complete(25*day, "subcontractor-monitoring", "")
	complete(27*day, "congress-supplement", "")
	complete(29*day, "annual-fisma-report", "")
	complete(30*day, "after-action", "")
	h.do(30*day+hour, workflows.UpdateClose, workflows.CloseInput{By: by}, "")

	h.run(in)
	// The close is answered in one workflow task and the run ends in the next, a millisecond
	// later (ChangeEndInOwnTask), so a task the server refuses cannot take the close with it.
	require.Equal(t, t0.Add(30*day+hour+time.Millisecond).UTC(), h.env.Now().UTC(), "the workflow ends when it is closed")

	// The workflow clock at each reminder and escalation of law-enforcement (24 h from discovery,
	// done after 50 h): half-way, 1 h before, at the deadline; escalations at 24 h and 48 h.
	// The "1 day before" rung falls at discovery itself and is skipped.
	times := h.sendTimes()
	require.Equal(t, utc(t0.Add(12*hour), t0.Add(23*hour), t0.Add(24*hour)), h.sentMatching("law-enforcement/reminder/"))
	// The first escalation is mailed on its own; the playbook's digest takes the repeat, handed
	// over at its rung time.
	require.Equal(t, utc(t0.Add(24*hour)), h.sentMatching("law-enforcement/escalation/"))
	require.Equal(t, utc(t0.Add(48*hour)), h.handedMatching("law-enforcement/escalation/"))

	// Cadence reminders of duties without a fixed deadline: every 3 days for the public statement
	// until it was done on day 22; every 7 days for dark-web monitoring until day 25. The first of
	// each is mailed, the rest go to the digest.
	require.Equal(t, daysAfter(t0, 3), h.sentMatching("public-statement/cadence/"))
	require.Equal(t, daysAfter(t0, 6, 9, 12, 15, 18, 21), h.handedMatching("public-statement/cadence/"))
	require.Equal(t, daysAfter(t0, 7), h.sentMatching("dark-web-monitoring/cadence/"))
	require.Equal(t, daysAfter(t0, 14, 21), h.handedMatching("dark-web-monitoring/cadence/"))

	// Each notice key is sent exactly once.
	for key, at := range times {
		require.Len(t, at, 1, "notice %s sent %d times", key, len(at))
	}

	// On-due notices go out the moment the clock starts.
	require.Equal(t, utc(t0), times["triage/notice"])
	require.Equal(t, utc(t0), times["major-incident-determination/notice"], "every incident is assessed against the major-incident definition")
	// Coordinator-approved notices go out when approved; those the playbook marks for approval,
	// when the last approval comes (the notice to Congress needs two).
	require.Equal(t, utc(t0.Add(30*time.Minute)), times["cisa-report/notice"])
	require.Equal(t, utc(t0.Add(12*day+2*time.Minute)), times["congress-notice/notice"])

	// At 25 h, law-enforcement was overdue since exactly its deadline.
	mid := h.snaps[25*hour]
	le := obligation(mid, "law-enforcement")
	require.Equal(t, workflows.StateOverdue, le.State)
	require.Equal(t, 1, mid.OverdueCount)
	require.True(t, le.Deadline.Equal(t0.Add(24*hour)))
	require.Equal(t, workflows.StateDue, obligation(mid, "major-incident-determination").State, "due from discovery: the harm test applies below 100,000 people")
	require.Equal(t, workflows.StateNotApplicable, obligation(mid, "contractor-report-non-pii").State, "PII is involved: the 1-hour clock applies")
	require.Equal(t, workflows.StatePending, obligation(mid, "congress-notice").State, "no major-incident determination yet")

	// The new count (day 10) makes it a major incident by definition (OMB M-17-05): the
	// determination is implied at the moment the count became known, and the clocks of the report
	// to CISA and the notice to Congress start then — not on day 11, when the CIO recorded it. The
	// duty to record the determination itself stays open until it is done.
	after10 := h.snaps[10*day+time.Minute]
	require.Equal(t, workflows.StateDue, obligation(after10, "major-incident-determination").State)
	require.Equal(t, workflows.StateDue, obligation(after10, "congress-notice").State, "the Congress clock runs from the implied determination")
	require.True(t, obligation(after10, "congress-notice").AnchorAt.Equal(t0.Add(10*day)))

	var final workflows.Status
	for _, s := range h.steps {
		if s.name == workflows.UpdateClose && s.err == nil {
			final = s.status
		}
	}
	require.Equal(t, workflows.IncidentClosed, final.Status)

	// Deadlines computed from their anchors on their clocks.
	opr := obligation(final, "opr-referral")
	require.True(t, opr.Deadline.Equal(time.Date(2019, 6, 6, 0, 0, 0, 0, ny)), "3 business days from Friday 31 May end Wednesday 5 June at midnight: got %s", opr.Deadline.In(ny))
	congress := obligation(final, "congress-notice")
	require.True(t, congress.AnchorAt.Equal(t0.Add(10*day)), "the explicit determination of day 11 does not move the clock later")
	require.True(t, congress.Deadline.Equal(time.Date(2019, 6, 17, 9, 0, 0, 0, ny)), "7 calendar days after the reasonable basis to conclude (day 10)")
	require.Equal(t, workflows.StateDone, congress.State)
	require.Zero(t, congress.Late)
	omb := obligation(final, "omb-report")
	require.True(t, omb.Deadline.Equal(t0.Add(10*day+hour)), "1 hour from the implied determination")
	require.True(t, omb.CompletedAt.Equal(t0.Add(11*day+31*time.Minute)), "completed by its notice's delivery, after its approval")
	require.Equal(t, 23*hour+31*time.Minute, omb.Late, "the report waited for the explicit determination: late")
	after := obligation(final, "after-action")
	require.True(t, after.Deadline.Equal(time.Date(2019, 7, 6, 9, 0, 0, 0, ny)), "30 days after the response closed on day 6: got %s", after.Deadline.In(ny))
	require.Equal(t, daysAfter(t0, 21), h.sentMatching("after-action/reminder/"), "half-way reminder only: it was done before the later rungs")
	// The contractor's clock runs from its own discovery, 13 May 2019 (the incident file's
	// contractor_discovered_at), not from the agency's: its report on 31 May at 09:45 was 18 days
	// 8 hours 45 minutes after the 13 May 01:00 deadline.
	contractor := obligation(final, "contractor-report")
	require.True(t, contractor.Deadline.Equal(time.Date(2019, 5, 13, 1, 0, 0, 0, ny)), "1 hour from the contractor's discovery: got %s", contractor.Deadline.In(ny))
	require.Equal(t, 18*day+8*hour+45*time.Minute, contractor.Late)

	// Lateness is frozen at completion.
	require.Equal(t, 26*hour, obligation(final, "law-enforcement").Late)
	require.Equal(t, workflows.StateDone, obligation(final, "cisa-report").State)
	require.Zero(t, obligation(final, "cisa-report").Late)
	require.Equal(t, workflows.StateWaived, obligation(final, "individual-notice").State, "a recorded decision not to notify")
	require.True(t, obligation(final, "individual-notice").AnchorAt.Equal(t0), "the duty ran from discovery")

	var res workflows.IncidentResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	require.Equal(t, in.IncidentID, res.IncidentID)
	require.False(t, res.Forced)
	require.Equal(t, 23, res.Obligations[workflows.StateDone])
	require.Equal(t, 1, res.Obligations[workflows.StateWaived])
	require.Equal(t, 1, res.Obligations[workflows.StateNotApplicable])
	require.Equal(t, len(h.sends), res.NoticesSent)

	// Each send tells the activity its template, kind and due time (for metrics): a rung is due
	// at its own moment, never after it is sent; an obligation's own notice at its deadline.
	rungs := 0
	for _, s := range h.sends {
		require.NotEmpty(t, s.kind, s.key)
		require.NotEmpty(t, s.template, s.key)
		if s.kind == templates.KindReminder || s.kind == templates.KindEscalation {
			rungs++
			require.False(t, s.due.IsZero(), "%s has a due time", s.key)
			require.False(t, s.due.After(s.at), "%s sent at %s before it was due at %s", s.key, s.at, s.due)
		}
		if s.key == "omb-report/notice" {
			require.True(t, s.due.Equal(omb.Deadline), "the notice is due at the obligation's deadline: got %s", s.due)
		}
		if strings.HasPrefix(s.key, "after-action/reminder/") {
			require.True(t, s.due.Equal(daysAfter(t0, 21)[0]), "the half-way reminder is due half-way: got %s", s.due)
		}
	}
	require.Positive(t, rungs)
}

// utc normalizes times for comparison with what the harness observed.
func utc(ts ...time.Time) []time.Time {
	out := make([]time.Time, len(ts))
	for i, t := range ts {
		out[i] = t.UTC()
	}
	return out
}

func daysAfter(t0 time.Time, days ...int) []time.Time {
	return daysAfterFrom(t0, days...)
}

func daysAfterFrom(t0 time.Time, days ...int) []time.Time {
	out := make([]time.Time, len(days))
	for i, d := range days {
		out[i] = t0.Add(time.Duration(d) * day).UTC()
	}
	return out
}

// TestValidatorsReject checks every validator's refusal and that a refused action leaves no
// trace: the status afterwards equals the status before.
func TestValidatorsReject(t *testing.T) {
	t0 := time.Date(2019, 5, 31, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	in := cbpInput(t, t0)
	// After the CISA deadline (1 h) and its first escalation, nothing else is due for hours.
	h.snapshot(2 * hour)
	at := 2*hour + time.Minute
	for _, c := range []struct {
		name string
		arg  any
		want string
	}{
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "no-such", By: "a"}, `unknown obligation "no-such"`},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage"}, "by is required"},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "a", At: t0.Add(48 * hour)}, "lies in the future"},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "congress-breach-report", By: "a"}, "waits on risk-assessment"},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "contractor-report-non-pii", By: "a"}, "does not apply"},
		{workflows.UpdateWaive, workflows.WaiveInput{Obligation: "triage", By: "a"}, "reason is required"},
		{workflows.UpdateWaive, workflows.WaiveInput{Obligation: "triage", By: "a", Reason: "   "}, "reason is required"},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "afected_count", Value: "1", By: "a"}, `unknown fact "afected_count"`},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "many", By: "a"}, "is not a number"},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "pii_involved", Value: "perhaps", By: "a"}, "not a yes/no value"},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "major", Value: "yes", Determination: true, By: "a"}, `unknown determination "major"`},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "5", By: "a", At: t0.Add(day)}, "lies in the future"},
		{workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "congress-breach-report", By: "a"}, "waits on risk-assessment"},
		{workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "triage", By: "a"}, "already requested"},
		{workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "omb-report"}, "by is required"},
		{workflows.UpdateClose, workflows.CloseInput{By: "a"}, "obligations still open"},
		{workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true}, "reason is required"},
		// Values that used to pass silently (found by a red team), each refused naming the field.
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "a", At: time.Unix(0, 0)}, "before the incident was discovered"},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "a", At: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)}, "at: 0001-01-01"},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "5", By: "a", At: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)}, "before 1970"},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "-5", By: "a"}, "negative"},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "123456789012345678901234567890", By: "a"}, "too large"},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "location", Value: "a\x1b[31mred\x1b[0m", By: "a"}, "escape character"},
		{workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "5", By: "a", Note: strings.Repeat("x", 2001)}, "note"},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "a\r\nBcc: x@evil.example"}, "by"},
		{workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: strings.Repeat("a", 201)}, "at most 200"},
		{workflows.UpdateWaive, workflows.WaiveInput{Obligation: "triage", By: "a", Reason: "ok\x1b]0;pwned\x07"}, "reason"},
		{workflows.UpdateHold, workflows.HoldInput{Obligation: "triage", By: "a", RequestedBy: "FBI", Authority: "AG", Until: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, "until"},
		{workflows.UpdateHold, workflows.HoldInput{Obligation: "triage", By: "a", RequestedBy: "FBI\r\nX", Authority: "AG", Until: t0.Add(day)}, "requested_by"},
		// Only notice to individuals may be delayed (FISMA 2014 sec. 2(d)(2)): never Congress.
		{workflows.UpdateHold, workflows.HoldInput{Obligation: "congress-breach-report", By: "a", RequestedBy: "FBI", Authority: "AG", Until: t0.Add(day)}, "may not be put on hold: FISMA 2014 sec. 2(d)(2)"},
		{workflows.UpdateCorrectDiscovery, workflows.CorrectDiscoveryInput{DiscoveredAt: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), By: "a", Reason: "typo"}, "discovered_at"},
		{workflows.UpdateCorrectDiscovery, workflows.CorrectDiscoveryInput{DiscoveredAt: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), By: "a", Reason: "typo"}, "before 1970"},
		{workflows.UpdateSetContacts, workflows.SetContactsInput{Role: "cisa", Contacts: []playbook.Contact{{Email: "report@cisа.example"}}, By: "a", Reason: "typo"}, "mixes scripts"},
		{workflows.UpdateSetContacts, workflows.SetContactsInput{Role: "cisa", Contacts: []playbook.Contact{{Email: strings.Repeat("a", 65) + "@cisa.example"}}, By: "a", Reason: "typo"}, "64"},
	} {
		h.do(at, c.name, c.arg, c.want)
		at += time.Minute
	}
	h.snapshot(at)
	// Then a valid sequence: complete, try again (already done), force-close with a reason.
	h.do(at+time.Minute, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "a"}, "")
	h.do(at+2*time.Minute, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "triage", By: "a"}, "already done")
	h.do(at+3*time.Minute, workflows.UpdateWaive, workflows.WaiveInput{Obligation: "triage", By: "a", Reason: "x"}, "already done")
	h.do(at+4*time.Minute, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "exercise ended"}, "")
	h.run(in)

	before, after := h.snaps[2*hour], h.snaps[at]
	before.AsOf, after.AsOf = time.Time{}, time.Time{}
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	require.JSONEq(t, string(b), string(a), "refused actions must not change the state")

	var res workflows.IncidentResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	require.True(t, res.Forced)
}

// TestStartRefusesWhatCannotBeComputed: a discovery in year 9999 (deadlines in year 10000 fail to
// marshal; every later action failed) or before 1970, a CRLF in the title (every notice failed to
// render) and an over-long summary are refused at start, naming the field.
func TestStartRefusesWhatCannotBeComputed(t *testing.T) {
	t0 := time.Date(2019, 5, 31, 9, 0, 0, 0, ny)
	for _, c := range []struct {
		name   string
		change func(*workflows.StartIncidentInput)
		want   string
	}{
		{"year 9999", func(in *workflows.StartIncidentInput) { in.DiscoveredAt = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) }, "discovered_at"},
		{"year 0001", func(in *workflows.StartIncidentInput) { in.DiscoveredAt = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC) }, "before 1970"},
		{"CRLF title", func(in *workflows.StartIncidentInput) { in.Title = "Breach\r\nBcc: all@example.com" }, "title"},
		{"long summary", func(in *workflows.StartIncidentInput) { in.Summary = strings.Repeat("x", 10001) }, "summary"},
		{"fact at 0001", func(in *workflows.StartIncidentInput) {
			in.Facts = append(in.Facts, workflows.FactInput{Name: "affected_count", Value: "5", At: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)})
		}, "facts["},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := cbpInput(t, t0)
			c.change(&in)
			require.ErrorContains(t, workflows.ValidateStart(in), c.want)
			// The workflow refuses it too, without retry, instead of wedging.
			h := newHarness(t, t0, nil)
			h.env.ExecuteWorkflow(workflows.WorkflowType, in)
			require.True(t, h.env.IsWorkflowCompleted())
			require.ErrorContains(t, h.env.GetWorkflowError(), c.want)
		})
	}
}

// TestClosedIncidentSaysWhoClosedIt: an action on a closed incident is refused naming who closed
// it and when, not with "workflow execution already completed".
func TestClosedIncidentSaysWhoClosedIt(t *testing.T) {
	t0 := time.Date(2019, 5, 31, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	var err error
	h.do(hour, workflows.UpdateClose, workflows.CloseInput{By: "carol", Force: true, Reason: "drill"}, "")
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.UpdateComplete, "late", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(e error) { err = e }, OnComplete: func(_ any, e error) { err = e },
		}, workflows.CompleteInput{Obligation: "triage", By: "a"})
	}, hour)
	h.run(cbpInput(t, t0))
	require.ErrorContains(t, err, "closed by carol at 2019-05-31T14:00:00Z (forced)")
}

// TestFailedSendIsRetriedAndVisible: a notice whose delivery fails is shown as failing with its
// error and attempt count, retried on a durable timer, and delivered once the transport recovers.
func TestFailedSendIsRetriedAndVisible(t *testing.T) {
	t0 := time.Date(2019, 5, 31, 9, 0, 0, 0, ny)
	flaky := &flakyTransport{failures: 1000}
	h := newHarness(t, t0, flaky)
	flaky.next = &activities.Outbox{Dir: h.outbox}
	in := cbpInput(t, t0)
	h.snapshot(30 * time.Minute)
	h.env.RegisterDelayedCallback(func() {
		flaky.mu.Lock()
		flaky.failures = 0
		flaky.mu.Unlock()
	}, 40*time.Minute)
	h.snapshot(3 * hour)
	h.do(3*hour+time.Minute, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "test over"}, "")
	h.run(in)

	early := h.snaps[30*time.Minute]
	var triage *workflows.NoticeRecord
	for i := range early.Notices {
		if early.Notices[i].Key == "triage/notice" {
			triage = &early.Notices[i]
		}
	}
	require.NotNil(t, triage)
	require.Equal(t, workflows.NoticeFailing, triage.State)
	require.GreaterOrEqual(t, triage.Attempts, 2, "rounds retried on a timer")
	require.Contains(t, triage.LastError, "connection refused")
	require.Equal(t, workflows.NoticeFailing, obligation(early, "triage").NoticeState)

	late := h.snaps[3*hour]
	for _, n := range late.Notices {
		require.Equal(t, workflows.NoticeSent, n.State, "notice %s delivered after the transport recovered", n.Key)
	}
}
