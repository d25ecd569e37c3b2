package simulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/workflows"
)

// Options tune a simulation.
type Options struct {
	// OutboxDir keeps the notices (.eml files) in this folder; empty: a temporary folder, deleted
	// when the simulation ends.
	OutboxDir string
	// From is the sender address of the notices (default incident-desk@localhost.localdomain).
	From string
	// Logger receives the SDK's and the workflow's log lines (default: discarded).
	Logger sdklog.Logger
	// IdleTimeout bounds the wall-clock time the test environment may sit idle (default 1 minute).
	IdleTimeout time.Duration
	// ContinueAfterEvents is passed to the workflow (0: its default); tests lower it to exercise
	// continue-as-new.
	ContinueAfterEvents int
}

// SimulationActor is who opens and closes the simulated incident.
const SimulationActor = "simulation"

// maxRuns bounds the continue-as-new chain of one simulation.
const maxRuns = 1000

// step is one Update the simulation sends.
type step struct {
	at time.Time
	// ev is the scenario event performed; nil for the final close.
	ev *Event
	// bound marks an unknown-date completion recorded at its known_by because forEv depends on it.
	bound bool
	forEv *Event
}

// runner drives the workflow through the test environment, one run after another when the
// workflow continues as new.
type runner struct {
	ctx   context.Context
	s     *Scenario
	env   *testsuite.TestWorkflowEnvironment
	steps []*step
	// next is the first step not finished; inflight is true while its Update is out.
	next     int
	inflight bool
	timerSet bool
	seq      int
	// outcomes per event index; usedBound marks unknown events recorded at their bound.
	outcomes  map[int]*eventOutcome
	usedBound map[int]bool
	// boundFor maps an obligation to the unknown-date event recorded at its bound.
	boundFor map[string]*Event
	closed   bool
	closeErr error
	err      error
}

type eventOutcome struct {
	performedAt time.Time
	err         error
	bound       bool
	forEv       *Event
}

// Run simulates the scenario and returns the compliance report. The workflow runs in the SDK's
// time-skipping test environment, starting at discovery; events with a known time are sent as
// Updates at that workflow time; at End the incident is force-closed and its final status is the
// basis of the report.
func Run(ctx context.Context, s *Scenario, opts Options) (*Report, error) {
	if opts.From == "" {
		opts.From = "incident-desk@localhost.localdomain"
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	tmp, err := os.MkdirTemp("", "breachflow-simulate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	outbox := opts.OutboxDir
	if outbox == "" {
		outbox = filepath.Join(tmp, "outbox")
	}
	ledger, err := activities.OpenLedger(filepath.Join(tmp, "ledger"))
	if err != nil {
		return nil, err
	}
	// Escalations a digest takes are collected on the simulated clock, then mailed as digests.
	sink := &digestSink{}
	acts := &activities.Activities{Templates: s.templates, Transport: &activities.Outbox{Dir: outbox}, Ledger: ledger, From: opts.From, Digests: sink}

	f := *s.Incident
	f.DiscoveredAt = s.DiscoveredAt.Format(time.RFC3339Nano)
	id := workflows.IncidentIDPrefix + uuid.NewSHA1(uuid.NameSpaceURL, []byte("breachflow:simulate:"+s.Title+":"+f.DiscoveredAt)).String()
	in, err := f.Input(id, s.Playbook, SimulationActor, s.DiscoveredAt, false)
	if err != nil {
		return nil, fmt.Errorf("%s: incident file %s:\n%w", filepath.Base(s.Path), s.IncidentPath, err)
	}
	in.ContinueAfterEvents = opts.ContinueAfterEvents

	r := &runner{ctx: ctx, s: s, outcomes: map[int]*eventOutcome{}, usedBound: map[int]bool{}, boundFor: map[string]*Event{}}
	sink.now = func() time.Time { return r.env.Now() }
	for i := range s.Events {
		if ev := &s.Events[i]; !ev.AtUnknown {
			r.steps = append(r.steps, &step{at: ev.At, ev: ev})
		}
	}
	// Performed in time order; events at the same moment in file order. The close comes last.
	slices.SortStableFunc(r.steps, func(a, b *step) int { return a.at.Compare(b.at) })
	r.steps = append(r.steps, &step{at: s.End})

	var res workflows.IncidentResult
	var record []workflows.LogEntry
	start, runs := s.DiscoveredAt, 0
	for ; ; runs++ {
		if runs >= maxRuns {
			return nil, fmt.Errorf("simulation did not finish within %d workflow runs", maxRuns)
		}
		var suite testsuite.WorkflowTestSuite
		suite.SetLogger(opts.Logger)
		env := suite.NewTestWorkflowEnvironment()
		env.SetStartTime(start)
		env.SetTestTimeout(opts.IdleTimeout)
		env.RegisterWorkflow(workflows.IncidentWorkflow)
		env.RegisterActivity(acts)
		r.env, r.inflight, r.timerSet = env, false, false
		// Callbacks registered now run before the workflow starts; this one re-posts the pump so
		// that it runs once the workflow's first task has registered its handlers.
		env.RegisterDelayedCallback(func() { env.RegisterDelayedCallback(r.pump, 0) }, 0)
		if ctx.Done() != nil {
			r.watch(env)
		}
		if err := execute(env, in); err != nil {
			return nil, err
		}
		if r.err != nil {
			return nil, r.err
		}
		werr := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(werr, &can) {
			var next workflows.StartIncidentInput
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
				return nil, fmt.Errorf("reading the state carried to the next run: %w", err)
			}
			// A new run carries only the latest lines of the record: keep the whole of this one's.
			if record, err = stitchRun(env, record, in); err != nil {
				return nil, err
			}
			in, start = next, env.Now()
			continue
		}
		if werr != nil {
			return nil, fmt.Errorf("the incident workflow failed: %w", werr)
		}
		if r.closeErr != nil {
			return nil, fmt.Errorf("closing the simulated incident: %w", r.closeErr)
		}
		if err := env.GetWorkflowResult(&res); err != nil {
			return nil, err
		}
		if res.Log, err = workflows.StitchRecord(record, res.LogOffset, res.Log); err != nil {
			return nil, err
		}
		res.LogOffset = 0
		break
	}
	rep := buildReport(s, r, &res, runs+1)
	if rep.DigestsSent, err = runDigests(ctx, acts, sink.events, opts.Logger, opts.IdleTimeout); err != nil {
		return nil, err
	}
	if opts.OutboxDir != "" {
		rep.Outbox = opts.OutboxDir
	}
	return rep, nil
}

// stitchRun adds the whole record of a run that ended by continuing as new (in started it).
func stitchRun(env *testsuite.TestWorkflowEnvironment, record []workflows.LogEntry, in workflows.StartIncidentInput) ([]workflows.LogEntry, error) {
	v, err := env.QueryWorkflow(workflows.QueryLog)
	if err != nil {
		return nil, fmt.Errorf("reading the record of a run: %w", err)
	}
	var lines []workflows.LogEntry
	if err := v.Get(&lines); err != nil {
		return nil, fmt.Errorf("reading the record of a run: %w", err)
	}
	offset := 0
	if in.Carried != nil {
		offset = in.Carried.LogOffset
	}
	return workflows.StitchRecord(record, offset, lines)
}

// execute runs the workflow, turning a panic of the test environment (an idle timeout, a
// deadlock) into an error.
func execute(env *testsuite.TestWorkflowEnvironment, in workflows.StartIncidentInput) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("simulation failed: %v", p)
		}
	}()
	env.ExecuteWorkflow(workflows.IncidentWorkflow, in)
	if !env.IsWorkflowCompleted() {
		return errors.New("simulation failed: the incident workflow did not complete")
	}
	return nil
}

