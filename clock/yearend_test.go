package clock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDueAfterYearEnd: HIPAA's "within 60 days after the end of the calendar year" (45 CFR
// 164.408(c)), counted by hand:
//   - discovered 10 March 2025: the year ends with 31 December 2025; 31 days of January and 28 of
//     February make 59, so day 60 is 1 March 2026 and the deadline is the end of that day, 00:00
//     on 2 March 2026 (EST).
//   - discovered 1 July 2023: 2024 is a leap year, so day 60 is 29 February 2024; the deadline is
//     00:00 on 1 March 2024.
//   - 22:00 EST on 31 December 2024 is already 2025 in UTC, but the year is the zone's: the
//     deadline is the end of 1 March 2025.
func TestDueAfterYearEnd(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	spec := Spec{Kind: AfterYearEnd, Amount: 60, Location: ny}
	require.NoError(t, spec.Validate())
	for _, tc := range []struct{ anchor, want time.Time }{
		{time.Date(2025, 3, 10, 14, 0, 0, 0, ny), time.Date(2026, 3, 2, 0, 0, 0, 0, ny)},
		{time.Date(2023, 7, 1, 9, 0, 0, 0, ny), time.Date(2024, 3, 1, 0, 0, 0, 0, ny)},
		{time.Date(2025, 1, 1, 3, 0, 0, 0, time.UTC), time.Date(2025, 3, 2, 0, 0, 0, 0, ny)},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, ny), time.Date(2026, 3, 2, 0, 0, 0, 0, ny)},
	} {
		got, ok := spec.Due(tc.anchor)
		require.True(t, ok)
		require.True(t, got.Equal(tc.want), "from %v: got %v, want %v", tc.anchor, got, tc.want)
		require.Equal(t, ny, got.Location())
	}
	// Zero or negative amounts are refused like any other kind's.
	require.Error(t, Spec{Kind: AfterYearEnd}.Validate())
	_, ok := Spec{Kind: AfterYearEnd, Amount: -3}.Due(time.Now())
	require.False(t, ok)
}
