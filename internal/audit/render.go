package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// Output formats.
const (
	FormatTable    = "table"
	FormatMarkdown = "md"
	FormatJSON     = "json"
)

// Write renders a report in a format: table, md, json or html.
func Write(w io.Writer, rep *Report, format string) error {
	switch format {
	case "", FormatTable, "text":
		return WriteTable(w, rep)
	case FormatMarkdown, "markdown":
		return WriteMarkdown(w, rep)
	case FormatJSON:
		return WriteJSON(w, rep)
	case FormatHTML:
		return WriteHTML(w, rep)
	}
	return fmt.Errorf("unknown format %q: use table, md, json or html", format)
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable writes the report as aligned text tables.
func WriteTable(w io.Writer, rep *Report) error {
	ew := &errWriter{w: w}
	for i, ir := range rep.Incidents {
		if i > 0 {
			ew.printf("\n%s\n\n", strings.Repeat("=", 80))
		}
		writeIncidentTable(ew, ir, rep)
	}
	ew.printf("\n")
	writeSummaryText(ew, rep)
	return ew.err
}

func writeIncidentTable(ew *errWriter, ir *IncidentReport, rep *Report) {
	verdict := ir.Verdict()
	ew.printf("AUDIT %s  %s  %s\n", verdict, orDash(ir.IncidentID), quoteOrEmpty(ir.Title))
	for _, l := range headerLines(ir, rep) {
		ew.printf("%s\n", l)
	}

	ew.printf("\nHISTORIES\n")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tRUN ID\tFILE\tEVENTS\tFIRST EVENT\tLAST EVENT\tLAST EVENT TYPE\tSHA-256\tHASH\tREPLAY")
	for i, r := range ir.Runs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, orDash(r.RunID), orDash(r.File), r.Events,
			stamp(r.FirstEventTime), stamp(r.LastEventTime), orDash(r.LastEvent), shortHash(r.SHA256), r.Hash, orDash(r.Replay))
	}
	tw.Flush()

	if len(ir.Timeline) > 0 {
		ew.printf("\nTIMELINE (UTC)\n")
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tOBLIGATION\tDETAILS")
		for _, e := range ir.Timeline {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", stamp(e.At), oneLine(actorLabel(e)), oneLine(e.Action), orDash(e.Obligation), oneLine(entryDetails(e)))
		}
		tw.Flush()
	}

	if len(ir.Obligations) > 0 {
		ew.printf("\nOBLIGATIONS (%s)\n", ir.StatusFrom)
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "OBLIGATION\tSTATE\tDEADLINE\tDONE\tBY\tOUTCOME")
		for _, o := range ir.Obligations {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.State, deadlineText(o), stamp(doneAt(o)), orDash(o.DoneBy), oneLine(outcomeText(o)))
		}
		tw.Flush()
	}
	writeNotesText(ew, ir)
}

func writeNotesText(ew *errWriter, ir *IncidentReport) {
	if len(ir.Notes) > 0 {
		ew.printf("\nNotes:\n")
		for _, n := range ir.Notes {
			ew.printf("  - %s\n", n)
		}
	}
	if len(ir.Problems) > 0 {
		ew.printf("\nPROBLEMS:\n")
		for _, p := range ir.Problems {
			ew.printf("  - %s\n", indentLines(p, "    "))
		}
	}
}

func writeSummaryText(ew *errWriter, rep *Report) {
	s := rep.Summary
	ew.printf("Summary: %d incident(s), %d histories audited: %d replayed OK, %d failed (%d hash mismatch(es), %d replay failure(s)); obligations: %d met, %d missed\n",
		s.Incidents, s.Histories, s.ReplayedOK, s.Failed, s.HashMismatches, s.ReplayFailures, s.ObligationsMet, s.ObligationsMissed)
	if len(rep.Skipped) > 0 {
		ew.printf("Skipped (not workflow histories): %s\n", strings.Join(rep.Skipped, ", "))
	}
}

