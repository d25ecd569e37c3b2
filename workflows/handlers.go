package workflows

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

func (w *incident) validateComplete(ctx workflow.Context, in CompleteInput) error {
	o, def, err := w.openObligation(in.Obligation)
	if err != nil {
		return err
	}
	if err := checkActor(in.By); err != nil {
		return err
	}
	if err := checkPast(ctx, "at", in.At); err != nil {
		return err
	}
	if !in.At.IsZero() && in.At.Before(w.st.DiscoveredAt) {
		return fmt.Errorf("at %s is before the incident was discovered (%s): give the time the work was done", stamp(in.At), stamp(w.st.DiscoveredAt))
	}
	if err := checkNotes("note", in.Note); err != nil {
		return err
	}
	if o.State == StateNotApplicable {
		return fmt.Errorf("obligation %q does not apply to this incident (its condition on facts does not hold): record the fact that makes it apply, or leave it", in.Obligation)
	}
	if open := w.depsOpen(def); len(open) > 0 {
		return fmt.Errorf("obligation %q waits on %s: complete or waive those first", in.Obligation, strings.Join(open, ", "))
	}
	return nil
}

func (w *incident) complete(ctx workflow.Context, in CompleteInput) (Status, error) {
	now := workflow.Now(ctx)
	at := in.At
	if at.IsZero() {
		at = now
	}
	o, _ := w.obligation(in.Obligation)
	withUpdate(ctx, w.markDone(now, o, at, in.By, in.Note))
	o.CompletedProof = proofOf(ctx)
	return w.after(ctx)
}

// markDone completes an obligation and freezes its lateness.
func (w *incident) markDone(now time.Time, o *ObligationState, at time.Time, by, note string) *LogEntry {
	o.State, o.CompletedAt, o.CompletedBy, o.Note = StateDone, at, by, note
	detail := "on time"
	if !o.Deadline.IsZero() && at.After(o.Deadline) {
		detail = "late by " + at.Sub(o.Deadline).String()
	}
	if note != "" {
		detail += "; " + note
	}
	return w.log(now, by, ActionCompleted, o.ID, detail)
}

func (w *incident) validateWaive(ctx workflow.Context, in WaiveInput) error {
	if _, _, err := w.openObligation(in.Obligation); err != nil {
		return err
	}
	if err := checkActor(in.By); err != nil {
		return err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return errors.New("reason is required to waive an obligation: say why it is not owed (an auditor will read it)")
	}
	if err := checkNotes("reason", in.Reason); err != nil {
		return err
	}
	return nil
}

func (w *incident) waive(ctx workflow.Context, in WaiveInput) (Status, error) {
	now := workflow.Now(ctx)
	o, _ := w.obligation(in.Obligation)
	o.State, o.WaivedAt, o.WaivedBy, o.WaiveReason, o.WaivedProof = StateWaived, now, in.By, in.Reason, proofOf(ctx)
	w.act(ctx, in.By, ActionWaived, o.ID, in.Reason)
	return w.after(ctx)
}

func (w *incident) validateSendNotice(ctx workflow.Context, in SendNoticeInput) error {
	o, def, err := w.openObligation(in.Obligation)
	if err != nil {
		return err
	}
	if err := checkActor(in.By); err != nil {
		return err
	}
	if def.Notice == nil {
		return fmt.Errorf("obligation %q has no notice to send: complete it with `starter complete` instead", in.Obligation)
	}
	if o.State == StateNotApplicable {
		return fmt.Errorf("obligation %q does not apply to this incident: its notice is not owed", in.Obligation)
	}
	if open := w.depsOpen(def); len(open) > 0 {
		return fmt.Errorf("obligation %q waits on %s: complete or waive those before sending its notice", in.Obligation, strings.Join(open, ", "))
	}
	if h := o.Hold; h != nil {
		return fmt.Errorf("obligation %q is on hold until %s at the request of %s (%s): release the hold first", in.Obligation, stamp(h.Until), h.RequestedBy, h.Authority)
	}
	if n := w.notice(OwnNoticeKey(in.Obligation)); n != nil {
		return fmt.Errorf("the notice for %q was already requested by %s (state %s): it is sent once", in.Obligation, n.RequestedBy, n.State)
	}
	return nil
}

