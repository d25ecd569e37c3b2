package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/smtptest"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// digestPlaybook escalates every minute (the shortest cadence) and gathers the repeats into a
// digest at a time of day the test sets a few seconds ahead.
const digestPlaybook = `
format: 1
name: digest
version: "1"
title: Escalations in a daily digest
defaults:
  reminders: []
  time_zone: UTC
  digest: {at: "%s"}
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
  boss: {title: Boss, contacts: [{email: boss@agency.example}]}
obligations:
  - id: report
    title: Report
    citation: test
    owner: owner
    anchor: discovery
    deadline: {clock: hours, amount: 1}
    escalation: {to: [boss], every: 1m}
`

// TestDigestOverRealServer: two incidents of one owner and one escalation contact, on the
// embedded server with a real SMTP server. Each incident's first escalation is mailed at once;
// the next ones of both incidents reach each recipient as one digest at the digest's time, which
// the incidents then show as delivered in that digest.
func TestDigestOverRealServer(t *testing.T) {
	smtpd := smtptest.Start(t, smtptest.Options{})
	transport, err := activities.NewSMTP(activities.SMTPConfig{Host: "127.0.0.1", Port: smtpd.Port(), Security: activities.SecurityPlain})
	require.NoError(t, err)
	s := startStack(t, t.TempDir(), transport)

	ids, digestAt := startDigestIncidents(t, s)

	// Two first escalations (to the boss, the owner in copy) and two digests (boss, owner).
	msgs := smtpd.WaitFor(t, 4, 60*time.Second)
	var digests []smtptest.Message
	for _, m := range msgs {
		if strings.HasPrefix(m.MessageID, "<digest.") {
			digests = append(digests, m)
			continue
		}
		require.Contains(t, m.MessageID, "report.escalation.", "only the first escalation is mailed on its own")
		require.Contains(t, m.MessageID, ".2.", "the first mailed stands for escalations 1 and 2")
	}
	require.Len(t, digests, 2)
	perRecipientDay := map[string]int{}
	for _, d := range digests {
		require.Len(t, d.To, 1)
		perRecipientDay[d.To[0]+" "+d.ReceivedAt.UTC().Format(time.DateOnly)]++
		require.False(t, d.ReceivedAt.Before(digestAt), "a digest waits for its time of day")
		for _, id := range ids {
			require.Equal(t, 1, strings.Count(d.Text, "["+id+"]"), "each incident listed once:\n%s", d.Text)
		}
		require.Contains(t, d.Subject, "2 open obligations in 2 incidents")
		require.NotContains(t, d.HTML, "<b>breach</b>", "an incident title is escaped")
		require.Equal(t, workflows.DigestMessageID(d.To[0], digestAt), d.MessageID)
	}
	require.Equal(t, map[string]int{
		"boss@agency.example " + digestAt.Format(time.DateOnly):  1,
		"owner@agency.example " + digestAt.Format(time.DateOnly): 1,
	}, perRecipientDay, "one digest per recipient per day")

	// Each incident records escalation 3 as delivered in a digest.
	for _, id := range ids {
		digestDelivered(t, s, id)
		_, err := update(t, s.client, id, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "report", By: "a"})
		require.NoError(t, err)
	}
	for _, n := range smtpd.CountByMessageID() {
		require.Equal(t, 1, n, "no mail twice")
	}
	require.Len(t, smtpd.Messages(), 4)
}

// startDigestIncidents starts two incidents of digestPlaybook whose deadline passed 115 s ago:
// escalations 1 and 2 are due at once (one mail, the first of its series), escalation 3 falls 5 s
// from now (to the digest), the digest goes out 20 s from now, and escalation 4 would fall 65 s
// from now.
func startDigestIncidents(t *testing.T, s *stack) (ids []string, digestAt time.Time) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	discovered := now.Add(-time.Hour - 115*time.Second)
	digestAt = now.Add(20 * time.Second)
	pb, err := playbook.Parse("digest.yaml", []byte(fmt.Sprintf(digestPlaybook, digestAt.Format("15:04:05"))), s.templates)
	require.NoError(t, err)
	for i, title := range []string{"Stolen laptop", "Vendor <b>breach</b>"} {
		id := workflows.NewIncidentID()
		ids = append(ids, id)
		_, err := s.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
			workflows.IncidentWorkflow, workflows.StartIncidentInput{IncidentID: id, Title: title, DiscoveredAt: discovered.Add(time.Duration(i) * time.Second), Playbook: *pb, StartedBy: "a"})
		require.NoError(t, err)
	}
	return ids, digestAt
}

// digestDelivered waits until the incident shows escalation 3 delivered in a digest.
func digestDelivered(t *testing.T, s *stack, id string) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, n := range status(t, s.client, id).Notices {
			if strings.HasSuffix(n.Key.String(), "/3") {
				return n.State == workflows.NoticeSent && strings.HasPrefix(n.MessageID, "<digest.")
			}
		}
		return false
	}, 60*time.Second, 100*time.Millisecond, "incident %s shows escalation 3 delivered in a digest", id)
}
