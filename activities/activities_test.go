package activities_test

import (
	"bytes"
	"context"
	"errors"
	"net/mail"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/smtptest"
	"github.com/breachflow/breachflow/templates"
)

const (
	testIncident = "INC-3f1c2a9e-5b7d-4e21-9a0c-7d2e8b6f4a10"
	testFrom     = "incident-desk@agency.example"
)

// noticeData is a complete notice for the cisa-report template.
func noticeData() templates.Data {
	discovered := time.Date(2019, 5, 31, 13, 0, 0, 0, time.UTC)
	return templates.Data{
		Kind: templates.KindNotice,
		Incident: templates.IncidentData{
			ID:              testIncident,
			Title:           "Subcontractor network breach — traveler images",
			Summary:         "A subcontractor copied images to its own network, which was compromised.",
			DiscoveredAt:    discovered,
			PlaybookName:    "us-federal-breach",
			PlaybookVersion: "1",
		},
		Obligation: templates.ObligationData{
			ID:       "cisa-report",
			Title:    "Report the incident to CISA",
			Citation: "CISA Federal Incident Notification Guidelines (2017)",
			Deadline: discovered.Add(time.Hour),
			AnchorAt: discovered,
		},
		Facts: map[string]string{
			"summary":          "Images of travelers were copied to a subcontractor network that was then attacked.",
			"occurred_at":      "2019-05-13T00:00:00Z",
			"detected_how":     "Reported by the subcontractor",
			"data_types":       "Images of travelers & license plates <not> \"quoted\"",
			"affected_count":   "184000",
			"pii_involved":     "true",
			"vendor_involved":  "true",
			"vendor_name":      "Example Imaging",
			"point_of_contact": "Privacy Office, privacy@agency.example",
		},
		To:          []string{"CISA"},
		GeneratedAt: discovered.Add(10 * time.Minute),
		TimeZone:    "America/New_York",
	}
}

// renderNotice renders the cisa-report notice with the embedded templates.
func renderNotice(t *testing.T) templates.Rendered {
	t.Helper()
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	a := &activities.Activities{Templates: set}
	r, err := a.RenderNotice(context.Background(), activities.RenderNoticeInput{Template: "cisa-report", Data: noticeData()})
	require.NoError(t, err)
	return r
}

// sendInput is a SendNotice input for the notice.
func sendInput(r templates.Rendered) activities.SendNoticeInput {
	return activities.SendNoticeInput{
		IncidentID: testIncident,
		MessageID:  activities.MessageID(testIncident, "cisa-report/notice", r.ContentHash),
		To:         []string{"CISA Central <report@cisa.example>", "soc@agency.example"},
		Cc:         []string{"Privacy Officer <privacy@agency.example>"},
		Date:       time.Date(2019, 5, 31, 13, 10, 0, 0, time.UTC),
		Notice:     r,
	}
}

// plainSMTP is an SMTP transport to a plain (loopback) test server.
func plainSMTP(t *testing.T, s *smtptest.Server) *activities.SMTP {
	t.Helper()
	tr, err := activities.NewSMTP(activities.SMTPConfig{Host: s.Host(), Port: s.Port(), Security: activities.SecurityPlain, Timeout: 10 * time.Second})
	require.NoError(t, err)
	return tr
}

// sendNotice runs SendNotice in an activity context (it logs through the activity logger).
func sendNotice(t *testing.T, a *activities.Activities, in activities.SendNoticeInput) (activities.SendNoticeResult, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	val, err := env.ExecuteActivity(a.SendNotice, in)
	if err != nil {
		return activities.SendNoticeResult{}, err
	}
	var res activities.SendNoticeResult
	require.NoError(t, val.Get(&res))
	return res, nil
}

func newActivities(t *testing.T, tr activities.Transport, ledgerDir string) *activities.Activities {
	t.Helper()
	l, err := activities.OpenLedger(ledgerDir)
	require.NoError(t, err)
	return &activities.Activities{Transport: tr, Ledger: l, From: testFrom}
}

