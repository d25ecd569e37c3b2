package simulate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// Outcomes of an obligation in the compliance report.
const (
	// OutcomeMet: done by its deadline (or done, for a duty without a fixed deadline) — including
	// when the sources only bound the date, by a time at or before the deadline.
	OutcomeMet = "met"
	// OutcomeMissed: done late, or not done and its deadline passed before the end.
	OutcomeMissed = "missed"
	// OutcomeNotApplicable: its condition on facts did not hold at the end.
	OutcomeNotApplicable = "not_applicable"
	// OutcomePending: its anchor never happened, so its clock never started (and it was not done).
	OutcomePending = "pending"
	// OutcomeUndecided: the sources do not date what was done (or its anchor) closely enough.
	OutcomeUndecided = "undecided"
	// OutcomeWaived: waived with a reason.
	OutcomeWaived = "waived"
	// OutcomeOpen: not done, and its deadline had not passed at the end.
	OutcomeOpen = "open"
	// OutcomeNotDone: a duty without a fixed deadline that was never done.
	OutcomeNotDone = "not_done"
	// OutcomeOnHold: its clock was paused by a hold at the end.
	OutcomeOnHold = "on_hold"
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
	Counts      map[string]int `json:"counts"`
	NoticesSent int            `json:"notices_sent"`
	// Runs is the number of workflow runs (the workflow continues as new on long incidents).
	Runs int `json:"runs"`
	// Outbox is where the notices were kept (empty: they were deleted).
	Outbox string `json:"outbox,omitempty"`

	loc *time.Location
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
	// ApplicableFrom is when the obligation began to apply, if it did not apply from the start.
	ApplicableFrom time.Time `json:"applicable_from,omitzero"`
	DoneAt         time.Time `json:"done_at,omitzero"`
	// DoneBy: done at a time the sources do not give, no later than this; DoneDateUnknown is set
	// whenever the completion is known only from an event with at: unknown.
	DoneBy          time.Time `json:"done_by,omitzero"`
	DoneDateUnknown bool      `json:"done_date_unknown,omitempty"`
	// State is the workflow's state of the obligation at the end.
	State   string `json:"state"`
	Outcome string `json:"outcome"`
	// Label is the outcome as shown, e.g. "missed by 2 days 3 hours".
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

// builder derives the report from the final status, the record and the scenario.
type builder struct {
	s   *Scenario
	r   *runner
	res *workflows.IncidentResult
	loc *time.Location
	// final state of each obligation.
	state map[string]string
}

func buildReport(s *Scenario, r *runner, res *workflows.IncidentResult, runs int) *Report {
	loc := time.UTC
	if l, err := time.LoadLocation(s.Playbook.Defaults.TimeZone); err == nil && s.Playbook.Defaults.TimeZone != "" {
		loc = l
	}
	b := &builder{s: s, r: r, res: res, loc: loc, state: map[string]string{}}
	for _, o := range res.Final.Obligations {
		b.state[o.ID] = o.State
	}
	rep := &Report{
		Title: s.Title, Scenario: s.Path, IncidentFile: s.IncidentPath, IncidentID: res.IncidentID,
		Playbook: s.Playbook.Name, PlaybookVersion: s.Playbook.Version, TimeZone: loc.String(),
		DiscoveredAt: s.DiscoveredAt.In(loc), End: s.End.In(loc), Notes: s.Notes,
		Counts: map[string]int{}, NoticesSent: res.NoticesSent, Runs: runs, loc: loc,
	}
	for _, os := range res.Final.Obligations {
		o := b.obligation(os)
		rep.Counts[o.Outcome]++
		rep.Obligations = append(rep.Obligations, o)
	}
	for i := range s.Events {
		rep.Events = append(rep.Events, b.event(&s.Events[i], rep))
	}
	return rep
}

func (b *builder) obligation(os workflows.ObligationStatus) ObligationReport {
	def := b.s.Playbook.Obligation(os.ID)
	o := ObligationReport{
		ID: os.ID, Title: os.Title, Citation: os.Citation, Anchor: def.Anchor, State: os.State,
		AnchorAt: b.in(os.AnchorAt), Deadline: b.in(os.Deadline), DeadlineNote: def.Deadline.Note,
		ApplicableFrom: b.applicableFrom(os.ID),
	}
	for i := range b.s.Events {
		if ev := &b.s.Events[i]; ev.Source != "" && b.touches(ev, def) {
			o.Sources = append(o.Sources, fmt.Sprintf("[%d] %s", ev.Index, ev.Source))
		}
	}
	for _, n := range b.s.Notes {
		if contains(n.Obligations, os.ID) {
			text := n.Text
			if n.Source != "" {
				text += " (" + n.Source + ")"
			}
			o.Notes = append(o.Notes, text)
		}
	}
	undated := b.undatedCompletion(os.ID)
	bound := b.r.boundFor[os.ID]
	switch {
	case os.State == workflows.StateNotApplicable:
		o.Outcome, o.Detail = OutcomeNotApplicable, "its condition on facts does not hold"
		if undated != nil {
			o.Detail += fmt.Sprintf("; event [%d] says it was done at a date not public", undated.Index)
		}
	case os.State == workflows.StateWaived:
		o.Outcome, o.Detail = OutcomeWaived, "waived: "+b.waiveReason(os.ID)
	case bound != nil:
		b.fromBound(&o, os, def, bound)
	case undated != nil && os.State != workflows.StateDone:
		b.fromBound(&o, os, def, undated)
	case os.State == workflows.StateDone:
		o.DoneAt = b.in(os.CompletedAt)
		switch {
		case os.Deadline.IsZero():
			o.Outcome, o.Detail = OutcomeMet, "done (no fixed deadline)"
		case os.Late > 0:
			o.Outcome, o.Late = OutcomeMissed, os.Late
			o.Detail = fmt.Sprintf("done %s after the deadline", human(os.Late))
		default:
			o.Outcome, o.Detail = OutcomeMet, "done on time"
		}
	case os.State == workflows.StatePending:
		b.pending(&o, def)
	case os.State == workflows.StateOverdue:
		o.Outcome, o.Late = OutcomeMissed, b.s.End.Sub(os.Deadline)
		o.Detail = fmt.Sprintf("not done: the deadline passed %s before the end", human(o.Late))
	case os.State == workflows.StateOnHold && os.Hold != nil:
		o.Outcome = OutcomeOnHold
		o.Detail = fmt.Sprintf("not done; on hold until %s at the request of %s (%s)", b.show(os.Hold.Until), os.Hold.RequestedBy, os.Hold.Authority)
	case os.Deadline.IsZero():
		o.Outcome = OutcomeNotDone
		note := def.Deadline.Note
		if note == "" {
			note = "no fixed deadline"
		}
		o.Detail = fmt.Sprintf("open for %s at the end; deadline: %s", human(b.s.End.Sub(os.AnchorAt)), note)
	default:
		o.Outcome = OutcomeOpen
		o.Detail = fmt.Sprintf("not done; %s left at the end", human(os.Deadline.Sub(b.s.End)))
	}
	if os.NoticeState != "" && os.NoticeState != workflows.NoticeSent && o.Outcome != OutcomeMet {
		o.Detail += fmt.Sprintf("; its notice was requested but never delivered (%s at the end)", strings.ReplaceAll(os.NoticeState, "_", " "))
	}
	if !o.ApplicableFrom.IsZero() {
		o.Detail += fmt.Sprintf("; applies from %s (not applicable before)", b.show(o.ApplicableFrom))
	}
	for i := range b.s.Events {
		ev := &b.s.Events[i]
		if ev.AtUnknown && b.leavesUndecided(ev, def) {
			o.UndecidedBy = append(o.UndecidedBy, ev.Index)
			o.Detail += fmt.Sprintf("; event [%d] (%s, date not public) may change this", ev.Index, describe(ev))
		}
	}
	if o.Late > 0 {
		o.LateText = human(o.Late)
	}
	o.Label = label(o)
	return o
}

// fromBound judges an obligation whose completion the sources give without a date.
func (b *builder) fromBound(o *ObligationReport, os workflows.ObligationStatus, def *playbook.Obligation, ev *Event) {
	k := ev.KnownBy
	o.DoneDateUnknown, o.DoneBy = true, b.in(k)
	src := ""
	if ev.Source != "" {
		src = fmt.Sprintf(" (source [%d]: %s)", ev.Index, ev.Source)
	}
	doneText := "done at a date the sources do not give"
	if !k.IsZero() {
		doneText = "done by " + b.show(k)
	}
	switch {
	case os.AnchorAt.IsZero():
		o.Outcome = OutcomePending
		o.Detail = fmt.Sprintf("its anchor (%s) never happened, so its clock never started; the sources say %s%s", anchorText(def.Anchor), doneText, src)
	case os.Deadline.IsZero():
		o.Outcome = OutcomeMet
		o.Detail = doneText + " (no fixed deadline)" + src
	case !k.IsZero() && !k.After(os.Deadline):
		o.Outcome = OutcomeMet
		o.Detail = doneText + src
	case !k.IsZero():
		o.Outcome = OutcomeUndecided
		o.Detail = fmt.Sprintf("met if done before %s; the sources only say by %s%s", b.show(os.Deadline), b.show(k), src)
	default:
		o.Outcome = OutcomeUndecided
		o.Detail = fmt.Sprintf("met if done before %s; the sources give no date%s", b.show(os.Deadline), src)
	}
	if !k.IsZero() && !os.AnchorAt.IsZero() && k.Before(os.AnchorAt) {
		o.Detail += "; that is before its clock started"
	}
	if b.r.boundFor[os.ID] == ev {
		if out := b.r.outcomes[ev.Index]; out != nil && out.forEv != nil {
			o.Detail += fmt.Sprintf("; recorded in the simulation at that bound because %s (event [%d]) depends on it", describe(out.forEv), out.forEv.Index)
		}
	}
	var open []string
	for _, d := range def.DependsOn {
		switch b.state[d] {
		case workflows.StateDone, workflows.StateWaived, workflows.StateNotApplicable:
		default:
			open = append(open, d)
		}
	}
	if len(open) > 0 {
		o.Detail += fmt.Sprintf("; today's playbook wants %s done first, and the scenario never does it", strings.Join(open, ", "))
	}
}

// pending judges an obligation whose clock never started in the simulation: its anchor may
// still have happened at a date the sources do not give.
func (b *builder) pending(o *ObligationReport, def *playbook.Obligation) {
	ev := b.undatedAnchor(def)
	if ev == nil {
		o.Outcome = OutcomePending
		o.Detail = fmt.Sprintf("its anchor (%s) never happened, so its clock never started; not done", anchorText(def.Anchor))
		return
	}
	if ev.KnownBy.IsZero() {
		o.Outcome = OutcomeUndecided
		o.Detail = fmt.Sprintf("its anchor (%s) happened at a date the sources do not give (event [%d]); not done", anchorText(def.Anchor), ev.Index)
		return
	}
	o.AnchorBy = b.in(ev.KnownBy)
	spec, err := b.s.Playbook.ClockSpec(def)
	due, ok := spec.Due(ev.KnownBy)
	switch {
	case err != nil || !ok:
		o.Outcome = OutcomeNotDone
		o.Detail = fmt.Sprintf("its clock started by %s at the latest (%s, event [%d]); no fixed deadline; not done", b.show(ev.KnownBy), anchorText(def.Anchor), ev.Index)
	case b.s.End.After(due):
		o.DeadlineBy, o.Outcome, o.Late = b.in(due), OutcomeMissed, b.s.End.Sub(due)
		o.Detail = fmt.Sprintf("not done; its anchor (%s) happened by %s at the latest (event [%d]), so its deadline was %s at the latest",
			anchorText(def.Anchor), b.show(ev.KnownBy), ev.Index, b.show(due))
	default:
		o.DeadlineBy, o.Outcome = b.in(due), OutcomeUndecided
		o.Detail = fmt.Sprintf("not done by the end; its anchor (%s) happened by %s at the latest (event [%d]), so its deadline is %s or earlier",
			anchorText(def.Anchor), b.show(ev.KnownBy), ev.Index, b.show(due))
	}
}

// undatedCompletion is the undated event that completed an obligation: the one with the earliest
// bound, else the first.
func (b *builder) undatedCompletion(id string) *Event {
	var best *Event
	for i := range b.s.Events {
		ev := &b.s.Events[i]
		if !ev.AtUnknown || !completes(b.s, ev, id) {
			continue
		}
		if best == nil || (!ev.KnownBy.IsZero() && (best.KnownBy.IsZero() || ev.KnownBy.Before(best.KnownBy))) {
			best = ev
		}
	}
	return best
}

// undatedAnchor is the undated event that would have started an obligation's clock.
func (b *builder) undatedAnchor(def *playbook.Obligation) *Event {
	kind, ref, err := playbook.ParseAnchor(def.Anchor)
	if err != nil {
		return nil
	}
	switch kind {
	case playbook.AnchorObligation:
		return b.undatedCompletion(ref)
	case playbook.AnchorDetermination, playbook.AnchorFact:
		var best *Event
		for i := range b.s.Events {
			ev := &b.s.Events[i]
			if !ev.AtUnknown || ev.Name != ref || (kind == playbook.AnchorFact) != (ev.Action == ActionFact) ||
				(kind == playbook.AnchorDetermination) != (ev.Action == ActionDetermination) {
				continue
			}
			fdef := playbook.FactDef{Type: playbook.FactBool}
			if kind == playbook.AnchorFact {
				fdef = b.s.Playbook.Facts[ref]
			}
			v, err := playbook.NormalizeFact(fdef, ev.Value)
			if err != nil || !playbook.Truthy(fdef, v) {
				continue
			}
			if best == nil || (!ev.KnownBy.IsZero() && (best.KnownBy.IsZero() || ev.KnownBy.Before(best.KnownBy))) {
				best = ev
			}
		}
		return best
	}
	return nil
}

// leavesUndecided reports whether an undated event other than a completion bears on an
// obligation: a waiver, hold or release of it, a fact its condition tests, or a discovery
// correction when its clock runs from discovery. (Completions and anchors are judged above.)
func (b *builder) leavesUndecided(ev *Event, def *playbook.Obligation) bool {
	switch ev.Action {
	case ActionWaive, ActionHold, ActionRelease:
		return ev.Obligation == def.ID
	case ActionFact:
		for _, c := range def.When {
			if c.Fact == ev.Name {
				return true
			}
		}
	case ActionCorrectDiscovery:
		return def.Anchor == playbook.AnchorDiscovery
	}
	return false
}

// touches reports whether an event concerns an obligation, for its list of sources.
func (b *builder) touches(ev *Event, def *playbook.Obligation) bool {
	if ev.Obligation == def.ID {
		return true
	}
	kind, ref, _ := playbook.ParseAnchor(def.Anchor)
	switch ev.Action {
	case ActionDetermination:
		return kind == playbook.AnchorDetermination && ref == ev.Name
	case ActionFact:
		if kind == playbook.AnchorFact && ref == ev.Name {
			return true
		}
		for _, c := range def.When {
			if c.Fact == ev.Name {
				return true
			}
		}
	}
	return false
}

// applicableFrom is when the workflow started the obligation's clock after first finding it not
// applicable, from the incident's record.
func (b *builder) applicableFrom(id string) time.Time {
	notApplicable := false
	for _, e := range b.res.Log {
		if e.Obligation != id {
			continue
		}
		switch e.Action {
		case "not applicable":
			notApplicable = true
		case "clock started":
			if notApplicable {
				return b.in(e.At)
			}
			return time.Time{}
		}
	}
	return time.Time{}
}

func (b *builder) waiveReason(id string) string {
	for _, e := range b.res.Log {
		if e.Obligation == id && e.Action == "waived" {
			return e.Detail
		}
	}
	return ""
}

// event reports what became of one scenario event.
func (b *builder) event(ev *Event, rep *Report) EventReport {
	e := EventReport{Index: ev.Index, Line: ev.Line, At: b.in(ev.At), AtUnknown: ev.AtUnknown, KnownBy: b.in(ev.KnownBy),
		Action: ev.Action, Target: target(ev), By: ev.By, Note: ev.Note, Source: ev.Source}
	out := b.r.outcomes[ev.Index]
	switch {
	case out != nil && out.err != nil:
		e.Result, e.Message = ResultRefused, message(out.err)
	case out != nil && out.bound:
		e.Result = ResultRecordedAtBound
		e.Message = fmt.Sprintf("date not public; recorded as done at its known_by because %s (event [%d]) depends on it", describe(out.forEv), out.forEv.Index)
		if o := rep.Obligation(ev.Obligation); o != nil {
			e.Message += "; " + o.ID + ": " + o.Label
		}
	case out != nil:
		e.Result = ResultPerformed
	case ev.AtUnknown:
		e.Result = ResultNotPerformed
		e.Message = "date not public"
		var affected []string
		for _, o := range rep.Obligations {
			def := b.s.Playbook.Obligation(o.ID)
			switch {
			case completes(b.s, ev, o.ID):
				affected = append(affected, o.ID+": "+o.Label)
			case contains(intsToStrings(o.UndecidedBy), fmt.Sprint(ev.Index)):
				affected = append(affected, o.ID+": may change")
			case b.undatedAnchor(def) == ev && o.State == workflows.StatePending:
				affected = append(affected, o.ID+": "+o.Label)
			}
		}
		if len(affected) > 0 {
			e.Message += "; " + strings.Join(affected, "; ")
		} else if ev.Action == ActionSend {
			e.Message += "; its notice does not complete the obligation, so nothing turns on its date"
		}
	default:
		e.Result, e.Message = ResultNotPerformed, "not reached before the end"
	}
	return e
}

func label(o ObligationReport) string {
	switch o.Outcome {
	case OutcomeMissed:
		if o.State == workflows.StateDone {
			return "missed by " + human(o.Late)
		}
		if !o.DeadlineBy.IsZero() {
			return "missed by at least " + human(o.Late)
		}
		return "missed (not done)"
	case OutcomeNotApplicable:
		return "not applicable"
	case OutcomeNotDone:
		return "not done"
	case OutcomeOnHold:
		return "on hold"
	}
	return o.Outcome
}

// target names what an event acts on.
func target(ev *Event) string {
	switch ev.Action {
	case ActionFact, ActionDetermination:
		return ev.Name + "=" + ev.Value
	case ActionCorrectDiscovery:
		return "discovered_at=" + ev.Value
	case ActionHold:
		if !ev.Until.IsZero() {
			return ev.Obligation + " until " + ev.Until.Format(time.RFC3339)
		}
	}
	return ev.Obligation
}

func describe(ev *Event) string { return ev.Action + " " + target(ev) }

func anchorText(anchor string) string {
	kind, ref, err := playbook.ParseAnchor(anchor)
	if err != nil {
		return anchor
	}
	switch kind {
	case playbook.AnchorDetermination:
		return "the determination " + ref
	case playbook.AnchorFact:
		return "the fact " + ref
	case playbook.AnchorObligation:
		return ref + " done"
	}
	return kind
}

func human(d time.Duration) string { return templates.HumanDuration(d) }

func intsToStrings(xs []int) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprint(x)
	}
	return out
}

