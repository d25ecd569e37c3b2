package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

// TestPrintStatus checks the status table speaks the incident's zone and the shared judgement,
// whatever the zone of the machine it runs on.
func TestPrintStatus(t *testing.T) {
	disc := time.Date(2019, 5, 31, 13, 0, 0, 0, time.UTC)
	now := disc.Add(30 * time.Hour)
	st := workflows.Status{IncidentID: "INC-1", Title: "CBP", Status: "open", DiscoveredAt: disc, PlaybookName: "us-federal-breach", PlaybookVersion: "1", OverdueCount: 1}
	st.TimeZone = "America/New_York"
	st.Facts = map[string]string{"contractor_discovered_at": "2019-05-13T00:00:00-04:00", "location": "one port of entry"}
	st.Obligations = []workflows.ObligationStatus{
		{ID: "cisa-report", State: "done", AnchorAt: disc, Deadline: disc.Add(time.Hour), CompletedAt: disc.Add(40 * time.Minute), NoticesSent: 1},
		{ID: "triage", State: "overdue", AnchorAt: disc, Deadline: disc.Add(24 * time.Hour)},
		{ID: "omb-report", State: "due", AnchorAt: disc, Deadline: now.Add(50 * time.Minute)},
		{ID: "risk-assessment", State: "due", AnchorAt: disc},
		{ID: "law-enforcement", State: "on_hold", AnchorAt: disc, Deadline: disc.Add(72 * time.Hour), Hold: &workflows.Hold{RequestedBy: "FBI", Until: disc.Add(7 * 24 * time.Hour)}},
		{ID: "individual-notice", State: "pending"},
	}
	var out bytes.Buffer
	printStatus(&out, st, now)
	for _, want := range []string{
		"discovered Fri 2019-05-31 09:00 EDT",
		"contractor_discovered_at Mon 2019-05-13 00:00 EDT · 18 days 9 hours before the discovery",
		"cisa-report        done     Fri 2019-05-31 10:00 EDT  met, 20 minutes early",
		"triage             overdue  Sat 2019-06-01 09:00 EDT  overdue by 6 hours",
		"omb-report         due      Sat 2019-06-01 15:50 EDT  50 minutes left",
		"risk-assessment    due      none fixed                not done, open for 1 day 6 hours (no fixed deadline)",
		"law-enforcement    on_hold  Mon 2019-06-03 09:00 EDT  on hold until Fri 2019-06-07 09:00 EDT at the request of FBI",
		"individual-notice  pending  -                         clock not started",
	} {
		require.Contains(t, out.String(), want)
	}

	// A closed incident is judged at its close, not now.
	st.Status, st.ClosedAt = workflows.IncidentClosed, disc.Add(20*time.Hour)
	out.Reset()
	printStatus(&out, st, now.Add(1000*time.Hour))
	require.Contains(t, out.String(), "unfinished at close, 4 hours before the deadline")
}

// TestPrintStatusMarksAssertedActions: who completed, waived, requested and approved is shown
// with how it is known: signed (the subject) or asserted.
func TestPrintStatusMarksAssertedActions(t *testing.T) {
	signed := workflows.Proof{Subject: "local:ogc", Verified: true}
	st := workflows.Status{IncidentID: "INC-1", Title: "T", Status: "open"}
	st.Obligations = []workflows.ObligationStatus{
		{ID: "triage", State: workflows.StateDone, CompletedBy: "alice"},
		{ID: "public", State: workflows.StateWaived, WaivedBy: "ogc@agency.example", WaivedProof: signed},
	}
	st.Notices = []workflows.NoticeRecord{{Key: "congress-notice/notice", Kind: "notice", RequestedBy: "alice",
		Approvals: []workflows.Approval{{By: "ogc@agency.example", Proof: signed}, {By: "bob"}}}}
	var out strings.Builder
	printStatus(&out, st, time.Now())
	for _, want := range []string{
		"triage: completed by alice (asserted)",
		"public: waived by ogc@agency.example (signed: local:ogc)",
		"congress-notice/notice: requested by alice (asserted); approved by ogc@agency.example (signed: local:ogc); approved by bob (asserted)",
	} {
		require.Contains(t, out.String(), want)
	}
}

// TestPrintRules: status --rules names each obligation's rule and source, wraps the rule's
// words, says when a deadline is an internal target, and skips obligations with no rule.
func TestPrintRules(t *testing.T) {
	var out bytes.Buffer
	printRules(&out, []workflows.Rule{
		{Obligation: "congress", Citation: "FISMA 2014 sec. 2(d)(1)", Source: "primary", Quote: strings.Repeat("word ", 40) + "end"},
		{Obligation: "triage", Citation: "DHS guidance", DeadlineKind: "internal_target"},
		{Obligation: "none"},
		{Obligation: "opr", Citation: "Agency policy; internal target", DeadlineKind: "internal_target"},
	})
	got := out.String()
	require.Contains(t, got, "  congress: FISMA 2014 sec. 2(d)(1) (primary source)\n    \u201cword word")
	require.Contains(t, got, "end\u201d\n")
	require.Contains(t, got, "  triage: DHS guidance; the deadline is an internal target: no rule sets it\n")
	require.NotContains(t, got, "none")
	require.Contains(t, got, "  opr: Agency policy; internal target\n", "a citation that says it already is not told again")
	for _, l := range strings.Split(got, "\n") {
		require.LessOrEqual(t, len([]rune(l)), 96, "wrapped: %q", l)
	}
}
