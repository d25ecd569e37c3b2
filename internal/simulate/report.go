package simulate

import (
	"encoding/json"
	"io"
	"time"

	"github.com/breachflow/breachflow/workflows"
)

// Event results.
const (
	ResultPerformed = "performed"
	ResultRefused   = "refused"
	// ResultNotPerformed: its date is not public, so it was not performed.
	ResultNotPerformed = "not_performed"
	// ResultRecordedAtBound: its date is not public, but a dated event depends on it and its
	// known_by lies at or before that event, so it was recorded as done at known_by.
	ResultRecordedAtBound = "recorded_at_bound"
)

// Report is the compliance report of a simulation.
type Report struct {
	Title           string    `json:"title"`
	Scenario        string    `json:"scenario"`
	IncidentFile    string    `json:"incident_file"`
	IncidentID      string    `json:"incident_id"`
	Playbook        string    `json:"playbook"`
	PlaybookVersion string    `json:"playbook_version"`
	TimeZone        string    `json:"time_zone"`
	DiscoveredAt    time.Time `json:"discovered_at"`
	End             time.Time `json:"end"`
	// Obligations in playbook order.
	Obligations []ObligationReport `json:"obligations"`
	// Events in file order.
	Events []EventReport `json:"events"`
	Notes  []Note        `json:"notes,omitempty"`
	// Counts is the number of obligations per outcome.
	Counts      map[workflows.Outcome]int `json:"counts"`
	NoticesSent int                       `json:"notices_sent"`
	// Runs is the number of workflow runs (the workflow continues as new on long incidents).
	Runs int `json:"runs"`
	// Outbox is where the notices were kept (empty: they were deleted).
	Outbox string `json:"outbox,omitempty"`

	loc *time.Location
	// final and record are the workflow's final status and whole record, for the chart.
	final  workflows.Status
	record []workflows.LogEntry
}

// ObligationReport is one obligation's line in the report.
type ObligationReport struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Citation string `json:"citation"`
	// Anchor is the playbook's anchor, e.g. determination:major_incident.
	Anchor   string    `json:"anchor"`
	AnchorAt time.Time `json:"anchor_at,omitzero"`
	// AnchorBy: the anchor happened at a time the sources do not give, no later than this.
	AnchorBy time.Time `json:"anchor_by,omitzero"`
	Deadline time.Time `json:"deadline,omitzero"`
	// DeadlineBy: with the anchor only bounded, the deadline was no later than this.
	DeadlineBy   time.Time `json:"deadline_by,omitzero"`
	DeadlineNote string    `json:"deadline_note,omitempty"`
	// DeadlineKind is legal or internal_target (an internal target is never reported as a legal
	// deadline); empty without a fixed deadline.
	DeadlineKind string `json:"deadline_kind,omitempty"`
	// ApplicableFrom is when the obligation began to apply, if it did not apply from the start.
	ApplicableFrom time.Time `json:"applicable_from,omitzero"`
	DoneAt         time.Time `json:"done_at,omitzero"`
	// DoneBy: done at a time the sources do not give, no later than this; DoneDateUnknown is set
	// whenever the completion is known only from an event with at: unknown.
	DoneBy          time.Time `json:"done_by,omitzero"`
	DoneDateUnknown bool      `json:"done_date_unknown,omitempty"`
	// State is the workflow's state of the obligation at the end.
	State string `json:"state"`
	// Outcome is the shared vocabulary's (workflows.Outcome), judged as of the end; undecided is
	// the simulator's own: the sources do not date what was done (or its anchor) closely enough.
	Outcome workflows.Outcome `json:"outcome"`
	// Label is the outcome as shown (workflows.Judgement.Phrase where the workflow's record
	// decides it), e.g. "missed by 2 days 3 hours" or "overdue by 1 day".
	Label string `json:"label"`
	// Late is how late it was done, or for one not done, how far past its deadline at the end.
	Late        time.Duration `json:"late_ns,omitempty"`
	LateText    string        `json:"late,omitempty"`
	Detail      string        `json:"detail"`
	Sources     []string      `json:"sources,omitempty"`
	Notes       []string      `json:"notes,omitempty"`
	UndecidedBy []int         `json:"undecided_by_events,omitempty"`
}

// EventReport is one scenario event and what became of it.
type EventReport struct {
	Index     int       `json:"index"`
	Line      int       `json:"line"`
	At        time.Time `json:"at,omitzero"`
	AtUnknown bool      `json:"at_unknown,omitempty"`
	KnownBy   time.Time `json:"known_by,omitzero"`
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	By        string    `json:"by"`
	Note      string    `json:"note,omitempty"`
	Source    string    `json:"source,omitempty"`
	Result    string    `json:"result"`
	// Message is the validator's message of a refusal, or what an undated event leaves undecided.
	Message string `json:"message,omitempty"`
}

// Obligation returns the report line of an obligation, or nil.
func (r *Report) Obligation(id string) *ObligationReport {
	for i := range r.Obligations {
		if r.Obligations[i].ID == id {
			return &r.Obligations[i]
		}
	}
	return nil
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
