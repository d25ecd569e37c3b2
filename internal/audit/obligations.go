package audit

import (
	"time"

	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// Obligation outcomes.
const (
	OutcomeMet           = "met"
	OutcomeMissed        = "missed"
	OutcomeWaived        = "waived"
	OutcomeNotApplicable = "not applicable"
	OutcomeNotStarted    = "clock not started"
	OutcomeOpen          = "open"
	OutcomeOnHold        = "on hold"
	OutcomeUnfinished    = "unfinished at close"
)

// ObligationAudit is one obligation's account: its deadline, when and by whom it was done (or
// waived, and why), and whether the deadline was met or missed and by how much.
type ObligationAudit struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	Citation     string    `json:"citation,omitempty"`
	State        string    `json:"state"`
	AnchorAt     time.Time `json:"anchor_at,omitzero"`
	Deadline     time.Time `json:"deadline,omitzero"`
	DeadlineNote string    `json:"deadline_note,omitempty"`
	CompletedAt  time.Time `json:"completed_at,omitzero"`
	WaivedAt     time.Time `json:"waived_at,omitzero"`
	// DoneBy is who completed or waived it ("engine" when a delivered notice completed it).
	DoneBy      string        `json:"done_by,omitempty"`
	WaiveReason string        `json:"waive_reason,omitempty"`
	HeldFor     time.Duration `json:"held_for,omitempty"`
	NoticesSent int           `json:"notices_sent"`
	// Outcome is met, missed, waived, not applicable, clock not started, open, on hold or
	// unfinished at close.
	Outcome string `json:"outcome"`
	// Margin is how early it was met (or how much time is left) when positive, how late it was
	// (or is) when negative; zero without a deadline.
	Margin time.Duration `json:"margin,omitempty"`
	// Verdict says it in words, e.g. "met, 6 days 23 hours early" or "missed by 2 hours".
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

func judge(a *ObligationAudit, o workflows.ObligationStatus, asOf time.Time, closed bool) {
	switch o.State {
	case workflows.StateDone:
		switch {
		case o.Deadline.IsZero():
			a.Outcome, a.Verdict = OutcomeMet, "done (no fixed deadline)"
		case o.Late > 0 || o.CompletedAt.After(o.Deadline):
			late := o.Late
			if late <= 0 {
				late = o.CompletedAt.Sub(o.Deadline)
			}
			a.Outcome, a.Margin, a.Verdict = OutcomeMissed, -late, "missed by "+human(late)
		default:
			early := o.Deadline.Sub(o.CompletedAt)
			a.Outcome, a.Margin, a.Verdict = OutcomeMet, early, "met, "+human(early)+" early"
		}
	case workflows.StateWaived:
		a.Outcome, a.Verdict = OutcomeWaived, "waived"
	case workflows.StateNotApplicable:
		a.Outcome, a.Verdict = OutcomeNotApplicable, "does not apply (its condition on facts does not hold)"
	case workflows.StatePending:
		a.Outcome, a.Verdict = OutcomeNotStarted, "its clock never started"
	case workflows.StateOnHold:
		a.Outcome, a.Verdict = OutcomeOnHold, "on hold"
		if o.Hold != nil {
			a.Verdict += " until " + stamp(o.Hold.Until) + " at the request of " + o.Hold.RequestedBy
		}
		if closed {
			a.Outcome, a.Verdict = OutcomeUnfinished, "unfinished at close (was on hold)"
		}
	default: // due, overdue
		switch {
		case !o.Deadline.IsZero() && asOf.After(o.Deadline):
			late := asOf.Sub(o.Deadline)
			a.Outcome, a.Margin = OutcomeMissed, -late
			if closed {
				a.Verdict = "missed: not done when the incident closed, " + human(late) + " after the deadline"
			} else {
				a.Verdict = "missed: not done, " + human(late) + " past the deadline as of " + stamp(asOf)
			}
		case closed:
			a.Outcome, a.Verdict = OutcomeUnfinished, "not done when the incident closed"
			if !o.Deadline.IsZero() {
				a.Margin = o.Deadline.Sub(asOf)
				a.Verdict += " (" + human(a.Margin) + " before its deadline)"
			}
		case o.Deadline.IsZero():
			a.Outcome, a.Verdict = OutcomeOpen, "open, no fixed deadline"
		default:
			a.Margin = o.Deadline.Sub(asOf)
			a.Outcome, a.Verdict = OutcomeOpen, "open, "+human(a.Margin)+" left as of "+stamp(asOf)
		}
	}
}

// human writes a duration as a person would; under a minute it keeps the seconds.
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return templates.HumanDuration(d)
}
