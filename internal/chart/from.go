package chart

import (
	"slices"
	"strings"
	"time"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// Labels of the AsOf line.
const (
	AsOfNow    = "now"
	AsOfClosed = "closed"
)

// FromStatus builds the timeline of an incident from its status and its record (the log; nil
// when it is not available: the chart then has no ticks, no ended holds and no markers). Pass the
// whole record where it can be had (QueryLogPage from the status's LogOffset holds a continued
// run's lines only: the earlier runs' ticks, holds and markers are then missing). A closed
// incident is judged as of its close, an open one as of the status's time — as the audit and the
// status table judge them (workflows.Judge).
func FromStatus(st workflows.Status, record []workflows.LogEntry) Timeline {
	loc := st.Location()
	closed := st.Status == workflows.IncidentClosed
	asOf, asOfLabel := st.AsOf, AsOfNow
	if closed {
		asOfLabel = AsOfClosed
		if !st.ClosedAt.IsZero() {
			asOf = st.ClosedAt
		}
	}
	t := Timeline{
		IncidentID: st.IncidentID, Title: st.Title, Location: loc, DiscoveredAt: st.DiscoveredAt,
		AsOf: asOf, AsOfLabel: asOfLabel,
	}
	index := map[string]int{}
	for _, o := range st.Obligations {
		j := workflows.Judge(o, asOf, closed)
		r := Row{
			ID: o.ID, Title: o.Title, Regime: o.Regime, AnchorAt: o.AnchorAt, Deadline: o.Deadline,
			InternalTarget: o.DeadlineKind == playbook.DeadlineInternalTarget,
			DoneAt:         o.CompletedAt, Outcome: j.Outcome, Label: j.Phrase(loc),
		}
		index[o.ID] = len(t.Rows)
		t.Rows = append(t.Rows, r)
	}
	open := map[string]int{} // obligation -> index of its open hold span
	var marker *Marker
	opening, openedAt := false, time.Time{}
	for _, l := range record {
		i, isRow := index[l.Obligation]
		switch l.Action {
		case workflows.ActionReminder, workflows.ActionEscalation, workflows.ActionHoldExpiring,
			workflows.ActionSkippedReminder, workflows.ActionSkippedEscalation:
			if isRow {
				t.Rows[i].Ticks = append(t.Rows[i].Ticks, Tick{At: l.At, Kind: tickKind(l.Action), Count: max(l.Count, 1)})
			}
		case workflows.ActionHold:
			if _, held := open[l.Obligation]; isRow && !held {
				open[l.Obligation] = len(t.Rows[i].Holds)
				t.Rows[i].Holds = append(t.Rows[i].Holds, Span{From: l.At, Open: true, Label: l.Detail})
			}
		case workflows.ActionHoldReconfirmed:
			if h, held := open[l.Obligation]; isRow && held {
				t.Rows[i].Holds[h].Label = l.Detail
			}
		case workflows.ActionHoldEnded:
			if h, held := open[l.Obligation]; isRow && held {
				s := &t.Rows[i].Holds[h]
				s.Until, s.Open = l.At, false
				delete(open, l.Obligation)
			}
		case workflows.ActionWaived:
			if isRow && t.Rows[i].DoneAt.IsZero() && t.Rows[i].Outcome == workflows.OutcomeWaived {
				t.Rows[i].DoneAt = l.At
			}
		}
		// The opening's own lines (its initial facts, then every clock it starts) are no change:
		// they run until a line at another instant or a line an Update wrote.
		switch {
		case l.Action == workflows.ActionOpened:
			opening, openedAt = true, l.At
		case opening && (!l.At.Equal(openedAt) || l.UpdateID != ""):
			opening = false
		}
		// A marker is a person's change of what is known; the engine's clock lines that follow
		// it (at the same instant) are what it moved.
		switch {
		case opening:
		case markerKind(l.Action) != "":
			t.addMarker(marker)
			marker = &Marker{At: l.At, Kind: markerKind(l.Action), Label: markerLabel(l)}
		case marker != nil && movesClock(l.Action) && l.At.Equal(marker.At) && l.Actor == workflows.ActorEngine:
			if l.Obligation != "" && !slices.Contains(marker.Moved, l.Obligation) {
				marker.Moved = append(marker.Moved, l.Obligation)
			}
		case marker != nil && (l.Actor != workflows.ActorEngine || !l.At.Equal(marker.At)):
			t.addMarker(marker)
			marker = nil
		}
	}
	t.addMarker(marker)
	// A hold still in force: the status knows when it is due to end.
	for _, o := range st.Obligations {
		i := index[o.ID]
		if o.Hold == nil {
			continue
		}
		if h, held := open[o.ID]; held {
			t.Rows[i].Holds[h].Until = o.Hold.Until
		} else {
			t.Rows[i].Holds = append(t.Rows[i].Holds, Span{From: o.Hold.From, Until: o.Hold.Until, Open: true,
				Label: "at the request of " + o.Hold.RequestedBy + " under " + o.Hold.Authority})
		}
	}
	return t
}

// addMarker keeps a marker that moved at least one clock.
func (t *Timeline) addMarker(m *Marker) {
	if m != nil && len(m.Moved) > 0 {
		t.Markers = append(t.Markers, *m)
	}
}

func tickKind(a workflows.Action) TickKind {
	switch a {
	case workflows.ActionEscalation, workflows.ActionSkippedEscalation:
		return TickEscalation
	case workflows.ActionHoldExpiring:
		return TickHoldExpiring
	}
	return TickReminder
}

func markerKind(a workflows.Action) MarkerKind {
	switch a {
	case workflows.ActionFact:
		return MarkerFact
	case workflows.ActionDetermination:
		return MarkerDetermination
	case workflows.ActionDiscoveryCorrected:
		return MarkerDiscovery
	case workflows.ActionDecided:
		return MarkerDecision
	}
	return ""
}

// movesClock reports whether an engine line says an obligation's clock changed.
func movesClock(a workflows.Action) bool {
	switch a {
	case workflows.ActionClockStarted, workflows.ActionClockStopped, workflows.ActionDeadlineMoved, workflows.ActionNotApplicable:
		return true
	}
	return false
}

// markerLabel is the change a record line says, without the "as of" stamp the record adds (the
// marker's place on the axis says when).
func markerLabel(l workflows.LogEntry) string {
	d := l.Detail
	if i := strings.Index(d, " as of "); i > 0 {
		d = d[:i]
	}
	if d == "" {
		d = l.Fact
	}
	return d
}
