package chart

import (
	"fmt"
	"hash/fnv"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/breachflow/breachflow/workflows"
)

// Layout, in SVG user units (the picture scales with its container).
const (
	width     = 1100.0
	labelX    = 10.0  // obligation column
	plotX0    = 250.0 // plot area
	plotX1    = 790.0
	verdictX  = 804.0 // verdict column
	rowH      = 36.0
	rowsTop   = 96.0
	barTop    = 11.0 // within a row
	barH      = 12.0
	legendRow = 20.0
	keyRow    = 17.0

	idChars      = 34 // obligation ID shown in the label column
	titleChars   = 44
	verdictChars = 44
	markerChars  = 110
)

// Colours: every one reaches at least 4.5:1 against white, so marks read as well as text; none
// carries meaning alone (shapes and words say the same).
const (
	colText     = "#1a1a1a"
	colMuted    = "#4d4d4d"
	colGrid     = "#d9d9d9"
	colLegal    = "#1f5fa8"
	colOverrun  = "#b3261e"
	colMet      = "#1e6b30"
	colReminder = "#8a5300"
	colHold     = "#595959"
	colMarker   = "#6a3d9a"
	colWaived   = "#4d4d4d"
)

// SVG draws the timeline as a standalone SVG document (no external resources, no script).
func (t Timeline) SVG() string {
	var r renderer
	r.draw(&t)
	return r.b.String()
}

// HTML is the SVG as trusted HTML, to embed in an html/template page: every text in it was
// escaped when it was drawn.
func (t Timeline) HTML() template.HTML {
	return template.HTML(t.SVG()) //nolint:gosec // built from escaped parts only
}

type renderer struct {
	b   strings.Builder
	t   *Timeline
	s   scale
	loc *time.Location
	id  string // prefix of element IDs, unique per incident on one page
}

func (r *renderer) printf(format string, args ...any) { fmt.Fprintf(&r.b, format, args...) }

// f writes a coordinate with one decimal.
func f(v float64) string { return fmt.Sprintf("%.1f", v) }

func (r *renderer) show(t time.Time) string { return workflows.FormatInstant(t, r.loc) }

