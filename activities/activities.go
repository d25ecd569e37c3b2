// Package activities holds everything the incident workflow does to the outside world: rendering
// notices from templates and delivering them by SMTP or into an outbox folder of .eml files.
//
// Delivery is idempotent per Message-ID. The Message-ID is derived from the incident, the notice
// and its content hash, and a ledger of delivered Message-IDs is consulted before every send, so a
// retried activity whose earlier attempt succeeded does not deliver twice. The one window left is
// a crash after the SMTP server accepted the message and before the ledger was written; the
// retry then delivers a second copy with the same Message-ID, which receiving systems can drop,
// and reports it (SendNoticeResult.PossibleDuplicate). See Ledger for the claim protocol.
package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jordan-wright/email"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/breachflow/breachflow/templates"
)

// Activities holds the dependencies of the engine's activities. Register one value with the
// worker; workflows name its methods through a nil pointer.
type Activities struct {
	// Templates renders notices.
	Templates *templates.Set
	// Transport delivers composed messages.
	Transport Transport
	// Ledger claims Message-IDs before delivery and remembers delivered ones.
	Ledger Ledger
	// ClaimLease and RenewEvery time the ledger claim (DefaultClaimLease, DefaultRenewEvery).
	ClaimLease time.Duration
	RenewEvery time.Duration
	// From is the sender address of every notice.
	From string
	// Digests receives escalations handed to daily digests; nil when no playbook uses them.
	Digests DigestSink
}

// Transport delivers one composed message.
type Transport interface {
	// Name is "smtp" or "outbox".
	Name() string
	// Deliver sends raw (an RFC 5322 message) to the envelope recipients and returns a receipt:
	// the server's final reply, or the outbox file written.
	Deliver(ctx context.Context, messageID, from string, rcpts []string, raw []byte) (string, error)
}

// RenderNoticeInput is the input of RenderNotice.
type RenderNoticeInput struct {
	Template string         `json:"template"`
	Data     templates.Data `json:"data"`
}

// RenderNotice renders a notice; its result, stored in the workflow history, is the exact text sent.
func (a *Activities) RenderNotice(ctx context.Context, in RenderNoticeInput) (templates.Rendered, error) {
	r, err := a.Templates.Render(in.Template, in.Data)
	if err != nil {
		// A template error will not fix itself on retry: a person must fix the template.
		return templates.Rendered{}, temporal.NewNonRetryableApplicationError(err.Error(), "TemplateError", nil)
	}
	return r, nil
}

// SendNoticeInput is the input of SendNotice.
type SendNoticeInput struct {
	IncidentID string `json:"incident_id"`
	// NoticeKey identifies the notice within the incident (e.g. "cisa-report/notice"); it holds
	// no personal data and may be logged.
	NoticeKey string `json:"notice_key"`
	MessageID string `json:"message_id"`
	// To and Cc are RFC 5322 addresses, "Name <addr>" or "addr".
	To []string `json:"to"`
	Cc []string `json:"cc,omitempty"`
	// Date is the message's Date header, fixed when the notice was requested so that every
	// attempt composes the same message.
	Date   time.Time          `json:"date"`
	Notice templates.Rendered `json:"notice"`
	// Template and Kind name the notice template and kind (notice, reminder, escalation,
	// hold-expiring); Due is when the notice was meant to leave (zero when there is none). They
	// label metrics and never change the message; histories written before them lack them.
	Template string    `json:"template,omitempty"`
	Kind     string    `json:"kind,omitempty"`
	Due      time.Time `json:"due,omitzero"`
}

// SendNoticeResult is the delivery receipt of a notice.
type SendNoticeResult struct {
	MessageID string    `json:"message_id"`
	Transport string    `json:"transport"`
	Receipt   string    `json:"receipt"`
	SentAt    time.Time `json:"sent_at"`
	// AlreadySent is true when the ledger showed an earlier attempt had delivered it.
	AlreadySent bool `json:"already_sent,omitempty"`
	// PossibleDuplicate says why this delivery may be a second copy of its Message-ID (a
	// recovered expired claim, or the ledger counting an earlier delivery); empty otherwise.
	PossibleDuplicate string `json:"possible_duplicate,omitempty"`
}

// Claim timing of the send activity. The lease outlives the workflow's heartbeat timeout, so an
// attempt retried after a dead worker's heartbeat timeout waits at most a few seconds for the dead
// claim to expire; a live attempt renews it long before it runs out.
const (
	// DefaultClaimLease is how long a claim lasts without renewal.
	DefaultClaimLease = 15 * time.Second
	// DefaultRenewEvery is how often a delivering attempt heartbeats and renews its claim.
	DefaultRenewEvery = 3 * time.Second
)

