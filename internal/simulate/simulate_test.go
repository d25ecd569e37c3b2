package simulate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/chart"
	"github.com/breachflow/breachflow/internal/simulate"
	"github.com/breachflow/breachflow/workflows"
)

// ny is the playbook's zone; every expected time below is written in it.
var ny = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

func at(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, ny) }

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// TestCBP2019 simulates scenarios/cbp-2019.yaml and checks every obligation against expectations
// derived by hand from templates/playbooks/us-federal-breach.yaml (2026.3, the model branch's
// syntax: implied_by, decisions, kinds, the us-federal-dc calendar) and the scenario's dates.
// The scenario tells no more than the sources: no count of people (184,000 is a count of images;
// "fewer than 100,000" is kept as a statement), the major-incident determination "later in 2019"
// (known_by the first instant of 2020, not 21 September 2020, the date of the OIG report), no date
// for a report to CISA ("on time" concerns DHS's internal process), the decision not to notify not
// on the record (GAO), how CBP learned not public.
//
// Dates: discovery Friday 31 May 2019 09:00 EDT (UTC-4); the statement of Monday 10 June 2019 at
// 18:00 EDT, which also bounds the "by 10 June" items (known_by); the determination bound Wednesday
// 1 January 2020 00:00 EST (UTC-5); the end Saturday 31 October 2020 00:00 EDT (DST ended on 1
// November 2020). 2020 is a leap year.
//
//   - triage (internal target): discovery + 24 h = Sat 1 Jun 2019 09:00; no event → missed. 1 Jun
//     2019 09:00 → 1 Jun 2020 09:00 is 366 days, → 31 Oct 2020 09:00 is 30+31+31+30+30 = 152 more:
//     518 days; the end is 9 hours earlier: 517 days 15 hours.
//   - contractor-report (HSAR 3052.204-72(c), PII: 1 hour): anchor fact:contractor_discovered_at,
//     a date fact: the clock runs from its VALUE, 13 May 2019 00:00 EDT (the start of the day the
//     press gives), not from when it was recorded; no contractor report is on the record → missed
//     (whether the subcontractor reported late or never, the hour was missed). Lateness below.
//   - contractor-report-non-pii: PII is involved → not applicable.
//   - contractor-report-details: runs from the contractor's report, which never happened → not started.
//   - cisa-report: discovery + 1 h = 31 May 10:00; an undated completion with no bound (no source
//     gives a date) → undecided without bound.
//   - risk-assessment: applies (pii_involved true), no fixed deadline, never done (GAO) → not done.
//   - major-incident-determination: anchor discovery, no fixed deadline; done "later in 2019",
//     known_by 1 Jan 2020 00:00 EST → met, done by then.
//   - omb-report (report of the major incident to CISA, 1 h): its anchor, the determination, is
//     undated with known_by 1 Jan 2020 00:00 EST, so its deadline was 01:00 EST at the latest;
//     never done → missed by at least: 1 Jan 2020 01:00 EST (06:00 UTC) → 31 Oct 2020 00:00 EDT
//     (04:00 UTC): 304 days less 2 hours = 303 days 22 hours.
//   - omb-notified: runs from the report to CISA, which never happened → not started.
//   - congress-notice: determination + 7 calendar days = 8 Jan 2020 00:00 EST at the latest; never
//     done → missed by at least 297 days less 1 hour = 296 days 23 hours (8 Jan 05:00 UTC → 31 Oct
//     04:00 UTC).
//   - congress-supplement: runs from the notice to Congress → not started.
//   - congress-breach-report (FISMA 2014 sec. 2(d)): discovery + 30 calendar days = Sun 30 Jun 2019
//     09:00. Congress was alerted by 10 Jun 18:00 (known_by) ≤ deadline → met, done by 10 Jun 18:00;
//     the missing risk assessment is called out.
//   - breach-response-team and annual-fisma-report: run from the undated determination, no fixed
//     deadline, never done → not done.
//   - ig-gc-informed: from discovery, no fixed deadline, no event → not done.
//   - credit-monitoring-decision: runs from the risk assessment, never done → not started.
//   - law-enforcement (internal target): discovery + 24 h = 1 Jun 09:00; done by 10 Jun 18:00 >
//     deadline → undecided (public-statement depends on it: the simulation records it at its bound).
//   - opr-referral (internal target): 3 business days from Friday 31 May: the anchor's own day never
//     counts; Sat 1 and Sun 2 June are skipped; Mon 3, Tue 4, Wed 5 → end of Wednesday 5 June = Thu
//     6 Jun 2019 00:00. Done by 10 Jun 18:00 > deadline → undecided.
//   - equipment-removal (internal target): discovery + 48 h = Sun 2 Jun 09:00; done by 10 Jun 18:00
//     → undecided.
//   - subcontractor-monitoring (vendor_involved true) and dark-web-monitoring: no fixed deadline,
//     done by 10 Jun 18:00 → met.
//   - public-statement: no fixed deadline; done 10 Jun 2019 18:00 → met.
//   - individual-notice: FISMA 2014 sec. 2(d)(1)(B) runs from DISCOVERY; no fixed deadline; the
//     decision not to notify is not on the record → not done, open for 518 days 15 hours (31 May
//     09:00 → 31 Oct 2020 09:00 is 519 days, less 9 hours).
//   - response-closed: from discovery, never recorded → not done; after-action (internal target,
//     30 days from the close of the response) → not started.
func TestCBP2019(t *testing.T) {
	s, err := simulate.Load("../../scenarios/cbp-2019.yaml", "")
	require.NoError(t, err)
	outbox := t.TempDir()
	rep, err := simulate.Run(context.Background(), s, simulate.Options{OutboxDir: outbox})
	require.NoError(t, err)

	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	t.Log("\n" + text.String())

	discovery := at(2019, 5, 31, 9, 0)
	statement := at(2019, 6, 10, 18, 0)
	in2019 := at(2020, 1, 1, 0, 0) // the determination's bound: "later in 2019"
	type want struct {
		id       string
		outcome  workflows.Outcome
		anchor   time.Time
		deadline time.Time
		doneAt   time.Time
		doneBy   time.Time
		late     time.Duration
		label    string
	}
	for _, w := range []want{
		{id: "triage", outcome: workflows.OutcomeMissed, anchor: discovery, deadline: at(2019, 6, 1, 9, 0), late: 517*day + 15*hour, label: "overdue by 517 days 15 hours"},
		// Anchored on the VALUE of contractor_discovered_at (13 May 2019, the start of the day the
		// press gives): 1 hour → 13 May 01:00, before the agency even knew. 13 May 2019 01:00 → 13 May
		// 2020 01:00 is 366 days, → 13 Oct 2020 01:00 is 31+30+31+31+30 = 153 more: 519 days; → 31 Oct
		// 2020 00:00 is 17 days 23 hours more: 536 days 23 hours.
		{id: "contractor-report", outcome: workflows.OutcomeMissed, anchor: at(2019, 5, 13, 0, 0), deadline: at(2019, 5, 13, 1, 0), late: 536*day + 23*hour},
		{id: "contractor-report-non-pii", outcome: workflows.OutcomeNotApplicable},
		{id: "contractor-report-details", outcome: workflows.OutcomeNotStarted},
		{id: "cisa-report", outcome: workflows.OutcomeUndecided, anchor: discovery, deadline: at(2019, 5, 31, 10, 0)},
		{id: "risk-assessment", outcome: workflows.OutcomeNotDone, anchor: discovery},
		{id: "major-incident-determination", outcome: workflows.OutcomeMet, anchor: discovery, doneBy: in2019},
		{id: "omb-report", outcome: workflows.OutcomeMissed, late: 303*day + 22*hour, label: "missed by at least 303 days 22 hours"},
		{id: "omb-notified", outcome: workflows.OutcomeNotStarted},
		{id: "congress-notice", outcome: workflows.OutcomeMissed, late: 296*day + 23*hour, label: "missed by at least 296 days 23 hours"},
		{id: "congress-supplement", outcome: workflows.OutcomeNotStarted},
		{id: "congress-breach-report", outcome: workflows.OutcomeMet, anchor: discovery, deadline: at(2019, 6, 30, 9, 0), doneBy: statement},
		{id: "breach-response-team", outcome: workflows.OutcomeNotDone},
		{id: "ig-gc-informed", outcome: workflows.OutcomeNotDone, anchor: discovery},
		{id: "credit-monitoring-decision", outcome: workflows.OutcomeNotStarted},
		{id: "law-enforcement", outcome: workflows.OutcomeUndecided, anchor: discovery, deadline: at(2019, 6, 1, 9, 0), doneBy: statement},
		{id: "opr-referral", outcome: workflows.OutcomeUndecided, anchor: discovery, deadline: at(2019, 6, 6, 0, 0), doneBy: statement},
		{id: "equipment-removal", outcome: workflows.OutcomeUndecided, anchor: discovery, deadline: at(2019, 6, 2, 9, 0), doneBy: statement},
		{id: "subcontractor-monitoring", outcome: workflows.OutcomeMet, anchor: discovery, doneBy: statement},
		{id: "dark-web-monitoring", outcome: workflows.OutcomeMet, anchor: discovery, doneBy: statement},
		{id: "public-statement", outcome: workflows.OutcomeMet, anchor: discovery, doneAt: statement},
		{id: "individual-notice", outcome: workflows.OutcomeNotDone, anchor: discovery, label: "not done, open for 518 days 15 hours (no fixed deadline)"},
		{id: "response-closed", outcome: workflows.OutcomeNotDone, anchor: discovery},
		{id: "after-action", outcome: workflows.OutcomeNotStarted},
		{id: "annual-fisma-report", outcome: workflows.OutcomeNotDone},
	} {
		o := rep.Obligation(w.id)
		require.NotNil(t, o, w.id)
		require.Equal(t, w.outcome, o.Outcome, "%s: %s", w.id, o.Detail)
		require.True(t, o.AnchorAt.Equal(w.anchor), "%s anchor: got %s, want %s", w.id, o.AnchorAt, w.anchor)
		require.True(t, o.Deadline.Equal(w.deadline), "%s deadline: got %s, want %s", w.id, o.Deadline, w.deadline)
		require.True(t, o.DoneAt.Equal(w.doneAt), "%s done at: got %s, want %s", w.id, o.DoneAt, w.doneAt)
		require.True(t, o.DoneBy.Equal(w.doneBy), "%s done by: got %s, want %s", w.id, o.DoneBy, w.doneBy)
		require.Equal(t, w.late, o.Late, "%s late", w.id)
		if w.label != "" {
			require.Equal(t, w.label, o.Label, w.id)
		}
		if !w.doneBy.IsZero() {
			require.True(t, o.DoneDateUnknown, "%s: its date is not public", w.id)
			require.Zero(t, o.DoneAt, "%s: no invented completion time", w.id)
		}
	}
	require.Len(t, rep.Obligations, 25)
	require.Equal(t, map[workflows.Outcome]int{
		workflows.OutcomeMet: 5, workflows.OutcomeMissed: 4, workflows.OutcomeUndecided: 4,
		workflows.OutcomeNotStarted: 5, workflows.OutcomeNotDone: 6, workflows.OutcomeNotApplicable: 1,
	}, rep.Counts)

	// The wording the brief asks for.
	require.Equal(t, "met if done before Thu 2019-06-06 00:00 EDT; the sources only say by Mon 2019-06-10 18:00 EDT (source [2]: CBP statement, 10 June 2019)",
		rep.Obligation("opr-referral").Detail)
	require.Contains(t, rep.Obligation("congress-breach-report").Detail, "done by Mon 2019-06-10 18:00 EDT (source [6]")
	require.Contains(t, rep.Obligation("congress-breach-report").Detail, "wants risk-assessment done first", "the missing risk assessment is called out")
	require.Contains(t, rep.Obligation("cisa-report").Detail, "the sources give no date")
	require.Contains(t, rep.Obligation("law-enforcement").Detail, "recorded in the simulation at that bound because complete public-statement (event [9])")
	require.NotEmpty(t, rep.Obligation("individual-notice").Notes, "the GAO note is attached")
	require.NotEmpty(t, rep.Obligation("risk-assessment").Notes, "the GAO note is attached")
	require.NotEmpty(t, rep.Obligation("contractor-report").Notes, "the two discovery dates are explained")
	// The determination's clocks are judged from its bound, never from the OIG report's date.
	for _, id := range []string{"omb-report", "congress-notice"} {
		o := rep.Obligation(id)
		require.True(t, o.AnchorBy.Equal(in2019), "%s: anchored by the end of 2019, got %s", id, o.AnchorBy)
		require.Contains(t, o.Detail, "happened by Wed 2020-01-01 00:00 EST at the latest (event [10])")
	}
	require.True(t, rep.Obligation("omb-report").DeadlineBy.Equal(at(2020, 1, 1, 1, 0)))
	require.True(t, rep.Obligation("congress-notice").DeadlineBy.Equal(at(2020, 1, 8, 0, 0)))
	// No count of people crosses 100,000: the count is kept as the source states it.
	require.NotContains(t, text.String(), "184000")

	// Events: undated ones are not performed, except law-enforcement, recorded at its bound because
	// the dated public statement depends on it; every dated one is accepted.
	for _, e := range rep.Events {
		switch {
		case e.Index == 1:
			require.Equal(t, simulate.ResultRecordedAtBound, e.Result, e.Message)
		case e.AtUnknown:
			require.Equal(t, simulate.ResultNotPerformed, e.Result, "event %d", e.Index)
		default:
			require.Equal(t, simulate.ResultPerformed, e.Result, "event %d: %s", e.Index, e.Message)
		}
	}
	require.Contains(t, rep.Events[10].Message, "congress-notice: missed by at least", "an undated determination says what it decides")

	// The workflow continued as new along the way, carrying its state; the notices are kept.
	require.Greater(t, rep.Runs, 1)
	files, err := filepath.Glob(filepath.Join(outbox, "*.eml"))
	require.NoError(t, err)
	require.Len(t, files, rep.NoticesSent)
	require.Equal(t, outbox, rep.Outbox)

	// The JSON form carries the same judgement.
	var buf bytes.Buffer
	require.NoError(t, rep.WriteJSON(&buf))
	var back simulate.Report
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	require.Equal(t, workflows.OutcomeUndecided, back.Obligation("opr-referral").Outcome)
	require.True(t, back.Obligation("opr-referral").Deadline.Equal(at(2019, 6, 6, 0, 0)))

	checkChart(t, rep, statement, in2019)
}

