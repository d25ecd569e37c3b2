package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// multipartMessage builds a multipart/alternative message: quoted-printable text, base64 HTML.
func multipartMessage(t *testing.T, id string) []byte {
	t.Helper()
	var body strings.Builder
	mw := multipart.NewWriter(&body)
	pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=UTF-8"}, "Content-Transfer-Encoding": {"quoted-printable"}})
	require.NoError(t, err)
	qp := quotedprintable.NewWriter(pw)
	_, err = qp.Write([]byte("Héllo, a line long enough to be wrapped by the quoted-printable writer at seventy-six characters.\nSecond line.\n"))
	require.NoError(t, err)
	require.NoError(t, qp.Close())
	pw, err = mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/html; charset=UTF-8"}, "Content-Transfer-Encoding": {"base64"}})
	require.NoError(t, err)
	_, err = pw.Write([]byte("PHA+SMOpbGxvPC9wPg==\r\n"))
	require.NoError(t, err)
	require.NoError(t, mw.Close())

	return []byte("From: a@example.org\r\n" +
		"To: b@example.org\r\n" +
		"Subject: =?UTF-8?q?H=C3=A9llo?=\r\n" +
		"Message-Id: " + id + "\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=" + mw.Boundary() + "\r\n" +
		"\r\n" + body.String())
}

func TestSendAndReadBack(t *testing.T) {
	s := Start(t, Options{})
	require.Equal(t, "127.0.0.1", s.Host())
	require.Equal(t, net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())), s.Addr())

	require.NoError(t, smtp.SendMail(s.Addr(), nil, "a@example.org", []string{"b@example.org", "c@example.org"}, multipartMessage(t, "<one@test>")))
	msgs := s.WaitFor(t, 1, 5*time.Second)
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.Equal(t, "a@example.org", m.From)
	require.Equal(t, []string{"b@example.org", "c@example.org"}, m.To)
	require.Equal(t, "<one@test>", m.MessageID)
	require.Equal(t, "Héllo", m.Subject)
	require.Equal(t, "b@example.org", m.Header.Get("To"))
	require.Equal(t, "Héllo, a line long enough to be wrapped by the quoted-printable writer at seventy-six characters.\nSecond line.\n", m.Text)
	require.Equal(t, "<p>Héllo</p>", m.HTML)
	require.False(t, m.ReceivedAt.IsZero())
	require.Equal(t, map[string]int{"<one@test>": 1}, s.CountByMessageID())

	// Messages returns copies.
	msgs[0].To[0] = "changed"
	require.Equal(t, "b@example.org", s.Messages()[0].To[0])
}

// data sends one message by hand and returns the server's reply to the end of DATA.
func data(t *testing.T, addr string, msg []byte) (int, string, error) {
	t.Helper()
	c, err := smtp.Dial(addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Mail("a@example.org"))
	require.NoError(t, c.Rcpt("b@example.org"))
	id, err := c.Text.Cmd("DATA")
	require.NoError(t, err)
	c.Text.StartResponse(id)
	_, _, err = c.Text.ReadResponse(354)
	c.Text.EndResponse(id)
	require.NoError(t, err)
	w := c.Text.DotWriter()
	_, err = w.Write(msg)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return c.Text.ReadResponse(250)
}

func TestReceiptAndRejections(t *testing.T) {
	s := Start(t, Options{})
	code, msg, err := data(t, s.Addr(), []byte("Message-Id: <a@test>\r\n\r\nhi\r\n"))
	require.NoError(t, err)
	require.Equal(t, 250, code)
	require.Equal(t, "2.0.0 Ok: queued as 1", msg)

	s.RejectNext(2, 451)
	for range 2 {
		_, _, err = data(t, s.Addr(), []byte("Message-Id: <b@test>\r\n\r\nhi\r\n"))
		var te *textproto.Error
		require.ErrorAs(t, err, &te)
		require.Equal(t, 451, te.Code)
	}
	s.RejectNext(1, 550)
	_, _, err = data(t, s.Addr(), []byte("Message-Id: <b@test>\r\n\r\nhi\r\n"))
	var te *textproto.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, 550, te.Code)

	_, msg, err = data(t, s.Addr(), []byte("Message-Id: <b@test>\r\n\r\nhi\r\n"))
	require.NoError(t, err)
	require.Equal(t, "2.0.0 Ok: queued as 2", msg)
	require.Equal(t, map[string]int{"<a@test>": 1, "<b@test>": 1}, s.CountByMessageID())
}

func TestStopRestart(t *testing.T) {
	s := Start(t, Options{})
	addr := s.Addr()
	require.NoError(t, smtp.SendMail(addr, nil, "a@example.org", []string{"b@example.org"}, []byte("Message-Id: <1@test>\r\n\r\nhi\r\n")))
	s.Stop()
	require.Error(t, smtp.SendMail(addr, nil, "a@example.org", []string{"b@example.org"}, []byte("Message-Id: <2@test>\r\n\r\nhi\r\n")))
	s.Stop() // idempotent
	s.Restart(t)
	require.Equal(t, addr, s.Addr())
	require.NoError(t, smtp.SendMail(addr, nil, "a@example.org", []string{"b@example.org"}, []byte("Message-Id: <3@test>\r\n\r\nhi\r\n")))
	require.Equal(t, map[string]int{"<1@test>": 1, "<3@test>": 1}, s.CountByMessageID())
}

