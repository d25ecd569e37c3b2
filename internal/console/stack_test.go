package console

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/devserver"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/workflows"
)

// testStack is a real Temporal server (the embedded one), a worker delivering to an outbox
// folder, and the console on an httptest server in front of them.
type testStack struct {
	srv     *devserver.Server
	client  client.Client
	worker  worker.Worker
	console *Server
	http    *httptest.Server
	key     ed25519.PrivateKey
	outbox  string
}

// testPassword is every test user's password.
const testPassword = "correct horse battery staple"

// testUsers are the people of the tests; their e-mails are the CBP-2019 example's contacts.
var testUsers = []User{
	{Login: "coordinator", Name: "Incident Coordinator", Email: "coordinator@agency.example"},
	{Login: "cio", Name: "Chief Information Officer", Email: "cio@agency.example"},
	{Login: "counsel", Name: "General Counsel", Email: "ogc@agency.example"},
	{Login: "auditor", Name: "Auditor", Email: "oig@agency.example", Auditor: true},
}

func startTestStack(t testing.TB, oidc *OIDCConfig) *testStack {
	t.Helper()
	dir := t.TempDir()
	srv, err := engine.StartEmbedded(dir, 0)
	require.NoError(t, err)
	s := &testStack{srv: srv, outbox: filepath.Join(dir, "outbox")}
	t.Cleanup(func() { _ = srv.Stop() })
	s.client, err = engine.Dial(config.Temporal{Address: srv.HostPort(), Namespace: srv.Namespace()}, engine.Logger(slog.LevelError))
	require.NoError(t, err)
	t.Cleanup(s.client.Close)
	acts, err := engine.NewActivities(config.Config{DataDir: dir, OutboxDir: s.outbox, From: "incident-desk@agency.example"})
	require.NoError(t, err)
	acts.Digests = engine.DigestSink{Client: s.client, TaskQueue: workflows.TaskQueue}
	// The worker as `worker --dev` runs it: it trusts the data folder's console key, which the
	// console signs with.
	trusted, err := engine.TrustedConsoleKeys(dir, true)
	require.NoError(t, err)
	s.key, err = config.DevConsoleKey(dir)
	require.NoError(t, err)
	s.worker = worker.New(s.client, workflows.TaskQueue, worker.Options{})
	engine.RegisterTrusting(s.worker, acts, trusted)
	require.NoError(t, s.worker.Start())
	t.Cleanup(s.worker.Stop)
	users, err := LoadUsers(filepath.Join(dir, "console", "users.json"))
	require.NoError(t, err)
	for _, u := range testUsers {
		require.NoError(t, users.Put(u, testPassword))
	}
	set, err := engine.Templates("")
	require.NoError(t, err)
	// The listener first: an OIDC client's redirect URL names it.
	s.http = httptest.NewUnstartedServer(nil)
	t.Cleanup(s.http.Close)
	if oidc != nil {
		oidc.RedirectURL = "http://" + s.http.Listener.Addr().String() + "/oidc/callback"
	}
	s.console, err = New(context.Background(), Config{Client: s.client, SigningKey: s.key, Users: users, OIDC: oidc, Templates: set,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), PollInterval: time.Second, TemporalUI: "http://127.0.0.1:8233", Namespace: srv.Namespace()})
	require.NoError(t, err)
	s.http.Config.Handler = s.console.Handler()
	s.http.Start()
	return s
}

// browser is a plain HTTP client with a cookie jar: one person's session.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
}

func (s *testStack) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: s.http.URL, c: &http.Client{Jar: jar, Timeout: 90 * time.Second}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches a page and remembers its CSRF token.
func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(body)
}

// post submits a form with the page's CSRF token and follows the redirect.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	form.Set("csrf", b.csrf)
	resp, err := b.c.PostForm(b.base+path, form)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(body)
}

func (b *browser) login(login string) {
	b.t.Helper()
	b.get("/login")
	code, body := b.post("/login", url.Values{"login": {login}, "password": {testPassword}})
	require.Equal(b.t, http.StatusOK, code, body)
	require.Contains(b.t, body, "Sign out")
}

var incidentPath = regexp.MustCompile(`/incidents/(INC-[0-9a-f-]{36})`)

// startCBP starts the CBP-2019 example from the console's form, discovered now.
func (b *browser) startCBP() string {
	b.t.Helper()
	raw, err := os.ReadFile("../../examples/cbp-2019.yaml")
	require.NoError(b.t, err)
	b.get("/new")
	resp, err := b.c.PostForm(b.base+"/new", url.Values{"csrf": {b.csrf}, "file": {string(raw)}, "discovered_now": {"yes"}})
	require.NoError(b.t, err)
	resp.Body.Close()
	require.Equal(b.t, http.StatusOK, resp.StatusCode)
	m := incidentPath.FindStringSubmatch(resp.Request.URL.Path)
	require.NotNil(b.t, m, "redirected to %s", resp.Request.URL)
	return m[1]
}

// waitFor polls the incident page until it contains want.
func (b *browser) waitFor(path, want string) string {
	b.t.Helper()
	var body string
	require.Eventually(b.t, func() bool {
		_, body = b.get(path)
		return strings.Contains(body, want)
	}, 60*time.Second, 300*time.Millisecond, "page %s never showed %q", path, want)
	return body
}
