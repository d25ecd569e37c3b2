package playbook

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Duration is a time.Duration written as "90m", "1h", "2d" or "1w" in YAML.
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// ParseDuration reads Go durations plus the units d (24h) and w (7d).
func ParseDuration(s string) (Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration: write e.g. 1h, 2d or 1w")
	}
	unit := s[len(s)-1]
	if unit == 'd' || unit == 'w' {
		day := 24 * time.Hour
		if unit == 'w' {
			day *= 7
		}
		// ParseFloat, unlike Sscanf, rejects trailing garbage ("1hd", "3 d").
		n, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if f := n * float64(day); err != nil || math.IsNaN(f) || math.Abs(f) >= math.MaxInt64 {
			return 0, fmt.Errorf("bad duration %q: write e.g. 1h, 2d or 1w", s)
		}
		return Duration(n * float64(day)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: write e.g. 1h, 2d or 1w", s)
	}
	return Duration(d), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (used by YAML and JSON).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }
