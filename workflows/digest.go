package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// Names of the digest's signals, and of the signal a digest sends back to an incident.
const (
	// SignalDigestAdd hands an item to a digest (DigestItem); sent with SignalWithStart.
	SignalDigestAdd = "digest-add"
	// SignalDigestRetract withdraws an item from a digest (DigestRetraction).
	SignalDigestRetract = "digest-retract"
	// SignalDigestDelivered tells an incident that a digest listing some of its escalations
	// was delivered (DigestDelivered).
	SignalDigestDelivered = "digest-delivered"
)

// DigestItem is one escalation handed to a digest.
type DigestItem = activities.DigestItem

// DigestRetraction withdraws an item from a digest.
type DigestRetraction = activities.DigestRetraction

// DigestIDPrefix starts the workflow ID of every digest.
const DigestIDPrefix = "digest-"

// DigestWorkflowID is the workflow ID of a recipient's digest: a hash of the normalized address,
// so that no address appears in an ID, a list or a log. "Name <A@x>" and "a@x" share a digest.
func DigestWorkflowID(recipient string) string {
	sum := sha256.Sum256([]byte(NormalizeRecipient(recipient)))
	return DigestIDPrefix + hex.EncodeToString(sum[:12])
}

// NormalizeRecipient reduces an RFC 5322 address to its lower-cased bare address.
func NormalizeRecipient(recipient string) string {
	if a, err := mail.ParseAddress(recipient); err == nil {
		recipient = a.Address
	}
	return strings.ToLower(strings.TrimSpace(recipient))
}

// DigestInput starts (or continues) a recipient's digest.
type DigestInput struct {
	// Recipient is the address the digest goes to.
	Recipient string `json:"recipient"`
	// Pending are the items not yet sent (carried over by continue-as-new).
	Pending []*DigestEntry `json:"pending,omitempty"`
	// Sent remembers the items of recent digests, so a repeated hand-off is not sent again.
	Sent map[string]time.Time `json:"sent,omitempty"`
	// LastSend is when the latest digest went out: a later item goes in a later one.
	LastSend time.Time `json:"last_send,omitzero"`
}

// DigestEntry is an item with the moment of the digest it goes out in.
type DigestEntry struct {
	Item   DigestItem `json:"item"`
	SendAt time.Time  `json:"send_at"`
}

// DigestDelivered tells an incident which of its escalations a delivered digest listed.
type DigestDelivered struct {
	NoticeKeys []NoticeKey `json:"notice_keys"`
	MessageID  string      `json:"message_id"`
	SentAt     time.Time   `json:"sent_at"`
	Transport  string      `json:"transport"`
	Receipt    string      `json:"receipt"`
}

// DigestResult is what a digest returns once it has nothing left to send.
type DigestResult struct {
	// Sent counts the digests this run delivered; Items the items they listed.
	Sent  int `json:"sent"`
	Items int `json:"items"`
}

// digestsPerRun bounds one run's history: a daily digest continues as new every few weeks.
const digestsPerRun = 30

// digestMemory is how long a sent item is remembered against a repeated hand-off.
const digestMemory = 7 * 24 * time.Hour

// DigestWorkflow collects the repeating reminders (repeat escalations and cadence reminders)
// handed to one recipient, from any number of incidents, and sends them as one mail per day at the
// playbook's time of day; then it tells each incident which of its rungs went out in which mail.
// It ends after a day with nothing pending; the next hand-off starts it again (SignalWithStart).
func DigestWorkflow(ctx workflow.Context, in DigestInput) (*DigestResult, error) {
	d := &digest{in: in, logger: log.With(workflow.GetLogger(ctx), "Digest", workflow.GetInfo(ctx).WorkflowExecution.ID)}
	if d.in.Sent == nil {
		d.in.Sent = map[string]time.Time{}
	}
	return d.run(ctx)
}

type digest struct {
	in     DigestInput
	logger log.Logger
	res    DigestResult
}

func digestKey(incidentID, noticeKey string) string { return incidentID + "\x00" + noticeKey }

// add takes an item in, unless it is pending or was sent already.
func (d *digest) add(now time.Time, it DigestItem) {
	key := digestKey(it.IncidentID, it.NoticeKey)
	if _, ok := d.in.Sent[key]; ok {
		return
	}
	for _, e := range d.in.Pending {
		if digestKey(e.Item.IncidentID, e.Item.NoticeKey) == key {
			return
		}
	}
	d.in.Pending = append(d.in.Pending, &DigestEntry{Item: it, SendAt: d.sendTime(now, it)})
}

