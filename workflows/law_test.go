package workflows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

// lawPlaybook exercises implied determinations, earliest-of, notice-delivery and decision
// anchors, a second limit, decisions in conditions, disabled rules and internal targets. Every
// obligation has one reminder, at its deadline, so the workflow clock at that send is the
// deadline.
const lawPlaybook = `
format: 1
name: law
version: "1"
title: Law test
defaults:
  time_zone: America/New_York
  reminders: [{before: 0s}]
  cadence: 30d
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
facts:
  affected_count: {type: number, title: People affected}
  breach_confirmed: {type: bool, title: Breach confirmed}
determinations:
  major_incident:
    title: Major incident
    implied_by: [{fact: affected_count, at_least: 100000}]
  classified: {title: Classified as major (DORA)}
decisions:
  notify_individuals: {title: Notify affected individuals, outcomes: [yes, no]}
  credit_monitoring: {title: Offer credit monitoring}
obligations:
  - {id: congress, title: Notify Congress, citation: 44 U.S.C. 3554(b)(7)(C)(iii)(III)(aa), owner: owner, anchor: "determination:major_incident", deadline: {clock: calendar_days, amount: 7}}
  - id: confirmed
    title: Earliest of two
    citation: test
    owner: owner
    anchor: {earliest: ["determination:major_incident", "fact:breach_confirmed"]}
    deadline: {clock: hours, amount: 48}
  - id: dora
    title: DORA initial report
    citation: Reg. (EU) 2022/2554 Art. 19(4)(a)
    owner: owner
    anchor: "determination:classified"
    deadline: {clock: hours, amount: 4}
    also_due: {anchor: discovery, clock: hours, amount: 24}
  - {id: report, title: Notification, citation: test, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 72}, notice: {template: cisa-report, to: [owner], completes_obligation: true}}
  - {id: final, title: Final report, citation: NIS2 Art. 23(4)(d), owner: owner, anchor: "notice:report", deadline: {clock: calendar_months, amount: 1}}
  - {id: individuals, title: Notify individuals, citation: FISMA 2014 sec. 2(d), owner: owner, anchor: discovery, deadline: {clock: none}, when: [{decision: notify_individuals, not_equals: "no"}]}
  - {id: credit, title: Credit monitoring, citation: policy, owner: owner, anchor: "decision:credit_monitoring", deadline: {clock: calendar_days, amount: 30}, when: [{decision: credit_monitoring, equals: "yes"}]}
  - {id: le, title: Contact law enforcement, citation: internal policy, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 24, kind: internal_target}}
  - {id: circia, title: CIRCIA report, citation: 6 U.S.C. 681b, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 72}, enabled: false}
`

// t0 is a Monday in April 2024, clear of daylight-saving changes.
var lawT0 = time.Date(2024, 4, 1, 9, 0, 0, 0, ny)

func fact(h *harness, at time.Duration, name, value string, known time.Duration) {
	h.do(at, workflows.UpdateRecordFact, workflows.RecordFactInput{Name: name, Value: value, By: "a", At: lawT0.Add(known)}, "")
}

func determine(h *harness, at time.Duration, name string, made time.Duration) {
	h.do(at, workflows.UpdateRecordFact, workflows.RecordFactInput{Name: name, Value: "yes", Determination: true, By: "a", At: lawT0.Add(made)}, "")
}

func closeAt(h *harness, at time.Duration) {
	h.do(at, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "test over"}, "")
}

