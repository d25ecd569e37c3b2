// Package icalexport writes an incident's deadlines as an iCalendar file a coordinator can
// import into any calendar, with alarms a day and an hour before each deadline.
package icalexport

import (
	"fmt"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/breachflow/breachflow/workflows"
)

// Build returns the iCalendar text of the open obligations that have a fixed deadline. Each event
// has a UID stable per incident and obligation, so re-importing after a deadline moved updates
// the event instead of adding another. Obligations without a fixed deadline have no date to put
// in a calendar and are left out; so are done and waived ones.
func Build(st workflows.Status, now time.Time) string {
	cal := ics.NewCalendarFor("BreachFlow")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName(st.IncidentID + " deadlines")
	cal.SetXWRCalName(st.IncidentID + " deadlines")
	cal.SetDescription(st.Title)
	for _, o := range st.Obligations {
		if o.Deadline.IsZero() {
			continue
		}
		switch o.State {
		case workflows.StateDue, workflows.StateOverdue, workflows.StateOnHold:
		default:
			continue
		}
		e := cal.AddEvent(fmt.Sprintf("%s@%s.breachflow", o.ID, st.IncidentID))
		e.SetDtStampTime(now.UTC())
		e.SetStartAt(o.Deadline.UTC())
		e.SetEndAt(o.Deadline.UTC())
		e.SetSummary(fmt.Sprintf("[%s] Deadline: %s", st.IncidentID, o.Title))
		desc := fmt.Sprintf("%s\nAuthority: %s\nClock started: %s\nIncident: %s (%s)",
			o.Title, o.Citation, o.AnchorAt.UTC().Format(time.RFC3339), st.IncidentID, st.Title)
		if o.Hold != nil {
			desc += fmt.Sprintf("\nOn hold until %s at the request of %s (%s); the deadline moves back by the time on hold.",
				o.Hold.Until.UTC().Format(time.RFC3339), o.Hold.RequestedBy, o.Hold.Authority)
		}
		e.SetDescription(desc)
		e.AddCategory("BreachFlow deadline")
		for _, before := range []string{"-P1D", "-PT1H"} {
			a := e.AddAlarm()
			a.SetAction(ics.ActionDisplay)
			a.SetTrigger(before)
			a.SetProperty(ics.ComponentPropertyDescription, "Deadline: "+o.Title)
		}
	}
	return cal.Serialize()
}