func (r *renderer) draw(t *Timeline) {
	r.t = t
	r.loc = t.Location
	if r.loc == nil {
		r.loc = time.UTC
	}
	h := fnv.New32a()
	h.Write([]byte(t.IncidentID + "\x00" + t.Title))
	r.id = fmt.Sprintf("bfc%08x", h.Sum32())
	r.s = newScale(t, plotX0, plotX1)

	rows := t.Rows
	hiddenRows := 0
	if len(rows) > MaxRows {
		rows, hiddenRows = rows[:MaxRows], len(rows)-MaxRows
	}
	markers := t.Markers
	hiddenMarkers := 0
	if len(markers) > MaxMarkers {
		markers, hiddenMarkers = markers[:MaxMarkers], len(markers)-MaxMarkers
	}
	rowsBottom := rowsTop + rowH*float64(max(len(rows), 1))
	legendTop := rowsBottom + 44
	legendItems := r.legendItems()
	keyTop := legendTop + legendRow*float64((len(legendItems)+3)/4) + 10
	notes := append([]string{}, t.Notes...)
	if hiddenRows > 0 {
		notes = append(notes, fmt.Sprintf("%d more obligation(s) not drawn: the chart shows the first %d", hiddenRows, MaxRows))
	}
	if !r.s.early.IsZero() {
		notes = append(notes, fmt.Sprintf("◀ The axis starts at discovery: marks from %s on, before it, are drawn at its left edge.", r.show(r.s.early)))
	}
	if hiddenMarkers > 0 {
		notes = append(notes, fmt.Sprintf("%d more change(s) that moved clocks not drawn: the chart shows the first %d", hiddenMarkers, MaxMarkers))
	}
	height := keyTop + keyRow*float64(len(markers)+len(notes)) + 12

	r.printf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s" aria-describedby="%s-desc" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif" font-size="12" fill="%s">`+"\n",
		f(width), f(height), f(width), f(height), esc(r.ariaLabel()), r.id, colText)
	r.printf("<title>%s</title>\n<desc id=\"%s-desc\">%s</desc>\n", esc(r.heading()), r.id, esc(r.description(rows)))
	r.defs()
	r.printf(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	r.header()
	r.axis(rowsBottom)
	for i := range rows {
		r.row(&rows[i], i)
	}
	if len(rows) == 0 {
		r.printf(`<text x="%s" y="%s" fill="%s">No obligations.</text>`+"\n", f(plotX0), f(rowsTop+22), colMuted)
	}
	r.lines(rowsBottom)
	r.markers(markers, rowsBottom)
	r.legend(legendItems, legendTop)
	r.key(markers, notes, keyTop)
	r.printf("</svg>\n")
}

func (r *renderer) heading() string {
	s := "Timeline of " + r.t.IncidentID
	if r.t.Title != "" {
		s += ": " + r.t.Title
	}
	return s
}

func (r *renderer) ariaLabel() string {
	counts := map[workflows.Outcome]int{}
	for _, row := range r.t.Rows {
		counts[row.Outcome]++
	}
	var parts []string
	for _, o := range workflows.Outcomes {
		if n := counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(o), "_", " ")))
		}
	}
	s := fmt.Sprintf("%s: %d obligation(s)", r.heading(), len(r.t.Rows))
	if len(parts) > 0 {
		s += ", " + strings.Join(parts, ", ")
	}
	return s
}

// description says the picture in words, one sentence per obligation, for screen readers.
func (r *renderer) description(rows []Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Times in %s. ", r.loc)
	if !r.t.AsOf.IsZero() {
		fmt.Fprintf(&b, "As of %s (%s). ", r.show(r.t.AsOf), r.asOfLabel())
	}
	for _, row := range rows {
		fmt.Fprintf(&b, "%s: ", clip(row.ID, 80))
		switch {
		case row.AnchorAt.IsZero():
			b.WriteString("clock not started")
		default:
			fmt.Fprintf(&b, "clock from %s", r.show(row.AnchorAt))
		}
		if !row.Deadline.IsZero() {
			kind := "deadline"
			if row.InternalTarget {
				kind = "internal target"
			}
			fmt.Fprintf(&b, ", %s %s", kind, r.show(row.Deadline))
		}
		if !row.DoneAt.IsZero() {
			fmt.Fprintf(&b, ", done %s", r.show(row.DoneAt))
		}
		fmt.Fprintf(&b, "; %s. ", clip(row.Label, 80))
	}
	if len(r.t.Markers) > 0 {
		fmt.Fprintf(&b, "%d change(s) moved clocks.", len(r.t.Markers))
	}
	return b.String()
}

func (r *renderer) asOfLabel() string {
	if r.t.AsOfLabel == "" {
		return AsOfNow
	}
	return r.t.AsOfLabel
}

// defs holds the patterns: hatching for internal targets, stripes for holds.
func (r *renderer) defs() {
	r.printf(`<defs>`+
		`<pattern id="%s-target" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="%s" stroke-width="2"/></pattern>`+
		`<pattern id="%s-hold" patternUnits="userSpaceOnUse" width="6" height="6"><rect width="6" height="6" fill="#e6e6e6"/><circle cx="3" cy="3" r="1.3" fill="%s"/></pattern>`+
		`<path id="%s-reminder" d="M-4 0 h8 l-4 7 z" fill="%s"/>`+
		`<path id="%s-escalation" d="M0 0 l4 7 h-8 z" fill="%s"/>`+
		`<path id="%s-hold-expiring" d="M0 0 l3.5 4 l-3.5 4 l-3.5 -4 z" fill="%s"/>`+
		"</defs>\n", r.id, colLegal, r.id, colHold, r.id, colReminder, r.id, colOverrun, r.id, colHold)
}

func (r *renderer) header() {
	r.printf(`<text x="%s" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", f(labelX), esc(clip(r.heading(), 120)))
	sub := "Times in " + r.loc.String()
	if !r.t.AsOf.IsZero() {
		sub += " · " + r.asOfLabel() + " " + r.show(r.t.AsOf)
	}
	r.printf(`<text x="%s" y="40" fill="%s">%s</text>`+"\n", f(labelX), colMuted, esc(sub))
	r.printf(`<text x="%s" y="%s" font-weight="bold">Obligation</text><text x="%s" y="%s" font-weight="bold">Outcome</text>`+"\n",
		f(labelX), f(rowsTop-8), f(verdictX), f(rowsTop-8))
}

