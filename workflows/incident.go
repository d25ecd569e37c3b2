package workflows

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/playbook"
)

// IncidentWorkflow runs one incident from discovery until it is closed. It keeps every obligation's
// clock on a single durable timer that always points at the next thing due (a deadline, a reminder
// rung, an escalation or a cadence reminder) and re-arms whenever the state changes, so nothing is
// polled and nothing fires late because a sweep had not come round yet.
func IncidentWorkflow(ctx workflow.Context, in StartIncidentInput) (*IncidentResult, error) {
	w, err := newIncident(ctx, in, Options{})
	if err != nil {
		return nil, err
	}
	return w.run(ctx)
}

// incident is the workflow's state plus what is derived from it at run time (never serialized).
type incident struct {
	st     *IncidentState
	logger log.Logger
	// trusted are the console keys signed actions must verify against (Options.TrustedKeys);
	// read by validators only.
	trusted map[string]ed25519.PublicKey
	// specs caches each obligation's parsed clock; alsoSpecs the clock of its second limit.
	specs     map[string]clock.Spec
	alsoSpecs map[string]clock.Spec
	// changed is set by handlers and deliveries to wake the main loop.
	changed bool
	// delivering holds the keys of notices whose delivery coroutine is running.
	delivering map[NoticeKey]bool
	// drafting holds the keys of notices awaiting approval being re-rendered.
	drafting map[NoticeKey]bool
	// lastNow is the workflow time of the latest evaluation, for queries.
	lastNow time.Time
	// cancelDeliveries stops deliveries on a forced close.
	deliveryCtx      workflow.Context
	cancelDeliveries workflow.CancelFunc
	// events estimates this run's history length from the work it scheduled (every loop turn and
	// every activity); deterministic, so replay computes the same. It stands in where the SDK
	// reports no history length (the time-skipping test environment).
	events int
	// contactsChanged counts contact changes; deliveries waiting between rounds retry at once.
	contactsChanged int
	// budget is the validators' estimate of the state's size (checkStateBudget).
	budget struct{ estimate, unmeasured int }
	// actions counts the actions taken in this run, so a re-render knows whether one came in
	// while it ran.
	actions int
	// lastUpdateTask marks the workflow task in which an Update handler last started or
	// returned, so the run can end in a task that carried none (endInOwnTask).
	lastUpdateTask taskMark
	// settling is set once the run is about to end (endInOwnTask): validators of an open
	// incident refuse with ErrHandingOver, so no Update lands in the task that ends the run.
	settling bool
	// dateAnchors is set when a date fact anchors a clock at the date it gives (ChangeDateFactAnchor).
	dateAnchors bool
	// continuing is set once the run is handing over to a new one: no delivery starts, and
	// deliveries waiting between rounds stop (their notices stay queued in the carried state).
	continuing bool
	// lastStatus, lastNext and lastOverdue remember what was last upserted to the search
	// attributes, to write only on change.
	lastStatus   string
	lastNext     time.Time
	lastOverdue  int
	upsertedOnce bool
	// digest is set when repeat escalations go to daily digests (ChangeEscalationDigest);
	// deliveredCh then receives the digests' delivery reports.
	digest      bool
	deliveredCh workflow.ReceiveChannel
	// rootCtx is the workflow's context, for work that must outlive an Update or a forced close.
	rootCtx workflow.Context
}

