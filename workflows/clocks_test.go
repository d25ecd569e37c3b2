package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// clocksPlaybook has one obligation per clock kind and anchor kind. Every obligation notifies
// only through reminders and escalations, so every send in these tests is a rung.
const clocksPlaybook = `
format: 1
name: clocks
version: "1"
title: Clock test
defaults:
  time_zone: America/New_York
  reminders: [{at_fraction: 0.5}, {before: 1d}, {before: 1h}, {before: 0s}]
  cadence: 2d
  escalation: {to: [boss], every: 6h}
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
  boss: {title: Boss, contacts: [{email: boss@agency.example}]}
facts:
  count: {type: number, title: Count}
determinations:
  go: {title: Go}
obligations:
  - {id: h, title: Hours, citation: test, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 10}}
  - {id: cd, title: Calendar days, citation: test, owner: owner, anchor: discovery, deadline: {clock: calendar_days, amount: 2}}
  - {id: bd, title: Business days, citation: test, owner: owner, anchor: discovery, deadline: {clock: business_days, amount: 2}}
  - {id: mo, title: Months, citation: test, owner: owner, anchor: discovery, deadline: {clock: calendar_months, amount: 1}}
  - {id: none, title: No deadline, citation: test, owner: owner, anchor: discovery, deadline: {clock: none, note: without unreasonable delay}}
  - {id: det, title: Determination, citation: test, owner: owner, anchor: "determination:go", deadline: {clock: hours, amount: 48}}
  - {id: dep, title: After h, citation: test, owner: owner, anchor: "obligation:h", deadline: {clock: calendar_days, amount: 3}}
`

func testInput(t *testing.T, yaml string, discovered time.Time) workflows.StartIncidentInput {
	t.Helper()
	return testInput2(t, yaml, discovered, nil)
}

// testInput2 is testInput with one contact address per role.
func testInput2(t *testing.T, yaml string, discovered time.Time, contacts map[string]string) workflows.StartIncidentInput {
	t.Helper()
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	pb, err := playbook.Parse("test.yaml", []byte(yaml), set)
	require.NoError(t, err)
	in := workflows.StartIncidentInput{
		IncidentID: workflows.NewIncidentID(), Title: "Clock test", DiscoveredAt: discovered,
		Playbook: *pb, StartedBy: "coordinator", Contacts: map[string][]playbook.Contact{},
	}
	for role, email := range contacts {
		in.Contacts[role] = []playbook.Contact{{Email: email}}
	}
	require.NoError(t, workflows.ValidateStart(in))
	return in
}