// sendTime is the first digest at or after both the rung and its arrival, after the last one sent.
func (d *digest) sendTime(now time.Time, it DigestItem) time.Time {
	at, err := playbook.ParseTimeOfDay(it.SendAt)
	if err != nil {
		at = 0 // parsing refused it already; a malformed item still goes out, at midnight
	}
	loc, err := time.LoadLocation(it.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	from := maxTime(it.At, now)
	if !d.in.LastSend.IsZero() && !from.After(d.in.LastSend) {
		from = d.in.LastSend.Add(time.Second)
	}
	return playbook.NextDigest(from, at, loc)
}

func (d *digest) retract(r DigestRetraction) {
	key := digestKey(r.IncidentID, r.NoticeKey)
	d.in.Pending = slices.DeleteFunc(d.in.Pending, func(e *DigestEntry) bool {
		return digestKey(e.Item.IncidentID, e.Item.NoticeKey) == key
	})
}

// drain takes in every signal already received.
func (d *digest) drain(ctx workflow.Context, add, retract workflow.ReceiveChannel) {
	now := workflow.Now(ctx)
	for {
		var it DigestItem
		if !add.ReceiveAsync(&it) {
			break
		}
		d.add(now, it)
	}
	for {
		var r DigestRetraction
		if !retract.ReceiveAsync(&r) {
			break
		}
		d.retract(r)
	}
}

func (d *digest) run(ctx workflow.Context) (*DigestResult, error) {
	add := workflow.GetSignalChannel(ctx, SignalDigestAdd)
	retract := workflow.GetSignalChannel(ctx, SignalDigestRetract)
	for {
		d.drain(ctx, add, retract)
		if d.res.Sent >= digestsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			d.prune(workflow.Now(ctx))
			return nil, workflow.NewContinueAsNewError(ctx, DigestWorkflow, d.in)
		}
		if len(d.in.Pending) == 0 {
			// Nothing pending: wait a day for more (an overdue obligation escalates again
			// tomorrow), then end. A signal that arrives while this completes makes the
			// server retry the task, which drains it; a later one starts a new run.
			if !d.wait(ctx, add, retract, idleFor) {
				continue
			}
			d.drain(ctx, add, retract)
			if len(d.in.Pending) == 0 {
				return &d.res, nil
			}
			continue
		}
		next := d.in.Pending[0].SendAt
		for _, e := range d.in.Pending {
			if e.SendAt.Before(next) {
				next = e.SendAt
			}
		}
		if wait := next.Sub(workflow.Now(ctx)); wait > 0 && !d.wait(ctx, add, retract, wait) {
			continue // a signal: drain it and look again
		}
		if err := d.send(ctx, next); err != nil {
			return nil, err
		}
	}
}

// idleFor is how long a digest with nothing pending waits for more before it ends.
const idleFor = 24 * time.Hour

// wait sleeps for d or until a signal arrives; it reports whether the time ran out.
func (d *digest) wait(ctx workflow.Context, add, retract workflow.ReceiveChannel, dur time.Duration) bool {
	timerCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	sel := workflow.NewSelector(ctx)
	fired := false
	sel.AddFuture(workflow.NewTimer(timerCtx, dur), func(workflow.Future) { fired = true })
	// The signal is left in its channel for drain.
	sel.AddReceive(add, func(workflow.ReceiveChannel, bool) {})
	sel.AddReceive(retract, func(workflow.ReceiveChannel, bool) {})
	sel.Select(ctx)
	return fired
}

