package workflows_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// digestRun runs DigestWorkflow in the time-skipping environment with the real render and send
// activities, recording every mail and every delivery report sent back to an incident.
type digestRun struct {
	env     *testsuite.TestWorkflowEnvironment
	mu      sync.Mutex
	mails   []sentMail
	reports map[string][]workflows.DigestDelivered
}

type sentMail struct {
	at time.Time
	in activities.SendNoticeInput
}

func newDigestRun(t *testing.T, start time.Time) *digestRun {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(time.Minute)
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	ledger, err := activities.OpenLedger(t.TempDir())
	require.NoError(t, err)
	env.RegisterWorkflow(workflows.DigestWorkflow)
	env.RegisterActivity(&activities.Activities{Templates: set, Transport: &activities.Outbox{Dir: t.TempDir()}, Ledger: ledger, From: "desk@agency.example"})
	r := &digestRun{env: env, reports: map[string][]workflows.DigestDelivered{}}
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		if info.ActivityType.Name != "SendNotice" {
			return
		}
		var in activities.SendNoticeInput
		require.NoError(t, args.Get(&in))
		r.mu.Lock()
		r.mails = append(r.mails, sentMail{at: env.Now(), in: in})
		r.mu.Unlock()
	})
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", workflows.SignalDigestDelivered, mock.Anything).Return(
		func(_, workflowID, _, _ string, arg any) error {
			r.mu.Lock()
			r.reports[workflowID] = append(r.reports[workflowID], arg.(workflows.DigestDelivered))
			r.mu.Unlock()
			return nil
		})
	return r
}

func (r *digestRun) add(at time.Duration, it workflows.DigestItem) {
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(workflows.SignalDigestAdd, it) }, at)
}

func digestItem(incident, title, key string, deadline, at time.Time) workflows.DigestItem {
	return workflows.DigestItem{IncidentID: incident, IncidentTitle: title, NoticeKey: key, Kind: "escalation", ObligationID: "report",
		ObligationTitle: "Report to CISA", Citation: "OMB M-17-12", Deadline: deadline, Label: "escalation 2", At: at,
		SendAt: "09:00", TimeZone: "America/New_York"}
}

// TestDigestOneMailPerDayListsEveryIncident: escalations of two incidents to one person go out as
// one mail at the digest's time of day, listing both; a repeated hand-off is listed once; the
// next day's escalation goes in the next day's mail; an item withdrawn before its digest is not
// mailed; every incident hears which of its escalations went out in which mail.
func TestDigestOneMailPerDayListsEveryIncident(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 10, 0, 0, 0, ny)
	r := newDigestRun(t, t0)
	const incA, incB = "INC-aaaaaaaa-0000-4000-8000-000000000001", "INC-bbbbbbbb-0000-4000-8000-000000000002"
	deadline := t0.Add(-2 * day)
	a2 := digestItem(incA, "Email <script>alert(1)</script> breach", "report/escalation/1/2", deadline, t0)
	b2 := digestItem(incB, "Vendor breach", "report/escalation/7/2", deadline, t0.Add(hour))
	a3 := digestItem(incA, a2.IncidentTitle, "report/escalation/1/3", deadline, t0.Add(day+2*hour))
	a3.Label = "escalation 3"
	c := digestItem(incB, "Vendor breach", "other/escalation/7/2", deadline, t0.Add(day+3*hour))
	c.ObligationID, c.ObligationTitle = "other", "Withdrawn obligation"
	r.add(0, a2)
	r.add(hour, b2)
	r.add(2*hour, a2) // a retried hand-off
	r.add(day+2*hour, a3)
	r.add(day+3*hour, c)
	r.env.RegisterDelayedCallback(func() {
		r.env.SignalWorkflow(workflows.SignalDigestRetract, workflows.DigestRetraction{IncidentID: incB, NoticeKey: c.NoticeKey, Reason: "done"})
	}, day+4*hour)
	r.env.ExecuteWorkflow(workflows.DigestWorkflow, workflows.DigestInput{Recipient: "Chief <CISO@agency.example>"})
	require.True(t, r.env.IsWorkflowCompleted())
	require.NoError(t, r.env.GetWorkflowError())
	var res workflows.DigestResult
	require.NoError(t, r.env.GetWorkflowResult(&res))
	require.Equal(t, workflows.DigestResult{Sent: 2, Items: 3}, res)

	day1 := time.Date(2024, 3, 5, 9, 0, 0, 0, ny)
	day2 := day1.AddDate(0, 0, 1)
	require.Len(t, r.mails, 2)
	first, second := r.mails[0], r.mails[1]
	require.True(t, first.at.Equal(day1), "first digest at %s, want %s", first.at, day1)
	require.True(t, second.at.Equal(day2), "second digest at %s, want %s", second.at, day2)
	require.Equal(t, workflows.DigestMessageID("ciso@agency.example", day1), first.in.MessageID)
	require.NotEqual(t, first.in.MessageID, second.in.MessageID)
	require.NotContains(t, first.in.MessageID, "agency.example", "no address in a Message-ID")
	require.Equal(t, []string{"Chief <CISO@agency.example>"}, first.in.To)

	text := first.in.Notice.Text
	require.Contains(t, first.in.Notice.Subject, "2 open obligations in 2 incidents")
	require.Equal(t, 1, strings.Count(text, "["+incA+"]"), "item a2 listed once:\n%s", text)
	require.Equal(t, 1, strings.Count(text, "["+incB+"]"), text)
	require.NotContains(t, first.in.Notice.HTML, "<script>", "untrusted titles are escaped")
	require.Contains(t, first.in.Notice.HTML, "&lt;script&gt;")
	require.Contains(t, second.in.Notice.Text, "escalation 3")
	require.NotContains(t, second.in.Notice.Text, "Withdrawn obligation")
	require.Contains(t, second.in.Notice.Subject, "1 open obligation in 1 incident")

	require.Equal(t, []workflows.DigestDelivered{
		{NoticeKeys: []workflows.NoticeKey{"report/escalation/1/2"}, MessageID: first.in.MessageID, SentAt: day1, Transport: "outbox"},
		{NoticeKeys: []workflows.NoticeKey{"report/escalation/1/3"}, MessageID: second.in.MessageID, SentAt: day2, Transport: "outbox"},
	}, clearReceipts(r.reports[incA]))
	require.Equal(t, []workflows.DigestDelivered{
		{NoticeKeys: []workflows.NoticeKey{"report/escalation/7/2"}, MessageID: first.in.MessageID, SentAt: day1, Transport: "outbox"},
	}, clearReceipts(r.reports[incB]))
}

