package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/templates"
)

// renderOptions are the activity options of RenderNotice.
func renderOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
}

// ChangeLocalRender is the workflow.GetVersion change ID under which notices are rendered by a
// local activity (in the worker, recorded as a marker) instead of a scheduled one: rendering is
// pure computation, and skipping the server round trip halves the work of every reminder.
// Incidents started before the change replay on the old path.
const ChangeLocalRender = "local-render"

// render renders a notice as of its request time. The rendered content is recorded in the
// history either way: as the activity's result, or in the local activity's marker.
func (w *incident) render(ctx workflow.Context, n *NoticeRecord) (templates.Rendered, error) {
	var r templates.Rendered
	in := activities.RenderNoticeInput{Template: n.Template, Data: w.noticeData(n.RequestedAt, n)}
	if workflow.GetVersion(ctx, ChangeLocalRender, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		w.events += 3
		return r, workflow.ExecuteActivity(renderOptions(ctx), acts.RenderNotice, in).Get(ctx, &r)
	}
	w.events++
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	return r, workflow.ExecuteLocalActivity(lctx, RenderNoticeActivity, in).Get(ctx, &r)
}

// RenderNoticeActivity is the registered name of Activities.RenderNotice; local activities are
// called by name so the worker's registered instance (with its templates) runs them.
const RenderNoticeActivity = "RenderNotice"

// setDraft makes r the content awaiting approval.
func (w *incident) setDraft(n *NoticeRecord, r templates.Rendered) {
	n.Draft, n.Subject, n.ContentHash = &r, r.Subject, r.ContentHash
	n.MessageID = activities.MessageID(w.st.IncidentID, n.Key.String(), r.ContentHash)
}

// requestApproval renders a notice that needs approvals and records it as awaiting them. The
// rendering happens before anything is recorded: if it fails, the request leaves no trace.
//
// Rendering waits on an activity, and other actions run meanwhile (the same request again, a
// waiver, a close): recheck tells, after the wait, whether the request still stands.
func (w *incident) requestApproval(ctx workflow.Context, n *NoticeRecord, needed int, recheck func() error) error {
	r, err := w.render(ctx, n)
	if err != nil {
		return fmt.Errorf("rendering the notice for approval: %w", err)
	}
	if err := recheck(); err != nil {
		return err
	}
	n.State, n.ApprovalsNeeded = NoticeAwaitingApproval, needed
	w.setDraft(n, r)
	w.st.Notices = append(w.st.Notices, n)
	withUpdate(ctx, w.log(workflow.Now(ctx), n.RequestedBy, ActionApprovalRequested, n.Obligation,
		fmt.Sprintf("%d approval(s) needed for content %s", needed, n.ContentHash))).NoticeKey = n.Key
	return nil
}

// ChangeRedraftAgain is the workflow.GetVersion change ID under which a notice awaiting approval
// is rendered again when an action came in while it was being re-rendered (before, that action's
// change was lost from the draft). Asked for only when that happens.
const ChangeRedraftAgain = "redraft-again"

// redraft re-renders every notice awaiting approval after a change of facts or decisions; if its
// content changed, the approvals given lapse: each was bound to the content its giver read.
func (w *incident) redraft() {
	for _, n := range w.st.Notices {
		if n.State != NoticeAwaitingApproval || w.drafting[n.Key] {
			continue
		}
		w.drafting[n.Key] = true
		workflow.Go(w.deliveryCtx, func(ctx workflow.Context) {
			defer delete(w.drafting, n.Key)
			for {
				seen := w.actions
				r, err := w.render(ctx, n)
				if err != nil || n.State != NoticeAwaitingApproval {
					return
				}
				if r.ContentHash != n.ContentHash {
					lapsed := len(n.Approvals)
					w.setDraft(n, r)
					n.Approvals = nil
					w.log(workflow.Now(ctx), ActorEngine, ActionApprovalsLapsed, n.Obligation,
						fmt.Sprintf("content changed to %s; %d approval(s) must be given again", r.ContentHash, lapsed)).NoticeKey = n.Key
					w.changed = true
				}
				// An action taken while this render ran may change the text again: render once
				// more, or approvers would sign a draft that lacks it.
				if w.actions == seen || workflow.GetVersion(ctx, ChangeRedraftAgain, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
					return
				}
			}
		})
	}
}

func (w *incident) validateApprove(ctx workflow.Context, in ApproveInput) error {
	if err := w.checkOpen(in.By); err != nil {
		return err
	}
	n := w.notice(OwnNoticeKey(in.Obligation))
	switch {
	case n == nil:
		return fmt.Errorf("no notice of %q awaits approval: request it with `starter send` first", in.Obligation)
	case n.State != NoticeAwaitingApproval:
		return fmt.Errorf("the notice of %q is %s, not awaiting approval", in.Obligation, n.State)
	}
	// An approval releases the notice: not while a hold delays it (FISMA 2014 sec. 2(d)(2)), and
	// not once the obligation is no longer owed (a decision not to notify, a waiver).
	if o, _ := w.obligation(in.Obligation); o != nil {
		if h := o.Hold; h != nil {
			return fmt.Errorf("obligation %q is on hold until %s at the request of %s (%s): its notice may not be released; approve it after the hold is released", in.Obligation, stamp(h.Until), h.RequestedBy, h.Authority)
		}
		switch o.State {
		case StateNotApplicable, StateWaived, StateDone, StateDisabled:
			return fmt.Errorf("obligation %q is %s: its notice is no longer owed", in.Obligation, o.State)
		}
	}
	if len(in.ContentHash) < 12 {
		return errors.New("content_hash is required (at least 12 characters): run `starter preview` and approve the hash of the text you read")
	}
	if !strings.HasPrefix(n.ContentHash, in.ContentHash) {
		return fmt.Errorf("the notice changed since that preview (content is now %s): preview it again and approve what you read", n.ContentHash[:12])
	}
	return nil
}

func (w *incident) approve(ctx workflow.Context, in ApproveInput) (Status, error) {
	now := workflow.Now(ctx)
	n := w.notice(OwnNoticeKey(in.Obligation))
	n.Approvals = append(n.Approvals, Approval{By: in.By, At: now, ContentHash: n.ContentHash, Proof: proofOf(ctx)})
	w.act(ctx, in.By, ActionApproved, in.Obligation, fmt.Sprintf("content %s (%d of %d)", n.ContentHash, len(n.Approvals), n.ApprovalsNeeded)).NoticeKey = n.Key
	if len(n.Approvals) >= n.ApprovalsNeeded {
		n.State = NoticeQueued
		withUpdate(ctx, w.log(now, ActorEngine, ActionNoticeReleased, in.Obligation, "all approvals given; sending the approved content")).NoticeKey = n.Key
	}
	return w.after(ctx)
}

// preview answers QueryPreview.
func (w *incident) preview(obligation string) (Preview, error) {
	o, def := w.obligation(obligation)
	if o == nil {
		return Preview{}, fmt.Errorf("unknown obligation %q", obligation)
	}
	if def.Notice == nil {
		return Preview{}, fmt.Errorf("obligation %q has no notice", obligation)
	}
	p := Preview{
		Obligation: obligation, Template: def.Notice.Template,
		To: w.addresses(def.Notice.To), Cc: w.addresses(def.Notice.Cc), ApprovalsNeeded: def.Notice.Approvals,
	}
	if n := w.notice(OwnNoticeKey(obligation)); n != nil {
		p.State, p.RequestedBy, p.RequestedProof, p.Approvals = n.State, n.RequestedBy, n.RequestedProof, n.Approvals
		if n.Draft != nil {
			p.Rendered = n.Draft
			return p, nil
		}
		if n.State == NoticeSent {
			p.Data = ptr(w.noticeData(n.RequestedAt, n))
			return p, nil
		}
	}
	// Not requested yet: the data as a request now would render it.
	now := w.lastNow
	probe := &NoticeRecord{Key: OwnNoticeKey(obligation), Obligation: obligation, Kind: templates.KindNotice,
		Template: def.Notice.Template, ToRoles: def.Notice.To, CcRoles: def.Notice.Cc, RequestedAt: now}
	p.Data = ptr(w.noticeData(now, probe))
	return p, nil
}

func ptr[T any](v T) *T { return &v }
