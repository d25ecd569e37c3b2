package activities_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/smtptest"
)

// testMessage composes a small notice with the given Message-ID.
func testMessage(t *testing.T, messageID string) ([]byte, []string) {
	t.Helper()
	in := activities.SendNoticeInput{
		IncidentID: testIncident,
		MessageID:  messageID,
		To:         []string{"Recipient <rcpt@agency.example>"},
		Cc:         []string{"cc@agency.example"},
		Date:       time.Date(2019, 5, 31, 13, 10, 0, 0, time.UTC),
	}
	in.Notice.Subject = "Test notice"
	in.Notice.Text = "Plain text body.\n"
	in.Notice.HTML = "<p>HTML body.</p>\n"
	raw, rcpts, err := activities.Compose(testFrom, in)
	require.NoError(t, err)
	return raw, rcpts
}

// deliver sends a test message through tr.
func deliver(t *testing.T, tr activities.Transport, messageID string) (string, error) {
	t.Helper()
	raw, rcpts := testMessage(t, messageID)
	return tr.Deliver(context.Background(), messageID, testFrom, rcpts, raw)
}

// writeCA writes the PEM of a CA to a file in a temporary folder.
func writeCA(t *testing.T, pem []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(path, pem, 0o600))
	return path
}

func requireNonRetryable(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.True(t, appErr.NonRetryable(), "want a non-retryable error, got %v", err)
	return appErr
}

func requireRetryable(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		require.False(t, appErr.NonRetryable(), "want a retryable error, got %v", err)
	}
}

func TestSMTPPlainDelivers(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	tr := plainSMTP(t, s)
	require.Equal(t, "smtp", tr.Name())

	id := activities.MessageID(testIncident, "plain/notice", "h1")
	receipt, err := deliver(t, tr, id)
	require.NoError(t, err)
	require.Equal(t, "250 2.0.0 Ok: queued as 1", receipt)
	m := s.WaitFor(t, 1, 5*time.Second)[0]
	require.Equal(t, id, m.MessageID)
	require.Equal(t, testFrom, m.From)
	require.Equal(t, []string{"rcpt@agency.example", "cc@agency.example"}, m.To)
	require.Equal(t, "Plain text body.\n", m.Text)
	require.Equal(t, "<p>HTML body.</p>\n", m.HTML)

	receipt, err = deliver(t, tr, activities.MessageID(testIncident, "plain/notice", "h2"))
	require.NoError(t, err)
	require.Equal(t, "250 2.0.0 Ok: queued as 2", receipt)
}

func TestSMTPStartTLS(t *testing.T) {
	cfg, caPEM := smtptest.SelfSigned(t)
	s := smtptest.Start(t, smtptest.Options{TLS: cfg})
	tr, err := activities.NewSMTP(activities.SMTPConfig{Host: s.Host(), Port: s.Port(), CAFile: writeCA(t, caPEM), Timeout: 10 * time.Second})
	require.NoError(t, err)

	id := activities.MessageID(testIncident, "starttls/notice", "h")
	receipt, err := deliver(t, tr, id)
	require.NoError(t, err)
	require.Equal(t, "250 2.0.0 Ok: queued as 1", receipt)
	require.Equal(t, id, s.WaitFor(t, 1, 5*time.Second)[0].MessageID)
}

func TestSMTPImplicitTLS(t *testing.T) {
	cfg, caPEM := smtptest.SelfSigned(t)
	s := smtptest.Start(t, smtptest.Options{TLS: cfg, ImplicitTLS: true})
	tr, err := activities.NewSMTP(activities.SMTPConfig{Host: s.Host(), Port: s.Port(), Security: activities.SecurityTLS, CAFile: writeCA(t, caPEM), Timeout: 10 * time.Second})
	require.NoError(t, err)

	id := activities.MessageID(testIncident, "tls/notice", "h")
	receipt, err := deliver(t, tr, id)
	require.NoError(t, err)
	require.Equal(t, "250 2.0.0 Ok: queued as 1", receipt)
	require.Equal(t, id, s.WaitFor(t, 1, 5*time.Second)[0].MessageID)
}

func TestSMTPStartTLSRequired(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{}) // offers no STARTTLS
	tr, err := activities.NewSMTP(activities.SMTPConfig{Host: s.Host(), Port: s.Port(), Security: activities.SecurityStartTLS, Timeout: 10 * time.Second})
	require.NoError(t, err)

	_, err = deliver(t, tr, activities.MessageID(testIncident, "notls/notice", "h"))
	appErr := requireNonRetryable(t, err)
	require.Equal(t, "SMTPNoTLS", appErr.Type())
	require.ErrorContains(t, err, "STARTTLS")
	require.Empty(t, s.Messages())
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	cfg, _ := smtptest.SelfSigned(t)
	for _, tc := range []struct {
		name     string
		security string
		implicit bool
	}{
		{"starttls", activities.SecurityStartTLS, false},
		{"tls", activities.SecurityTLS, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.Start(t, smtptest.Options{TLS: cfg, ImplicitTLS: tc.implicit})
			tr, err := activities.NewSMTP(activities.SMTPConfig{Host: s.Host(), Port: s.Port(), Security: tc.security, Timeout: 10 * time.Second})
			require.NoError(t, err)
			_, err = deliver(t, tr, activities.MessageID(testIncident, "untrusted/notice", "h"))
			require.ErrorContains(t, err, "certificate")
			require.Empty(t, s.Messages())
		})
	}
}