// checkChart checks the CBP-2019 simulation's timeline chart: the report's judgement drawn over
// the workflow's status and record, bounds drawn as bounds, the HTML page holding it, and the
// committed picture in docs/ (shown in the README) still being what the simulation draws.
func checkChart(t *testing.T, rep *simulate.Report, statement, in2019 time.Time) {
	tl := rep.Chart()
	require.Len(t, tl.Rows, len(rep.Obligations))
	require.Equal(t, simulate.AsOfSimulated, tl.AsOfLabel)
	require.True(t, tl.AsOf.Equal(rep.End))
	rows := map[string]chart.Row{}
	for i, row := range tl.Rows {
		require.Equal(t, rep.Obligations[i].ID, row.ID, "rows in the report's order")
		require.Equal(t, rep.Obligations[i].Outcome, row.Outcome, row.ID)
		require.Equal(t, rep.Obligations[i].Label, row.Label, row.ID)
		rows[row.ID] = row
	}
	// Completions the sources date only as "by …" are bounds, never instants.
	for _, id := range []string{"subcontractor-monitoring", "opr-referral", "major-incident-determination"} {
		require.True(t, rows[id].DoneBound, id)
	}
	require.True(t, rows["subcontractor-monitoring"].DoneAt.Equal(statement))
	require.True(t, rows["omb-report"].AnchorBound)
	require.True(t, rows["omb-report"].AnchorAt.Equal(in2019))
	require.False(t, rows["public-statement"].DoneBound, "a dated completion is an instant")
	require.True(t, rows["public-statement"].DoneAt.Equal(statement))
	require.NotEmpty(t, rows["risk-assessment"].Ticks, "the record's reminders")

	svg := tl.SVG()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the chart is well-formed XML")
	}
	require.Equal(t, len(rep.Obligations), strings.Count(svg, `<g class="tl-row" `))

	var page bytes.Buffer
	require.NoError(t, rep.WriteHTML(&page))
	html := page.String()
	require.Contains(t, html, svg, "the page holds the chart as drawn")
	require.NotContains(t, html, "<script")
	require.NotContains(t, html, "src=", "nothing external")
	require.Contains(t, html, "<td>opr-referral</td>")

	docs, err := os.ReadFile("../../docs/cbp-2019-timeline.svg")
	require.NoError(t, err)
	if string(docs) != svg {
		t.Errorf("docs/cbp-2019-timeline.svg (shown in the README) is not what the simulation draws today: regenerate it with\n" +
			"  go run ./starter simulate scenarios/cbp-2019.yaml --chart docs/cbp-2019-timeline.svg")
	}
}