// watch checks for cancellation once a simulated day, so that a long stretch without events
// still stops promptly. (Its callbacks do not touch the workflow's state.)
func (r *runner) watch(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterDelayedCallback(func() {
		if err := r.ctx.Err(); err != nil {
			if r.err == nil {
				r.err = err
				env.CancelWorkflow()
			}
			return
		}
		r.watch(env)
	}, 24*time.Hour)
}

// pump sends the next step's Update when its time has come, or sets a timer for it. It runs on
// the test environment's main loop, never inside the workflow.
func (r *runner) pump() {
	if r.inflight || r.next >= len(r.steps) {
		return
	}
	if err := r.ctx.Err(); err != nil {
		if r.err == nil {
			r.err = err
			r.env.CancelWorkflow()
		}
		return
	}
	st := r.steps[r.next]
	now := r.env.Now()
	if st.at.After(now) {
		if !r.timerSet {
			r.timerSet = true
			r.env.RegisterDelayedCallback(func() { r.timerSet = false; r.pump() }, st.at.Sub(now))
		}
		return
	}
	if extra := r.boundDependencies(st); len(extra) > 0 {
		r.steps = append(r.steps[:r.next], append(extra, r.steps[r.next:]...)...)
		st = r.steps[r.next]
	}
	u := r.update(st)
	r.inflight = true
	r.seq++
	finished := false
	finish := func(_ any, err error) {
		if finished {
			return
		}
		finished = true
		r.record(st, now, err)
		r.inflight = false
		r.next++
		// Continue on the main loop, not inside the workflow's update handler.
		r.env.RegisterDelayedCallback(r.pump, 0)
	}
	r.env.UpdateWorkflow(u.name, fmt.Sprintf("simulate-%d", r.seq), &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { finish(nil, err) },
		OnComplete: finish,
	}, u.arg)
}

func (r *runner) record(st *step, at time.Time, err error) {
	if st.ev == nil {
		r.closed, r.closeErr = err == nil, err
		return
	}
	r.outcomes[st.ev.Index] = &eventOutcome{performedAt: at, err: err, bound: st.bound, forEv: st.forEv}
	if st.bound && err == nil {
		r.boundFor[st.ev.Obligation] = st.ev
	}
}

// boundDependencies handles a completion (or notice) that today's playbook lets through only after
// other obligations are done, when the scenario gives those completions no date but bounds them:
// if an open dependency was, per its known_by, done at or before this step, the sources establish
// that it was done by now, so it is recorded first — as done at its known_by, the latest the
// sources allow, never an invented earlier date — and the report still judges it from the bound.
// A dependency without such a bound stays open, and the validator refuses the step.
func (r *runner) boundDependencies(st *step) []*step {
	if st.ev == nil || (st.ev.Action != ActionComplete && st.ev.Action != ActionSend) {
		return nil
	}
	def := r.s.Playbook.Obligation(st.ev.Obligation)
	if def == nil || len(def.DependsOn) == 0 {
		return nil
	}
	status, ok := r.status()
	if !ok {
		return nil
	}
	state := map[string]string{}
	for _, o := range status.Obligations {
		state[o.ID] = o.State
	}
	forEv := st.ev
	if st.bound {
		forEv = st.forEv
	}
	var extra []*step
	for _, dep := range def.DependsOn {
		switch state[dep] {
		case workflows.StateDone, workflows.StateWaived, workflows.StateNotApplicable:
			continue
		}
		for i := range r.s.Events {
			u := &r.s.Events[i]
			if r.usedBound[u.Index] || !u.AtUnknown || u.KnownBy.IsZero() || u.KnownBy.After(st.at) || !completes(r.s, u, dep) {
				continue
			}
			r.usedBound[u.Index] = true
			extra = append(extra, &step{at: st.at, ev: u, bound: true, forEv: forEv})
			break
		}
	}
	return extra
}

// status queries the workflow's status (on the main loop).
func (r *runner) status() (workflows.Status, bool) {
	var st workflows.Status
	v, err := r.env.QueryWorkflow(workflows.QueryStatus)
	if err != nil || v.Get(&st) != nil {
		return st, false
	}
	return st, true
}

