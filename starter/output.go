package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// temporalSearchAttributes marks a new incident open from its first moment, so it is listed
// before the workflow's first task runs.
func temporalSearchAttributes() temporal.SearchAttributes {
	return temporal.NewSearchAttributes(workflows.SearchIncidentStatus.ValueSet(workflows.IncidentOpen))
}

// judgeStatus judges an obligation of a status: now, or at the close for a closed incident.
func judgeStatus(st workflows.Status, o workflows.ObligationStatus, now time.Time) workflows.Judgement {
	if st.Status == workflows.IncidentClosed && !st.ClosedAt.IsZero() {
		return workflows.Judge(o, st.ClosedAt, true)
	}
	return workflows.Judge(o, now, false)
}

// printStatus writes the status table, its times in the incident's zone.
func printStatus(out io.Writer, st workflows.Status, now time.Time) {
	loc := st.Location()
	show := func(t time.Time) string { return workflows.FormatInstant(t, loc) }
	fmt.Fprintf(out, "%s  %s\n", st.IncidentID, st.Title)
	fmt.Fprintf(out, "status %s · discovered %s · playbook %s %s", st.Status, show(st.DiscoveredAt), st.PlaybookName, st.PlaybookVersion)
	if st.OverdueCount > 0 {
		fmt.Fprintf(out, " · %d overdue", st.OverdueCount)
	}
	fmt.Fprintln(out)
	// Dates the facts give, against the agency's discovery: when the breach occurred, when the
	// contractor knew — the gaps an auditor asks about.
	for _, name := range slices.Sorted(maps.Keys(st.Facts)) {
		t, err := time.Parse(time.RFC3339, st.Facts[name])
		if err != nil || st.DiscoveredAt.IsZero() {
			continue
		}
		gap, rel := st.DiscoveredAt.Sub(t), "before"
		if gap < 0 {
			gap, rel = -gap, "after"
		}
		fmt.Fprintf(out, "%s %s · %s %s the discovery\n", name, show(t), workflows.FormatDuration(gap), rel)
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	obligations := st.Obligations
	regimes := len(st.Regimes) > 0
	if regimes {
		// Every regime's obligations together, soonest deadline first; no deadline last.
		obligations = slices.Clone(obligations)
		slices.SortStableFunc(obligations, func(a, b workflows.ObligationStatus) int {
			switch {
			case a.Deadline.IsZero() || b.Deadline.IsZero():
				return cmp.Compare(boolInt(a.Deadline.IsZero()), boolInt(b.Deadline.IsZero()))
			}
			return a.Deadline.Compare(b.Deadline)
		})
		fmt.Fprint(tw, "REGIME\t")
	}
	fmt.Fprintln(tw, "OBLIGATION\tSTATE\tDEADLINE\tOUTCOME\tNOTICES")
	var notes []string
	for _, o := range obligations {
		notices := fmt.Sprintf("%d sent", o.NoticesSent)
		if o.NoticeState != "" && o.NoticeState != workflows.NoticeSent {
			notices += ", notice " + o.NoticeState
		}
		deadline := show(o.Deadline)
		if o.Deadline.IsZero() && o.State != workflows.StatePending && o.State != workflows.StateNotApplicable && o.State != workflows.StateDisabled {
			deadline = "none fixed"
		}
		if o.InternalTarget() && !o.Deadline.IsZero() {
			deadline += " (internal target)"
		}
		if regimes {
			fmt.Fprintf(tw, "%s\t", o.Regime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.ID, o.State, deadline, judgeStatus(st, o, now).Phrase(loc), notices)
		if o.Reason != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s", o.ID, o.Reason))
		}
		if o.Limit != "" && !o.Deadline.IsZero() {
			notes = append(notes, fmt.Sprintf("  %s: deadline set by %s", o.ID, o.Limit))
		}
	}
	tw.Flush()
	printLaw(out, st, notes)
	printActors(out, st)
	var failing []string
	for _, n := range st.Notices {
		if n.State == workflows.NoticeFailing {
			failing = append(failing, fmt.Sprintf("  %s: %d attempt(s), last error: %s", n.Key, n.Attempts, n.LastError))
		}
	}
	if len(failing) > 0 {
		fmt.Fprintln(out, "\nNotices failing (retrying):")
		fmt.Fprintln(out, strings.Join(failing, "\n"))
	}
	var ledger []string
	for _, n := range st.Notices {
		switch {
		case n.PossibleDuplicate != "":
			ledger = append(ledger, fmt.Sprintf("  %s %s: possible duplicate: %s", n.Key, n.MessageID, n.PossibleDuplicate))
		case n.AlreadySent:
			ledger = append(ledger, fmt.Sprintf("  %s %s: delivered by an earlier attempt; the retry did not send again", n.Key, n.MessageID))
		}
	}
	if len(ledger) > 0 {
		fmt.Fprintln(out, "\nSend ledger notes:")
		fmt.Fprintln(out, strings.Join(ledger, "\n"))
	}
}

// listRow is one incident in `starter list`.
type listRow = engine.IncidentRow

func printList(out io.Writer, rows []listRow, now time.Time) {
	if len(rows) == 0 {
		fmt.Fprintln(out, "no incidents match")
		return
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INCIDENT\tSTATUS\tNEXT DEADLINE\tTIME LEFT\tOVERDUE\tTITLE")
	for _, r := range rows {
		left := "-"
		if !r.NextDeadline.IsZero() {
			next := workflows.ObligationStatus{State: workflows.StateDue, Deadline: r.NextDeadline}
			left = workflows.Judge(next, now, false).Phrase(time.Local)
		}
		// Incidents of many playbooks share the list: its times are the coordinator's own.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.IncidentID, r.Status, workflows.FormatInstant(r.NextDeadline, time.Local), left, r.OverdueCount, r.Title)
	}
	tw.Flush()
}

// printLaw writes what the law adds to the table: why obligations do not apply or which limit
// governs (notes), determinations the facts imply, and the decisions on record with their history.
func printLaw(out io.Writer, st workflows.Status, notes []string) {
	loc := st.Location()
	if len(notes) > 0 {
		fmt.Fprintln(out, "\nNotes:")
		fmt.Fprintln(out, strings.Join(notes, "\n"))
	}
	if len(st.Implied) > 0 {
		fmt.Fprintln(out, "\nDeterminations implied by the facts:")
		for _, d := range st.Implied {
			fmt.Fprintf(out, "  %s = true, implied by %s = %s as of %s\n", d.Determination, d.Fact, d.Value, workflows.FormatInstant(d.At, loc))
		}
	}
	if len(st.Decisions) > 0 {
		fmt.Fprintln(out, "\nDecisions:")
		for _, d := range st.Decisions {
			for i, r := range d.History {
				mark := "superseded"
				if i == len(d.History)-1 {
					mark = "in force"
				}
				line := fmt.Sprintf("  %s = %s (%s) by %s (%s), %s: %s", d.ID, r.Outcome, mark, r.By, r.Proof.Mark(), workflows.FormatInstant(r.At, loc), r.Rationale)
				if r.Assessment != "" {
					line += " [assessment: " + r.Assessment + "]"
				}
				fmt.Fprintln(out, line)
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// printActors lists who completed, waived, requested and approved, each marked signed (with the
// authenticated subject) or asserted (a typed name, as the CLI's --by).
func printActors(out io.Writer, st workflows.Status) {
	var lines []string
	for _, o := range st.Obligations {
		switch {
		case o.CompletedBy == workflows.ActorEngine:
			// The engine's own completion (a notice delivered): no person to prove.
		case o.CompletedBy != "":
			lines = append(lines, fmt.Sprintf("  %s: completed by %s (%s)", o.ID, o.CompletedBy, o.CompletedProof.Mark()))
		case o.WaivedBy != "":
			lines = append(lines, fmt.Sprintf("  %s: waived by %s (%s)", o.ID, o.WaivedBy, o.WaivedProof.Mark()))
		}
	}
	for _, n := range st.Notices {
		if n.Kind != templates.KindNotice || n.RequestedBy == workflows.ActorEngine {
			continue
		}
		line := fmt.Sprintf("  %s: requested by %s (%s)", n.Key, n.RequestedBy, n.RequestedProof.Mark())
		for _, a := range n.Approvals {
			line += fmt.Sprintf("; approved by %s (%s)", a.By, a.Proof.Mark())
		}
		lines = append(lines, line)
	}
	if len(lines) > 0 {
		fmt.Fprintln(out, "\nWho acted (signed: proven by the console's signature; asserted: as typed):")
		fmt.Fprintln(out, strings.Join(lines, "\n"))
	}
}

// printRules prints the rule behind each obligation that has one: its citation, whether its
// words were read in the primary text, and the words themselves, wrapped.
func printRules(out io.Writer, rules []workflows.Rule) {
	fmt.Fprintln(out, "\nRULES")
	for _, r := range rules {
		if r.Citation == "" && r.Quote == "" {
			continue
		}
		fmt.Fprintln(out, "  "+r.Obligation+": "+r.Label())
		if r.Quote != "" {
			for _, l := range wrap("\u201c"+r.Quote+"\u201d", 92) {
				fmt.Fprintln(out, "    "+l)
			}
		}
	}
}

// wrap breaks text into lines of at most width runes at spaces (a longer word stays whole).
func wrap(text string, width int) []string {
	var lines []string
	var cur []rune
	for _, w := range strings.Fields(text) {
		if len(cur) > 0 && len(cur)+1+len([]rune(w)) > width {
			lines = append(lines, string(cur))
			cur = cur[:0]
		}
		if len(cur) > 0 {
			cur = append(cur, ' ')
		}
		cur = append(cur, []rune(w)...)
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}