// axis draws the grid and the time axis under the rows.
func (r *renderer) axis(rowsBottom float64) {
	r.printf(`<g class="tl-axis">` + "\n")
	for _, k := range r.s.axisTicks(r.loc) {
		x := f(r.s.x(k.at))
		r.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, x, f(rowsTop-4), x, f(rowsBottom+4), colGrid)
		r.printf(`<text x="%s" y="%s" text-anchor="middle" font-size="11" fill="%s">%s</text>`, x, f(rowsBottom+16), colMuted, esc(k.line1))
		if k.line2 != "" {
			r.printf(`<text x="%s" y="%s" text-anchor="middle" font-size="11" fill="%s">%s</text>`, x, f(rowsBottom+29), colMuted, esc(k.line2))
		}
		r.printf("\n")
	}
	r.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`+"\n</g>\n", f(plotX0), f(rowsBottom+4), f(plotX1), f(rowsBottom+4), colMuted)
}

// row draws one obligation: label, bar, holds, ticks, completion and verdict.
func (r *renderer) row(row *Row, i int) {
	y := rowsTop + rowH*float64(i)
	r.printf(`<g class="tl-row" data-obligation="%s">`+"\n", esc(row.ID))
	r.printf(`<title>%s</title>`+"\n", esc(r.rowTitle(row)))
	if i%2 == 0 {
		r.printf(`<rect x="0" y="%s" width="%s" height="%s" fill="#f6f6f6"/>`+"\n", f(y), f(width), f(rowH))
	}
	r.printf(`<text x="%s" y="%s" font-weight="bold">%s</text>`, f(labelX), f(y+15), esc(clip(row.ID, idChars)))
	sub := row.Title
	if row.Regime != "" {
		sub = row.Regime + " · " + sub // a combined incident: which playbook it comes from
	}
	r.printf(`<text x="%s" y="%s" font-size="10.5" fill="%s">%s</text>`+"\n", f(labelX), f(y+29), colMuted, esc(clip(sub, titleChars)))

	by := y + barTop
	mid := by + barH/2
	end := r.t.AsOf // where an open bar stops
	if !row.DoneAt.IsZero() {
		end = row.DoneAt
	}
	switch {
	case row.AnchorAt.IsZero():
		// Clock never started: nothing on the axis; the verdict says so.
	case !row.Deadline.IsZero():
		x0, x1 := r.s.x(row.AnchorAt), r.s.x(row.Deadline)
		w := max(x1-x0, 3)
		if row.InternalTarget {
			r.printf(`<rect class="tl-bar tl-target" x="%s" y="%s" width="%s" height="%s" fill="url(#%s-target)" stroke="%s" stroke-width="1.5" stroke-dasharray="4 2"/>`,
				f(x0), f(by), f(w), f(barH), r.id, colLegal)
		} else {
			r.printf(`<rect class="tl-bar tl-legal" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, f(x0), f(by), f(w), f(barH), colLegal)
		}
		// The deadline itself: a post past the bar's height.
		r.printf(`<line class="tl-deadline" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/>`+"\n", f(x1), f(by-4), f(x1), f(by+barH+4), colText)
		if !end.IsZero() && end.After(row.Deadline) && (row.Outcome == workflows.OutcomeMissed || !row.DoneAt.IsZero()) {
			xe := r.s.x(end)
			r.printf(`<rect class="tl-overrun" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`+"\n",
				f(x1), f(mid-3), f(max(xe-x1, 1)), "6", colOverrun, esc("past the deadline: "+workflows.FormatDuration(end.Sub(row.Deadline))))
		}
	default:
		// No fixed deadline: a dotted line from the anchor to its completion or the as-of.
		x0 := r.s.x(row.AnchorAt)
		x1 := x0
		if !end.IsZero() {
			x1 = r.s.x(end)
		}
		r.printf(`<line class="tl-open-duty" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="3" stroke-dasharray="2 3"/>`+"\n", f(x0), f(mid), f(max(x1, x0+2)), f(mid), colLegal)
	}
	if !row.AnchorAt.IsZero() && row.AnchorAt.Before(r.s.lo) {
		r.printf(`<path class="tl-clipped" d="M%s %s l6 -6 v12 z" fill="%s"><title>%s</title></path>`+"\n",
			f(plotX0-8), f(mid), colText, esc("clock from "+r.show(row.AnchorAt)+", before the axis starts"))
	}
	if !row.AnchorAt.IsZero() {
		x := r.s.x(row.AnchorAt)
		r.printf(`<line class="tl-anchor" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`+"\n", f(x), f(by-2), f(x), f(by+barH+2), colText, dashIf(row.AnchorBound))
	}
	r.holds(row, by)
	r.ticks(row, by)
	r.completion(row, mid)
	r.verdict(row, y)
	r.printf("</g>\n")
}