func (w *incident) sendNotice(ctx workflow.Context, in SendNoticeInput) (Status, error) {
	now := workflow.Now(ctx)
	o, def := w.obligation(in.Obligation)
	n := def.Notice
	if n.Approvals > 0 {
		rec := &NoticeRecord{Key: OwnNoticeKey(in.Obligation), Obligation: in.Obligation, Kind: templates.KindNotice,
			Template: n.Template, ToRoles: n.To, CcRoles: n.Cc, RequestedAt: now, RequestedBy: in.By, Due: o.Deadline, RequestedProof: proofOf(ctx)}
		if err := w.requestApproval(ctx, rec, n.Approvals, func() error { return w.stillRequestable(ctx, in) }); err != nil {
			return Status{}, err
		}
		return w.after(ctx)
	}
	key := OwnNoticeKey(in.Obligation)
	w.queueNotice(now, o.Deadline, in.Obligation, templates.KindNotice, key, n.Template, n.To, n.Cc, in.By)
	w.notice(key).RequestedProof = proofOf(ctx)
	w.act(ctx, in.By, ActionNoticeRequested, in.Obligation, "").NoticeKey = key
	return w.after(ctx)
}

// ChangeRecheckAfterRender is the workflow.GetVersion change ID under which a notice request
// that waited for its render is refused if, meanwhile, another action requested the same notice,
// settled the obligation, put it on hold or closed the incident. The version is asked for only
// when that happens, so histories without such a race carry no marker; one recorded before the
// change replays as it ran (the duplicate recorded).
const ChangeRecheckAfterRender = "recheck-after-render"

// stillRequestable re-checks, after the render's wait, what other actions may have changed.
func (w *incident) stillRequestable(ctx workflow.Context, in SendNoticeInput) error {
	o, _ := w.obligation(in.Obligation)
	var err error
	switch n := w.notice(OwnNoticeKey(in.Obligation)); {
	case n != nil:
		err = fmt.Errorf("the notice for %q was requested by %s while this request was being rendered (state %s): it is sent once", in.Obligation, n.RequestedBy, n.State)
	case w.st.Status != IncidentOpen:
		err = w.errClosed()
	case isClosedState(o.State) || o.State == StateNotApplicable:
		err = fmt.Errorf("obligation %q was %s while this request was being rendered", in.Obligation, o.State)
	case o.Hold != nil:
		err = fmt.Errorf("obligation %q was put on hold while this request was being rendered: release the hold first", in.Obligation)
	}
	if err == nil || workflow.GetVersion(ctx, ChangeRecheckAfterRender, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	return err
}

func (w *incident) validateClose(ctx workflow.Context, in CloseInput) error {
	if err := w.checkOpen(in.By); err != nil {
		return err
	}
	if in.Force {
		if strings.TrimSpace(in.Reason) == "" {
			return errors.New("reason is required to force-close an incident with open obligations")
		}
		return checkNotes("reason", in.Reason)
	}
	var open, undelivered []string
	for _, o := range w.st.Obligations {
		if o.State == StateDue || o.State == StateOverdue {
			open = append(open, o.ID)
		}
	}
	for _, n := range w.st.Notices {
		if n.State == NoticeQueued || n.State == NoticeFailing || n.State == NoticeAwaitingApproval {
			undelivered = append(undelivered, n.Key.String())
		}
	}
	var problems []string
	if len(open) > 0 {
		problems = append(problems, fmt.Sprintf("obligations still open: %s (complete or waive them)", strings.Join(open, ", ")))
	}
	if len(undelivered) > 0 {
		problems = append(problems, fmt.Sprintf("notices not yet delivered: %s (wait for delivery)", strings.Join(undelivered, ", ")))
	}
	if len(problems) > 0 {
		return fmt.Errorf("cannot close: %s; or close with force and a reason", strings.Join(problems, "; "))
	}
	return nil
}

func (w *incident) close(ctx workflow.Context, in CloseInput) (Status, error) {
	now := workflow.Now(ctx)
	w.st.Status, w.st.ClosedAt, w.st.ClosedBy, w.st.Forced, w.st.ClosedProof = IncidentClosed, now, in.By, in.Force, proofOf(ctx)
	detail := ""
	if in.Force {
		detail = "forced: " + in.Reason
		// Undelivered notices are stopped and recorded as cancelled, never dropped silently.
		w.cancelDeliveries()
		for _, n := range w.st.Notices {
			if n.State == NoticeAwaitingApproval {
				n.State = NoticeCancelled
				w.act(ctx, in.By, ActionApprovalCancelled, n.Obligation, "incident force-closed").NoticeKey = n.Key
			}
		}
	}
	w.act(ctx, in.By, ActionClosed, "", detail)
	return w.after(ctx)
}

// openObligation finds an obligation that can still be acted on.
func (w *incident) openObligation(id string) (*ObligationState, *playbook.Obligation, error) {
	if w.st.Status != IncidentOpen {
		return nil, nil, w.errClosed()
	}
	o, def := w.obligation(id)
	if o == nil {
		ids := make([]string, 0, len(w.st.Obligations))
		for _, o := range w.st.Obligations {
			ids = append(ids, o.ID)
		}
		return nil, nil, fmt.Errorf("unknown obligation %q: this incident has %s", id, strings.Join(ids, ", "))
	}
	switch o.State {
	case StateDone:
		return nil, nil, fmt.Errorf("obligation %q is already done (by %s at %s)", id, o.CompletedBy, stamp(o.CompletedAt))
	case StateWaived:
		return nil, nil, fmt.Errorf("obligation %q was waived (by %s: %s)", id, o.WaivedBy, o.WaiveReason)
	case StateDisabled:
		return nil, nil, fmt.Errorf("obligation %q is disabled: the playbook ships it as not in force (%s); nothing is owed", id, o.Reason)
	}
	return o, def, nil
}

// checkPast checks a time given with an action (zero means now): inside the engine's window
// (clock.CheckTime) and not in the future.
func checkPast(ctx workflow.Context, field string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if err := clock.CheckTime(field, t); err != nil {
		return err
	}
	if t.After(workflow.Now(ctx).Add(time.Minute)) {
		return fmt.Errorf("%s %s lies in the future: record what has happened, when it happened", field, stamp(t))
	}
	return nil
}

// checkNotes checks free-text fields given as name, value pairs: within playbook.MaxNoteLen and
// free of control characters (they reach notices, terminals and the record).
func checkNotes(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := playbook.CheckText(pairs[i], pairs[i+1], playbook.MaxNoteLen); err != nil {
			return err
		}
	}
	return nil
}

