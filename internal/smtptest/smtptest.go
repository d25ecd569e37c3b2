// Package smtptest runs a real SMTP server on the loopback interface for tests: it speaks the SMTP
// protocol (with optional STARTTLS, implicit TLS and AUTH PLAIN) through github.com/emersion/go-smtp,
// keeps every message it accepts, and lets a test inject failures: rejected DATA commands, slow
// replies, replies held back after a message was committed (signalled to the test), and the
// server going down and coming back on the same port.
package smtptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Options configures a Server.
type Options struct {
	// TLS, when set, enables STARTTLS (or implicit TLS when ImplicitTLS) with this config.
	TLS *tls.Config
	// ImplicitTLS makes the server speak TLS from the first byte (like port 465) instead of
	// offering STARTTLS. It requires TLS.
	ImplicitTLS bool
	// Addr to listen on; default "127.0.0.1:0".
	Addr string
	// Username and Password, when set, require AUTH PLAIN with these credentials before MAIL FROM.
	// When TLS is set, AUTH is only offered once the connection is encrypted.
	Username, Password string
}

// Message is one message the server accepted.
type Message struct {
	// From is the envelope sender (MAIL FROM).
	From string
	// To are the envelope recipients (RCPT TO), in order.
	To []string
	// Raw is the message as received, after dot-unstuffing.
	Raw []byte
	// Header is Raw's header parsed by net/mail (nil when Raw is not a parseable message).
	Header mail.Header
	// MessageID is the Message-Id header, as written (with its angle brackets).
	MessageID string
	// Subject is the Subject header, with RFC 2047 encoded words decoded.
	Subject string
	// Text and HTML are the decoded text/plain and text/html bodies (of a multipart message's
	// parts, or of a single-part message). Transfer encodings (quoted-printable, base64) are
	// undone and CRLF line ends are turned into LF.
	Text, HTML string
	// ReceivedAt is when the server accepted the message.
	ReceivedAt time.Time
}

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	log  *testLogger

	mu         sync.Mutex
	addr       string        // host:port, fixed by the first listen so Restart reuses the port
	cur        *instance     // nil while stopped
	stopped    chan struct{} // the current instance's; closed by Stop, it ends pending delays
	msgs       []Message
	changed    chan struct{} // closed and replaced whenever a message arrives
	rejectN    int
	rejectCode int
	delay      time.Duration
	delaying   int // DATA commands waiting out the delay
	// release is non-nil while replies are held (HoldReplies); closing it answers them. held
	// announces each message whose reply is held.
	release chan struct{}
	held    chan Message
}

// Start listens on opts.Addr, serves in the background and stops the server when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.ImplicitTLS && opts.TLS == nil {
		t.Fatal("smtptest: ImplicitTLS needs Options.TLS")
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	s := &Server{opts: opts, log: &testLogger{t: t}, changed: make(chan struct{})}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		t.Fatalf("smtptest: listening on %s: %v", opts.Addr, err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(func() {
		s.Stop()
		s.log.close()
	})
	return s
}

// instance is one listening period of the server, from Start or Restart to Stop.
type instance struct {
	srv     *smtp.Server
	ln      *trackingListener
	served  chan struct{} // closed when Serve returns
	stopped chan struct{}
}

// serve starts a fresh go-smtp server on ln (a go-smtp server cannot be reused after Close).
func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = "localhost"
	srv.ErrorLog = s.log
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	in := &instance{
		srv:     srv,
		ln:      &trackingListener{Listener: ln, conns: map[net.Conn]struct{}{}},
		served:  make(chan struct{}),
		stopped: make(chan struct{}),
	}
	var served net.Listener = in.ln
	if s.opts.TLS != nil {
		if s.opts.ImplicitTLS {
			served = tls.NewListener(served, s.opts.TLS)
		} else {
			srv.TLSConfig = s.opts.TLS
		}
	}
	// Without TLS there is nothing to wait for; with it, credentials only travel encrypted.
	srv.AllowInsecureAuth = s.opts.TLS == nil

	s.mu.Lock()
	s.cur, s.stopped = in, in.stopped
	s.mu.Unlock()
	go func() {
		defer close(in.served)
		if err := srv.Serve(served); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Printf("serve: %v", err)
		}
	}()
}

// trackingListener keeps the connections it accepted so that Stop can close every one of them,
// including any that go-smtp has accepted but not registered yet.
type trackingListener struct {
	net.Listener
	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns[c] = struct{}{}
	return c, nil
}

