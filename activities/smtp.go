package activities

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
)

// SMTP security modes.
const (
	// SecurityStartTLS upgrades a plain connection with STARTTLS and refuses servers without it.
	SecurityStartTLS = "starttls"
	// SecurityTLS connects with TLS from the first byte (implicit TLS, usually port 465).
	SecurityTLS = "tls"
	// SecurityPlain sends unencrypted; allowed only to loopback or hosts explicitly listed.
	SecurityPlain = "plain"
)

// SMTPConfig configures the SMTP transport. Credentials come from the environment or files, never
// from workflow inputs, so they never reach Temporal's history.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	// Security is starttls (default), tls or plain.
	Security string
	// Timeout bounds the whole SMTP conversation (default 30s).
	Timeout time.Duration
	// CAFile is a PEM bundle of extra CAs to trust (e.g. a mail catcher's self-signed CA).
	CAFile string
	// AllowPlainHosts lists non-loopback hosts that may receive plain SMTP (e.g. a local mail catcher).
	AllowPlainHosts []string
	// HeloName is the name sent in EHLO (default "localhost").
	HeloName string
}

// SMTP delivers notices to an SMTP server.
type SMTP struct {
	cfg SMTPConfig
	tls *tls.Config
}

// NewSMTP checks the configuration and returns the transport.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: host is required")
	}
	if cfg.Security == "" {
		cfg.Security = SecurityStartTLS
	}
	if cfg.Port == 0 {
		cfg.Port = map[string]int{SecurityStartTLS: 587, SecurityTLS: 465, SecurityPlain: 25}[cfg.Security]
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.HeloName == "" {
		cfg.HeloName = "localhost"
	}
	switch cfg.Security {
	case SecurityStartTLS, SecurityTLS:
	case SecurityPlain:
		if !isLoopback(cfg.Host) && !slices.Contains(cfg.AllowPlainHosts, cfg.Host) {
			return nil, fmt.Errorf("smtp: refusing plain (unencrypted) SMTP to %s: notices carry incident data; use BREACHFLOW_SMTP_SECURITY=starttls or tls, or list the host in BREACHFLOW_SMTP_ALLOW_PLAIN_HOSTS if it is a local mail catcher", cfg.Host)
		}
	default:
		return nil, fmt.Errorf("smtp: unknown security %q: use starttls, tls or plain", cfg.Security)
	}
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp: reading CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smtp: CA file %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	return &SMTP{cfg: cfg, tls: tc}, nil
}

// Name implements Transport.
func (s *SMTP) Name() string { return "smtp" }

// Deliver implements Transport. The whole conversation is bounded by the configured timeout and by
// ctx; a 5xx reply (permanent) is returned as a non-retryable error so the activity does not hammer
// the server, and the workflow records it and tries again later in a new round.
func (s *SMTP) Deliver(ctx context.Context, _, from string, rcpts []string, raw []byte) (string, error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	dialer := &net.Dialer{}
	var conn net.Conn
	var err error
	if s.cfg.Security == SecurityTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: s.tls}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return "", fmt.Errorf("smtp: connecting to %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return "", classify("greeting", err)
	}
	if err := c.Hello(s.cfg.HeloName); err != nil {
		return "", classify("EHLO", err)
	}
	if s.cfg.Security == SecurityStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return "", temporal.NewNonRetryableApplicationError(fmt.Sprintf("smtp: %s does not offer STARTTLS; refusing to send in the clear", addr), "SMTPNoTLS", nil)
		}
		if err := c.StartTLS(s.tls); err != nil {
			return "", classify("STARTTLS", err)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return "", classify("AUTH", err)
		}
	}
	// The envelope sender is the bare address: the configured sender may be "Name <addr>",
	// which belongs in the From header only.
	if a, err := mail.ParseAddress(from); err == nil {
		from = a.Address
	}
	if err := c.Mail(from); err != nil {
		return "", classify("MAIL FROM", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			return "", classify("RCPT TO", err)
		}
	}
	// DATA by hand, to keep the server's final reply as the delivery receipt.
	id, err := c.Text.Cmd("DATA")
	if err != nil {
		return "", classify("DATA", err)
	}
	c.Text.StartResponse(id)
	_, _, err = c.Text.ReadResponse(354)
	c.Text.EndResponse(id)
	if err != nil {
		return "", classify("DATA", err)
	}
	w := c.Text.DotWriter()
	if _, err := w.Write(raw); err != nil {
		return "", classify("DATA", err)
	}
	if err := w.Close(); err != nil {
		return "", classify("DATA", err)
	}
	code, msg, err := c.Text.ReadResponse(250)
	if err != nil {
		return "", classify("end of DATA", err)
	}
	_ = c.Quit()
	return fmt.Sprintf("%d %s", code, msg), nil
}

// classify wraps an SMTP error; permanent (5xx) replies become non-retryable.
func classify(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("smtp: %s: %d %s", step, te.Code, te.Msg), "SMTPPermanent", nil)
	}
	return fmt.Errorf("smtp: %s: %w", step, err)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
