package simulate

import (
	"fmt"
	"strings"
	"time"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

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
	loc := workflows.Location(s.Playbook.Defaults.TimeZone)
	b := &builder{s: s, r: r, res: res, loc: loc, state: map[string]string{}}
	for _, o := range res.Final.Obligations {
		b.state[o.ID] = o.State
	}
	rep := &Report{
		Title: s.Title, Scenario: s.Path, IncidentFile: s.IncidentPath, IncidentID: res.IncidentID,
		Playbook: s.Playbook.Name, PlaybookVersion: s.Playbook.Version, TimeZone: loc.String(),
		DiscoveredAt: s.DiscoveredAt.In(loc), End: s.End.In(loc), Notes: s.Notes,
		Counts: map[workflows.Outcome]int{}, NoticesSent: res.NoticesSent, Runs: runs, loc: loc,
		final: res.Final, record: res.Log,
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
		ID: os.ID, Title: os.Title, Citation: os.Citation, Anchor: def.Anchor.String(), State: os.State,
		AnchorAt: b.in(os.AnchorAt), Deadline: b.in(os.Deadline), DeadlineNote: def.Deadline.Note, DeadlineKind: def.DeadlineKind(),
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
	// The end is a horizon, not a close: what is not done is judged as it stood then.
	j := workflows.Judge(os, b.s.End, false)
	o.Outcome, o.Label = j.Outcome, j.Phrase(b.loc)
	switch {
	case os.State == workflows.StateNotApplicable:
		o.Detail = "its condition on facts does not hold"
		if undated != nil {
			o.Detail += fmt.Sprintf("; event [%d] says it was done at a date not public", undated.Index)
		}
	case os.State == workflows.StateWaived:
		o.Detail = "waived: " + b.waiveReason(os.ID)
	case bound != nil:
		b.fromBound(&o, os, def, bound)
	case undated != nil && os.State != workflows.StateDone:
		b.fromBound(&o, os, def, undated)
	case os.State == workflows.StateDone:
		o.DoneAt, o.Late = b.in(os.CompletedAt), j.Late()
		switch o.Outcome {
		case workflows.OutcomeMissed:
			o.Detail = fmt.Sprintf("done %s after the deadline", workflows.FormatDuration(o.Late))
		case workflows.OutcomeMet:
			o.Detail = "done on time"
			if j.NoDeadline {
				o.Detail = "done (no fixed deadline)"
			}
		}
	case os.State == workflows.StatePending:
		b.pending(&o, def)
	case o.Outcome == workflows.OutcomeMissed:
		o.Late = j.Late()
		o.Detail = fmt.Sprintf("not done: the deadline passed %s before the end", workflows.FormatDuration(o.Late))
	case o.Outcome == workflows.OutcomeOnHold:
		o.Detail = "not done; on hold"
		if os.Hold != nil {
			o.Detail += fmt.Sprintf(" until %s at the request of %s (%s)", b.show(os.Hold.Until), os.Hold.RequestedBy, os.Hold.Authority)
		}
	case o.Outcome == workflows.OutcomeNotDone:
		note := def.Deadline.Note
		if note == "" {
			note = "no fixed deadline"
		}
		o.Detail = fmt.Sprintf("open for %s at the end; deadline: %s", workflows.FormatDuration(j.OpenFor), note)
	default:
		o.Detail = fmt.Sprintf("not done; %s left at the end", workflows.FormatDuration(j.Margin))
	}
	if os.NoticeState != "" && os.NoticeState != workflows.NoticeSent && o.Outcome != workflows.OutcomeMet {
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
		o.LateText = workflows.FormatDuration(o.Late)
	}
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
		o.Outcome, o.Label = workflows.OutcomeNotStarted, "clock not started"
		o.Detail = fmt.Sprintf("its anchor (%s) never happened, so its clock never started; the sources say %s%s", anchorText(def.Anchor.String()), doneText, src)
	case os.Deadline.IsZero():
		o.Outcome, o.Label = workflows.OutcomeMet, "met"
		o.Detail = doneText + " (no fixed deadline)" + src
	case !k.IsZero() && !k.After(os.Deadline):
		o.Outcome, o.Label = workflows.OutcomeMet, "met"
		o.Detail = doneText + src
	case !k.IsZero():
		o.Outcome, o.Label = workflows.OutcomeUndecided, "undecided"
		o.Detail = fmt.Sprintf("met if done before %s; the sources only say by %s%s", b.show(os.Deadline), b.show(k), src)
	default:
		o.Outcome, o.Label = workflows.OutcomeUndecided, "undecided"
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
		o.Outcome, o.Label = workflows.OutcomeNotStarted, "clock not started"
		o.Detail = fmt.Sprintf("its anchor (%s) never happened, so its clock never started; not done", anchorText(def.Anchor.String()))
		return
	}
	if ev.KnownBy.IsZero() {
		o.Outcome, o.Label = workflows.OutcomeUndecided, "undecided"
		o.Detail = fmt.Sprintf("its anchor (%s) happened at a date the sources do not give (event [%d]); not done", anchorText(def.Anchor.String()), ev.Index)
		return
	}
	o.AnchorBy = b.in(ev.KnownBy)
	spec, err := b.s.Playbook.ClockSpec(def)
	due, ok := spec.Due(ev.KnownBy)
	switch {
	case err != nil || !ok:
		o.Outcome, o.Label = workflows.OutcomeNotDone, "not done"
		o.Detail = fmt.Sprintf("its clock started by %s at the latest (%s, event [%d]); no fixed deadline; not done", b.show(ev.KnownBy), anchorText(def.Anchor.String()), ev.Index)
	case b.s.End.After(due):
		o.DeadlineBy, o.Outcome, o.Late = b.in(due), workflows.OutcomeMissed, b.s.End.Sub(due)
		o.Label = "missed by at least " + workflows.FormatDuration(o.Late)
		o.Detail = fmt.Sprintf("not done; its anchor (%s) happened by %s at the latest (event [%d]), so its deadline was %s at the latest",
			anchorText(def.Anchor.String()), b.show(ev.KnownBy), ev.Index, b.show(due))
	default:
		o.DeadlineBy, o.Outcome, o.Label = b.in(due), workflows.OutcomeUndecided, "undecided"
		o.Detail = fmt.Sprintf("not done by the end; its anchor (%s) happened by %s at the latest (event [%d]), so its deadline is %s or earlier",
			anchorText(def.Anchor.String()), b.show(ev.KnownBy), ev.Index, b.show(due))
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
	kind, ref, err := playbook.ParseAnchor(def.Anchor.String())
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
	case ActionDecision:
		for _, c := range def.When {
			if c.Decision == ev.Name {
				return true
			}
		}
	case ActionCorrectDiscovery:
		return def.Anchor.Is(playbook.AnchorDiscovery)
	}
	return false
}

// touches reports whether an event concerns an obligation, for its list of sources.
func (b *builder) touches(ev *Event, def *playbook.Obligation) bool {
	if ev.Obligation == def.ID {
		return true
	}
	kind, ref, _ := playbook.ParseAnchor(def.Anchor.String())
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
		case workflows.ActionNotApplicable:
			notApplicable = true
		case workflows.ActionClockStarted:
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
		if e.Obligation == id && e.Action == workflows.ActionWaived {
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

// target names what an event acts on.
func target(ev *Event) string {
	switch ev.Action {
	case ActionFact, ActionDetermination, ActionDecision:
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

// show writes an instant for the report, in the playbook's zone.
func (b *builder) show(t time.Time) string { return workflows.FormatInstant(t, b.loc) }
