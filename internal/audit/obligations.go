package audit

import (
	"time"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// Obligation outcomes: the shared vocabulary of workflows.Outcome, named here for callers of this
// package.
const (
	OutcomeMet           = workflows.OutcomeMet
	OutcomeMissed        = workflows.OutcomeMissed
	OutcomeWaived        = workflows.OutcomeWaived
	OutcomeNotApplicable = workflows.OutcomeNotApplicable
	OutcomeNotStarted    = workflows.OutcomeNotStarted
	OutcomeOpen          = workflows.OutcomeOpen
	OutcomeOnHold        = workflows.OutcomeOnHold
	OutcomeUnfinished    = workflows.OutcomeUnfinished
	OutcomeNotDone       = workflows.OutcomeNotDone
)

// ObligationAudit is one obligation's account: its deadline, when and by whom it was done (or
// waived, and why), and whether the deadline was met or missed and by how much.
type ObligationAudit struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Citation string `json:"citation,omitempty"`
	// Quote is the rule's own words and Source whether they were read in the primary text, as
	// the incident's playbook (in its first history) states them.
	Quote        string    `json:"quote,omitempty"`
	Source       string    `json:"source,omitempty"`
	State        string    `json:"state"`
	AnchorAt     time.Time `json:"anchor_at,omitzero"`
	Deadline     time.Time `json:"deadline,omitzero"`
	DeadlineNote string    `json:"deadline_note,omitempty"`
	// DeadlineKind is internal_target for a deadline the organization set itself (never
	// presented as a legal deadline); empty for a legal deadline or none, so audits of histories
	// without internal targets read exactly as before.
	DeadlineKind string `json:"deadline_kind,omitempty"`
	// Regime is the playbook the obligation comes from, in a combined incident.
	Regime      string    `json:"regime,omitempty"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	WaivedAt    time.Time `json:"waived_at,omitzero"`
	// DoneBy is who completed or waived it ("engine" when a delivered notice completed it).
	DoneBy      string        `json:"done_by,omitempty"`
	WaiveReason string        `json:"waive_reason,omitempty"`
	HeldFor     time.Duration `json:"held_for,omitempty"`
	NoticesSent int           `json:"notices_sent"`
	// Outcome is met, missed, waived, not_applicable, not_started, open, on_hold, unfinished or
	// not_done (workflows.Outcome).
	Outcome workflows.Outcome `json:"outcome"`
	// Margin is how early it was met (or how much time is left) when positive, how late it was
	// (or is) when negative; zero without a deadline.
	Margin time.Duration `json:"margin,omitempty"`
	// Verdict says it in words (workflows.Judgement.Phrase), e.g. "met, 6 days 23 hours early" or
	// "missed by 2 hours"; a judgement of an open incident says as of when.
	Verdict string `json:"verdict"`
}

// obligationsFrom judges every obligation of a status against its deadline, as of the status's
// time (the close, for a closed incident). Who did it comes from the timeline.
func obligationsFrom(st *workflows.Status, timeline []Entry) []ObligationAudit {
	if st == nil {
		return nil
	}
	closed := st.Status == workflows.IncidentClosed
	asOf := st.AsOf
	if closed && !st.ClosedAt.IsZero() {
		asOf = st.ClosedAt
	}
	var out []ObligationAudit
	for _, o := range st.Obligations {
		a := ObligationAudit{
			ID: o.ID, Title: o.Title, Citation: o.Citation, State: o.State,
			AnchorAt: o.AnchorAt, Deadline: o.Deadline, DeadlineNote: o.DeadlineNote,
			CompletedAt: o.CompletedAt, HeldFor: o.HeldFor, NoticesSent: o.NoticesSent,
			Regime: o.Regime,
		}
		if o.InternalTarget() {
			a.DeadlineKind = playbook.DeadlineInternalTarget
		}
		for _, e := range timeline {
			if e.Obligation != o.ID {
				continue
			}
			switch {
			case o.State == workflows.StateDone && e.Action == "completed":
				a.DoneBy = e.Actor
			case o.State == workflows.StateWaived && e.Action == "waived":
				a.DoneBy, a.WaivedAt = e.Actor, e.At
				if in, ok := e.Input.(workflows.WaiveInput); ok {
					a.WaiveReason = in.Reason
				} else {
					a.WaiveReason = e.Details
				}
			}
		}
		judge(&a, o, asOf, closed)
		out = append(out, a)
	}
	return out
}

// judge fills an obligation's outcome, margin and verdict from the shared judgement; times in
// the verdict are UTC, like the rest of the audit.
func judge(a *ObligationAudit, o workflows.ObligationStatus, asOf time.Time, closed bool) {
	j := workflows.Judge(o, asOf, closed)
	a.Outcome, a.Margin, a.Verdict = j.Outcome, j.Margin, j.Phrase(time.UTC)
	if !closed && !j.Done && (j.Outcome == OutcomeOpen || j.Outcome == OutcomeMissed || j.Outcome == OutcomeNotDone) {
		a.Verdict += " as of " + stamp(asOf)
	}
}

// addRules adds the rule's words and source to each obligation from the incident's playbook.
func addRules(obligations []ObligationAudit, pb *playbook.Playbook) {
	if pb == nil {
		return
	}
	for i := range obligations {
		if def := pb.Obligation(obligations[i].ID); def != nil {
			obligations[i].Quote, obligations[i].Source = def.Quote, def.Source
		}
	}
}