// contentHash is the current content hash of an obligation's notice, empty if it has none.
func (r *runner) contentHash(obligation string) string {
	st, _ := r.status()
	for _, n := range st.Notices {
		if n.Key == workflows.OwnNoticeKey(obligation) {
			return n.ContentHash
		}
	}
	return ""
}

// completes reports whether an event, when it happened, completed the obligation.
func completes(s *Scenario, ev *Event, obligation string) bool {
	if ev.Obligation != obligation {
		return false
	}
	switch ev.Action {
	case ActionComplete:
		return true
	case ActionSend:
		def := s.Playbook.Obligation(obligation)
		return def != nil && def.Notice != nil && def.Notice.CompletesObligation
	}
	return false
}

// call is one Update to send: its name and its input, paired by callOf.
type call struct {
	name string
	arg  any
}

// callOf pairs an Update with its input through workflows.Updates, so the compiler refuses an
// input of the wrong type.
func callOf[In any](u workflows.UpdateDef[In], in In) call { return call{name: u.Name, arg: in} }

// update builds the Update of a step.
func (r *runner) update(st *step) call {
	ev := st.ev
	if ev == nil {
		return callOf(workflows.Updates.Close, workflows.CloseInput{By: SimulationActor, Force: true,
			Reason: "simulation ended at " + r.s.End.Format(time.RFC3339)})
	}
	if st.bound {
		note := fmt.Sprintf("date not public: done by %s at the latest", ev.KnownBy.Format(time.RFC3339))
		if ev.Source != "" {
			note += " (" + ev.Source + ")"
		}
		note += fmt.Sprintf("; recorded at that bound because %s, which depends on it, happened at %s", describe(st.forEv), st.at.Format(time.RFC3339))
		return callOf(workflows.Updates.Complete, workflows.CompleteInput{Obligation: ev.Obligation, By: ev.By, At: ev.KnownBy, Note: note})
	}
	switch ev.Action {
	case ActionComplete:
		return callOf(workflows.Updates.Complete, workflows.CompleteInput{Obligation: ev.Obligation, By: ev.By, At: ev.At, Note: ev.Note})
	case ActionWaive:
		return callOf(workflows.Updates.Waive, workflows.WaiveInput{Obligation: ev.Obligation, By: ev.By, Reason: ev.Reason})
	case ActionFact, ActionDetermination:
		return callOf(workflows.Updates.RecordFact, workflows.RecordFactInput{Name: ev.Name, Value: ev.Value,
			Determination: ev.Action == ActionDetermination, By: ev.By, At: ev.At, Note: ev.Note})
	case ActionSend:
		return callOf(workflows.Updates.SendNotice, workflows.SendNoticeInput{Obligation: ev.Obligation, By: ev.By})
	case ActionApprove:
		// The approver signs off the content the notice has now, as `starter preview` would show it.
		return callOf(workflows.Updates.Approve, workflows.ApproveInput{Obligation: ev.Obligation, By: ev.By, ContentHash: r.contentHash(ev.Obligation)})
	case ActionHold:
		return callOf(workflows.Updates.Hold, workflows.HoldInput{Obligation: ev.Obligation, By: ev.By, RequestedBy: ev.RequestedBy,
			Authority: ev.Authority, Until: ev.Until, Note: ev.Note})
	case ActionRelease:
		return callOf(workflows.Updates.Release, workflows.ReleaseInput{Obligation: ev.Obligation, By: ev.By, Note: ev.Note})
	case ActionDecision:
		return callOf(workflows.Updates.Decide, workflows.DecideInput{Decision: ev.Name, Outcome: ev.Value, Rationale: ev.Reason, By: ev.By, At: ev.At})
	default: // ActionCorrectDiscovery; Load accepts no other action.
		return callOf(workflows.Updates.CorrectDiscovery, workflows.CorrectDiscoveryInput{DiscoveredAt: ev.discoveredAt, By: ev.By, Reason: ev.Reason})
	}
}

// message is the validator's message of a refusal, without the SDK's wrapping.
func message(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}