func clearReceipts(ds []workflows.DigestDelivered) []workflows.DigestDelivered {
	out := make([]workflows.DigestDelivered, len(ds))
	for i, d := range ds {
		d.Receipt = ""
		d.SentAt = d.SentAt.In(ny)
		out[i] = d
	}
	return out
}

// TestDigestIDHidesTheAddress: the digest's workflow ID is the same for every spelling of an
// address and carries none of it.
func TestDigestIDHidesTheAddress(t *testing.T) {
	id := workflows.DigestWorkflowID("Chief <CISO@Agency.example>")
	require.Equal(t, id, workflows.DigestWorkflowID("ciso@agency.example"))
	require.NotEqual(t, id, workflows.DigestWorkflowID("cio@agency.example"))
	require.True(t, strings.HasPrefix(id, workflows.DigestIDPrefix))
	require.NotContains(t, strings.ToLower(id), "ciso")
}

// collectSink is a DigestSink that keeps what it is handed, for tests of the incident's side.
type collectSink struct {
	mu       sync.Mutex
	now      func() time.Time
	added    []sinkCall
	retracts []sinkCall
}

type sinkCall struct {
	at        time.Time
	recipient string
	key       string
}

func (s *collectSink) Add(_ context.Context, recipient string, it activities.DigestItem) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.added = append(s.added, sinkCall{s.now(), recipient, it.NoticeKey})
	return nil
}

func (s *collectSink) Retract(_ context.Context, recipient string, r activities.DigestRetraction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retracts = append(s.retracts, sinkCall{s.now(), recipient, r.NoticeKey})
	return nil
}

// digestOn gives the paced playbook a daily digest at 09:00.
func digestOn() string {
	return strings.Replace(pacedPlaybook, "  reminders: []\n", "  reminders: []\n  digest: {at: \"09:00\", time_zone: America/New_York}\n", 1)
}

// TestEscalationGoesToDigest: with a digest, the first escalation of a deadline is mailed at once
// and every repeat is handed to the recipients' digests exactly once, at its rung time; a digest's
// delivery report marks it sent with the digest's Message-ID; once the obligation is done, the
// escalation still waiting in a digest is withdrawn.
func TestEscalationGoesToDigest(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	deadline := t0.Add(hour)
	sink := &collectSink{}
	h := newHarnessWith(t, t0, nil, sink)

	// Rung 2 falls at deadline+1d; a digest reports it delivered the next morning.
	const msgID = "<digest.test@breachflow>"
	key2 := workflows.NoticeKey("report/escalation/" + strconv.FormatInt(deadline.Unix(), 10) + "/2")
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalDigestDelivered, workflows.DigestDelivered{NoticeKeys: []workflows.NoticeKey{key2}, MessageID: msgID, SentAt: h.env.Now(), Transport: "outbox"})
	}, day+23*hour)
	h.snapshot(day + 23*hour + time.Minute)
	// Rung 3 falls at deadline+2d (10:00); the work is done at 12:00, before the next digest.
	h.do(2*day+3*hour, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "report", By: "a"}, "")
	h.snapshot(2*day + 3*hour + time.Minute)
	h.do(3*day, workflows.UpdateClose, workflows.CloseInput{By: "a"}, "")
	h.run(testInput(t, digestOn(), t0))

	require.Equal(t, utc(deadline), h.sentMatching("report/escalation/"), "only the first escalation is mailed on its own")
	key3 := "report/escalation/" + strconv.FormatInt(deadline.Unix(), 10) + "/3"
	want := []sinkCall{
		{deadline.Add(day), "boss@agency.example", string(key2)}, {deadline.Add(day), "owner@agency.example", string(key2)},
		{deadline.Add(2 * day), "boss@agency.example", key3}, {deadline.Add(2 * day), "owner@agency.example", key3},
	}
	require.Equal(t, normalizeCalls(want), normalizeCalls(sink.added), "each repeat handed over exactly once, to each recipient")
	done := t0.Add(2*day + 3*hour)
	require.Equal(t, normalizeCalls([]sinkCall{{done, "boss@agency.example", key3}, {done, "owner@agency.example", key3}}),
		normalizeCalls(sink.retracts), "the waiting escalation is withdrawn once the work is done")

	st := h.snaps[day+23*hour+time.Minute]
	n := noticeByKey(t, st, key2)
	require.Equal(t, workflows.NoticeSent, n.State)
	require.Equal(t, msgID, n.MessageID)
	n = noticeByKey(t, h.snaps[2*day+3*hour+time.Minute], workflows.NoticeKey(key3))
	require.Equal(t, workflows.NoticeWithdrawn, n.State)
}