// shutdown closes the listener and every connection it accepted.
func (l *trackingListener) shutdown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.Listener.Close()
	for c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Host returns the host part of Addr (an IP address).
func (s *Server) Host() string {
	host, _, _ := net.SplitHostPort(s.Addr())
	return host
}

// Port returns the port part of Addr.
func (s *Server) Port() int {
	_, port, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(port)
	return n
}

// Messages returns copies of the accepted messages, in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = m.clone()
	}
	return out
}

// CountByMessageID counts the accepted messages by their Message-Id header.
func (s *Server) CountByMessageID() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := map[string]int{}
	for _, m := range s.msgs {
		n[m.MessageID]++
	}
	return n
}

// WaitFor waits until the server has accepted at least n messages and returns them; it fails the
// test when that takes longer than timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		got, changed := len(s.msgs), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("smtptest: waited %v for %d messages, got %d", timeout, n, got)
			return nil
		}
	}
}

// Stop closes the listener and all open connections, as if the server went down. Accepted
// messages are kept; a DATA command waiting out a delay is answered 421 and its message dropped.
// Stop on a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	in := s.cur
	s.cur = nil
	s.mu.Unlock()
	if in == nil {
		return
	}
	close(in.stopped)
	// Our listener first: Serve may not have registered it with go-smtp yet, and then only this
	// ends it.
	in.ln.shutdown()
	_ = in.srv.Close()
	<-in.served
}

// Restart stops the server if it runs and listens again on the same port, keeping the accepted
// messages. It retries briefly while the port is still held by the operating system.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	addr := s.Addr()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			s.serve(ln)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtptest: listening again on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // back off while the port is released
	}
}

// RejectNext makes the next n DATA commands fail with this SMTP reply code (e.g. 451 for a
// temporary failure, 550 for a permanent one); rejected messages are not kept.
func (s *Server) RejectNext(n int, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectN, s.rejectCode = n, code
}

// SetDelay makes every DATA command wait d after the message is received before replying
// (and before the message is kept). Zero removes the delay.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// HoldReplies makes the server keep each message at the end of DATA — from then on it counts as
// delivered — and then hold the reply back until ReleaseReplies or Stop, as a relay that has
// committed a message whose reply is still on the wire. Every message whose reply is held is
// sent, in arrival order, on the returned channel, so a test can act exactly while a client
// waits for its reply (e.g. kill it). The channel holds up to 1024 messages; it is not closed.
// Holding applies to DATA commands that end after the call; SetDelay and RejectNext act first.
func (s *Server) HoldReplies() <-chan Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.release == nil {
		s.release, s.held = make(chan struct{}), make(chan Message, 1024)
	}
	return s.held
}

// ReleaseReplies answers every held DATA command (250, as if never held) and stops holding.
// A client that went away in the meantime never reads its reply; its message stays kept.
func (s *Server) ReleaseReplies() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.release != nil {
		close(s.release)
		s.release = nil
	}
}

// receive handles the end of a DATA command: it applies rejections and delays and keeps the message.
func (s *Server) receive(from string, to []string, raw []byte, stopped <-chan struct{}) error {
	s.mu.Lock()
	delay := s.delay
	reject := 0
	if s.rejectN > 0 {
		s.rejectN--
		reject = s.rejectCode
	}
	s.mu.Unlock()

	if delay > 0 {
		s.mu.Lock()
		s.delaying++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.delaying--
			s.mu.Unlock()
		}()
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-stopped:
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Server shutting down"}
		}
	}
	if reject != 0 {
		return &smtp.SMTPError{Code: reject, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "Rejected by smtptest"}
	}

	m := Message{From: from, To: to, Raw: raw, ReceivedAt: time.Now()}
	if err := m.parse(); err != nil {
		s.log.Printf("accepted a message that does not parse: %v", err)
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	n := len(s.msgs)
	close(s.changed)
	s.changed = make(chan struct{})
	release, held := s.release, s.held
	if release != nil {
		select {
		case held <- m.clone():
		default:
			s.log.Printf("more than %d held replies; %s not announced", cap(held), m.MessageID)
		}
	}
	s.mu.Unlock()
	if release != nil {
		select {
		case <-release:
		case <-stopped:
			// Kept all the same: the message was committed before the server went down.
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Server shutting down"}
		}
	}
	// go-smtp replies to a nil error with a fixed text; an "error" carrying 250 sets the reply,
	// so that clients get a receipt naming the message.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: fmt.Sprintf("Ok: queued as %d", n)}
}
