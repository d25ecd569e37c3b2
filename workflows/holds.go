package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// deadline is the obligation's deadline for an anchor: the clock's due time pushed back by the
// time spent on ended holds. Zero for obligations without a fixed deadline.
func (w *incident) deadline(o *ObligationState, anchor time.Time) time.Time {
	due, _ := w.deadlineAndLimit(o, anchor)
	return due
}

// deadlineAndLimit is deadline, also saying which limit governs for an obligation with a second
// one (also_due): the earlier of its own deadline and the second limit's, once the second's
// anchor has happened and unless the second limit lies before the obligation's own anchor.
func (w *incident) deadlineAndLimit(o *ObligationState, anchor time.Time) (time.Time, string) {
	due, ok := w.specs[o.ID].Due(anchor)
	if !ok {
		return time.Time{}, ""
	}
	limit := ""
	if def := w.st.Playbook.Obligation(o.ID); def.AlsoDue != nil {
		a := def.AlsoDue
		limit = fmt.Sprintf("%d %s from %s (its own deadline)", def.Deadline.Amount, def.Deadline.Clock, def.Anchor)
		if at, started := w.anchorRefTime(a.Anchor); started {
			// A second limit that had passed before the obligation's own clock started does not
			// count (DORA RTS 2025/301 Art. 5(2): an incident classified as major only later is
			// reported within 4 hours of the classification).
			if second, ok := w.alsoSpecs[o.ID].Due(at); ok && second.Before(due) && !second.Before(anchor) {
				due, limit = second, fmt.Sprintf("%d %s from %s (also_due)", a.Amount, a.Clock, a.Anchor)
			}
		}
	}
	return due.Add(o.HeldFor), limit
}

// holdReminderAt is when the owner is asked to re-confirm or release a hold: a day before it
// expires, or half-way through a hold shorter than two days.
func holdReminderAt(h *Hold) (time.Time, string) {
	at := h.Until.Add(-24 * time.Hour)
	if h.Until.Sub(h.From) < 48*time.Hour {
		at = h.From.Add(h.Until.Sub(h.From) / 2)
	}
	return at, fmt.Sprintf("hold/%d/%d", h.From.Unix(), h.Until.Unix())
}

// holdReminder sends the re-confirm-or-release reminder of the hold in force once it is due.
func (w *incident) holdReminder(now time.Time, o *ObligationState, def *playbook.Obligation) {
	at, key := holdReminderAt(o.Hold)
	if now.Before(at) || !o.Sent[key].IsZero() {
		return
	}
	if o.Sent == nil {
		o.Sent = map[string]time.Time{}
	}
	o.Sent[key] = now
	to := []string{def.Owner}
	if esc := w.st.Playbook.EscalationFor(def); esc != nil {
		to = append(to, esc.To...)
	}
	nk := RungNoticeKey(o.ID, key)
	w.queueNotice(now, at, o.ID, templates.KindHoldExpiring, nk, templates.KindHoldExpiring, to, nil, ActorEngine)
	w.log(now, ActorEngine, ActionHoldExpiring, o.ID, "reminder to re-confirm or release the hold before "+stamp(o.Hold.Until)).NoticeKey = nk
}

// endHold closes the hold in force and adds its length to the time the clock stood still.
func (w *incident) endHold(o *ObligationState, at time.Time, by, reason string) *LogEntry {
	h := *o.Hold
	h.EndedAt, h.EndedBy, h.EndReason = at, by, reason
	o.Holds = append(o.Holds, h)
	o.HeldFor += at.Sub(h.From)
	o.Hold = nil
	return w.log(at, by, ActionHoldEnded, o.ID, fmt.Sprintf("%s; clock stopped for %s", reason, at.Sub(h.From)))
}

