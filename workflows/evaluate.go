package workflows

import (
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// rung is one scheduled reminder, escalation or cadence reminder of an obligation.
type rung struct {
	key  string
	at   time.Time
	kind string
	// label is shown in the record, e.g. "1 day before the deadline".
	label string
}

// evaluate brings every obligation up to date with the facts and the clock: applicability,
// anchor, deadline, overdue; queues the notices and reminders that are due; starts deliveries;
// and refreshes the search attributes. It is idempotent: calling it twice changes nothing more.
func (w *incident) evaluate(ctx workflow.Context) {
	now := workflow.Now(ctx)
	w.lastNow = now
	if w.st.Status == IncidentOpen {
		for _, o := range w.st.Obligations {
			w.evaluateObligation(now, o)
		}
	}
	for _, n := range w.st.Notices {
		if (n.State == NoticeQueued || n.State == NoticeFailing) && !w.delivering[n.Key] && !w.continuing {
			w.startDelivery(n)
		}
	}
	w.upsertSearchAttributes(ctx)
}

func (w *incident) evaluateObligation(now time.Time, o *ObligationState) {
	def := w.st.Playbook.Obligation(o.ID)
	if isClosedState(o.State) {
		return
	}
	if !w.applies(def) {
		if o.State != StateNotApplicable {
			w.log(now, "engine", "not applicable", o.ID, "its condition on facts does not hold")
			o.State = StateNotApplicable
		}
		return
	}
	anchor, started := w.anchorTime(def)
	if !started {
		if o.State != StatePending {
			w.log(now, "engine", "clock stopped", o.ID, "its anchor no longer holds")
		}
		o.State, o.AnchorAt, o.Deadline, o.OverdueAt = StatePending, time.Time{}, time.Time{}, time.Time{}
		return
	}
	// The deadline follows the anchor on the obligation's clock, pushed back by the time spent on
	// hold. When either moves (discovery corrected, determination recorded late, a hold ended), the
	// deadline and every rung keyed on it re-arm.
	deadline := w.deadline(o, anchor)
	switch {
	case o.ActiveSince.IsZero():
		o.ActiveSince = now
		w.log(now, "engine", "clock started", o.ID, deadlineText(deadline, def))
	case !deadline.Equal(o.Deadline):
		w.log(now, "engine", "deadline moved", o.ID, fmt.Sprintf("from %s to %s", stamp(o.Deadline), deadlineText(deadline, def)))
	}
	o.AnchorAt, o.Deadline = anchor, deadline
	if h := o.Hold; h != nil {
		if now.Before(h.Until) {
			o.State = StateOnHold
			w.holdReminder(now, o, def)
			return
		}
		w.endHold(o, h.Until, "engine", "hold expired without being re-confirmed; the clock runs again")
		o.Deadline = w.deadline(o, anchor)
	}
	switch {
	case o.Deadline.IsZero() || now.Before(o.Deadline):
		o.State, o.OverdueAt = StateDue, time.Time{}
	case o.State != StateOverdue:
		o.State, o.OverdueAt = StateOverdue, now
		w.log(now, "engine", "overdue", o.ID, "deadline "+stamp(o.Deadline)+" passed")
	}
	if n := def.Notice; n != nil && n.Send == playbook.SendOnDue && w.notice(o.ID+"/notice") == nil {
		w.queueNotice(now, o.ID, templates.KindNotice, o.ID+"/notice", n.Template, n.To, n.Cc, "engine")
	}
	// Of the rungs of one kind that are due now, only the latest is sent: after an outage, one
	// reminder that says where things stand beats a burst of stale ones. The others are recorded
	// as skipped.
	latest := map[string]rung{}
	for _, r := range w.rungs(o, def, now) {
		if r.at.After(now) {
			break
		}
		if _, done := o.Sent[r.key]; done {
			continue
		}
		if o.Sent == nil {
			o.Sent = map[string]time.Time{}
		}
		o.Sent[r.key] = now
		if prev, ok := latest[r.kind]; ok {
			w.log(now, "engine", "skipped "+prev.kind, o.ID, prev.label+": superseded by a later one")
		}
		latest[r.kind] = r
	}
	for _, kind := range []string{templates.KindReminder, templates.KindEscalation} {
		if r, ok := latest[kind]; ok {
			w.sendRung(now, o, def, r)
		}
	}
}

// rungs lists an obligation's reminders, escalations and cadence reminders in time order, from
// the time its clock started. Escalations and cadence reminders repeat without end, so their list
// stops at the first repetition after now.
func (w *incident) rungs(o *ObligationState, def *playbook.Obligation, now time.Time) []rung {
	if o.State != StateDue && o.State != StateOverdue {
		return nil
	}
	// Time on hold does not count: cadence reminders resume from where the last hold ended.
	anchor := o.AnchorAt.Add(o.HeldFor)
	pb := &w.st.Playbook
	var rs []rung
	if o.Deadline.IsZero() {
		every := pb.CadenceFor(def)
		start := maxTime(anchor, o.ActiveSince)
		// Cadence reminders are counted from the anchor, so a restart does not shift them.
		for k, at := 1, anchor.Add(every); k <= maxRepeats; k, at = k+1, at.Add(every) {
			if !at.After(start) {
				continue
			}
			rs = append(rs, rung{key: fmt.Sprintf("cadence/%d/%d", anchor.Unix(), k), at: at, kind: templates.KindReminder,
				label: fmt.Sprintf("open for %s", templates.HumanDuration(at.Sub(o.AnchorAt)))})
			if at.After(now) {
				break
			}
		}
		return rs
	}
	window := o.Deadline.Sub(o.AnchorAt)
	for i, r := range pb.RemindersFor(def) {
		var at time.Time
		var label string
		if r.AtFraction != nil {
			at = o.AnchorAt.Add(time.Duration(float64(window) * *r.AtFraction))
			label = fmt.Sprintf("%g%% of the window", *r.AtFraction*100)
		} else {
			at = o.Deadline.Add(-r.Before.Std())
			label = templates.HumanDuration(r.Before.Std()) + " before the deadline"
			if r.Before.Std() == 0 {
				label = "at the deadline"
			}
		}
		// Rungs that fell before (or when) the engine saw the clock start were never meaningful.
		if !at.After(o.ActiveSince) {
			continue
		}
		rs = append(rs, rung{key: fmt.Sprintf("reminder/%d/%d", o.Deadline.Unix(), i), at: at, kind: templates.KindReminder, label: label})
	}
	if esc := pb.EscalationFor(def); esc != nil {
		for k, at := 1, o.Deadline; k <= maxRepeats; k, at = k+1, at.Add(esc.Every.Std()) {
			rs = append(rs, rung{key: fmt.Sprintf("escalation/%d/%d", o.Deadline.Unix(), k), at: at, kind: templates.KindEscalation,
				label: fmt.Sprintf("escalation %d", k)})
			if at.After(now) {
				break
			}
		}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].at.Before(rs[j].at) })
	return rs
}