// TestImpliedDetermination: the count crossing 100,000 is a major incident by definition, at the
// time the crossing value became known; the Congress clock runs from then. A later explicit
// determination does not move it later; an earlier one moves it earlier.
func TestImpliedDetermination(t *testing.T) {
	t.Run("implied, then confirmed later", func(t *testing.T) {
		h := newHarness(t, lawT0, nil)
		fact(h, day, "affected_count", "50000", day)
		h.snapshot(day + hour)
		fact(h, 2*day, "affected_count", "184000", 2*day-3*hour) // known 3 hours before it was typed in
		h.snapshot(2*day + hour)
		determine(h, 3*day, "major_incident", 3*day)
		h.snapshot(3*day + hour)
		closeAt(h, 10*day)
		h.run(testInput(t, lawPlaybook, lawT0))

		require.Equal(t, workflows.StatePending, obligation(h.snaps[day+hour], "congress").State, "below the threshold it stays a human decision")
		require.Empty(t, h.snaps[day+hour].Implied)
		st := h.snaps[2*day+hour]
		require.Len(t, st.Implied, 1)
		require.True(t, st.Implied[0].At.Equal(lawT0.Add(2*day-3*hour)))
		require.Equal(t, "major_incident = true, implied by affected_count = 184000 as of 2024-04-03T10:00:00Z", st.Implied[0].String())
		require.Equal(t, "true", st.Determinations["major_incident"])
		want := lawT0.Add(2*day-3*hour).AddDate(0, 0, 7)
		require.True(t, obligation(st, "congress").Deadline.Equal(want))
		require.True(t, obligation(h.snaps[3*day+hour], "congress").Deadline.Equal(want), "a later determination does not move it")
		require.Equal(t, utc(want), h.sentMatching("congress/reminder/"))
		// The earliest-of anchor takes the implied determination too.
		require.Equal(t, utc(lawT0.Add(2*day-3*hour+48*hour)), h.sentMatching("confirmed/reminder/"))

		var res workflows.IncidentResult
		require.NoError(t, h.env.GetWorkflowResult(&res))
		var implied []workflows.LogEntry
		for _, e := range res.Log {
			if e.Action == workflows.ActionDeterminationImplied {
				implied = append(implied, e)
			}
		}
		require.Len(t, implied, 1)
		require.Equal(t, "affected_count", implied[0].Fact)
		require.Contains(t, implied[0].Detail, "affected_count = 184000 as of 2024-04-03T10:00:00Z")
	})
	t.Run("determined before the count was known", func(t *testing.T) {
		h := newHarness(t, lawT0, nil)
		fact(h, 2*day, "affected_count", "184000", 2*day)
		determine(h, 3*day, "major_incident", day) // made on day 1, recorded on day 3
		closeAt(h, 10*day)
		h.run(testInput(t, lawPlaybook, lawT0))
		require.Equal(t, utc(lawT0.AddDate(0, 0, 8)), h.sentMatching("congress/reminder/"), "the earlier determination governs")
	})
}

