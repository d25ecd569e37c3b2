package workflows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// bouncer is a real Transport that refuses, like a mail server's 550, any recipient in a domain.
type bouncer struct {
	domain string
	next   activities.Transport
}

func (b *bouncer) Name() string { return "bouncer" }

func (b *bouncer) Deliver(ctx context.Context, id, from string, rcpts []string, raw []byte) (string, error) {
	for _, r := range rcpts {
		if strings.HasSuffix(r, "@"+b.domain) {
			return "", temporal.NewNonRetryableApplicationError("550 5.1.1 recipient unknown", "SMTPPermanent", nil)
		}
	}
	return b.next.Deliver(ctx, id, from, rcpts, raw)
}

// TestFixingAContactRetriesAtOnce: a notice bouncing on a typo'd address is failing in status;
// correcting the role's contacts retries it at once, to the new address.
func TestFixingAContactRetriesAtOnce(t *testing.T) {
	t0 := time.Date(2019, 5, 31, 9, 0, 0, 0, ny)
	b := &bouncer{domain: "fbi.exmaple"}
	h := newHarness(t, t0, b)
	b.next = &activities.Outbox{Dir: h.outbox}
	in := cbpInput(t, t0)
	in.Contacts["law_enforcement"] = []playbook.Contact{{Email: "cyber-liaison@fbi.exmaple"}}
	fix := func(at time.Duration, in workflows.SetContactsInput, want string) {
		h.do(at, workflows.UpdateSetContacts, in, want)
	}

	h.do(hour, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "law-enforcement", By: "a"}, "")
	h.snapshot(hour + 5*time.Minute)
	fix(hour+6*time.Minute, workflows.SetContactsInput{Role: "fbi", Contacts: []playbook.Contact{{Email: "x@fbi.example"}}, By: "a", Reason: "typo"}, `unknown role "fbi"`)
	fix(hour+7*time.Minute, workflows.SetContactsInput{Role: "law_enforcement", Contacts: []playbook.Contact{{Email: "fbi.example"}}, By: "a", Reason: "typo"}, "malformed e-mail address")
	fix(hour+8*time.Minute, workflows.SetContactsInput{Role: "law_enforcement", Contacts: []playbook.Contact{{Email: "x@fbi.example"}}, By: "a"}, "reason is required")
	many := make([]playbook.Contact, playbook.MaxContactsPerRole+1)
	for i := range many {
		many[i] = playbook.Contact{Email: fmt.Sprintf("agent%d@fbi.example", i)}
	}
	fix(hour+9*time.Minute, workflows.SetContactsInput{Role: "law_enforcement", Contacts: many, By: "a", Reason: "everyone"}, "at most 50 per role")
	fix(hour+10*time.Minute, workflows.SetContactsInput{Role: "law_enforcement", Contacts: []playbook.Contact{{Email: "cyber-liaison@fbi.example"}}, By: "a", Reason: "bounced: typo in the domain"}, "")
	h.snapshot(hour + 11*time.Minute)
	h.do(2*hour, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "test over"}, "")
	h.run(in)

	failing := noticeOf(h.snaps[hour+5*time.Minute], "law-enforcement/notice")
	require.Equal(t, workflows.NoticeFailing, failing.State)
	require.Contains(t, failing.LastError, "550")

	sent := noticeOf(h.snaps[hour+11*time.Minute], "law-enforcement/notice")
	require.Equal(t, workflows.NoticeSent, sent.State)
	require.True(t, sent.SentAt.Equal(t0.Add(hour+10*time.Minute)), "retried at once, not after the round backoff: %s", sent.SentAt)
	require.Equal(t, []string{"cyber-liaison@fbi.example"}, sent.To)
}