// TestEscalationWithoutDigestUnchanged: a playbook without a digest mails every escalation on its
// own and hands nothing to a digest.
func TestEscalationWithoutDigestUnchanged(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	sink := &collectSink{}
	h := newHarnessWith(t, t0, nil, sink)
	h.do(3*day, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "test over"}, "")
	h.run(testInput(t, pacedPlaybook, t0))
	require.Len(t, h.sentMatching("report/escalation/"), 3)
	require.Empty(t, sink.added)
}

func TestDigestTimeIsChecked(t *testing.T) {
	_, err := parsePlaybook(strings.Replace(digestOn(), `"09:00"`, `"9am"`, 1))
	require.ErrorContains(t, err, "defaults.digest.at")
	_, err = parsePlaybook(strings.Replace(digestOn(), "time_zone: America/New_York", "time_zone: Mars/Olympus", 1))
	require.ErrorContains(t, err, "defaults.digest.time_zone")
}

func normalizeCalls(cs []sinkCall) []sinkCall {
	out := make([]sinkCall, len(cs))
	for i, c := range cs {
		c.at = c.at.UTC()
		out[i] = c
	}
	return out
}

func noticeByKey(t *testing.T, st workflows.Status, key workflows.NoticeKey) workflows.NoticeRecord {
	t.Helper()
	for _, n := range st.Notices {
		if n.Key == key {
			return n
		}
	}
	t.Fatalf("no notice %s in the status", key)
	return workflows.NoticeRecord{}
}

const cadenceDigestPlaybook = `
format: 1
name: cadence
version: "1"
title: A duty without a fixed deadline
defaults:
  reminders: []
  cadence: 1d
  digest: {at: "09:00", time_zone: America/New_York}
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
obligations:
  - {id: watch, title: Monitor the dark web, citation: test, owner: owner, anchor: discovery, deadline: {clock: none}}
`

// TestCadenceReminderGoesToDigest: a duty without a fixed deadline is brought up daily; the first
// reminder is mailed, the next ones are handed to the owner's digest — and stay there while the
// duty is open (it is never "overdue") — until it is done: the one still waiting is withdrawn.
func TestCadenceReminderGoesToDigest(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 10, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	h.snapshot(3*day + hour)
	h.do(3*day+2*hour, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "watch", By: "a"}, "")
	h.snapshot(3*day + 3*hour)
	h.do(4*day, workflows.UpdateClose, workflows.CloseInput{By: "a"}, "")
	h.run(testInput(t, cadenceDigestPlaybook, t0))

	require.Equal(t, utc(t0.Add(day)), h.sentMatching("watch/cadence/"))
	require.Equal(t, utc(t0.Add(2*day), t0.Add(3*day)), h.handedMatching("watch/cadence/"))
	states := func(st workflows.Status) map[string]string {
		m := map[string]string{}
		for _, n := range st.Notices {
			_, rung, _ := workflows.ParseNoticeKey(n.Key)
			m[rung[strings.LastIndex(rung, "/")+1:]] = n.State
		}
		return m
	}
	require.Equal(t, map[string]string{"1": workflows.NoticeSent, "2": workflows.NoticeInDigest, "3": workflows.NoticeInDigest},
		states(h.snaps[3*day+hour]), "open duty: its reminders wait in the digest")
	require.Equal(t, map[string]string{"1": workflows.NoticeSent, "2": workflows.NoticeWithdrawn, "3": workflows.NoticeWithdrawn},
		states(h.snaps[3*day+3*hour]), "done: the reminders still waiting are withdrawn")
	h.sink.mu.Lock()
	defer h.sink.mu.Unlock()
	require.Len(t, h.sink.retracts, 2)
}