func newIncident(ctx workflow.Context, in StartIncidentInput, opts Options) (*incident, error) {
	now := workflow.Now(ctx)
	w := &incident{
		trusted:    opts.TrustedKeys,
		logger:     log.With(workflow.GetLogger(ctx), "IncidentID", in.IncidentID),
		specs:      map[string]clock.Spec{},
		alsoSpecs:  map[string]clock.Spec{},
		delivering: map[NoticeKey]bool{},
		drafting:   map[NoticeKey]bool{},
	}
	if in.Carried != nil {
		w.st = in.Carried
		for _, o := range w.st.Obligations {
			migrateSent(o)
		}
	} else {
		// Incidents started before the checks grew stricter replay without them: they were
		// accepted then, and refusing them now would change their history.
		if workflow.GetVersion(ctx, ChangeStrictStart, workflow.DefaultVersion, 1) != workflow.DefaultVersion {
			if err := ValidateStart(in); err != nil {
				return nil, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidInput", nil)
			}
		}
		w.st = newState(in, now)
		w.st.ContinueAfterEvents = in.ContinueAfterEvents
		w.st.CarryLogLines = in.CarryLogLines
	}
	pb := &w.st.Playbook
	for i := range pb.Obligations {
		o := &pb.Obligations[i]
		spec, err := pb.ClockSpec(o)
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("obligation %s: %v", o.ID, err), "InvalidInput", nil)
		}
		w.specs[o.ID] = spec
		if second, ok, err := pb.AlsoDueSpec(o); err != nil {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("obligation %s: also_due: %v", o.ID, err), "InvalidInput", nil)
		} else if ok {
			w.alsoSpecs[o.ID] = second
		}
	}
	w.dateAnchors = true
	if anchorsOnDateFact(pb) {
		// Older builds ran a date fact's clock from when it was recorded.
		w.dateAnchors = workflow.GetVersion(ctx, ChangeDateFactAnchor, workflow.DefaultVersion, 1) != workflow.DefaultVersion
	}
	if usesDigest(pb) {
		w.digest = workflow.GetVersion(ctx, ChangeEscalationDigest, workflow.DefaultVersion, 1) != workflow.DefaultVersion
	}
	w.rootCtx = ctx
	w.deliveryCtx, w.cancelDeliveries = workflow.WithCancel(ctx)
	// Start the clocks before any update is handled, so that an action arriving with the first
	// workflow task meets the same state as one arriving a second later.
	w.evaluate(ctx)
	if err := w.registerHandlers(ctx); err != nil {
		return nil, err
	}
	if w.digest {
		w.listenForDigests(ctx)
	}
	return w, nil
}

// newState builds the initial state of a new incident.
func newState(in StartIncidentInput, now time.Time) *IncidentState {
	st := &IncidentState{
		IncidentID:     in.IncidentID,
		Title:          in.Title,
		Summary:        in.Summary,
		DiscoveredAt:   in.DiscoveredAt,
		OpenedAt:       now,
		OpenedBy:       in.StartedBy,
		Playbook:       in.Playbook,
		Contacts:       in.Contacts,
		Facts:          map[string][]FactRecord{},
		Determinations: map[string][]FactRecord{},
		Status:         IncidentOpen,
	}
	for _, o := range in.Playbook.Obligations {
		st.Obligations = append(st.Obligations, &ObligationState{ID: o.ID, State: StatePending})
	}
	st.Log = append(st.Log, LogEntry{At: now, Actor: in.StartedBy, Action: ActionOpened,
		Detail: fmt.Sprintf("playbook %s %s; discovered %s", in.Playbook.Name, in.Playbook.Version, in.DiscoveredAt.UTC().Format(time.RFC3339))})
	for _, f := range in.Facts {
		at := f.At
		if at.IsZero() {
			at = now
		}
		// ValidateStart has checked every fact against the playbook; a value an older, more
		// lenient build accepted (met on replay) is kept as given.
		v, err := playbook.NormalizeFact(in.Playbook.Facts[f.Name], f.Value)
		if err != nil {
			v = strings.TrimSpace(f.Value)
		}
		st.Facts[f.Name] = append(st.Facts[f.Name], FactRecord{Value: v, At: at, RecordedAt: now, By: in.StartedBy, Note: "initial"})
		st.Log = append(st.Log, LogEntry{At: now, Actor: in.StartedBy, Action: ActionFact, Detail: f.Name, Fact: f.Name})
	}
	return st
}

// run is the main loop: evaluate, then sleep until the next thing is due or the state changes.
func (w *incident) run(ctx workflow.Context) (*IncidentResult, error) {
	for {
		w.evaluate(ctx)
		if w.st.Status == IncidentClosed && len(w.delivering) == 0 {
			break
		}
		if w.st.Status == IncidentOpen && w.historyFull(ctx) {
			return nil, w.continueAsNew(ctx)
		}
		w.changed = false
		w.events += 4 // a timer started and fired or cancelled, a workflow task scheduled and completed
		next := w.nextWake(workflow.Now(ctx))
		if next.IsZero() {
			if err := workflow.Await(ctx, func() bool { return w.changed }); err != nil {
				return nil, err
			}
			continue
		}
		wait := next.Sub(workflow.Now(ctx))
		if wait <= 0 {
			wait = time.Millisecond
		}
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return w.changed }); err != nil {
			return nil, err
		}
	}
	// Let any update that is still returning finish, and end in a task of its own, before the
	// run completes.
	if err := w.endInOwnTask(ctx, func() bool {
		return len(w.delivering) == 0 && workflow.AllHandlersFinished(ctx)
	}); err != nil {
		return nil, err
	}
	return w.result(workflow.Now(ctx)), nil
}

