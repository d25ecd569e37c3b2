package workflows

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// acts is used only to name activity methods; workflows never call it directly.
var acts *activities.Activities

// Retry rounds: each round is one activity execution with its own short retries; between rounds
// the workflow waits on a durable timer and records the failure so that status shows it.
var roundBackoff = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}

// ChangeSendHeartbeat is the workflow.GetVersion change ID under which the send activity has a
// heartbeat timeout: it heartbeats during the SMTP conversation, so a notice in flight on a worker
// that died is retried on another within seconds, instead of after the one-minute start-to-close
// timeout. Before it (DefaultVersion) the options carry no heartbeat timeout.
const ChangeSendHeartbeat = "send-heartbeat"

// SendHeartbeatTimeout is the send activity's heartbeat timeout. The activity heartbeats every
// few seconds (activities.DefaultRenewEvery); its ledger claim outlives this timeout by a little
// (activities.DefaultClaimLease), so the retry waits at most a few seconds for the dead claim.
const SendHeartbeatTimeout = 10 * time.Second

// sendOptions are the send activity's options; the version marker is recorded once per run.
func sendOptions(ctx workflow.Context) workflow.ActivityOptions {
	opts := workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute, // the SMTP conversation is bounded by 30 s by default
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    5 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    4,
		},
	}
	if workflow.GetVersion(ctx, ChangeSendHeartbeat, workflow.DefaultVersion, 1) != workflow.DefaultVersion {
		opts.HeartbeatTimeout = SendHeartbeatTimeout
	}
	return opts
}

// queueNotice records a notice to deliver; evaluate starts its delivery. due is when it was
// meant to leave (a rung's moment, an obligation's deadline), zero when there is none.
func (w *incident) queueNotice(now, due time.Time, obligation, kind string, key NoticeKey, template string, to, cc []string, by string) {
	w.st.Notices = append(w.st.Notices, &NoticeRecord{
		Key: key, Obligation: obligation, Kind: kind, Template: template,
		ToRoles: to, CcRoles: cc, RequestedAt: now, RequestedBy: by, State: NoticeQueued, Due: due,
	})
}

// notice returns the notice with the given key, or nil.
func (w *incident) notice(key NoticeKey) *NoticeRecord {
	for _, n := range w.st.Notices {
		if n.Key == key {
			return n
		}
	}
	return nil
}

func (w *incident) startDelivery(n *NoticeRecord) {
	w.delivering[n.Key] = true
	workflow.Go(w.deliveryCtx, func(ctx workflow.Context) {
		defer func() {
			delete(w.delivering, n.Key)
			w.changed = true
		}()
		w.deliver(ctx, n)
	})
}

// deliver renders a notice once and sends it, retrying in rounds until it is delivered or a
// forced close cancels it. The rendered content is kept across rounds so that every attempt
// carries the same content hash and Message-ID; the send activity's ledger then makes a retry
// after an unnoticed success a no-op.
func (w *incident) deliver(ctx workflow.Context, n *NoticeRecord) {
	sendCtx := workflow.WithActivityOptions(ctx, sendOptions(ctx))
	// A notice approved by people is sent exactly as they approved it.
	rendered := n.Draft
	for round := 0; !w.continuing; round++ {
		if ctx.Err() != nil {
			w.cancelled(n)
			return
		}
		err := w.attempt(ctx, sendCtx, n, &rendered)
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			w.cancelled(n)
			return
		}
		now := workflow.Now(ctx)
		n.State, n.Attempts, n.LastError = NoticeFailing, n.Attempts+1, shortError(err)
		w.changed = true
		wait := roundBackoff[min(round, len(roundBackoff)-1)]
		w.log(now, ActorEngine, ActionDeliveryFailed, n.Obligation, n.Key.String()+": "+n.LastError+"; next try in "+wait.String()).NoticeKey = n.Key
		w.logger.Warn("Notice delivery failed; will retry", "Notice", n.Key, "Round", round+1, "RetryIn", wait)
		// Wait out the backoff, unless the run hands over to a new one: then the notice stays
		// failing in the carried state and the new run retries it.
		// A change of contacts retries at once: the failure may have been the address.
		kick := w.contactsChanged
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return w.continuing || w.contactsChanged != kick }); err != nil {
			w.cancelled(n)
			return
		}
		if w.continuing {
			return
		}
	}
}

// attempt runs one render (if not yet rendered) and one send round.
func (w *incident) attempt(ctx, sendCtx workflow.Context, n *NoticeRecord, rendered **templates.Rendered) error {
	w.events += 3 // the send activity scheduled, started, completed
	if n.Digest {
		return w.handToDigest(ctx, sendCtx, n)
	}
	if *rendered == nil {
		// Rendered as of the request: the same facts always give the same content, hash and
		// Message-ID, whenever (and in whichever run) the delivery happens.
		r, err := w.render(ctx, n)
		if err != nil {
			return err
		}
		*rendered = &r
		n.Subject, n.ContentHash = r.Subject, r.ContentHash
		n.MessageID = activities.MessageID(w.st.IncidentID, n.Key.String(), r.ContentHash)
	}
	n.To, n.Cc = w.addresses(n.ToRoles), w.addresses(n.CcRoles)
	if err := w.checkRecipients(append(append([]string{}, n.ToRoles...), n.CcRoles...)); err != nil {
		return err
	}
	var res activities.SendNoticeResult
	err := workflow.ExecuteActivity(sendCtx, acts.SendNotice, activities.SendNoticeInput{
		IncidentID: w.st.IncidentID,
		NoticeKey:  n.Key.String(),
		MessageID:  n.MessageID,
		To:         n.To,
		Cc:         n.Cc,
		Date:       n.RequestedAt,
		Notice:     **rendered,
		Template:   n.Template,
		Kind:       n.Kind,
		Due:        n.Due,
	}).Get(ctx, &res)
	if err != nil {
		return err
	}
	// Workflow time, not the activity's clock: deadlines are judged on the workflow's clock, which
	// is also what a replay or a simulation sees.
	now := workflow.Now(ctx)
	n.State, n.SentAt, n.Transport, n.Receipt, n.LastError = NoticeSent, now, res.Transport, res.Receipt, ""
	n.Draft = nil // the content sent is in the history, as the send activity's input
	n.Attempts++
	w.log(now, ActorEngine, SentAction(n.Kind), n.Obligation, n.Key.String()+" "+n.MessageID).NoticeKey = n.Key
	// What the send ledger saw is part of the record: an earlier attempt's delivery found by a
	// retry, or a delivery that may be a second copy of the same Message-ID.
	switch {
	case res.PossibleDuplicate != "":
		n.PossibleDuplicate = res.PossibleDuplicate
		w.log(now, ActorEngine, ActionPossibleDuplicate, n.Obligation, n.Key.String()+" "+n.MessageID+": "+res.PossibleDuplicate).NoticeKey = n.Key
	case res.AlreadySent:
		n.AlreadySent = true
		w.log(now, ActorEngine, ActionAlreadyDelivered, n.Obligation, n.Key.String()+" "+n.MessageID+": an earlier attempt had delivered it (its completion never reached Temporal); not sent again").NoticeKey = n.Key
	}
	if n.Kind == templates.KindNotice {
		o, def := w.obligation(n.Obligation)
		if def.Notice != nil && def.Notice.CompletesObligation && (o.State == StateDue || o.State == StateOverdue || o.State == StatePending) {
			w.markDone(now, o, now, ActorEngine, "notice delivered, Message-ID "+n.MessageID)
		}
	}
	w.changed = true
	return nil
}

func (w *incident) cancelled(n *NoticeRecord) {
	if n.State != NoticeSent {
		n.State = NoticeCancelled
		w.log(w.st.ClosedAt, ActorEngine, ActionDeliveryCancelled, n.Obligation, n.Key.String()+": incident force-closed").NoticeKey = n.Key
	}
}

// addresses resolves roles to addresses: the incident's contacts, then the playbook's defaults.
func (w *incident) addresses(roles []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, role := range roles {
		contacts := append(append([]playbook.Contact{}, w.st.Contacts[role]...), w.st.Playbook.Roles[role].Contacts...)
		for _, c := range contacts {
			if seen[c.Email] {
				continue
			}
			seen[c.Email] = true
			if c.Name == "" {
				out = append(out, c.Email)
				continue
			}
			out = append(out, (&mail.Address{Name: c.Name, Address: c.Email}).String())
		}
	}
	return out
}

