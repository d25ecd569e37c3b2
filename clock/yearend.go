package clock

import "time"

// AfterYearEnd counts calendar days from the end of the calendar year in which the anchor falls,
// in the spec's zone: "within 60 days after the end of each calendar year" (HIPAA, 45 CFR
// 164.408(c), breaches affecting fewer than 500 people, to HHS). The year ends at 00:00 on
// 1 January of the next year (local time); the deadline is that instant plus Amount days at the
// same wall-clock time, i.e. the end of the Amount-th day of the new year. Amount 60 from any
// anchor in 2025 gives the end of 1 March 2026 (00:00 on 2 March, local): January has 31 days,
// February 28, so 31 December 2025 + 60 days is 1 March 2026.
const AfterYearEnd Kind = "after_year_end"

// MaxAfterYearEnd is the largest amount of an AfterYearEnd deadline: 99 years of 365 days, so
// that with up to a year from the anchor to the year's end the deadline stays within
// MaxDeadlineSpan of its anchor.
const MaxAfterYearEnd = 99 * 365

// dueAfterYearEnd is the AfterYearEnd deadline for an anchor already in the spec's zone.
func dueAfterYearEnd(local time.Time, days int) time.Time {
	return startOfDay(date(local.Year()+1, time.January, 1+days), local.Location())
}
