package clock

import (
	"fmt"
	"time"
)

// Limits on what the engine computes. Every amount, interval and time an incident can carry is
// bounded so that each deadline, reminder and escalation is computable in bounded time and
// representable everywhere it goes (JSON, Temporal payloads, iCalendar): a deadline lies at most
// MaxDeadlineSpan after its anchor, and every accepted time lies in [EarliestTime, LatestTime],
// so no computed instant comes near year 10000, where JSON encoding of a time fails.
//
// Parsers (playbook, incident file, scenario) refuse anything outside these limits with a
// message naming the field; Spec.Validate enforces the amount limits and Spec.Due refuses to
// compute outside them even when called with an unvalidated Spec.
const (
	// MaxDeadlineSpan is the longest time from an anchor to its deadline: 100 years of 366 days
	// (room for leap days and a daylight-saving hour). The per-kind amount limits below all
	// stay within it.
	MaxDeadlineSpan = 100 * 366 * 24 * time.Hour

	// MaxHours is the largest amount of a Hours deadline (100 × 365 days).
	MaxHours = 100 * 365 * 24
	// MaxCalendarDays is the largest amount of a CalendarDays deadline (100 × 365 days).
	MaxCalendarDays = 100 * 365
	// MaxCalendarMonths is the largest amount of a CalendarMonths deadline (100 years).
	MaxCalendarMonths = 100 * 12
	// MaxBusinessDays is the largest amount of a BusinessDays deadline: 25,000 business days are
	// about 99 years of weekdays less federal holidays.
	MaxBusinessDays = 25000

	// MinInterval is the shortest repeat interval (escalation every, reminder cadence): one
	// minute. Shorter intervals would flood recipients and the workflow history.
	MinInterval = time.Minute
	// MaxInterval is the longest repeat interval and the longest reminder lead time
	// (reminders before: ...): 366 days.
	MaxInterval = 366 * 24 * time.Hour
)

// The accepted window for incident times: discovery, facts, completions, holds, scenario events.
var (
	// EarliestTime is the earliest time the engine accepts: 1970-01-01T00:00:00Z. Earlier times
	// are almost always a zero value or a typo (0001-01-01).
	EarliestTime = time.Date(1970, time.January, 1, 0, 0, 0, 0, time.UTC)
	// LatestTime is the latest time the engine accepts: 2200-01-01T00:00:00Z. With
	// MaxDeadlineSpan this keeps every computed deadline before year 2301.
	LatestTime = time.Date(2200, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// MaxDiscoveryAhead is how far in the future a discovery time may lie when an incident starts
// (clock skew between machines, a zone typed wrong by an hour): one day.
const MaxDiscoveryAhead = 24 * time.Hour

// MaxAmount returns the largest amount for kind, or 0 for None and unknown kinds.
func MaxAmount(kind Kind) int {
	switch kind {
	case Hours:
		return MaxHours
	case CalendarDays:
		return MaxCalendarDays
	case CalendarMonths:
		return MaxCalendarMonths
	case BusinessDays:
		return MaxBusinessDays
	case AfterYearEnd:
		return MaxAfterYearEnd
	}
	return 0
}

// CheckTime reports whether t lies in the accepted window [EarliestTime, LatestTime]. field
// names the input in the error, e.g. "at" or "discovered_at". The zero time is refused like any
// other time before 1970 (it is what "0001-01-01" parses to); callers for which a zero time means
// "now" or "not given" must test IsZero before calling.
func CheckTime(field string, t time.Time) error {
	switch {
	case t.Before(EarliestTime):
		return fmt.Errorf("%s: %s is before %s: check the year (a time this early is usually a placeholder or a typo)",
			field, formatTime(t), EarliestTime.Format("2006-01-02"))
	case t.After(LatestTime):
		return fmt.Errorf("%s: %s is after %s, the latest time the engine accepts: check the year",
			field, formatTime(t), LatestTime.Format("2006-01-02"))
	}
	return nil
}

// CheckDiscovery is CheckTime for a discovery time given when an incident starts at now: it may
// lie at most MaxDiscoveryAhead after now.
func CheckDiscovery(field string, t, now time.Time) error {
	if err := CheckTime(field, t); err != nil {
		return err
	}
	if t.After(now.Add(MaxDiscoveryAhead)) {
		return fmt.Errorf("%s: %s is in the future: give the time the incident was discovered, not a planned date", field, formatTime(t))
	}
	return nil
}

// CheckInterval reports whether a repeat interval (escalation every, reminder cadence) lies in
// [MinInterval, MaxInterval].
func CheckInterval(d time.Duration) error {
	if d < MinInterval || d > MaxInterval {
		return fmt.Errorf("must be between %s and %s (got %s): write e.g. 1h, 1d or 1w", fmtDur(MinInterval), fmtDur(MaxInterval), fmtDur(d))
	}
	return nil
}

// CheckLead reports whether a reminder lead time (before: ...) lies in [0, MaxInterval].
func CheckLead(d time.Duration) error {
	if d < 0 || d > MaxInterval {
		return fmt.Errorf("must be between 0s and %s (got %s): write e.g. 0s, 1h or 1d", fmtDur(MaxInterval), fmtDur(d))
	}
	return nil
}

// representable reports whether t is a time every encoding the engine uses can carry (JSON
// refuses years outside [0, 9999]).
func representable(t time.Time) bool {
	y := t.Year()
	return y >= 1 && y <= 9999
}

// formatTime prints t for an error message; unlike RFC 3339 it never fails.
func formatTime(t time.Time) string {
	if representable(t) {
		return t.Format(time.RFC3339)
	}
	return fmt.Sprintf("year %d", t.Year())
}

// fmtDur prints a duration in days when it is a whole number of days.
func fmtDur(d time.Duration) string {
	if d != 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
