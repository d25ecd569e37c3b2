package icalexport

import (
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

func TestBuildExportsOpenDeadlines(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	t0 := time.Date(2019, 6, 11, 9, 0, 0, 0, ny)
	st := workflows.Status{
		IncidentID: "INC-6f1c2a4e-0b7d-4c8e-9a55-3d2e1f0a9b71",
		Title:      "Subcontractor breach",
		Obligations: []workflows.ObligationStatus{
			{ID: "congress-notice", Title: "Notify Congress", Citation: "44 U.S.C. 3554", State: workflows.StateDue, AnchorAt: t0, Deadline: t0.AddDate(0, 0, 7)},
			{ID: "omb-report", Title: "Report to OMB", State: workflows.StateOverdue, AnchorAt: t0, Deadline: t0.Add(time.Hour)},
			{ID: "individual-notice", Title: "Notify individuals", State: workflows.StateOnHold, AnchorAt: t0, Deadline: t0.AddDate(0, 1, 0),
				Hold: &workflows.Hold{RequestedBy: "FBI", Authority: "AG request", Until: t0.AddDate(0, 0, 30)}},
			{ID: "triage", Title: "Triage", State: workflows.StateDone, Deadline: t0},
			{ID: "public-statement", Title: "Public statement", State: workflows.StateDue},
		},
	}
	out := Build(st, t0)
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	require.NoError(t, err)
	events := cal.Events()
	require.Len(t, events, 3, "open obligations with a fixed deadline only")
	byUID := map[string]*ics.VEvent{}
	for _, e := range events {
		byUID[e.Id()] = e
	}
	e := byUID["congress-notice@"+st.IncidentID+".breachflow"]
	require.NotNil(t, e)
	start, err := e.GetStartAt()
	require.NoError(t, err)
	require.True(t, start.Equal(time.Date(2019, 6, 18, 9, 0, 0, 0, ny)), "got %s", start)
	require.Contains(t, e.GetProperty(ics.ComponentPropertySummary).Value, "Notify Congress")
	require.Len(t, e.Alarms(), 2)
	hold := byUID["individual-notice@"+st.IncidentID+".breachflow"]
	require.Contains(t, hold.GetProperty(ics.ComponentPropertyDescription).Value, "On hold until")
	require.NotContains(t, out, "triage@")
}
