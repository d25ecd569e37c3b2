package clock

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// alwaysHoliday is a hostile calendar: no day is a business day.
type alwaysHoliday struct{}

func (alwaysHoliday) Name() string                        { return "never" }
func (alwaysHoliday) IsHoliday(int, time.Month, int) bool { return true }

func TestValidateAmountLimits(t *testing.T) {
	tests := []struct {
		spec Spec
		err  string // empty: valid
	}{
		{Spec{Kind: Hours, Amount: MaxHours}, ""},
		{Spec{Kind: Hours, Amount: MaxHours + 1}, "clock: amount of 876001 hours is out of range: use at most 876000"},
		{Spec{Kind: CalendarDays, Amount: MaxCalendarDays}, ""},
		{Spec{Kind: CalendarDays, Amount: 1 << 40}, "use at most 36500"},
		{Spec{Kind: CalendarMonths, Amount: MaxCalendarMonths}, ""},
		{Spec{Kind: CalendarMonths, Amount: 1 << 40}, "use at most 1200"},
		{Spec{Kind: BusinessDays, Amount: MaxBusinessDays}, ""},
		{Spec{Kind: BusinessDays, Amount: 100_000_000}, "clock: amount of 100000000 business_days is out of range: use at most 25000"},
		{Spec{Kind: AfterYearEnd, Amount: MaxAfterYearEnd}, ""},
		{Spec{Kind: AfterYearEnd, Amount: MaxAfterYearEnd + 1}, "use at most 36135"},
	}
	for _, tc := range tests {
		err := tc.spec.Validate()
		if tc.err == "" {
			require.NoError(t, err, "%+v", tc.spec)
			continue
		}
		require.ErrorContains(t, err, tc.err)
		require.ErrorContains(t, err, "within 100 years of its anchor")
	}
}

// TestDueIsBounded: whatever the spec and anchor, Due returns quickly, and any deadline it
// returns lies within MaxDeadlineSpan of the anchor and encodes as JSON.
func TestDueIsBounded(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	anchors := []time.Time{
		EarliestTime, LatestTime, time.Date(2019, 5, 31, 9, 0, 0, 0, ny),
		time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), // year 9999 + anything: not representable
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		{}, time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	specs := []Spec{
		{Kind: BusinessDays, Amount: 100_000_000},
		{Kind: BusinessDays, Amount: MaxBusinessDays, Location: ny},
		{Kind: BusinessDays, Amount: 10, Calendar: alwaysHoliday{}},
		{Kind: Hours, Amount: MaxHours},
		{Kind: Hours, Amount: 1 << 62},
		{Kind: CalendarDays, Amount: MaxCalendarDays, Location: ny},
		{Kind: CalendarMonths, Amount: MaxCalendarMonths},
		{Kind: CalendarMonths, Amount: -1 << 62},
		{Kind: AfterYearEnd, Amount: MaxAfterYearEnd, Location: ny},
		{Kind: AfterYearEnd, Amount: 1 << 62},
	}
	for _, s := range specs {
		for _, a := range anchors {
			start := time.Now()
			due, ok := s.Due(a)
			require.Less(t, time.Since(start), 2*time.Second, "%+v from %v", s, a)
			if !ok {
				continue
			}
			require.LessOrEqual(t, due.Sub(a), MaxDeadlineSpan, "%+v from %v", s, a)
			_, err := json.Marshal(due)
			require.NoError(t, err, "%+v from %v", s, a)
		}
	}
	// The window's edges stay computable for the largest amounts.
	for _, s := range specs {
		if s.Validate() != nil || s.Calendar != nil {
			continue
		}
		_, ok := s.Due(LatestTime)
		require.True(t, ok, "%+v from the latest accepted time", s)
	}
	_, ok := Spec{Kind: Hours, Amount: 1}.Due(time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC))
	require.False(t, ok, "a deadline in year 10000 is no deadline, not an unencodable one")
}

func TestCheckTime(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string // empty: accepted
	}{
		{EarliestTime, ""},
		{LatestTime, ""},
		{time.Date(2019, 5, 31, 9, 0, 0, 0, time.UTC), ""},
		{time.Time{}, "at: 0001-01-01T00:00:00Z is before 1970-01-01: check the year"},
		{time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), "at: 0001-01-01T00:00:01Z is before 1970-01-01: check the year"},
		{time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), "is before 1970-01-01"},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "at: 9999-01-01T00:00:00Z is after 2200-01-01, the latest time the engine accepts: check the year"},
		{time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), "at: year 12000 is after 2200-01-01"},
	}
	for _, tc := range tests {
		err := CheckTime("at", tc.t)
		if tc.want == "" {
			require.NoError(t, err)
		} else {
			require.ErrorContains(t, err, tc.want)
		}
	}
}

func TestCheckDiscovery(t *testing.T) {
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	require.NoError(t, CheckDiscovery("discovered_at", now.Add(23*time.Hour), now))
	require.ErrorContains(t, CheckDiscovery("discovered_at", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), now),
		"discovered_at: 2099-01-01T00:00:00Z is in the future: give the time the incident was discovered")
	require.ErrorContains(t, CheckDiscovery("discovered_at", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), now), "discovered_at: 0001-01-01T00:00:00Z is before 1970-01-01")
}

func TestCheckIntervalAndLead(t *testing.T) {
	require.NoError(t, CheckInterval(time.Minute))
	require.NoError(t, CheckInterval(MaxInterval))
	require.EqualError(t, CheckInterval(time.Nanosecond), "must be between 1m0s and 366d (got 1ns): write e.g. 1h, 1d or 1w")
	require.ErrorContains(t, CheckInterval(0), "(got 0s)")
	require.ErrorContains(t, CheckInterval(400*24*time.Hour), "(got 400d)")
	require.NoError(t, CheckLead(0))
	require.EqualError(t, CheckLead(-time.Hour), "must be between 0s and 366d (got -1h0m0s): write e.g. 0s, 1h or 1d")
	require.ErrorContains(t, CheckLead(1000*24*time.Hour), "(got 1000d)")
}
