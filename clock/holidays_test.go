package clock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Observed dates below are typed in from OPM's published federal holiday
// schedules (opm.gov, "Federal Holidays"), not derived from the code.

func TestUSFederalHolidaysObservedDates(t *testing.T) {
	tests := map[int][]string{
		2019: {"2019-01-01", "2019-01-21", "2019-02-18", "2019-05-27", "2019-07-04", "2019-09-02",
			"2019-10-14", "2019-11-11", "2019-11-28", "2019-12-25"},
		// No Juneteenth yet; July 4 on a Saturday is observed Friday July 3.
		2020: {"2020-01-01", "2020-01-20", "2020-02-17", "2020-05-25", "2020-07-03", "2020-09-07",
			"2020-10-12", "2020-11-11", "2020-11-26", "2020-12-25"},
		2021: {"2021-01-01", "2021-01-18", "2021-02-15", "2021-05-31", "2021-06-18", "2021-07-05",
			"2021-09-06", "2021-10-11", "2021-11-11", "2021-11-25", "2021-12-24"},
		// New Year's Day 2022 (a Saturday) was observed on Friday 31 December 2021.
		2022: {"2021-12-31", "2022-01-17", "2022-02-21", "2022-05-30", "2022-06-20", "2022-07-04",
			"2022-09-05", "2022-10-10", "2022-11-11", "2022-11-24", "2022-12-26"},
		2023: {"2023-01-02", "2023-01-16", "2023-02-20", "2023-05-29", "2023-06-19", "2023-07-04",
			"2023-09-04", "2023-10-09", "2023-11-10", "2023-11-23", "2023-12-25"},
		2024: {"2024-01-01", "2024-01-15", "2024-02-19", "2024-05-27", "2024-06-19", "2024-07-04",
			"2024-09-02", "2024-10-14", "2024-11-11", "2024-11-28", "2024-12-25"},
		2026: {"2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03",
			"2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25"},
		2027: {"2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-18", "2027-07-05",
			"2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-24"},
		// New Year's Day 2028 (a Saturday) is observed on Friday 31 December 2027.
		2028: {"2027-12-31", "2028-01-17", "2028-02-21", "2028-05-29", "2028-06-19", "2028-07-04",
			"2028-09-04", "2028-10-09", "2028-11-10", "2028-11-23", "2028-12-25"},
	}
	for year, want := range tests {
		var got []string
		for _, h := range USFederalHolidays(year) {
			got = append(got, h.Observed.Format(time.DateOnly))
		}
		require.Equal(t, want, got, "observed holidays of %d", year)
	}
}

func TestUSFederalHolidaysNamesAndDates(t *testing.T) {
	d := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.DateOnly, s)
		require.NoError(t, err)
		return v
	}
	want := []Holiday{
		{"New Year's Day", d("2021-01-01"), d("2021-01-01")},
		{"Birthday of Martin Luther King, Jr.", d("2021-01-18"), d("2021-01-18")},
		{"Washington's Birthday", d("2021-02-15"), d("2021-02-15")},
		{"Memorial Day", d("2021-05-31"), d("2021-05-31")},
		{"Juneteenth National Independence Day", d("2021-06-19"), d("2021-06-18")},
		{"Independence Day", d("2021-07-04"), d("2021-07-05")},
		{"Labor Day", d("2021-09-06"), d("2021-09-06")},
		{"Columbus Day", d("2021-10-11"), d("2021-10-11")},
		{"Veterans Day", d("2021-11-11"), d("2021-11-11")},
		{"Thanksgiving Day", d("2021-11-25"), d("2021-11-25")},
		{"Christmas Day", d("2021-12-25"), d("2021-12-24")},
	}
	require.Equal(t, want, USFederalHolidays(2021))
}

func TestIsHolidayAndIsBusinessDay(t *testing.T) {
	tests := []struct {
		date        string
		holiday     bool
		businessDay bool
		why         string
	}{
		{"2019-07-04", true, false, "Independence Day on a Thursday"},
		{"2019-12-24", false, true, "closed by executive order only, not a statutory holiday"},
		{"2020-06-19", false, true, "Juneteenth not yet a federal holiday"},
		{"2020-07-03", true, false, "observed Independence Day (July 4 is a Saturday)"},
		{"2020-07-04", false, false, "nominal Saturday holiday: not the day off, but a weekend"},
		{"2020-11-11", true, false, "Veterans Day on a Wednesday"},
		{"2010-12-31", true, false, "observed New Year's Day 2011 (a Saturday)"},
		{"2011-01-03", false, true, "New Year's Day 2011 was observed the previous Friday"},
		{"2021-06-18", true, false, "first observed Juneteenth (June 19 a Saturday)"},
		{"2021-07-05", true, false, "observed Independence Day (July 4 a Sunday)"},
		{"2021-12-24", true, false, "observed Christmas (December 25 a Saturday)"},
		{"2021-12-31", true, false, "observed New Year's Day 2022 (a Saturday)"},
		{"2022-01-03", false, true, "New Year's Day 2022 was observed the previous Friday"},
		{"2022-06-20", true, false, "observed Juneteenth (June 19 a Sunday)"},
		{"2022-12-26", true, false, "observed Christmas (December 25 a Sunday)"},
		{"2023-01-01", false, false, "nominal Sunday holiday: a weekend"},
		{"2023-01-02", true, false, "observed New Year's Day (January 1 a Sunday)"},
		{"2023-11-10", true, false, "observed Veterans Day (November 11 a Saturday)"},
		{"2024-11-29", false, true, "day after Thanksgiving"},
		{"2026-07-03", true, false, "observed Independence Day (July 4 a Saturday)"},
		{"2027-06-18", true, false, "observed Juneteenth (June 19 a Saturday)"},
		{"2027-07-05", true, false, "observed Independence Day (July 4 a Sunday)"},
		{"2027-12-24", true, false, "observed Christmas (December 25 a Saturday)"},
		{"2027-12-31", true, false, "observed New Year's Day 2028 (a Saturday)"},
		{"2027-12-30", false, true, "ordinary Thursday"},
		{"2024-06-08", false, false, "ordinary Saturday"},
	}
	for _, tc := range tests {
		d, err := time.Parse(time.DateOnly, tc.date)
		require.NoError(t, err)
		y, m, day := d.Date()
		require.Equal(t, tc.holiday, USFederal.IsHoliday(y, m, day), "IsHoliday %s: %s", tc.date, tc.why)
		require.Equal(t, tc.businessDay, IsBusinessDay(USFederal, y, m, day), "IsBusinessDay %s: %s", tc.date, tc.why)
		require.Equal(t, tc.businessDay, IsBusinessDay(nil, y, m, day), "IsBusinessDay(nil) %s", tc.date)
	}
}

func TestIsBusinessDayNormalizesDate(t *testing.T) {
	require.False(t, IsBusinessDay(USFederal, 2024, time.December, 32), "2025-01-01 is New Year's Day")
	require.True(t, USFederal.IsHoliday(2022, time.January, 0), "2021-12-31 observed New Year's Day")
	require.True(t, IsBusinessDay(USFederal, 2024, time.June, 31), "2024-07-01 is a Monday")
}

func TestCalendarByName(t *testing.T) {
	for _, name := range []string{"us-federal", ""} {
		cal, err := CalendarByName(name)
		require.NoError(t, err)
		require.Equal(t, "us-federal", cal.Name())
		require.Equal(t, USFederal, cal)
	}
	_, err := CalendarByName("uk-bank")
	require.EqualError(t, err, `clock: unknown calendar "uk-bank" (known: us-federal, us-federal-dc)`)
}