// TestAnchorsOfTheLaw: earliest-of anchors, DORA's second limit (4 h from classification, no
// later than 24 h from awareness) and a report chained on another notice's delivery.
func TestAnchorsOfTheLaw(t *testing.T) {
	t.Run("classified at T+10h", func(t *testing.T) {
		h := newHarness(t, lawT0, nil)
		fact(h, 5*hour, "breach_confirmed", "yes", 5*hour)
		determine(h, 10*hour, "classified", 10*hour)
		h.snapshot(11 * hour)
		determine(h, 20*hour, "major_incident", 2*hour) // earlier than the confirmation: the earliest counts
		h.do(30*hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "report", By: "a"}, "")
		h.snapshot(31 * hour)
		closeAt(h, 60*hour)
		h.run(testInput(t, lawPlaybook, lawT0))

		// min(T+10h+4h, T+24h) = T+14h, its own limit.
		require.Equal(t, utc(lawT0.Add(14*hour)), h.sentMatching("dora/reminder/"))
		require.Contains(t, obligation(h.snaps[11*hour], "dora").Limit, "(its own deadline)")
		// Confirmed at 5 h (deadline 53 h), then a determination made at 2 h: 50 h.
		require.Equal(t, utc(lawT0.Add(50*hour)), h.sentMatching("confirmed/reminder/"))
		// The final report runs from the notification's delivery (30 h), a calendar month.
		final := obligation(h.snaps[31*hour], "final")
		require.True(t, final.AnchorAt.Equal(lawT0.Add(30*hour)), "anchor %v", final.AnchorAt)
		require.True(t, final.Deadline.Equal(lawT0.Add(30*hour).AddDate(0, 1, 0)))
		require.Equal(t, workflows.StateDone, obligation(h.snaps[31*hour], "report").State)
	})
	t.Run("classified at T+22h", func(t *testing.T) {
		h := newHarness(t, lawT0, nil)
		determine(h, 22*hour, "classified", 22*hour)
		h.snapshot(23 * hour)
		closeAt(h, 30*hour)
		h.run(testInput(t, lawPlaybook, lawT0))
		// min(T+22h+4h, T+24h) = T+24h: the second limit governs.
		require.Equal(t, utc(lawT0.Add(24*hour)), h.sentMatching("dora/reminder/"))
		require.Equal(t, "24 hours from discovery (also_due)", obligation(h.snaps[23*hour], "dora").Limit)
		require.Equal(t, workflows.StatePending, obligation(h.snaps[23*hour], "final").State, "no notice delivered, no clock")
	})
	t.Run("classified at T+30h", func(t *testing.T) {
		// Classified as major only after the 24 hours from awareness had passed: that limit lay
		// before the clock started, so it does not count (DORA RTS 2025/301 Art. 5(2)): 4 hours
		// from the classification, not overdue from the start.
		h := newHarness(t, lawT0, nil)
		determine(h, 30*hour, "classified", 30*hour)
		h.snapshot(31 * hour)
		closeAt(h, 40*hour)
		h.run(testInput(t, lawPlaybook, lawT0))
		dora := obligation(h.snaps[31*hour], "dora")
		require.True(t, dora.Deadline.Equal(lawT0.Add(34*hour)), "deadline %v", dora.Deadline)
		require.Equal(t, workflows.StateDue, dora.State)
		require.Equal(t, utc(lawT0.Add(34*hour)), h.sentMatching("dora/reminder/"))
	})
}