// headerLines describe an incident: playbook, discovery, status, where the histories came from.
func headerLines(ir *IncidentReport, rep *Report) []string {
	var lines []string
	if ir.PlaybookName != "" || !ir.DiscoveredAt.IsZero() {
		lines = append(lines, fmt.Sprintf("playbook %s %s · discovered %s", orDash(ir.PlaybookName), ir.PlaybookVersion, stamp(ir.DiscoveredAt)))
	}
	if ir.Status != "" {
		s := "status " + ir.Status
		if ir.Status == "closed" {
			s += " at " + stamp(ir.ClosedAt)
			if ir.ClosedBy != "" {
				s += " by " + ir.ClosedBy
			}
			if ir.Forced {
				s += " (forced, with obligations open)"
			}
		}
		lines = append(lines, s)
	}
	src := "source " + ir.Source
	if m := ir.Manifest; m != nil {
		src += fmt.Sprintf(" · exported %s by build %s · %d events in %d run(s)", stamp(m.ExportedAt), m.Build, m.TotalEvents, len(m.Runs))
		if len(m.EncryptionKeyIDs) > 0 {
			src += " · payloads encrypted with key(s) " + strings.Join(m.EncryptionKeyIDs, ", ")
		}
	}
	lines = append(lines, src)
	lines = append(lines, fmt.Sprintf("replayed against build %s (Temporal SDK %s) at %s", rep.Auditor, orDash(rep.Auditor.TemporalSDK), stamp(rep.AuditedAt)))
	return lines
}

// WriteMarkdown writes the report as Markdown.
func WriteMarkdown(w io.Writer, rep *Report) error {
	ew := &errWriter{w: w}
	ew.printf("# Incident audit\n\n")
	for _, ir := range rep.Incidents {
		verdict := markdownVerdict(ir)
		ew.printf("## %s — %s\n\n", md(orDash(ir.IncidentID)), verdict)
		if ir.Title != "" {
			ew.printf("**%s**\n\n", md(ir.Title))
		}
		for _, l := range headerLines(ir, rep) {
			ew.printf("- %s\n", md(l))
		}
		ew.printf("\n### Histories\n\n")
		ew.printf("| # | Run ID | File | Events | First event | Last event | Last event type | SHA-256 | Hash | Replay |\n")
		ew.printf("|---|---|---|---|---|---|---|---|---|---|\n")
		for i, r := range ir.Runs {
			ew.printf("| %d | %s | %s | %d | %s | %s | %s | `%s` | %s | %s |\n", i+1, md(orDash(r.RunID)), md(orDash(r.File)), r.Events,
				stamp(r.FirstEventTime), stamp(r.LastEventTime), md(orDash(r.LastEvent)), orDash(r.SHA256), md(r.Hash), md(orDash(r.Replay)))
		}
		if len(ir.Timeline) > 0 {
			ew.printf("\n### Timeline (UTC)\n\n")
			ew.printf("| Time | Actor | Action | Obligation | Details |\n|---|---|---|---|---|\n")
			for _, e := range ir.Timeline {
				ew.printf("| %s | %s | %s | %s | %s |\n", stamp(e.At), md(actorLabel(e)), md(e.Action), md(orDash(e.Obligation)), md(entryDetails(e)))
			}
		}
		if len(ir.Obligations) > 0 {
			ew.printf("\n### Obligations\n\nFrom the %s.\n\n", md(ir.StatusFrom))
			ew.printf("| Obligation | Title | State | Deadline | Done | By | Outcome |\n|---|---|---|---|---|---|---|\n")
			for _, o := range ir.Obligations {
				ew.printf("| %s | %s | %s | %s | %s | %s | %s |\n", md(o.ID), md(o.Title), md(o.State), md(deadlineText(o)),
					stamp(doneAt(o)), md(orDash(o.DoneBy)), md(outcomeText(o)))
			}
		}
		if rules := rulesOf(ir.Obligations); len(rules) > 0 {
			ew.printf("\n### The rules behind the deadlines\n\n")
			for _, o := range rules {
				ew.printf("- **%s** — %s\n", md(o.ID), md(ruleLabel(o)))
				if o.Quote != "" {
					ew.printf("  > %s\n", mdBlock(o.Quote))
				}
			}
		}
		if len(ir.Notes) > 0 {
			ew.printf("\n### Notes\n\n")
			for _, n := range ir.Notes {
				ew.printf("- %s\n", md(n))
			}
		}
		if len(ir.Problems) > 0 {
			ew.printf("\n### Problems\n\n")
			for _, p := range ir.Problems {
				ew.printf("```\n%s\n```\n\n", strings.ReplaceAll(p, "```", "'''"))
			}
		}
		ew.printf("\n")
	}
	s := rep.Summary
	ew.printf("## Summary\n\n| Incidents | Histories | Replayed OK | Failed | Hash mismatches | Replay failures | Obligations met | Obligations missed |\n|---|---|---|---|---|---|---|---|\n")
	ew.printf("| %d | %d | %d | %d | %d | %d | %d | %d |\n", s.Incidents, s.Histories, s.ReplayedOK, s.Failed, s.HashMismatches, s.ReplayFailures, s.ObligationsMet, s.ObligationsMissed)
	if len(rep.Skipped) > 0 {
		ew.printf("\nSkipped (not workflow histories): %s\n", md(strings.Join(rep.Skipped, ", ")))
	}
	return ew.err
}

