package chart

import (
	"time"
)

// scale maps instants to x positions in the plot area.
type scale struct {
	lo, hi time.Time
	x0, x1 float64
	// early is the earliest instant drawn when it lies so far before discovery that the axis
	// starts at discovery instead: the marks before it are clamped to the left edge (◀).
	early time.Time
}

// minSpan is the shortest span the axis shows, so that an incident whose acts all fall in one
// second still gets a readable axis.
const minSpan = time.Hour

// newScale spans every instant the timeline draws, padded by 3% on each side. Instants before
// discovery (an anchor on a fact's value, e.g. when a contractor learned of the breach) are
// included when they lie within the span after discovery (taking at most half the axis); further
// back they would squeeze the whole incident into a sliver at the right, so the axis starts at
// discovery and they are clamped to its left edge.
func newScale(t *Timeline, x0, x1 float64) scale {
	var lo, hi, early time.Time
	see := func(at time.Time) {
		if at.IsZero() {
			return
		}
		if !t.DiscoveredAt.IsZero() && at.Before(t.DiscoveredAt) {
			if early.IsZero() || at.Before(early) {
				early = at
			}
			return
		}
		if lo.IsZero() || at.Before(lo) {
			lo = at
		}
		if hi.IsZero() || at.After(hi) {
			hi = at
		}
	}
	see(t.DiscoveredAt)
	see(t.AsOf)
	for i := range t.Rows {
		r := &t.Rows[i]
		see(r.AnchorAt)
		see(r.Deadline)
		see(r.DoneAt)
		for _, k := range r.Ticks {
			see(k.At)
		}
		for _, h := range r.Holds {
			see(h.From)
			see(h.Until)
		}
	}
	for _, m := range t.Markers {
		see(m.At)
	}
	if lo.IsZero() {
		lo = time.Unix(0, 0).UTC()
		hi = lo
	}
	if hi.Sub(lo) < minSpan {
		hi = lo.Add(minSpan)
	}
	if !early.IsZero() {
		if lo.Sub(early) <= hi.Sub(lo) {
			lo, early = early, time.Time{}
		}
	}
	pad := hi.Sub(lo) * 3 / 100
	return scale{lo: lo.Add(-pad), hi: hi.Add(pad), x0: x0, x1: x1, early: early}
}

// x is an instant's position; instants outside the span are clamped to its ends.
func (s scale) x(t time.Time) float64 {
	span := s.hi.Sub(s.lo)
	d := t.Sub(s.lo)
	switch {
	case d <= 0:
		return s.x0
	case d >= span:
		return s.x1
	}
	return s.x0 + (s.x1-s.x0)*float64(d)/float64(span)
}

// axisStep is a spacing of the axis's ticks.
type axisStep struct {
	d      time.Duration // for steps under a day
	days   int
	months int
}

// approx is the step's length, to choose among steps.
func (a axisStep) approx() time.Duration {
	return a.d + time.Duration(a.days)*24*time.Hour + time.Duration(a.months)*30*24*time.Hour
}

// steps are the candidate spacings, shortest first: hours, then days, then months and years.
var steps = []axisStep{
	{d: 15 * time.Minute}, {d: 30 * time.Minute}, {d: time.Hour}, {d: 2 * time.Hour}, {d: 3 * time.Hour},
	{d: 6 * time.Hour}, {d: 12 * time.Hour},
	{days: 1}, {days: 2}, {days: 7}, {days: 14},
	{months: 1}, {months: 2}, {months: 3}, {months: 6},
	{months: 12}, {months: 24}, {months: 60}, {months: 120}, {months: 600}, {months: 1200},
}

// maxAxisTicks is the most ticks the axis carries.
const maxAxisTicks = 9

// axisTick is one tick of the axis with its label: the first line always, the second when the
// date (for hour steps) or the year (for day and month steps) changes from the previous tick.
type axisTick struct {
	at           time.Time
	line1, line2 string
}

// axisTicks chooses the shortest step that keeps the ticks at most maxAxisTicks and places
// them on round instants of the zone: whole hours, midnights, first days of months.
func (s scale) axisTicks(loc *time.Location) []axisTick {
	span := s.hi.Sub(s.lo)
	step := steps[len(steps)-1]
	for _, c := range steps {
		if span/c.approx() < maxAxisTicks {
			step = c
			break
		}
	}
	lo := s.lo.In(loc)
	var at time.Time
	switch {
	case step.d > 0:
		at = time.Date(lo.Year(), lo.Month(), lo.Day(), lo.Hour(), 0, 0, 0, loc)
		if step.d >= time.Hour {
			h := int(step.d / time.Hour)
			at = at.Add(-time.Duration(lo.Hour()%h) * time.Hour)
		}
	case step.days > 0:
		at = time.Date(lo.Year(), lo.Month(), lo.Day(), 0, 0, 0, 0, loc)
		if step.days%7 == 0 {
			// Weeks start on Mondays.
			at = at.AddDate(0, 0, -((int(at.Weekday()) + 6) % 7))
		}
	default:
		m := int(lo.Month()) - 1
		y := lo.Year()
		if step.months >= 12 {
			years := step.months / 12
			y -= ((y % years) + years) % years
			m = 0
		} else {
			m -= m % step.months
		}
		at = time.Date(y, time.Month(m+1), 1, 0, 0, 0, 0, loc)
	}
	var out []axisTick
	var prev time.Time
	for i := 0; !at.After(s.hi) && i < 4*maxAxisTicks; i++ {
		if !at.Before(s.lo) {
			out = append(out, label(at, prev, step))
			prev = at
		}
		switch {
		case step.d > 0:
			at = at.Add(step.d)
		case step.days > 0:
			at = at.AddDate(0, 0, step.days)
		default:
			at = at.AddDate(0, step.months, 0)
		}
	}
	return out
}

func label(at, prev time.Time, step axisStep) axisTick {
	t := axisTick{at: at}
	switch {
	case step.d > 0:
		t.line1 = at.Format("15:04")
		if prev.IsZero() || prev.YearDay() != at.YearDay() || prev.Year() != at.Year() {
			t.line2 = at.Format("Mon 2 Jan")
		}
	case step.days > 0:
		t.line1 = at.Format("Mon 2 Jan")
		if prev.IsZero() || prev.Year() != at.Year() {
			t.line2 = at.Format("2006")
		}
	case step.months < 12:
		t.line1 = at.Format("Jan")
		if prev.IsZero() || prev.Year() != at.Year() {
			t.line2 = at.Format("2006")
		}
	default:
		t.line1 = at.Format("2006")
	}
	return t
}
