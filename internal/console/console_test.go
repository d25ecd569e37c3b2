package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

var contentHash = regexp.MustCompile(`<code id="content-hash">([0-9a-f]{64})</code>`)

// TestLifecycleOverHTTP runs the CBP-2019 lifecycle through the console's forms against a real
// Temporal server: start, a fact that crosses the major-incident threshold, a notice that needs
// two approvals, a refused self-approval, two approvals by two other people, delivery. Every
// action is signed for the person signed in, whose e-mail is recorded as the actor.
func TestLifecycleOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("embedded Temporal server: not in -short")
	}
	s := startTestStack(t, nil)
	coord := s.browser(t)
	coord.login("coordinator")
	id := coord.startCBP()
	_, page := coord.get("/incidents/" + id)
	require.Contains(t, page, "Traveler and license-plate images")
	require.Contains(t, page, "congress-notice")
	require.Contains(t, page, "<svg", "the timeline chart is embedded")
	require.Contains(t, page, `href="http://127.0.0.1:8233/namespaces/`+s.srv.Namespace()+`/workflows/`+workflows.IncidentWorkflowID(id)+`"`, "operators follow a link to the raw workflow")
	require.NotContains(t, page, "<script>", "no inline script (CSP)")
	// The rule behind a deadline, in its own words (the playbook's quote, HTML-escaped).
	require.Contains(t, page, `<summary>The rule's words</summary><blockquote>Report incidents designated as &#34;major&#34; to Congress within seven (7) days`)

	// A bad value is refused next to its form, with the validator's message; nothing changes.
	code, page := coord.post("/incidents/"+id+"/act/fact", url.Values{"name": {"affected_count"}, "value": {"lots"}})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Regexp(t, `(?s)id="fact-err">Refused: [^<]*affected_count`, page)
	require.Contains(t, page, `value="lots"`, "what was typed is kept")
	st := s.status(t, id)
	require.Empty(t, st.Facts["affected_count"])

	// 184,000 people crosses the line: major_incident is implied and Congress's clock starts.
	code, page = coord.post("/incidents/"+id+"/act/fact", url.Values{"name": {"affected_count"}, "value": {"184000"}, "note": {"OIG-20-71"}})
	require.Equal(t, http.StatusOK, code, page)
	require.Contains(t, page, "Done: fact")
	st = s.status(t, id)
	require.Equal(t, "184000", st.Facts["affected_count"])
	require.NotEmpty(t, st.Implied, "major_incident implied by the count")

	code, page = coord.post("/incidents/"+id+"/act/send", url.Values{"obligation": {"congress-notice"}})
	require.Equal(t, http.StatusOK, code, page)
	_, page = coord.get("/incidents/" + id + "/notices/congress-notice")
	m := contentHash.FindStringSubmatch(page)
	require.NotNil(t, m, "the preview shows the content hash")
	hash := m[1]
	// The requester is no approver of this notice: the page says so up front and offers no button.
	require.NotContains(t, page, "Approve this exact text")
	require.Contains(t, page, `id="approve-whynot"`)
	require.Contains(t, page, `<iframe class="notice"`)
	require.Contains(t, page, "sandbox")
	_, html := coord.get("/incidents/" + id + "/notices/congress-notice/html")
	require.Contains(t, html, "Notification of a major incident")

	// The requester cannot approve.
	code, page = coord.post("/incidents/"+id+"/act/approve", url.Values{"obligation": {"congress-notice"}, "content_hash": {hash}})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, page, `id="approve-err">Refused:`)
	require.Empty(t, s.notice(t, id, "congress-notice").Approvals)

	// An auditor sees everything and may act on nothing.
	aud := s.browser(t)
	aud.login("auditor")
	_, page = aud.get("/incidents/" + id + "/notices/congress-notice")
	require.NotContains(t, page, "Approve this exact text")
	code, page = aud.post("/incidents/"+id+"/act/approve", url.Values{"obligation": {"congress-notice"}, "content_hash": {hash}})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, page, "read-only (auditor)")
	require.Empty(t, s.notice(t, id, "congress-notice").Approvals)

	for _, who := range []string{"cio", "counsel"} {
		b := s.browser(t)
		b.login(who)
		_, page := b.get("/incidents/" + id + "/notices/congress-notice")
		require.Contains(t, page, "Approve this exact text")
		code, page := b.post("/incidents/"+id+"/act/approve", url.Values{"obligation": {"congress-notice"}, "content_hash": {hash}})
		require.Equal(t, http.StatusOK, code, page)
	}
	coord.waitFor("/incidents/"+id, "congress-notice/notice")
	require.Eventually(t, func() bool { return s.notice(t, id, "congress-notice").State == workflows.NoticeSent }, time.Minute, 200*time.Millisecond)
	n := s.notice(t, id, "congress-notice")
	var by []string
	for _, a := range n.Approvals {
		by = append(by, a.By)
	}
	require.ElementsMatch(t, []string{"cio@agency.example", "ogc@agency.example"}, by, "approvers recorded by their e-mail, from the session")
	require.Equal(t, "coordinator@agency.example", n.RequestedBy)
	page = coord.waitFor("/incidents/"+id, "hsc@house.example")
	require.Contains(t, page, ".eml", "the delivery receipt (outbox file) is shown")

	// The timeline is the audit's: replayed against this build.
	_, page = coord.get("/incidents/" + id + "/timeline")
	require.Contains(t, page, "replay ok")
	require.Contains(t, page, "cio@agency.example")
}

