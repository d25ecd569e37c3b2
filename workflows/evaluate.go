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

// evaluate brings every obligation up to date with the facts and the clock: applicability,
// anchor, deadline, overdue; queues the notices and reminders that are due; starts deliveries;
// and refreshes the search attributes. It is idempotent: calling it twice changes nothing more.
func (w *incident) evaluate(ctx workflow.Context) {
	now := workflow.Now(ctx)
	w.lastNow = now
	if w.st.Status == IncidentOpen {
		w.recordImplied(now)
		for _, o := range w.st.Obligations {
			w.evaluateObligation(now, o)
		}
	}
	if w.st.Status == IncidentOpen {
		w.cancelUnowedDrafts(ctx, now)
	}
	if w.digest {
		w.withdrawResolved(now)
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
	if isClosedState(o.State) || o.State == StateDisabled {
		return
	}
	if !w.st.Playbook.IsEnabled(def) {
		o.State, o.Reason = StateDisabled, "shipped disabled: not in force"
		w.log(now, ActorEngine, ActionDisabled, o.ID, o.Reason)
		return
	}
	if ok, why := w.applies(def); !ok {
		if o.State != StateNotApplicable || o.Reason != why && why != notApplicableFacts {
			w.log(now, ActorEngine, ActionNotApplicable, o.ID, why)
			o.State = StateNotApplicable
		}
		o.Reason = ""
		if why != notApplicableFacts {
			o.Reason = why
		}
		return
	}
	o.Reason = ""
	anchor, started := w.anchorTime(def)
	if !started {
		if o.State != StatePending {
			w.log(now, ActorEngine, ActionClockStopped, o.ID, "its anchor no longer holds")
		}
		o.State, o.AnchorAt, o.Deadline, o.OverdueAt = StatePending, time.Time{}, time.Time{}, time.Time{}
		return
	}
	// The deadline follows the anchor on the obligation's clock, pushed back by the time spent on
	// hold. When either moves (discovery corrected, determination recorded late, a hold ended), the
	// deadline and every rung keyed on it re-arm.
	deadline, limit := w.deadlineAndLimit(o, anchor)
	o.Limit = limit
	switch {
	case o.ActiveSince.IsZero():
		o.ActiveSince = now
		w.log(now, ActorEngine, ActionClockStarted, o.ID, deadlineText(deadline, def))
	case !deadline.Equal(o.Deadline):
		w.log(now, ActorEngine, ActionDeadlineMoved, o.ID, fmt.Sprintf("from %s to %s", stamp(o.Deadline), deadlineText(deadline, def)))
	}
	o.AnchorAt, o.Deadline = anchor, deadline
	if h := o.Hold; h != nil {
		if now.Before(h.Until) {
			o.State = StateOnHold
			w.holdReminder(now, o, def)
			return
		}
		w.endHold(o, h.Until, ActorEngine, "hold expired without being re-confirmed; the clock runs again")
		o.Deadline = w.deadline(o, anchor)
	}
	switch {
	case o.Deadline.IsZero() || now.Before(o.Deadline):
		o.State, o.OverdueAt = StateDue, time.Time{}
	case o.State != StateOverdue:
		o.State, o.OverdueAt = StateOverdue, now
		w.log(now, ActorEngine, ActionOverdue, o.ID, "deadline "+stamp(o.Deadline)+" passed")
	}
	if n := def.Notice; n != nil && n.Send == playbook.SendOnDue && w.notice(OwnNoticeKey(o.ID)) == nil {
		w.queueNotice(now, o.Deadline, o.ID, templates.KindNotice, OwnNoticeKey(o.ID), n.Template, n.To, n.Cc, ActorEngine)
	}
	// Of the rungs of one kind that are due now, only the latest is sent: after an outage, one
	// reminder that says where things stand beats a burst of stale ones. The others are recorded
	// as skipped.
	latest := map[string]rung{}
	skipped := map[string]int{}
	firstSkipped := map[string]string{}
	for _, r := range w.rungs(o, def, now) {
		if r.at.After(now) || handled(o, r) {
			continue
		}
		markHandled(o, r, now)
		n, first := r.skipped, r.firstSkipped
		if prev, ok := latest[r.kind]; ok {
			n, first = n+1, prev.label
		}
		if n > 0 && skipped[r.kind] == 0 {
			firstSkipped[r.kind] = first
		}
		skipped[r.kind] += n
		latest[r.kind] = r
	}
	for _, kind := range []string{templates.KindReminder, templates.KindEscalation} {
		// One line however many were superseded: an incident opened years after discovery
		// would otherwise write a line for every missed daily rung.
		switch n := skipped[kind]; {
		case n == 1:
			w.log(now, ActorEngine, SkippedAction(kind), o.ID, firstSkipped[kind]+": superseded by a later one")
		case n > 1:
			w.log(now, ActorEngine, SkippedAction(kind), o.ID,
				fmt.Sprintf("%d %ss superseded by a later one, the first %s", n, kind, firstSkipped[kind])).Count = n
		}
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
		series := fmt.Sprintf("cadence/%d", anchor.Unix())
		// Cadence reminders are counted from the anchor, so a restart does not shift them.
		return seriesRungs(series, templates.KindReminder, anchor.Add(every), every,
			maxTime(anchor, o.ActiveSince), o.Repeats[series], now,
			func(at time.Time) string {
				return fmt.Sprintf("open for %s", templates.HumanDuration(at.Sub(o.AnchorAt)))
			})
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
		series := fmt.Sprintf("escalation/%d", o.Deadline.Unix())
		if len(esc.Then) == 0 && esc.Max == 0 {
			rs = append(rs, seriesRungs(series, templates.KindEscalation, o.Deadline, esc.Every.Std(),
				time.Time{}, o.Repeats[series], now, nil)...)
		} else {
			rs = append(rs, pacedRungs(series, o.Deadline, esc, o.Repeats[series], now)...)
		}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].at.Before(rs[j].at) })
	return rs
}