func (b *builder) in(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(b.loc)
}

// reportTime is how the report shows instants: in the playbook's zone, with the zone.
const reportTime = "2006-01-02 15:04 MST"

func (b *builder) show(t time.Time) string { return showIn(t, b.loc) }

func showIn(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format(reportTime)
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report as tables: the obligations, then the events, then the notes.
func (r *Report) WriteText(w io.Writer) error {
	loc := r.loc
	if loc == nil {
		loc = time.UTC
		if l, err := time.LoadLocation(r.TimeZone); err == nil {
			loc = l
		}
	}
	show := func(t time.Time) string { return showIn(t, loc) }
	fmt.Fprintf(w, "What-if: %s\n", r.Title)
	fmt.Fprintf(w, "Incident %s under playbook %s %s; times in %s\n", r.IncidentFile, r.Playbook, r.PlaybookVersion, r.TimeZone)
	fmt.Fprintf(w, "Discovered %s; simulated until %s; %d notices sent", show(r.DiscoveredAt), show(r.End), r.NoticesSent)
	if r.Outbox != "" {
		fmt.Fprintf(w, " (kept in %s)", r.Outbox)
	}
	fmt.Fprintf(w, "; %d workflow run(s)\n\n", r.Runs)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OBLIGATION\tANCHOR\tDEADLINE\tDONE\tOUTCOME\tDETAIL")
	for _, o := range r.Obligations {
		anchor := show(o.AnchorAt)
		if o.AnchorAt.IsZero() && !o.AnchorBy.IsZero() {
			anchor = "by " + show(o.AnchorBy)
		}
		deadline := show(o.Deadline)
		switch {
		case o.Deadline.IsZero() && !o.DeadlineBy.IsZero():
			deadline = "by " + show(o.DeadlineBy)
		case o.Deadline.IsZero() && !o.AnchorAt.IsZero():
			deadline = "none fixed"
		}
		done := show(o.DoneAt)
		switch {
		case o.DoneDateUnknown && !o.DoneBy.IsZero():
			done = "by " + show(o.DoneBy)
		case o.DoneDateUnknown:
			done = "date unknown"
		case o.DoneAt.IsZero():
			done = "not done"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, anchor, deadline, done, o.Label, o.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var counts []string
	for _, k := range []string{OutcomeMet, OutcomeMissed, OutcomeUndecided, OutcomePending, OutcomeNotDone, OutcomeOpen, OutcomeOnHold, OutcomeWaived, OutcomeNotApplicable} {
		if n := r.Counts[k]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(k, "_", " ")))
		}
	}
	fmt.Fprintf(w, "\n%s\n\nEvents:\n", strings.Join(counts, ", "))

	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tAT\tEVENT\tRESULT\tSOURCE")
	for _, e := range r.Events {
		at := show(e.At)
		if e.AtUnknown {
			at = "unknown"
			if !e.KnownBy.IsZero() {
				at += " (by " + show(e.KnownBy) + ")"
			}
		}
		result := strings.ReplaceAll(e.Result, "_", " ")
		if e.Message != "" {
			result += ": " + e.Message
		}
		fmt.Fprintf(tw, "%d\t%s\t%s %s\t%s\t%s\n", e.Index, at, e.Action, e.Target, result, e.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range r.Notes {
			line := "  - " + n.Text
			if n.Source != "" {
				line += " (" + n.Source + ")"
			}
			if len(n.Obligations) > 0 {
				line += " [" + strings.Join(n.Obligations, ", ") + "]"
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}