// names lists a map's keys for a validator's message, sorted; "none" for an empty map.
func names[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

func (w *incident) validateSetContacts(ctx workflow.Context, in SetContactsInput) error {
	if err := w.checkOpen(in.By); err != nil {
		return err
	}
	role, ok := w.st.Playbook.Roles[in.Role]
	if !ok {
		return fmt.Errorf("unknown role %q: the playbook declares %s", in.Role, names(w.st.Playbook.Roles))
	}
	if strings.TrimSpace(in.Reason) == "" {
		return errors.New("reason is required to change contacts: say why (e.g. the address bounced)")
	}
	if err := checkNotes("reason", in.Reason); err != nil {
		return err
	}
	if len(in.Contacts) == 0 && len(role.Contacts) == 0 {
		return fmt.Errorf("role %s would have no address left: notices go to it", in.Role)
	}
	if len(in.Contacts) > playbook.MaxContactsPerRole {
		return fmt.Errorf("contacts: %d addresses for role %s: at most %d per role; for a larger audience give a mailing list's address", len(in.Contacts), in.Role, playbook.MaxContactsPerRole)
	}
	for i, c := range in.Contacts {
		if err := playbook.CheckAddress(c.Email); err != nil {
			return fmt.Errorf("contacts[%d]: %w", i, err)
		}
		if err := playbook.CheckLine(fmt.Sprintf("contacts[%d].name", i), c.Name, playbook.MaxTitleLen); err != nil {
			return err
		}
		if !role.Allows(c.Email) {
			return fmt.Errorf("contacts[%d]: %q is not in an allowed domain for %s (%s): check for a typo", i, c.Email, in.Role, strings.Join(role.AllowedDomains, ", "))
		}
	}
	return nil
}

func (w *incident) setContacts(ctx workflow.Context, in SetContactsInput) (Status, error) {
	if w.st.Contacts == nil {
		w.st.Contacts = map[string][]playbook.Contact{}
	}
	w.st.Contacts[in.Role] = in.Contacts
	w.contactsChanged++
	w.act(ctx, in.By, ActionContactsChanged, "", fmt.Sprintf("role %s now has %d address(es): %s", in.Role, len(in.Contacts), in.Reason))
	return w.after(ctx)
}