func entryDetails(e Entry) string {
	d := e.Details
	if e.Record != "" {
		d = joinNonEmpty("; ", d, "record: "+e.Record)
	}
	return d
}

// doneAt is when an obligation was completed or waived.
func doneAt(o ObligationAudit) time.Time {
	if o.CompletedAt.IsZero() {
		return o.WaivedAt
	}
	return o.CompletedAt
}

func deadlineText(o ObligationAudit) string {
	switch {
	case !o.Deadline.IsZero() && o.DeadlineKind == playbook.DeadlineInternalTarget:
		return stamp(o.Deadline) + " (internal target)"
	case !o.Deadline.IsZero():
		return stamp(o.Deadline)
	case o.State == workflows.StatePending || o.State == workflows.StateNotApplicable:
		return "-"
	case o.DeadlineNote != "":
		return "none fixed (" + o.DeadlineNote + ")"
	}
	return "none fixed"
}

func outcomeText(o ObligationAudit) string {
	s := o.Verdict
	if o.WaiveReason != "" {
		s += ": " + o.WaiveReason
	}
	if o.HeldFor > 0 {
		s += " (clock paused " + workflows.FormatDuration(o.HeldFor) + " on holds)"
	}
	return s
}

// md escapes text for a Markdown table cell: pipes, line breaks, and angle brackets (a
// Message-ID such as <x@y> would otherwise be read as an HTML tag or an autolink and vanish).
// md makes text safe inside a Markdown line or table cell: no raw HTML, entities, links,
// images, code spans or emphasis with stars can come from incident data or a playbook.
func md(s string) string {
	return mdEscaper.Replace(s)
}

var mdEscaper = strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>", "<", "&lt;", ">", "&gt;", "*", `\*`,
	"&", "&amp;", `\`, `\\`, "`", "\\`", "[", `\[`, "]", `\]`)

// mdBlock is md for text that starts a block (a quoted rule): a leading character that would
// make it a heading, a list or a quote is escaped too.
func mdBlock(s string) string {
	s = md(s)
	if s != "" && strings.ContainsRune("#-+=", rune(s[0])) {
		return `\` + s
	}
	// "1. " or "1) " would start an ordered list: escape the punctuation after the digits.
	if i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && (s[i] == '.' || s[i] == ')') {
		return s[:i] + `\` + s[i:]
	}
	return s
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\t", " ").Replace(s)
}

func indentLines(s, indent string) string {
	return strings.ReplaceAll(s, "\n", "\n"+indent)
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return orDash(h)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func quoteOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%q", s)
}

// errWriter remembers the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}

// actorLabel is an entry's actor with how it is known, for a person's action: "alice (asserted)",
// "ogc@agency.example (verified: local:ogc)".
func actorLabel(e Entry) string {
	switch {
	case e.Proof == "":
		return e.Actor
	case e.Subject == "":
		return e.Actor + " (" + e.Proof + ")"
	}
	return e.Actor + " (" + e.Proof + ": " + e.Subject + ")"
}

// rulesOf is the obligations that cite a rule or quote one.
func rulesOf(obligations []ObligationAudit) []ObligationAudit {
	var out []ObligationAudit
	for _, o := range obligations {
		if o.Citation != "" || o.Quote != "" {
			out = append(out, o)
		}
	}
	return out
}

// ruleLabel names an obligation's rule (workflows.Rule.Label).
func ruleLabel(o ObligationAudit) string {
	return workflows.Rule{Citation: o.Citation, Source: o.Source, DeadlineKind: o.DeadlineKind}.Label()
}
