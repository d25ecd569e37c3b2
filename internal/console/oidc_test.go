package console

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/require"
)

// TestOIDCLogin signs in through an in-test OpenID Connect provider (authorization code with
// PKCE and a nonce): the session's subject is the issuer's, the actor the e-mail claim, and a
// member of the auditor group may only read.
func TestOIDCLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("embedded Temporal server: not in -short")
	}
	m, err := mockoidc.Run()
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Shutdown() })
	cfg := m.Config()
	s := startTestStack(t, &OIDCConfig{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, AuditorGroup: "auditors"})

	_, page := s.browser(t).get("/login")
	require.Contains(t, page, `href="/oidc/login`)

	m.QueueUser(&mockoidc.MockUser{Subject: "u-1", Email: "cio@agency.example", EmailVerified: true, PreferredUsername: "cio"})
	b := s.browser(t)
	code, page := b.get("/oidc/login?next=/")
	require.Equal(t, http.StatusOK, code, page)
	require.Contains(t, page, "cio@agency.example")
	sess := s.sessionOf(t, b)
	require.Equal(t, "oidc:"+cfg.Issuer+"#u-1", sess.Subject)
	require.False(t, sess.Auditor)
	id := b.startCBP()
	code, page = b.post("/incidents/"+id+"/act/fact", url.Values{"name": {"affected_count_stated"}, "value": {"fewer than 100,000"}})
	require.Equal(t, http.StatusOK, code, page)
	require.Equal(t, "fewer than 100,000", s.status(t, id).Facts["affected_count_stated"])

	m.QueueUser(&mockoidc.MockUser{Subject: "u-2", Email: "oig@agency.example", EmailVerified: true, Groups: []string{"auditors"}})
	a := s.browser(t)
	code, _ = a.get("/oidc/login?next=/incidents/" + id)
	require.Equal(t, http.StatusOK, code)
	require.True(t, s.sessionOf(t, a).Auditor)
	code, page = a.post("/incidents/"+id+"/act/fact", url.Values{"name": {"affected_count"}, "value": {"184000"}})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, page, "read-only (auditor)")
	require.Empty(t, s.status(t, id).Facts["affected_count"])

	// A callback without the state of a login this browser began is refused.
	code, _ = s.browser(t).get("/oidc/callback?code=x&state=y")
	require.Equal(t, http.StatusBadRequest, code)
}

// sessionOf opens the session cookie a browser holds.
func (s *testStack) sessionOf(t *testing.T, b *browser) *Session {
	t.Helper()
	u, _ := url.Parse(s.http.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			var sess Session
			require.NoError(t, s.console.cookies.open(c.Value, &sess))
			return &sess
		}
	}
	t.Fatal("no session cookie")
	return nil
}
