package console

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFIFOCacheIsBounded: a cache keeps at most its size; the oldest entry goes first, and
// putting a key again replaces its value without growing the cache.
func TestFIFOCacheIsBounded(t *testing.T) {
	const size = 8
	c := newFIFOCache[string, int](size)
	for i := range size + 3 {
		c.put(fmt.Sprintf("k%d", i), i)
	}
	c.put("k5", 50)
	require.Len(t, c.byKey, size)
	require.Len(t, c.order, size)
	for i := range 3 {
		_, ok := c.get(fmt.Sprintf("k%d", i))
		require.False(t, ok, "k%d, among the oldest, went first", i)
	}
	v, ok := c.get("k5")
	require.True(t, ok)
	require.Equal(t, 50, v)
	v, ok = c.get(fmt.Sprintf("k%d", size+2))
	require.True(t, ok)
	require.Equal(t, size+2, v)
}

// TestParseWallClock: a datetime-local value is read in the zone; an hour the clocks skipped is
// refused, never moved; a repeated hour is its earlier instant; other text is not a wall-clock
// time (ok false) for the caller to explain.
func TestParseWallClock(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	got, ok, err := parseWallClock("2026-06-10T18:00", ny)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "2026-06-10T22:00:00Z", got.UTC().Format(time.RFC3339))

	_, _, err = parseWallClock("2026-03-08T02:30", ny)
	require.ErrorContains(t, err, "no such time in America/New_York")

	got, ok, err = parseWallClock("2026-11-01T01:30", ny)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "2026-11-01T05:30:00Z", got.UTC().Format(time.RFC3339), "01:30 EDT, the earlier of the two")

	_, ok, err = parseWallClock("yesterday", ny)
	require.NoError(t, err)
	require.False(t, ok)
}
