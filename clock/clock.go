// Package clock computes legal notification deadlines.
//
// Notification laws count time differently: some in hours, some in calendar
// days or months, some in business days of a given jurisdiction. A [Spec]
// names the clock, the amount and the time zone in which the law counts, and
// [Spec.Due] turns an anchor instant (for example, discovery of a breach) into
// the deadline instant.
package clock

import (
	"fmt"
	"strings"
	"time"

	// Embed the zone database so deadlines in named zones work on hosts
	// without system tzdata (e.g. minimal containers).
	_ "time/tzdata"
)

// Kind names a deadline clock.
type Kind string

const (
	// Hours is anchor + N hours of elapsed time, regardless of DST.
	Hours Kind = "hours"
	// CalendarDays is anchor + N days at the same local wall-clock time in
	// the zone, so a DST change in between shifts the elapsed time by the
	// DST offset.
	CalendarDays Kind = "calendar_days"
	// CalendarMonths is anchor + N months at the same local wall-clock time.
	// If the anchor's day does not exist in the target month, the deadline
	// falls on the last day of that month (31 Jan + 1 month = 28/29 Feb).
	CalendarMonths Kind = "calendar_months"
	// BusinessDays counts N business days after the anchor's local date;
	// see [Spec.Due].
	BusinessDays Kind = "business_days"
	// None means there is no fixed deadline (e.g. "without unreasonable
	// delay").
	None Kind = "none"
)

// kinds lists every Kind, in the order error messages present them.
var kinds = []Kind{Hours, CalendarDays, CalendarMonths, BusinessDays, AfterYearEnd, None}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool {
	for _, known := range kinds {
		if k == known {
			return true
		}
	}
	return false
}

// ParseKind returns the Kind named s, or an error listing the known kinds.
func ParseKind(s string) (Kind, error) {
	if k := Kind(s); k.Valid() {
		return k, nil
	}
	return "", unknownKindError(s)
}

func unknownKindError(s string) error {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return fmt.Errorf("clock: unknown deadline kind %q (known: %s)", s, strings.Join(names, ", "))
}

// Spec is a deadline on a clock.
type Spec struct {
	// Kind is the clock the deadline runs on.
	Kind Kind
	// Amount is the number of units of Kind; it must be positive unless
	// Kind is None, in which case it must be zero.
	Amount int
	// Location is the zone in which days and months are counted; nil means
	// UTC. Due returns deadlines in this zone.
	Location *time.Location
	// Calendar decides which weekdays are holidays; only for BusinessDays.
	// Nil means USFederal.
	Calendar Calendar
	// CloseOfBusiness, when non-zero, is the local time of day (offset from
	// local midnight, e.g. 17*time.Hour) at which a business-day deadline
	// ends; zero means the end of the day (00:00 of the next calendar day).
	// Only for BusinessDays.
	CloseOfBusiness time.Duration
}

// Validate reports whether s describes a computable deadline.
func (s Spec) Validate() error {
	if !s.Kind.Valid() {
		return unknownKindError(string(s.Kind))
	}
	if s.Kind == None {
		if s.Amount != 0 {
			return fmt.Errorf("clock: amount must be zero for kind %s (got %d)", None, s.Amount)
		}
	} else if s.Amount <= 0 {
		return fmt.Errorf("clock: amount must be positive (got %d)", s.Amount)
	}
	// The limits keep every deadline within MaxDeadlineSpan of its anchor; they also keep
	// Amount*time.Hour from overflowing and the business-day count short.
	if limit := MaxAmount(s.Kind); s.Kind != None && s.Amount > limit {
		return fmt.Errorf("clock: amount of %d %s is out of range: use at most %d (a deadline lies within 100 years of its anchor)", s.Amount, s.Kind, limit)
	}
	if s.Kind != BusinessDays {
		if s.Calendar != nil {
			return fmt.Errorf("clock: calendar applies only to kind %s (got kind %s)", BusinessDays, s.Kind)
		}
		if s.CloseOfBusiness != 0 {
			return fmt.Errorf("clock: close of business applies only to kind %s (got kind %s)", BusinessDays, s.Kind)
		}
		return nil
	}
	if s.CloseOfBusiness < 0 || s.CloseOfBusiness > 24*time.Hour {
		return fmt.Errorf("clock: close of business must be within (0, 24h] (got %v)", s.CloseOfBusiness)
	}
	return nil
}

