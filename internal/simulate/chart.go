package simulate

import (
	"path/filepath"
	"time"

	"github.com/breachflow/breachflow/internal/chart"
	"github.com/breachflow/breachflow/workflows"
)

// AsOfSimulated labels the end of a simulation on its chart: a horizon, not a close.
const AsOfSimulated = "simulated until"

// Chart is the simulation's timeline: the workflow's final status and record drawn by
// chart.FromStatus, as the console and the audit draw an incident, with the report's own
// judgement on top — as of the end (a horizon, not a close), with the simulator's undecided
// outcomes, and with the anchors, deadlines and completions the sources give only as "no later
// than" drawn as bounds. It needs the report Run returned (a report read back from JSON carries
// no status or record: its chart has no rows).
func (r *Report) Chart() chart.Timeline {
	tl := chart.FromStatus(r.final, r.record)
	tl.Title, tl.Location = r.Title, r.location()
	tl.AsOf, tl.AsOfLabel = r.End, AsOfSimulated
	bounded := false
	for i := range tl.Rows {
		row := &tl.Rows[i]
		o := r.Obligation(row.ID)
		if o == nil {
			continue
		}
		row.Outcome, row.Label = o.Outcome, o.Label
		if o.AnchorAt.IsZero() && !o.AnchorBy.IsZero() {
			row.AnchorAt, row.AnchorBound = o.AnchorBy, true
		}
		if o.Deadline.IsZero() && !o.DeadlineBy.IsZero() {
			row.Deadline, row.DeadlineBound = o.DeadlineBy, true
		}
		if o.DoneDateUnknown {
			// Known only as a bound (or not at all): never drawn as an instant.
			row.DoneAt, row.DoneBound = o.DoneBy, !o.DoneBy.IsZero()
		}
		bounded = bounded || row.AnchorBound || row.DeadlineBound || row.DoneBound
	}
	tl.Notes = append(tl.Notes, "What-if under playbook "+r.Playbook+" "+r.PlaybookVersion+"; scenario "+filepath.Base(r.Scenario)+".")
	if bounded {
		tl.Notes = append(tl.Notes, "A dashed ring or outline marks a time the sources give only as \"no later than\" (the report's \"by …\").")
	}
	return tl
}

func (r *Report) location() *time.Location {
	if r.loc != nil {
		return r.loc
	}
	return workflows.Location(r.TimeZone)
}