func (w *incident) validateHold(ctx workflow.Context, in HoldInput) error {
	o, def, err := w.openObligation(in.Obligation)
	if err != nil {
		return err
	}
	if def.HoldsForbidden != "" {
		return fmt.Errorf("obligation %q may not be put on hold: %s", in.Obligation, def.HoldsForbidden)
	}
	if len(def.HoldAuthorities) > 0 && !slices.ContainsFunc(def.HoldAuthorities, func(a string) bool {
		return strings.Contains(strings.ToLower(in.Authority), strings.ToLower(a))
	}) {
		return fmt.Errorf("authority %q may not delay obligation %q: a hold must be asked for by %s", in.Authority, in.Obligation, strings.Join(def.HoldAuthorities, ", or "))
	}
	if n := w.notice(OwnNoticeKey(in.Obligation)); n != nil && (n.State == NoticeQueued || n.State == NoticeFailing) {
		return fmt.Errorf("the notice of %q is already being delivered (%s): a hold can no longer stop it", in.Obligation, n.State)
	}
	if err := checkActor(in.By); err != nil {
		return err
	}
	var missing []string
	if strings.TrimSpace(in.RequestedBy) == "" {
		missing = append(missing, "requested_by (who asked for the delay)")
	}
	if strings.TrimSpace(in.Authority) == "" {
		missing = append(missing, "authority (under what authority, e.g. a request of the Attorney General)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("a hold needs %s: both go on the record", strings.Join(missing, " and "))
	}
	if !in.Until.After(workflow.Now(ctx)) {
		return errors.New("until must lie in the future: how long did the requester ask to delay?")
	}
	if err := clock.CheckTime("until", in.Until); err != nil {
		return err
	}
	for _, f := range [][2]string{{"requested_by", in.RequestedBy}, {"authority", in.Authority}} {
		if err := playbook.CheckLine(f[0], f[1], playbook.MaxTitleLen); err != nil {
			return err
		}
	}
	if err := checkNotes("note", in.Note); err != nil {
		return err
	}
	switch o.State {
	case StateDue, StateOverdue, StateOnHold:
		return nil
	}
	if o.State == StatePending {
		return fmt.Errorf("obligation %q is pending: its clock has not started (it runs from %s); a hold pauses a running clock, so record that first or put the hold on once it runs", in.Obligation, def.Anchor.String())
	}
	return fmt.Errorf("obligation %q is %s: only an obligation whose clock is running can be put on hold", in.Obligation, o.State)
}

func (w *incident) hold(ctx workflow.Context, in HoldInput) (Status, error) {
	now := workflow.Now(ctx)
	o, _ := w.obligation(in.Obligation)
	detail := fmt.Sprintf("until %s at the request of %s under %s", stamp(in.Until), in.RequestedBy, in.Authority)
	if o.Hold != nil {
		// Re-confirming extends the hold in force; its start, and so the paused time, is kept.
		o.Hold.Until, o.Hold.RequestedBy, o.Hold.Authority, o.Hold.Note = in.Until, in.RequestedBy, in.Authority, in.Note
		w.act(ctx, in.By, ActionHoldReconfirmed, o.ID, detail)
	} else {
		o.Hold = &Hold{RequestedBy: in.RequestedBy, Authority: in.Authority, From: now, Until: in.Until, By: in.By, Note: in.Note, Proof: proofOf(ctx)}
		w.act(ctx, in.By, ActionHold, o.ID, detail)
	}
	return w.after(ctx)
}

func (w *incident) validateRelease(ctx workflow.Context, in ReleaseInput) error {
	o, _, err := w.openObligation(in.Obligation)
	if err != nil {
		return err
	}
	if err := checkActor(in.By); err != nil {
		return err
	}
	if o.Hold == nil {
		return fmt.Errorf("obligation %q is not on hold", in.Obligation)
	}
	return checkNotes("note", in.Note)
}

func (w *incident) release(ctx workflow.Context, in ReleaseInput) (Status, error) {
	o, _ := w.obligation(in.Obligation)
	reason := "released"
	if in.Note != "" {
		reason += ": " + in.Note
	}
	withUpdate(ctx, w.endHold(o, workflow.Now(ctx), in.By, reason))
	o.Holds[len(o.Holds)-1].EndedProof = proofOf(ctx)
	return w.after(ctx)
}

func (w *incident) validateCorrectDiscovery(ctx workflow.Context, in CorrectDiscoveryInput) error {
	if err := w.checkOpen(in.By); err != nil {
		return err
	}
	if in.DiscoveredAt.IsZero() {
		return errors.New("discovered_at is required: when did the organization become aware?")
	}
	if err := clock.CheckDiscovery("discovered_at", in.DiscoveredAt, workflow.Now(ctx)); err != nil {
		return err
	}
	if err := checkPast(ctx, "discovered_at", in.DiscoveredAt); err != nil {
		return err
	}
	if err := checkNotes("reason", in.Reason); err != nil {
		return err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return errors.New("reason is required to correct the discovery time: it moves every clock anchored on it")
	}
	return nil
}

func (w *incident) correctDiscovery(ctx workflow.Context, in CorrectDiscoveryInput) (Status, error) {
	w.act(ctx, in.By, ActionDiscoveryCorrected, "", fmt.Sprintf("from %s to %s: %s", stamp(w.st.DiscoveredAt), stamp(in.DiscoveredAt), in.Reason))
	w.st.DiscoveredAt = in.DiscoveredAt
	return w.after(ctx)
}
