package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/breachflow/breachflow/workflows"
)

// Session is the signed-in person, carried in a signed cookie (HMAC-SHA256 with a key derived
// from the console's signing key): nothing is stored on the server, and a restart keeps people
// signed in.
type Session struct {
	// Subject is the stable identity signed into every action: "local:<login>" or
	// "oidc:<issuer>#<sub>".
	Subject string `json:"sub"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Auditor bool   `json:"aud,omitempty"`
	// CSRF is the token every form of this session must send back.
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"exp"`
}

// Actor is how the person is recorded in the incident: their e-mail address, which is what
// the incident's contacts by role name.
func (s *Session) Actor() string {
	if s.Email != "" {
		return s.Email
	}
	return s.Name
}

// Who is the signed-in person as the engine's access rules see them (workflows.MayAct).
func (s *Session) Who() workflows.Actor {
	return workflows.Actor{Subject: s.Subject, Name: s.Actor()}
}

const (
	sessionCookie = "bf_session"
	// preCookie carries the token of the login form (login CSRF) and the OIDC state.
	preCookie  = "bf_pre"
	sessionTTL = 12 * time.Hour
)

// cookies signs and checks the console's cookies.
type cookies struct {
	key    []byte
	secure bool
}

func newToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *cookies) sign(v any) (string, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, c.key)
	mac.Write([]byte(enc))
	return enc + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

func (c *cookies) open(value string, v any) error {
	enc, sig, ok := strings.Cut(value, ".")
	if !ok {
		return errors.New("malformed cookie")
	}
	mac := hmac.New(sha256.New, c.key)
	mac.Write([]byte(enc))
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("bad cookie signature")
	}
	body, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}

func (c *cookies) set(w http.ResponseWriter, name string, v any, ttl time.Duration) error {
	val, err := c.sign(v)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: val, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

func (c *cookies) clear(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// session returns the signed-in person, or nil.
func (c *cookies) session(r *http.Request, now time.Time) *Session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	var s Session
	if c.open(ck.Value, &s) != nil || s.Subject == "" || now.After(s.Expires) {
		return nil
	}
	return &s
}

// validCSRF reports whether a form carries the session's token.
func validCSRF(r *http.Request, token string) bool {
	got := r.PostFormValue("csrf")
	return token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// limiter refuses logins after too many failures, per client address and per login, for a
// window: guessing passwords costs an attacker hours, a mistyping person a few minutes.
type limiter struct {
	mu       sync.Mutex
	max      int
	window   time.Duration
	failures map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, failures: map[string][]time.Time{}}
}

// blocked returns how long until the first of keys may try again; zero when none is blocked.
func (l *limiter) blocked(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		recent := l.prune(k, now)
		if len(recent) >= l.max {
			wait = max(wait, recent[0].Add(l.window).Sub(now))
		}
	}
	return wait
}

func (l *limiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.failures[k] = append(l.prune(k, now), now)
	}
}

func (l *limiter) prune(k string, now time.Time) []time.Time {
	ts := l.failures[k]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.failures, k)
	} else {
		l.failures[k] = ts
	}
	return ts
}

// clientIP is the peer's address (a proxy in front should be trusted explicitly, not via
// headers anyone can send).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// securityHeaders sets the headers of every response: a CSP that allows only the console's
// own files (no inline script, no framing), no MIME sniffing, no referrer leaving the origin.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if h.Get("Content-Security-Policy") == "" {
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

func waitText(d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	if m <= 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
