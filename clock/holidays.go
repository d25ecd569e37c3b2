package clock

import (
	"fmt"
	"strings"
	"time"
)

// Calendar says which dates are non-working days besides weekends.
type Calendar interface {
	// Name is the calendar's identifier, as accepted by CalendarByName.
	Name() string
	// IsHoliday reports whether the civil date is a day off. For calendars
	// with observed-day rules this is the observed day, not the nominal one.
	IsHoliday(year int, month time.Month, day int) bool
}

// USFederal is the calendar of US federal holidays (5 U.S.C. 6103) as
// observed by federal employees; see USFederalHolidays. Its name is
// "us-federal".
var USFederal Calendar = usFederal{}

// calendars lists every Calendar CalendarByName knows.
var calendars = []Calendar{USFederal, USFederalDC}

// CalendarByName returns the calendar with the given name. The empty name
// means "us-federal".
func CalendarByName(name string) (Calendar, error) {
	if name == "" {
		return USFederal, nil
	}
	names := make([]string, len(calendars))
	for i, c := range calendars {
		if c.Name() == name {
			return c, nil
		}
		names[i] = c.Name()
	}
	return nil, fmt.Errorf("clock: unknown calendar %q (known: %s)", name, strings.Join(names, ", "))
}

// IsBusinessDay reports whether the civil date is a Monday to Friday that is
// not a holiday in cal. A nil cal means USFederal. Out-of-range values are
// normalized as by time.Date (e.g. 32 January is 1 February).
func IsBusinessDay(cal Calendar, year int, month time.Month, day int) bool {
	if cal == nil {
		cal = USFederal
	}
	return isBusinessDay(cal, time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// isBusinessDay is IsBusinessDay for a civil date held as midnight UTC.
func isBusinessDay(cal Calendar, d time.Time) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !cal.IsHoliday(d.Date())
}

// Holiday is one public holiday. Dates are civil dates held as midnight UTC.
type Holiday struct {
	// Name is the holiday's name as written in the statute.
	Name string
	// Date is the nominal date of the holiday.
	Date time.Time
	// Observed is the day off: Date, or the nearest weekday if Date falls
	// on a weekend.
	Observed time.Time
}

// USFederalHolidays returns the legal public holidays of 5 U.S.C. 6103 for
// year, in date order, each with its observed day: a holiday on a Saturday is
// observed on the preceding Friday, one on a Sunday on the following Monday
// (5 U.S.C. 6103(b), Executive Order 11582). The observed day can fall in
// another year: New Year's Day on a Saturday is observed on 31 December of
// the year before.
//
// The rules are those in force today, plus Juneteenth starting in 2021; older
// changes (such as Martin Luther King Jr. Day first observed in 1986) are not
// modelled. Inauguration Day, which is a holiday only in the Washington area,
// is in USFederalDC; one-off closures by executive order (e.g. 24 December
// 2019) are added with WithClosures.
func USFederalHolidays(year int) []Holiday {
	hs := []Holiday{
		newYearsDay(year),
		holiday("Birthday of Martin Luther King, Jr.", nthWeekday(year, time.January, time.Monday, 3)),
		holiday("Washington's Birthday", nthWeekday(year, time.February, time.Monday, 3)),
		holiday("Memorial Day", lastWeekday(year, time.May, time.Monday)),
	}
	// Juneteenth National Independence Day Act, signed 17 June 2021 and
	// first observed on 18 June 2021.
	if year >= 2021 {
		hs = append(hs, holiday("Juneteenth National Independence Day", date(year, time.June, 19)))
	}
	return append(hs,
		holiday("Independence Day", date(year, time.July, 4)),
		holiday("Labor Day", nthWeekday(year, time.September, time.Monday, 1)),
		holiday("Columbus Day", nthWeekday(year, time.October, time.Monday, 2)),
		holiday("Veterans Day", date(year, time.November, 11)),
		holiday("Thanksgiving Day", nthWeekday(year, time.November, time.Thursday, 4)),
		holiday("Christmas Day", date(year, time.December, 25)),
	)
}

// usFederal implements USFederal.
type usFederal struct{}

func (usFederal) Name() string { return "us-federal" }

// IsHoliday recomputes the year's holidays on each call rather than caching
// them: it is a handful of date calculations, cheap enough for counting
// business days, and needs no synchronization.
func (usFederal) IsHoliday(year int, month time.Month, day int) bool {
	d := date(year, month, day)
	year, month, _ = d.Date() // in case the arguments needed normalizing
	hs := USFederalHolidays(year)
	if month == time.December {
		// Next year's New Year's Day may be observed on 31 December.
		hs = append(hs, newYearsDay(year+1))
	}
	for _, h := range hs {
		if h.Observed.Equal(d) {
			return true
		}
	}
	return false
}

func newYearsDay(year int) Holiday {
	return holiday("New Year's Day", date(year, time.January, 1))
}

// holiday returns the holiday on d with its observed day.
func holiday(name string, d time.Time) Holiday {
	observed := d
	switch d.Weekday() {
	case time.Saturday:
		observed = d.AddDate(0, 0, -1)
	case time.Sunday:
		observed = d.AddDate(0, 0, 1)
	}
	return Holiday{Name: name, Date: d, Observed: observed}
}

// date returns the civil date as midnight UTC, normalized as by time.Date.
func date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
}

// nthWeekday returns the nth (1-based) weekday wd of the month.
func nthWeekday(year int, month time.Month, wd time.Weekday, n int) time.Time {
	first := date(year, month, 1)
	offset := (int(wd) - int(first.Weekday()) + 7) % 7
	return first.AddDate(0, 0, offset+7*(n-1))
}

// lastWeekday returns the last weekday wd of the month.
func lastWeekday(year int, month time.Month, wd time.Weekday) time.Time {
	last := date(year, month+1, 0)
	offset := (int(last.Weekday()) - int(wd) + 7) % 7
	return last.AddDate(0, 0, -offset)
}