// maxRepeats bounds repeating rungs; a year of daily escalations is well inside it.
const maxRepeats = 10000

// sendRung queues the notice for a reminder or escalation rung.
func (w *incident) sendRung(now time.Time, o *ObligationState, def *playbook.Obligation, r rung) {
	to, cc := []string{def.Owner}, []string(nil)
	if r.kind == templates.KindEscalation {
		to, cc = w.st.Playbook.EscalationFor(def).To, []string{def.Owner}
	}
	w.queueNotice(now, o.ID, r.kind, o.ID+"/"+r.key, r.kind, to, cc, "engine")
	w.log(now, "engine", r.kind, o.ID, r.label)
}

// nextWake is the earliest future moment at which something is due: a deadline or a rung.
func (w *incident) nextWake(now time.Time) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if w.st.Status != IncidentOpen {
		return next
	}
	for _, o := range w.st.Obligations {
		if o.State == StateDue {
			consider(o.Deadline)
		}
		if h := o.Hold; h != nil && o.State == StateOnHold {
			consider(h.Until)
			if at, key := holdReminderAt(h); at.After(now) && o.Sent[key].IsZero() {
				consider(at)
			}
		}
		def := w.st.Playbook.Obligation(o.ID)
		for _, r := range w.rungs(o, def, now) {
			if _, sent := o.Sent[r.key]; !sent && r.at.After(now) {
				consider(r.at)
				break
			}
		}
	}
	return next
}

// upsertSearchAttributes keeps IncidentStatus, NextDeadline and OverdueCount current, writing
// only when a value changed so the history does not grow needlessly.
func (w *incident) upsertSearchAttributes(ctx workflow.Context) {
	next, overdue := w.nextDeadlineAndOverdue()
	if w.upsertedOnce && w.lastStatus == w.st.Status && w.lastNext.Equal(next) && w.lastOverdue == overdue {
		return
	}
	updates := []temporal.SearchAttributeUpdate{
		SearchIncidentStatus.ValueSet(w.st.Status),
		SearchOverdueCount.ValueSet(int64(overdue)),
	}
	if next.IsZero() {
		updates = append(updates, SearchNextDeadline.ValueUnset())
	} else {
		updates = append(updates, SearchNextDeadline.ValueSet(next))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		w.logger.Warn("Upserting search attributes failed", "Error", err)
		return
	}
	w.lastStatus, w.lastNext, w.lastOverdue, w.upsertedOnce = w.st.Status, next, overdue, true
}

func (w *incident) nextDeadlineAndOverdue() (time.Time, int) {
	var next time.Time
	overdue := 0
	if w.st.Status != IncidentOpen {
		return next, 0
	}
	for _, o := range w.st.Obligations {
		switch o.State {
		case StateOverdue:
			overdue++
		case StateDue:
			if !o.Deadline.IsZero() && (next.IsZero() || o.Deadline.Before(next)) {
				next = o.Deadline
			}
		}
	}
	return next, overdue
}

func deadlineText(deadline time.Time, def *playbook.Obligation) string {
	if deadline.IsZero() {
		if def.Deadline.Note != "" {
			return "no fixed deadline: " + def.Deadline.Note
		}
		return "no fixed deadline"
	}
	return "deadline " + stamp(deadline)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
