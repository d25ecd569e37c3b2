package audit

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/workflows"
)

// Entry is one line of the audit timeline.
type Entry struct {
	// At is when it happened on the workflow's clock (the clock deadlines are judged on) where
	// the workflow's record holds the act, else the event's time.
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	Obligation string    `json:"obligation,omitempty"`
	Details    string    `json:"details,omitempty"`
	// Record is what the workflow's own record (its log) adds to the event, e.g. "late by 2h".
	Record string `json:"record,omitempty"`
	// Source is "history" for an event of the history (confirmed by the record where it holds
	// the act) and "record" for an act only the workflow's record holds (the engine's clocks,
	// reminders, overdue marks).
	Source    string    `json:"source"`
	Run       int       `json:"run,omitempty"`
	EventID   int64     `json:"event_id,omitempty"`
	EventTime time.Time `json:"event_time,omitzero"`
	// Update and Identity are the Workflow Update's name and the client identity that sent it;
	// Input is the update's decoded input.
	Update   string        `json:"update,omitempty"`
	Identity string        `json:"identity,omitempty"`
	Input    any           `json:"input,omitempty"`
	Notice   *NoticeDetail `json:"notice,omitempty"`

	// rank orders entries of the same instant: the record's order, then the history's.
	rank int
}

// NoticeDetail is a notice as the history holds it: the SendNotice activity's input and result.
type NoticeDetail struct {
	Key         string   `json:"key"`
	Kind        string   `json:"kind"`
	To          []string `json:"to,omitempty"`
	Cc          []string `json:"cc,omitempty"`
	Subject     string   `json:"subject,omitempty"`
	ContentHash string   `json:"content_hash,omitempty"`
	MessageID   string   `json:"message_id,omitempty"`
	Transport   string   `json:"transport,omitempty"`
	Receipt     string   `json:"receipt,omitempty"`
	// SentAt is the activity's own clock at delivery.
	SentAt      time.Time `json:"sent_at,omitzero"`
	AlreadySent bool      `json:"already_sent,omitempty"`
	// ApprovedBy are those whose approvals (bound to a content hash) released the notice.
	ApprovedBy []string `json:"approved_by,omitempty"`
	// Attempt is the activity attempt that ended the round (retries within a round).
	Attempt int32  `json:"attempt,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Where an audit's final status and the workflow's record came from (IncidentReport.StatusFrom).
const (
	FromResult     = "workflow result"
	FromReplay     = "replay of the history (as of its last event)"
	FromQuery      = "status and log queries (live)"
	FromLastUpdate = "last update's outcome (the workflow's record was not available)"
	FromNothing    = "none: no status in the history"
)

const (
	actorEngine     = "engine"
	sourceHistory   = "history"
	sourceRecord    = "record"
	eventOnlyRank   = 1 << 40
	activitySend    = "SendNotice"
	activityRender  = "RenderNotice"
	actionSentTrail = " sent"
)

// builder turns the events of an incident's runs, and the workflow's record, into a timeline.
type builder struct {
	dc      converter.DataConverter
	entries []*Entry
	// matchers by actor and obligation, in the order of their events; next skips the used ones.
	matchers  map[string][]*matcher
	next      map[string]int
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
}

type scheduledActivity struct {
	name    string
	eventID int64
	at      time.Time
	input   *commonpb.Payloads
	send    *activities.SendNoticeInput
	attempt int32
	done    bool
}

// matcher pairs an entry built from an event with the line of the workflow's record that
// reports the same act.
type matcher struct {
	entry      *Entry
	actor      string
	actions    []string
	obligation string
	prefix     string
	exact      *string
	// record: the line's detail adds to the event and is kept as the entry's Record.
	record bool
	// adopt: the entry takes the line's action, which says what the act turned out to be (a
	// notice sent at once or put up for approval; a hold or its extension).
	adopt bool
	used  bool
}

func newBuilder(dc converter.DataConverter) *builder {
	return &builder{dc: dc, updates: map[string]*Entry{}, matchers: map[string][]*matcher{}, next: map[string]int{}}
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

func (b *builder) expect(e *Entry, actor string, actions []string, obligation, prefix string, record bool) *matcher {
	m := &matcher{entry: e, actor: actor, actions: actions, obligation: obligation, prefix: prefix, record: record}
	k := matchKey(actor, obligation)
	b.matchers[k] = append(b.matchers[k], m)
	return m
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
			e.Actor, e.Action, e.Details = actorEngine, "continued as new", "the incident goes on in run "+a.GetNewExecutionRunId()
			b.expect(b.add(&e), actorEngine, []string{"continued as new"}, "", "", true)
		}
	}
	// Deliveries still under way when the history ends.
	var pending []*scheduledActivity
	for _, sa := range b.scheduled {
		if sa.name == activitySend && !sa.done {
			pending = append(pending, sa)
		}
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].eventID < pending[j].eventID })
	for _, sa := range pending {
		e := Entry{At: sa.at, EventTime: sa.at, Run: run, EventID: sa.eventID, Actor: actorEngine, Action: "delivery under way"}
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

func (b *builder) started(base Entry, a *historypb.WorkflowExecutionStartedEventAttributes, run int) {
	var in workflows.StartIncidentInput
	if err := b.decode(a.GetInput(), &in); err != nil {
		e := base
		e.Actor, e.Action, e.Details = orUnknown(a.GetIdentity()), "run started", "input not readable: "+err.Error()
		b.add(&e)
		b.notes = append(b.notes, fmt.Sprintf("run %d: the start input could not be decoded (%v)", run, err))
		return
	}
	if in.Carried != nil {
		if b.start == nil && b.carried == nil {
			b.carried = in.Carried
		}
		if !b.prevCAN {
			e := base
			e.Actor, e.Action, e.Details = actorEngine, "run started", "continues with the state carried from an earlier run"
			b.add(&e)
		}
		return
	}
	if b.start == nil {
		b.start = &in
	}
	e := base
	e.Actor, e.Action = in.StartedBy, "opened"
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
		e.Action = "run started"
	}
	ent := b.add(&e)
	b.expect(ent, in.StartedBy, []string{"opened"}, "", "", false)
	for _, f := range in.Facts {
		m := b.expect(ent, in.StartedBy, []string{"fact"}, "", "", false)
		name := f.Name
		m.exact = &name
	}
}

func (b *builder) updateAccepted(base Entry, a *historypb.WorkflowExecutionUpdateAcceptedEventAttributes) {
	req := a.GetAcceptedRequest()
	name := req.GetInput().GetName()
	args := req.GetInput().GetArgs()
	e := base
	e.Update, e.Identity = name, req.GetMeta().GetIdentity()
	var details []string
	var logActions []string
	prefix := ""
	record, adopt := true, false
	fail := func(err error) {
		e.Actor = orUnknown(e.Identity)
		details = append(details, "input not readable: "+err.Error())
	}
	switch name {
	case workflows.UpdateComplete:
		var in workflows.CompleteInput
		if err := b.decode(args, &in); err != nil {
			fail(err)
			break
		}
		e.Actor, e.Obligation, e.Input, e.Action = in.By, in.Obligation, in, "completed"
		if !in.At.IsZero() {
			details = append(details, "done at "+stamp(in.At))
		}
		if in.Note != "" {
			details = append(details, "note: "+in.Note)
		}
		logActions = []string{"completed"}
	case workflows.UpdateWaive:
		var in workflows.WaiveInput
		if err := b.decode(args, &in); err != nil {
			fail(err)
			break
		}
		e.Actor, e.Obligation, e.Input, e.Action = in.By, in.Obligation, in, "waived"
		details = append(details, "reason: "+in.Reason)
		logActions = []string{"waived"}
	case workflows.UpdateRecordFact:
		var in workflows.RecordFactInput
		if err := b.decode(args, &in); err != nil {
			fail(err)
			break
		}
		e.Actor, e.Input = in.By, in
		s := in.Name + " = " + in.Value
		if !in.At.IsZero() {
			s += " as of " + stamp(in.At)
		}
		details = append(details, s)
		if in.Note != "" {
			details = append(details, "note: "+in.Note)
		}
		e.Action, logActions = "fact recorded", []string{"fact"}
		if in.Determination {
			e.Action, logActions = "determination recorded", []string{"determination"}
		}
		prefix = in.Name + " = "
	case workflows.UpdateSendNotice:
		var in workflows.SendNoticeInput
		if err := b.decode(args, &in); err != nil {
			fail(err)
			break
		}
		// Without required approvals the request is the approval and the notice goes out; with
		// them, the record says "requested approval" and the entry takes that name.
		e.Actor, e.Obligation, e.Input, e.Action = in.By, in.Obligation, in, "approved notice"
		logActions, adopt = []string{"approved notice", "requested approval"}, true
	case workflows.UpdateApprove:
		var in workflows.ApproveInput
		if err := b.decode(args, &in); err != nil {
			fail(err)
			break
		}
		e.Actor, e.Obligation, e.Input, e.Action = in.By, in.Obligation, in, "approved"
		details = append(details, "content "+in.ContentHash)
		logActions = []string{"approved"}
	case workflows.UpdateClose:
		var in workflows.CloseInput
		if err := b.decode(args, &in); err != nil {
			fail(err)
			break
		}
		e.Actor, e.Input, e.Action = in.By, in, "closed"
		if in.Force {
			details = append(details, "forced: "+in.Reason)
		}
		logActions = []string{"closed"}
	case workflows.UpdateHold:
		var in workflows.HoldInput
		if err := b.decode(args, &in); err != nil {
			fail(err)
			break
		}
		e.Actor, e.Obligation, e.Input, e.Action = in.By, in.Obligation, in, "hold"
		details = append(details, fmt.Sprintf("until %s at the request of %s under %s", stamp(in.Until), in.RequestedBy, in.Authority))
		if in.Note != "" {
			details = append(details, "note: "+in.Note)
		}
		logActions, adopt = []string{"hold", "hold re-confirmed"}, true
	case workflows.UpdateRelease:
		var in workflows.ReleaseInput
		if err := b.decode(args, &in); err != nil {
			fail(err)
			break
		}
		e.Actor, e.Obligation, e.Input, e.Action = in.By, in.Obligation, in, "hold released"
		if in.Note != "" {
			details = append(details, "note: "+in.Note)
		}
		logActions = []string{"hold ended"}
	case workflows.UpdateCorrectDiscovery:
		var in workflows.CorrectDiscoveryInput
		if err := b.decode(args, &in); err != nil {
			fail(err)
			break
		}
		e.Actor, e.Input, e.Action = in.By, in, "discovery corrected"
		details = append(details, "discovered at "+stamp(in.DiscoveredAt), "reason: "+in.Reason)
		logActions = []string{"discovery corrected"}
	default:
		var raw any
		if err := b.decode(args, &raw); err != nil {
			fail(err)
		} else {
			data, _ := json.Marshal(raw)
			details = append(details, string(data))
			e.Input = raw
		}
		e.Actor = orUnknown(e.Identity)
		record = false
	}
	if e.Action == "" {
		e.Action = "update " + name
	}
	e.Details = strings.Join(details, "; ")
	ent := b.add(&e)
	id := req.GetMeta().GetUpdateId()
	if id == "" {
		id = a.GetProtocolInstanceId()
	}
	b.updates[id] = ent
	if len(logActions) > 0 {
		b.expect(ent, e.Actor, logActions, e.Obligation, prefix, record).adopt = adopt
	}
}

func (b *builder) updateCompleted(a *historypb.WorkflowExecutionUpdateCompletedEventAttributes) {
	ent := b.updates[a.GetMeta().GetUpdateId()]
	if f := a.GetOutcome().GetFailure(); f != nil {
		if ent != nil {
			ent.Action += " (failed)"
			ent.Details = joinNonEmpty("; ", ent.Details, "the handler failed: "+firstLine(b.failure(f)))
		}
		return
	}
	var st workflows.Status
	if err := b.decode(a.GetOutcome().GetSuccess(), &st); err == nil && st.IncidentID != "" {
		b.lastUpdate = &st
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
		if nd.MessageID == "" {
			nd.MessageID = res.MessageID
		}
	} else {
		nd.Error = "result not readable: " + err.Error()
	}
	nd.Attempt = sa.attempt
	e.Notice = nd
	e.Obligation = nd.obligation()
	e.Action = nd.Kind + actionSentTrail
	e.Details = nd.summary()
	ent := b.add(&e)
	if nd.Key != "" {
		b.expect(ent, actorEngine, []string{e.Action}, e.Obligation, nd.Key+" ", false)
	}
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
		e.Notice, e.Obligation, e.Action = nd, nd.obligation(), "delivery failed"
		e.Details = joinNonEmpty("; ", nd.Key, fmt.Sprintf("round of %d attempt(s) failed: %s", sa.attempt, nd.Error))
		ent := b.add(&e)
		if nd.Key != "" {
			b.expect(ent, actorEngine, []string{"delivery failed"}, e.Obligation, nd.Key+": ", true)
		}
	case activityRender:
		var in activities.RenderNoticeInput
		if b.decode(sa.input, &in) == nil {
			e.Obligation = in.Data.Obligation.ID
			e.Details = "template " + in.Template + ": "
		}
		e.Action = "render failed"
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
	e.Actor, e.Notice, e.Obligation, e.Action = actorEngine, nd, nd.obligation(), "delivery cancelled"
	e.Details = nd.Key
	ent := b.add(&e)
	if nd.Key != "" {
		b.expect(ent, actorEngine, []string{"delivery cancelled"}, e.Obligation, nd.Key+":", true)
	}
}

func (b *builder) completed(base Entry, a *historypb.WorkflowExecutionCompletedEventAttributes, last bool) {
	e := base
	e.Actor, e.Action = actorEngine, "workflow completed"
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
	for _, k := range sortedKeys(res.Obligations) {
		counts = append(counts, fmt.Sprintf("%s %d", k, res.Obligations[k]))
	}
	closed := "closed by " + res.ClosedBy + " at " + stamp(res.ClosedAt)
	if res.Forced {
		closed += " (forced)"
	}
	e.Details = joinNonEmpty("; ", closed, "obligations: "+strings.Join(counts, ", "), fmt.Sprintf("%d notice(s) delivered", res.NoticesSent))
	b.add(&e)
}

// mergeRecord merges the workflow's record into the timeline: a line that reports an act the
// history holds confirms that entry (and moves it to the workflow's clock); any other line — the
// engine's clock starts, overdue marks, reminders, skips — becomes an entry of its own.
func (b *builder) mergeRecord(log []workflows.LogEntry) {
	for i, l := range log {
		if m := b.match(l); m != nil {
			m.used = true
			e := m.entry
			if e.rank >= eventOnlyRank {
				e.rank = i
				e.At = l.At.UTC()
			}
			if m.adopt {
				e.Action = string(l.Action)
			}
			if m.record && l.Detail != "" && !strings.Contains(e.Details, l.Detail) && !strings.Contains(e.Record, l.Detail) {
				e.Record = joinNonEmpty("; ", e.Record, l.Detail)
			}
			continue
		}
		b.entries = append(b.entries, &Entry{
			At: l.At.UTC(), Actor: l.Actor, Action: string(l.Action), Obligation: l.Obligation, Details: l.Detail,
			Source: sourceRecord, rank: i,
		})
	}
}

func matchKey(actor, obligation string) string { return actor + "\x00" + obligation }

// match finds the first unused matcher for a line of the record. Lines and events mostly come
// in the same order, so skipping the used prefix keeps this near linear on long histories.
func (b *builder) match(l workflows.LogEntry) *matcher {
	k := matchKey(l.Actor, l.Obligation)
	ms := b.matchers[k]
	for b.next[k] < len(ms) && ms[b.next[k]].used {
		b.next[k]++
	}
	for _, m := range ms[b.next[k]:] {
		if m.used {
			continue
		}
		ok := false
		for _, a := range m.actions {
			ok = ok || a == string(l.Action)
		}
		if !ok || !strings.HasPrefix(l.Detail, m.prefix) || (m.exact != nil && *m.exact != l.Detail) {
			continue
		}
		return m
	}
	return nil
}

// timeline returns the entries in time order.
func (b *builder) timeline() []Entry {
	sort.SliceStable(b.entries, func(i, j int) bool {
		x, y := b.entries[i], b.entries[j]
		if !x.At.Equal(y.At) {
			return x.At.Before(y.At)
		}
		return x.rank < y.rank
	})
	out := make([]Entry, len(b.entries))
	for i, e := range b.entries {
		out[i] = *e
	}
	return out
}

func noticeFrom(in *activities.SendNoticeInput) *NoticeDetail {
	if in == nil {
		return &NoticeDetail{Kind: "notice", Error: "the SendNotice input is not readable"}
	}
	_, kind := splitNoticeKey(in.NoticeKey)
	return &NoticeDetail{
		Key: in.NoticeKey, Kind: kind, To: in.To, Cc: in.Cc,
		Subject: in.Notice.Subject, ContentHash: in.Notice.ContentHash, MessageID: in.MessageID,
	}
}

func (n *NoticeDetail) obligation() string {
	o, _ := splitNoticeKey(n.Key)
	return o
}

// summary is the one-line account of a delivered notice.
func (n *NoticeDetail) summary() string {
	parts := []string{n.Key}
	if len(n.To) > 0 {
		parts = append(parts, "to "+strings.Join(n.To, ", "))
	}
	if len(n.Cc) > 0 {
		parts = append(parts, "cc "+strings.Join(n.Cc, ", "))
	}
	if n.Subject != "" {
		parts = append(parts, fmt.Sprintf("subject %q", n.Subject))
	}
	if n.ContentHash != "" {
		parts = append(parts, "content sha256:"+n.ContentHash)
	}
	if n.MessageID != "" {
		parts = append(parts, "Message-ID "+n.MessageID)
	}
	if n.Transport != "" {
		parts = append(parts, "via "+n.Transport)
	}
	if n.Receipt != "" {
		parts = append(parts, "receipt "+firstLine(n.Receipt))
	}
	if n.AlreadySent {
		parts = append(parts, "an earlier attempt had delivered it (ledger)")
	}
	if n.Attempt > 1 {
		parts = append(parts, fmt.Sprintf("attempt %d", n.Attempt))
	}
	if n.Error != "" {
		parts = append(parts, n.Error)
	}
	return strings.Join(parts, "; ")
}

// splitNoticeKey reads a notice key such as "cisa-report/notice", "cisa-report/reminder/…",
// "x/cadence/…", "x/escalation/…" or "x/hold/…" into its obligation and the notice's kind.
func splitNoticeKey(key string) (obligation, kind string) {
	obligation, rest, _ := strings.Cut(key, "/")
	seg, _, _ := strings.Cut(rest, "/")
	switch seg {
	case "reminder", "cadence":
		return obligation, "reminder"
	case "hold":
		return obligation, "hold-expiring"
	case "":
		return obligation, "notice"
	}
	return obligation, seg
}

// stamp writes an instant for the audit: UTC, to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// checkApprovals binds each notice sent after approvals to the approvals that released it: the
// content hash each approver read must be the content sent. It returns findings for any that is
// not (approvals lapse when the content changes, so this should never happen).
func checkApprovals(tl []Entry) []string {
	var findings []string
	approved := map[string][]*Entry{}
	for i := range tl {
		e := &tl[i]
		switch {
		case e.Action == "approvals lapsed":
			approved[e.Obligation] = nil
		case e.Update == workflows.UpdateApprove && e.Action == "approved":
			approved[e.Obligation] = append(approved[e.Obligation], e)
		case e.Action == "notice sent" && e.Notice != nil && len(approved[e.Obligation]) > 0:
			var who []string
			for _, a := range approved[e.Obligation] {
				who = append(who, a.Actor)
				in, ok := a.Input.(workflows.ApproveInput)
				if ok && !strings.HasPrefix(e.Notice.ContentHash, in.ContentHash) {
					findings = append(findings, fmt.Sprintf("finding: %s approved content %s of %s at %s, but content %s was sent",
						a.Actor, in.ContentHash, e.Obligation, stamp(a.At), e.Notice.ContentHash))
				}
			}
			e.Notice.ApprovedBy = who
			e.Details = joinNonEmpty("; ", e.Details, "approved by "+strings.Join(who, ", "))
			approved[e.Obligation] = nil
		}
	}
	return findings
}