// examplesIncident is the absolute path of the example incident file, for scenarios written to
// temporary folders.
func examplesIncident(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../examples/cbp-2019.yaml")
	require.NoError(t, err)
	return p
}

func writeScenario(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func header(t *testing.T) string {
	return "title: test\nincident: " + examplesIncident(t) + "\ndiscovered_at: 2019-05-31T09:00:00-04:00\nend: 2019-06-30T00:00:00-04:00\n"
}

// TestRefusedAndUndatedEvents runs a short scenario: refused updates are reported with the
// validator's message, not a crash; an undated completion without known_by is undecided without
// bound; a hold moves a deadline; the temporary outbox is deleted.
func TestRefusedAndUndatedEvents(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	path := writeScenario(t, `title: refusals
incident: `+examplesIncident(t)+`
discovered_at: 2019-05-31T09:00:00-04:00
end: 2019-06-03T12:00:00-04:00
events:
  - {at: 2019-05-31T09:30:00-04:00, action: send, obligation: cisa-report}
  - {at: 2019-05-31T10:00:00-04:00, action: waive, obligation: triage}
  - {at: unknown, action: complete, obligation: law-enforcement, source: a source without a date}
  - {at: 2019-05-31T12:00:00-04:00, action: complete, obligation: public-statement}
  - {at: 2019-05-31T12:00:00-04:00, action: hold, obligation: opr-referral, requested_by: FBI Cyber Division,
     authority: request of the Attorney General, until: 2019-06-01T12:00:00-04:00}
  - {at: 2019-05-31T20:00:00-04:00, action: complete, obligation: triage, by: coordinator}
  - {at: 2019-06-02T10:00:00-04:00, action: complete, obligation: equipment-removal}
  - {at: 2019-06-03T09:00:00-04:00, action: fact, name: affected_count, value: many}
`)
	s, err := simulate.Load(path, "")
	require.NoError(t, err)
	require.True(t, s.Events[2].AtUnknown)
	require.Zero(t, s.Events[2].KnownBy, "at: unknown without known_by is allowed")
	rep, err := simulate.Run(context.Background(), s, simulate.Options{})
	require.NoError(t, err)

	results := map[int]simulate.EventReport{}
	for _, e := range rep.Events {
		results[e.Index] = e
	}
	require.Equal(t, simulate.ResultPerformed, results[0].Result)
	require.Equal(t, simulate.ResultRefused, results[1].Result)
	require.Contains(t, results[1].Message, "reason is required to waive an obligation")
	require.Equal(t, simulate.ResultNotPerformed, results[2].Result)
	require.Equal(t, simulate.ResultRefused, results[3].Result, "no bound says law enforcement was done by then")
	require.Contains(t, results[3].Message, "obligation \"public-statement\" waits on law-enforcement")
	require.Equal(t, simulate.ResultPerformed, results[4].Result)
	require.Equal(t, simulate.ResultPerformed, results[5].Result)
	require.Equal(t, simulate.ResultPerformed, results[6].Result)
	require.Equal(t, simulate.ResultRefused, results[7].Result)
	require.Contains(t, results[7].Message, "is not a number")

	// The CISA report's notice completes it when delivered, at once on the workflow clock.
	cisa := rep.Obligation("cisa-report")
	require.Equal(t, workflows.OutcomeMet, cisa.Outcome, cisa.Detail)
	require.True(t, cisa.DoneAt.Equal(at(2019, 5, 31, 9, 30)))
	// Triage: the waiver was refused, the completion at 20:00 is within 24 hours.
	triage := rep.Obligation("triage")
	require.Equal(t, workflows.OutcomeMet, triage.Outcome)
	require.True(t, triage.DoneAt.Equal(at(2019, 5, 31, 20, 0)))
	// Undated, no bound: undecided, and no date is invented.
	le := rep.Obligation("law-enforcement")
	require.Equal(t, workflows.OutcomeUndecided, le.Outcome)
	require.Equal(t, "met if done before Sat 2019-06-01 09:00 EDT; the sources give no date (source [2]: a source without a date)", le.Detail)
	require.True(t, le.DoneDateUnknown)
	require.Zero(t, le.DoneBy)
	require.Zero(t, le.DoneAt)
	// The refused statement is not done.
	require.Equal(t, workflows.OutcomeNotDone, rep.Obligation("public-statement").Outcome)
	// Equipment removed an hour after its 48-hour deadline (Sunday 2 June 09:00).
	eq := rep.Obligation("equipment-removal")
	require.Equal(t, workflows.OutcomeMissed, eq.Outcome)
	require.Equal(t, hour, eq.Late)
	require.Equal(t, "missed by 1 hour", eq.Label)
	// OPR: end of Wednesday 5 June, pushed back by the 24-hour hold (it expired unreleased).
	opr := rep.Obligation("opr-referral")
	require.Equal(t, workflows.OutcomeOpen, opr.Outcome, opr.Detail)
	require.True(t, opr.Deadline.Equal(at(2019, 6, 7, 0, 0)), "got %s", opr.Deadline)
	require.Contains(t, opr.Detail, "3 days 12 hours left at the end")

	// The temporary outbox and ledger are gone.
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, left, "the temporary outbox is deleted")
	require.Empty(t, rep.Outbox)
	require.Positive(t, rep.NoticesSent)
}

