package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// The incident's side of reminder digests: with a playbook digest, a repeat escalation or
// cadence reminder is handed to each recipient's DigestWorkflow instead of being mailed on its
// own, and the incident records, per rung, its hand-off, its delivery in a digest (by
// Message-ID) or its withdrawal once the obligation no longer needs it.

// ChangeEscalationDigest is the workflow.GetVersion change ID under which repeat escalations and
// cadence reminders of a playbook with a digest go to the recipients' daily digests. Asked for
// only by incidents whose playbook has one, so incidents of other playbooks replay as they ran.
const ChangeEscalationDigest = "escalation-digest"

// usesDigest reports whether the playbook gathers repeating reminders into a digest.
func usesDigest(pb *playbook.Playbook) bool { return pb.Defaults.Digest != nil }

// toDigest reports whether a rung goes to the digest: a repeat of a series (escalations of an
// overdue obligation, cadence reminders of one without a fixed deadline) after one was mailed.
// The first the incident sends of a series — even when it stands for several missed ones, as in
// an incident opened late — is mailed at once, on its own, and so are the reminders before a
// deadline.
func (w *incident) toDigest(r rung) bool {
	return w.digest && r.series != "" && r.k-r.skipped >= 2 && (r.kind == templates.KindEscalation || r.kind == templates.KindReminder)
}

// listenForDigests records the digests' delivery reports as they arrive.
func (w *incident) listenForDigests(ctx workflow.Context) {
	w.deliveredCh = workflow.GetSignalChannel(ctx, SignalDigestDelivered)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var in DigestDelivered
			w.deliveredCh.Receive(ctx, &in)
			w.digestDelivered(workflow.Now(ctx), in)
		}
	})
}

// drainDigestReports records the delivery reports already received, before the run hands over.
func (w *incident) drainDigestReports(now time.Time) {
	if w.deliveredCh == nil {
		return
	}
	for {
		var in DigestDelivered
		if !w.deliveredCh.ReceiveAsync(&in) {
			return
		}
		w.digestDelivered(now, in)
	}
}

// digestDelivered records that a digest listing some of this incident's escalations went out.
// A recipient's digest reports once; an escalation to several recipients gets a line from each.
func (w *incident) digestDelivered(now time.Time, in DigestDelivered) {
	for _, k := range in.NoticeKeys {
		n := w.notice(k)
		if n == nil || !n.Digest {
			continue
		}
		if n.State != NoticeSent {
			n.State, n.SentAt, n.MessageID, n.Transport, n.Receipt, n.LastError = NoticeSent, in.SentAt, in.MessageID, in.Transport, in.Receipt, ""
		}
		w.log(now, ActorEngine, SentAction(n.Kind), n.Obligation, k.String()+" in digest "+in.MessageID).NoticeKey = k
	}
	w.changed = true
}

// handToDigest is a digest escalation's delivery attempt: one activity that hands the escalation
// to every recipient's digest. The rung is recorded as handed over once; a retried hand-off is
// dropped by the digests as a duplicate.
func (w *incident) handToDigest(ctx, sendCtx workflow.Context, n *NoticeRecord) error {
	if err := w.checkRecipients(append(append([]string{}, n.ToRoles...), n.CcRoles...)); err != nil {
		return err
	}
	n.To, n.Cc = w.addresses(n.ToRoles), w.addresses(n.CcRoles)
	o, def := w.obligation(n.Obligation)
	pb := &w.st.Playbook
	item := DigestItem{
		IncidentID: w.st.IncidentID, IncidentTitle: w.st.Title, NoticeKey: n.Key.String(), Kind: n.Kind,
		ObligationID: def.ID, ObligationTitle: def.Title, Citation: def.Citation, Deadline: o.Deadline,
		OpenSince: o.AnchorAt, InternalTarget: def.DeadlineKind() == playbook.DeadlineInternalTarget,
		Label: n.Rung, At: n.RequestedAt, SendAt: pb.Defaults.Digest.At, TimeZone: pb.DigestZone(),
	}
	err := workflow.ExecuteActivity(sendCtx, acts.HandToDigest, activities.HandToDigestInput{
		Recipients: append(append([]string{}, n.To...), n.Cc...), Item: item,
	}).Get(ctx, nil)
	if err != nil {
		return err
	}
	now := workflow.Now(ctx)
	n.State, n.LastError = NoticeInDigest, ""
	n.Attempts++
	w.log(now, ActorEngine, ActionHandedToDigest, n.Obligation,
		fmt.Sprintf("%s to the daily digest of %d recipient(s), due %s %s", n.Key, len(n.To)+len(n.Cc), item.SendAt, item.TimeZone)).NoticeKey = n.Key
	w.changed = true
	return nil
}

// withdrawResolved withdraws from the digests the rungs whose obligation no longer needs them —
// an escalation's is no longer overdue, a cadence reminder's no longer open (done, waived, on
// hold, no longer applicable, its deadline moved) — or whose incident closed, before a digest
// listed them. One not yet handed over is withdrawn on the spot.
func (w *incident) withdrawResolved(now time.Time) {
	for _, n := range w.st.Notices {
		if !n.Digest || w.delivering[n.Key] {
			continue
		}
		switch n.State {
		case NoticeQueued, NoticeFailing, NoticeInDigest:
		default:
			continue
		}
		o, _ := w.obligation(n.Obligation)
		why := ""
		switch {
		case w.st.Status == IncidentClosed:
			why = "the incident is closed"
		case o != nil && o.State != StateOverdue && (n.Kind == templates.KindEscalation || o.State != StateDue):
			why = "the obligation is " + o.State
		default:
			continue
		}
		handed := n.State == NoticeInDigest
		n.State = NoticeWithdrawn
		w.log(now, ActorEngine, ActionWithdrawnFromDigest, n.Obligation, n.Key.String()+": "+why).NoticeKey = n.Key
		if !handed {
			continue
		}
		w.delivering[n.Key] = true
		workflow.Go(w.rootCtx, func(ctx workflow.Context) {
			defer func() {
				delete(w.delivering, n.Key)
				w.changed = true
			}()
			ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
			err := workflow.ExecuteActivity(ctx, acts.RetractFromDigest, activities.RetractFromDigestInput{
				Recipients: append(append([]string{}, n.To...), n.Cc...),
				Retraction: DigestRetraction{IncidentID: w.st.IncidentID, NoticeKey: n.Key.String(), Reason: why},
			}).Get(ctx, nil)
			if err != nil {
				w.logger.Warn("Withdrawing an escalation from the digests failed", "Notice", n.Key, "Error", err)
			}
		})
	}
}
