package simulate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// WriteText writes the report as tables: the obligations, then the events, then the notes.
func (r *Report) WriteText(w io.Writer) error {
	loc := r.loc
	if loc == nil {
		loc = workflows.Location(r.TimeZone)
	}
	show := func(t time.Time) string { return workflows.FormatInstant(t, loc) }
	fmt.Fprintf(w, "What-if: %s\n", r.Title)
	fmt.Fprintf(w, "Incident %s under playbook %s %s; times in %s\n", r.IncidentFile, r.Playbook, r.PlaybookVersion, r.TimeZone)
	fmt.Fprintf(w, "Discovered %s; simulated until %s; %d notices sent", show(r.DiscoveredAt), show(r.End), r.NoticesSent)
	if r.Outbox != "" {
		fmt.Fprintf(w, " (kept in %s)", r.Outbox)
	}
	fmt.Fprintf(w, "; %d workflow run(s)\n\n", r.Runs)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OBLIGATION\tANCHOR\tDEADLINE\tDONE\tOUTCOME\tDETAIL")
	for _, o := range r.Obligations {
		anchor, deadline, done := cells(o, show)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, anchor, deadline, done, o.Label, o.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s\n\nEvents:\n", r.countsText())

	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tAT\tEVENT\tRESULT\tSOURCE")
	for _, e := range r.Events {
		at := show(e.At)
		if e.AtUnknown {
			at = "unknown"
			if !e.KnownBy.IsZero() {
				at += " (by " + show(e.KnownBy) + ")"
			}
		}
		result := strings.ReplaceAll(e.Result, "_", " ")
		if e.Message != "" {
			result += ": " + e.Message
		}
		fmt.Fprintf(tw, "%d\t%s\t%s %s\t%s\t%s\n", e.Index, at, e.Action, e.Target, result, e.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range r.Notes {
			line := "  - " + n.Text
			if n.Source != "" {
				line += " (" + n.Source + ")"
			}
			if len(n.Obligations) > 0 {
				line += " [" + strings.Join(n.Obligations, ", ") + "]"
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}

// cells are an obligation's anchor, deadline and completion as the report shows them: "by …" for
// a bound, "(internal target)" for a deadline the organization set itself.
func cells(o ObligationReport, show func(time.Time) string) (anchor, deadline, done string) {
	anchor = show(o.AnchorAt)
	if o.AnchorAt.IsZero() && !o.AnchorBy.IsZero() {
		anchor = "by " + show(o.AnchorBy)
	}
	deadline = show(o.Deadline)
	switch {
	case o.Deadline.IsZero() && !o.DeadlineBy.IsZero():
		deadline = "by " + show(o.DeadlineBy)
	case o.Deadline.IsZero() && !o.AnchorAt.IsZero():
		deadline = "none fixed"
	}
	if o.DeadlineKind == playbook.DeadlineInternalTarget && deadline != "-" {
		deadline += " (internal target)"
	}
	done = show(o.DoneAt)
	switch {
	case o.DoneDateUnknown && !o.DoneBy.IsZero():
		done = "by " + show(o.DoneBy)
	case o.DoneDateUnknown:
		done = "date unknown"
	case o.DoneAt.IsZero():
		done = "not done"
	}
	return anchor, deadline, done
}

// countsText says how many obligations had each outcome, e.g. "3 met, 1 missed".
func (r *Report) countsText() string {
	var counts []string
	for _, k := range workflows.Outcomes {
		if n := r.Counts[k]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(k), "_", " ")))
		}
	}
	return strings.Join(counts, ", ")
}