// TestContinueAsNewKeepsTheReport: the same scenario split over many workflow runs (a tiny
// continue-as-new threshold) gives the same report: steps are carried from run to run.
func TestContinueAsNewKeepsTheReport(t *testing.T) {
	path := writeScenario(t, header(t)+`events:
  - {at: 2019-05-31T09:30:00-04:00, action: send, obligation: cisa-report}
  - {at: 2019-06-03T12:00:00-04:00, action: complete, obligation: triage}
  - {at: 2019-06-03T12:00:00-04:00, action: complete, obligation: law-enforcement}
  - {at: 2019-06-10T18:00:00-04:00, action: fact, name: affected_count, value: "184000"}
  - {at: 2019-06-11T09:00:00-04:00, action: complete, obligation: major-incident-determination}
  - {at: 2019-06-11T09:00:00-04:00, action: determination, name: major_incident, value: "yes"}
  - {at: 2019-06-11T09:30:00-04:00, action: send, obligation: omb-report, by: deputy CISO}
  - {at: 2019-06-11T09:40:00-04:00, action: approve, obligation: omb-report, by: CISO}
  - {at: 2019-06-20T09:00:00-04:00, action: send, obligation: public-statement, by: press officer}
  - {at: 2019-06-20T09:05:00-04:00, action: approve, obligation: public-statement, by: press officer}
  - {at: 2019-06-20T09:10:00-04:00, action: approve, obligation: public-statement, by: director}
  - {at: 2019-06-20T09:15:00-04:00, action: complete, obligation: public-statement}
  - {at: 2019-06-21T09:00:00-04:00, action: send, obligation: congress-notice, by: CIO}
`)
	s, err := simulate.Load(path, "")
	require.NoError(t, err)
	one, err := simulate.Run(context.Background(), s, simulate.Options{})
	require.NoError(t, err)
	many, err := simulate.Run(context.Background(), s, simulate.Options{ContinueAfterEvents: 150})
	require.NoError(t, err)
	require.Equal(t, 1, one.Runs)
	require.Greater(t, many.Runs, 3)
	require.Equal(t, one.Obligations, many.Obligations)
	require.Equal(t, one.Events, many.Events)
	require.Equal(t, one.NoticesSent, many.NoticesSent)
	for _, e := range one.Events {
		if e.Index == 9 {
			require.Equal(t, simulate.ResultRefused, e.Result)
			require.Contains(t, e.Message, "press officer requested this notice and cannot approve it")
		} else {
			require.Equal(t, simulate.ResultPerformed, e.Result, "event %d: %s", e.Index, e.Message)
		}
	}
	// A count of 184,000 people, known on 10 June 18:00, makes it a major incident by definition
	// (OMB M-17-05): the determination is implied then, so the 1-hour report to CISA was due at
	// 19:00 that evening — the explicit determination of 11 June 09:00 does not move it later —
	// and was sent at 09:40 the next morning (requested 09:30, approved 09:40): missed by 14 h 40
	// min. Congress within 7 days of 10 June 18:00 (nothing sent).
	require.Equal(t, workflows.OutcomeMissed, one.Obligation("omb-report").Outcome)
	require.True(t, one.Obligation("omb-report").DoneAt.Equal(at(2019, 6, 11, 9, 40)))
	require.Equal(t, 14*hour+40*time.Minute, one.Obligation("omb-report").Late)
	require.True(t, one.Obligation("congress-notice").Deadline.Equal(at(2019, 6, 17, 18, 0)))
	require.Equal(t, workflows.OutcomeMissed, one.Obligation("congress-notice").Outcome)
	require.Contains(t, one.Obligation("congress-notice").Detail, "its notice was requested but never delivered (cancelled at the end)",
		"requested late and never approved by the two people the playbook wants")
	// Triage done 3 days 3 hours after discovery: 2 days 3 hours late.
	require.Equal(t, 2*day+3*hour, one.Obligation("triage").Late)
}

