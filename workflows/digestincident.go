package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// The incident's side of escalation digests: a repeat escalation of a playbook with a digest is
// handed to each recipient's DigestWorkflow instead of being mailed on its own, and the
// incident records, per escalation, its hand-off, its delivery in a digest (by Message-ID) or
// its withdrawal once the obligation no longer needs it.

// ChangeEscalationDigest is the workflow.GetVersion change ID under which repeat escalations of a
// playbook with a digest go to the recipients' daily digests. Asked for only by incidents whose
// playbook has one, so incidents of other playbooks replay as they ran.
const ChangeEscalationDigest = "escalation-digest"

// usesDigest reports whether any escalation of the playbook has a digest.
func usesDigest(pb *playbook.Playbook) bool {
	if pb.Defaults.Escalation != nil && pb.Defaults.Escalation.Digest != nil {
		return true
	}
	for i := range pb.Obligations {
		if e := pb.Obligations[i].Escalation; e != nil && e.Digest != nil {
			return true
		}
	}
	return false
}

// toDigest reports whether a rung goes to the digest: a repeat escalation (the first of a
// deadline is mailed at once, on its own) of an escalation with a digest.
func (w *incident) toDigest(def *playbook.Obligation, r rung) bool {
	if !w.digest || r.kind != templates.KindEscalation || r.k < 2 {
		return false
	}
	esc := w.st.Playbook.EscalationFor(def)
	return esc != nil && esc.Digest != nil
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
	esc := w.st.Playbook.EscalationFor(def)
	item := DigestItem{
		IncidentID: w.st.IncidentID, IncidentTitle: w.st.Title, NoticeKey: n.Key.String(),
		ObligationID: def.ID, ObligationTitle: def.Title, Citation: def.Citation, Deadline: o.Deadline,
		InternalTarget: def.DeadlineKind() == playbook.DeadlineInternalTarget,
		Label:          rungLabel(n.Key), At: n.RequestedAt,
		SendAt: esc.Digest.At, TimeZone: w.st.Playbook.DigestZone(esc),
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
		fmt.Sprintf("%s to the daily digest of %d recipient(s), due %s %s", n.Key, len(n.To)+len(n.Cc), esc.Digest.At, item.TimeZone)).NoticeKey = n.Key
	w.changed = true
	return nil
}

// rungLabel names an escalation rung from its notice key: "escalation 9".
func rungLabel(key NoticeKey) string {
	s := key.String()
	return templates.KindEscalation + " " + s[strings.LastIndex(s, "/")+1:]
}

// withdrawResolved withdraws from the digests the escalations whose obligation is no longer
// overdue (done, waived, on hold, no longer applicable, its deadline moved) or whose incident
// closed, before a digest listed them. One not yet handed over is withdrawn on the spot.
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
		case o != nil && o.State != StateOverdue:
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