func TestSendNoticeDeliversOnce(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	ledger := t.TempDir()
	a := newActivities(t, plainSMTP(t, s), ledger)
	in := sendInput(renderNotice(t))

	first, err := sendNotice(t, a, in)
	require.NoError(t, err)
	require.False(t, first.AlreadySent)
	require.Equal(t, in.MessageID, first.MessageID)
	require.Equal(t, "smtp", first.Transport)
	require.Equal(t, "250 2.0.0 Ok: queued as 1", first.Receipt)
	require.False(t, first.SentAt.IsZero())

	second, err := sendNotice(t, a, in)
	require.NoError(t, err)
	require.True(t, second.AlreadySent)
	require.Equal(t, first.Receipt, second.Receipt)
	require.Equal(t, first.MessageID, second.MessageID)

	// Another worker sharing the ledger folder does not send it either.
	third, err := sendNotice(t, newActivities(t, plainSMTP(t, s), ledger), in)
	require.NoError(t, err)
	require.True(t, third.AlreadySent)

	s.WaitFor(t, 1, 5*time.Second)
	require.Equal(t, map[string]int{in.MessageID: 1}, s.CountByMessageID())

	// Different content is a different message, and it is delivered.
	changed := in
	changed.Notice.Text += "Update: more facts.\n"
	changed.Notice.ContentHash = templates.Hash(changed.Notice.Subject, changed.Notice.Text, changed.Notice.HTML)
	changed.MessageID = activities.MessageID(testIncident, "cisa-report/notice", changed.Notice.ContentHash)
	require.NotEqual(t, in.MessageID, changed.MessageID)
	res, err := sendNotice(t, a, changed)
	require.NoError(t, err)
	require.False(t, res.AlreadySent)
	s.WaitFor(t, 2, 5*time.Second)
	require.Equal(t, map[string]int{in.MessageID: 1, changed.MessageID: 1}, s.CountByMessageID())
}

func TestSendNoticeRetriesAfterFailedDelivery(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	a := newActivities(t, plainSMTP(t, s), t.TempDir())
	in := sendInput(renderNotice(t))

	s.RejectNext(1, 451)
	_, err := sendNotice(t, a, in)
	require.Error(t, err)
	require.Empty(t, s.Messages())

	// The failed attempt left no ledger entry: the retry delivers.
	res, err := sendNotice(t, a, in)
	require.NoError(t, err)
	require.False(t, res.AlreadySent)
	require.Equal(t, map[string]int{in.MessageID: 1}, s.CountByMessageID())
}

func TestSendNoticeDeliveredMessage(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	a := newActivities(t, plainSMTP(t, s), t.TempDir())
	r := renderNotice(t)
	in := sendInput(r)

	_, err := sendNotice(t, a, in)
	require.NoError(t, err)
	m := s.WaitFor(t, 1, 5*time.Second)[0]

	require.Equal(t, testFrom, m.From)
	require.ElementsMatch(t, []string{"report@cisa.example", "soc@agency.example", "privacy@agency.example"}, m.To, "envelope recipients include Cc")

	to, err := m.Header.AddressList("To")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Name: "CISA Central", Address: "report@cisa.example"}, {Address: "soc@agency.example"}}, to)
	cc, err := m.Header.AddressList("Cc")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Name: "Privacy Officer", Address: "privacy@agency.example"}}, cc)
	from, err := m.Header.AddressList("From")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Address: testFrom}}, from)
	_, hasBcc := m.Header["Bcc"]
	require.False(t, hasBcc)

	require.Equal(t, r.Subject, m.Subject)
	require.Equal(t, in.MessageID, m.MessageID)
	require.Equal(t, in.MessageID, m.Header.Get("Message-Id"))
	date, err := m.Header.Date()
	require.NoError(t, err)
	require.True(t, date.Equal(in.Date), "Date header %v, want %v", date, in.Date)
	require.Equal(t, testIncident, m.Header.Get("X-Breachflow-Incident"))
	require.Equal(t, r.ContentHash, m.Header.Get("X-Breachflow-Content-Hash"))

	require.Equal(t, r.Text, m.Text)
	require.Equal(t, r.HTML, m.HTML)
	require.Contains(t, m.HTML, "&amp;", "the HTML part keeps html/template's escaping")
}