// checkRecipients refuses, before anything is sent, an address outside its role's allowed domains.
// Start-up validation already refuses them; this guards contacts from any other path.
func (w *incident) checkRecipients(roles []string) error {
	for _, role := range roles {
		r := w.st.Playbook.Roles[role]
		for _, c := range append(append([]playbook.Contact{}, w.st.Contacts[role]...), r.Contacts...) {
			if !r.Allows(c.Email) {
				return temporal.NewNonRetryableApplicationError(
					fmt.Sprintf("recipient %s is outside the allowed domains of role %s (%s): nothing was sent", c.Email, role, strings.Join(r.AllowedDomains, ", ")),
					"RecipientNotAllowed", nil)
			}
		}
	}
	return nil
}

// noticeData is what the notice template sees.
func (w *incident) noticeData(now time.Time, n *NoticeRecord) templates.Data {
	o, def := w.obligation(n.Obligation)
	pb := &w.st.Playbook
	d := templates.Data{
		Kind: n.Kind,
		Incident: templates.IncidentData{
			ID: w.st.IncidentID, Title: w.st.Title, Summary: w.st.Summary, DiscoveredAt: w.st.DiscoveredAt,
			PlaybookName: pb.Name, PlaybookVersion: pb.Version,
		},
		Obligation: templates.ObligationData{
			ID: def.ID, Title: def.Title, Citation: def.Citation, Description: def.Description,
			Deadline: o.Deadline, DeadlineNote: def.Deadline.Note, AnchorAt: o.AnchorAt,
			Quote: def.Quote, Source: def.Source, Regime: def.Regime, Limit: o.Limit,
		},
		DeadlineKind:   def.DeadlineKind(),
		InternalTarget: def.DeadlineKind() == playbook.DeadlineInternalTarget,
		Facts:          w.currentFacts(),
		Determinations: w.currentDeterminations(),
		Decisions:      w.currentDecisions(),
		Done:           w.doneObligations(),
		GeneratedAt:    now,
		TimeZone:       w.specs[def.ID].Location.String(),
	}
	if !o.Deadline.IsZero() {
		// Judged as a running clock whatever its state: a reminder says the time left, an
		// escalation how late, by the same judgement the status shows.
		j := Judge(ObligationStatus{State: StateDue, Deadline: o.Deadline}, now, false)
		d.Obligation.Overdue, d.Obligation.Left = j.Late(), max(j.Margin, 0)
	}
	if h := o.Hold; h != nil {
		d.Obligation.Hold = &templates.HoldData{RequestedBy: h.RequestedBy, Authority: h.Authority, From: h.From, Until: h.Until}
	}
	if !o.AnchorAt.IsZero() && now.After(o.AnchorAt) {
		d.Obligation.OpenFor = now.Sub(o.AnchorAt)
	}
	for _, r := range n.ToRoles {
		title := pb.Roles[r].Title
		if title == "" {
			title = r
		}
		d.To = append(d.To, title)
	}
	return d
}

// doneObligations lists the obligations that are done, for notices that may only say what was
// actually done.
func (w *incident) doneObligations() map[string]bool {
	done := map[string]bool{}
	for _, o := range w.st.Obligations {
		if o.State == StateDone {
			done[o.ID] = true
		}
	}
	return done
}

// currentDeterminations holds each recorded determination's latest value; one the facts imply
// (implied_by) is true.
func (w *incident) currentDeterminations() map[string]string {
	ds := map[string]string{}
	for name, h := range w.st.Determinations {
		ds[name] = h[len(h)-1].Value
	}
	for _, d := range w.impliedAll() {
		ds[d.Determination] = "true"
	}
	return ds
}

func (w *incident) currentFacts() map[string]string {
	facts := map[string]string{}
	for name := range w.st.Facts {
		if v, ok := w.currentFact(name); ok {
			facts[name] = v
		}
	}
	return facts
}

// shortError keeps the first line of an error, bounded, for status and the record.
func shortError(err error) string {
	var appErr *temporal.ApplicationError
	msg := err.Error()
	if errors.As(err, &appErr) {
		msg = appErr.Message()
	}
	for i, c := range msg {
		if c == '\n' {
			msg = msg[:i]
			break
		}
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}