// TestRunCancelled: a cancelled context stops the simulation with its error.
func TestRunCancelled(t *testing.T) {
	s, err := simulate.Load(writeScenario(t, header(t)), "")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = simulate.Run(ctx, s, simulate.Options{})
	require.ErrorIs(t, err, context.Canceled)
}

// TestLoadErrors: bad scenario input is refused at load time with the event's index, line and
// field; unknown names carry the same message as the workflow's validators.
func TestLoadErrors(t *testing.T) {
	h := header(t)
	for _, c := range []struct {
		name string
		body string
		want []string
	}{
		{"unknown field in an event",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: complete, obligation: triage, when: soon}\n",
			[]string{"line 6: events[0]: unknown field \"when\""}},
		{"unknown top-level field",
			h + "facts: {affected_count: 5}\n",
			[]string{"unknown field \"facts\""}},
		{"unknown action",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: notify, obligation: triage}\n",
			[]string{"scenario.yaml:6: events[0].action: unknown action \"notify\": use one of complete, waive, fact"}},
		{"unknown obligation: the validator's message",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: complete, obligation: triage}\n  - {at: unknown, action: waive, obligation: cisa, reason: x}\n",
			[]string{"scenario.yaml:7: events[1].obligation: unknown obligation \"cisa\": this incident has triage, cisa-report, contractor-report,"}},
		{"unknown fact",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: fact, name: afected_count, value: 5}\n",
			[]string{"events[0].name: unknown fact \"afected_count\": the playbook declares"}},
		{"unknown determination",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: determination, name: major, value: yes}\n",
			[]string{"events[0].name: unknown determination \"major\""}},
		{"event before discovery",
			h + "events:\n  - {at: 2019-05-30T09:00:00-04:00, action: complete, obligation: triage}\n",
			[]string{"events[0].at: 2019-05-30T09:00:00-04:00 lies before discovery"}},
		{"event after end",
			h + "events:\n  - {at: 2019-07-30T09:00:00-04:00, action: complete, obligation: triage}\n",
			[]string{"events[0].at: 2019-07-30T09:00:00-04:00 lies after end"}},
		{"unparsable at",
			h + "events:\n  - {at: 2019-06-10 18:00, action: complete, obligation: triage}\n",
			[]string{"events[0].at: \"2019-06-10 18:00\": write RFC 3339 with a zone"}},
		{"date without time",
			h + "events:\n  - {at: 2019-06-10, action: complete, obligation: triage}\n",
			[]string{"events[0].at: \"2019-06-10\""}},
		{"unparsable known_by",
			h + "events:\n  - {at: unknown, known_by: mid June, action: complete, obligation: triage}\n",
			[]string{"events[0].known_by: \"mid June\""}},
		{"known_by with a known date",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, known_by: 2019-06-02T09:00:00-04:00, action: complete, obligation: triage}\n",
			[]string{"events[0].known_by: only for at: unknown"}},
		{"unparsable until",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: hold, obligation: triage, requested_by: FBI, authority: AG, until: tomorrow}\n",
			[]string{"events[0].until: \"tomorrow\""}},
		{"field the action does not take",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: complete, obligation: triage, reason: because}\n",
			[]string{"events[0].reason: not used by action complete"}},
		{"missing at and action",
			h + "events:\n  - {obligation: triage}\n",
			[]string{"events[0].action: missing", "events[0].at: missing"}},
		{"missing end",
			"incident: " + examplesIncident(t) + "\ndiscovered_at: 2019-05-31T09:00:00-04:00\n",
			[]string{"end: missing"}},
		{"unparsable discovered_at",
			"incident: " + examplesIncident(t) + "\ndiscovered_at: 31 May 2019\nend: 2019-06-30T00:00:00-04:00\n",
			[]string{"discovered_at \"31 May 2019\""}},
		{"unknown playbook",
			h + "playbook: no-such-playbook\n",
			[]string{"playbook: unknown playbook \"no-such-playbook\""}},
		{"missing incident file",
			"incident: nowhere.yaml\nend: 2019-06-30T00:00:00-04:00\n",
			[]string{"incident: reading incident file"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := simulate.Load(writeScenario(t, c.body), "")
			require.Error(t, err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestLoadDefaults: the incident file gives the playbook and the discovery time unless the
// scenario overrides them; paths are relative to the scenario; events keep their lines.
func TestLoadDefaults(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("../../examples/cbp-2019.yaml")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "incidents"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "incidents", "cbp.yaml"), raw, 0o600))
	path := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`incident: incidents/cbp.yaml
end: 2019-06-30T00:00:00-04:00
events:
  - at: unknown
    action: complete
    obligation: opr-referral
`), 0o600))
	s, err := simulate.Load(path, "")
	require.NoError(t, err)
	require.True(t, s.DiscoveredAt.Equal(at(2019, 5, 31, 9, 0)), "from the incident file")
	require.Equal(t, "us-federal-breach", s.Playbook.Name)
	require.True(t, strings.HasPrefix(s.Title, "Traveler and license-plate images"), "the incident's title")
	require.Equal(t, 4, s.Events[0].Line)
	require.Equal(t, simulate.DefaultActor, s.Events[0].By)
}
