package workflows

import (
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// registerHandlers wires the status query and the coordinator updates. Every update has a
// validator: a rejected action leaves no trace in the state or the history; an accepted one
// returns the new status.
func (w *incident) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) {
		return w.status(workflow.Now(ctx)), nil
	}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryPreview, w.preview); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryLog, func() ([]LogEntry, error) {
		return w.st.Log, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryLogPage, w.logPage); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryRules, func() ([]Rule, error) {
		return RulesOf(&w.st.Playbook), nil
	}); err != nil {
		return err
	}
	u := Updates
	for _, err := range []error{
		register(ctx, w, u.Complete, w.complete, withBudget(w, w.validateComplete)),
		register(ctx, w, u.Waive, w.waive, withBudget(w, w.validateWaive)),
		register(ctx, w, u.RecordFact, w.recordFact, withBudget(w, w.validateRecordFact)),
		register(ctx, w, u.SendNotice, w.sendNotice, withBudget(w, w.validateSendNotice)),
		register(ctx, w, u.Close, w.close, w.validateClose),
		register(ctx, w, u.Approve, w.approve, withBudget(w, w.validateApprove)),
		register(ctx, w, u.SetContacts, w.setContacts, withBudget(w, w.validateSetContacts)),
		register(ctx, w, u.Hold, w.hold, withBudget(w, w.validateHold)),
		register(ctx, w, u.Release, w.release, withBudget(w, w.validateRelease)),
		register(ctx, w, u.CorrectDiscovery, w.correctDiscovery, withBudget(w, w.validateCorrectDiscovery)),
		register(ctx, w, u.Decide, w.decide, withBudget(w, w.validateDecide)),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// withBudget adds to a validator the check that the incident's state stays within
// MaxStateBytes with the action's input in it. Close has none: it must always be possible.
func withBudget[In any](w *incident, validate func(workflow.Context, In) error) func(workflow.Context, In) error {
	return func(ctx workflow.Context, in In) error {
		if err := validate(ctx, in); err != nil {
			return err
		}
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		return w.checkStateBudget(len(raw))
	}
}

// register sets an Update's handler and validator; the handler records the acting person's name
// in its normal form. A validator and its handler run with nothing in between; a handler that
// waits (for a render) re-checks the state after the wait itself. Validators do not run on
// replay, so they may grow stricter; handlers must not refuse what they once accepted.
//
// Every validator starts with checkAttested, here and only here, so no Update can be
// registered that accepts a signed input unverified. The handler may then take "attested" for
// "verified": the SDK runs the validator before every Update it has not accepted before, and
// skips it only on replay, where the Update is in the history as accepted, verified by the
// worker that accepted it (the audit verifies each signature again from the history).
func register[In any](ctx workflow.Context, w *incident, u UpdateDef[In], fn func(workflow.Context, In) (Status, error), validate func(workflow.Context, In) error) error {
	validator := func(ctx workflow.Context, in In) error {
		if w.settling && w.st.Status == IncidentOpen {
			return ErrHandingOver
		}
		p, err := w.checkAttested(ctx, u.Name, &in)
		if err != nil {
			return err
		}
		if err := validate(withProof(ctx, p), in); err != nil {
			return err
		}
		return w.mayAct(p, u.Name, &in)
	}
	handler := func(ctx workflow.Context, in In) (Status, error) {
		w.lastUpdateTask = currentTask(ctx)
		defer func() { w.lastUpdateTask = currentTask(ctx) }()
		var p Proof
		if a := attestationOf(&in); a != nil {
			w.rememberSigned(a, workflow.Now(ctx))
			p = Proof{Subject: a.Subject, Verified: true}
			if act, ok := any(&in).(actorInput); ok {
				*act.actor() = AttestedActor(a)
			}
		}
		if a, ok := any(&in).(actorInput); ok {
			*a.actor() = NormalizeActor(*a.actor())
		}
		return fn(withProof(ctx, p), in)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, u.Name, handler, workflow.UpdateHandlerOptions{Validator: validator}); err != nil {
		return fmt.Errorf("registering update %s: %w", u.Name, err)
	}
	return nil
}

// after is the common tail of every update: re-evaluate, re-render notices awaiting approval
// (their approvals lapse if the content changed), and report.
func (w *incident) after(ctx workflow.Context) (Status, error) {
	w.changed = true
	w.actions++
	w.evaluate(ctx)
	w.redraft()
	if workflow.IsReplaying(ctx) {
		// A replay (an audit, or a worker rebuilding an incident its cache evicted) throws the
		// Update's result away: the one the caller got is in the history. Building and encoding
		// the status was a tenth of an audit's time (pprof, BENCHMARKS.md). The state itself is
		// rebuilt all the same, so commands do not change.
		return Status{}, nil
	}
	return w.status(workflow.Now(ctx)), nil
}