// dashIf dashes the outline of a mark whose time is known only as a bound, or of a hold still in
// force.
func dashIf(bound bool) string {
	if bound {
		return ` stroke-dasharray="2 2"`
	}
	return ""
}

func (r *renderer) rowTitle(row *Row) string {
	s := row.ID
	if row.Title != "" {
		s += " — " + row.Title
	}
	if row.Regime != "" {
		s += " [" + row.Regime + "]"
	}
	bound := func(b bool) string {
		if b {
			return "no later than "
		}
		return ""
	}
	if !row.AnchorAt.IsZero() {
		s += "; clock from " + bound(row.AnchorBound) + r.show(row.AnchorAt)
	}
	if !row.Deadline.IsZero() {
		kind := "legal deadline"
		if row.InternalTarget {
			kind = "internal target (not a legal deadline)"
		}
		s += "; " + kind + " " + bound(row.DeadlineBound) + r.show(row.Deadline)
	}
	if !row.DoneAt.IsZero() {
		s += "; done " + bound(row.DoneBound) + r.show(row.DoneAt)
	}
	return s + "; " + row.Label
}

func (r *renderer) holds(row *Row, by float64) {
	holds := row.Holds
	if len(holds) > MaxHoldsPerRow {
		holds = holds[:MaxHoldsPerRow]
	}
	for _, h := range holds {
		until := h.Until
		if until.IsZero() {
			until = r.t.AsOf
		}
		x0, x1 := r.s.x(h.From), r.s.x(until)
		title := "hold from " + r.show(h.From)
		switch {
		case h.Open && !h.Until.IsZero():
			title += ", in force until " + r.show(h.Until)
		case !h.Until.IsZero():
			title += " to " + r.show(h.Until)
		}
		if h.Label != "" {
			title += ": " + h.Label
		}
		r.printf(`<rect class="tl-hold" x="%s" y="%s" width="%s" height="%s" fill="url(#%s-hold)" stroke="%s" stroke-width="1"%s><title>%s</title></rect>`+"\n",
			f(x0), f(by-3), f(max(x1-x0, 2)), f(barH+6), r.id, colHold, dashIf(h.Open), esc(title))
	}
}

