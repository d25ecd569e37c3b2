package workflows

import (
	"fmt"
	"time"

	"github.com/breachflow/breachflow/templates"
)

// InstantFormat is how people are shown instants: weekday, ISO date, minutes and the zone's
// abbreviation, e.g. "Fri 2019-05-31 09:00 EDT". Machine output (JSON) keeps RFC 3339.
const InstantFormat = "Mon 2006-01-02 15:04 MST"

// FormatInstant shows an instant in a zone (nil: UTC) for people; "-" for the zero time. Status
// tables and reports pass the incident's zone (Status.Location), so coordinators read the
// deadlines in the zone they work in, with the abbreviation that says summer or winter time.
//
// It is for presentation only: text the workflow writes into its record keeps its own stamp.
func FormatInstant(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(InstantFormat)
}

// FormatDuration shows a duration (its size: the sign is the caller's to say) for people, e.g.
// "2 days 3 hours" or "45 minutes"; under a minute it keeps the seconds, e.g. "40 seconds".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d = d.Round(time.Second); d >= time.Minute {
		return templates.HumanDuration(d)
	}
	switch s := int(d / time.Second); s {
	case 1:
		return "1 second"
	default:
		return fmt.Sprintf("%d seconds", s)
	}
}

// Location is the incident's zone: the playbook's default time_zone, UTC when it has none or
// names one this machine does not know.
func Location(timeZone string) *time.Location {
	if timeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(timeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
