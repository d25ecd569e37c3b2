package clock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func TestParseKind(t *testing.T) {
	for _, k := range []Kind{Hours, CalendarDays, CalendarMonths, BusinessDays, AfterYearEnd, None} {
		got, err := ParseKind(string(k))
		require.NoError(t, err)
		require.Equal(t, k, got)
		require.True(t, k.Valid())
	}
	for _, s := range []string{"", "days", "Hours"} {
		_, err := ParseKind(s)
		require.ErrorContains(t, err, "unknown deadline kind")
		require.ErrorContains(t, err, "(known: hours, calendar_days, calendar_months, business_days, after_year_end, none)")
		require.False(t, Kind(s).Valid())
	}
}

func TestDue(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	auckland := mustLoad(t, "Pacific/Auckland")
	cairo := mustLoad(t, "Africa/Cairo")

	tests := []struct {
		name   string
		spec   Spec
		anchor time.Time
		// want is the deadline as read in the spec's zone.
		want string
		// elapsed, if set, is the exact duration from anchor to deadline.
		elapsed time.Duration
	}{
		{
			name:    "hours across spring-forward are elapsed hours",
			spec:    Spec{Kind: Hours, Amount: 1, Location: ny},
			anchor:  time.Date(2024, 3, 10, 1, 30, 0, 0, ny),
			want:    "2024-03-10T03:30:00-04:00",
			elapsed: time.Hour,
		},
		{
			name:    "72 hours, nil location is UTC",
			spec:    Spec{Kind: Hours, Amount: 72},
			anchor:  time.Date(2024, 6, 1, 20, 0, 0, 0, ny),
			want:    "2024-06-05T00:00:00Z",
			elapsed: 72 * time.Hour,
		},
		{
			name:    "calendar days across fall-back keep the wall-clock time",
			spec:    Spec{Kind: CalendarDays, Amount: 7, Location: ny},
			anchor:  time.Date(2024, 11, 1, 9, 0, 0, 0, ny),
			want:    "2024-11-08T09:00:00-05:00",
			elapsed: 7*24*time.Hour + time.Hour,
		},
		{
			name:   "calendar days across a month end",
			spec:   Spec{Kind: CalendarDays, Amount: 30},
			anchor: time.Date(2024, 2, 15, 8, 0, 0, 0, time.UTC),
			want:   "2024-03-16T08:00:00Z",
		},
		{
			name:   "calendar month clamps 31 Jan to 29 Feb in a leap year",
			spec:   Spec{Kind: CalendarMonths, Amount: 1},
			anchor: time.Date(2024, 1, 31, 10, 0, 0, 0, time.UTC),
			want:   "2024-02-29T10:00:00Z",
		},
		{
			name:   "calendar month clamps 31 Jan to 28 Feb",
			spec:   Spec{Kind: CalendarMonths, Amount: 1},
			anchor: time.Date(2023, 1, 31, 10, 0, 0, 0, time.UTC),
			want:   "2023-02-28T10:00:00Z",
		},
		{
			name:   "calendar months across a year end clamp",
			spec:   Spec{Kind: CalendarMonths, Amount: 6},
			anchor: time.Date(2024, 8, 31, 10, 0, 0, 0, time.UTC),
			want:   "2025-02-28T10:00:00Z",
		},
		{
			name:   "calendar months keep the day when it exists",
			spec:   Spec{Kind: CalendarMonths, Amount: 3},
			anchor: time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC),
			want:   "2024-04-15T10:00:00Z",
		},
		{
			name:   "calendar month across spring-forward keeps the wall-clock time",
			spec:   Spec{Kind: CalendarMonths, Amount: 1, Location: ny},
			anchor: time.Date(2024, 2, 15, 9, 0, 0, 0, ny),
			want:   "2024-03-15T09:00:00-04:00",
		},
		{
			name:   "business day after a Friday anchor skips the weekend",
			spec:   Spec{Kind: BusinessDays, Amount: 1},
			anchor: time.Date(2024, 6, 7, 15, 0, 0, 0, time.UTC), // Friday
			want:   "2024-06-11T00:00:00Z",                       // end of Monday 10 June
		},
		{
			name:   "anchor day never counts, even at 00:01",
			spec:   Spec{Kind: BusinessDays, Amount: 1},
			anchor: time.Date(2024, 6, 10, 0, 1, 0, 0, time.UTC), // Monday
			want:   "2024-06-12T00:00:00Z",                       // end of Tuesday
		},
		{
			name:   "Saturday anchor",
			spec:   Spec{Kind: BusinessDays, Amount: 1},
			anchor: time.Date(2024, 6, 8, 12, 0, 0, 0, time.UTC),
			want:   "2024-06-11T00:00:00Z",
		},
		{
			name:   "Sunday anchor",
			spec:   Spec{Kind: BusinessDays, Amount: 2},
			anchor: time.Date(2024, 6, 9, 12, 0, 0, 0, time.UTC),
			want:   "2024-06-12T00:00:00Z",
		},
		{
			// Tue 2, Wed 3, (Thu 4 Independence Day), Fri 5, Mon 8.
			name:   "Independence Day week",
			spec:   Spec{Kind: BusinessDays, Amount: 4, Location: ny},
			anchor: time.Date(2024, 7, 1, 10, 0, 0, 0, ny),
			want:   "2024-07-09T00:00:00-04:00",
		},
		{
			name:   "close of business 17:00",
			spec:   Spec{Kind: BusinessDays, Amount: 4, Location: ny, CloseOfBusiness: 17 * time.Hour},
			anchor: time.Date(2024, 7, 1, 10, 0, 0, 0, ny),
			want:   "2024-07-08T17:00:00-04:00",
		},
		{
			name:   "close of business 24h is the end of the day",
			spec:   Spec{Kind: BusinessDays, Amount: 4, Location: ny, CloseOfBusiness: 24 * time.Hour},
			anchor: time.Date(2024, 7, 1, 10, 0, 0, 0, ny),
			want:   "2024-07-09T00:00:00-04:00",
		},
		{
			// Thu 30, (Fri 31 observed New Year's Day 2022), Mon 3, Tue 4.
			name:   "year end with New Year's Day observed on 31 December",
			spec:   Spec{Kind: BusinessDays, Amount: 3, Location: ny},
			anchor: time.Date(2021, 12, 29, 14, 0, 0, 0, ny),
			want:   "2022-01-05T00:00:00-05:00",
		},
		{
			// (Thu 28 Thanksgiving), Fri 29, Mon 2 December.
			name:   "Thanksgiving week",
			spec:   Spec{Kind: BusinessDays, Amount: 2, Location: ny},
			anchor: time.Date(2024, 11, 27, 9, 0, 0, 0, ny),
			want:   "2024-12-03T00:00:00-05:00",
		},
		{
			name:   "Thursday 23:00 UTC counts Friday in UTC",
			spec:   Spec{Kind: BusinessDays, Amount: 1},
			anchor: time.Date(2024, 6, 6, 23, 0, 0, 0, time.UTC),
			want:   "2024-06-08T00:00:00Z",
		},
		{
			name:   "Thursday 23:00 UTC is already Friday in Auckland",
			spec:   Spec{Kind: BusinessDays, Amount: 1, Location: auckland},
			anchor: time.Date(2024, 6, 6, 23, 0, 0, 0, time.UTC),
			want:   "2024-06-11T00:00:00+12:00",
		},
		{
			name:   "Friday 23:00 UTC is already Saturday in Auckland",
			spec:   Spec{Kind: BusinessDays, Amount: 1, Location: auckland},
			anchor: time.Date(2024, 6, 7, 23, 0, 0, 0, time.UTC),
			want:   "2024-06-11T00:00:00+12:00",
		},
		{
			// Fri 8 March EST, spring-forward on Sunday 10, Mon 11 EDT.
			name:    "business days across spring-forward end at local midnight",
			spec:    Spec{Kind: BusinessDays, Amount: 2, Location: ny},
			anchor:  time.Date(2024, 3, 7, 0, 0, 0, 0, ny),
			want:    "2024-03-12T00:00:00-04:00",
			elapsed: 5*24*time.Hour - time.Hour,
		},
		{
			name:   "business days across fall-back end at local midnight",
			spec:   Spec{Kind: BusinessDays, Amount: 2, Location: ny},
			anchor: time.Date(2024, 10, 31, 12, 0, 0, 0, ny),
			want:   "2024-11-05T00:00:00-05:00",
		},
		{
			// Egypt switched to summer time at 00:00 on Friday 26 April 2024,
			// so that day is 23 hours long and 17:00 is 16 hours after its start.
			name:    "close of business on a day that starts with a DST jump",
			spec:    Spec{Kind: BusinessDays, Amount: 1, Location: cairo, CloseOfBusiness: 17 * time.Hour},
			anchor:  time.Date(2024, 4, 25, 10, 0, 0, 0, cairo),
			want:    "2024-04-26T17:00:00+03:00",
			elapsed: 30 * time.Hour,
		},
		{
			// Thursday ends at 24:00 EET, which the clock shows as 01:00 EEST.
			name:   "end of day followed by a DST jump at midnight",
			spec:   Spec{Kind: BusinessDays, Amount: 1, Location: cairo},
			anchor: time.Date(2024, 4, 24, 10, 0, 0, 0, cairo),
			want:   "2024-04-26T01:00:00+03:00",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.spec.Validate())
			got, ok := tc.spec.Due(tc.anchor)
			require.True(t, ok)
			require.Equal(t, tc.want, got.Format(time.RFC3339))
			wantLoc := tc.spec.Location
			if wantLoc == nil {
				wantLoc = time.UTC
			}
			require.Equal(t, wantLoc, got.Location())
			if tc.elapsed != 0 {
				require.Equal(t, tc.elapsed, got.Sub(tc.anchor))
			}
		})
	}
}

func TestDueNone(t *testing.T) {
	got, ok := Spec{Kind: None}.Due(time.Now())
	require.False(t, ok)
	require.True(t, got.IsZero())
}

func TestDueInvalidSpec(t *testing.T) {
	_, ok := Spec{Kind: Hours}.Due(time.Now())
	require.False(t, ok)
}

func TestStartOfDayWhenMidnightIsSkipped(t *testing.T) {
	// Chile moved its clocks from 24:00 on Saturday 7 September 2024 to
	// 01:00 on Sunday 8 September, so that Sunday begins at 01:00 -03.
	santiago := mustLoad(t, "America/Santiago")
	got := startOfDay(date(2024, time.September, 8), santiago)
	require.Equal(t, "2024-09-08T01:00:00-03:00", got.Format(time.RFC3339))
}

func TestValidate(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	valid := []Spec{
		{Kind: None},
		{Kind: Hours, Amount: 72},
		{Kind: CalendarDays, Amount: 30, Location: ny},
		{Kind: CalendarMonths, Amount: 1},
		{Kind: BusinessDays, Amount: 5},
		{Kind: BusinessDays, Amount: 5, Location: ny, Calendar: USFederal, CloseOfBusiness: 17 * time.Hour},
		{Kind: BusinessDays, Amount: 5, CloseOfBusiness: 24 * time.Hour},
	}
	for _, s := range valid {
		require.NoError(t, s.Validate(), "%+v", s)
	}

	invalid := []struct {
		spec Spec
		err  string
	}{
		{Spec{Kind: Hours}, "clock: amount must be positive (got 0)"},
		{Spec{Kind: BusinessDays, Amount: -3}, "clock: amount must be positive (got -3)"},
		{Spec{Kind: None, Amount: 3}, "clock: amount must be zero for kind none (got 3)"},
		{Spec{Kind: "weeks", Amount: 1},
			`clock: unknown deadline kind "weeks" (known: hours, calendar_days, calendar_months, business_days, after_year_end, none)`},
		{Spec{}, `clock: unknown deadline kind "" (known: hours, calendar_days, calendar_months, business_days, after_year_end, none)`},
		{Spec{Kind: Hours, Amount: 3_000_000}, "clock: amount of 3000000 hours is out of range: use at most 876000 (a deadline lies within 100 years of its anchor)"},
		{Spec{Kind: BusinessDays, Amount: 1, CloseOfBusiness: -time.Hour},
			"clock: close of business must be within (0, 24h] (got -1h0m0s)"},
		{Spec{Kind: BusinessDays, Amount: 1, CloseOfBusiness: 25 * time.Hour},
			"clock: close of business must be within (0, 24h] (got 25h0m0s)"},
		{Spec{Kind: Hours, Amount: 1, CloseOfBusiness: 17 * time.Hour},
			"clock: close of business applies only to kind business_days (got kind hours)"},
		{Spec{Kind: CalendarDays, Amount: 1, Calendar: USFederal},
			"clock: calendar applies only to kind business_days (got kind calendar_days)"},
		{Spec{Kind: None, CloseOfBusiness: time.Hour},
			"clock: close of business applies only to kind business_days (got kind none)"},
	}
	for _, tc := range invalid {
		require.EqualError(t, tc.spec.Validate(), tc.err, "%+v", tc.spec)
	}
}