// ChangeEndInOwnTask is the workflow.GetVersion change ID under which a run ends (completes or
// continues as new) in a workflow task that carried no Update. The server refuses a task that
// completes the run when an event (an activity result, a fired timer, a signal) arrived while
// the worker was running it, and aborts the Updates the task accepted with it: the caller of a
// close that arrived together with a delivery's result was told "unexpected workflow task
// failure" and the close was lost. Ending one short timer later puts the Updates in a task that
// only answers them, which the server cannot refuse that way; the task that ends the run may
// still be refused and run again, with nobody's action in it.
const ChangeEndInOwnTask = "end-in-own-task"

// endInOwnTask waits until ready, then, under ChangeEndInOwnTask, stops taking Updates (an
// open incident's validators refuse with ErrHandingOver, which engine.SendUpdate sends again,
// to the new run) and, while an Update was accepted or answered in the current workflow task,
// waits one short timer (a millisecond) so that the run ends in a later task. Only handlers
// already running can still mark a task, and ready waits for them, so this ends; the bound is
// a guard. ready must come true again after each wait.
func (w *incident) endInOwnTask(ctx workflow.Context, ready func() bool) error {
	if err := workflow.Await(ctx, ready); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, ChangeEndInOwnTask, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	w.settling = true
	for range 100 {
		if w.lastUpdateTask != currentTask(ctx) {
			return nil
		}
		if err := workflow.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		if err := workflow.Await(ctx, ready); err != nil {
			return err
		}
	}
	return nil
}

// ErrHandingOver refuses an Update that arrives in the moment a run ends (continue-as-new):
// nothing is applied, and the same Update sent again reaches the new run.
var ErrHandingOver = errors.New("the incident is handing over to a new run this instant: nothing was applied; send the action again")

// taskMark tells workflow tasks apart by the history length at the task's start, which the SDK
// sets once per task. The time-skipping test environment reports no history length; there the
// workflow time stands in (not on a server: a local activity moves it within one task), and
// tasks at one instant look alike, which only makes endInOwnTask wait where it need not.
type taskMark struct {
	length int
	at     time.Time
}

func currentTask(ctx workflow.Context) taskMark {
	if n := workflow.GetInfo(ctx).GetCurrentHistoryLength(); n > 0 {
		return taskMark{length: n}
	}
	return taskMark{at: workflow.Now(ctx)}
}

// ChangeStrictStart is the workflow.GetVersion change ID under which a new incident's input is
// checked against the engine's limits (times inside the window, bounded clocks and text) in the
// workflow too, not only by the starter, and refused without retry.
const ChangeStrictStart = "strict-start"

// DefaultContinueAfterEvents keeps each run's history well below Temporal's limits (50,000 events,
// 50 MB) even for an incident that stays open for years with daily reminders.
const DefaultContinueAfterEvents = 10000

// historyFull reports whether this run should hand over to a new one.
func (w *incident) historyFull(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	limit := w.st.ContinueAfterEvents
	if limit <= 0 {
		limit = DefaultContinueAfterEvents
	}
	return info.GetContinueAsNewSuggested() || max(info.GetCurrentHistoryLength(), w.events) >= limit
}

// continueAsNew drains deliveries and updates, then starts a new run of the same incident with
// the whole state carried over. Notices not yet delivered are carried as queued or failing and
// resume in the new run with the same content, so the same Message-ID.
func (w *incident) continueAsNew(ctx workflow.Context) error {
	w.continuing = true
	if err := w.endInOwnTask(ctx, func() bool {
		return len(w.delivering) == 0 && len(w.drafting) == 0 && workflow.AllHandlersFinished(ctx)
	}); err != nil {
		return err
	}
	now := workflow.Now(ctx)
	w.drainDigestReports(now)
	w.st.Runs++
	w.log(now, ActorEngine, ActionContinuedAsNew, "", fmt.Sprintf("run %d after %d events", w.st.Runs+1, workflow.GetInfo(ctx).GetCurrentHistoryLength()))
	w.logger.Info("Continuing as new", "Run", w.st.Runs+1)
	carried, err := w.st.carryOver()
	if err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, IncidentWorkflow, StartIncidentInput{IncidentID: w.st.IncidentID, Carried: carried})
}

