package chart

import (
	"time"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// ny is the zone of the fixture incident.
var ny, _ = time.LoadLocation("America/New_York")

// at is an instant of the fixture, in New York.
func at(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2019, month, day, hour, minute, 0, 0, ny)
}

// fixture is an incident in the shape of CBP 2019 (see /work/shared/domain/cbp-2019.md), open
// as of 20 June: an hour-clock report done late, a Congress notice done on time after a
// determination moved its clock, an internal target still running with a hold in force, a duty
// without a fixed deadline, a waived and a not-started obligation, reminders and an escalation.
func fixture() (workflows.Status, []workflows.LogEntry) {
	disc := at(5, 31, 9, 0)
	det := at(6, 10, 14, 0)
	asOf := at(6, 20, 12, 0)
	st := workflows.Status{
		IncidentID: "INC-2f0c1b6e-0000-4000-8000-000000000019", Title: "Traveler images stolen from a subcontractor",
		Status: workflows.IncidentOpen, DiscoveredAt: disc, TimeZone: "America/New_York", AsOf: asOf,
		Obligations: []workflows.ObligationStatus{
			{ID: "cisa-report", Title: "Report the incident to CISA", State: workflows.StateDone, AnchorAt: disc,
				Deadline: disc.Add(time.Hour), CompletedAt: at(5, 31, 13, 30), DeadlineKind: playbook.DeadlineLegal, Late: 3*time.Hour + 30*time.Minute},
			{ID: "congress-notice", Title: "Notify Congress of the major incident", State: workflows.StateDone, AnchorAt: det,
				Deadline: det.Add(7 * 24 * time.Hour), CompletedAt: at(6, 14, 10, 0), DeadlineKind: playbook.DeadlineLegal},
			{ID: "law-enforcement", Title: "Coordinate with law enforcement", State: workflows.StateOnHold, AnchorAt: disc,
				Deadline: at(6, 28, 17, 0), DeadlineKind: playbook.DeadlineInternalTarget,
				Hold: &workflows.Hold{RequestedBy: "FBI Cyber Division", Authority: "investigation in progress", From: at(6, 12, 9, 0), Until: at(6, 26, 9, 0)}},
			{ID: "risk-assessment", Title: "Assess the risk of harm", State: workflows.StateDue, AnchorAt: disc},
			{ID: "public-statement", Title: "Issue a public statement", State: workflows.StateWaived, AnchorAt: disc},
			{ID: "individual-notice", Title: "Notify affected individuals", State: workflows.StatePending},
		},
	}
	engine := workflows.ActorEngine
	log := []workflows.LogEntry{
		{At: disc, Actor: "coordinator", Action: workflows.ActionOpened},
		// An initial fact: part of the opening, which starts the clocks; no marker.
		{At: disc, Actor: "coordinator", Action: workflows.ActionFact, Fact: "vendor_involved", Detail: "vendor_involved = true as of 2019-05-31T13:00:00Z"},
		{At: disc, Actor: engine, Action: workflows.ActionClockStarted, Obligation: "cisa-report"},
		{At: disc, Actor: engine, Action: workflows.ActionClockStarted, Obligation: "law-enforcement"},
		{At: disc.Add(45 * time.Minute), Actor: engine, Action: workflows.ActionReminder, Obligation: "cisa-report"},
		{At: disc.Add(time.Hour), Actor: engine, Action: workflows.ActionOverdue, Obligation: "cisa-report"},
		{At: disc.Add(time.Hour), Actor: engine, Action: workflows.ActionEscalation, Obligation: "cisa-report"},
		{At: at(5, 31, 13, 30), Actor: "coordinator", Action: workflows.ActionCompleted, Obligation: "cisa-report"},
		{At: at(6, 3, 9, 0), Actor: engine, Action: workflows.ActionReminder, Obligation: "risk-assessment"},
		{At: at(6, 4, 11, 0), Actor: "coordinator", Action: workflows.ActionWaived, Obligation: "public-statement", Detail: "covered by the agency's statement"},
		// A fact that moved no clock: no marker.
		{At: at(6, 5, 9, 0), Actor: "analyst", Action: workflows.ActionFact, Fact: "vendor", Detail: "vendor = Perceptics as of 2019-06-05T13:00:00Z"},
		// The fact that crossed the line, then the determination it called for.
		{At: at(6, 10, 11, 0), Actor: "analyst", Action: workflows.ActionFact, Fact: "affected_count", Detail: "affected_count = 184000 as of 2019-06-10T15:00:00Z"},
		{At: at(6, 10, 11, 0), Actor: engine, Action: workflows.ActionClockStarted, Obligation: "major-incident-determination"},
		{At: det, Actor: "cio", Action: workflows.ActionDetermination, Fact: "major_incident", Detail: "major_incident = true as of 2019-06-10T18:00:00Z"},
		{At: det, Actor: engine, Action: workflows.ActionClockStarted, Obligation: "congress-notice"},
		{At: at(6, 12, 9, 0), Actor: "coordinator", Action: workflows.ActionHold, Obligation: "law-enforcement", Detail: "until 2019-06-19 at the request of FBI Cyber Division under investigation in progress"},
		{At: at(6, 14, 10, 0), Actor: engine, Action: workflows.ActionCompleted, Obligation: "congress-notice"},
		{At: at(6, 18, 9, 0), Actor: engine, Action: workflows.ActionHoldExpiring, Obligation: "law-enforcement"},
		{At: at(6, 18, 15, 0), Actor: "coordinator", Action: workflows.ActionHoldReconfirmed, Obligation: "law-enforcement", Detail: "until 2019-06-26 at the request of FBI Cyber Division under investigation in progress"},
	}
	return st, log
}
