package workflows

import (
	"time"
)

// Outcome is how an obligation stands against its deadline, in one vocabulary shared by the
// status table, the audit and the what-if simulator. Machine output (JSON) carries the value;
// people read Judgement.Phrase.
type Outcome string

// Obligation outcomes.
const (
	// OutcomeMet: done by its deadline, or done, for a duty without a fixed deadline.
	OutcomeMet Outcome = "met"
	// OutcomeMissed: done late, or not done and its deadline has passed (an open incident's
	// overdue obligation is already missed: the phrase says "overdue by …").
	OutcomeMissed Outcome = "missed"
	// OutcomeWaived: a coordinator waived it with a reason.
	OutcomeWaived Outcome = "waived"
	// OutcomeNotApplicable: its condition on facts does not hold.
	OutcomeNotApplicable Outcome = "not_applicable"
	// OutcomeNotStarted: its anchor has not happened, so its clock never started.
	OutcomeNotStarted Outcome = "not_started"
	// OutcomeOpen: not done, the incident is open and its deadline is still ahead.
	OutcomeOpen Outcome = "open"
	// OutcomeOnHold: its clock is paused by a hold and the incident is open.
	OutcomeOnHold Outcome = "on_hold"
	// OutcomeUnfinished: the incident closed with it not done, before its deadline (or while it
	// was on hold).
	OutcomeUnfinished Outcome = "unfinished"
	// OutcomeNotDone: a duty without a fixed deadline that is not done; OpenFor says for how long.
	OutcomeNotDone Outcome = "not_done"
	// OutcomeDisabled: the playbook ships it disabled (a rule not in force); nothing is owed.
	OutcomeDisabled Outcome = "disabled"
	// OutcomeUndecided is the simulator's only: the sources do not date what was done (or its
	// anchor) closely enough to decide. Judge never returns it.
	OutcomeUndecided Outcome = "undecided"
)

// Outcomes lists every outcome in the order reports count them.
var Outcomes = []Outcome{
	OutcomeMet, OutcomeMissed, OutcomeUndecided, OutcomeNotStarted, OutcomeNotDone, OutcomeOpen,
	OutcomeOnHold, OutcomeUnfinished, OutcomeWaived, OutcomeNotApplicable, OutcomeDisabled,
}

// Judgement is one obligation judged against its deadline at one instant.
type Judgement struct {
	Outcome Outcome
	// Margin is how early it was done (or how much time is left) when positive, how late it was
	// done (or how far past its deadline it is) when negative; zero without a deadline.
	Margin time.Duration
	// OpenFor is how long a duty without a fixed deadline has been open (since its anchor).
	OpenFor time.Duration
	// Done is set when it was completed: the margin is frozen.
	Done bool
	// Closed is set when it was judged at the incident's close.
	Closed bool
	// NoDeadline is set for a duty without a fixed deadline.
	NoDeadline bool
	// Held is set for an obligation on hold; Hold is the hold in force, when known.
	Held bool
	Hold *Hold
}

// Judge judges an obligation of a Status as of an instant: now for a live incident, the close
// for a closed one (closed set). It is the one place that decides met, missed, time left and
// overdue; the status table, the audit and the simulator all call it.
func Judge(o ObligationStatus, asOf time.Time, closed bool) Judgement {
	j := Judgement{Closed: closed, NoDeadline: o.Deadline.IsZero()}
	switch o.State {
	case StateDone:
		j.Done, j.Outcome = true, OutcomeMet
		switch {
		case j.NoDeadline:
		case o.Late > 0:
			j.Outcome, j.Margin = OutcomeMissed, -o.Late
		case o.CompletedAt.After(o.Deadline):
			j.Outcome, j.Margin = OutcomeMissed, -o.CompletedAt.Sub(o.Deadline)
		default:
			j.Margin = o.Deadline.Sub(o.CompletedAt)
		}
	case StateWaived:
		j.Outcome = OutcomeWaived
	case StateNotApplicable:
		j.Outcome = OutcomeNotApplicable
	case StatePending:
		j.Outcome = OutcomeNotStarted
	case StateDisabled:
		j.Outcome = OutcomeDisabled
	case StateOnHold:
		j.Outcome, j.Held, j.Hold = OutcomeOnHold, true, o.Hold
		if closed {
			j.Outcome = OutcomeUnfinished
		}
	default: // due, overdue
		switch {
		case j.NoDeadline:
			j.Outcome = OutcomeNotDone
			if !o.AnchorAt.IsZero() {
				j.OpenFor = asOf.Sub(o.AnchorAt)
			}
		case asOf.After(o.Deadline):
			j.Outcome, j.Margin = OutcomeMissed, o.Deadline.Sub(asOf)
		case closed:
			j.Outcome, j.Margin = OutcomeUnfinished, o.Deadline.Sub(asOf)
		default:
			j.Outcome, j.Margin = OutcomeOpen, o.Deadline.Sub(asOf)
		}
	}
	return j
}

// Late is how late it was done, or how far past its deadline it is; zero when not late.
func (j Judgement) Late() time.Duration { return max(-j.Margin, 0) }

// Phrase says the judgement as a person would, e.g. "met, 6 days 23 hours early", "missed by
// 2 hours", "overdue by 1 day 3 hours", "3 hours left"; a hold's end is shown in loc.
func (j Judgement) Phrase(loc *time.Location) string {
	switch j.Outcome {
	case OutcomeMet:
		switch {
		case j.NoDeadline:
			return "done (no fixed deadline)"
		case j.Margin == 0:
			return "met, at the deadline"
		}
		return "met, " + FormatDuration(j.Margin) + " early"
	case OutcomeMissed:
		switch {
		case j.Done:
			return "missed by " + FormatDuration(j.Margin)
		case j.Closed:
			return "missed: not done at close, " + FormatDuration(j.Margin) + " after the deadline"
		}
		return "overdue by " + FormatDuration(j.Margin)
	case OutcomeWaived:
		return "waived"
	case OutcomeNotApplicable:
		return "does not apply"
	case OutcomeDisabled:
		return "disabled (not in force)"
	case OutcomeNotStarted:
		return "clock not started"
	case OutcomeOpen:
		return FormatDuration(j.Margin) + " left"
	case OutcomeOnHold:
		if j.Hold == nil {
			return "on hold"
		}
		return "on hold until " + FormatInstant(j.Hold.Until, loc) + " at the request of " + j.Hold.RequestedBy
	case OutcomeUnfinished:
		if j.Held {
			return "unfinished at close (was on hold)"
		}
		return "unfinished at close, " + FormatDuration(j.Margin) + " before the deadline"
	case OutcomeNotDone:
		s := "not done"
		if j.Closed {
			s += " at close"
		}
		if j.OpenFor > 0 {
			s += ", open for " + FormatDuration(j.OpenFor)
		}
		return s + " (no fixed deadline)"
	case OutcomeUndecided:
		return "undecided"
	}
	return string(j.Outcome)
}