// Due returns the deadline for anchor, expressed in s.Location. It reports
// false when there is no deadline: for Kind None, and also when s is invalid
// or the anchor or the deadline lies outside the years 1 to 9999 (the
// deadline could not be encoded), so callers that must tell these apart
// should call Validate and CheckTime first. Due always returns in bounded
// time, whatever s and anchor are.
//
// For BusinessDays the anchor's own local date never counts, even when the
// anchor is early on a business day. Counting starts on the next calendar
// day; the deadline is the end (or CloseOfBusiness) of the Nth business day,
// in local time.
func (s Spec) Due(anchor time.Time) (time.Time, bool) {
	if s.Kind == None || s.Validate() != nil || !representable(anchor) {
		return time.Time{}, false
	}
	due, ok := s.due(anchor)
	if !ok || !representable(due) || due.Sub(anchor) > MaxDeadlineSpan {
		return time.Time{}, false
	}
	return due, true
}

// due computes the deadline of a valid spec.
func (s Spec) due(anchor time.Time) (time.Time, bool) {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	local := anchor.In(loc)
	switch s.Kind {
	case Hours:
		return local.Add(time.Duration(s.Amount) * time.Hour), true
	case CalendarDays:
		return local.AddDate(0, 0, s.Amount), true
	case CalendarMonths:
		return addMonthsClamped(local, s.Amount), true
	case AfterYearEnd:
		return dueAfterYearEnd(local, s.Amount), true
	default: // BusinessDays; Validate rejected anything else.
		cal := s.Calendar
		if cal == nil {
			cal = USFederal
		}
		day := civilDate(local)
		// A calendar whose every day is a holiday must not loop forever.
		last := day.Add(MaxDeadlineSpan)
		for n := 0; n < s.Amount; {
			day = day.AddDate(0, 0, 1)
			if day.After(last) {
				return time.Time{}, false
			}
			if isBusinessDay(cal, day) {
				n++
			}
		}
		return closeOfDay(day, s.CloseOfBusiness, loc), true
	}
}

// addMonthsClamped adds months to t keeping its wall-clock time. Unlike
// time.AddDate, which normalizes 31 Feb to 2/3 Mar, it clamps the day to the
// last day of the target month, as legal month periods do.
func addMonthsClamped(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	lastDay := time.Date(y, m+time.Month(months)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	hh, mm, ss := t.Clock()
	return time.Date(y, m+time.Month(months), min(d, lastDay), hh, mm, ss, t.Nanosecond(), t.Location())
}

// civilDate returns t's local date as midnight UTC, the representation used
// for dates throughout this package; day arithmetic on it is DST-free.
func civilDate(t time.Time) time.Time {
	return date(t.Date())
}

// closeOfDay returns the instant in loc at which the civil date day closes:
// at the local time of day cob, or at the start of the next day if cob is
// zero or 24h.
func closeOfDay(day time.Time, cob time.Duration, loc *time.Location) time.Time {
	if cob == 0 || cob == 24*time.Hour {
		return startOfDay(day.AddDate(0, 0, 1), loc)
	}
	// Build the wall-clock time from its fields rather than adding cob to
	// midnight, which would be off by an hour on DST-change days.
	y, m, d := day.Date()
	hh, rest := cob/time.Hour, cob%time.Hour
	mm, rest := rest/time.Minute, rest%time.Minute
	ss, ns := rest/time.Second, rest%time.Second
	return time.Date(y, m, d, int(hh), int(mm), int(ss), int(ns), loc)
}

// startOfDay returns the first instant of the civil date day in loc. That is
// normally 00:00, but some zones (e.g. America/Santiago) switch to DST at
// midnight, so the day begins at 01:00; time.Date then normalizes the missing
// 00:00 to either side of the gap, and the day really begins at the
// transition.
func startOfDay(day time.Time, loc *time.Location) time.Time {
	y, m, d := day.Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if hh, mm, ss := t.Clock(); hh == 0 && mm == 0 && ss == 0 {
		return t
	}
	start, end := t.ZoneBounds()
	if civilDate(t).Before(day) {
		return end
	}
	return start
}