// TestSecurity: a POST without the CSRF token is refused before anything happens; pages carry
// the security headers; sign-in is rate-limited with a clear message; pages need a session.
func TestSecurity(t *testing.T) {
	if testing.Short() {
		t.Skip("embedded Temporal server: not in -short")
	}
	s := startTestStack(t, nil)
	coord := s.browser(t)
	coord.login("coordinator")
	id := coord.startCBP()

	// No token: 403, and the fact is not recorded.
	resp, err := coord.c.PostForm(s.http.URL+"/incidents/"+id+"/act/fact", url.Values{"name": {"affected_count"}, "value": {"184000"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	// A wrong token: 403 too.
	resp, err = coord.c.PostForm(s.http.URL+"/incidents/"+id+"/act/fact", url.Values{"csrf": {"forged"}, "name": {"affected_count"}, "value": {"184000"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Empty(t, s.status(t, id).Facts["affected_count"])

	resp, err = coord.c.Get(s.http.URL + "/incidents/" + id)
	require.NoError(t, err)
	resp.Body.Close()
	h := resp.Header
	require.Contains(t, h.Get("Content-Security-Policy"), "default-src 'self'")
	require.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	require.NotContains(t, h.Get("Content-Security-Policy"), "unsafe-inline")
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	require.NotEmpty(t, h.Get("Referrer-Policy"))
	// The notice's HTML frame gets its own policy: sandboxed, no script at all.
	resp, err = coord.c.Get(s.http.URL + "/incidents/" + id + "/notices/congress-notice/html")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "sandbox")
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")

	// The session cookie is HttpOnly and SameSite.
	anon := s.browser(t)
	anon.get("/login")
	anon.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = anon.c.PostForm(s.http.URL+"/login", url.Values{"csrf": {anon.csrf}, "login": {"cio"}, "password": {testPassword}})
	require.NoError(t, err)
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	require.NotNil(t, session)
	require.True(t, session.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, session.SameSite)

	// Pages need a session.
	other := s.browser(t)
	other.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = other.c.Get(s.http.URL + "/incidents/" + id)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/login"))

	// Five wrong passwords, then even the right one is refused for a while, with a clear message.
	guess := s.browser(t)
	for range 5 {
		guess.get("/login")
		code, page := guess.post("/login", url.Values{"login": {"counsel"}, "password": {"wrong password!"}})
		require.Equal(t, http.StatusUnauthorized, code)
		require.Contains(t, page, "The login or the password is wrong.")
	}
	code, page := guess.post("/login", url.Values{"login": {"counsel"}, "password": {testPassword}})
	require.Equal(t, http.StatusTooManyRequests, code)
	require.Contains(t, page, "Too many failed sign-ins")
}

func (s *testStack) status(t testing.TB, id string) workflows.Status {
	t.Helper()
	st, err := s.console.status(context.Background(), id)
	require.NoError(t, err)
	return st
}

func (s *testStack) notice(t testing.TB, id, obligation string) workflows.NoticeRecord {
	t.Helper()
	for _, n := range s.status(t, id).Notices {
		if n.Key == workflows.OwnNoticeKey(obligation) {
			return n
		}
	}
	return workflows.NoticeRecord{}
}