func (w *incident) result(now time.Time) *IncidentResult {
	r := &IncidentResult{
		IncidentID:  w.st.IncidentID,
		ClosedAt:    w.st.ClosedAt,
		ClosedBy:    w.st.ClosedBy,
		Obligations: map[string]int{},
		Final:       w.status(now),
		Log:         w.st.Log,
		LogOffset:   w.st.LogOffset,
	}
	for _, o := range w.st.Obligations {
		r.Obligations[o.State]++
		r.NoticesSent += o.EarlierNoticesSent
	}
	for _, n := range w.st.Notices {
		if n.State == NoticeSent {
			r.NoticesSent++
		}
	}
	r.Forced = w.st.Forced
	return r
}

// log appends to the incident's record. Details never go to the worker's log: they may hold
// incident data.
// It returns the new line so a caller can add the notice key, the fact or the Update ID.
func (w *incident) log(at time.Time, actor string, action Action, obligation, detail string) *LogEntry {
	w.st.Log = append(w.st.Log, LogEntry{At: at, Actor: actor, Action: action, Obligation: obligation, Detail: detail})
	return &w.st.Log[len(w.st.Log)-1]
}

// act appends a line written by an Update handler: it carries the Update's ID, so an audit joins
// the line to the Update's history events exactly.
func (w *incident) act(ctx workflow.Context, actor string, action Action, obligation, detail string) *LogEntry {
	return withUpdate(ctx, w.log(workflow.Now(ctx), actor, action, obligation, detail))
}

// withUpdate stamps a line with the ID of the Update running in ctx, if any.
func withUpdate(ctx workflow.Context, e *LogEntry) *LogEntry {
	if u := workflow.GetCurrentUpdateInfo(ctx); u != nil {
		e.UpdateID = u.ID
		if e.Actor != ActorEngine {
			e.Proof = proofOf(ctx)
		}
	}
	return e
}

// obligation returns the live state and the playbook definition of an obligation.
func (w *incident) obligation(id string) (*ObligationState, *playbook.Obligation) {
	for _, o := range w.st.Obligations {
		if o.ID == id {
			return o, w.st.Playbook.Obligation(id)
		}
	}
	return nil, nil
}

// currentFact returns the latest value of a fact.
func (w *incident) currentFact(name string) (string, bool) {
	h := w.st.Facts[name]
	if len(h) == 0 {
		return "", false
	}
	return h[len(h)-1].Value, true
}

// depsOpen lists the obligations this one waits on that are neither done nor waived.
func (w *incident) depsOpen(def *playbook.Obligation) []string {
	var open []string
	for _, d := range def.DependsOn {
		o, _ := w.obligation(d)
		if o != nil && o.State != StateDone && o.State != StateWaived && o.State != StateNotApplicable && o.State != StateDisabled {
			open = append(open, d)
		}
	}
	return open
}

// isClosedState reports whether an obligation is settled: done or waived. Its clock never runs
// again (a not-applicable obligation, by contrast, comes back when the facts change).
func isClosedState(s string) bool {
	return s == StateDone || s == StateWaived
}

// checkOpen is the start of a validator: the incident still takes actions, and the person acting
// is named.
func (w *incident) checkOpen(by string) error {
	if w.st.Status != IncidentOpen {
		return w.errClosed()
	}
	return checkActor(by)
}

// errClosed is returned by validators once the incident is closed: it says who closed it and when.
func (w *incident) errClosed() error {
	how := ""
	if w.st.Forced {
		how = " (forced)"
	}
	return fmt.Errorf("the incident was closed by %s at %s%s: no further actions are accepted; open a new incident for new work", w.st.ClosedBy, stamp(w.st.ClosedAt), how)
}

// ChangeDateFactAnchor is the workflow.GetVersion change ID under which a clock anchored on a date
// fact runs from the date the fact gives (the contractor's own discovery time), not from when it
// was recorded. Asked for only by incidents whose playbook has such an anchor.
const ChangeDateFactAnchor = "date-fact-anchor"

// anchorsOnDateFact reports whether any clock of the playbook is anchored on a date fact.
func anchorsOnDateFact(pb *playbook.Playbook) bool {
	for i := range pb.Obligations {
		o := &pb.Obligations[i]
		anchors := append([]string(nil), o.Anchor...)
		if o.AlsoDue != nil {
			anchors = append(anchors, o.AlsoDue.Anchor)
		}
		for _, a := range anchors {
			if kind, ref, err := playbook.ParseAnchor(a); err == nil && kind == playbook.AnchorFact && pb.Facts[ref].Type == playbook.FactDate {
				return true
			}
		}
	}
	return false
}