func TestSendNoticeDisplayNameSender(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	a := newActivities(t, plainSMTP(t, s), t.TempDir())
	a.From = "Incident Desk <" + testFrom + ">"
	in := sendInput(renderNotice(t))

	_, err := sendNotice(t, a, in)
	require.NoError(t, err)
	m := s.WaitFor(t, 1, 5*time.Second)[0]
	require.Equal(t, testFrom, m.From, "the envelope sender is the bare address")
	from, err := m.Header.AddressList("From")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Name: "Incident Desk", Address: testFrom}}, from)
}

func TestSendNoticeBadRecipientIsNonRetryable(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	a := newActivities(t, plainSMTP(t, s), t.TempDir())
	in := sendInput(renderNotice(t))
	in.Cc = []string{"not an address"}
	_, err := sendNotice(t, a, in)
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.True(t, appErr.NonRetryable())
	require.Equal(t, "BadMessage", appErr.Type())
	require.Empty(t, s.Messages())
}

func TestMessageID(t *testing.T) {
	const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	id := activities.MessageID(testIncident, "cisa-report/notice", hash)
	require.Equal(t, id, activities.MessageID(testIncident, "cisa-report/notice", hash), "deterministic")
	require.NotEqual(t, id, activities.MessageID(testIncident, "cisa-report/reminder:1", hash), "another key")
	require.NotEqual(t, id, activities.MessageID(testIncident, "cisa-report/notice", "0"+hash[1:]), "another content hash")
	require.NotEqual(t, id, activities.MessageID("INC-00000000-0000-0000-0000-000000000000", "cisa-report/notice", hash), "another incident")

	// RFC 5322 msg-id: "<" dot-atom-text "@" dot-atom-text ">".
	const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
	msgID := regexp.MustCompile(`^<` + atom + `(\.` + atom + `)*@` + atom + `(\.` + atom + `)*>$`)
	for _, key := range []string{"cisa-report/notice", "cisa-report/reminder:1", "omb-report/escalation"} {
		require.Regexp(t, msgID, activities.MessageID(testIncident, key, hash))
	}
}

func TestCompose(t *testing.T) {
	in := sendInput(renderNotice(t))

	raw, rcpts, err := activities.Compose(testFrom, in)
	require.NoError(t, err)
	require.Equal(t, []string{"report@cisa.example", "soc@agency.example", "privacy@agency.example"}, rcpts)
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, in.MessageID, msg.Header.Get("Message-Id"))

	// Composing again gives the same message but for the MIME boundaries.
	raw2, _, err := activities.Compose(testFrom, in)
	require.NoError(t, err)
	msg2, err := mail.ReadMessage(bytes.NewReader(raw2))
	require.NoError(t, err)
	for _, h := range []string{"Message-Id", "Date", "Subject", "To", "Cc", "From"} {
		require.Equal(t, msg.Header.Get(h), msg2.Header.Get(h), h)
	}

	noRcpt := in
	noRcpt.To, noRcpt.Cc = nil, []string{"privacy@agency.example"}
	_, _, err = activities.Compose(testFrom, noRcpt)
	require.ErrorContains(t, err, "no recipients")

	bad := in
	bad.To = []string{"soc@agency.example", "soc at agency"}
	_, _, err = activities.Compose(testFrom, bad)
	require.ErrorContains(t, err, "bad recipient")
}

func TestRenderNotice(t *testing.T) {
	r := renderNotice(t)
	require.NotEmpty(t, r.Subject)
	require.Contains(t, r.Subject, testIncident)
	require.NotEmpty(t, r.Text)
	require.NotEmpty(t, r.HTML)
	require.Regexp(t, `^[0-9a-f]{64}$`, r.ContentHash)
	require.Equal(t, templates.Hash(r.Subject, r.Text, r.HTML), r.ContentHash)

	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	a := &activities.Activities{Templates: set}
	_, err = a.RenderNotice(context.Background(), activities.RenderNoticeInput{Template: "no-such-template", Data: noticeData()})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an ApplicationError, got %T %v", err, err)
	require.True(t, appErr.NonRetryable())
	require.Equal(t, "TemplateError", appErr.Type())
}
