// Package activities holds everything the incident workflow does to the outside world: rendering
// notices from templates and delivering them by SMTP or into an outbox folder of .eml files.
//
// Delivery is idempotent per Message-ID. The Message-ID is derived from the incident, the notice
// and its content hash, and a ledger of delivered Message-IDs is consulted before every send, so a
// retried activity whose earlier attempt succeeded does not deliver twice. The one window left is
// a crash after the SMTP server accepted the message and before the ledger was written; the
// retry then delivers a second copy with the same Message-ID, which receiving systems can drop.
package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

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
	// Ledger remembers delivered Message-IDs.
	Ledger *Ledger
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
}

// SendNoticeResult is the delivery receipt of a notice.
type SendNoticeResult struct {
	MessageID string    `json:"message_id"`
	Transport string    `json:"transport"`
	Receipt   string    `json:"receipt"`
	SentAt    time.Time `json:"sent_at"`
	// AlreadySent is true when the ledger showed an earlier attempt had delivered it.
	AlreadySent bool `json:"already_sent,omitempty"`
}

// SendNotice composes and delivers a notice unless the ledger shows it was delivered already.
func (a *Activities) SendNotice(ctx context.Context, in SendNoticeInput) (SendNoticeResult, error) {
	logger := activity.GetLogger(ctx)
	if r, ok, err := a.Ledger.Lookup(in.MessageID); err != nil {
		return SendNoticeResult{}, err
	} else if ok {
		logger.Info("Notice already delivered; not sending again", "MessageID", in.MessageID)
		r.AlreadySent = true
		return r, nil
	}
	raw, rcpts, err := Compose(a.From, in)
	if err != nil {
		return SendNoticeResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "BadMessage", nil)
	}
	receipt, err := a.Transport.Deliver(ctx, in.MessageID, a.From, rcpts, raw)
	if err != nil {
		return SendNoticeResult{}, err
	}
	res := SendNoticeResult{MessageID: in.MessageID, Transport: a.Transport.Name(), Receipt: receipt, SentAt: time.Now().UTC()}
	if err := a.Ledger.Record(res); err != nil {
		// The message went out; failing here would send it again. Keep the receipt in the
		// history (the workflow records it) and report the ledger problem.
		logger.Error("Notice delivered but the ledger could not record it", "MessageID", in.MessageID, "Error", err)
	}
	logger.Info("Notice delivered", "Notice", in.NoticeKey, "MessageID", in.MessageID, "Transport", res.Transport)
	return res, nil
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