// ticks draws reminders (▼ above the bar), hold-expiring reminders (◆ above) and escalations
// (▲ below); beyond MaxTicksPerRow of a kind, they are grouped by time.
func (r *renderer) ticks(row *Row, by float64) {
	for _, kind := range []TickKind{TickReminder, TickHoldExpiring, TickEscalation} {
		var ks []Tick
		for _, k := range row.Ticks {
			if k.Kind == kind {
				ks = append(ks, k)
			}
		}
		if len(ks) > MaxTicksPerRow {
			ks = r.group(ks)
		}
		for _, k := range ks {
			x := r.s.x(k.At)
			n := max(k.Count, 1)
			title := fmt.Sprintf("%s %s", kind, r.show(k.At))
			if n > 1 {
				title = fmt.Sprintf("%d × %s, from %s", n, kind, r.show(k.At))
			}
			y := by - 8 // reminders and hold-expiring reminders above the bar, escalations below
			if kind == TickEscalation {
				y = by + barH + 1
			}
			shape := fmt.Sprintf(`<use href="#%s-%s" x="%s" y="%s"/>`, r.id, kind, f(x), f(y))
			r.printf(`<g class="tl-tick tl-%s" data-x="%s" data-count="%d">%s<title>%s</title></g>`+"\n", kind, f(x), n, shape, esc(title))
		}
	}
}