func TestDelayEndsOnStop(t *testing.T) {
	s := Start(t, Options{})
	s.SetDelay(time.Hour)
	errc := make(chan error, 1)
	go func() {
		errc <- smtp.SendMail(s.Addr(), nil, "a@example.org", []string{"b@example.org"}, []byte("Message-Id: <1@test>\r\n\r\nhi\r\n"))
	}()
	// Once the message waits out the delay, Stop must not wait for the hour; the client sees the
	// connection end and the message is not kept.
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.delaying == 1
	}, 5*time.Second, time.Millisecond)
	s.Stop()
	require.Error(t, <-errc)
	require.Empty(t, s.Messages())
}

func TestTLSAndAuth(t *testing.T) {
	cfg, caPEM := SelfSigned(t)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))

	t.Run("starttls", func(t *testing.T) {
		s := Start(t, Options{TLS: cfg, Username: "user", Password: "secret"})
		c, err := smtp.Dial(s.Addr())
		require.NoError(t, err)
		defer c.Close()
		ok, _ := c.Extension("AUTH")
		require.False(t, ok, "AUTH must wait for TLS")
		require.NoError(t, c.StartTLS(&tls.Config{ServerName: s.Host(), RootCAs: pool}))
		require.Error(t, c.Mail("a@example.org"), "MAIL before AUTH")
		require.NoError(t, c.Auth(smtp.PlainAuth("", "user", "secret", s.Host())))
		require.NoError(t, c.Mail("a@example.org"))
		require.NoError(t, c.Rcpt("b@example.org"))
		w, err := c.Data()
		require.NoError(t, err)
		_, err = w.Write([]byte("Message-Id: <tls@test>\r\n\r\nhi\r\n"))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		require.NoError(t, c.Quit())
		require.Equal(t, "<tls@test>", s.WaitFor(t, 1, 5*time.Second)[0].MessageID)
	})
	t.Run("wrong password", func(t *testing.T) {
		s := Start(t, Options{Username: "user", Password: "secret"})
		err := smtp.SendMail(s.Addr(), smtp.PlainAuth("", "user", "wrong", s.Host()), "a@example.org", []string{"b@example.org"}, []byte("\r\nhi\r\n"))
		var te *textproto.Error
		require.ErrorAs(t, err, &te)
		require.Equal(t, 535, te.Code)
	})
	t.Run("implicit", func(t *testing.T) {
		s := Start(t, Options{TLS: cfg, ImplicitTLS: true})
		conn, err := tls.Dial("tcp", s.Addr(), &tls.Config{ServerName: "localhost", RootCAs: pool})
		require.NoError(t, err)
		c, err := smtp.NewClient(conn, "localhost")
		require.NoError(t, err)
		defer c.Close()
		ok, _ := c.Extension("STARTTLS")
		require.False(t, ok)
		require.NoError(t, c.Mail("a@example.org"))
		require.NoError(t, c.Rcpt("b@example.org"))
		w, err := c.Data()
		require.NoError(t, err)
		_, err = w.Write([]byte("Message-Id: <implicit@test>\r\n\r\nhi\r\n"))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		require.Equal(t, "<implicit@test>", s.WaitFor(t, 1, 5*time.Second)[0].MessageID)
	})
}

func TestStopRightAfterStart(t *testing.T) {
	for range 20 {
		s := Start(t, Options{})
		s.Stop() // must not hang, even before the serving goroutine registered the listener
		_, err := smtp.Dial(s.Addr())
		require.Error(t, err)
		s.Restart(t)
		s.Stop()
	}
}

// TestHoldReplies: with replies held, a message is kept (it counts) and announced while its
// client still waits for the reply; ReleaseReplies answers it. A client that gives up before the
// release leaves its message kept.
func TestHoldReplies(t *testing.T) {
	s := Start(t, Options{})
	held := s.HoldReplies()
	require.Equal(t, held, s.HoldReplies(), "holding twice is holding once")
	errc := make(chan error, 1)
	go func() {
		errc <- smtp.SendMail(s.Addr(), nil, "a@example.org", []string{"b@example.org"}, []byte("Message-Id: <1@test>\r\n\r\nhi\r\n"))
	}()
	require.Equal(t, "<1@test>", nextHeld(t, held).MessageID)
	require.Equal(t, map[string]int{"<1@test>": 1}, s.CountByMessageID(), "kept before the reply")
	select {
	case err := <-errc:
		t.Fatalf("the client got its reply while it was held: %v", err)
	default:
	}
	s.ReleaseReplies()
	require.NoError(t, <-errc)

	// A client gone before the release: the server keeps the message all the same.
	held = s.HoldReplies()
	c, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	tc := textproto.NewConn(c)
	for _, step := range []struct {
		cmd  string
		code int
	}{{"", 220}, {"HELO test", 250}, {"MAIL FROM:<a@example.org>", 250}, {"RCPT TO:<b@example.org>", 250}, {"DATA", 354}} {
		if step.cmd != "" {
			require.NoError(t, tc.PrintfLine("%s", step.cmd))
		}
		_, _, err := tc.ReadResponse(step.code)
		require.NoError(t, err, step.cmd)
	}
	w := tc.DotWriter()
	_, err = w.Write([]byte("Message-Id: <2@test>\r\n\r\nhi\r\n"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.Equal(t, "<2@test>", nextHeld(t, held).MessageID)
	require.NoError(t, c.Close())
	s.ReleaseReplies()
	require.Equal(t, map[string]int{"<1@test>": 1, "<2@test>": 1}, s.CountByMessageID())
	require.NoError(t, smtp.SendMail(s.Addr(), nil, "a@example.org", []string{"b@example.org"}, []byte("Message-Id: <3@test>\r\n\r\nhi\r\n")), "not held after the release")
}

func nextHeld(t *testing.T, held <-chan Message) Message {
	t.Helper()
	select {
	case m := <-held:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no held reply announced")
		return Message{}
	}
}
