package chart

import (
	"fmt"
	"sort"
	"strings"

	"github.com/breachflow/breachflow/workflows"
)

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
	if !row.AnchorAt.IsZero() {
		s += "; clock from " + noLaterThan(row.AnchorBound) + r.show(row.AnchorAt)
	}
	if !row.Deadline.IsZero() {
		kind := "legal deadline"
		if row.InternalTarget {
			kind = "internal target (not a legal deadline)"
		}
		s += "; " + kind + " " + noLaterThan(row.DeadlineBound) + r.show(row.Deadline)
	}
	if !row.DoneAt.IsZero() {
		s += "; done " + noLaterThan(row.DoneBound) + r.show(row.DoneAt)
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

// noLaterThan says that a time is only a bound.
func noLaterThan(bound bool) string {
	if bound {
		return "no later than "
	}
	return ""
}
