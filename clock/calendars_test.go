package clock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestInaugurationDay follows 5 U.S.C. 6103(c) and OPM's holiday tables: 20 January of every
// fourth year from 1965; the next day when the 20th is a Sunday (1985, 2013: 21 January, which
// in 2013 was also Martin Luther King Jr. Day); no day off when it is a Saturday (2029).
func TestInaugurationDay(t *testing.T) {
	for _, tc := range []struct {
		year int
		want time.Time // zero: none
	}{
		{1965, date(1965, time.January, 20)},
		{1969, date(1969, time.January, 20)},
		{1985, date(1985, time.January, 21)},
		{2013, date(2013, time.January, 21)},
		{2017, date(2017, time.January, 20)}, // a Friday
		{2021, date(2021, time.January, 20)}, // a Wednesday
		{2025, date(2025, time.January, 20)}, // a Monday, also Martin Luther King Jr. Day
		{2029, time.Time{}},                  // a Saturday: no holiday in lieu
		{2033, date(2033, time.January, 20)},
		{2024, time.Time{}}, {2026, time.Time{}}, {1961, time.Time{}},
	} {
		got, ok := InaugurationDay(tc.year)
		require.Equal(t, !tc.want.IsZero(), ok, "%d", tc.year)
		require.True(t, got.Equal(tc.want), "%d: got %v", tc.year, got)
	}
	cal, err := CalendarByName("us-federal-dc")
	require.NoError(t, err)
	require.Equal(t, USFederalDC, cal)
	require.True(t, cal.IsHoliday(2017, time.January, 20))
	require.False(t, USFederal.IsHoliday(2017, time.January, 20))
	require.True(t, cal.IsHoliday(2017, time.December, 25), "every us-federal holiday too")
	require.False(t, cal.IsHoliday(2029, time.January, 19))
}

// TestBusinessDaysInWashington: three business days from Tuesday 17 January 2017, 10:00 ET, are
// Wednesday 18, Thursday 19 and Friday 20 on the us-federal calendar (deadline 00:00 Saturday
// 21); in the Washington area Friday 20 was Inauguration Day, so the third is Monday 23
// (deadline 00:00 Tuesday 24).
func TestBusinessDaysInWashington(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	anchor := time.Date(2017, 1, 17, 10, 0, 0, 0, ny)
	fed, ok := Spec{Kind: BusinessDays, Amount: 3, Location: ny}.Due(anchor)
	require.True(t, ok)
	require.Equal(t, time.Date(2017, 1, 21, 0, 0, 0, 0, ny), fed)
	dc, ok := Spec{Kind: BusinessDays, Amount: 3, Location: ny, Calendar: USFederalDC}.Due(anchor)
	require.True(t, ok)
	require.Equal(t, time.Date(2017, 1, 24, 0, 0, 0, 0, ny), dc)
}

// TestClosures: Executive Order 13900 closed federal offices on Tuesday 24 December 2019. One
// business day from Monday 23 December 2019 is then Thursday 26 (the 25th is Christmas), ending
// at 00:00 on Friday 27; without the closure it is Tuesday 24, ending at 00:00 on the 25th.
func TestClosures(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	anchor := time.Date(2019, 12, 23, 10, 0, 0, 0, ny)
	cal, err := WithClosures(USFederal, []string{"2019-12-24", "2019-12-24"})
	require.NoError(t, err)
	require.Equal(t, "us-federal closed 2019-12-24", cal.Name())
	got, ok := Spec{Kind: BusinessDays, Amount: 1, Location: ny, Calendar: cal}.Due(anchor)
	require.True(t, ok)
	require.Equal(t, time.Date(2019, 12, 27, 0, 0, 0, 0, ny), got)
	plain, ok := Spec{Kind: BusinessDays, Amount: 1, Location: ny}.Due(anchor)
	require.True(t, ok)
	require.Equal(t, time.Date(2019, 12, 25, 0, 0, 0, 0, ny), plain)

	same, err := WithClosures(USFederalDC, nil)
	require.NoError(t, err)
	require.Equal(t, USFederalDC, same)
	for _, bad := range [][]string{{"24 Dec 2019"}, {"0001-01-01"}, {"2019-13-01"}, make([]string, MaxClosures+1)} {
		_, err := WithClosures(nil, bad)
		require.Error(t, err, "%q", bad)
	}
}
