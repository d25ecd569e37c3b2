package templates

import (
	"fmt"
	"time"
)

// sampleTime is the fixed instant dry runs use, so their output does not depend on the clock.
var sampleTime = time.Date(2019, time.May, 31, 13, 0, 0, 0, time.UTC)

// DryRun renders the named template with sample data, as a playbook check does before any
// notice is sent: once with facts and determinations set (by ID) and a deadline, a hold and
// durations in place, and once with no facts and no deadline, as early in an incident. The
// reminder, escalation and hold-expiring templates are rendered with their own kind, any other
// as a notice. timeZone is the IANA zone dates are shown in ("" for UTC). It returns the first
// error. It implements playbook.TemplateChecker.
func (s *Set) DryRun(name, timeZone string, facts, determinations map[string]string) error {
	if !s.Has(name) {
		return fmt.Errorf("unknown notice template %q", name)
	}
	kind := KindNotice
	switch name {
	case KindReminder, KindEscalation, KindHoldExpiring, KindDigest:
		kind = name
	}
	full := Data{
		Kind: kind,
		Incident: IncidentData{ID: "INC-00000000-0000-4000-8000-000000000000", Title: "Sample incident",
			Summary: "A sample incident for checking templates.", DiscoveredAt: sampleTime,
			PlaybookName: "sample", PlaybookVersion: "1"},
		Obligation: ObligationData{ID: "sample-obligation", Title: "Sample obligation", Citation: "Sample rule",
			Description: "What is owed.", Deadline: sampleTime.Add(72 * time.Hour), AnchorAt: sampleTime,
			Overdue: 26 * time.Hour, Left: 3 * time.Hour, OpenFor: 49 * time.Hour,
			Hold: &HoldData{RequestedBy: "Sample agency", Authority: "Sample authority", From: sampleTime, Until: sampleTime.Add(30 * 24 * time.Hour)}},
		Facts:          facts,
		Determinations: determinations,
		To:             []string{"Sample role"},
		GeneratedAt:    sampleTime.Add(time.Hour),
		TimeZone:       timeZone,
	}
	if kind == KindDigest {
		full.Digest = &DigestData{Incidents: 1, Items: []DigestItemData{{IncidentID: full.Incident.ID, IncidentTitle: "Sample incident",
			ObligationID: "sample-obligation", ObligationTitle: "Sample obligation", Citation: "Sample rule",
			Overdue: true, Deadline: sampleTime, Late: 26 * time.Hour, Rung: "escalation 2"},
			{IncidentID: full.Incident.ID, IncidentTitle: "Sample incident", ObligationID: "other-obligation",
				ObligationTitle: "Other obligation", Citation: "Sample rule", OpenFor: 49 * time.Hour, Rung: "open for 2 days 1 hour"}}}
	}
	empty := full
	empty.Facts, empty.Determinations = map[string]string{}, map[string]string{}
	empty.Obligation = ObligationData{ID: "sample-obligation", Title: "Sample obligation", Citation: "Sample rule",
		DeadlineNote: "without unreasonable delay", AnchorAt: sampleTime}
	for _, d := range []Data{full, empty} {
		if _, err := s.Render(name, d); err != nil {
			return err
		}
	}
	return nil
}