// SendNotice composes and delivers a notice unless the ledger shows it was delivered already or
// is being delivered by another live attempt (then it fails, to be retried, without sending).
// While the SMTP conversation runs it heartbeats to Temporal and renews its claim, so a dead
// worker's notice is retried by another worker within seconds; if the claim is taken over (this
// process was frozen past its lease) the conversation is cut short.
func (a *Activities) SendNotice(ctx context.Context, in SendNoticeInput) (SendNoticeResult, error) {
	logger := activity.GetLogger(ctx)
	holder := claimHolder(ctx)
	claim, err := a.Ledger.Claim(ctx, in.MessageID, holder, a.lease())
	if err != nil {
		return SendNoticeResult{}, err
	}
	switch claim.State {
	case ClaimDelivered:
		logger.Info("Notice already delivered; not sending again", "MessageID", in.MessageID)
		r := claim.Receipt
		r.AlreadySent = true
		return r, nil
	case ClaimBusy:
		return SendNoticeResult{}, BusyError(in.MessageID, claim)
	}
	// From here on the claim is ours: give it back unless the message went out.
	release := func() {
		if err := a.Ledger.Release(context.WithoutCancel(ctx), in.MessageID, holder); err != nil {
			logger.Warn("Send ledger claim not released; it expires with its lease", "MessageID", in.MessageID, "Error", err)
		}
	}
	raw, rcpts, err := Compose(a.From, in)
	if err != nil {
		release()
		return SendNoticeResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "BadMessage", nil)
	}
	sendCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := a.keepClaim(sendCtx, cancel, in.MessageID, holder)
	receipt, err := a.Transport.Deliver(sendCtx, in.MessageID, a.From, rcpts, raw)
	stop()
	if err != nil {
		if cause := context.Cause(sendCtx); errors.Is(cause, ErrClaimLost) {
			return SendNoticeResult{}, fmt.Errorf("delivery of %s stopped: %w", in.MessageID, cause)
		}
		release()
		return SendNoticeResult{}, err
	}
	res := SendNoticeResult{MessageID: in.MessageID, Transport: a.Transport.Name(), Receipt: receipt, SentAt: time.Now().UTC()}
	if claim.RecoveredFrom != "" {
		res.PossibleDuplicate = "sent under a recovered claim: the earlier attempt " + claim.RecoveredFrom +
			" stopped renewing it and may have delivered the same Message-ID before it did"
	}
	n, err := a.Ledger.Delivered(context.WithoutCancel(ctx), holder, res)
	switch {
	case err != nil:
		// The message went out; failing here would send it again. Keep the receipt in the
		// history (the workflow records it) and report the ledger problem.
		logger.Error("Notice delivered but the ledger could not record it", "MessageID", in.MessageID, "Error", err)
	case n > 1:
		res.PossibleDuplicate = fmt.Sprintf("delivered again: the send ledger counts %d deliveries of this Message-ID", n)
	}
	if res.PossibleDuplicate != "" {
		logger.Warn("Notice may have been delivered twice", "Notice", in.NoticeKey, "MessageID", in.MessageID, "Why", res.PossibleDuplicate)
	}
	logger.Info("Notice delivered", "Notice", in.NoticeKey, "MessageID", in.MessageID, "Transport", res.Transport)
	return res, nil
}

// keepClaim heartbeats and renews the claim until the returned func is called; a lost claim
// cancels ctx with ErrClaimLost.
func (a *Activities) keepClaim(ctx context.Context, cancel context.CancelCauseFunc, messageID, holder string) func() {
	every := a.RenewEvery
	if every <= 0 {
		every = DefaultRenewEvery
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			activity.RecordHeartbeat(ctx, messageID)
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := a.Ledger.Renew(ctx, messageID, holder, a.lease())
			if errors.Is(err, ErrClaimLost) {
				cancel(ErrClaimLost)
				return
			}
			if err != nil && ctx.Err() == nil {
				activity.GetLogger(ctx).Warn("Send ledger claim not renewed", "MessageID", messageID, "Error", err)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func (a *Activities) lease() time.Duration {
	if a.ClaimLease > 0 {
		return a.ClaimLease
	}
	return DefaultClaimLease
}

// claimHolder names this attempt in the ledger: workflow, activity, attempt and process. IDs and a
// host name only, never incident data.
func claimHolder(ctx context.Context) string {
	host, _ := os.Hostname()
	if !activity.IsActivity(ctx) {
		return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	// The random tail keeps two attempts apart even if everything else matched (two containers
	// with one host name and PID 1).
	info := activity.GetInfo(ctx)
	return fmt.Sprintf("%s/%s#%d@%s/%d/%s", info.WorkflowExecution.ID, info.ActivityID, info.Attempt, host, os.Getpid(), uuid.NewString()[:8])
}

// Compose builds the RFC 5322 message and the envelope recipients.
func Compose(from string, in SendNoticeInput) ([]byte, []string, error) {
	if len(in.To) == 0 {
		return nil, nil, errors.New("no recipients: add a contact for the notice's roles")
	}
	var rcpts []string
	for _, list := range [][]string{in.To, in.Cc} {
		for _, s := range list {
			a, err := mail.ParseAddress(s)
			if err != nil {
				return nil, nil, fmt.Errorf("bad recipient address: %w", err)
			}
			rcpts = append(rcpts, a.Address)
		}
	}
	e := email.NewEmail()
	e.From = from
	e.To = in.To
	e.Cc = in.Cc
	e.Subject = in.Notice.Subject
	e.Text = []byte(in.Notice.Text)
	e.HTML = []byte(in.Notice.HTML)
	e.Headers.Set("Message-Id", in.MessageID)
	e.Headers.Set("Date", in.Date.UTC().Format(time.RFC1123Z))
	if in.IncidentID != "" { // a digest belongs to no single incident
		e.Headers.Set("X-Breachflow-Incident", in.IncidentID)
	}
	e.Headers.Set("X-Breachflow-Content-Hash", in.Notice.ContentHash)
	raw, err := e.Bytes()
	if err != nil {
		return nil, nil, fmt.Errorf("composing message: %w", err)
	}
	return raw, rcpts, nil
}

// MessageID is the deterministic Message-ID of a notice: the same incident, notice key and
// content always give the same ID, so a repeated delivery is recognizable as the same message.
func MessageID(incidentID, key, contentHash string) string {
	sum := sha256.Sum256([]byte(incidentID + "\x00" + key + "\x00" + contentHash))
	local := strings.NewReplacer("/", ".", ":", ".").Replace(key) + "." + hex.EncodeToString(sum[:8])
	return "<" + local + "@" + strings.ToLower(incidentID) + ".breachflow>"
}