func TestNewSMTPPlainPolicy(t *testing.T) {
	_, err := activities.NewSMTP(activities.SMTPConfig{Host: "mail.example.org", Security: activities.SecurityPlain})
	require.ErrorContains(t, err, "mail.example.org")
	require.ErrorContains(t, err, "BREACHFLOW_SMTP_ALLOW_PLAIN_HOSTS")

	_, err = activities.NewSMTP(activities.SMTPConfig{Host: "mail.example.org", Security: activities.SecurityPlain, AllowPlainHosts: []string{"catcher.example.org", "mail.example.org"}})
	require.NoError(t, err)

	for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
		_, err = activities.NewSMTP(activities.SMTPConfig{Host: host, Security: activities.SecurityPlain})
		require.NoError(t, err, host)
	}

	_, err = activities.NewSMTP(activities.SMTPConfig{Host: "mail.example.org", Security: "ssl"})
	require.ErrorContains(t, err, "unknown security")
	_, err = activities.NewSMTP(activities.SMTPConfig{})
	require.ErrorContains(t, err, "host is required")

	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	_, err = activities.NewSMTP(activities.SMTPConfig{Host: "mail.example.org", CAFile: notPEM})
	require.ErrorContains(t, err, "no PEM certificate")
	_, err = activities.NewSMTP(activities.SMTPConfig{Host: "mail.example.org", CAFile: filepath.Join(t.TempDir(), "missing.pem")})
	require.ErrorContains(t, err, "CA file")
}

func TestSMTPAuth(t *testing.T) {
	cfg, caPEM := smtptest.SelfSigned(t)
	s := smtptest.Start(t, smtptest.Options{TLS: cfg, Username: "notices", Password: "s3cret"})
	ca := writeCA(t, caPEM)
	config := func(user, pass string) activities.SMTPConfig {
		return activities.SMTPConfig{Host: s.Host(), Port: s.Port(), Username: user, Password: pass, CAFile: ca, Timeout: 10 * time.Second}
	}

	good, err := activities.NewSMTP(config("notices", "s3cret"))
	require.NoError(t, err)
	id := activities.MessageID(testIncident, "auth/notice", "h")
	_, err = deliver(t, good, id)
	require.NoError(t, err)
	require.Equal(t, id, s.WaitFor(t, 1, 5*time.Second)[0].MessageID)

	bad, err := activities.NewSMTP(config("notices", "wrong"))
	require.NoError(t, err)
	_, err = deliver(t, bad, activities.MessageID(testIncident, "auth/notice", "h2"))
	requireNonRetryable(t, err)
	require.ErrorContains(t, err, "AUTH")

	none, err := activities.NewSMTP(config("", ""))
	require.NoError(t, err)
	_, err = deliver(t, none, activities.MessageID(testIncident, "auth/notice", "h3"))
	require.Error(t, err, "the server requires AUTH")

	require.Len(t, s.Messages(), 1)
}

func TestSMTPPermanentRejection(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	tr := plainSMTP(t, s)
	s.RejectNext(1, 550)
	_, err := deliver(t, tr, activities.MessageID(testIncident, "rejected/notice", "h"))
	appErr := requireNonRetryable(t, err)
	require.Equal(t, "SMTPPermanent", appErr.Type())
	require.ErrorContains(t, err, "550")
	require.Empty(t, s.Messages())
}

func TestSMTPTemporaryRejection(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	tr := plainSMTP(t, s)
	s.RejectNext(1, 451)
	id := activities.MessageID(testIncident, "deferred/notice", "h")
	_, err := deliver(t, tr, id)
	requireRetryable(t, err)
	require.ErrorContains(t, err, "451")
	require.Empty(t, s.Messages())

	// The retry goes through.
	_, err = deliver(t, tr, id)
	require.NoError(t, err)
	require.Equal(t, map[string]int{id: 1}, s.CountByMessageID())
}

func TestSMTPTimeout(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	tr, err := activities.NewSMTP(activities.SMTPConfig{Host: s.Host(), Port: s.Port(), Security: activities.SecurityPlain, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	s.SetDelay(time.Minute)
	_, err = deliver(t, tr, activities.MessageID(testIncident, "slow/notice", "h"))
	requireRetryable(t, err)
}

func TestSMTPServerDownThenBack(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	tr := plainSMTP(t, s)
	id := activities.MessageID(testIncident, "outage/notice", "h")

	s.Stop()
	_, err := deliver(t, tr, id)
	requireRetryable(t, err)
	require.ErrorContains(t, err, "connecting to "+s.Addr())

	s.Restart(t)
	receipt, err := deliver(t, tr, id)
	require.NoError(t, err)
	require.Equal(t, "250 2.0.0 Ok: queued as 1", receipt)
	require.Equal(t, map[string]int{id: 1}, s.CountByMessageID())
}
