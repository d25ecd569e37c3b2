// Package chart draws an incident's obligations as a server-rendered SVG timeline: one row per
// obligation with a bar from its anchor to its deadline (legal deadlines and internal targets drawn
// differently), reminder and escalation ticks, hold spans, the completion and its judgement (met,
// missed, waived, …), a "now" (or close) line, and vertical markers for the fact changes,
// determinations and discovery corrections that moved clocks. An auditor sees at a glance what the
// tables take minutes to read.
//
// The input is one struct, Timeline, built by converters from what each caller has: FromStatus
// (the engine's status and record: the console, the audit), and the audit and simulate packages'
// own converters, which start from FromStatus so the three callers draw the same picture.
// Rendering uses the standard library only; every text from a playbook, a fact or a person is
// escaped for XML, and the output is bounded however many reminders or holds an incident has.
package chart

import (
	"time"

	"github.com/breachflow/breachflow/workflows"
)

// Timeline is what a chart draws: an incident's obligations and the changes that moved clocks.
type Timeline struct {
	// IncidentID and Title head the chart and name it for screen readers.
	IncidentID string
	Title      string
	// Location is the zone the axis and the texts are in (the incident's); nil means UTC.
	Location *time.Location
	// DiscoveredAt draws a "discovered" line; zero draws none.
	DiscoveredAt time.Time
	// AsOf is the instant the picture stands at: now for an open incident, the close for a
	// closed one, the horizon of a simulation. AsOfLabel names it ("now", "closed", …); an
	// empty label with a non-zero AsOf reads "now".
	AsOf      time.Time
	AsOfLabel string
	// Rows are the obligations, in the order drawn (playbook order).
	Rows []Row
	// Markers are the changes that moved clocks (fact changes, determinations, discovery
	// corrections, decisions), in time order.
	Markers []Marker
	// Notes are lines printed under the chart, e.g. where the picture's data came from.
	Notes []string
}

// Row is one obligation.
type Row struct {
	ID     string
	Title  string
	Regime string
	// AnchorAt is when its clock started; zero when it never started.
	AnchorAt time.Time
	// Deadline is when it is due; zero for a duty without a fixed deadline.
	Deadline time.Time
	// InternalTarget marks a deadline the organization set itself (never a legal one).
	InternalTarget bool
	// AnchorBound, DeadlineBound and DoneBound mark times the sources give only as "no later
	// than" (the simulator's undated events): they are drawn as bounds, not instants.
	AnchorBound   bool
	DeadlineBound bool
	DoneBound     bool
	// DoneAt is when it was completed or waived; zero when neither.
	DoneAt time.Time
	// Outcome is the shared judgement (workflows.Judge) as of the timeline's AsOf; Label says it
	// in words, e.g. "met, 6 days 23 hours early".
	Outcome workflows.Outcome
	Label   string
	// Ticks are its reminders, escalations and hold-expiring reminders, in time order.
	Ticks []Tick
	// Holds are the spans its clock was paused.
	Holds []Span
}

// TickKind is the kind of a tick on a row.
type TickKind string

// Tick kinds.
const (
	TickReminder     TickKind = "reminder"
	TickEscalation   TickKind = "escalation"
	TickHoldExpiring TickKind = "hold-expiring"
)

// Tick is a reminder, escalation or hold-expiring reminder that fell due.
type Tick struct {
	At   time.Time
	Kind TickKind
	// Count is how many like rungs the tick stands for (skipped rungs after an outage); zero
	// means one.
	Count int
}

// Span is a hold: its clock was paused from From until Until.
type Span struct {
	From  time.Time
	Until time.Time
	// Open marks a hold still in force: Until is when it is due to end, not when it ended.
	Open bool
	// Label says who asked for it and under what authority.
	Label string
}

// MarkerKind is the kind of a vertical marker.
type MarkerKind string

// Marker kinds.
const (
	MarkerFact          MarkerKind = "fact"
	MarkerDetermination MarkerKind = "determination"
	MarkerDiscovery     MarkerKind = "discovery corrected"
	MarkerDecision      MarkerKind = "decision"
)

// Marker is a change that moved clocks.
type Marker struct {
	At   time.Time
	Kind MarkerKind
	// Label says the change, e.g. "affected_count = 184000".
	Label string
	// Moved are the obligations whose clocks it started, stopped or moved.
	Moved []string
}

// Caps keep the picture (and the SVG) bounded however long an incident runs.
const (
	// MaxTicksPerRow is the most ticks drawn on one row; beyond it ticks are grouped into as
	// many time buckets, each drawn once with its count, and the row says so.
	MaxTicksPerRow = 24
	// MaxHoldsPerRow is the most hold spans drawn on one row; beyond it the row says how many
	// were left out.
	MaxHoldsPerRow = 24
	// MaxMarkers is the most markers drawn; beyond it the chart says how many were left out.
	MaxMarkers = 40
	// MaxRows is the most rows drawn; beyond it the chart says how many were left out.
	MaxRows = 200
	// maxText is the most runes of any one text kept (in tooltips and the key).
	maxText = 300
)
