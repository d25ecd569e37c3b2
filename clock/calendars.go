package clock

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// USFederalDC is USFederal plus Inauguration Day, a legal public holiday for federal employees
// in the District of Columbia and the neighbouring counties and cities (5 U.S.C. 6103(c)): 20
// January of every fourth year from 1965 (the year after a presidential election), or 21
// January when the 20th is a Sunday. On a Saturday it gives no day off in lieu. Its name is
// "us-federal-dc".
var USFederalDC Calendar = usFederalDC{}

// usFederalDC implements USFederalDC.
type usFederalDC struct{}

func (usFederalDC) Name() string { return "us-federal-dc" }

func (usFederalDC) IsHoliday(year int, month time.Month, day int) bool {
	if USFederal.IsHoliday(year, month, day) {
		return true
	}
	d := date(year, month, day)
	at, ok := InaugurationDay(d.Year())
	return ok && at.Equal(d)
}

// InaugurationDay returns the day Inauguration Day is observed as a holiday in year under 5
// U.S.C. 6103(c), and false in a year without one (or one falling on a Saturday). Dates are
// civil dates held as midnight UTC.
func InaugurationDay(year int) (time.Time, bool) {
	if year < 1965 || (year-1965)%4 != 0 {
		return time.Time{}, false
	}
	d := date(year, time.January, 20)
	switch d.Weekday() {
	case time.Sunday:
		return d.AddDate(0, 0, 1), true
	case time.Saturday:
		return time.Time{}, false
	}
	return d, true
}

// MaxClosures bounds the extra closure days a playbook or obligation lists.
const MaxClosures = 366

// WithClosures returns cal with extra days off: one-off closures such as an executive order
// closing federal offices on 24 December. days are civil dates ("2026-12-24"); a nil cal means
// USFederal. The calendar's name is cal's, with the closures appended.
func WithClosures(cal Calendar, days []string) (Calendar, error) {
	if cal == nil {
		cal = USFederal
	}
	if len(days) == 0 {
		return cal, nil
	}
	if len(days) > MaxClosures {
		return nil, fmt.Errorf("clock: %d closure days: list at most %d", len(days), MaxClosures)
	}
	c := closures{base: cal}
	for _, s := range days {
		d, err := ParseCivilDate(s)
		if err != nil {
			return nil, err
		}
		c.days = append(c.days, d)
	}
	slices.SortFunc(c.days, time.Time.Compare)
	c.days = slices.Compact(c.days)
	return c, nil
}

// ParseCivilDate reads a closure day written as 2026-12-24, inside the accepted window.
func ParseCivilDate(s string) (time.Time, error) {
	d, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("clock: closure %q is not a date: write it as 2026-12-24", s)
	}
	if err := CheckTime("closure", d); err != nil {
		return time.Time{}, err
	}
	return d, nil
}

// closures is a calendar with extra days off.
type closures struct {
	base Calendar
	days []time.Time
}

func (c closures) Name() string {
	names := make([]string, len(c.days))
	for i, d := range c.days {
		names[i] = d.Format("2006-01-02")
	}
	return c.base.Name() + " closed " + strings.Join(names, ",")
}

func (c closures) IsHoliday(year int, month time.Month, day int) bool {
	if c.base.IsHoliday(year, month, day) {
		return true
	}
	_, found := slices.BinarySearchFunc(c.days, date(year, month, day), time.Time.Compare)
	return found
}