// send delivers the digest due at sendAt with every item due by then (or by now, after an
// outage: one mail, not one per missed day), and tells the incidents.
func (d *digest) send(ctx workflow.Context, sendAt time.Time) error {
	now := workflow.Now(ctx)
	cutoff := maxTime(sendAt, now)
	var due []*DigestEntry
	for _, e := range d.in.Pending {
		if !e.SendAt.After(cutoff) {
			due = append(due, e)
		}
	}
	data := digestData(due, now)
	renderCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 10 * time.Minute},
	})
	var rendered templates.Rendered
	if err := workflow.ExecuteActivity(renderCtx, acts.RenderNotice, activities.RenderNoticeInput{Template: templates.KindDigest, Data: data}).Get(ctx, &rendered); err != nil {
		// A broken digest template will not fix itself: keep the items and fail visibly.
		return fmt.Errorf("rendering the digest: %w", err)
	}
	// The Message-ID is the recipient's and the day's: a retried send, or a second run of the
	// same day's digest, is recognized by the ledger as the same message.
	id := DigestMessageID(d.in.Recipient, sendAt)
	sendCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		// Retried until delivered: a digest is never dropped.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: time.Hour, NonRetryableErrorTypes: []string{"BadMessage"}},
	})
	var res activities.SendNoticeResult
	err := workflow.ExecuteActivity(sendCtx, acts.SendNotice, activities.SendNoticeInput{
		NoticeKey: "digest/" + sendAt.UTC().Format("2006-01-02T1504Z"),
		MessageID: id,
		To:        []string{d.in.Recipient},
		Date:      sendAt,
		Notice:    rendered,
	}).Get(ctx, &res)
	if err != nil {
		return fmt.Errorf("sending the digest: %w", err)
	}
	sentAt := workflow.Now(ctx)
	d.in.LastSend = sendAt
	d.res.Sent++
	d.res.Items += len(due)
	byIncident := map[string][]NoticeKey{}
	for _, e := range due {
		d.in.Sent[digestKey(e.Item.IncidentID, e.Item.NoticeKey)] = sentAt
		byIncident[e.Item.IncidentID] = append(byIncident[e.Item.IncidentID], NoticeKey(e.Item.NoticeKey))
	}
	d.in.Pending = slices.DeleteFunc(d.in.Pending, func(e *DigestEntry) bool { return slices.Contains(due, e) })
	d.logger.Info("Digest delivered", "MessageID", id, "Items", len(due), "Incidents", len(byIncident))
	// Each incident records the delivery against its escalations. One that has closed (or is
	// gone) cannot: the delivery is still in this history and the ledger.
	futures := map[string]workflow.Future{}
	for _, inc := range slices.Sorted(maps.Keys(byIncident)) {
		futures[inc] = workflow.SignalExternalWorkflow(ctx, IncidentWorkflowID(inc), "", SignalDigestDelivered, DigestDelivered{
			NoticeKeys: byIncident[inc], MessageID: id, SentAt: sentAt, Transport: res.Transport, Receipt: res.Receipt,
		})
	}
	for _, inc := range slices.Sorted(maps.Keys(byIncident)) {
		if err := futures[inc].Get(ctx, nil); err != nil {
			d.logger.Warn("Could not tell an incident of its digest delivery", "IncidentID", inc, "Error", err)
		}
	}
	return nil
}

// prune forgets the items sent longer ago than digestMemory.
func (d *digest) prune(now time.Time) {
	for _, k := range slices.Sorted(maps.Keys(d.in.Sent)) {
		if now.Sub(d.in.Sent[k]) > digestMemory {
			delete(d.in.Sent, k)
		}
	}
}

// digestData orders the items by incident, then deadline, for the template.
func digestData(due []*DigestEntry, now time.Time) templates.Data {
	items := make([]templates.DigestItemData, 0, len(due))
	incidents := map[string]bool{}
	for _, e := range due {
		it := e.Item
		incidents[it.IncidentID] = true
		item := templates.DigestItemData{
			IncidentID: it.IncidentID, IncidentTitle: it.IncidentTitle,
			ObligationID: it.ObligationID, ObligationTitle: it.ObligationTitle, Citation: it.Citation,
			InternalTarget: it.InternalTarget, Rung: it.Label,
		}
		if it.Kind == templates.KindEscalation && !it.Deadline.IsZero() {
			item.Overdue, item.Deadline, item.Late = true, it.Deadline, max(now.Sub(it.Deadline), 0)
		} else if !it.OpenSince.IsZero() {
			item.OpenFor = max(now.Sub(it.OpenSince), 0)
		}
		items = append(items, item)
	}
	slices.SortStableFunc(items, func(a, b templates.DigestItemData) int {
		if c := strings.Compare(a.IncidentID, b.IncidentID); c != 0 {
			return c
		}
		if a.Overdue != b.Overdue {
			if a.Overdue {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ObligationID, b.ObligationID)
	})
	zone := "UTC"
	if len(due) > 0 && due[0].Item.TimeZone != "" {
		zone = due[0].Item.TimeZone
	}
	return templates.Data{Kind: templates.KindDigest, GeneratedAt: now, TimeZone: zone,
		Digest: &templates.DigestData{Items: items, Incidents: len(incidents)}}
}

// DigestMessageID is the Message-ID of a recipient's digest sent at sendAt: derived from the
// normalized address and the moment, carrying neither in the clear.
func DigestMessageID(recipient string, sendAt time.Time) string {
	sum := sha256.Sum256([]byte(NormalizeRecipient(recipient) + "\x00" + sendAt.UTC().Format(time.RFC3339)))
	return "<digest." + sendAt.UTC().Format("20060102T1504Z") + "." + hex.EncodeToString(sum[:8]) + "@breachflow>"
}
