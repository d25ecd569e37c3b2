package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig signs people in with an OpenID Connect provider (authorization code flow with
// PKCE). The subject recorded is "oidc:<issuer>#<sub>"; the actor is the e-mail claim.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (discovery at Issuer/.well-known/openid-configuration).
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this console's /oidc/callback as the provider knows it.
	RedirectURL string
	// GroupsClaim names the claim listing the person's groups (default "groups").
	GroupsClaim string
	// AuditorGroup: members of this group may only read.
	AuditorGroup string
	// Label is the button's text (default "Sign in with single sign-on").
	Label string
}

type oidcProvider struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDC(ctx context.Context, cfg OIDCConfig) (*oidcProvider, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: set the issuer, the client ID and the redirect URL (…/oidc/callback)")
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.Label == "" {
		cfg.Label = "Sign in with single sign-on"
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discovering %s: %w", cfg.Issuer, err)
	}
	return &oidcProvider{
		cfg: cfg,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile", "groups"}},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
	}, nil
}

// oidcState is kept in the signed pre-login cookie between the redirect and the callback.
type oidcState struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Next     string `json:"next"`
}

func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.NotFound(w, r)
		return
	}
	st := oidcState{State: newToken(), Nonce: newToken(), Verifier: oauth2.GenerateVerifier(), Next: safeNext(r.URL.Query().Get("next"))}
	if err := s.cookies.set(w, preCookie, st, 10*time.Minute); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	http.Redirect(w, r, s.oidc.oauth.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), http.StatusFound)
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.NotFound(w, r)
		return
	}
	var st oidcState
	ck, err := r.Cookie(preCookie)
	if err != nil || s.cookies.open(ck.Value, &st) != nil || st.State == "" || r.URL.Query().Get("state") != st.State {
		http.Error(w, "sign-in failed: the login attempt expired or came from elsewhere; start again", http.StatusBadRequest)
		return
	}
	s.cookies.clear(w, preCookie)
	if e := r.URL.Query().Get("error"); e != "" {
		http.Error(w, "sign-in refused by the identity provider: "+e, http.StatusForbidden)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	tok, err := s.oidc.oauth.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, errors.New("sign-in failed: the identity provider did not accept the code"))
		return
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		s.fail(w, r, http.StatusBadGateway, errors.New("sign-in failed: the identity provider sent no ID token"))
		return
	}
	idt, err := s.oidc.verifier.Verify(ctx, raw)
	if err != nil || idt.Nonce != st.Nonce {
		s.fail(w, r, http.StatusForbidden, errors.New("sign-in failed: the ID token did not verify"))
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	email, _ := claims["email"].(string)
	name, _ := claims["name"].(string)
	if email == "" {
		http.Error(w, "sign-in refused: the identity provider sent no e-mail claim; the console names people by e-mail (ask for the email scope)", http.StatusForbidden)
		return
	}
	if name == "" {
		name = email
	}
	sess := Session{Subject: "oidc:" + idt.Issuer + "#" + idt.Subject, Name: name, Email: email, CSRF: newToken(), Expires: s.cfg.Now().Add(sessionTTL)}
	if s.oidc.cfg.AuditorGroup != "" {
		sess.Auditor = slices.Contains(stringList(claims[s.oidc.cfg.GroupsClaim]), s.oidc.cfg.AuditorGroup)
	}
	if err := s.cookies.set(w, sessionCookie, sess, sessionTTL); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	http.Redirect(w, r, st.Next, http.StatusSeeOther)
}

func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
