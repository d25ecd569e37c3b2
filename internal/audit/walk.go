package audit

import (
	"cmp"
	"crypto/ed25519"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// builder turns the events of an incident's runs, and the workflow's record, into a timeline.
type builder struct {
	dc      converter.DataConverter
	entries []*Entry
	// matchers by actor and obligation, in the order of their events; next skips the used ones.
	// They are the fallback join, for record lines that carry no Update ID or notice key.
	matchers map[string][]*matcher
	next     map[string]int
	// byUpdate and byNotice are the exact joins: the matcher of each Update's entry by Update
	// ID, and those of each notice's delivery entries by notice key, in event order.
	byUpdate  map[string]*matcher
	byNotice  map[workflows.NoticeKey][]*matcher
	updates   map[string]*Entry
	scheduled map[int64]*scheduledActivity
	// start is the first run's input; carried the state a successor run started with, when the
	// first run is missing.
	start   *workflows.StartIncidentInput
	carried *workflows.IncidentState
	// result is the last run's result, when it completed.
	result     *workflows.IncidentResult
	lastUpdate *workflows.Status
	prevCAN    bool
	notes      []string
	// problems fail the audit: notices whose content does not match their recorded hash.
	problems []string
	// joined counts the record lines joined to entries, by how (for tests).
	joined joinCounts
	// consoleKeys verify signed actions (Options.ConsoleKeys); incidentID is what they sign.
	consoleKeys map[string]ed25519.PublicKey
	// signedUpdates is where each signed action's Update ID was accepted ("run N event M"): a
	// signature is good for one act, across runs too.
	signedUpdates map[string]string
	incidentID    string
	unchecked     int
}

// joinCounts counts record lines by how they joined an entry.
type joinCounts struct{ byUpdate, byNotice, fallback int }

type scheduledActivity struct {
	name    string
	eventID int64
	at      time.Time
	input   *commonpb.Payloads
	send    *activities.SendNoticeInput
	attempt int32
	done    bool
}

func newBuilder(dc converter.DataConverter) *builder {
	return &builder{
		dc: dc, updates: map[string]*Entry{}, matchers: map[string][]*matcher{}, next: map[string]int{},
		byUpdate: map[string]*matcher{}, byNotice: map[workflows.NoticeKey][]*matcher{},
	}
}

func (b *builder) decode(p *commonpb.Payloads, v any) error {
	if p == nil || len(p.GetPayloads()) == 0 {
		return fmt.Errorf("no payload")
	}
	return b.dc.FromPayloads(p, v)
}

// failure is a failure's message and those of its causes, decoded where the failure converter
// encoded them (with encryption on, messages are payloads too).
func (b *builder) failure(f *failurepb.Failure) string {
	var msgs []string
	for depth := 0; f != nil && depth < 5; depth++ {
		c := proto.Clone(f).(*failurepb.Failure)
		converter.DecodeCommonFailureAttributes(b.dc, c)
		if m := c.GetMessage(); m != "" && !slices.Contains(msgs, m) {
			msgs = append(msgs, m)
		}
		f = f.GetCause()
	}
	return strings.Join(msgs, ": ")
}

func (b *builder) add(e *Entry) *Entry {
	e.rank = eventOnlyRank + len(b.entries)
	if e.Source == "" {
		e.Source = sourceHistory
	}
	b.entries = append(b.entries, e)
	return e
}

// addRun adds the events of one run (run is 1-based).
func (b *builder) addRun(run int, h *historypb.History, last bool) {
	b.scheduled = map[int64]*scheduledActivity{}
	for _, ev := range h.GetEvents() {
		t := ev.GetEventTime().AsTime().UTC()
		base := Entry{At: t, EventTime: t, Run: run, EventID: ev.GetEventId(), Source: sourceHistory}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			b.started(base, ev.GetWorkflowExecutionStartedEventAttributes(), run)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			b.updateAccepted(base, ev.GetWorkflowExecutionUpdateAcceptedEventAttributes())
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			b.updateCompleted(ev.GetWorkflowExecutionUpdateCompletedEventAttributes())
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a := ev.GetActivityTaskScheduledEventAttributes()
			sa := &scheduledActivity{name: a.GetActivityType().GetName(), eventID: ev.GetEventId(), at: t, input: a.GetInput()}
			if sa.name == activitySend {
				var in activities.SendNoticeInput
				if err := b.decode(a.GetInput(), &in); err == nil {
					sa.send = &in
					b.checkContent(run, ev.GetEventId(), &in)
				}
			}
			b.scheduled[ev.GetEventId()] = sa
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a := ev.GetActivityTaskStartedEventAttributes()
			if sa := b.scheduled[a.GetScheduledEventId()]; sa != nil {
				sa.attempt = a.GetAttempt()
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			a := ev.GetActivityTaskCompletedEventAttributes()
			b.activityCompleted(base, b.scheduled[a.GetScheduledEventId()], a.GetResult())
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			a := ev.GetActivityTaskFailedEventAttributes()
			b.activityFailed(base, b.scheduled[a.GetScheduledEventId()], b.failure(a.GetFailure()))
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			a := ev.GetActivityTaskTimedOutEventAttributes()
			msg := b.failure(a.GetFailure())
			if msg == "" {
				msg = "timed out"
			}
			b.activityFailed(base, b.scheduled[a.GetScheduledEventId()], msg)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			a := ev.GetActivityTaskCanceledEventAttributes()
			b.activityCanceled(base, b.scheduled[a.GetScheduledEventId()])
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			a := ev.GetWorkflowExecutionSignaledEventAttributes()
			e := base
			e.Actor, e.Action, e.Identity = orUnknown(a.GetIdentity()), "signal "+a.GetSignalName(), a.GetIdentity()
			b.add(&e)
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			a := ev.GetWorkflowTaskFailedEventAttributes()
			e := base
			e.Actor, e.Action = actorEngine, "workflow task failed"
			e.Details = joinNonEmpty(": ", a.GetCause().String(), firstLine(b.failure(a.GetFailure())))
			b.add(&e)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
			b.completed(base, ev.GetWorkflowExecutionCompletedEventAttributes(), last)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
			e := base
			e.Actor, e.Action = actorEngine, "workflow failed"
			e.Details = firstLine(b.failure(ev.GetWorkflowExecutionFailedEventAttributes().GetFailure()))
			b.add(&e)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
			e := base
			e.Actor, e.Action = actorEngine, "workflow timed out"
			b.add(&e)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
			a := ev.GetWorkflowExecutionTerminatedEventAttributes()
			e := base
			e.Actor, e.Action, e.Identity, e.Details = orUnknown(a.GetIdentity()), "workflow terminated", a.GetIdentity(), a.GetReason()
			b.add(&e)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
			a := ev.GetWorkflowExecutionCancelRequestedEventAttributes()
			e := base
			e.Actor, e.Action, e.Identity, e.Details = orUnknown(a.GetIdentity()), "workflow cancel requested", a.GetIdentity(), a.GetCause()
			b.add(&e)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
			e := base
			e.Actor, e.Action = actorEngine, "workflow cancelled"
			b.add(&e)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes()
			e := base
			e.Actor, e.Action, e.Details = actorEngine, string(workflows.ActionContinuedAsNew), "the incident goes on in run "+a.GetNewExecutionRunId()
			b.expect(b.add(&e), join{actor: actorEngine, actions: []workflows.Action{workflows.ActionContinuedAsNew}, record: true})
		}
	}
	// Deliveries still under way when the history ends.
	var pending []*scheduledActivity
	for _, sa := range b.scheduled {
		if sa.name == activitySend && !sa.done {
			pending = append(pending, sa)
		}
	}
	slices.SortFunc(pending, func(x, y *scheduledActivity) int { return cmp.Compare(x.eventID, y.eventID) })
	for _, sa := range pending {
		e := Entry{At: sa.at, EventTime: sa.at, Run: run, EventID: sa.eventID, Actor: actorEngine, Action: entryDeliveryUnderWay}
		if sa.send != nil {
			e.Notice = noticeFrom(sa.send)
			e.Obligation = e.Notice.obligation()
			e.Details = e.Notice.Key + ": no result in the history yet"
		}
		b.add(&e)
	}
	events := h.GetEvents()
	b.prevCAN = len(events) > 0 && events[len(events)-1].GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
}

// checkContent recomputes the content hash of a notice about to be sent from the content the
// activity was given: the hash approvals and the Message-ID bind to must be that of the text
// that went out. A mismatch means the history was edited after the fact.
func (b *builder) checkContent(run int, eventID int64, in *activities.SendNoticeInput) {
	n := in.Notice
	if got := templates.Hash(n.Subject, n.Text, n.HTML); got != n.ContentHash {
		b.problems = append(b.problems, fmt.Sprintf("run %d event %d: notice %s: the recorded content hash %s does not match the content sent, which hashes to %s: the notice's subject or text was changed after it was rendered",
			run, eventID, in.NoticeKey, orDash(n.ContentHash), got))
	}
}

func (b *builder) started(base Entry, a *historypb.WorkflowExecutionStartedEventAttributes, run int) {
	var in workflows.StartIncidentInput
	if err := b.decode(a.GetInput(), &in); err != nil {
		e := base
		e.Actor, e.Action, e.Details = orUnknown(a.GetIdentity()), entryRunStarted, "input not readable: "+err.Error()
		b.add(&e)
		b.notes = append(b.notes, fmt.Sprintf("run %d: the start input could not be decoded (%v)", run, err))
		return
	}
	if b.incidentID == "" {
		b.incidentID = in.IncidentID
	}
	if in.Carried != nil {
		if b.start == nil && b.carried == nil {
			b.carried = in.Carried
		}
		if !b.prevCAN {
			e := base
			e.Actor, e.Action, e.Details = actorEngine, entryRunStarted, "continues with the state carried from an earlier run"
			b.add(&e)
		}
		return
	}
	if b.start == nil {
		b.start = &in
	}
	e := base
	e.Actor, e.Action = in.StartedBy, string(workflows.ActionOpened)
	parts := []string{
		fmt.Sprintf("%q", in.Title),
		"discovered " + stamp(in.DiscoveredAt),
		"playbook " + in.Playbook.Name + " " + in.Playbook.Version,
	}
	var facts []string
	for _, f := range in.Facts {
		s := f.Name + "=" + f.Value
		if !f.At.IsZero() && !f.At.Equal(in.DiscoveredAt) {
			s += " (as of " + stamp(f.At) + ")"
		}
		facts = append(facts, s)
	}
	if len(facts) > 0 {
		parts = append(parts, "initial facts: "+strings.Join(facts, ", "))
	}
	e.Details = strings.Join(parts, "; ")
	e.Input = in.Facts
	if run > 1 {
		e.Action = entryRunStarted
	}
	ent := b.add(&e)
	// The start writes no Update ID: the record's opening lines join by actor, action and (for
	// the initial facts) the fact's name.
	b.expect(ent, join{actor: in.StartedBy, actions: []workflows.Action{workflows.ActionOpened}})
	for _, f := range in.Facts {
		name := f.Name
		b.expect(ent, join{actor: in.StartedBy, actions: []workflows.Action{workflows.ActionFact}, exact: &name})
	}
}

func (b *builder) activityCompleted(base Entry, sa *scheduledActivity, result *commonpb.Payloads) {
	if sa == nil {
		return
	}
	sa.done = true
	if sa.name != activitySend {
		return
	}
	e := base
	e.Actor = actorEngine
	nd := noticeFrom(sa.send)
	var res activities.SendNoticeResult
	if err := b.decode(result, &res); err == nil {
		nd.Transport, nd.Receipt, nd.SentAt, nd.AlreadySent = res.Transport, res.Receipt, res.SentAt, res.AlreadySent
		nd.PossibleDuplicate = res.PossibleDuplicate
		if nd.MessageID == "" {
			nd.MessageID = res.MessageID
		}
	} else {
		nd.Error = "result not readable: " + err.Error()
	}
	nd.Attempt = sa.attempt
	e.Notice = nd
	e.Obligation = nd.obligation()
	sent := workflows.SentAction(nd.Kind)
	e.Action = string(sent)
	e.Details = nd.summary()
	b.expectNotice(b.add(&e), nd, sent, " ", false)
}

func (b *builder) activityFailed(base Entry, sa *scheduledActivity, msg string) {
	if sa == nil {
		return
	}
	sa.done = true
	e := base
	e.Actor = actorEngine
	switch sa.name {
	case activitySend:
		nd := noticeFrom(sa.send)
		nd.Attempt, nd.Error = sa.attempt, firstLine(msg)
		e.Notice, e.Obligation, e.Action = nd, nd.obligation(), string(workflows.ActionDeliveryFailed)
		e.Details = joinNonEmpty("; ", nd.Key, fmt.Sprintf("round of %d attempt(s) failed: %s", sa.attempt, nd.Error))
		b.expectNotice(b.add(&e), nd, workflows.ActionDeliveryFailed, ": ", true)
	case activityRender:
		var in activities.RenderNoticeInput
		if b.decode(sa.input, &in) == nil {
			e.Obligation = in.Data.Obligation.ID
			e.Details = "template " + in.Template + ": "
		}
		e.Action = entryRenderFailed
		e.Details += firstLine(msg)
		b.add(&e)
	default:
		e.Action = "activity " + sa.name + " failed"
		e.Details = firstLine(msg)
		b.add(&e)
	}
}

func (b *builder) activityCanceled(base Entry, sa *scheduledActivity) {
	if sa == nil {
		return
	}
	sa.done = true
	if sa.name != activitySend {
		return
	}
	e := base
	nd := noticeFrom(sa.send)
	e.Actor, e.Notice, e.Obligation, e.Action = actorEngine, nd, nd.obligation(), string(workflows.ActionDeliveryCancelled)
	e.Details = nd.Key
	b.expectNotice(b.add(&e), nd, workflows.ActionDeliveryCancelled, ":", true)
}

func (b *builder) completed(base Entry, a *historypb.WorkflowExecutionCompletedEventAttributes, last bool) {
	e := base
	e.Actor, e.Action = actorEngine, entryWorkflowCompleted
	var res workflows.IncidentResult
	if err := b.decode(a.GetResult(), &res); err != nil {
		e.Details = "result not readable: " + err.Error()
		b.add(&e)
		return
	}
	if last {
		b.result = &res
	}
	var counts []string
	for _, k := range slices.Sorted(maps.Keys(res.Obligations)) {
		counts = append(counts, fmt.Sprintf("%s %d", k, res.Obligations[k]))
	}
	closed := "closed by " + res.ClosedBy + " at " + stamp(res.ClosedAt)
	if res.Forced {
		closed += " (forced)"
	}
	e.Details = joinNonEmpty("; ", closed, "obligations: "+strings.Join(counts, ", "), fmt.Sprintf("%d notice(s) delivered", res.NoticesSent))
	b.add(&e)
}