// TestDecisions: the decide Update refuses what is incomplete; a decision "no" makes the
// obligation conditioned on it not applicable with the rationale as the reason; a later decision
// supersedes and the history stays; a decision anchors a clock.
func TestDecisions(t *testing.T) {
	h := newHarness(t, lawT0, nil)
	decide := func(at time.Duration, in workflows.DecideInput, want string) {
		if in.By == "" {
			in.By = "a"
		}
		h.do(at, workflows.UpdateDecide, in, want)
	}
	decide(hour, workflows.DecideInput{Decision: "notify", Outcome: "no", Rationale: "r"}, `decision: unknown decision "notify": the playbook declares credit_monitoring, notify_individuals`)
	decide(hour, workflows.DecideInput{Decision: "notify_individuals", Outcome: "maybe", Rationale: "r"}, `outcome: "maybe" is not an outcome of notify_individuals: use one of yes, no`)
	decide(hour, workflows.DecideInput{Decision: "notify_individuals", Outcome: "no"}, "rationale is required")
	decide(hour, workflows.DecideInput{Decision: "notify_individuals", Outcome: "no", Rationale: "r", At: lawT0.Add(5 * day)}, "lies in the future")
	decide(hour, workflows.DecideInput{Decision: "notify_individuals", Outcome: "no", Rationale: strings.Repeat("x", 2001)}, "rationale: too long")
	decide(hour, workflows.DecideInput{Decision: "notify_individuals", Outcome: "no", Rationale: "r", Assessment: "a\nb"}, "assessment")
	decide(day, workflows.DecideInput{Decision: "credit_monitoring", Outcome: "yes", Rationale: "SSNs exposed", Assessment: "RA-1", At: lawT0.Add(12 * hour)}, "")
	decide(2*day, workflows.DecideInput{Decision: "notify_individuals", Outcome: "no", Rationale: "low risk of harm", Assessment: "risk-assessment"}, "")
	h.snapshot(2*day + hour)
	h.do(2*day+2*hour, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "individuals", By: "a"}, "does not apply")
	decide(3*day, workflows.DecideInput{Decision: "notify_individuals", Outcome: "yes", Rationale: "new facts: passport numbers", By: "b"}, "")
	h.snapshot(3*day + hour)
	h.do(3*day+2*hour, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "circia", By: "a"}, "is disabled")
	closeAt(h, 40*day)
	h.run(testInput(t, lawPlaybook, lawT0))

	no := obligation(h.snaps[2*day+hour], "individuals")
	require.Equal(t, workflows.StateNotApplicable, no.State)
	require.Equal(t, "decision notify_individuals = no by a: low risk of harm", no.Reason)
	require.Equal(t, workflows.StateDue, obligation(h.snaps[2*day+hour], "credit").State)
	credit := obligation(h.snaps[2*day+hour], "credit")
	require.True(t, credit.AnchorAt.Equal(lawT0.Add(12*hour)), "a decision anchors a clock when it was made")
	require.Equal(t, utc(lawT0.Add(12*hour).AddDate(0, 0, 30)), h.sentMatching("credit/reminder/"))

	st := h.snaps[3*day+hour]
	require.Equal(t, workflows.StateDue, obligation(st, "individuals").State, "superseded by yes: it applies again")
	require.Empty(t, obligation(st, "individuals").Reason)
	require.Len(t, st.Decisions, 2)
	d := st.Decisions[1]
	require.Equal(t, "notify_individuals", d.ID)
	require.Equal(t, "Notify affected individuals", d.Title)
	require.Equal(t, "yes", d.Latest.Outcome)
	require.Equal(t, "b", d.Latest.By)
	require.Len(t, d.History, 2)
	require.Equal(t, "no", d.History[0].Outcome)
	require.Equal(t, "risk-assessment", d.History[0].Assessment)
	require.Equal(t, "RA-1", st.Decisions[0].Latest.Assessment)

	var res workflows.IncidentResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	var decided []string
	for _, e := range res.Log {
		if e.Action == workflows.ActionDecided {
			decided = append(decided, e.Fact+": "+e.Detail)
		}
	}
	require.Equal(t, []string{
		"credit_monitoring: credit_monitoring = yes as of 2024-04-02T01:00:00Z: SSNs exposed (assessment: RA-1)",
		"notify_individuals: notify_individuals = no as of 2024-04-03T13:00:00Z: low risk of harm (assessment: risk-assessment)",
		"notify_individuals: notify_individuals = yes as of 2024-04-04T13:00:00Z: new facts: passport numbers",
	}, decided)
}

// TestDisabledAndInternalTarget: a disabled rule never starts a clock and is listed as disabled;
// an internal target is labelled so in status and in its reminder, never as a legal deadline.
func TestDisabledAndInternalTarget(t *testing.T) {
	h := newHarness(t, lawT0, nil)
	h.snapshot(hour)
	closeAt(h, 2*day)
	h.run(testInput(t, lawPlaybook, lawT0))
	st := h.snaps[hour]
	circia := obligation(st, "circia")
	require.Equal(t, workflows.StateDisabled, circia.State)
	require.True(t, circia.Deadline.IsZero())
	require.Equal(t, workflows.OutcomeDisabled, workflows.Judge(circia, lawT0.Add(hour), false).Outcome)
	require.Empty(t, h.sentMatching("circia/"), "a disabled rule never reminds")
	le := obligation(st, "le")
	require.True(t, le.InternalTarget())
	require.Equal(t, "legal", obligation(st, "congress").DeadlineKind)
	require.Empty(t, obligation(st, "individuals").DeadlineKind, "no fixed deadline: neither")

	require.Equal(t, utc(lawT0.Add(24*hour)), h.sentMatching("le/reminder/"))
	files, err := filepath.Glob(filepath.Join(h.outbox, "*.eml"))
	require.NoError(t, err)
	var reminder string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		if strings.Contains(string(raw), "Contact law enforcement") {
			reminder = string(raw)
		}
	}
	require.Contains(t, reminder, "Internal target (not a legal deadline):")
	require.NotContains(t, reminder, "\nDeadline:")
}
