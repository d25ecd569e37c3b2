package chart

import (
	"fmt"
	"hash/fnv"
	"html/template"
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
	r.printf("<title>%s</title>\n<desc id=\"%s-desc\">%s</desc>\n", esc(r.heading()), r.id, escN(r.description(rows), maxDesc))
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
			fmt.Fprintf(&b, "clock from %s%s", noLaterThan(row.AnchorBound), r.show(row.AnchorAt))
		}
		if !row.Deadline.IsZero() {
			kind := "deadline"
			if row.InternalTarget {
				kind = "internal target"
			}
			fmt.Fprintf(&b, ", %s %s%s", kind, noLaterThan(row.DeadlineBound), r.show(row.Deadline))
		}
		if !row.DoneAt.IsZero() {
			fmt.Fprintf(&b, ", done %s%s", noLaterThan(row.DoneBound), r.show(row.DoneAt))
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