// TestClocksRemindAndEscalateOnTime asserts the workflow clock at every reminder and escalation
// for each clock kind, for a determination recorded late and then corrected, and for a clock
// anchored on another obligation's completion; and that each fires exactly once.
func TestClocksRemindAndEscalateOnTime(t *testing.T) {
	// Friday 28 June 2024, 09:00 EDT: the business-day clock runs into the 4 July week.
	t0 := time.Date(2024, 6, 28, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	in := testInput(t, clocksPlaybook, t0)
	done := func(at time.Duration, id string) {
		h.do(at, workflows.UpdateComplete, workflows.CompleteInput{Obligation: id, By: "a"}, "")
	}
	det := func(at, effective time.Duration) {
		h.do(at, workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "go", Value: "yes", Determination: true, By: "a", At: t0.Add(effective)}, "")
	}
	h.do(day, workflows.UpdateWaive, workflows.WaiveInput{Obligation: "mo", By: "a", Reason: "not owed here"}, "")
	det(day, 12*hour)      // made 12 h after discovery, recorded a day after: deadline 60 h
	det(30*hour, 6*hour)   // corrected: made at 6 h; deadline moves to 54 h
	done(23*hour, "h")     // 13 hours late
	done(2*day+hour, "cd") // 1 hour late
	done(3*day, "bd")
	done(55*hour, "det")
	done(7*day, "none")
	h.snapshot(31 * hour)
	done(9*day, "dep")
	h.do(9*day+hour, workflows.UpdateClose, workflows.CloseInput{By: "a"}, "")
	h.run(in)

	// hours (10 h): half-way, 1 h before, at the deadline; escalations every 6 h until done at 23 h.
	require.Equal(t, utc(t0.Add(5*hour), t0.Add(9*hour), t0.Add(10*hour)), h.sentMatching("h/reminder/"))
	require.Equal(t, utc(t0.Add(10*hour), t0.Add(16*hour), t0.Add(22*hour)), h.sentMatching("h/escalation/"))

	// calendar days (2 d): half-way and 1 d before coincide and make one reminder.
	require.Equal(t, utc(t0.Add(day), t0.Add(2*day-hour), t0.Add(2*day)), h.sentMatching("cd/reminder/"))
	require.Equal(t, utc(t0.Add(2*day)), h.sentMatching("cd/escalation/"))

	// business days (2): Monday 1 and Tuesday 2 July; the deadline is the end of Tuesday,
	// Wednesday 3 July 00:00 EDT. Done on Monday 1 July 09:00, before the 1-day rung (Tuesday
	// 00:00), so the half-way reminder (Sunday 04:30) is the only one.
	bdDeadline := time.Date(2024, 7, 3, 0, 0, 0, 0, ny)
	window := bdDeadline.Sub(t0)
	require.Equal(t, utc(t0.Add(window/2)), h.sentMatching("bd/reminder/"))
	require.Empty(t, h.sentMatching("bd/escalation/"))

	// calendar months: waived on day 1, before its first rung.
	require.Empty(t, h.sentMatching("mo/"))

	// no fixed deadline: a cadence every 2 days until done on day 7; never an escalation.
	require.Equal(t, daysAfter(t0, 2, 4, 6), h.sentMatching("none/cadence/"))
	require.Empty(t, h.sentMatching("none/escalation/"))

	// A determination recorded late: the clock runs from when it was made (12 h), so deadline 60 h.
	// Corrected at 30 h to 6 h: deadline 54 h; the ladder re-arms — its half-way and 1-day rungs
	// (both at 30 h) collapse into one reminder at once, then 1 h before and at the deadline.
	require.Equal(t, utc(t0.Add(30*hour), t0.Add(53*hour), t0.Add(54*hour)), h.sentMatching("det/reminder/"))
	require.Equal(t, utc(t0.Add(54*hour)), h.sentMatching("det/escalation/"))
	mid := obligation(h.snaps[31*hour], "det")
	require.True(t, mid.AnchorAt.Equal(t0.Add(6*hour)))
	require.True(t, mid.Deadline.Equal(t0.Add(54*hour)))

	// Anchored on h's completion (23 h): 3 calendar days later, the whole ladder (done late, on day 9).
	depDeadline := t0.Add(23*hour).AddDate(0, 0, 3)
	require.Equal(t, utc(t0.Add(23*hour+36*hour), depDeadline.Add(-day), depDeadline.Add(-hour), depDeadline), h.sentMatching("dep/reminder/"))

	for key, at := range h.sendTimes() {
		require.Len(t, at, 1, "rung %s fired %d times", key, len(at))
	}

	var final workflows.Status
	for _, s := range h.steps {
		if s.name == workflows.UpdateClose {
			final = s.status
		}
	}
	require.Equal(t, 13*hour, obligation(final, "h").Late, "lateness frozen at completion")
	require.Equal(t, hour, obligation(final, "cd").Late)
	require.Zero(t, obligation(final, "bd").Late)
	require.Equal(t, hour, obligation(final, "det").Late)
	require.True(t, obligation(final, "bd").Deadline.Equal(bdDeadline))
	require.True(t, obligation(final, "mo").Deadline.Equal(time.Date(2024, 7, 28, 9, 0, 0, 0, ny)))
}

const holdsPlaybook = `
format: 1
name: holds
version: "1"
title: Hold test
defaults:
  time_zone: America/New_York
  reminders: [{at_fraction: 0.5}]
  cadence: 7d
  escalation: {to: [boss], every: 1d}
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
  boss: {title: Boss, contacts: [{email: boss@agency.example}]}
  public: {title: Public, contacts: [{email: notify@agency.example}]}
obligations:
  - id: n
    title: Notify individuals
    citation: test
    owner: owner
    anchor: discovery
    deadline: {clock: hours, amount: 72}
    notice: {template: individual-notice, to: [public], send: manual}
  - {id: m, title: Expiring hold, citation: test, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 24}}
  - {id: k, title: Short, citation: test, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 5}}
`