// sendRung queues the notice for a reminder or escalation rung.
func (w *incident) sendRung(now time.Time, o *ObligationState, def *playbook.Obligation, r rung) {
	to, cc := []string{def.Owner}, []string(nil)
	if r.kind == templates.KindEscalation {
		to, cc = w.st.Playbook.EscalationFor(def).To, []string{def.Owner}
	}
	key := RungNoticeKey(o.ID, r.key)
	w.queueNotice(now, r.at, o.ID, r.kind, key, r.kind, to, cc, ActorEngine)
	if w.toDigest(r) {
		n := w.st.Notices[len(w.st.Notices)-1]
		n.Digest, n.Rung = true, r.label
	}
	w.log(now, ActorEngine, Action(r.kind), o.ID, r.label).NoticeKey = key
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
			if !handled(o, r) && r.at.After(now) {
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

// ChangeCancelUnowedDrafts is the workflow.GetVersion change ID under which a notice awaiting
// approval is cancelled, on the record, once its obligation is no longer owed (a decision not to
// notify made it not applicable, it was waived or done): before, it could still be approved and
// sent, and it blocked a normal close. Asked for only when that happens.
const ChangeCancelUnowedDrafts = "cancel-unowed-drafts"

// cancelUnowedDrafts cancels the notices awaiting approval whose obligation is no longer owed.
func (w *incident) cancelUnowedDrafts(ctx workflow.Context, now time.Time) {
	for _, n := range w.st.Notices {
		if n.State != NoticeAwaitingApproval {
			continue
		}
		o, _ := w.obligation(n.Obligation)
		if o == nil {
			continue
		}
		switch o.State {
		case StateNotApplicable, StateWaived, StateDone, StateDisabled:
		default:
			continue
		}
		if workflow.GetVersion(ctx, ChangeCancelUnowedDrafts, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return // an incident recorded before the change replays as it ran
		}
		n.State = NoticeCancelled
		w.log(now, ActorEngine, ActionApprovalCancelled, n.Obligation, "the obligation is "+o.State+": its notice is no longer owed").NoticeKey = n.Key
	}
}