// group merges ticks into MaxTicksPerRow buckets of equal time on the axis; each bucket is drawn
// at its first tick with the bucket's count.
func (r *renderer) group(ks []Tick) []Tick {
	span := r.s.hi.Sub(r.s.lo)
	buckets := make([]Tick, MaxTicksPerRow)
	for _, k := range ks {
		i := int(float64(k.At.Sub(r.s.lo)) / float64(span) * MaxTicksPerRow)
		i = min(max(i, 0), MaxTicksPerRow-1)
		b := &buckets[i]
		if b.Count == 0 || k.At.Before(b.At) {
			b.At, b.Kind = k.At, k.Kind
		}
		b.Count += max(k.Count, 1)
	}
	var out []Tick
	for _, b := range buckets {
		if b.Count > 0 {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// completion marks when it was done: ✓ in a circle when met, ✗ in a square when late, W in a
// diamond when waived; a dashed outline marks a completion known only as a bound.
func (r *renderer) completion(row *Row, mid float64) {
	if row.DoneAt.IsZero() {
		return
	}
	x := r.s.x(row.DoneAt)
	dash := ""
	title := "done " + r.show(row.DoneAt) + ": " + row.Label
	if row.DoneBound {
		// Known only as "no later than": a dashed ring around the mark says so.
		title = "done no later than " + r.show(row.DoneAt) + ": " + row.Label
		r.printf(`<circle class="tl-bound" cx="%s" cy="%s" r="10" fill="none" stroke="%s" stroke-width="1.2" stroke-dasharray="2 2"/>`+"\n", f(x), f(mid), colText)
	}
	switch row.Outcome {
	case workflows.OutcomeMissed:
		r.printf(`<g class="tl-done tl-missed" data-x="%s"><rect x="%s" y="%s" width="12" height="12" fill="%s" stroke="#ffffff"%s/><text x="%s" y="%s" text-anchor="middle" font-size="10" font-weight="bold" fill="#ffffff">✗</text><title>%s</title></g>`+"\n",
			f(x), f(x-6), f(mid-6), colOverrun, dash, f(x), f(mid+3.5), esc(title))
	case workflows.OutcomeUndecided:
		r.printf(`<g class="tl-done tl-undecided" data-x="%s"><circle cx="%s" cy="%s" r="6.5" fill="%s" stroke="#ffffff"%s/><text x="%s" y="%s" text-anchor="middle" font-size="10" font-weight="bold" fill="#ffffff">?</text><title>%s</title></g>`+"\n",
			f(x), f(x), f(mid), colWaived, dash, f(x), f(mid+3.5), esc(title))
	case workflows.OutcomeWaived:
		r.printf(`<g class="tl-done tl-waived" data-x="%s"><path d="M%s %s l7 7 l-7 7 l-7 -7 z" fill="%s" stroke="#ffffff"%s/><text x="%s" y="%s" text-anchor="middle" font-size="8" font-weight="bold" fill="#ffffff">W</text><title>%s</title></g>`+"\n",
			f(x), f(x), f(mid-7), colWaived, dash, f(x), f(mid+3), esc("waived "+r.show(row.DoneAt)))
	default:
		r.printf(`<g class="tl-done tl-met" data-x="%s"><circle cx="%s" cy="%s" r="6.5" fill="%s" stroke="#ffffff"%s/><text x="%s" y="%s" text-anchor="middle" font-size="10" font-weight="bold" fill="#ffffff">✓</text><title>%s</title></g>`+"\n",
			f(x), f(x), f(mid), colMet, dash, f(x), f(mid+3.5), esc(title))
	}
}

// verdict writes the judgement in words, and what the row holds that the marks may not show.
func (r *renderer) verdict(row *Row, y float64) {
	col := colText
	switch row.Outcome {
	case workflows.OutcomeMet:
		col = colMet
	case workflows.OutcomeMissed:
		col = colOverrun
	}
	// A long verdict wraps onto the second line, ahead of the extras.
	line1, rest := wrap(row.Label, verdictChars)
	r.printf(`<text class="tl-verdict" x="%s" y="%s" fill="%s">%s</text>`, f(verdictX), f(y+15), col, esc(line1))
	line2 := r.extra(row)
	if rest != "" {
		// The extras keep their room; the verdict's rest gets what is left.
		room := extraChars
		if line2 != "" {
			room -= len([]rune(line2)) + 3
		}
		line2 = strings.TrimSuffix(clip(rest, max(room, 12))+" · "+line2, " · ")
	}
	if line2 != "" {
		r.printf(`<text class="tl-extra" x="%s" y="%s" font-size="10.5" fill="%s">%s</text>`, f(verdictX), f(y+29), colMuted, esc(line2))
	}
	r.printf("\n")
}

// extraChars is what the verdict column's second line holds.
const extraChars = 50

// extra says what a row holds that its marks may not show: its kind of deadline, how many
// reminders, escalations and holds, and whether they were grouped or left out. When the words
// do not fit, the legend's symbols stand for them.
func (r *renderer) extra(row *Row) string {
	count := map[TickKind]int{}
	kinds := map[TickKind]int{}
	for _, k := range row.Ticks {
		count[k.Kind] += max(k.Count, 1)
		kinds[k.Kind]++
	}
	var words, short []string
	if row.InternalTarget && !row.Deadline.IsZero() {
		words, short = append(words, "internal target"), append(short, "internal target")
	}
	grouped := false
	for _, k := range []struct {
		kind   TickKind
		symbol string
	}{{TickReminder, "▼"}, {TickEscalation, "▲"}, {TickHoldExpiring, "◆"}} {
		if n := count[k.kind]; n > 0 {
			words = append(words, plural(n, string(k.kind)))
			short = append(short, fmt.Sprintf("%s%d", k.symbol, n))
		}
		grouped = grouped || kinds[k.kind] > MaxTicksPerRow
	}
	if grouped {
		words, short = append(words, "grouped"), append(short, "grouped")
	}
	if n := len(row.Holds); n > 0 {
		h := plural(n, "hold")
		if n > MaxHoldsPerRow {
			h += fmt.Sprintf(", %d not drawn", n-MaxHoldsPerRow)
		}
		words, short = append(words, h), append(short, h)
	}
	if s := strings.Join(words, " · "); len([]rune(s)) <= extraChars {
		return s
	}
	return clip(strings.Join(short, " "), extraChars)
}

// wrap splits a text at the last space that keeps the first part within n runes.
func wrap(s string, n int) (first, rest string) {
	r := []rune(s)
	if len(r) <= n {
		return s, ""
	}
	cut := n
	for cut > n/2 && r[cut] != ' ' {
		cut--
	}
	if r[cut] != ' ' {
		cut = n
	}
	return strings.TrimSpace(string(r[:cut])), strings.TrimSpace(string(r[cut:]))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// lines draws the discovery line and the as-of line across the rows.
func (r *renderer) lines(rowsBottom float64) {
	if d := r.t.DiscoveredAt; !d.IsZero() {
		x := r.s.x(d)
		r.printf(`<g class="tl-discovered" data-x="%s"><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1" stroke-dasharray="5 3"/><text x="%s" y="%s" font-size="11" fill="%s">discovered</text><title>%s</title></g>`+"\n",
			f(x), f(x), f(rowsTop-30), f(x), f(rowsBottom), colMuted, f(x+3), f(rowsTop-30), colMuted, esc("discovered "+r.show(d)))
	}
	if a := r.t.AsOf; !a.IsZero() {
		x := r.s.x(a)
		r.printf(`<g class="tl-asof" data-x="%s"><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/><text x="%s" y="%s" font-size="11" font-weight="bold" text-anchor="end">%s</text><title>%s</title></g>`+"\n",
			f(x), f(x), f(rowsTop-44), f(x), f(rowsBottom), colText, f(x-3), f(rowsTop-44), esc(r.asOfLabel()), esc(r.asOfLabel()+" "+r.show(a)))
	}
}

// markers draws a numbered vertical line per change that moved clocks; the key under the chart
// says each one in words. Badges that would overlap are nudged right of their line.
func (r *renderer) markers(ms []Marker, rowsBottom float64) {
	prev := -1e9
	for i, m := range ms {
		x := r.s.x(m.At)
		bx := max(x, prev+17)
		prev = bx
		by := rowsTop - 16
		r.printf(`<g class="tl-marker" data-kind="%s" data-x="%s"><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="6 3"/>`,
			esc(string(m.Kind)), f(x), f(x), f(by+8), f(x), f(rowsBottom), colMarker)
		if bx != x {
			r.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f(x), f(by+8), f(bx), f(by+4), colMarker)
		}
		r.printf(`<circle cx="%s" cy="%s" r="8" fill="%s"/><text x="%s" y="%s" text-anchor="middle" font-size="10" font-weight="bold" fill="#ffffff">%d</text><title>%s</title></g>`+"\n",
			f(bx), f(by), colMarker, f(bx), f(by+3.5), i+1, esc(r.markerText(m)))
	}
}

func (r *renderer) markerText(m Marker) string {
	s := fmt.Sprintf("%s · %s: %s", r.show(m.At), m.Kind, m.Label)
	if len(m.Moved) > 0 {
		s += " — moved " + strings.Join(m.Moved, ", ")
	}
	return s
}

type legendItem struct {
	shape, text string
}

// legendItems lists what the picture uses, always in the same order.
func (r *renderer) legendItems() []legendItem {
	items := []legendItem{
		{fmt.Sprintf(`<rect x="0" y="-9" width="22" height="10" fill="%s"/>`, colLegal), "clock → legal deadline"},
		{fmt.Sprintf(`<rect x="0" y="-9" width="22" height="10" fill="url(#%s-target)" stroke="%s" stroke-dasharray="4 2"/>`, r.id, colLegal), "clock → internal target"},
		{fmt.Sprintf(`<line x1="0" y1="-4" x2="22" y2="-4" stroke="%s" stroke-width="3" stroke-dasharray="2 3"/>`, colLegal), "no fixed deadline"},
		{fmt.Sprintf(`<rect x="0" y="-7" width="22" height="6" fill="%s"/>`, colOverrun), "past the deadline"},
		{fmt.Sprintf(`<rect x="0" y="-10" width="22" height="12" fill="url(#%s-hold)" stroke="%s"/>`, r.id, colHold), "hold (clock paused)"},
		{fmt.Sprintf(`<use href="#%s-reminder" x="11" y="-8"/>`, r.id), "reminder"},
		{fmt.Sprintf(`<use href="#%s-escalation" x="11" y="-8"/>`, r.id), "escalation"},
		{fmt.Sprintf(`<use href="#%s-hold-expiring" x="11" y="-9"/>`, r.id), "hold expiring"},
		{fmt.Sprintf(`<circle cx="11" cy="-4" r="6.5" fill="%s"/><text x="11" y="-0.5" text-anchor="middle" font-size="10" font-weight="bold" fill="#ffffff">✓</text>`, colMet), "done, met"},
		{fmt.Sprintf(`<rect x="5" y="-10" width="12" height="12" fill="%s"/><text x="11" y="-0.5" text-anchor="middle" font-size="10" font-weight="bold" fill="#ffffff">✗</text>`, colOverrun), "done late (missed)"},
		{fmt.Sprintf(`<path d="M11 -11 l7 7 l-7 7 l-7 -7 z" fill="%s"/><text x="11" y="-1" text-anchor="middle" font-size="8" font-weight="bold" fill="#ffffff">W</text>`, colWaived), "waived"},
		{fmt.Sprintf(`<circle cx="11" cy="-4" r="8" fill="%s"/><text x="11" y="-0.5" text-anchor="middle" font-size="10" font-weight="bold" fill="#ffffff">1</text>`, colMarker), "change that moved clocks"},
	}
	for _, row := range r.t.Rows {
		if row.DoneBound || row.AnchorBound || row.DeadlineBound {
			items = append(items, legendItem{fmt.Sprintf(`<circle cx="11" cy="-4" r="8" fill="none" stroke="%s" stroke-width="1.2" stroke-dasharray="2 2"/>`, colText), "time known only as \"no later than\""})
			break
		}
	}
	for _, row := range r.t.Rows {
		if row.Outcome == workflows.OutcomeUndecided && !row.DoneAt.IsZero() {
			items = append(items, legendItem{fmt.Sprintf(`<circle cx="11" cy="-4" r="6.5" fill="%s"/><text x="11" y="-0.5" text-anchor="middle" font-size="10" font-weight="bold" fill="#ffffff">?</text>`, colWaived), "done, undecided (date not public)"})
			break
		}
	}
	return items
}

func (r *renderer) legend(items []legendItem, top float64) {
	r.printf(`<g class="tl-legend" font-size="11">` + "\n")
	for i, it := range items {
		x := labelX + float64(i%4)*270
		y := top + float64(i/4)*legendRow
		r.printf(`<g transform="translate(%s %s)">%s<text x="28" y="0">%s</text></g>`+"\n", f(x), f(y), it.shape, esc(it.text))
	}
	r.printf("</g>\n")
}

// key says each marker in words, then the notes.
func (r *renderer) key(ms []Marker, notes []string, top float64) {
	r.printf(`<g class="tl-key" font-size="11">` + "\n")
	y := top
	for i, m := range ms {
		r.printf(`<text x="%s" y="%s"><tspan font-weight="bold" fill="%s">%d</tspan> %s</text>`+"\n", f(labelX), f(y), colMarker, i+1, esc(clip(r.markerText(m), markerChars+40)))
		y += keyRow
	}
	for _, n := range notes {
		r.printf(`<text x="%s" y="%s" fill="%s">%s</text>`+"\n", f(labelX), f(y), colMuted, esc(clip(n, markerChars+40)))
		y += keyRow
	}
	r.printf("</g>\n")
}