// TestHoldsPauseTheClock: a hold stops reminders and escalations and pushes the deadline back by
// its length; a reminder asks to re-confirm or release before it expires; re-confirming extends
// it; an unconfirmed hold expires on its own; notices of a held obligation are refused.
// Also: correcting the discovery time moves the clocks anchored on it.
func TestHoldsPauseTheClock(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	in := testInput(t, holdsPlaybook, t0)
	hold := func(at time.Duration, id string, until time.Duration, want string) {
		h.do(at, workflows.UpdateHold, workflows.HoldInput{Obligation: id, By: "a", RequestedBy: "FBI Cyber Division",
			Authority: "request of the Attorney General", Until: t0.Add(until)}, want)
	}
	hold(hour, "m", 5*hour, "")
	h.do(hour+time.Minute, workflows.UpdateHold, workflows.HoldInput{Obligation: "n", By: "a", Until: t0.Add(9 * hour)}, "requested_by")
	h.do(2*hour, workflows.UpdateCorrectDiscovery, workflows.CorrectDiscoveryInput{DiscoveredAt: t0.Add(-hour), By: "a", Reason: "SOC log shows earlier awareness"}, "")
	hold(10*hour, "n", 40*hour, "")
	h.do(15*hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "n", By: "a"}, "on hold")
	hold(20*hour, "n", 60*hour, "") // re-confirmed and extended
	h.snapshot(21 * hour)
	h.do(50*hour, workflows.UpdateRelease, workflows.ReleaseInput{Obligation: "n", By: "a", Note: "investigation no longer at risk"}, "")
	h.do(51*hour, workflows.UpdateRelease, workflows.ReleaseInput{Obligation: "n", By: "a"}, "not on hold")
	h.snapshot(52 * hour)
	h.do(100*hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "n", By: "a"}, "")
	h.do(101*hour, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "n", By: "a"}, "")
	h.do(101*hour+time.Minute, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "test over"}, "")
	h.run(in)

	// Discovery corrected to 1 h earlier: n (72 h) and k (5 h) now run from t0-1h.
	base := t0.Add(-hour)
	// n: on hold from 10 h to 50 h (the hold was extended at 20 h, keeping its start).
	// The re-confirm reminder of the first hold (half-way, 25 h) was superseded by the extension;
	// the extended hold (10 h..60 h, over two days) is reminded a day before it expires, at 36 h.
	require.Equal(t, utc(t0.Add(36*hour)), h.sentMatching("n/hold/"))
	// Its half-way reminder would have been at 35 h from the corrected discovery; on hold then.
	// After 40 h on hold the deadline is 72 + 40 h from discovery, and the half-way rung re-arms.
	nDeadline := base.Add(112 * hour)
	require.Equal(t, utc(base.Add(56*hour)), h.sentMatching("n/reminder/"))
	require.Empty(t, h.sentMatching("n/escalation/"))
	held := obligation(h.snaps[21*hour], "n")
	require.Equal(t, workflows.StateOnHold, held.State)
	require.Equal(t, "FBI Cyber Division", held.Hold.RequestedBy)
	require.True(t, held.Hold.Until.Equal(t0.Add(60*hour)))
	released := obligation(h.snaps[52*hour], "n")
	require.Equal(t, workflows.StateDue, released.State)
	require.Equal(t, 40*hour, released.HeldFor)
	require.True(t, released.Deadline.Equal(nDeadline), "got %s", released.Deadline)

	// m: a 4-hour hold (1 h to 5 h) never re-confirmed: reminder half-way (3 h), expires at 5 h,
	// deadline 24 + 4 h from the corrected discovery... m is anchored on discovery too.
	require.Equal(t, utc(t0.Add(3*hour)), h.sentMatching("m/hold/"))
	mDeadline := base.Add(28 * hour)
	require.Equal(t, utc(mDeadline), h.sentMatching("m/escalation/")[:1])

	// k: 5 h from the corrected discovery = 4 h after t0; overdue then, escalated at once.
	require.Equal(t, utc(t0.Add(4*hour)), h.sentMatching("k/escalation/")[:1])

	for key, at := range h.sendTimes() {
		require.Len(t, at, 1, "%s sent %d times", key, len(at))
	}
}
